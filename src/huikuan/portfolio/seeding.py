"""Writing a generated portfolio to the database with bulk inserts, in one transaction per chunk."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import cycle

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from huikuan.cases.models import Case, CaseStatus, Interaction, Promise
from huikuan.cases.sync import Assignment, refresh_cases
from huikuan.kernel.ledger import Component
from huikuan.kernel.money import ZERO
from huikuan.kernel.pii import hash_id_number
from huikuan.portfolio.generator import GenDebtor
from huikuan.portfolio.ledger import refresh_balances
from huikuan.portfolio.models import Account, AccountBalance, ContactPoint, Debtor, LedgerEntry


@dataclass
class SeedCounts:
    debtors: int = 0
    accounts: int = 0
    entries: int = 0
    cases: int = 0


def write_generated(
    debtors: Iterable[GenDebtor],
    as_of: date,
    collectors: Sequence[tuple[int, int | None]] = (),
    chunk_size: int = 2000,
) -> SeedCounts:
    """Persist debtors; cases go round-robin to `collectors` given as (user id, team id) pairs."""
    counts = SeedCounts()
    rotation = cycle(collectors) if collectors else None
    chunk: list[GenDebtor] = []
    for debtor in debtors:
        chunk.append(debtor)
        if len(chunk) >= chunk_size:
            _write_chunk(chunk, as_of, rotation, counts)
            chunk = []
    if chunk:
        _write_chunk(chunk, as_of, rotation, counts)
    return counts


def _write_chunk(chunk: list[GenDebtor], as_of: date, rotation: object, counts: SeedCounts) -> None:
    key = settings.PII_HASH_KEY
    with transaction.atomic():
        rows = Debtor.objects.bulk_create(
            [
                Debtor(
                    customer_no=d.customer_no,
                    kind=d.kind,
                    name=d.name,
                    gender=d.gender,
                    id_type=d.id_type,
                    id_hash=hash_id_number(d.id_number, key),
                    id_last4=d.id_number[-4:],
                    employer=d.employer,
                    monthly_income=d.monthly_income,
                    address=d.address,
                )
                for d in chunk
            ]
        )
        ids = _ids(Debtor, "customer_no", [d.customer_no for d in chunk], rows)
        ContactPoint.objects.bulk_create(
            [
                ContactPoint(
                    debtor_id=ids[d.customer_no],
                    kind=c.kind,
                    value=c.value,
                    relation=c.relation,
                    contact_name=c.name,
                    validity=c.validity,
                    source="generator",
                )
                for d in chunk
                for c in d.contacts
            ]
        )
        accounts = [(d, a) for d in chunk for a in d.accounts]
        account_rows = Account.objects.bulk_create(
            [
                Account(
                    debtor_id=ids[d.customer_no],
                    contract_no=a.contract_no,
                    product=a.product,
                    original_amount=a.original_amount,
                    open_date=a.open_date,
                    due_date=a.due_date,
                    annual_interest_rate=a.annual_interest_rate,
                    daily_penalty_rate=a.daily_penalty_rate,
                )
                for d, a in accounts
            ]
        )
        account_ids = _ids(Account, "contract_no", [a.contract_no for _, a in accounts], account_rows)
        AccountBalance.objects.bulk_create([AccountBalance(account_id=i) for i in account_ids.values()])
        entries = [
            LedgerEntry(
                account_id=account_ids[a.contract_no],
                kind=e.kind,
                reference=e.reference,
                effective_date=e.effective_date,
                note="generator",
                **{c.value: e.deltas.get(c, ZERO) for c in Component},
            )
            for _, a in accounts
            for e in a.entries
        ]
        LedgerEntry.objects.bulk_create(entries, batch_size=5000)
        refresh_balances(account_ids.values())
        assignments: dict[int, Assignment] = {}
        if rotation is not None:
            for d in chunk:
                user_id, team_id = next(rotation)  # type: ignore[call-overload]
                assignments[ids[d.customer_no]] = Assignment(team_id, user_id)
        counts.cases += refresh_cases(ids.values(), as_of, assignments).created
        _write_history(chunk, ids)
        counts.debtors += len(chunk)
        counts.accounts += len(accounts)
        counts.entries += len(entries)


def _ids(model: type, field: str, keys: list[str], rows: list) -> dict[str, int]:
    if rows and all(r.pk for r in rows):
        return {getattr(r, field): r.pk for r in rows}
    return dict(model.objects.filter(**{f"{field}__in": keys}).values_list(field, "id"))  # type: ignore[attr-defined]


def _write_history(chunk: list[GenDebtor], debtor_ids: dict[str, int]) -> None:
    cases = dict(Case.objects.filter(debtor_id__in=debtor_ids.values()).values_list("debtor_id", "id"))
    interactions: list[Interaction] = []
    promises: list[Promise] = []
    held: dict[str, list[int]] = {}
    for d in chunk:
        case_id = cases.get(debtor_ids[d.customer_no])
        if case_id is None:
            continue
        interactions.extend(
            Interaction(
                case_id=case_id, channel=i.channel, outcome=i.outcome, party=i.party, notes=i.notes, at=i.at
            )
            for i in d.interactions
        )
        promises.extend(
            Promise(
                case_id=case_id,
                amount=p.amount,
                due_date=p.due_date,
                state=p.state,
                paid_amount=p.paid_amount,
                created_at=p.created_at,
            )
            for p in d.promises
        )
        if d.hold_reason:
            held.setdefault(d.hold_reason, []).append(case_id)
    Interaction.objects.bulk_create(interactions, batch_size=5000)
    Promise.objects.bulk_create(promises, batch_size=5000)
    for reason, ids in held.items():
        Case.objects.filter(id__in=ids).update(
            status=CaseStatus.ON_HOLD, hold_reason=reason, hold_since=timezone.now()
        )
