"""Writing a generated portfolio to the database in bulk, one transaction per chunk of debtors."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import cycle

from django.conf import settings
from django.db import transaction

from huikuan import clock
from huikuan.cases.models import Case, CaseStatus, Interaction, Promise
from huikuan.cases.sync import Assignment, refresh_cases
from huikuan.db.bulkwrite import insert_rows, upsert_ids
from huikuan.intake.generator import GenDebtor
from huikuan.kernel.ledger import Entry, EntryKind
from huikuan.kernel.pii import hash_id_number
from huikuan.payments.models import EntryRole, Payment, PaymentEntry, PaymentSource, PaymentStatus, source_key
from huikuan.portfolio.fields import to_fen
from huikuan.portfolio.ledger import NewEntry, append_entries, open_balances, refresh_balances
from huikuan.portfolio.models import Account, ContactPoint, Debtor, LedgerEntry, default_time_zone


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
    chunk_size: int = 5000,
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


def _write_chunk(
    chunk: list[GenDebtor], as_of: date, rotation: Iterator[tuple[int, int | None]] | None, counts: SeedCounts
) -> None:
    key = settings.PII_HASH_KEY
    now = clock.now()
    zone = default_time_zone()
    with transaction.atomic():
        ids, _ = upsert_ids(
            Debtor,
            ["customer_no", "kind", "name", "gender", "id_type", "id_hash", "id_last4", "employer",
             "monthly_income", "address", "time_zone", "preferred_language", "created_at", "updated_at"],
            [
                (d.customer_no, d.kind, d.name, d.gender, d.id_type, hash_id_number(d.id_number, key),
                 d.id_number[-4:], d.employer, None if d.monthly_income is None else to_fen(d.monthly_income),
                 d.address, zone, "zh-hans", now, now)
                for d in chunk
            ],
            key="customer_no",
        )  # fmt: skip
        insert_rows(
            ContactPoint._meta.db_table,
            ["debtor_id", "kind", "value", "relation", "contact_name", "validity", "do_not_contact",
             "dnc_reason", "source", "created_at"],
            [
                (ids[d.customer_no], c.kind, c.value, c.relation, c.name, c.validity, False, "", "generator",
                 now)
                for d in chunk
                for c in d.contacts
            ],
            conflict=["debtor_id", "value"],
        )  # fmt: skip
        accounts = [(d, a) for d in chunk for a in d.accounts]
        account_ids, _ = upsert_ids(
            Account,
            ["debtor_id", "contract_no", "product", "currency", "original_amount", "open_date", "due_date",
             "annual_interest_rate", "daily_penalty_rate", "created_at", "updated_at"],
            [
                (ids[d.customer_no], a.contract_no, a.product, "CNY", to_fen(a.original_amount),
                 a.open_date.isoformat(), a.due_date.isoformat(), str(a.annual_interest_rate),
                 str(a.daily_penalty_rate), now, now)
                for d, a in accounts
            ],
            key="contract_no",
        )  # fmt: skip
        open_balances(account_ids.values())
        entries = [
            NewEntry(
                account_ids[a.contract_no],
                Entry(EntryKind(e.kind), e.reference, e.deltas),
                e.effective_date,
                "generator",
            )
            for _, a in accounts
            for e in a.entries
        ]
        append_entries(entries, skip_known=True)
        refresh_balances(account_ids.values())
        assignments: dict[int, Assignment] = {}
        if rotation is not None:
            for d in chunk:
                user_id, team_id = next(rotation)
                assignments[ids[d.customer_no]] = Assignment(team_id, user_id)
        counts.cases += refresh_cases(ids.values(), as_of, assignments).created
        _write_history(chunk, ids, now)
        _write_payments(chunk, ids, account_ids, now)
        counts.debtors += len(chunk)
        counts.accounts += len(accounts)
        counts.entries += len(entries)


def _write_history(chunk: list[GenDebtor], debtor_ids: dict[str, int], now: object) -> None:
    cases = dict(Case.objects.filter(debtor_id__in=debtor_ids.values()).values_list("debtor_id", "id"))
    interactions: list[tuple[object, ...]] = []
    promises: list[tuple[object, ...]] = []
    held: dict[str, list[int]] = {}
    for d in chunk:
        case_id = cases.get(debtor_ids[d.customer_no])
        if case_id is None:
            continue
        interactions.extend((case_id, i.channel, i.party, i.outcome, i.notes, i.at) for i in d.interactions)
        promises.extend(
            (
                case_id,
                to_fen(p.amount),
                p.due_date.isoformat(),
                "call",
                p.state,
                to_fen(p.paid_amount),
                p.created_at,
            )
            for p in d.promises
        )
        if d.hold_reason:
            held.setdefault(d.hold_reason, []).append(case_id)
    # Interactions and promises have no natural key; a chunk is written once inside its transaction.
    insert_rows(
        Interaction._meta.db_table,
        ["case_id", "channel", "party", "outcome", "notes", "at"],
        interactions,
        conflict=["id"],
    )
    insert_rows(
        Promise._meta.db_table,
        ["case_id", "amount", "due_date", "channel", "state", "paid_amount", "created_at"],
        promises,
        conflict=["id"],
    )
    for reason, ids in held.items():
        Case.objects.filter(id__in=ids).update(status=CaseStatus.ON_HOLD, hold_reason=reason, hold_since=now)


def _write_payments(
    chunk: list[GenDebtor], debtor_ids: dict[str, int], account_ids: dict[str, int], now: object
) -> None:
    """The payments towards promises as payments' rows, linked to their ledger entries, so the nightly
    settlement and every action after it judge the promises on the same money the generator did."""
    cases = dict(Case.objects.filter(debtor_id__in=debtor_ids.values()).values_list("debtor_id", "id"))
    paid = [(d, p) for d in chunk for p in d.payments]
    if not paid:
        return
    rows = [
        (source_key(PaymentSource.BANK_STATEMENT, f"{d.customer_no}:{p.reference}"), PaymentSource.BANK_STATEMENT,
         debtor_ids[d.customer_no], cases.get(debtor_ids[d.customer_no]), to_fen(p.amount), 0,
         p.paid_on.isoformat(), p.reference, PaymentStatus.POSTED, "", now)
        for d, p in paid
    ]  # fmt: skip
    insert_rows(
        Payment._meta.db_table,
        ["idempotency_key", "source", "debtor_id", "case_id", "amount", "credit", "paid_on", "reference", "status",
         "reversal_reason", "created_at"],
        rows,
        conflict=["idempotency_key"],
    )  # fmt: skip
    payment_ids = dict(
        Payment.objects.filter(idempotency_key__in=[r[0] for r in rows]).values_list("idempotency_key", "id")
    )
    wanted = {(account_ids[p.contract_no], p.reference): row[0] for (d, p), row in zip(paid, rows, strict=True)}
    entries = LedgerEntry.objects.filter(
        account_id__in={a for a, _ in wanted}, reference__in={r for _, r in wanted}
    ).values_list("account_id", "reference", "id")
    PaymentEntry.objects.bulk_create(
        [
            PaymentEntry(payment_id=payment_ids[wanted[(a, r)]], entry_id=entry_id, role=EntryRole.ALLOCATION)
            for a, r, entry_id in entries
            if (a, r) in wanted
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
