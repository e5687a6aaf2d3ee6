"""A debtor's region: the US state (or territory) whose law applies to the debt, or a province elsewhere.

State law decides how long a debt can be sued on and what a collector must say once it cannot (the US pack's
``time_barred_suit`` and ``time_barred_disclosure`` rules). Files spell a state as its postal code ("CA",
"ca") or its name ("California"); ``region_code`` folds those to the code so the settings and the pack can
name a state one way. Any other value (a Chinese province, a UK county) is kept as written, trimmed.
"""

from __future__ import annotations

US_STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
    "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas",
    "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts",
    "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico",
    "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
    "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming", "PR": "Puerto Rico", "GU": "Guam",
    "VI": "U.S. Virgin Islands", "AS": "American Samoa", "MP": "Northern Mariana Islands",
}  # fmt: skip
_BY_NAME = {name.casefold(): code for code, name in US_STATES.items()}


def region_code(value: str) -> str:
    """The region as stored: a US state's postal code for its code or name in any case, else ``value``
    trimmed (an empty value stays empty: no region known).

    >>> region_code(" ca "), region_code("New York"), region_code("广东省"), region_code("")
    ('CA', 'NY', '广东省', '')
    """
    text = " ".join(value.split())
    if not text:
        return ""
    upper = text.upper()
    if upper in US_STATES:
        return upper
    return _BY_NAME.get(text.casefold(), text)
