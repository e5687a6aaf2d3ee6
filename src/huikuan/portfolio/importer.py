"""Account import from CSV/XLSX: read, map columns, validate every row, then write all or nothing.

The write is bulk (a few statements per 2,000 rows) inside one transaction. Re-importing a file changes
nothing: debtors and accounts are upserted by their numbers, and balances move only by the difference
between the file and the ledger, posted as entries whose reference names the target state.
"""

from __future__ import annotations

import csv
import hashlib
import io
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huikuan.cases.sync import Assignment, refresh_cases
from huikuan.kernel import intake
from huikuan.kernel.ledger import Component, EntryKind
from huikuan.kernel.pii import hash_id_number
from huikuan.org.models import Team, User
from huikuan.portfolio.bulkwrite import insert_rows, upsert_ids
from huikuan.portfolio.fields import to_fen
from huikuan.portfolio.ledger import entry_row, insert_entries, open_balances, refresh_balances
from huikuan.portfolio.models import Account, AccountBalance, ContactPoint, Debtor, ImportBatch

_BATCH = 5000
_COMPONENT_KINDS = {
    Component.PRINCIPAL: EntryKind.PRINCIPAL,
    Component.INTEREST: EntryKind.INTEREST,
    Component.FEE: EntryKind.FEE,
    Component.PENALTY: EntryKind.PENALTY,
}


class ImportFileError(ValueError):
    """The file as a whole cannot be read (format, encoding, mapping)."""


@dataclass(frozen=True)
class ColumnMapping:
    """Canonical field → column title in the user's file, plus the file's conventions."""

    columns: Mapping[str, str]
    sheet: str | None = None
    encoding: str | None = None

    @classmethod
    def identity(cls, fields: Sequence[str] = intake.FIELDS) -> ColumnMapping:
        return cls({name: name for name in fields})

    @classmethod
    def load(cls, path: Path, fields: Sequence[str] = intake.FIELDS) -> ColumnMapping:
        return cls.parse(path.read_text(encoding="utf-8"), fields)

    @classmethod
    def parse(cls, text: str, fields: Sequence[str] = intake.FIELDS) -> ColumnMapping:
        """``fields`` are the canonical names this kind of file knows (accounts, bank statement)."""
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise ImportFileError(_("The mapping file is not valid YAML: %(error)s") % {"error": exc}) from exc
        columns = data.get("columns") if isinstance(data, dict) else None
        if not isinstance(columns, dict):
            raise ImportFileError(_("The mapping file needs a 'columns' section: field: column title"))
        unknown = sorted(set(columns) - set(fields))
        if unknown:
            raise ImportFileError(
                _("The mapping names unknown fields: %(fields)s. Known fields: %(known)s")
                % {"fields": ", ".join(map(str, unknown)), "known": ", ".join(fields)}
            )
        return cls({str(k): str(v) for k, v in columns.items()}, data.get("sheet"), data.get("encoding"))


@dataclass
class ImportReport:
    rows: int = 0
    errors: list[intake.RowError] = field(default_factory=list)
    debtors_created: int = 0
    accounts_created: int = 0
    accounts_updated: int = 0
    entries_posted: int = 0
    cases_created: int = 0
    dry_run: bool = False
    batch_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def errors_with_reasons(self) -> list[tuple[intake.RowError, str]]:
        return [(e, reason(e)) for e in self.errors]

    def error_lines(self) -> list[str]:
        return error_lines(self.errors)

    def errors_csv(self) -> str:
        return errors_csv(self.errors)

    def summary(self) -> str:
        if not self.ok:
            return _("%(count)s problem(s) in %(rows)s rows; nothing was imported.") % {
                "count": len(self.errors),
                "rows": self.rows,
            }
        verb = _("would import") if self.dry_run else _("imported")
        return _(
            "%(verb)s %(rows)s rows: %(debtors)s new debtors, %(new)s new accounts, %(updated)s updated "
            "accounts, %(entries)s ledger entries, %(cases)s new cases."
        ) % {
            "verb": verb,
            "rows": self.rows,
            "debtors": self.debtors_created,
            "new": self.accounts_created,
            "updated": self.accounts_updated,
            "entries": self.entries_posted,
            "cases": self.cases_created,
        }


def error_lines(errors: Iterable[intake.RowError]) -> list[str]:
    """One translated line per row error; shared by every file import."""
    return [
        _("Row %(row)s, column %(column)s, value “%(value)s”: %(reason)s")
        % {"row": e.row, "column": e.column, "value": e.value, "reason": reason(e)}
        for e in errors
    ]


def errors_csv(errors: Iterable[intake.RowError]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_("row"), _("column"), _("value"), _("reason")])
    for e in errors:
        writer.writerow([e.row, e.column, e.value, reason(e)])
    return buffer.getvalue()


def reason(error: intake.RowError) -> str:
    messages = {
        "required": _("a value is required"),
        "choice": _("not one of the allowed values (%(allowed)s)"),
        "amount": _("not an amount (digits with at most two decimals)"),
        "negative": _("must not be negative"),
        "zero": _("must be greater than zero"),
        "rate": _("not a rate (a decimal such as 0.18 or a percentage such as 18%%)"),
        "date": _("not a date (use YYYY-MM-DD, YYYY/MM/DD or YYYY年M月D日)"),
        "phone": _("not a valid phone number"),
        "email": _("not a valid e-mail address"),
        "id_number": _("not a valid ID number (%(detail)s)"),
        "before_open": _("due date is before the open date %(open_date)s"),
        "time_zone": _("not a known time zone (e.g. Asia/Shanghai)"),
        "duplicate": _("contract number already appears in row %(first_row)s"),
        "name_conflict": _("customer %(customer_no)s has another name in row %(first_row)s"),
        "missing_column": _("the file has no column for this required field"),
        # Bank statements (payments/statement.py).
        "duplicate_transaction": _("transaction already appears in row %(first_row)s"),
        "unknown_contract": _("no account has this contract number"),
        "unknown_customer": _("no debtor has this customer number"),
        "contract_customer": _("the contract belongs to another customer"),
        "payer_required": _("give a contract number or a customer number"),
        "future_date": _("the payment date is in the future"),
        "key_conflict": _("this transaction was already posted with another amount, date or payer"),
        "not_allocatable": _("the payment cannot be allocated: %(detail)s"),
    }
    template = messages.get(error.code, error.code)
    return template % dict(error.params) if error.params else template.replace("%%", "%")


def read_table(path: Path, mapping: ColumnMapping) -> tuple[list[str], Iterator[list[str]]]:
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        return _read_xlsx(path, mapping.sheet)
    if suffix in {".csv", ".txt"}:
        return _read_csv(path, mapping.encoding)
    raise ImportFileError(_("Unsupported file type %(suffix)s: use .csv or .xlsx") % {"suffix": suffix})


def _read_csv(path: Path, encoding: str | None) -> tuple[list[str], Iterator[list[str]]]:
    raw = path.read_bytes()
    for candidate in [encoding] if encoding else ["utf-8-sig", "gb18030"]:
        try:
            text = raw.decode(candidate)
            break
        except (UnicodeDecodeError, LookupError):
            continue
    else:
        raise ImportFileError(_("The file is neither UTF-8 nor GB18030 text"))
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise ImportFileError(_("The file is empty"))
    return [h.strip() for h in header], reader


def _read_xlsx(path: Path, sheet: str | None) -> tuple[list[str], Iterator[list[str]]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many unrelated types for a damaged file
        raise ImportFileError(_("The spreadsheet cannot be read: %(error)s") % {"error": exc}) from exc
    if sheet and sheet not in book.sheetnames:
        raise ImportFileError(_("The spreadsheet has no sheet named %(sheet)s") % {"sheet": sheet})
    ws = book[sheet] if sheet else book.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        raise ImportFileError(_("The file is empty"))
    return [intake.excel_value(h).strip() for h in header], ([intake.excel_value(v) for v in row] for row in rows)


def mapped_rows(
    path: Path, mapping: ColumnMapping, required: Sequence[str]
) -> tuple[list[intake.RowError], Iterator[tuple[int, dict[str, str]]]]:
    """The file's non-empty rows as (row number, canonical field → text), or the missing columns.

    Row numbers count the header as row 1, as a spreadsheet shows them.
    """
    header, body = read_table(path, mapping)
    headers = dict(mapping.columns)
    position = {title: i for i, title in enumerate(header)}
    missing = [
        intake.RowError(1, headers.get(f, f), "", "missing_column") for f in required if headers.get(f) not in position
    ]
    if missing:
        return missing, iter(())
    indexes = {f: position[t] for f, t in headers.items() if t in position}

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for number, values in enumerate(body, start=2):
            if not any(v.strip() for v in values):
                continue
            yield number, {f: values[i] if i < len(values) else "" for f, i in indexes.items()}

    return [], rows()


def validate_file(path: Path, mapping: ColumnMapping) -> tuple[list[intake.AccountRow], ImportReport]:
    headers = dict(mapping.columns)
    report = ImportReport()
    missing, body = mapped_rows(path, mapping, intake.REQUIRED)
    if missing:
        report.errors.extend(missing)
        return [], report
    ctx = intake.RowContext(region=settings.DEFAULT_PHONE_REGION, default_currency=settings.DEFAULT_CURRENCY)
    rows: list[intake.AccountRow] = []
    for number, raw in body:
        report.rows += 1
        record, errors = intake.validate_row(number, raw, headers, ctx)
        if record is not None:
            rows.append(record)
        report.errors.extend(errors)
    report.errors.extend(intake.check_file_rows(rows, headers))
    report.errors.sort(key=lambda e: e.row)
    return rows, report


def import_accounts(
    path: Path, mapping: ColumnMapping | None = None, *, dry_run: bool = False, user: Any = None
) -> ImportReport:
    mapping = mapping or ColumnMapping.identity()
    rows, report = validate_file(path, mapping)
    report.dry_run = dry_run
    if not report.ok:
        return report
    teams, collectors, errors = _resolve_people(rows, mapping)
    if errors:
        report.errors.extend(errors)
        return report
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with transaction.atomic():
        _write(rows, report, teams, collectors)
        batch = ImportBatch.objects.create(
            file_name=path.name,
            sha256=digest,
            rows=report.rows,
            debtors_created=report.debtors_created,
            accounts_created=report.accounts_created,
            accounts_updated=report.accounts_updated,
            entries_posted=report.entries_posted,
            cases_created=report.cases_created,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        report.batch_id = batch.pk
        if dry_run:
            # Everything ran for real so the counts are exact; rolling back leaves no trace.
            transaction.set_rollback(True)
            report.batch_id = None
    return report


def import_upload(
    file_name: str, chunks: Iterable[bytes], mapping_text: str | None, *, dry_run: bool, user: Any
) -> ImportReport:
    """An uploaded file (web form or API) imported like a file on disk; the copy is deleted after."""
    mapping = ColumnMapping.parse(mapping_text) if mapping_text else None
    suffix = Path(file_name or "upload.csv").suffix.lower()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        with path.open("wb") as handle:
            for part in chunks:
                handle.write(part)
        return import_accounts(path, mapping, dry_run=dry_run, user=user)


def _resolve_people(
    rows: list[intake.AccountRow], mapping: ColumnMapping
) -> tuple[dict[str, int], dict[str, tuple[int, int | None]], list[intake.RowError]]:
    team_names = {r.team for r in rows if r.team}
    usernames = {r.collector for r in rows if r.collector}
    teams = dict(Team.objects.filter(name__in=team_names).values_list("name", "id"))
    collectors: dict[str, tuple[int, int | None]] = {
        u: (pk, team)
        for u, pk, team in User.objects.filter(username__in=usernames).values_list("username", "id", "team_id")
    }
    errors = []
    for r in rows:
        if r.team and r.team not in teams:
            errors.append(
                intake.RowError(
                    r.row,
                    mapping.columns.get("team", "team"),
                    r.team,
                    "choice",
                    {"allowed": ", ".join(sorted(teams)) or "-"},
                )
            )
        if r.collector and r.collector not in collectors:
            errors.append(
                intake.RowError(
                    r.row,
                    mapping.columns.get("collector", "collector"),
                    r.collector,
                    "choice",
                    {"allowed": _("existing user names")},
                )
            )
    return teams, collectors, errors


def _write(
    rows: list[intake.AccountRow],
    report: ImportReport,
    teams: Mapping[str, int],
    collectors: Mapping[str, tuple[int, int | None]],
) -> None:
    today = timezone.localdate()
    touched_debtors: set[int] = set()
    assignments: dict[int, Assignment] = {}
    for start in range(0, len(rows), _BATCH):
        chunk = rows[start : start + _BATCH]
        debtor_ids = _upsert_debtors(chunk, report)
        _insert_contacts(chunk, debtor_ids)
        account_ids, existing = _upsert_accounts(chunk, debtor_ids, report)
        report.entries_posted += _post_differences(chunk, account_ids, existing, today)
        touched_debtors.update(debtor_ids.values())
        for r in chunk:
            collector = collectors.get(r.collector) if r.collector else None
            team_id = teams.get(r.team) if r.team else (collector[1] if collector else None)
            if team_id is not None or collector is not None:
                assignments[debtor_ids[r.customer_no]] = Assignment(team_id, collector[0] if collector else None)
        refresh_balances(account_ids.values())
    report.cases_created = refresh_cases(touched_debtors, today, assignments).created


def _fen(value: Decimal | None) -> int | None:
    return None if value is None else to_fen(value)


def _upsert_debtors(chunk: list[intake.AccountRow], report: ImportReport) -> dict[str, int]:
    key = settings.PII_HASH_KEY
    first: dict[str, intake.AccountRow] = {}
    for r in chunk:
        first.setdefault(r.customer_no, r)
    now = timezone.now()
    columns = [
        "customer_no",
        "kind",
        "name",
        "gender",
        "id_type",
        "id_hash",
        "id_last4",
        "employer",
        "monthly_income",
        "address",
        "time_zone",
        "preferred_language",
        "created_at",
        "updated_at",
    ]
    rows = [
        (
            r.customer_no,
            r.debtor_kind,
            r.name,
            r.gender,
            r.id_type,
            hash_id_number(r.id_number, key) if r.id_number else "",
            r.id_number[-4:],
            r.employer,
            _fen(r.monthly_income),
            r.address,
            r.time_zone,
            r.language,
            now,
            now,
        )
        for r in first.values()
    ]
    ids, existing = upsert_ids(
        Debtor,
        columns,
        rows,
        key="customer_no",
        update=[c for c in columns if c not in ("customer_no", "created_at")],
    )
    report.debtors_created += len(first) - len(existing)
    return ids


def _insert_contacts(chunk: list[intake.AccountRow], debtor_ids: Mapping[str, int]) -> None:
    now = timezone.now()
    rows = [
        (
            debtor_ids[r.customer_no],
            c.kind,
            c.value,
            c.relation,
            c.name,
            "unverified",
            False,
            "",
            "import",
            now,
        )
        for r in chunk
        for c in r.contacts
    ]
    insert_rows(
        ContactPoint._meta.db_table,
        [
            "debtor_id",
            "kind",
            "value",
            "relation",
            "contact_name",
            "validity",
            "do_not_contact",
            "dnc_reason",
            "source",
            "created_at",
        ],
        rows,
        conflict=["debtor_id", "kind", "value"],
    )


def _upsert_accounts(
    chunk: list[intake.AccountRow], debtor_ids: Mapping[str, int], report: ImportReport
) -> tuple[dict[str, int], set[str]]:
    numbers = [r.contract_no for r in chunk]
    now = timezone.now()
    columns = [
        "debtor_id",
        "contract_no",
        "product",
        "currency",
        "original_amount",
        "open_date",
        "due_date",
        "annual_interest_rate",
        "daily_penalty_rate",
        "created_at",
        "updated_at",
    ]
    rows = [
        (
            debtor_ids[r.customer_no],
            r.contract_no,
            r.product,
            r.currency,
            to_fen(r.original_amount),
            r.open_date.isoformat(),
            r.due_date.isoformat(),
            str(r.annual_interest_rate),
            str(r.daily_penalty_rate),
            now,
            now,
        )
        for r in chunk
    ]
    ids, existing = upsert_ids(
        Account,
        columns,
        rows,
        key="contract_no",
        update=[c for c in columns if c not in ("contract_no", "created_at")],
    )
    report.accounts_created += len(numbers) - len(existing)
    report.accounts_updated += len(existing)
    open_balances(ids[n] for n in numbers if n not in existing)
    return ids, existing


def _post_differences(
    chunk: list[intake.AccountRow], account_ids: Mapping[str, int], existing: set[str], today: date
) -> int:
    current = {
        b.account_id: b for b in AccountBalance.objects.filter(account_id__in=[account_ids[n] for n in existing])
    }
    rows: list[tuple[object, ...]] = []
    for r in chunk:
        account_id = account_ids[r.contract_no]
        balance = current.get(account_id)
        target = {
            Component.PRINCIPAL: r.principal,
            Component.INTEREST: r.interest,
            Component.FEE: r.fee,
            Component.PENALTY: r.penalty,
        }
        effective = r.as_of or today
        state = "|".join(f"{c.value}={v}" for c, v in target.items())
        tag = hashlib.sha1(state.encode(), usedforsecurity=False).hexdigest()[:12]
        if balance is None or balance.entry_count == 0:
            # A new account opens with one charge per component, so reports see principal as principal.
            rows.extend(
                entry_row(account_id, _COMPONENT_KINDS[c].value, f"import:opening:{c.value}:{tag}", effective,
                          {c: v}, "import")
                for c, v in target.items()
                if v
            )  # fmt: skip
            continue
        deltas = {c: v - getattr(balance, c.value) for c, v in target.items()}
        if any(deltas.values()):
            reference = f"import:{effective.isoformat()}:{tag}"
            rows.append(entry_row(account_id, EntryKind.ADJUSTMENT.value, reference, effective, deltas, "import"))
    # Differences against the ledger make a replayed file produce no entries at all; the ON CONFLICT
    # guard only matters when two imports of the same state race.
    insert_entries(rows)
    return len(rows)
