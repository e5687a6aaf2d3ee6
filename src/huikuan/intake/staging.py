"""Validating an account file in chunks, in a second process while the first one writes.

Validation is pure Python and costs about as much as the database writes, so on two cores a worker
process validates chunk N+1 while the importing process writes chunk N (threads would not help: the
GIL serialises Python code). The worker reads the file itself and hands back, per chunk, the row errors
and the rows as staging-table values (money in fen, the ID number already hashed), ready for the set-based
SQL in importer.py; for PostgreSQL it hands them as COPY text, so the importing process only passes
bytes on.

Nothing here needs Django's models, so the worker starts in a fraction of a second; the same generator
runs in-process for small files.
"""

from __future__ import annotations

import gc
import json
import os
import pickle
import subprocess
import sys
import traceback
from collections import defaultdict
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any, Protocol

from huikuan import interpreters
from huikuan.kernel import intake, ledger
from huikuan.kernel.identifiers import normalise_reference
from huikuan.kernel.localtime import DEFAULT_TIME_ZONE, local_days
from huikuan.kernel.money import to_fen
from huikuan.kernel.pii import hash_id_number
from huikuan.tabular.reading import (
    ColumnMapping,
    MappedCells,
    Unreadable,
    mapped_cells,
    read_table,
    unreadable_error,
)

# One row per account row of the file; `first_of_customer` marks the row whose debtor data is written,
# `last_of_customer` the row after which the debtor's case can be synced.
STAGE_COLUMNS = (
    ("line_no", "integer"),
    ("first_of_customer", "boolean"),
    ("last_of_customer", "boolean"),
    ("customer_no", "text"),
    ("debtor_kind", "text"),
    ("name", "text"),
    ("gender", "text"),
    ("id_type", "text"),
    ("id_hash", "text"),
    ("id_last4", "text"),
    ("employer", "text"),
    ("monthly_income", "bigint"),
    ("address", "text"),
    ("time_zone", "text"),
    ("region", "text"),
    ("language", "text"),
    ("contract_no", "text"),
    ("product", "text"),
    ("currency", "text"),
    ("original_amount", "bigint"),
    ("open_date", "date"),
    ("due_date", "date"),
    ("annual_interest_rate", "numeric"),
    ("daily_penalty_rate", "numeric"),
    ("principal", "bigint"),
    ("interest", "bigint"),
    ("fee", "bigint"),
    ("penalty", "bigint"),
    ("effective_date", "date"),
    ("tag", "text"),  # names the file's target balance (state_tag)
    ("adjustment_reference", "text"),
    ("row_hash", "text"),  # kernel.intake.content_hash, stored on the account (and the debtor, first row)
)
CONTACT_COLUMNS = (
    ("line_no", "integer"),
    ("ordinal", "integer"),
    ("customer_no", "text"),
    ("kind", "text"),
    ("value", "text"),
    ("relation", "text"),
    ("contact_name", "text"),
)
CHUNK_ROWS = 5000
# The worker's threshold of the collector's youngest generation (see _serve); Python's default is 700.
GC_THRESHOLD = 50_000
# Below this many bytes the worker's start-up (~0.2 s) costs more than it saves.
PARALLEL_MIN_BYTES = 1_000_000

Rows = str | list[tuple[Any, ...]]


@dataclass(frozen=True)
class StageJob:
    path: Path
    mapping: ColumnMapping
    region: str
    default_currency: str
    pii_key: str = field(repr=False)  # a logged job must not show the key
    # When the import runs: a row without an as_of date is dated by its debtor's today at this instant.
    now: datetime
    copy_text: bool  # PostgreSQL takes the rows as COPY text, SQLite as tuples
    chunk_rows: int = CHUNK_ROWS
    # The zone of a row that names none (the DEFAULT_DEBTOR_TIME_ZONE setting).
    default_time_zone: str = DEFAULT_TIME_ZONE
    # Field → its column's length, from the models (importer.field_limits): the worker has no models.
    limits: Mapping[str, int] = field(default_factory=dict)
    max_amount: Decimal = intake.RowContext.max_amount


@dataclass
class StagedChunk:
    """Errors always; rows only while the file has had no error (an invalid file writes nothing)."""

    rows: int
    errors: list[intake.RowError] = field(default_factory=list)
    accounts: Rows = ""
    contacts: Rows = ""
    # (row, customer_no, team, collector) of the rows naming a team or a collector.
    people: list[tuple[int, str, str, str]] = field(default_factory=list)
    # Rows skipped unread: their content hash is the one the last import stored, and nothing moved since.
    unchanged: int = 0


@dataclass(frozen=True)
class KnownRows:
    """What the last imports stored, for skipping rows that did not change (kernel.intake.content_hash).

    `accounts` holds contract number → hash only for accounts whose balance is still in the state their
    last imported row stated; `debtors` customer number → the hash of the row that last wrote the debtor.
    """

    accounts: Mapping[str, str] = field(default_factory=dict)
    debtors: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class JsonRows:
    """`KnownRows` as the database writes them out: each map as the text of JSON objects.

    The importing process hands the text to the worker as it comes, and the worker reads it into the maps
    (json.loads, in C): fetching 200,000 rows for a book of 100,000 accounts into Python tuples and a map,
    then pickling and unpickling the map, took about a second of a replay while the worker waited for it.
    """

    # A map may come in several objects (the database builds one per slice of ids).
    accounts: tuple[str, ...] = ()
    debtors: tuple[str, ...] = ()

    def rows(self) -> KnownRows:
        return KnownRows(accounts=_json_map(self.accounts), debtors=_json_map(self.debtors))


def _json_map(objects: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for text in objects:
        found.update(json.loads(text))
    return found


class KnownSource(Protocol):
    """Where the stored content hashes come from (the importer reads them from the database)."""

    def by_keys(self, path: Path) -> bool:
        """Whether to ask for the file's keys' hashes (`of` with the keys) rather than every one (`of` with
        None): when the book is much larger than the file, so one scan would read mostly others' hashes."""

    def of(self, customers: Sequence[str] | None, contracts: Sequence[str] | None) -> KnownRows | JsonRows:
        """The stored hashes of these customers and contracts (None: of every one)."""


class NothingKnown:
    """Nothing stored: every row is validated and written (a file staged without a database)."""

    def by_keys(self, path: Path) -> bool:
        return False

    def of(self, customers: Sequence[str] | None, contracts: Sequence[str] | None) -> KnownRows:
        return KnownRows()


class _Known:
    """The stored hashes: every one, or those of the file's keys, gathered batch by batch as the first pass
    hands the keys on; read into maps by `known_rows` where they are used (in the worker, when there is one)."""

    def __init__(self, source: KnownSource) -> None:
        self.source = source
        self.parts: list[KnownRows | JsonRows] = []

    def add(self, customers: Sequence[str] | None, contracts: Sequence[str] | None) -> None:
        self.parts.append(self.source.of(customers, contracts))


def known_rows(parts: Sequence[KnownRows | JsonRows]) -> KnownRows:
    """The stored hashes of every part, as one pair of maps."""
    found = [part.rows() if isinstance(part, JsonRows) else part for part in parts]
    if len(found) == 1:
        return found[0]
    accounts: dict[str, str] = {}
    debtors: dict[str, str] = {}
    for part in found:
        accounts.update(part.accounts)
        debtors.update(part.debtors)
    return KnownRows(accounts=accounts, debtors=debtors)


def hash_context(job: StageJob) -> str:
    """Everything besides a row's own cells that decides what the row validates and stages to."""
    limits = ",".join(f"{name}={limit}" for name, limit in sorted(job.limits.items()))
    # The ID hash's key is in, as a keyed hash of a constant (never the key): a new key must rewrite them.
    key = hash_id_number("content-hash", job.pii_key)[:16]
    return (
        f"v{intake.ROW_RULES_VERSION}|{job.region}|{job.default_currency}|{job.default_time_zone}|"
        f"{job.max_amount}|{limits}|{key}"
    )


def state_tag(record: intake.AccountRow) -> str:
    """Names the file's target balance in entry references, so one state is posted once per account."""
    return ledger.import_state_tag(record.principal, record.interest, record.fee, record.penalty)


def stage_chunks(job: StageJob, known: KnownRows | None = None) -> Iterator[StagedChunk]:
    """The file validated in chunks of `job.chunk_rows` rows, errors in row order as a whole-file check."""
    yield from _stage_chunks(job, FirstPass(job, keys=False).last_rows, known or KnownRows())


def _stage_chunks(
    job: StageJob, last_rows: Callable[[], dict[str, int] | None], stored: KnownRows
) -> Iterator[StagedChunk]:
    """`stage_chunks` with the stored content hashes given, and the first pass's answer, asked for only once
    a row is to be staged: a replay whose every row is skipped reads the file once."""
    headers = dict(job.mapping.columns)
    missing, cells, body = mapped_cells(job.path, job.mapping, intake.REQUIRED)
    if cells is None:
        yield StagedChunk(0, missing)
        return
    ctx = intake.RowContext(
        region=job.region,
        default_currency=job.default_currency,
        default_time_zone=job.default_time_zone,
        limits=job.limits,
        max_amount=job.max_amount,
    )
    today_in = local_days(job.now, job.default_time_zone)
    rules = intake.FileRules(headers)
    failed = yielded = False
    chunk = StagedChunk(0)
    seen: defaultdict[str, set[tuple[str, str]]] = defaultdict(set)  # customer → contacts staged
    accounts: list[tuple[Any, ...]] = []
    contacts: list[tuple[Any, ...]] = []
    # Of the file's cells as written: a row skipped as unchanged is never read as fields (see _checked_batches).
    content_hash = intake.RowHasher(hash_context(job)).of_cells(cells.positions)
    stored_accounts, stored_debtors = stored.accounts, stored.debtors
    for batch, batch_keys, raws, answers in _checked_batches(body, cells, job, stored_accounts):
        for (number, cells_or_problem), (customer_no, contract_no, name), raw, checked in zip(
            batch, batch_keys, raws, answers, strict=True
        ):
            chunk.rows += 1
            if isinstance(cells_or_problem, Unreadable):
                failed = True
                chunk.errors.append(unreadable_error(number, cells_or_problem))
                break
            first = rules.is_new_customer(customer_no)
            row_hash = content_hash(cells_or_problem, first)
            if stored_accounts.get(contract_no) == row_hash and (
                not first or stored_debtors.get(customer_no) == row_hash
            ):
                # The row the last import wrote, under the same settings, and its balance has not moved since:
                # it validated then and would write nothing now. Only the rules across rows still see it.
                record, errors = None, rules.check_keys(number, customer_no, contract_no, name)
                if not errors:
                    chunk.unchanged += 1
                    # Only a customer with a row staged has contacts seen, so this asks for the first pass
                    # only once it has been made.
                    if customer_no in seen:
                        found = last_rows()
                        if found is not None and found.get(customer_no) == number:
                            del seen[customer_no]
            else:
                record, errors = intake.validate_row(
                    number, cells.mapped(cells_or_problem) if raw is None else raw, headers, ctx, checked
                )
            if record is not None:
                errors = rules.check(record)
                if not errors and not failed:
                    found = last_rows()
                    last = found is not None and found.get(record.customer_no) == number
                    accounts.append(_stage_row(record, rules.first_of_customer(record), last, job, today_in, row_hash))
                    # A customer's rows usually repeat the same contacts: only a contact's first appearance is
                    # staged (the one the database would keep), and the database is spared the rest. The set
                    # is dropped after the customer's last row, when that is known.
                    known = seen.pop(record.customer_no, set()) if last else seen[record.customer_no]
                    for i, c in enumerate(record.contacts):
                        if (c.kind, c.value) not in known:
                            known.add((c.kind, c.value))
                            contacts.append((number, i, record.customer_no, c.kind, c.value, c.relation, c.name))
                    if record.team or record.collector:
                        chunk.people.append((number, record.customer_no, record.team, record.collector))
            if errors:
                failed = True
                chunk.errors.extend(errors)
            # The writer waits for the first chunk with nothing to do, so the first one is small.
            if chunk.rows == (job.chunk_rows if yielded else max(1, job.chunk_rows // 5)):
                yielded = True
                yield _finish(chunk, accounts, contacts, failed, job)
                chunk, accounts, contacts = StagedChunk(0), [], []
    if chunk.rows or not failed:
        yield _finish(chunk, accounts, contacts, failed, job)


def _checked_batches(
    body: Iterable[tuple[int, list[str] | Unreadable]], cells: MappedCells, job: StageJob, stored: Mapping[str, str]
) -> Iterator[
    tuple[
        list[tuple[int, list[str] | Unreadable]],
        list[tuple[str, str, str]],
        list[dict[str, str] | None],
        list[Mapping[str, object] | None],
    ]
]:
    """The rows of `body` a chunk's rows at a time, with each row's keys (kernel.intake.row_keys), its fields,
    and its answer from the columnar checks (kernel.intake.checked_fields), taken for the rows at once.

    Only the rows of contracts without a stored hash are read as fields here and checked as columns. The
    others are most likely skipped unread (fields None: read by the caller if not), and when one is not,
    the scalar rule gives the same answer (answer None). So a replay reads no row as fields at all."""
    keys_of = cells.reader(("customer_no", "contract_no", "name"))
    row_keys = intake.row_keys
    rows = iter(body)
    # The chunks' sizes (the first is small, see _stage_chunks): the writer's first chunk is not kept
    # waiting for the checks of a whole chunk's rows.
    size = max(1, job.chunk_rows // 5)
    while batch := list(islice(rows, size)):
        size = job.chunk_rows
        # Only the last of the file's rows can be unreadable (nothing after it is read); it has no keys.
        readable: list[list[str]] = [values for _, values in batch if not isinstance(values, Unreadable)]
        keys = [row_keys(*keys_of(values)) for values in readable]
        picked = [i for i, (_, contract_no, _) in enumerate(keys) if contract_no not in stored]
        raws: list[dict[str, str] | None] = [None] * len(batch)
        answers: list[Mapping[str, object] | None] = [None] * len(batch)
        if picked:
            fields = [cells.mapped(readable[i]) for i in picked]
            for i, raw, answer in zip(
                picked, fields, intake.checked_fields(intake.column_frame(fields), job.max_amount), strict=True
            ):
                raws[i], answers[i] = raw, answer
        keys.extend([("", "", "")] * (len(batch) - len(readable)))
        yield batch, keys, raws, answers


def _finish(
    chunk: StagedChunk, accounts: list[tuple[Any, ...]], contacts: list[tuple[Any, ...]], failed: bool, job: StageJob
) -> StagedChunk:
    if failed:
        chunk.people = []
        return chunk
    chunk.accounts = copy_text(accounts) if job.copy_text else accounts
    chunk.contacts = copy_text(contacts) if job.copy_text else contacts
    return chunk


# Keys handed on per batch by the first pass: the importing process looks up the stored hashes of one batch
# while the worker reads the next. Large, because the planner may answer a batch with one scan of the whole
# book (a hash join against the batch's keys) where that costs less than a lookup per key: each batch would
# scan again. 100,000 keys in five batches took 1.2-1.5 s against 0.53 s in one.
KEY_BATCH_ROWS = 500_000


class FirstPass:
    """The quick first pass over a CSV file: each customer's last row (`last_rows`), and the file's customer
    and contract numbers in batches (`batches`, with `keys`), for the importing process to read the content
    hashes stored for them alone (not those of every account in the database).

    The last rows let the importer sync a debtor's case as soon as the debtor's last row is written, beside
    the worker, instead of all cases after the last chunk. They are needed only once a row is staged, so
    without `keys` the pass is made when they are first asked for: a replay that skips every row reads the
    file once. A spreadsheet is not read twice (parsing it is what costs): `batches` yields nothing,
    `last_rows` is None, and its cases are synced at the end.
    """

    def __init__(self, job: StageJob, keys: bool) -> None:
        self.job = job
        self.keys = keys and readable_twice(job)
        self._last: dict[str, int] | None = None
        self._made = False

    def batches(self) -> Iterator[tuple[list[str], list[str]]]:
        """The file's keys, when asked for (else nothing, and nothing is read); the pass is made on the way."""
        if self.keys:
            yield from self._pass()

    def last_rows(self) -> dict[str, int] | None:
        """Customer number → the number of its last row (None for a spreadsheet), the pass made if not yet."""
        if not self._made:
            for _batch in self._pass():
                pass
        return self._last

    def _pass(self) -> Iterator[tuple[list[str], list[str]]]:
        job = self.job
        if not readable_twice(job):
            self._made = True
            return
        header, body = read_table(job.path, job.mapping)
        # The last column of that title, as mapped_cells reads it.
        position = {title: i for i, title in enumerate(header)}
        column = position.get(job.mapping.columns.get("customer_no", ""))
        if column is None:
            self._made = True
            return  # no customer numbers: the file is refused for that column
        contract = position.get(job.mapping.columns.get("contract_no", ""))
        last: dict[str, int] = {}
        customers: list[str] = []
        contracts: list[str] = []
        for number, values in enumerate(body, start=2):
            if isinstance(values, Unreadable):
                break  # the validation reports it; the rows after it are not read
            if column < len(values):
                # Spelt as validate_row spells it (folded to ASCII digits), or a customer's last row would be
                # missed; a key spelt otherwise (an escaped cell) only makes its row be read again.
                customer_no = normalise_reference(values[column])
                if self.keys and customer_no not in last:
                    customers.append(customer_no)
                last[customer_no] = number
            if self.keys and contract is not None and contract < len(values):
                contracts.append(normalise_reference(values[contract]))
                if len(contracts) >= KEY_BATCH_ROWS:
                    yield customers, contracts
                    customers, contracts = [], []
        # Known only once the whole file has been read (a pass left half-way is made again when asked for).
        self._last, self._made = last, True
        if customers or contracts:
            yield customers, contracts


def readable_twice(job: StageJob) -> bool:
    """Whether the file gets a first pass: a CSV file, not a spreadsheet."""
    return job.path.suffix.lower() in {".csv", ".txt"}


def _stage_row(
    r: intake.AccountRow,
    first: bool,
    last: bool,
    job: StageJob,
    today_in: Callable[[str | None], date],
    row_hash: str,
) -> tuple[Any, ...]:
    # The balances of a file without an as_of date are the debtor's today's, as a payment's date is.
    effective = r.as_of or today_in(r.time_zone)
    tag = state_tag(r)
    return (
        r.row,
        first,
        last,
        r.customer_no,
        r.debtor_kind,
        r.name,
        r.gender,
        r.id_type,
        hash_id_number(r.id_number, job.pii_key) if r.id_number else "",
        r.id_number[-4:],
        r.employer,
        None if r.monthly_income is None else to_fen(r.monthly_income),
        r.address,
        r.time_zone,
        r.region,
        r.language,
        r.contract_no,
        r.product,
        r.currency,
        to_fen(r.original_amount),
        r.open_date.isoformat(),
        r.due_date.isoformat(),
        str(r.annual_interest_rate),
        str(r.daily_penalty_rate),
        to_fen(r.principal),
        to_fen(r.interest),
        to_fen(r.fee),
        to_fen(r.penalty),
        effective.isoformat(),
        tag,
        ledger.import_adjustment_reference(effective, tag),
        row_hash,
    )


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(rows: Sequence[tuple[Any, ...]]) -> str:
    """Rows in PostgreSQL's COPY text format; values are None, bool, int or str."""
    if not rows:
        return ""
    # Most columns hold text in every row: only those that do not in the first row are converted, and a
    # row with another type where the first had text (join refuses it) takes the slow way. Looking at
    # every value takes a third more time (1.27 against 0.85 s of the worker's ~12 s per 100,000 rows).
    typed = [i for i, v in enumerate(rows[0]) if v.__class__ is not str]
    lines = []
    for row in rows:
        fields = list(row)
        for i in typed:
            v = fields[i]
            fields[i] = "t" if v is True else "f" if v is False else "\\N" if v is None else str(v)
        try:
            line = "\t".join(fields)
        except TypeError:
            fields = [v if v.__class__ is str else _copy_value(v) for v in row]
            line = "\t".join(fields)
        # Nearly every row holds no tab, backslash or line break of its own: then its only backslashes
        # are the nulls' \\N and its only tabs the separators, and the line is right as it is.
        if line.count("\\") != row.count(None) or line.count("\t") != len(fields) - 1 or "\n" in line or "\r" in line:
            line = "\t".join(v.translate(_COPY_ESCAPES) if v.__class__ is str else _copy_value(v) for v in row)
        lines.append(line)
    return "\n".join(lines) + "\n"


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if value.__class__ is bool:
        return "t" if value else "f"
    return str(value)


def validated_chunks(
    job: StageJob, *, parallel: bool | None = None, known: KnownSource | None = None
) -> Generator[StagedChunk, None, None]:
    """`stage_chunks`, run in a worker process when the file is large enough to gain from it.

    `parallel=None` decides by file size. The worker is a plain child interpreter running this module
    (not multiprocessing: its spawn mode re-runs the caller's main script in the child, and a daemonic
    Celery worker may not use it at all); the job goes in on stdin, pickled chunks come back on stdout.
    The pipe holds little, so the worker validates at most one chunk ahead of the writer. The caller
    must exhaust or close the iterator; the worker is stopped in either case.

    `known` gives the stored content hashes: all at once while the worker starts, when the book is not much
    larger than the file, else those of the file's customers and contracts, a batch at a time as the first
    pass finds them, so a file of a few accounts does not read the hashes of the whole book. (Without the
    keys, the first pass waits until a row is to be staged: see FirstPass.)
    """
    known = known or NothingKnown()
    if parallel is None:
        parallel = job.path.stat().st_size >= PARALLEL_MIN_BYTES
    if not parallel or not interpreters.can_start():
        stored = _Known(known)
        keys = FirstPass(job, keys=known.by_keys(job.path))
        if not keys.keys:
            stored.add(None, None)
        for customers, contracts in keys.batches():
            stored.add(customers, contracts)
        yield from _stage_chunks(job, keys.last_rows, known_rows(stored.parts))
        return
    worker = interpreters.start("huikuan.intake.staging", stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert worker.stdin is not None and worker.stdout is not None
    try:
        by_keys = known.by_keys(job.path) and readable_twice(job)
        pickle.dump((job, by_keys), worker.stdin)
        worker.stdin.flush()
        # This process reads the stored content hashes while the worker starts: all of them, or the keys' the
        # worker hands on from its first pass, a batch at a time as it finds them. They go back once the keys
        # are all handed on (the worker needs them only once it stages rows).
        stored = _Known(known)
        if not by_keys:
            stored.add(None, None)
        while True:
            kind, payload = _receive(worker)
            if kind == "keys":
                stored.add(*payload)
            elif kind == "keys_end":
                break
        pickle.dump(stored.parts, worker.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        worker.stdin.close()
        while True:
            kind, payload = _receive(worker)
            if kind == "chunk":
                yield payload
            elif kind == "done":
                return
    finally:
        worker.stdout.close()
        if not worker.stdin.closed:
            worker.stdin.close()
        try:
            worker.wait(timeout=5)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def _receive(worker: subprocess.Popen[bytes]) -> tuple[str, Any]:
    """The worker's next message; its failure raised here."""
    assert worker.stdout is not None
    try:
        kind, payload = pickle.load(worker.stdout)
    except EOFError:
        raise RuntimeError(f"the validation worker stopped (exit status {worker.wait()})") from None
    if kind == "failed":
        raise RuntimeError(f"the validation worker failed:\n{payload}")
    return kind, payload


def _serve() -> None:
    """The worker's side: one job from stdin, the file's keys and then its chunks to stdout."""
    out = sys.stdout.buffer
    job, by_keys = pickle.load(sys.stdin.buffer)
    # The worker allocates a few containers for each row (its cells, its keys, its hash's values) and keeps
    # almost none of them: at the default threshold (700 allocations) the collector ran every few rows and
    # took about a sixth of a replay's CPU time. Reference cycles are still collected, less often.
    gc.set_threshold(GC_THRESHOLD)
    try:
        keys = FirstPass(job, by_keys)
        for batch in keys.batches():
            pickle.dump(("keys", batch), out, protocol=pickle.HIGHEST_PROTOCOL)
            out.flush()
        pickle.dump(("keys_end", None), out)
        out.flush()
        known = known_rows(pickle.load(sys.stdin.buffer))
        for chunk in _stage_chunks(job, keys.last_rows, known):
            pickle.dump(("chunk", chunk), out, protocol=pickle.HIGHEST_PROTOCOL)
            out.flush()
        pickle.dump(("done", None), out)
        out.flush()
    except BrokenPipeError:
        pass  # the importing process stopped reading (it failed or was closed): nobody to report to
    except Exception:  # any failure is reported to the importing process, which raises it
        pickle.dump(("failed", traceback.format_exc()), out)
        out.flush()


if __name__ == "__main__":
    # Run from the module's importable name, so what is pickled names huikuan.intake.staging, not
    # __main__, and the importing process can load it.
    from huikuan.intake import staging

    staging._serve()
    # The importing process waits for this process to end: freeing the stored hashes' and the rules' maps on
    # the way out took about a tenth of a second of a replay. What it had to say is flushed.
    os._exit(0)
