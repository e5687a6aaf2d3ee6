"""How a debtor is addressed: 张先生 / 李女士 / the company's name; Mr Zhang / Ms Li in English."""

from __future__ import annotations

import polars as pl

# Two-character surnames, so 欧阳娜娜 becomes 欧阳女士 and not 欧女士.
COMPOUND_SURNAMES = frozenset(
    {
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "令狐",
        "端木",
    }
)


def surname(name: str) -> str:
    name = name.strip()
    if name[:2] in COMPOUND_SURNAMES:
        return name[:2]
    return name[:1]


def honorific(name: str, gender: str, *, company: bool = False, lang: str = "zh-hans") -> str:
    if company or not name.strip():
        return name.strip()
    family = surname(name)
    if lang.startswith("zh"):
        if gender == "male":
            return f"{family}先生"
        if gender == "female":
            return f"{family}女士"
        return name.strip()
    title = {"male": "Mr", "female": "Ms"}.get(gender)
    return f"{title} {family}" if title else name.strip()


# What str.strip() takes away: the characters Python calls white space (Polars' own strip differs on a few,
# such as the information separators \x1c-\x1f). A test holds the list to str.isspace.
PYTHON_WHITE_SPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def honorific_column(name: pl.Expr, gender: pl.Expr, company: pl.Expr, lang: str) -> pl.Expr:
    """``honorific`` over columns (a name, a gender, whether the debtor is a company), in one language."""
    stripped = name.str.strip_chars(PYTHON_WHITE_SPACE)
    two = stripped.str.slice(0, 2)
    family = pl.when(two.is_in(sorted(COMPOUND_SURNAMES))).then(two).otherwise(stripped.str.slice(0, 1))
    if lang.startswith("zh"):
        male, female = pl.concat_str(family, pl.lit("先生")), pl.concat_str(family, pl.lit("女士"))
    else:
        male, female = pl.concat_str(pl.lit("Mr "), family), pl.concat_str(pl.lit("Ms "), family)
    titled = pl.when(gender == "male").then(male).when(gender == "female").then(female).otherwise(stripped)
    return pl.when(company | (stripped == "")).then(stripped).otherwise(titled)


def _has_cjk(text: str) -> bool:
    # CJK Unified Ideographs (and extension A), where every Chinese given and family name is written.
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def person_name(given: str, family: str) -> str:
    """The one way a person's two name parts are shown: 李丽 (family first, no space) for a Chinese name,
    "Li Wang" (given first) for a Western one. Every staff name on a page, in a script or a letter is this."""
    given, family = given.strip(), family.strip()
    if _has_cjk(given) or _has_cjk(family):
        return family + given
    return " ".join(part for part in (given, family) if part)
