"""The US validation notice and time-barred debts, read from the database (kernel/compliance/validation.py).

- ``open_dispute_case_ids``: cases whose debtor disputed within the validation period and has not been sent
  verification since (the gate's ``validation_dispute`` rule stops collection contact on them).
- ``time_barred_case_ids``: cases with an account whose statute of limitations (HUIKUAN_LIMITATION_YEARS, by
  product, counted from the account's due date) has run on the debtor's day; the strict reading: one
  time-barred account makes every threat of suit on the case one too many (``time_barred_suit``).
- ``itemizations_of``: the notices' itemisation from the ledger, itemised from the accounts' due date.
- ``record_notices`` and ``record_verification``: what was sent, kept as evidence.

Both reads cost a query only when the pack in force has the rule that needs them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from huikuan.audit.models import ChangeLog
from huikuan.audit.records import change_record, record_change
from huikuan.cases.models import Case, Interaction
from huikuan.compliance.models import ValidationNotice
from huikuan.compliance.pack import current_pack
from huikuan.kernel.compliance import validation
from huikuan.kernel.compliance.packs import Rule
from huikuan.kernel.contacts import Outcome
from huikuan.kernel.ledger import Component
from huikuan.portfolio.models import Account, LedgerEntry, Product, debtor_today


def rule_in_force(kind: str) -> bool:
    return any(rule.severity == "block" for rule in current_pack().of_kind(kind))


def limitation_years() -> validation.LimitationTable:
    """HUIKUAN_LIMITATION_YEARS checked and read as a table: keys "product" (anywhere), "product/STATE" and
    "*/STATE" (any product in that state; kernel.compliance.validation.limitation_years_for picks the most
    specific), values whole years from 1."""
    raw = getattr(settings, "HUIKUAN_LIMITATION_YEARS", {}) or {}
    if not isinstance(raw, dict):
        raise ImproperlyConfigured(
            'HUIKUAN_LIMITATION_YEARS must map products to whole years, e.g. {"credit_card": 6, "credit_card/CA": 4}'
        )
    table: dict[tuple[str, str], int] = {}
    for key, value in raw.items():
        product, region = validation.limitation_key(str(key))
        if product not in Product.values and not (product == validation.ANY_PRODUCT and region):
            raise ImproperlyConfigured(
                f"HUIKUAN_LIMITATION_YEARS: unknown product {product!r} in {key!r}; known: {', '.join(Product.values)}"
                " (or * before a state, as in */NY)"
            )
        if "/" in str(key) and not region:
            raise ImproperlyConfigured(f"HUIKUAN_LIMITATION_YEARS: {key!r} names no state after the slash")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ImproperlyConfigured(f"HUIKUAN_LIMITATION_YEARS[{key!r}] must be a whole number of years >= 1")
        if (product, region) in table:
            raise ImproperlyConfigured(f"HUIKUAN_LIMITATION_YEARS: {key!r} is given twice (as another spelling)")
        table[(product, region)] = value
    return table


def time_barred_case_ids(cases: Iterable[Case], now: datetime) -> set[int]:
    """The cases with a time-barred account on their debtor's day at ``now``: each account's period is the
    one of its product in its debtor's state (``limitation_years_for``)."""
    table = limitation_years()
    cases = list(cases)
    if not table or not cases or not rule_in_force("time_barred_suit"):
        return set()
    by_debtor: dict[int, list[Case]] = {}
    for case in cases:
        by_debtor.setdefault(case.debtor_id, []).append(case)
    barred: set[int] = set()
    products = {product for product, _ in table}
    accounts = Account.objects.filter(debtor_id__in=by_debtor)
    if validation.ANY_PRODUCT not in products:
        accounts = accounts.filter(product__in=products)
    rows = accounts.values_list("debtor_id", "product", "due_date", "debtor__time_zone", "debtor__region")
    for debtor_id, product, due, zone, region in rows:
        years = validation.limitation_years_for(table, product, region)
        if validation.time_barred(due, years, debtor_today(zone, now)):
            barred.update(c.pk for c in by_debtor[debtor_id])
    return barred


def disclosure_rule() -> Rule | None:
    """The pack's rule on disclosures owed on a time-barred debt, when it blocks."""
    return next((r for r in current_pack().of_kind("time_barred_disclosure") if r.severity == "block"), None)


def region_disclosure(region: str) -> Mapping[str, str] | None:
    """The wordings of the disclosure a time-barred debt owes in ``region`` (language -> text), or None where
    the pack in force asks none."""
    rule = disclosure_rule()
    return None if rule is None else rule.params["disclosures"].get(region)


def time_bar_disclosures(cases: Iterable[Case], now: datetime) -> dict[int, Mapping[str, str]]:
    """The disclosure each of these cases owes in its written messages (case id -> language -> wording): the
    time-barred cases whose debtor's state the pack's rule lists. Reads only when the rule is in force."""
    rule = disclosure_rule()
    cases = [c for c in cases]
    if rule is None or not cases:
        return {}
    barred = time_barred_case_ids(cases, now)
    if not barred:
        return {}
    wordings = rule.params["disclosures"]
    regions = dict(Case.objects.filter(pk__in=barred).values_list("pk", "debtor__region"))
    return {case_id: wordings[region] for case_id, region in regions.items() if region in wordings}


def open_dispute_case_ids(case_ids: Iterable[int]) -> set[int]:
    """Cases whose debtor disputed inside the validation period and has had no verification since."""
    case_ids = list(case_ids)
    if not case_ids or not rule_in_force("validation_dispute"):
        return set()
    notices = {
        n.case_id: n
        for n in ValidationNotice.objects.filter(case_id__in=case_ids).only(
            "case_id", "period_end", "verification_sent_on"
        )
    }
    if not notices:
        return set()
    open_ids: set[int] = set()
    disputes = Interaction.objects.filter(case_id__in=notices, outcome=Outcome.DISPUTE).values_list(
        "case_id", "at", "case__debtor__time_zone"
    )
    for case_id, at, zone in disputes:
        notice = notices[case_id]
        day = debtor_today(zone, at)
        if validation.dispute_stops_collection(day, notice.period_end, notice.verification_sent_on):
            open_ids.add(case_id)
    return open_ids


def itemizations_of(cases: Iterable[Case], today: date) -> dict[int, validation.Itemization]:
    """Each case's itemisation for the notice, in two queries whatever their number: from the earliest due date
    of its accounts to ``today`` (the due date stands for the last statement date of 1006.34(b)(3)(i): the
    product keeps no statements)."""
    cases = list(cases)
    accounts: dict[int, list[tuple[int, date]]] = {}
    for account_id, debtor_id, due in Account.objects.filter(debtor_id__in={c.debtor_id for c in cases}).values_list(
        "id", "debtor_id", "due_date"
    ):
        accounts.setdefault(debtor_id, []).append((account_id, due))
    moves: dict[int, list[validation.Movement]] = {}
    entries = LedgerEntry.objects.filter(account_id__in=[a for rows in accounts.values() for a, _ in rows]).values_list(
        "account_id", "effective_date", "principal", "interest", "fee", "penalty"
    )
    for account_id, effective, principal, interest, fee, penalty in entries:
        deltas = {
            Component.PRINCIPAL: principal,
            Component.INTEREST: interest,
            Component.FEE: fee,
            Component.PENALTY: penalty,
        }
        moves.setdefault(account_id, []).append(validation.Movement(effective, deltas))
    found = {}
    for case in cases:
        own = accounts.get(case.debtor_id, [])
        start = min((due for _, due in own), default=case.oldest_due_date or today)
        found[case.pk] = validation.itemize([m for a, _ in own for m in moves.get(a, [])], start)
    return found


def itemization_of(case: Case, today: date) -> validation.Itemization:
    return itemizations_of([case], today)[case.pk]


def itemization_values(item: validation.Itemization) -> dict[str, str]:
    """The itemisation as the notice states it (and as evidence): amounts to the cent, the date ISO."""
    return {
        "itemization_date": item.itemization_date.isoformat(),
        "itemization_amount": f"{item.amount_then:,.2f}",
        "itemization_interest": f"{item.interest:,.2f}",
        "itemization_fees": f"{item.fees + item.other_charges:,.2f}",
        "itemization_paid": f"{item.paid_or_credited:,.2f}",
        "itemization_now": f"{item.amount_now:,.2f}",
    }


@dataclass(frozen=True)
class SentNotice:
    case: Case
    sent_on: date
    message_id: int
    item: validation.Itemization


def record_notices(sent: list[SentNotice], channel: str) -> None:
    """Keep what each notice said and when it went (its period ends 30 days after the assumed receipt), with
    its change-log row: two bulk inserts. A building block: the caller's transaction queued the messages."""
    calendar = current_pack().calendar
    with transaction.atomic():
        ValidationNotice.objects.bulk_create(
            [
                ValidationNotice(
                    case=n.case,
                    sent_on=n.sent_on,
                    channel=channel,
                    message_id=n.message_id,
                    itemization_date=n.item.itemization_date,
                    itemization=itemization_values(n.item),
                    period_end=validation.validation_period_end(n.sent_on, calendar),
                )
                for n in sent
            ]
        )
        ChangeLog.objects.bulk_create(
            [
                change_record(
                    None, n.case, "validation:notice", None, {"sent_on": n.sent_on.isoformat(), "channel": channel}
                )
                for n in sent
            ]
        )


def record_verification(user: Any, notice: ValidationNotice, *, sent_on: date, message_id: int | None) -> None:
    """The verification answering a dispute went out: collection may resume. A building block."""
    with transaction.atomic():
        before = {
            "verification_sent_on": notice.verification_sent_on.isoformat() if notice.verification_sent_on else None
        }
        notice.verification_sent_on = sent_on
        notice.verification_message_id = message_id
        notice.save(update_fields=["verification_sent_on", "verification_message_id"])
        record_change(
            user, notice.case, "validation:verification", before, {"verification_sent_on": sent_on.isoformat()}
        )


def time_barred_refusal(case: Case, now: datetime, lang: str = "zh") -> str | None:
    """Why this case may not go to legal (a suit on a time-barred debt), or None when it may."""
    rules = [r for r in current_pack().of_kind("time_barred_suit") if r.severity == "block"]
    if not rules or case.pk not in time_barred_case_ids([case], now):
        return None
    zh, en = rules[0].texts()
    return f"{en if lang.startswith('en') else zh} ({rules[0].id}: {rules[0].source})"


@dataclass(frozen=True)
class NoticeView:
    """What the case page shows of a case's validation notice."""

    notice: ValidationNotice
    dispute_open: bool


def notice_view(case: Case) -> NoticeView | None:
    """The case's notice and whether a dispute waits for verification; None outside the US rules."""
    if not rule_in_force("validation_dispute"):
        return None
    notice = ValidationNotice.objects.filter(case=case).first()
    if notice is None:
        return None
    return NoticeView(notice, case.pk in open_dispute_case_ids([case.pk]))
