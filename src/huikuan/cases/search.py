"""Finding cases by what is stored about their debtor: the search of the case list and of the header's box.

``kernel.search.parse_query`` reads the text into terms; this module turns them into one filter over
``Case`` and says, for the cases shown, what each one matched by, masked as the screens mask it (a phone
number as 138****1234, an ID number as its last four, a contract number as ****1234): a search never shows
a stored value the page would not show. Who may see which case is not decided here: the caller searches
within ``visible_cases`` (``org.visibility.case_filter``), so a search finds nothing a user may not open.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.db.models.functions import Left, Reverse
from django.utils.translation import gettext as _

from huikuan.cases.models import Case
from huikuan.kernel import pii
from huikuan.kernel.search import SearchTerms
from huikuan.portfolio.models import PHONE_KINDS, Account, ContactPoint, Debtor, Relation

_PHONE_KINDS = [str(k) for k in PHONE_KINDS]
TAIL_KEY = 40  # the tail index's key is the first 40 characters reversed (portfolio migration 0011)


def _debtor_ids(terms: SearchTerms) -> list[QuerySet[Any]]:
    """One query of debtor ids per term that can match."""
    sets: list[QuerySet[Any]] = []
    debtors = Debtor.objects.values_list("id", flat=True)
    phones = ContactPoint.objects.filter(kind__in=_PHONE_KINDS).values_list("debtor_id", flat=True)
    if terms.number:
        sets.append(debtors.filter(customer_no=terms.number))
        sets.append(Account.objects.filter(contract_no=terms.number).values_list("debtor_id", flat=True))
    if terms.name:
        # Always UPPER(name) LIKE: the trigram index on PostgreSQL is on UPPER(name) (portfolio migration 0011).
        sets.append(debtors.filter(name__icontains=terms.name))
    if terms.phone:
        # Any phone on the case: a debtor calling back from a spouse's line is still found.
        sets.append(phones.filter(value=terms.phone))
    if terms.tail:
        # "尾号" names the debtor's own numbers (the script names them so); the tail of an ID number too.
        head = f"+86{terms.phone_head}" if terms.phone_head else "+"
        # The reversed number's prefix rather than LIKE '%tail': an index range on PostgreSQL (migration 0011).
        sets.append(
            phones.alias(reversed_value=Reverse(Left("value", TAIL_KEY))).filter(
                reversed_value__startswith=terms.tail[::-1], value__startswith=head, relation=Relation.SELF
            )
        )
        if not terms.phone_head:
            sets.append(debtors.filter(id_last4=terms.tail))
    if terms.id_number:
        sets.append(debtors.filter(id_hash=pii.hash_id_number(terms.id_number, settings.PII_HASH_KEY)))
    return sets


def case_search(terms: SearchTerms) -> Q:
    """A Q over Case matching any of the terms (nothing for empty terms).

    The terms' debtor ids are one ``UNION`` subquery: PostgreSQL reads each set once (an index lookup for the
    numbers, a scan for a part of a name or a tail) and joins the few ids found to the cases by their unique
    debtor index. A correlated EXISTS per term under an OR ran each subquery for every case: 1.5–2.5 s over
    100,000 cases (bench/workbench.py, "search_*").
    """
    sets = _debtor_ids(terms)
    if not sets:
        return Q(pk__in=[])
    return Q(debtor_id__in=sets[0].union(*sets[1:]) if len(sets) > 1 else sets[0])


def search_cases(cases: QuerySet[Case], terms: SearchTerms) -> QuerySet[Case]:
    return cases.filter(case_search(terms))


def matched_by(cases: Iterable[Case], terms: SearchTerms) -> dict[int, list[str]]:
    """For each case shown, what it matched by, masked (two queries for the page, whatever its size)."""
    shown = {c.pk: c for c in cases}
    if terms.empty or not shown:
        return {}
    found: dict[int, list[str]] = defaultdict(list)
    debtor_case = {c.debtor_id: c.pk for c in shown.values()}
    for case in shown.values():
        debtor = case.debtor
        if terms.number and debtor.customer_no == terms.number:
            found[case.pk].append(_("customer no. %(no)s") % {"no": debtor.customer_no})
        if terms.name and terms.name.casefold() in debtor.name.casefold():
            found[case.pk].append(_("name %(name)s") % {"name": pii.mask_text(debtor.name)})
        if terms.tail and not terms.phone_head and debtor.id_last4 == terms.tail:
            found[case.pk].append(_("ID ending %(tail)s") % {"tail": debtor.id_last4})
        if terms.id_number and debtor.id_hash == pii.hash_id_number(terms.id_number, settings.PII_HASH_KEY):
            found[case.pk].append(_("ID number ending %(tail)s") % {"tail": debtor.id_last4})
    if terms.number:
        for debtor_id, contract in Account.objects.filter(
            debtor_id__in=list(debtor_case), contract_no=terms.number
        ).values_list("debtor_id", "contract_no"):
            found[debtor_case[debtor_id]].append(_("contract ****%(tail)s") % {"tail": contract[-4:]})
    if terms.phone or terms.tail:
        points = ContactPoint.objects.filter(debtor_id__in=list(debtor_case), kind__in=_PHONE_KINDS)
        for point in points.order_by("id"):
            if _phone_matches(point, terms):
                found[debtor_case[point.debtor_id]].append(
                    f"{point.get_relation_display()} · {point.get_kind_display()} {point.masked}"
                )
    return dict(found)


def _phone_matches(point: ContactPoint, terms: SearchTerms) -> bool:
    if terms.phone and point.value == terms.phone:
        return True
    if not terms.tail or point.relation != Relation.SELF or not point.value.endswith(terms.tail):
        return False
    return not terms.phone_head or point.value.startswith(f"+86{terms.phone_head}")
