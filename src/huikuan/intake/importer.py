"""Account import from CSV/XLSX: read, map columns, validate every row, then write all or nothing.

The file is validated in chunks by a worker process (intake/staging.py) while this process writes
the previous chunk, all inside one transaction: any row error anywhere stops the writing and rolls back.
A chunk is written set-based: its rows go into a temporary staging table (COPY on PostgreSQL), and a
handful of INSERT … SELECT statements upsert debtors, contacts and accounts, post ledger entries and
refresh the balances, so no Python work is done per row on this side. Re-importing a file changes
nothing: debtors and accounts are upserted by their numbers (rows whose values did not change are not
rewritten), and balances move only by the difference between the file and the ledger, posted as entries
whose reference names the target state.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _

from huikuan import clock
from huikuan.audit.models import ChangeLog
from huikuan.audit.records import change_record
from huikuan.cases.sync import refresh_cases
from huikuan.db.bulkread import one_of
from huikuan.inputs import max_amount
from huikuan.intake import staging
from huikuan.intake.authority import ImportAuthority
from huikuan.intake.staging import (
    CONTACT_COLUMNS,
    STAGE_COLUMNS,
    JsonRows,
    KnownRows,
    StagedChunk,
    StageJob,
    validated_chunks,
)
from huikuan.kernel import intake
from huikuan.kernel.ledger import IMPORT_OPENING_PREFIX, Component
from huikuan.kernel.money import FEN
from huikuan.org.models import Team, User
from huikuan.org.permissions import can_import, require
from huikuan.portfolio.ledger import (
    BalanceMoves,
    SelectedEntries,
    append_entries,
    open_balances,
    refresh_balances,
)
from huikuan.portfolio.models import Account, AccountBalance, ContactPoint, Debtor, ImportBatch, LedgerEntry
from huikuan.tabular.reading import (
    ColumnMapping,
    ImportFileError,
    file_columns,
    mapped_rows,
    mapping_text,
    read_table,
)
from huikuan.tabular.reports import error_lines, error_rows, errors_csv, reason

__all__ = [
    "ColumnMapping",
    "ImportFileError",
    "ImportReport",
    "error_lines",
    "errors_csv",
    "import_accounts",
    "import_upload",
    "mapped_rows",
    "mapping_text",
    "read_table",
    "reason",
]


@dataclass
class ImportReport:
    rows: int = 0
    errors: list[intake.RowError] = field(default_factory=list)
    debtors_created: int = 0
    accounts_created: int = 0
    accounts_updated: int = 0
    # Of the rows of existing accounts (counted in accounts_updated), those skipped unread: the same
    # content as the last import's row, and the balance where that import left it.
    rows_unchanged: int = 0
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

    def error_rows(self) -> list[list[str | int]]:
        """The report as a table for the one writer (tabular/writing.py): header, then one row per error."""
        return error_rows(self.errors)

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


def import_accounts(
    path: Path,
    mapping: ColumnMapping | None = None,
    *,
    dry_run: bool = False,
    user: Any = None,
    parallel: bool | None = None,
    file_name: str | None = None,
) -> ImportReport:
    """Validate and write the file in one transaction; `parallel` forces the worker process on or off.

    An entry point (the screen, the API, the command, the task): the import is the outermost transaction, so
    its rows are committed when it returns. ``user`` None is the command line.

    The file may do what its user may do on the screens (intake/authority.py): PermissionDenied for a
    user who may not import, row errors for rows beyond their team or their waiver authority.
    `file_name` is the name the user gave the file (an upload's copy has another).
    """
    require(can_import(user), _("Your role may not import accounts."))
    mapping = mapping or ColumnMapping.identity()
    report = ImportReport(dry_run=dry_run)
    # The file-level problems (type, encoding, missing columns, no rows) are found here, in the user's
    # language, before a worker starts.
    missing, present = file_columns(path, mapping, intake.REQUIRED)
    if missing:
        report.errors.extend(missing)
        return report
    authority = ImportAuthority(user, mapping.columns, present)
    # One instant for the whole file: each debtor's day (an entry's date, whether a case opens) is taken
    # at it in the debtor's zone.
    now = clock.now()
    job = StageJob(
        path=path,
        mapping=mapping,
        region=settings.DEFAULT_PHONE_REGION,
        default_currency=settings.DEFAULT_CURRENCY,
        pii_key=settings.PII_HASH_KEY,
        now=now,
        copy_text=connection.vendor == "postgresql",
        chunk_rows=staging.CHUNK_ROWS,
        default_time_zone=settings.DEFAULT_DEBTOR_TIME_ZONE,
        limits=field_limits(),
        max_amount=max_amount(),
    )
    # False only inside a test's transaction, the one a durable block may be nested in.
    outermost = not connection.in_atomic_block
    with transaction.atomic(durable=True):
        if outermost and connection.vendor == "postgresql":
            # Django's foreign keys are checked at commit by default: one queued check per written row,
            # run after the last chunk. Checked at each statement instead, the same checks overlap the
            # worker's validation of the next chunk. Only in a transaction of our own, because the
            # setting lasts until the transaction ends.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        _one_import_at_a_time()
        writer = _ChunkWriter(report, present, user)
        synced: set[int] = set()
        moved: list[intake.RowError] = []
        # closing(): a failed write stops the worker now, not whenever the generator is collected.
        # The stored hashes are read after the lock (no other import changes them until this one ends), while
        # the worker makes its first pass over the file: all of them, or only the file's keys' when the book is
        # much larger than the file.
        with closing(validated_chunks(job, parallel=parallel, known=_StoredHashes())) as chunks:
            for chunk in chunks:
                report.rows += chunk.rows
                report.errors.extend(chunk.errors)
                # A skipped row is an existing account's, and is counted with them as before it was skipped.
                report.rows_unchanged += chunk.unchanged
                report.accounts_updated += chunk.unchanged
                if not report.ok:
                    continue  # keep reading: the report lists every error of the file
                authority.add(chunk)
                if not chunk.accounts:
                    continue  # the empty last chunk of a file whose rows fill the chunks exactly
                with _index_joins():
                    # Staged and checked even after a team, a collector, a debtor, a balance or a
                    # contract was refused, so the report lists every such row; written only while none was.
                    writer.stage(chunk)
                    moved.extend(writer.moved_contracts(mapping))
                    authority.check_staged(_ROWS)
                    if authority.refused or moved:
                        continue
                    complete = writer.write_staged()
                    if complete:
                        # Debtors whose last row is written: their cases are synced now, beside the
                        # worker, not all after the last chunk.
                        report.cases_created += refresh_cases(
                            complete, now, authority.assignments(complete), user_id=authority.importer.user_id
                        ).created
                        synced.update(complete)
        if report.ok and (authority.refused or moved):
            # Unknown or refused teams and collectors, debtors of another team, balances lowered beyond the
            # importer's authority and contracts of other customers are known only to the database:
            # reported for an otherwise valid file, in row order.
            report.errors.extend(sorted([*authority.report(), *moved], key=lambda e: e.row))
        if not report.ok:
            transaction.set_rollback(True)
            return report
        rest = writer.debtor_ids - synced
        with _index_joins():
            report.cases_created += refresh_cases(
                rest, now, authority.assignments(rest), user_id=authority.importer.user_id
            ).created
        authority.record(file_name or path.name)
        batch = ImportBatch.objects.create(
            file_name=(file_name or path.name)[:255],
            sha256=_sha256(path),
            rows=report.rows,
            debtors_created=report.debtors_created,
            accounts_created=report.accounts_created,
            accounts_updated=report.accounts_updated,
            rows_unchanged=report.rows_unchanged,
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


class _StoredHashes:
    """The content hashes the last imports stored (staging.KnownSource): read whole, while the worker makes
    its first pass, when the book holds at most `WHOLE_BOOK_FACTOR` times the accounts the file can hold
    (one scan costs less than looking up each key); else only the file's keys', so a small file against a
    large book neither reads nor hands the worker every account's hash."""

    def by_keys(self, path: Path) -> bool:
        return _stored_accounts() > WHOLE_BOOK_FACTOR * (path.stat().st_size // _MIN_ROW_BYTES + 1)

    def of(self, customers: Sequence[str] | None, contracts: Sequence[str] | None) -> KnownRows | JsonRows:
        return _known_rows(customers, contracts)


# A file row (customer, contract, name and amounts at the least) is longer than this, so a file holds fewer
# rows than its size over it; a generated row is about 280 bytes.
_MIN_ROW_BYTES = 100
WHOLE_BOOK_FACTOR = 4


def _stored_accounts() -> int:
    """About how many accounts are stored: the planner's count on PostgreSQL (no scan), counted when the table
    was never analysed (the count is -1 then); an exact count on SQLite."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [Account._meta.db_table])
            found = cursor.fetchone()
            if found and found[0] >= 0:
                return int(found[0])
        cursor.execute(f"SELECT COUNT(*) FROM {Account._meta.db_table}")
        return int(cursor.fetchone()[0])


def _known_rows(customers: Sequence[str] | None, contracts: Sequence[str] | None) -> KnownRows | JsonRows:
    """The content hashes the last imports stored, for the worker to skip the rows that did not change.

    Only those of the given customers and contracts (a batch of the file's keys; None: every one). An
    account's hash is handed on only while its balance is opened and holds what its imported row stated:
    once a payment, a waiver or an accrual has moved it, the row is validated and written again, and the
    import posts what the ledger rule says, as before hashes. Compared by the database, in one pass.
    Handed on as the database writes them, as JSON text, to be read where they are used (staging.JsonRows).
    """
    stated = " || '|' || ".join(f"CAST(b.{c.value} AS text)" for c in _OWED)

    def among(column: str, keys: Sequence[str] | None) -> tuple[str, tuple[Any, ...]]:
        if keys is None:
            return "", ()
        values = one_of(keys)
        return f" AND {column} IN ({values.sql})", tuple(values.params)

    # Each map as JSON objects built by the database, so this process handles a few texts, not a row per
    # hash; one object per million ids, each well below the largest text a database value holds (1 GB).
    object_of = "json_object_agg" if connection.vendor == "postgresql" else "json_group_object"
    found: dict[str, tuple[str, ...]] = {}
    with connection.cursor() as cursor:
        if customers is None or customers:
            where, params = among("customer_no", customers)
            cursor.execute(
                f"SELECT CAST({object_of}(customer_no, import_hash) AS text) FROM {Debtor._meta.db_table} "
                f"WHERE import_hash <> ''{where} GROUP BY id / {_IDS_PER_OBJECT}",
                params,
            )
            found["debtors"] = tuple(text for (text,) in cursor.fetchall())
        if contracts is None or contracts:
            where, params = among("a.contract_no", contracts)
            cursor.execute(
                f"SELECT CAST({object_of}(a.contract_no, a.import_hash) AS text) "
                f"FROM {Account._meta.db_table} a JOIN {AccountBalance._meta.db_table} b ON b.account_id = a.id "
                # An unopened snapshot (no entries) is opened by the import, as the ledger rule says, unless the
                # row states nothing owed: then the opening posts nothing either.
                f"WHERE a.import_hash <> '' AND a.import_balance = {stated} "
                f"AND (b.entry_count > 0 OR a.import_balance = '0|0|0|0'){where} GROUP BY a.id / {_IDS_PER_OBJECT}",
                params,
            )
            found["accounts"] = tuple(text for (text,) in cursor.fetchall())
    return JsonRows(**found)


_IDS_PER_OBJECT = 1_000_000


def field_limits() -> dict[str, int]:
    """Each text field of the file → the length of the column it is written to (the shortest, where it
    goes to two), read from the models so the check follows a migration that changes one. A time zone is
    not here: it must be one of the zone database's names, all shorter than its column."""

    def length(model: Any, name: str) -> int:
        return int(model._meta.get_field(name).max_length)

    contact_name = length(ContactPoint, "contact_name")
    return {
        "customer_no": length(Debtor, "customer_no"),
        "name": length(Debtor, "name"),
        "employer": length(Debtor, "employer"),
        "address": min(length(Debtor, "address"), length(ContactPoint, "value")),
        "region": length(Debtor, "region"),
        "email": length(ContactPoint, "value"),
        "contact1_name": contact_name,
        "contact2_name": contact_name,
        "contract_no": length(Account, "contract_no"),
        "team": length(Team, "name"),
        "collector": length(User, "username"),
    }


# Any fixed number: the key of the advisory lock that lets one account import write at a time.
IMPORT_LOCK_KEY = 0x48_4B_49_4D  # "HKIM"


def _one_import_at_a_time() -> None:
    """On PostgreSQL, wait until no other account import is writing, until this transaction ends.

    Two imports of one account in different states each post the difference from the balance they read
    before the other committed: both adjustments would stand, and the account end at neither file's state.
    Imports are rare and whole-file, so they queue behind each other; payments keep going beside an import
    (their snapshot updates are added to, not overwritten). SQLite lets one writer in at a time anyway.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])


@contextmanager
def _index_joins() -> Iterator[None]:
    """Joins by index lookups, not hashes, on PostgreSQL, for the statements of one chunk.

    Each statement of a chunk joins a few thousand staged rows (or debtor ids) to a table this
    transaction is filling. The planner's statistics know only the committed table (autovacuum cannot
    see our rows), so it would hash the whole table for each chunk, growing quadratically with the file;
    a unique-index lookup per row is what these joins need. SET LOCAL is undone with the transaction or
    a failed savepoint; RESET ends it after a chunk written without error.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_hashjoin = off")
        cursor.execute("SET LOCAL enable_mergejoin = off")
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET enable_hashjoin")
        cursor.execute("RESET enable_mergejoin")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_upload(
    file_name: str, chunks: Iterable[bytes], mapping_text: str | None, *, dry_run: bool, user: Any
) -> ImportReport:
    """An uploaded file (web form or API) imported like a file on disk; the copy is deleted after."""
    require(can_import(user), _("Your role may not import accounts."))
    mapping = ColumnMapping.parse(mapping_text) if mapping_text else None
    suffix = Path(file_name or "upload.csv").suffix.lower()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        with path.open("wb") as handle:
            for part in chunks:
                handle.write(part)
        return import_accounts(path, mapping, dry_run=dry_run, user=user, file_name=file_name)


_ROWS = "_import_rows"
_CONTACTS = "_import_contacts"
_CHANGES = "_import_changes"
_OWED = (Component.PRINCIPAL, Component.INTEREST, Component.FEE, Component.PENALTY)
_DEBTOR_COLUMNS = (
    # (debtor column, staging column, the file's field it comes from)
    ("kind", "debtor_kind", "debtor_kind"),
    ("name", "name", "name"),
    ("gender", "gender", "gender"),
    ("id_type", "id_type", "id_number"),  # an ID's type is read only with an ID number
    ("id_hash", "id_hash", "id_number"),
    ("id_last4", "id_last4", "id_number"),
    ("employer", "employer", "employer"),
    ("monthly_income", "monthly_income", "monthly_income"),
    ("address", "address", "address"),
    ("time_zone", "time_zone", "time_zone"),
    ("region", "region", "region"),
    ("preferred_language", "language", "language"),
)
_ACCOUNT_COLUMNS = (
    # The account column is named as the file's field.
    "product",
    "currency",
    "original_amount",
    "open_date",
    "due_date",
    "annual_interest_rate",
    "daily_penalty_rate",
)


class _ChunkWriter:
    """Writes validated chunks with a few set-based statements each, counting into the report."""

    def __init__(self, report: ImportReport, present: frozenset[str], user: Any = None) -> None:
        self.report = report
        self.user = user
        self.user_id = user.pk if getattr(user, "is_authenticated", False) else None
        # A new row takes every column (a field the file lacks stages as its default); an existing row is
        # updated only in the columns the file has: a file of balances alone must not blank the stored
        # ID hash, time zone or currency, nor write a component it does not state down to zero.
        self.debtor_updates = [c for c, _s, f in _DEBTOR_COLUMNS if f in present]
        self.account_updates = ["debtor_id", *(c for c in _ACCOUNT_COLUMNS if c in present)]
        self.stated = {c.value for c in _OWED if c.value in present}
        self.existing = 0
        self.debtor_ids: set[int] = set()
        self.postgres = connection.vendor == "postgresql"
        # PostgreSQL and SQLite both compare row values null-safely, under different names.
        self.distinct = "IS DISTINCT FROM" if self.postgres else "IS NOT"
        self.debtor = Debtor._meta.db_table
        self.account = Account._meta.db_table
        self.balance = AccountBalance._meta.db_table
        self.entry = LedgerEntry._meta.db_table
        self.contact = ContactPoint._meta.db_table
        with connection.cursor() as cursor:
            for table, columns in (
                (_ROWS, STAGE_COLUMNS),
                (_CONTACTS, CONTACT_COLUMNS),
                (_CHANGES, _CHANGE_COLUMNS),
            ):
                definition = ", ".join(f"{name} {kind}" for name, kind in columns)
                cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} ({definition})")

    def stage(self, chunk: StagedChunk) -> None:
        with connection.cursor() as cursor:
            self._stage(cursor, _ROWS, STAGE_COLUMNS, chunk.accounts)
            self._stage(cursor, _CONTACTS, CONTACT_COLUMNS, chunk.contacts)

    def moved_contracts(self, mapping: ColumnMapping) -> list[intake.RowError]:
        """Staged rows whose contract belongs to another customer already: refused, not moved.

        Moving it would leave the first debtor's case open on a debt it no longer has, and give the second a
        case for the same money; a contract changing hands is a correction for the source system to make.
        The count of existing contracts is taken on the way, for the report.
        """
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT COUNT(*), COALESCE(SUM(CASE WHEN d.customer_no <> s.customer_no THEN 1 ELSE 0 END), 0) "
                f"FROM {_ROWS} s JOIN {self.account} a ON a.contract_no = s.contract_no "
                f"JOIN {self.debtor} d ON d.id = a.debtor_id"
            )
            self.existing, moved = cursor.fetchone()
            if not moved:
                return []
            cursor.execute(
                f"SELECT s.line_no, s.contract_no, d.customer_no FROM {_ROWS} s "
                f"JOIN {self.account} a ON a.contract_no = s.contract_no JOIN {self.debtor} d ON d.id = a.debtor_id "
                f"WHERE d.customer_no <> s.customer_no ORDER BY s.line_no"
            )
            column = mapping.columns.get("contract_no", "contract_no")
            return [
                intake.RowError(line, column, contract, "contract_moved", {"customer_no": owner})
                for line, contract, owner in cursor.fetchall()
            ]

    def write_staged(self) -> set[int]:
        """Write the staged chunk; returns the debtors whose last row in the file it held."""
        now = connection.ops.adapt_datetimefield_value(clock.now())
        with connection.cursor() as cursor:
            self._debtors(cursor, now)
            self._contacts(cursor, now)
            self._accounts(cursor, now)
            self._post_differences(cursor, now)
            cursor.execute(
                f"SELECT DISTINCT d.id, s.last_of_customer FROM {_ROWS} s "
                f"JOIN {self.debtor} d ON d.customer_no = s.customer_no"
            )
            found = cursor.fetchall()
        self.debtor_ids.update(debtor_id for debtor_id, _last in found)
        return {debtor_id for debtor_id, last in found if last}

    def _stage(self, cursor: Any, table: str, columns: Sequence[tuple[str, str]], rows: str | list[Any]) -> None:
        names = ", ".join(name for name, _kind in columns)
        self._empty(cursor, table)
        if self.postgres:
            raw = cursor.cursor  # psycopg's own cursor: Django's wrapper has no COPY
            with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                copy.write(rows)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", rows)

    def _empty(self, cursor: Any, table: str) -> None:
        # TRUNCATE on PostgreSQL: a DELETE leaves the chunk's rows behind as dead tuples (nothing vacuums
        # inside the transaction), and every later chunk would scan all of them again.
        cursor.execute(f"TRUNCATE {table}" if self.postgres else f"DELETE FROM {table}")

    def _debtors(self, cursor: Any, now: object) -> None:
        cursor.execute(
            f"SELECT COUNT(*) FROM {_ROWS} s WHERE s.first_of_customer AND NOT EXISTS "
            f"(SELECT 1 FROM {self.debtor} d WHERE d.customer_no = s.customer_no)"
        )
        self.report.debtors_created += cursor.fetchone()[0]
        target = ", ".join(c for c, _s, _f in _DEBTOR_COLUMNS)
        source = ", ".join(s for _c, s, _f in _DEBTOR_COLUMNS)
        # The first row of a customer in the file carries the debtor's data; a debtor whose data did not
        # change is not rewritten, so a replayed file leaves the table alone.
        cursor.execute(
            f"INSERT INTO {self.debtor} (customer_no, {target}, import_hash, created_at, updated_at) "
            f"SELECT customer_no, {source}, row_hash, %s, %s FROM {_ROWS} WHERE first_of_customer ORDER BY line_no "
            f"ON CONFLICT (customer_no) DO UPDATE SET " + self._upsert(self.debtor, self.debtor_updates),
            [now, now],
        )

    def _upsert(self, table: str, updated: Sequence[str]) -> str:
        """The SET and WHERE of an upsert that writes the file's columns and the row's content hash, and
        stamps `updated_at` only when a value changed (a new hash alone, such as a row spelt with other
        spaces, is not a change to the record)."""
        hashed = ["import_hash", "import_balance"] if table == self.account else ["import_hash"]
        stored = ", ".join(f"{table}.{c}" for c in updated)
        given = ", ".join(f"excluded.{c}" for c in updated)
        return (
            ", ".join(f"{c} = excluded.{c}" for c in (*updated, *hashed))
            + f", updated_at = CASE WHEN ({stored}) {self.distinct} ({given}) "
            f"THEN excluded.updated_at ELSE {table}.updated_at END "
            f"WHERE ({stored}, {', '.join(f'{table}.{c}' for c in hashed)}) {self.distinct} "
            f"({given}, {', '.join(f'excluded.{c}' for c in hashed)})"
        )

    def _contacts(self, cursor: Any, now: object) -> None:
        cursor.execute(
            f"INSERT INTO {self.contact} (debtor_id, kind, value, relation, contact_name, validity, "
            f"do_not_contact, dnc_reason, source, created_at) "
            f"SELECT d.id, c.kind, c.value, c.relation, c.contact_name, 'unverified', %s, '', 'import', %s "
            f"FROM {_CONTACTS} c JOIN {self.debtor} d ON d.customer_no = c.customer_no WHERE true "
            f"ORDER BY c.line_no, c.ordinal "
            f"ON CONFLICT (debtor_id, value) DO NOTHING",
            [False, now],
        )

    def _accounts(self, cursor: Any, now: object) -> None:
        if self.existing:
            self._audit_account_changes(cursor)
        cursor.execute(f"SELECT COUNT(*) FROM {_ROWS}")
        self.report.accounts_created += cursor.fetchone()[0] - self.existing
        self.report.accounts_updated += self.existing
        columns = ("debtor_id", *_ACCOUNT_COLUMNS)
        cursor.execute(
            f"INSERT INTO {self.account} (contract_no, {', '.join(columns)}, import_hash, import_balance, "
            f"created_at, updated_at) "
            f"SELECT s.contract_no, d.id, {', '.join(f's.{c}' for c in _ACCOUNT_COLUMNS)}, s.row_hash, "
            + " || '|' || ".join(f"CAST(s.{c.value} AS text)" for c in _OWED)
            + ", %s, %s "
            f"FROM {_ROWS} s JOIN {self.debtor} d ON d.customer_no = s.customer_no WHERE true "
            f"ORDER BY s.line_no "
            f"ON CONFLICT (contract_no) DO UPDATE SET " + self._upsert(self.account, self.account_updates),
            [now, now],
        )

    def _audit_account_changes(self, cursor: Any) -> None:
        """A contract's terms changed by the file (a due date moved, the amount or a rate corrected) go to
        the change log with their values before and after, as every change to money does; the balances'
        changes are the ledger's entries. Asked only when the chunk holds contracts already stored."""
        columns = [c for c in self.account_updates if c != "debtor_id"]  # a contract never changes debtor
        cursor.execute(
            f"SELECT a.id, {', '.join(f'a.{c}' for c in columns)}, {', '.join(f's.{c}' for c in columns)} "
            f"FROM {_ROWS} s JOIN {self.account} a ON a.contract_no = s.contract_no "
            f"WHERE ({', '.join(f'a.{c}' for c in columns)}) {self.distinct} ({', '.join(f's.{c}' for c in columns)})"
        )
        width = len(columns)
        ChangeLog.objects.bulk_create(
            [
                change_record(
                    self.user,
                    Account(pk=found[0]),
                    "import:account",
                    {c: _audit_value(c, v) for c, v in zip(columns, found[1 : 1 + width], strict=True)},
                    {c: _audit_value(c, v) for c, v in zip(columns, found[1 + width :], strict=True)},
                )
                for found in cursor.fetchall()
            ]
        )

    def _post_differences(self, cursor: Any, now: object) -> None:
        """Entries for the difference between each row and its account's ledger, then fresh balances.

        The rule is ``kernel.ledger.import_entries`` (a new account opens with one charge per non-zero
        component, a changed one gets a single adjustment, unless the ledger already holds it), written here
        as set-based SQL for a whole chunk; the entries and the snapshots are written by the ledger's one
        writer (portfolio/ledger.py). Differences against the ledger make a replayed file produce no entries.
        """
        owed = [c.value for c in _OWED]
        # A component the file has no column for is not stated as zero: an existing account keeps its
        # snapshot's amount (a new one has none), so nothing is posted for it.
        row = {c: f"s.{c}" if c in self.stated else f"COALESCE(b.{c}, 0)" for c in owed}
        self._empty(cursor, _CHANGES)
        cursor.execute(
            f"INSERT INTO {_CHANGES} (line_no, account_id, opening, effective_date, tag, adjustment_reference, "
            + ", ".join(owed)
            + ", "
            + ", ".join(f"delta_{c}" for c in owed)
            + ") "
            "SELECT s.line_no, a.id, (b.account_id IS NULL OR b.entry_count = 0), s.effective_date, s.tag, "
            "s.adjustment_reference, "
            + ", ".join(row[c] for c in owed)
            + ", "
            + ", ".join(f"{row[c]} - COALESCE(b.{c}, 0)" for c in owed)
            + f" FROM {_ROWS} s JOIN {self.account} a ON a.contract_no = s.contract_no "
            f"LEFT JOIN {self.balance} b ON b.account_id = a.id "
            f"WHERE b.account_id IS NULL OR b.entry_count = 0 OR (("
            + " OR ".join(f"s.{c} <> b.{c}" for c in owed if c in self.stated)
            # A scalar subquery rather than NOT EXISTS, which PostgreSQL may plan as a hash of the whole
            # ledger: this is one lookup in the unique index, for the changed rows only.
            + f") AND (SELECT e.id FROM {self.entry} e "
            "WHERE e.account_id = a.id AND e.reference = s.adjustment_reference) IS NULL)"
        )
        components = " UNION ALL ".join(f"SELECT {i} AS ordinal, '{c.value}' AS kind" for i, c in enumerate(_OWED))
        picked = "CASE k.ordinal " + " ".join(f"WHEN {i} THEN c.{c.value}" for i, c in enumerate(_OWED)) + " END"
        opening_amounts = ", ".join(
            f"CASE WHEN k.ordinal = {i} THEN c.{c.value} ELSE 0 END" for i, c in enumerate(_OWED)
        )
        # Every entry carries the importing user, as a payment's or a waiver's carries its user.
        posted = append_entries(
            SelectedEntries(
                f"SELECT c.account_id, k.kind, %s || k.kind || ':' || c.tag, c.effective_date, "
                f"{opening_amounts}, 0, 'import', %s, NULL, %s "
                f"FROM {_CHANGES} c CROSS JOIN ({components}) k WHERE c.opening AND {picked} <> 0 "
                f"ORDER BY c.line_no, k.ordinal",
                [IMPORT_OPENING_PREFIX, self.user_id, now],
            ),
            skip_known=True,
        )
        posted += append_entries(
            SelectedEntries(
                "SELECT c.account_id, 'adjustment', c.adjustment_reference, c.effective_date, "
                + ", ".join(f"c.delta_{c}" for c in owed)
                + f", 0, 'import', %s, NULL, %s FROM {_CHANGES} c WHERE NOT c.opening ORDER BY c.line_no",
                [self.user_id, now],
            ),
            skip_known=True,
        )
        self.report.entries_posted += posted
        # Entries each change row meant to post: a charge per non-zero component, or one adjustment.
        intended = " + ".join(f"CASE WHEN c.{c} <> 0 THEN 1 ELSE 0 END" for c in owed)
        intended = f"CASE WHEN c.opening THEN {intended} ELSE 1 END"
        cursor.execute(f"SELECT COALESCE(SUM({intended}), 0) FROM {_CHANGES} c")
        if cursor.fetchone()[0] == posted:
            # Every entry went in, so each changed snapshot moves by exactly what was posted: the deltas (a
            # new account's delta is its row), without reading the ledger back. Added to the snapshot as it
            # is now, not set to the row: a payment committed since the snapshot was read (it held the row
            # locked until then) is kept, and snapshot and ledger still agree.
            refresh_balances(
                BalanceMoves(
                    f"SELECT c.account_id, {', '.join(f'c.delta_{c} AS {c}' for c in owed)}, "
                    f"{intended} AS entry_count FROM {_CHANGES} c"
                )
            )
            return
        # Some entry was already there (another import of the same state got in first): the snapshots
        # are recomputed from the ledger itself; a new account with nothing owed gets its zero snapshot.
        cursor.execute(f"SELECT account_id FROM {_CHANGES}")
        changed = [account_id for (account_id,) in cursor.fetchall()]
        refresh_balances(changed)
        open_balances(changed)


def _audit_value(column: str, value: Any) -> str | None:
    """A stored or staged account value as the change log writes values (money in yuan, dates ISO)."""
    if value is None:
        return None
    if column == "original_amount":
        return str(Decimal(value) * FEN)
    if isinstance(value, date):
        return value.isoformat()
    if column.endswith("_rate"):
        return str(Decimal(str(value)).normalize())
    return str(value)


_CHANGE_COLUMNS = (
    ("line_no", "integer"),
    ("account_id", "bigint"),
    ("opening", "boolean"),
    ("effective_date", "date"),
    ("tag", "text"),
    ("adjustment_reference", "text"),
    *((c.value, "bigint") for c in _OWED),
    *((f"delta_{c.value}", "bigint") for c in _OWED),
)
