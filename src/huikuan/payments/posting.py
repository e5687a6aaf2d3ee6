"""Writing payments, reversals and waivers to the ledger, one or fifty thousand at a time.

Everything runs inside the caller's transaction and follows the same steps, the ledger's through its one
writer (portfolio/ledger.py): lock the balance rows of every account involved (``lock_balances``, in
account order, so two writers never deadlock), compute the entries in the kernel against the locked
balances, append them in bulk (``append_entries``), recompute the snapshots from the ledger
(``refresh_balances``), record the before/after balances in the audit log in bulk, and refresh the
debtors' cases (which closes a case whose balance reached zero). A manual payment is a batch of one; a
bank statement is a batch of many: same rules, same code.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection, transaction

from huikuan import clock
from huikuan.audit.models import ChangeLog
from huikuan.audit.records import change_record
from huikuan.cases.models import Case
from huikuan.cases.sync import refresh_cases
from huikuan.db.bulkwrite import insert_rows, reserve_ids
from huikuan.kernel import allocation as alloc
from huikuan.kernel import lifecycle
from huikuan.kernel.ledger import apply, reversal_of
from huikuan.kernel.money import ZERO
from huikuan.payments.models import (
    EntryRole,
    MessageKind,
    Payment,
    PaymentEntry,
    PaymentStatus,
    PendingMessage,
    WaiverRequest,
)
from huikuan.payments.policy import PaymentsPolicy
from huikuan.portfolio.fields import to_fen
from huikuan.portfolio.ledger import (
    LockedBalances,
    NewEntry,
    append_entries,
    kernel_entry,
    lock_balances,
    refresh_balances,
    reserve_entry_ids,
)

_CHUNK = 2000
_PAYMENT_LABEL = Payment._meta.label_lower
_PAYMENT_COLUMNS = [
    "id", "idempotency_key", "source", "debtor_id", "case_id", "amount", "credit", "paid_on", "reference",
    "status", "created_by_id", "created_at", "reversal_reason",
]  # fmt: skip
_AUDIT_COLUMNS = ["user_id", "subject_type", "subject_id", "action", "before", "after", "at"]
_MESSAGE_COLUMNS = ["kind", "debtor_id", "cause", "created_at"]


class PaymentRejected(ValueError):
    """The ledger cannot take this payment (or reversal, or waiver) as it stands; nothing was written."""

    def __init__(self, messages: Sequence[str], by_key: Mapping[str, Sequence[str]] | None = None) -> None:
        super().__init__("; ".join(messages))
        self.messages = list(messages)
        # Which payments were refused and why, so a file import can name the rows.
        self.by_key = {key: list(problems) for key, problems in (by_key or {}).items()}


class KeyConflict(ValueError):
    """An idempotency key already used for a different payment: a replay must repeat the same facts."""

    def __init__(self, key: str, existing: Payment) -> None:
        super().__init__(f"idempotency key {key!r} was already used for another payment")
        self.key = key
        self.existing = existing


@dataclass(frozen=True)
class PaymentIntent:
    key: str
    debtor_id: int
    amount: Decimal
    paid_on: date
    source: str
    reference: str = ""
    # A payment that names a contract pays that account first, then the others in the policy's order.
    first_account_id: int | None = None


@dataclass
class PostResult:
    """What a batch did, by idempotency key; the rows themselves are read back only when wanted."""

    ids: dict[str, int] = field(default_factory=dict)
    created: set[str] = field(default_factory=set)
    replayed: dict[str, int] = field(default_factory=dict)
    case_ids: set[int] = field(default_factory=set)
    amount: Decimal = ZERO
    credit: Decimal = ZERO
    closed_case_ids: set[int] = field(default_factory=set)


def _case_states(debtor_ids: Iterable[int]) -> dict[int, tuple[int, str]]:
    ids = sorted(set(debtor_ids))
    states: dict[int, tuple[int, str]] = {}
    for start in range(0, len(ids), _CHUNK):
        for case_id, debtor_id, status in Case.objects.filter(debtor_id__in=ids[start : start + _CHUNK]).values_list(
            "id", "debtor_id", "status"
        ):
            states[debtor_id] = (case_id, status)
    return states


def _refresh_cases(debtor_ids: set[int], today: date, before: Mapping[int, tuple[int, str]] | None = None) -> set[int]:
    """Refresh the cases (sync audits any status change); a case this closed gets its thank-you queued."""
    before = _case_states(debtor_ids) if before is None else before
    refresh_cases(debtor_ids, as_of=today)
    after = _case_states(debtor_ids)
    closed = {
        debtor_id
        for debtor_id, (_, status) in after.items()
        if lifecycle.newly_closed(before.get(debtor_id, (0, None))[1], status)
    }
    if closed:
        now = _db_now()
        insert_rows(
            PendingMessage._meta.db_table,
            _MESSAGE_COLUMNS,
            [
                (
                    MessageKind.CASE_CLOSED.value,
                    debtor_id,
                    f"case:{after[debtor_id][0]}:closed:{today.isoformat()}",
                    now,
                )
                for debtor_id in sorted(closed)
            ],
            conflict=["cause"],
        )
    return {after[d][0] for d in closed}


def post_payments(intents: Sequence[PaymentIntent], *, user: Any, policy: PaymentsPolicy, today: date) -> PostResult:
    """Post the payments whose keys are new; a known key is a replay (KeyConflict if its facts differ).

    Intents are allocated in the order given, each against the balances the earlier ones left. Rows are
    written as database values through COPY (PostgreSQL) or executemany, with ids reserved up front so
    a payment, its entries and their links are written in one pass each.
    """
    result = PostResult()
    if not intents:
        return result
    with transaction.atomic():
        ledger = lock_balances(debtor_ids={i.debtor_id for i in intents})
        # Looked up after the lock: a concurrent post for the same debtor has committed by now, so its
        # key is visible and this one is a replay instead of a second payment.
        existing = known_payments(i.key for i in intents)
        for intent in intents:
            known = existing.get(intent.key)
            if known is not None:
                if not same_payment(known, intent):
                    raise KeyConflict(intent.key, Payment.objects.get(pk=known.id))
                result.replayed[intent.key] = known.id
                result.ids[intent.key] = known.id
        cases = _case_states(i.debtor_id for i in intents)
        fresh: list[tuple[PaymentIntent, alloc.Allocation, dict[str, str], dict[str, str]]] = []
        refused: dict[str, list[str]] = {}
        for intent in intents:
            if intent.key in existing or intent.key in result.created:
                continue
            result.created.add(intent.key)
            planned = _allocate(intent, ledger, policy)
            if isinstance(planned, list):
                refused[intent.key] = planned
            else:
                fresh.append(planned)
        if refused:
            raise PaymentRejected(
                [f"{key}: {problem}" for key, problems in refused.items() for problem in problems], refused
            )
        _write_payments(fresh, cases, user, result)
        result.closed_case_ids = _refresh_cases({i.debtor_id for i, *_ in fresh}, today, cases)
    return result


def _write_payments(
    fresh: list[tuple[PaymentIntent, alloc.Allocation, dict[str, str], dict[str, str]]],
    cases: Mapping[int, tuple[int, str]],
    user: Any,
    result: PostResult,
) -> None:
    payment_ids = reserve_ids(Payment, len(fresh))
    entry_ids = iter(reserve_entry_ids(sum(len(a.entries) for _, a, _, _ in fresh)))
    now = _db_now()
    user_id = user.pk if getattr(user, "is_authenticated", False) else None
    payments: list[tuple[object, ...]] = []
    entries: list[NewEntry] = []
    links: list[tuple[object, ...]] = []
    audit: list[tuple[object, ...]] = []
    messages: list[tuple[object, ...]] = []
    touched: set[int] = set()
    for payment_id, (intent, allocation, before, after) in zip(payment_ids, fresh, strict=True):
        case_id = cases.get(intent.debtor_id, (None, ""))[0]
        paid_on = intent.paid_on.isoformat()
        payments.append(
            (payment_id, intent.key, intent.source, intent.debtor_id, case_id, to_fen(intent.amount),
             to_fen(allocation.credit), paid_on, intent.reference, PaymentStatus.POSTED.value, user_id, now, "")
        )  # fmt: skip
        for account_id, entry in allocation.entries:
            entry_id = next(entry_ids)
            touched.add(int(account_id))
            # The entry's reference names the payment: the allocation's own is the idempotency key.
            posted = replace(entry, reference=f"payment:{payment_id}")
            entries.append(NewEntry(int(account_id), posted, intent.paid_on, intent.reference, user_id, id=entry_id))
            links.append((payment_id, entry_id, EntryRole.ALLOCATION.value))
        audit.append(
            (user_id, _PAYMENT_LABEL, str(payment_id), "payment:posted", json.dumps(before), json.dumps(after), now)
        )
        messages.append((MessageKind.PAYMENT_CONFIRMATION.value, intent.debtor_id, f"payment:{payment_id}", now))
        result.ids[intent.key] = payment_id
        result.amount += intent.amount
        result.credit += allocation.credit
        if case_id is not None:
            result.case_ids.add(case_id)
    # ON CONFLICT (id) only: a racing insert of the same idempotency key still fails on its unique
    # index, which the single-payment caller turns into a replay and an import into a failed import.
    insert_rows(Payment._meta.db_table, _PAYMENT_COLUMNS, payments, conflict=["id"])
    append_entries(entries)
    insert_rows(PaymentEntry._meta.db_table, ["payment_id", "entry_id", "role"], links, conflict=["entry_id"])
    refresh_balances(touched)
    insert_rows(ChangeLog._meta.db_table, _AUDIT_COLUMNS, audit, conflict=["id"])
    insert_rows(PendingMessage._meta.db_table, _MESSAGE_COLUMNS, messages, conflict=["cause"])


def _user_id(user: Any) -> int | None:
    return user.pk if getattr(user, "is_authenticated", False) else None


def _db_now() -> Any:
    return connection.ops.adapt_datetimefield_value(clock.now())


class KnownPayment(NamedTuple):
    """The facts of a posted payment that a replay must repeat; read without building model objects."""

    id: int
    amount: Decimal
    debtor_id: int
    paid_on: date


def same_payment(payment: Payment | KnownPayment, intent: PaymentIntent) -> bool:
    return (payment.amount, payment.debtor_id, payment.paid_on) == (
        intent.amount,
        intent.debtor_id,
        intent.paid_on,
    )


def known_payments(keys: Iterable[str]) -> dict[str, KnownPayment]:
    wanted = sorted(set(keys))
    found: dict[str, KnownPayment] = {}
    for start in range(0, len(wanted), _CHUNK):
        rows = Payment.objects.filter(idempotency_key__in=wanted[start : start + _CHUNK]).values_list(
            "idempotency_key", "id", "amount", "debtor_id", "paid_on"
        )
        for key, payment_id, amount, debtor_id, paid_on in rows:
            found[key] = KnownPayment(payment_id, amount, debtor_id, paid_on)
    return found


def _allocate(
    intent: PaymentIntent, ledger: LockedBalances, policy: PaymentsPolicy
) -> tuple[PaymentIntent, alloc.Allocation, dict[str, str], dict[str, str]] | list[str]:
    accounts = ledger.kernel_accounts(intent.debtor_id)
    order: alloc.AccountOrder | list[str] = policy.account_order
    if intent.first_account_id is not None:
        if intent.first_account_id not in ledger.balances:
            return [f"account {intent.first_account_id} is not the debtor's"]
        order = [str(intent.first_account_id)]
        if policy.account_order is not alloc.AccountOrder.OLDEST_DUE_FIRST:
            rest, _ = alloc.order_accounts(accounts, policy.account_order)
            order += [a.account_id for a in rest]
    allocation, errors = alloc.allocate_payment(
        accounts, intent.amount, intent.key, component_order=policy.component_order, account_order=order
    )
    if allocation is None:
        return [e.message for e in errors]
    # The kernel never clears more than a component holds (property-tested), so the entries are applied
    # without a second validation; the audit keeps only the components that moved.
    before: dict[str, str] = {}
    after: dict[str, str] = {}
    for account_id, entry in allocation.entries:
        old = ledger.balances[int(account_id)]
        new = apply(old, entry)
        ledger.balances[int(account_id)] = new
        for component in entry.deltas:
            before[f"{account_id}.{component.value}"] = str(old.get(component))
            after[f"{account_id}.{component.value}"] = str(new.get(component))
        before[f"{account_id}.total"], after[f"{account_id}.total"] = str(old.total), str(new.total)
    return intent, allocation, before, after


def reverse_posted(payment: Payment, *, user: Any, reason: str, today: date) -> set[int]:
    """Undo a posted payment entry by entry (a bounced transfer); returns the cases this closed (none)."""
    with transaction.atomic():
        links = list(
            PaymentEntry.objects.filter(payment=payment, role=EntryRole.ALLOCATION)
            .select_related("entry")
            .order_by("entry__account_id")
        )
        ledger = lock_balances(account_ids=[link.entry.account_id for link in links])
        planned = [(link.entry, reversal_of(kernel_entry(link.entry), payment.reversal_reference)) for link in links]
        touched = [original.account_id for original, _ in planned]
        before = ledger.document(touched)
        problems = ledger.move((original.account_id, entry) for original, entry in planned)
        if problems:
            raise PaymentRejected(problems)
        ids = reserve_entry_ids(len(planned))
        append_entries(
            [
                NewEntry(original.account_id, entry, today, reason, _user_id(user), original.pk, id=entry_id)
                for entry_id, (original, entry) in zip(ids, planned, strict=True)
            ]
        )
        PaymentEntry.objects.bulk_create(
            [PaymentEntry(payment=payment, entry_id=entry_id, role=EntryRole.REVERSAL) for entry_id in ids]
        )
        refresh_balances(touched)
        payment.status = PaymentStatus.REVERSED
        payment.reversed_at = clock.now()
        payment.reversed_by = user if getattr(user, "is_authenticated", False) else None
        payment.reversal_reason = reason[:200]
        payment.save(update_fields=["status", "reversed_at", "reversed_by", "reversal_reason"])
        after = ledger.document(touched)
        ChangeLog.objects.bulk_create(
            [
                change_record(
                    user,
                    payment,
                    "payment:reversed",
                    before | {"status": "posted"},
                    after | {"status": "reversed"},
                )
            ]
        )
        return _refresh_cases({payment.debtor_id}, today)


def write_waiver(request: WaiverRequest, *, user: Any, policy: PaymentsPolicy, today: date) -> set[int]:
    """Write an approved waiver off as WAIVER entries, penalty first, across the debtor's accounts."""
    with transaction.atomic():
        debtor_id = request.case.debtor_id
        ledger = lock_balances(debtor_ids=[debtor_id])
        allocation, errors = alloc.allocate_waiver(
            ledger.kernel_accounts(debtor_id),
            request.penalty,
            request.fee,
            request.ledger_reference,
            account_order=policy.account_order,
        )
        if allocation is None:
            raise PaymentRejected([e.message for e in errors])
        touched = [int(a) for a, _ in allocation.entries]
        before = ledger.document(touched)
        problems = ledger.move(allocation.entries)
        if problems:
            raise PaymentRejected(problems)
        append_entries([NewEntry(int(a), e, today, request.reason, _user_id(user)) for a, e in allocation.entries])
        refresh_balances(touched)
        ChangeLog.objects.bulk_create(
            [change_record(user, request, "waiver:applied", before, ledger.document(touched))]
        )
        return _refresh_cases({debtor_id}, today)
