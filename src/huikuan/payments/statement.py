"""Bank statement import: every row a payment, all rows posted or none.

Reading, column mapping and the row-error report are shared with the account import (tabular/); what
is new here is the meaning of a row. The bank's transaction id is the idempotency key, so importing a
statement twice, or two overlapping statements, posts each transaction once. Rows are validated
first, payers resolved in bulk, and then the whole file is allocated and written in one transaction
through the same posting code as a manual payment.

A row's date is checked against its debtor's today, as a manual payment's is, and each debtor's payments
are posted (their case refreshed, their promises and plans settled) as of that day: a file read just
after midnight in Shanghai holds Los Angeles debtors for whom it is still yesterday.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from huikuan import clock
from huikuan.kernel import intake, text
from huikuan.kernel.localtime import local_days, possible_days
from huikuan.kernel.money import MoneyError, parse_amount
from huikuan.payments.models import CLIENT_KEY_LIMIT, Payment, PaymentSource, source_key
from huikuan.payments.policy import PaymentsPolicy, current_policy
from huikuan.payments.posting import (
    KeyConflict,
    PaymentIntent,
    PaymentRejected,
    PostResult,
    known_payments,
    post_payments,
    same_payment,
)
from huikuan.payments.settlement import settle_cases
from huikuan.portfolio.models import Account, Debtor, default_time_zone
from huikuan.tabular.reading import ColumnMapping, ImportFileError, Unreadable, mapped_rows, unreadable_error
from huikuan.tabular.reports import error_lines, error_rows, errors_csv

REQUIRED = ("transaction_id", "amount", "paid_on")
OPTIONAL = ("contract_no", "customer_no", "payer_name", "memo")
FIELDS = REQUIRED + OPTIONAL
_CHUNK = 5000


def field_limits() -> dict[str, int]:
    """Each text field of a statement → the most characters it may hold: a transaction id is a caller's
    idempotency key, the memo is the payment's reference, the numbers are looked up in their columns."""
    return {
        "transaction_id": CLIENT_KEY_LIMIT,
        "memo": int(Payment._meta.get_field("reference").max_length or 0),
        "contract_no": int(Account._meta.get_field("contract_no").max_length or 0),
        "customer_no": int(Debtor._meta.get_field("customer_no").max_length or 0),
    }


@dataclass(frozen=True)
class StatementRow:
    row: int
    transaction_id: str
    amount: Decimal
    paid_on: date
    contract_no: str
    customer_no: str
    memo: str
    paid_on_text: str = ""  # as written in the file, for the error report


@dataclass
class StatementReport:
    rows: int = 0
    errors: list[intake.RowError] = field(default_factory=list)
    posted: int = 0
    replayed: int = 0
    amount: Decimal = Decimal("0.00")
    credit: Decimal = Decimal("0.00")
    closed_cases: int = 0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def error_lines(self) -> list[str]:
        return error_lines(self.errors)

    def errors_csv(self) -> str:
        return errors_csv(self.errors)

    def error_rows(self) -> list[list[str | int]]:
        """The report as a table for the one writer (tabular/writing.py): header, then one row per error."""
        return error_rows(self.errors)

    def summary(self) -> str:
        if not self.ok:
            return _("%(count)s problem(s) in %(rows)s rows; nothing was posted.") % {
                "count": len(self.errors),
                "rows": self.rows,
            }
        verb = _("would post") if self.dry_run else _("posted")
        return _(
            "%(verb)s %(posted)s payments totalling %(amount)s (%(credit)s kept as credit); "
            "%(replayed)s already posted; %(closed)s cases closed."
        ) % {
            "verb": verb,
            "posted": self.posted,
            "amount": self.amount,
            "credit": self.credit,
            "replayed": self.replayed,
            "closed": self.closed_cases,
        }


def parse_rows(
    path: Path, mapping: ColumnMapping, latest: date
) -> tuple[list[StatementRow], list[intake.RowError], int]:
    """Validated rows, the row errors and the number of rows read.

    ``latest`` is the latest day it is anywhere: a date after it is in the future for every debtor. A date
    that is in the future only for some is checked once the row's debtor is known.
    """
    columns = dict(mapping.columns)
    missing, body = mapped_rows(path, mapping, REQUIRED)
    if missing:
        return [], missing, 0
    rows: list[StatementRow] = []
    errors: list[intake.RowError] = []
    first_row: dict[str, int] = {}
    limits = field_limits()
    count = 0
    for number, raw in body:
        count += 1
        if isinstance(raw, Unreadable):
            errors.append(unreadable_error(number, raw))
            break
        row, problems = _parse_row(number, raw, columns, limits, latest, first_row)
        if row is None:
            errors.extend(problems)
        else:
            rows.append(row)
    return rows, errors, count


def _parse_row(
    number: int,
    raw: dict[str, str],
    columns: dict[str, str],
    limits: dict[str, int],
    latest: date,
    first_row: dict[str, int],
) -> tuple[StatementRow | None, list[intake.RowError]]:
    """One statement row, or its errors; ``first_row`` keeps where each transaction id was first seen."""
    values = {name: value.strip() for name, value in raw.items()}
    problems: list[intake.RowError] = []
    # A cell that cannot be stored is reported for what it is and read as empty by the checks below,
    # which then say nothing more about it.
    bad = text.cell_problems(values, limits)

    def problem(name: str, code: str, params: dict[str, str] | None = None) -> None:
        value = text.visible(values.get(name, ""))
        problems.append(intake.RowError(number, columns.get(name, name), value, code, params or {}))

    for name, found in bad.items():
        problem(name, found.code, dict(found.params))
    get = {name: "" if name in bad else value for name, value in values.items()}.get

    txn = get("transaction_id", "")
    if not txn:
        if "transaction_id" not in bad:
            problem("transaction_id", "required")
    elif txn in first_row:
        problem("transaction_id", "duplicate_transaction", {"first_row": str(first_row[txn])})
    else:
        first_row[txn] = number
    amount: Decimal | None = None
    cell = get("amount", "")
    if not cell:
        if "amount" not in bad:
            problem("amount", "required")
    else:
        try:
            amount = parse_amount(cell)
        except MoneyError:
            problem("amount", "amount")
        else:
            if amount <= 0:
                problem("amount", "zero")
    paid_on: date | None = None
    cell = get("paid_on", "")
    if not cell:
        if "paid_on" not in bad:
            problem("paid_on", "required")
    else:
        paid_on = intake.parse_date(cell)
        if paid_on is None:
            problem("paid_on", "date")
        elif paid_on > latest:
            problem("paid_on", "future_date")
    contract, customer = get("contract_no", ""), get("customer_no", "")
    if not contract and not customer and not {"contract_no", "customer_no"} & bad.keys():
        problem("contract_no" if "contract_no" in columns else "customer_no", "payer_required")
    if problems or amount is None or paid_on is None:
        return None, problems
    # The date as written goes with the row: whether it is in the future for its debtor is known only
    # once the debtor is, and the report then shows what the file said.
    written = text.visible(values.get("paid_on", ""))
    return StatementRow(number, txn, amount, paid_on, contract, customer, get("memo", ""), written), []


def _resolve(
    rows: list[StatementRow], columns: dict[str, str], now: datetime
) -> tuple[list[tuple[StatementRow, int, int | None]], list[intake.RowError], dict[int, date]]:
    """Each row's debtor (and named account), looked up in bulk, and each debtor's today at ``now``.

    A row dated after its debtor's today is refused here, as the manual payment is.
    """
    contracts = sorted({r.contract_no for r in rows if r.contract_no})
    customers = sorted({r.customer_no for r in rows if r.customer_no})
    today_in = local_days(now, default_time_zone())
    days: dict[int, date] = {}
    by_contract: dict[str, tuple[int, int, str]] = {}
    for start in range(0, len(contracts), _CHUNK):
        for number, account_id, debtor_id, customer_no, zone in Account.objects.filter(
            contract_no__in=contracts[start : start + _CHUNK]
        ).values_list("contract_no", "id", "debtor_id", "debtor__customer_no", "debtor__time_zone"):
            by_contract[number] = (account_id, debtor_id, customer_no)
            days[debtor_id] = today_in(zone)
    by_customer: dict[str, int] = {}
    for start in range(0, len(customers), _CHUNK):
        for customer_no, debtor_id, zone in Debtor.objects.filter(
            customer_no__in=customers[start : start + _CHUNK]
        ).values_list("customer_no", "id", "time_zone"):
            by_customer[customer_no] = debtor_id
            days[debtor_id] = today_in(zone)
    resolved: list[tuple[StatementRow, int, int | None]] = []
    errors: list[intake.RowError] = []
    for r in rows:
        if r.contract_no:
            found = by_contract.get(r.contract_no)
            if found is None:
                errors.append(
                    intake.RowError(r.row, columns.get("contract_no", "contract_no"), r.contract_no, "unknown_contract")
                )
                continue
            account_id, debtor_id, customer_no = found
            if r.customer_no and r.customer_no != customer_no:
                errors.append(
                    intake.RowError(
                        r.row, columns.get("customer_no", "customer_no"), r.customer_no, "contract_customer"
                    )
                )
                continue
            resolved.append((r, debtor_id, account_id))
        else:
            debtor = by_customer.get(r.customer_no)
            if debtor is None:
                errors.append(
                    intake.RowError(r.row, columns.get("customer_no", "customer_no"), r.customer_no, "unknown_customer")
                )
                continue
            resolved.append((r, debtor, None))
    future = [(r, d, a) for r, d, a in resolved if r.paid_on > days[d]]
    errors.extend(
        intake.RowError(r.row, columns.get("paid_on", "paid_on"), r.paid_on_text, "future_date") for r, _, _ in future
    )
    return [item for item in resolved if item not in future], errors, days


def import_statement(
    path: Path, mapping: ColumnMapping | None = None, *, dry_run: bool = False, user: Any = None
) -> StatementReport:
    mapping = mapping or ColumnMapping.identity(FIELDS)
    columns = dict(mapping.columns)
    now = clock.now()
    report = StatementReport(dry_run=dry_run)
    rows, errors, report.rows = parse_rows(path, mapping, possible_days(now)[1])
    if not report.rows and not errors:
        raise ImportFileError(_("The file has a header but no rows under it: nothing to import."))
    report.errors.extend(errors)
    resolved, errors, days = _resolve(rows, columns, now)
    report.errors.extend(errors)
    intents = [
        PaymentIntent(
            key=source_key(PaymentSource.BANK_STATEMENT, r.transaction_id),
            debtor_id=debtor_id,
            amount=r.amount,
            paid_on=r.paid_on,
            source=PaymentSource.BANK_STATEMENT,
            reference=r.memo or r.transaction_id,
            first_account_id=account_id,
        )
        for r, debtor_id, account_id in resolved
    ]
    report.errors.extend(_conflicts(intents, resolved, columns))
    if not report.ok:
        report.errors.sort(key=lambda e: e.row)
        return report
    policy = current_policy()
    try:
        # The command's (and a task's) entry point: the statement is committed, or nothing of it, on return.
        with transaction.atomic(durable=True):
            result = _post_by_day(intents, days, user, policy)
            report.posted, report.replayed = len(result.created), len(result.replayed)
            report.amount, report.credit = result.amount, result.credit
            report.closed_cases = len(result.closed_case_ids)
            if dry_run:
                # Everything ran for real so the figures are exact; rolling back leaves no trace.
                transaction.set_rollback(True)
    except PaymentRejected as exc:
        report.errors.extend(_refused_rows(exc, intents, resolved, columns))
    except KeyConflict as exc:
        # Another import posted this transaction with other facts after _conflicts looked.
        report.errors.extend(_conflict_rows({exc.key}, intents, resolved, columns))
    except IntegrityError as exc:
        # Another import posted some of these transactions while this one ran: nothing of this one stays.
        raise ImportFileError(_("Another import posted the same transactions meanwhile; run it again.")) from exc
    return report


def _post_by_day(intents: list[PaymentIntent], days: dict[int, date], user: Any, policy: PaymentsPolicy) -> PostResult:
    """Post and settle each debtor's payments as of the debtor's today: one batch per day (usually one).

    Different debtors' payments do not touch each other's balances, so batching them by day allocates
    exactly as one batch would. Every batch is tried before a refusal is raised, so the report names
    every refused row.
    """
    by_day: dict[date, list[PaymentIntent]] = defaultdict(list)
    for intent in intents:
        by_day[days[intent.debtor_id]].append(intent)
    total = PostResult()
    refused: list[str] = []
    refused_by_key: dict[str, list[str]] = {}
    for day, batch in sorted(by_day.items()):
        try:
            result = post_payments(batch, user=user, policy=policy, today=day)
        except PaymentRejected as exc:
            refused.extend(exc.messages)
            refused_by_key.update(exc.by_key)
            continue
        settle_cases(result.case_ids, day, policy)
        total.ids.update(result.ids)
        total.created |= result.created
        total.replayed.update(result.replayed)
        total.case_ids |= result.case_ids
        total.amount += result.amount
        total.credit += result.credit
        total.closed_case_ids |= result.closed_case_ids
    if refused:
        raise PaymentRejected(refused, refused_by_key)
    return total


def _refused_rows(
    exc: PaymentRejected,
    intents: list[PaymentIntent],
    resolved: list[tuple[StatementRow, int, int | None]],
    columns: dict[str, str],
) -> list[intake.RowError]:
    """The rows whose payment the ledger refused, each with the ledger's reason."""
    rows = {intent.key: r for intent, (r, _, _) in zip(intents, resolved, strict=True)}
    errors = [
        intake.RowError(
            rows[key].row, columns.get("amount", "amount"), str(rows[key].amount), "not_allocatable",
            {"detail": "; ".join(problems)},
        )
        for key, problems in exc.by_key.items()
        if key in rows
    ]  # fmt: skip
    return sorted(errors, key=lambda e: e.row) or [intake.RowError(0, "", "", "not_allocatable", {"detail": str(exc)})]


def _conflicts(
    intents: list[PaymentIntent],
    resolved: list[tuple[StatementRow, int, int | None]],
    columns: dict[str, str],
) -> list[intake.RowError]:
    """Rows whose transaction was posted before with other facts: a replay must repeat them exactly."""
    known = known_payments(i.key for i in intents)
    keys = {i.key for i in intents if i.key in known and not same_payment(known[i.key], i)}
    return _conflict_rows(keys, intents, resolved, columns)


def _conflict_rows(
    keys: set[str],
    intents: list[PaymentIntent],
    resolved: list[tuple[StatementRow, int, int | None]],
    columns: dict[str, str],
) -> list[intake.RowError]:
    return [
        intake.RowError(r.row, columns.get("transaction_id", "transaction_id"), r.transaction_id, "key_conflict")
        for intent, (r, _, _) in zip(intents, resolved, strict=True)
        if intent.key in keys
    ]
