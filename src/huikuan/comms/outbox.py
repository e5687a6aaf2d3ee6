"""Queuing messages into the outbox, each request in the caller's transaction.

Queuing writes the outbox row in the caller's transaction (``transaction.atomic`` joins it), so a message
exists exactly when its cause does: a rolled-back payment leaves no confirmation behind.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from huikuan import clock
from huikuan.cases.models import Case
from huikuan.comms.bulk_compose import BulkComposer, OptOutLinks
from huikuan.comms.compose import compose
from huikuan.comms.facts import facts_for_debtors, value_frames, values_by_debtor
from huikuan.comms.models import (
    CommChannel,
    Message,
    MessageStatus,
    TemplateVersion,
    Tone,
)
from huikuan.comms.signals import links_wanted
from huikuan.comms.templates import active_version
from huikuan.compliance.validation import disclosure_rule, time_bar_disclosures
from huikuan.db.bulkread import AnyOf, bulk_reads, one_of, read_frame
from huikuan.db.bulkwrite import insert_rows
from huikuan.kernel.comms import purposes
from huikuan.kernel.comms.render import content_hash, placeholders
from huikuan.kernel.comms.variables import VALUE_ORDER, MessageFacts, format_date, values_for
from huikuan.kernel.compliance.validation import disclosure_for
from huikuan.portfolio.models import ContactPoint, Debtor, Relation, Validity

DEADLINE_DAYS = 15  # a demand letter's deadline: long enough to pay or to answer a dispute
LINK = "self_service_link"
BULK_BATCH = 1000  # from this many requests, queuing reads with the settings for whole-book queries
# The language a debtor is written to when none is recorded; the debtor not found reads as one without data.
_DEFAULT_LANGUAGE = "zh-hans"
_UNKNOWN_DEBTOR = (_DEFAULT_LANGUAGE, "", "")


@dataclass(frozen=True, slots=True)
class Request:
    """One message to queue: who, what, when and why (the idempotency key names the cause)."""

    idempotency_key: str
    debtor_id: int
    channel: str
    purpose: str
    tone: str = Tone.GENTLE
    case_id: int | None = None
    contact_point_id: int | None = None
    due_at: datetime | None = None
    batch: str = ""
    extra: tuple[tuple[str, str], ...] = ()  # values the cause knows (payment amount and date)
    deadline: date | None = None


@dataclass
class QueueReport:
    queued: int = 0
    duplicate: int = 0
    no_contact_point: int = 0
    no_template: int = 0
    missing_values: int = 0


_POINT_KIND: dict[str, tuple[str, ...]] = {
    CommChannel.SMS: ("mobile",),
    CommChannel.EMAIL: ("email",),
    CommChannel.LETTER: ("postal",),
}


def default_points(debtor_ids: set[int]) -> dict[tuple[int, str], tuple[int, str]]:
    """The debtor's own usable point per channel: valid before unverified, then the oldest."""

    points: dict[tuple[int, str], tuple[int, str]] = {}
    rows = (
        ContactPoint.objects.filter(debtor_id__in=one_of(debtor_ids), relation=Relation.SELF, do_not_contact=False)
        .exclude(validity=Validity.INVALID)
        .order_by("debtor_id", "validity", "id")  # "unverified" < "valid": reversed below
        .values_list("debtor_id", "kind", "id", "value", "validity")
    )
    ranked = sorted(rows, key=lambda r: (r[0], r[1], r[4] != Validity.VALID, r[2]))
    for debtor_id, kind, point_id, value, _ in ranked:
        points.setdefault((debtor_id, kind), (point_id, value))
    return points


@contextmanager
def _hash_joins() -> Iterator[None]:
    """The debtors' facts and points joined by hashing, not by an index look-up per debtor.

    The planner cannot tell how many ids ``one_of`` holds and loops over them one index probe at a time;
    for a night's hundred thousand debtors scanning the tables once and hashing takes half as long. Set
    for these reads only (the explicit points and the cases are probed by primary key, as they should be).
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_nestloop = off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_nestloop TO DEFAULT")


def _cases_of(debtor_ids: set[int]) -> dict[int, int]:
    if not debtor_ids:
        return {}

    return dict(Case.objects.filter(debtor_id__in=one_of(debtor_ids)).values_list("debtor_id", "id"))


def debtor_languages(debtor_ids: set[int]) -> dict[int, tuple[str, str, str]]:
    """Per debtor: the language to write in, the name and the registered address."""
    return _languages(
        Debtor.objects.filter(AnyOf(F("id"), debtor_ids)).values_list("id", "preferred_language", "name", "address")
    )


def _languages(rows: Iterable[tuple[Any, ...]]) -> dict[int, tuple[str, str, str]]:
    """(id, preferred language, name, address) rows as ``debtor_languages`` gives them: no language, Chinese."""
    return {row[0]: (row[1] or _DEFAULT_LANGUAGE, row[2], row[3]) for row in rows}


def _debtor_frame(debtor_ids: set[int]) -> pl.DataFrame:
    """What a batch reads of its debtors, in one statement: ``debtor_languages``' columns and the ones the
    placeholder values need (``facts_frame``'s name, gender and kind), as a frame."""
    if not debtor_ids:
        # A re-hand-over whose keys are all queued: no statement (AnyOf of nothing has no SQL to read).
        return pl.DataFrame(schema=_DEBTOR_SCHEMA)
    query = Debtor.objects.filter(AnyOf(F("id"), debtor_ids)).values_list(
        "id", "preferred_language", "name", "address", "gender", "kind"
    )
    sql, params = query.query.sql_with_params()
    return read_frame(sql, params, _DEBTOR_SCHEMA).with_columns(
        # Not null in the table; an empty text may come back from CSV as a null.
        pl.col("preferred_language", "name", "address", "gender", "kind").fill_null("")
    )


_DEBTOR_SCHEMA = {
    "debtor_id": pl.Int64, "preferred_language": pl.String, "name": pl.String, "address": pl.String,
    "gender": pl.String, "kind": pl.String,
}  # fmt: skip


def queue_messages(requests: Sequence[Request], today: date | None = None) -> QueueReport:
    """Render and insert the outbox rows for ``requests`` in the caller's transaction, skipping duplicates."""
    batch = QueueBatch(requests, today)
    batch.insert(batch.compose())
    return batch.report


class QueueBatch:
    """Queuing in three steps: read (on creation), ``compose`` and ``insert``.

    Everything ``compose`` needs (facts, contact points, template versions) is read up front in a handful of
    set-based queries, and ``compose`` itself touches neither the ORM nor the connection: the loop over a
    night's hundred thousand messages cannot fall into a query per message, and a test holds it to that.
    """

    def __init__(self, requests: Sequence[Request], today: date | None = None) -> None:
        self.requests = requests
        self.report = QueueReport()
        self.composers: dict[int, BulkComposer] = {}
        self.opt_out: OptOutLinks | None = None
        self.links: dict[str, str] = {}
        self.today = today or clock.today()
        self.now = clock.now()
        if not requests:
            return
        # A night's batch groups and joins over a hundred thousand debtors; a single message needs no tuning.
        with bulk_reads() if len(requests) >= BULK_BATCH else nullcontext():
            self._read(requests)

    def _read(self, requests: Sequence[Request]) -> None:

        self.existing = _existing_keys([r.idempotency_key for r in requests])
        # Only what is not queued yet needs facts: a same-day re-run of the strategy reads nothing more.
        fresh = [r for r in requests if r.idempotency_key not in self.existing]
        debtor_ids = {r.debtor_id for r in fresh}
        self.explicit = {
            p[0]: (p[1], p[2])
            for p in ContactPoint.objects.filter(
                AnyOf(F("id"), {r.contact_point_id for r in fresh if r.contact_point_id})
            ).values_list("id", "value", "debtor_id")
        }
        # A request naming one of its debtor's points is sent there (``recipient_for``): the debtor's default
        # points are read only for the others. A night's work items all name theirs.
        wanting = {r.debtor_id for r in fresh if self._explicit_owner(r) != r.debtor_id}
        bulk = len(requests) >= BULK_BATCH
        # A batch reads its debtors once, for their languages and for their placeholder values.
        people = _debtor_frame(debtor_ids) if bulk else None
        if people is None:
            self.debtors = debtor_languages(debtor_ids)
        else:
            self.debtors = _languages(people.select("debtor_id", "preferred_language", "name", "address").iter_rows())
        keys = {self._key(r) for r in fresh}
        self.versions: dict[tuple[str, str, str, str], TemplateVersion | None] = {
            key: active_version(*key) for key in keys
        }
        # The placeholder values per debtor and language (``_values``): a batch's computed up front in columns
        # for the template languages its messages use, a single message's from its facts when composed.
        self.facts: dict[int, MessageFacts] = {}
        self.shared: dict[tuple[int, str], dict[str, str]] = {}
        # A batch's values stay in their frames (language -> ``values_frame``): ``compose`` joins them to the
        # messages; only the few messages composed one by one turn theirs into dictionaries (``_shared``).
        self.value_frames: dict[str, pl.DataFrame] | None = None
        self.people = people
        if people is not None:
            wanted = set()
            for r in fresh:
                version = self.versions[self._key(r)]
                if version is not None:
                    wanted.add((r.debtor_id, version.template.language))
            with _hash_joins():
                self.value_frames = value_frames(
                    wanted, self.today, people.select("debtor_id", "name", "gender", "kind")
                )
                self.points = default_points(wanting) if wanting else {}
            self.known = set().union(*(frame["debtor_id"].to_list() for frame in self.value_frames.values()))
        else:
            self.facts = facts_for_debtors(debtor_ids, self.today)
            self.points = default_points(wanting) if wanting else {}
            self.known = set(self.facts)
        # A request names its case (a work item always does); the debtor's case stands in where it does not.
        self.cases = _cases_of({r.debtor_id for r in fresh if not r.case_id})
        self.disclosures = _time_bar_disclosures(fresh, self.cases, self.now)
        self.links = self._links(fresh)

    def _explicit_owner(self, request: Request) -> int | None:
        """The debtor owning the point the request names, or None (no point named, or no such point)."""
        found = self.explicit.get(request.contact_point_id) if request.contact_point_id else None
        return found[1] if found else None

    def _links(self, fresh: list[Request]) -> dict[str, str]:
        """Self-service links for the messages whose template asks for one and whose cause gave none."""
        asks = {
            key: version is not None and LINK in placeholders(version.subject + version.body)
            for key, version in self.versions.items()
        }
        wanting = [r for r in fresh if asks.get(self._key(r)) and LINK not in dict(r.extra)]
        links: dict[str, str] = {}
        for _receiver, answer in links_wanted.send(sender=QueueBatch, requests=wanting) if wanting else ():
            links.update(answer if isinstance(answer, dict) else {})
        return links

    def _key(self, r: Request) -> tuple[str, str, str, str]:
        return (r.channel, r.purpose, r.tone, self.debtors.get(r.debtor_id, _UNKNOWN_DEBTOR)[0])

    def _shared(self, requests: Sequence[Request]) -> dict[tuple[int, str], dict[str, str]]:
        """``_values``' values per (debtor, language) for these requests: a batch's taken from its frames."""
        if self.value_frames is None:
            return dict(self.shared)
        ids = sorted({r.debtor_id for r in requests})
        return values_by_debtor(
            {language: frame.filter(pl.col("debtor_id").is_in(ids)) for language, frame in self.value_frames.items()}
        )

    def _decided(
        self, requests: Sequence[Request] | None = None
    ) -> Iterator[tuple[int, Request, int | None, str, Any, BulkComposer, dict[str, str]]]:
        """The requests to queue (``requests``, by default all), each with its point, recipient, template
        version, composer and values; what is left out is counted in ``report`` (a duplicate, no point, no
        template, a value missing). Each comes with its index in ``requests``."""
        requests = self.requests if requests is None else requests
        report, today, facts, debtors = self.report, self.today, self.facts, self.debtors
        existing = set(self.existing)
        shared = self._shared(requests)
        deadlines: dict[tuple[date, str], str] = {}
        for index, request in enumerate(requests):
            if request.idempotency_key in existing:
                report.duplicate += 1
                continue
            existing.add(request.idempotency_key)
            language, name, address = debtors.get(request.debtor_id, _UNKNOWN_DEBTOR)
            point_id, recipient = recipient_for(request, self.points, self.explicit, name, address)
            if not recipient:
                report.no_contact_point += 1
                continue
            version = self.versions[(request.channel, request.purpose, request.tone, language)]
            if version is None or request.debtor_id not in self.known:
                report.no_template += 1
                continue
            composer = self._composer(version)
            deadline = request.deadline or (today + timedelta(days=DEADLINE_DAYS))
            values = _values(shared, facts, request.debtor_id, version.template.language, deadline, deadlines)
            if request.idempotency_key in self.links:
                values[LINK] = self.links[request.idempotency_key]
            values.update(dict(request.extra))
            if request.channel == CommChannel.LETTER:
                values["recipient_name"] = name
                values["recipient_address"] = recipient
            if composer.missing(values):
                # A reminder reading "{{promise_amount}}" must never leave: count it, queue nothing.
                report.missing_values += 1
                continue
            yield index, request, point_id, recipient, version, composer, values

    def _composer(self, version: TemplateVersion) -> BulkComposer:
        composer = self.composers.get(version.pk)
        if composer is None:
            # Resolving the opt-out URL loads a URLconf: only when an e-mail is composed.
            if self.opt_out is None and version.template.channel == CommChannel.EMAIL:
                self.opt_out = OptOutLinks()
            composer = BulkComposer(
                version.template.channel, version.template.language, version.subject, version.body, self.opt_out
            )
            self.composers[version.pk] = composer
        return composer

    def compose_rows(self) -> list[tuple[Any, ...]]:
        """The outbox rows (``_MESSAGE_COLUMNS``) of the requests not queued yet, composed one by one; counts
        land in ``report``. A single message takes this path; ``compose`` gives the same rows for a batch."""
        if not self.requests:
            return []
        now = self.now
        rows: list[tuple[Any, ...]] = []
        created_at = connection.ops.adapt_datetimefield_value(now)
        for _index, request, point_id, recipient, version, composer, values in self._decided():
            disclosure = self._disclosure(request, version.template.language)
            composed = (None if disclosure else composer.compose_one(values, request.idempotency_key)) or compose(
                request.channel,
                version.template.language,
                version.subject,
                # The statement the debtor's state requires on a time-barred debt closes the text, so the
                # gate's us.time_barred_disclosure finds it whatever the template says.
                f"{version.body.rstrip()}\n\n{disclosure}" if disclosure else version.body,
                values,
                request.idempotency_key,
            )
            rows.append(
                (
                    request.idempotency_key,
                    request.case_id or self.cases.get(request.debtor_id),
                    request.debtor_id,
                    point_id,
                    request.channel,
                    request.purpose,
                    version.template.language,
                    version.pk,
                    recipient,
                    composed.subject,
                    composed.body,
                    composed.html,
                    composed.content_hash,
                    json.dumps(values),
                    request.batch,
                    connection.ops.adapt_datetimefield_value(request.due_at or now),
                    created_at,
                    *_MESSAGE_DEFAULTS.values(),
                )
            )
        return rows

    def compose(self) -> pl.DataFrame:
        """The outbox rows of ``compose_rows`` as one frame (``_MESSAGE_COLUMNS``), in the requests' order.

        A batch read as one (``BULK_BATCH``) is decided and composed in columns (``_compose_columns``); a
        small one, and the messages the columns cannot promise, message by message (``_compose_each``). The
        frame goes to the database by COPY in ``insert``.
        """
        if not self.requests:
            return _empty_frame()
        batch = self.value_frames is not None
        frame = self._compose_columns() if batch else self._compose_each(range(len(self.requests)))
        return (
            frame.sort("_position")
            .with_columns(
                pl.lit(_adapter()(self.now), dtype=pl.String).alias("created_at"),
                *(pl.lit(value, dtype=_FRAME_SCHEMA[name]).alias(name) for name, value in _MESSAGE_DEFAULTS.items()),
            )
            .select(_MESSAGE_COLUMNS)
        )

    def _compose_each(self, positions: Sequence[int]) -> pl.DataFrame:
        """The rows of the requests at ``positions`` (``_ROW_SCHEMA``, with "_position"), decided one by one.

        The loop only decides (duplicate, recipient, version, values, missing values) and gathers each
        message's values by name; the texts are then filled per version by ``fill_frame`` (one ``concat_str``
        per skeleton over all its messages) and hashed. A message the skeleton cannot promise exactly (a
        disclosure to append, a value with a line break, ...) is composed by ``compose`` as in ``compose_rows``.
        """
        requests = [self.requests[position] for position in positions]
        now = self.now
        composers: dict[int, BulkComposer] = {}
        due: dict[datetime, str] = {}
        adapt = _adapter()
        dumps = _json_text()
        columns: dict[str, list[Any]] = {name: [] for name in ("_position", *_COMPOSED_COLUMNS)}
        # Per version: the positions of its messages in ``columns`` and their values by name.
        groups: dict[int, tuple[list[int], dict[str, list[str]]]] = {}
        texts: dict[int, tuple[str, str, str, str]] = {}  # position -> (subject, body, html, hash) of ``compose``
        for index, request, point_id, recipient, version, composer, values in self._decided(requests):
            composers[version.pk] = composer
            template_language = version.template.language
            position = len(columns["idempotency_key"])
            disclosure = self._disclosure(request, template_language)
            if disclosure or not composer.fits(values, request.idempotency_key):
                composed = compose(
                    request.channel,
                    template_language,
                    version.subject,
                    f"{version.body.rstrip()}\n\n{disclosure}" if disclosure else version.body,
                    values,
                    request.idempotency_key,
                )
                texts[position] = (composed.subject, composed.body, composed.html, composed.content_hash)
            else:
                group = groups.get(version.pk)
                if group is None:
                    group = groups[version.pk] = ([], {name: [] for name in composer.names})
                group[0].append(position)
                by_name = group[1]
                for value_name in composer.value_names:
                    by_name[value_name].append(values.get(value_name, ""))
                if request.channel == CommChannel.EMAIL:
                    by_name["opt_out_url"].append(composer.url(request.idempotency_key))
            when = request.due_at or now
            due_at = due.get(when)
            if due_at is None:
                due_at = due[when] = adapt(when)
            columns["_position"].append(positions[index])
            columns["idempotency_key"].append(request.idempotency_key)
            columns["case_id"].append(request.case_id or self.cases.get(request.debtor_id))
            columns["debtor_id"].append(request.debtor_id)
            columns["contact_point_id"].append(point_id)
            columns["channel"].append(request.channel)
            columns["purpose"].append(request.purpose)
            columns["language"].append(template_language)
            columns["template_version_id"].append(version.pk)
            columns["recipient"].append(recipient)
            columns["variables"].append(dumps(values))
            columns["batch"].append(request.batch)
            columns["due_at"].append(due_at)
        count = len(columns["idempotency_key"])
        subjects: list[str] = [""] * count
        bodies: list[str] = [""] * count
        pages: list[str] = [""] * count
        hashes: list[str] = [""] * count
        for position, (subject, body, page, digest) in texts.items():
            subjects[position], bodies[position], pages[position], hashes[position] = subject, body, page, digest
        for pk, (places, by_name) in groups.items():
            filled = composers[pk].fill_frame(by_name)
            for position, (subject, body, page) in zip(places, filled.rows(), strict=True):
                subjects[position], bodies[position], pages[position] = subject, body, page
                hashes[position] = content_hash(subject, body, page)
        data = {
            "_position": columns["_position"],
            **{name: columns[name] for name in _COMPOSED_COLUMNS[:9]},
            "subject": subjects,
            "body": bodies,
            "html": pages,
            "content_hash": hashes,
            **{name: columns[name] for name in _COMPOSED_COLUMNS[9:]},
        }
        return pl.DataFrame(data, schema=_ROW_SCHEMA)

    def _compose_columns(self) -> pl.DataFrame:
        """``_compose_each`` of a whole batch read as one, in columns: the same rows and counts.

        Each decision of ``_decided`` is a join or an expression over all the messages at once (duplicate,
        recipient, version, values, missing value), the values' JSON a ``concat_str``, and the texts are
        filled per version as ``_compose_each`` fills them. What the columns cannot promise goes to
        ``_compose_each``: a cause's own values, a time-barred disclosure, a value the skeleton cannot take.
        """
        requests, report, cases, now = self.requests, self.report, self.cases, self.now
        adapt = _adapter()
        due = {when: adapt(when or now) for when in {r.due_at for r in requests}}
        wordings = self.disclosures.wordings
        frame = pl.DataFrame(
            {
                "_position": range(len(requests)),
                "idempotency_key": [r.idempotency_key for r in requests],
                "case_id": [r.case_id or cases.get(r.debtor_id) for r in requests],
                "debtor_id": [r.debtor_id for r in requests],
                "_named": [r.contact_point_id or None for r in requests],
                "channel": [r.channel for r in requests],
                "purpose": [r.purpose for r in requests],
                "_tone": [r.tone for r in requests],
                "batch": [r.batch for r in requests],
                "due_at": [due[r.due_at] for r in requests],
                "_deadline": [r.deadline for r in requests],
                "_each": [bool(r.extra) or (bool(wordings) and self._owes_disclosure(r)) for r in requests],
            },
            schema=_REQUEST_SCHEMA,
        )
        # The first of a key not queued yet goes on; the others are duplicates, as in ``_decided``.
        duplicate = (
            pl.col("idempotency_key").is_in(pl.Series(list(self.existing), dtype=pl.String).implode())
            | ~pl.col("idempotency_key").is_first_distinct()
        )
        frame = frame.with_columns(duplicate.alias("_duplicate"))
        report.duplicate += int(frame["_duplicate"].sum())
        frame = frame.filter(~pl.col("_duplicate"))
        each = frame.filter(pl.col("_each"))["_position"].to_list()
        frame = self._recipients(frame.filter(~pl.col("_each")))
        unreachable = pl.col("recipient").fill_null("") == ""
        report.no_contact_point += int(frame.select(unreachable.sum()).item())
        frame = self._with_values(frame.filter(~unreachable))
        unknown = pl.col("template_version_id").is_null() | pl.col("_known").is_null()
        report.no_template += int(frame.select(unknown.sum()).item())
        frame = frame.filter(~unknown)
        versions = {version.pk: version for version in self.versions.values() if version is not None}
        filled: list[pl.DataFrame] = []
        for (pk,), group in frame.partition_by("template_version_id", as_dict=True).items():
            composer = self._composer(versions[int(pk)])
            missing, unfit = _missing_and_unfit(composer, group.columns)
            group = group.with_columns(missing.alias("_missing"), unfit.alias("_unfit"))
            report.missing_values += int(group["_missing"].sum())
            group = group.filter(~pl.col("_missing"))
            each.extend(group.filter(pl.col("_unfit"))["_position"].to_list())
            group = group.filter(~pl.col("_unfit"))
            values = group.select(pl.col(name).fill_null("") if name in group.columns else pl.lit("").alias(name)
                                  for name in composer.value_names)  # fmt: skip
            if composer.channel == CommChannel.EMAIL:
                urls = [composer.url(key) for key in group["idempotency_key"]]
                values = values.with_columns(pl.Series("opt_out_url", urls, dtype=pl.String))
            texts = composer.fill_columns(values)
            hashes = [content_hash(*row) for row in texts.iter_rows()]
            filled.append(
                pl.concat([group, texts.with_columns(pl.Series("content_hash", hashes, pl.String))], how="horizontal")
            )
        rows = pl.concat(filled, how="diagonal_relaxed") if filled else None
        frames = []
        if rows is not None:
            frames.append(rows.with_columns(_variables(rows)).select(list(_ROW_SCHEMA)).cast(_ROW_SCHEMA))  # type: ignore[arg-type]
        if each:
            frames.append(self._compose_each(sorted(each)))
        return pl.concat(frames) if frames else pl.DataFrame(schema=_ROW_SCHEMA)

    def _recipients(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``recipient_for`` in columns: "contact_point_id" and "recipient" ("" where there is none)."""
        explicit = pl.DataFrame(
            [(point_id, value, owner) for point_id, (value, owner) in self.explicit.items()],
            schema={"_named": pl.Int64, "_named_value": pl.String, "_owner": pl.Int64},
            orient="row",
        )
        defaults = pl.DataFrame(
            [(debtor_id, kind, point_id, value) for (debtor_id, kind), (point_id, value) in self.points.items()],
            schema={"debtor_id": pl.Int64, "_kind": pl.String, "_default": pl.Int64, "_default_value": pl.String},
            orient="row",
        )
        people = self._people()
        kind = pl.col("channel").replace_strict(_CHANNEL_KIND, default=None, return_dtype=pl.String)
        own = (pl.col("_owner") == pl.col("debtor_id")).fill_null(False)
        found = pl.col("_default").is_not_null()
        registered = (pl.col("channel") == CommChannel.LETTER) & (pl.col("_address") != "")
        return (
            frame.join(explicit, on="_named", how="left")
            .join(people, on="debtor_id", how="left")
            .with_columns(
                kind.alias("_kind"),
                pl.col("_language").fill_null(_DEFAULT_LANGUAGE),
                pl.col("_name", "_address").fill_null(""),
            )
            .join(defaults, on=["debtor_id", "_kind"], how="left")
            .with_columns(
                pl.when(own).then("_named").when(found).then("_default").otherwise(None).alias("contact_point_id"),
                pl.when(own)
                .then("_named_value")
                .when(found)
                .then("_default_value")
                .when(registered)
                .then("_address")
                .otherwise(pl.lit(""))
                .alias("recipient"),
            )
        )

    def _people(self) -> pl.DataFrame:
        """The batch's debtors as ``_languages`` reads them: language (Chinese when unset), name, address."""
        people = self.people if self.people is not None else pl.DataFrame(schema=_DEBTOR_SCHEMA)
        return people.select(
            "debtor_id",
            pl.when(pl.col("preferred_language") == "")
            .then(pl.lit(_DEFAULT_LANGUAGE))
            .otherwise("preferred_language")
            .alias("_language"),
            pl.col("name").alias("_name"),
            pl.col("address").alias("_address"),
        )

    def _with_values(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The template version ("template_version_id", "language": its language) and the placeholder values
        of ``_values`` (a column each, null where absent; "_known" null for a debtor without facts), the
        letter's recipient and the self-service link as ``_decided`` adds them."""
        versions = pl.DataFrame(
            [(*key, version.pk, version.template.language) for key, version in self.versions.items() if version],
            schema={"channel": pl.String, "purpose": pl.String, "_tone": pl.String, "_language": pl.String,
                    "template_version_id": pl.Int64, "language": pl.String},
            orient="row",
        )  # fmt: skip
        values = pl.concat(
            [
                values.with_columns(pl.lit(language, pl.String).alias("language"), pl.lit(True).alias("_known"))
                for language, values in (self.value_frames or {}).items()
            ]
            or [pl.DataFrame(schema={"debtor_id": pl.Int64, "language": pl.String, "_known": pl.Boolean})],
            how="diagonal_relaxed",
        ).drop("deadline", strict=False)
        frame = (
            frame.join(versions, on=["channel", "purpose", "_tone", "_language"], how="left")
            .join(values, on=["debtor_id", "language"], how="left")
            .with_columns(pl.col("_deadline").fill_null(self.today + timedelta(days=DEADLINE_DAYS)))
        )
        # The deadline's text once per day and language, by ``format_date`` itself.
        days = frame.select("_deadline", "language").unique().drop_nulls()
        texts = days.with_columns(
            pl.Series("deadline", [format_date(day, language) for day, language in days.iter_rows()], pl.String)
        )
        links = pl.DataFrame(
            {"idempotency_key": list(self.links), LINK: list(self.links.values())},
            schema={"idempotency_key": pl.String, LINK: pl.String},
        )
        letter = pl.col("channel") == CommChannel.LETTER
        return (
            frame.join(texts, on=["_deadline", "language"], how="left")
            .join(links, on="idempotency_key", how="left")
            .with_columns(
                pl.when(letter).then("_name").alias("recipient_name"),
                pl.when(letter).then("recipient").alias("recipient_address"),
            )
        )

    def _disclosure(self, request: Request, language: str) -> str:
        """The time-barred disclosure this message must carry, or "" (a service message or an unwritten channel
        owes none: the rule's channels say which)."""
        if not self._owes_disclosure(request):
            return ""
        return disclosure_for(self.disclosures.wordings[request.case_id or self.cases[request.debtor_id]], language)

    def _owes_disclosure(self, request: Request) -> bool:
        case_id = request.case_id or self.cases.get(request.debtor_id)
        return (
            bool(self.disclosures.wordings.get(case_id or 0))
            and request.channel in self.disclosures.channels
            and not purposes.is_service(request.purpose)
        )

    def insert(self, rows: list[tuple[Any, ...]] | pl.DataFrame) -> None:
        """Write the rows of ``compose`` (a frame) or ``compose_rows``; a key already queued is left alone."""
        if isinstance(rows, pl.DataFrame):
            _insert_frame(rows)
        else:
            with transaction.atomic():
                insert_rows(Message._meta.db_table, _MESSAGE_COLUMNS, rows, conflict=["idempotency_key"])
        self.report.queued = len(rows)


def _values(
    shared: dict[tuple[int, str], dict[str, str]],
    facts: dict[int, MessageFacts],
    debtor_id: int,
    language: str,
    deadline: date,
    deadlines: dict[tuple[date, str], str] | None = None,
) -> dict[str, str]:
    """The message's placeholder values: exactly ``values_for`` with the deadline, computed once per debtor
    (``shared``) and the deadline's text once per day and language (``deadlines``)."""
    base = shared.get((debtor_id, language))
    if base is None:
        base = shared[(debtor_id, language)] = values_for(facts[debtor_id], language)
    values = dict(base)
    # values_for formats the deadline like the other optional dates; the facts' own deadline is unset.
    deadlines = {} if deadlines is None else deadlines
    formatted = deadlines.get((deadline, language))
    if formatted is None:
        formatted = deadlines[(deadline, language)] = format_date(deadline, language)
    values["deadline"] = formatted
    return values


# The outbox row as queuing writes it: set-based (COPY on PostgreSQL), as the ORM would, defaults included.
_MESSAGE_DEFAULTS: dict[str, Any] = {
    "status": MessageStatus.QUEUED.value,
    "attempts": 0,
    "lease_token": "",
    "gate_decision": "{}",
    "provider": "",
    "provider_id": "",
    "provider_status": "",
    "last_error": "",
    "document": "",
}
_MESSAGE_COLUMNS = (
    "idempotency_key", "case_id", "debtor_id", "contact_point_id", "channel", "purpose", "language",
    "template_version_id", "recipient", "subject", "body", "html", "content_hash", "variables", "batch", "due_at",
    "created_at", *_MESSAGE_DEFAULTS,
)  # fmt: skip


# The columns ``compose`` gathers per message, in _MESSAGE_COLUMNS order around the four texts.
_COMPOSED_COLUMNS = (
    "idempotency_key", "case_id", "debtor_id", "contact_point_id", "channel", "purpose", "language",
    "template_version_id", "recipient", "variables", "batch", "due_at",
)  # fmt: skip
_FRAME_SCHEMA: dict[str, Any] = {
    **dict.fromkeys(_MESSAGE_COLUMNS, pl.String),
    **dict.fromkeys(("case_id", "debtor_id", "contact_point_id", "template_version_id", "attempts"), pl.Int64),
}


# A message's row before the defaults: "_position" (its request's index) and the columns composing gives it.
_ROW_SCHEMA: dict[str, Any] = {
    "_position": pl.Int64,
    **{name: _FRAME_SCHEMA[name] for name in _MESSAGE_COLUMNS[: _MESSAGE_COLUMNS.index("created_at")]},
}
# The requests of a batch as ``_compose_columns`` reads them.
_REQUEST_SCHEMA: dict[str, Any] = {
    "_position": pl.Int64, "idempotency_key": pl.String, "case_id": pl.Int64, "debtor_id": pl.Int64,
    "_named": pl.Int64, "channel": pl.String, "purpose": pl.String, "_tone": pl.String, "batch": pl.String,
    "due_at": pl.String, "_deadline": pl.Date, "_each": pl.Boolean,
}  # fmt: skip
# The one kind of point each channel is sent to (``recipient_for`` tries the kinds in order: one each).
_CHANNEL_KIND = {channel: kinds[0] for channel, kinds in _POINT_KIND.items()}
assert all(len(kinds) == 1 for kinds in _POINT_KIND.values())
# The values' JSON in ``_decided``'s order: values_for's, then what it adds (an optional value is absent).
_JSON_NAMES = (*(name for name in VALUE_ORDER if name != "deadline"), "deadline", LINK, "recipient_name",
               "recipient_address")  # fmt: skip
# JSONEncoder(ensure_ascii=False)'s escapes: the quote, the backslash and the control characters.
_JSON_FROM = ["\\", '"', *map(chr, range(0x20))]
_JSON_TO = [json.dumps(character)[1:-1] for character in _JSON_FROM]


def _variables(rows: pl.DataFrame) -> pl.Series:
    """The "variables" column of ``_compose_columns``' rows: the JSON ``_json_text`` gives of each message's
    values (``_JSON_NAMES``, an absent one left out). On PostgreSQL written in columns, the encoder's text
    character for character; on SQLite (ASCII escapes, which columns cannot write) by the encoder per row."""
    names = [name for name in _JSON_NAMES if name in rows.columns]
    if connection.vendor != "postgresql":
        dumps = _json_text()
        texts = [
            dumps({name: value for name, value in zip(names, row, strict=True) if value is not None})
            for row in rows.select(names).iter_rows()
        ]
        return pl.Series("variables", texts, dtype=pl.String)
    return rows.select(_json_objects(names).alias("variables")).to_series()


def _json_objects(names: Sequence[str]) -> pl.Expr:
    """Per row, ``json.JSONEncoder(ensure_ascii=False).encode`` of the object whose members are the ``names``
    columns in that order, a null one left out: the same separators and the same escapes."""
    pairs = [
        pl.when(pl.col(name).is_not_null()).then(
            pl.concat_str(pl.lit(f"{json.dumps(name)}: \""), pl.col(name).str.replace_many(_JSON_FROM, _JSON_TO),
                          pl.lit('"'))
        )
        for name in names
    ]  # fmt: skip
    body = pl.concat_str(pairs, separator=", ", ignore_nulls=True).fill_null("") if pairs else pl.lit("")
    return pl.concat_str(pl.lit("{"), body, pl.lit("}"))


def _missing_and_unfit(composer: BulkComposer, columns: list[str]) -> tuple[pl.Expr, pl.Expr]:
    """``composer.missing`` in columns (a value the version uses is absent or empty), and whether the skeleton
    might not give what ``compose`` gives (then ``_compose_each`` decides by ``fits`` itself): a value with
    a sentinel, a line break or a separator character Python strips but Polars does not (\x1c-\x1f), or
    white space at an end; for an e-mail, no key or a footer's creditor the skeleton cannot take."""

    def value(name: str) -> pl.Expr:
        return pl.col(name).fill_null("") if name in columns else pl.lit("", pl.String)

    missing = [value(name) == "" for name in composer.used]
    unfit = [
        value(name).str.contains(r"[\x00\n\r\x1c-\x1f]") | (value(name) != value(name).str.strip_chars())
        for name in composer.used
    ]
    if composer.channel == CommChannel.EMAIL:
        unfit += [pl.col("idempotency_key") == "", value("company").str.contains(r"[\x00\n\r]")]
    return (
        pl.any_horizontal(missing) if missing else pl.lit(False),
        pl.any_horizontal(unfit) if unfit else pl.lit(False),
    )


def _empty_frame() -> pl.DataFrame:
    return pl.DataFrame(schema={name: _FRAME_SCHEMA[name] for name in _MESSAGE_COLUMNS})


def _adapter() -> Callable[[datetime], str]:
    """A datetime as the frame carries it: the database's own value on SQLite (text), ISO 8601 with its
    offset for PostgreSQL's COPY (which binds the datetime itself: ``adapt_datetimefield_value`` leaves it)."""
    if connection.vendor == "postgresql":
        return datetime.isoformat
    return lambda moment: str(connection.ops.adapt_datetimefield_value(moment))


def _json_text() -> Callable[[Any], str]:
    """The values' JSON as the frame carries it. PostgreSQL stores the parsed value (jsonb), so its characters
    go unescaped: the same value in a quarter fewer bytes to send and parse (the messages' COPY 2.2 -> 1.6 s a
    night's shard). SQLite stores the text itself: there, the text ``json.dumps`` gives, as the ORM would."""
    if connection.vendor == "postgresql":
        return json.JSONEncoder(ensure_ascii=False).encode
    return json.dumps


def _insert_frame(frame: pl.DataFrame) -> None:
    """The frame's rows into the outbox: COPY straight into the table on PostgreSQL, a bulk insert elsewhere.

    ``compose`` left out every key already queued when the batch was read, so the COPY normally meets no
    conflict; should a concurrent transaction have committed one of the keys since, the COPY fails on the
    unique key inside its savepoint and the rows go through the staged insert that skips what exists.
    """
    if frame.height == 0:
        return
    table = Message._meta.db_table
    if connection.vendor == "postgresql":
        buffer = io.BytesIO()
        # Every text quoted: an unquoted \N is NULL to COPY, a quoted one is the text.
        frame.write_csv(buffer, include_header=False, null_value="\\N", quote_style="non_numeric")
        sql = f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
        try:
            with (
                transaction.atomic(),
                connection.cursor() as cursor,
                connection.wrap_database_errors,
                cursor.cursor.copy(sql) as copy,
            ):
                copy.write(buffer.getvalue())
            return
        except IntegrityError:
            pass
    with transaction.atomic():
        insert_rows(table, _MESSAGE_COLUMNS, frame.rows(), conflict=["idempotency_key"])


@dataclass(frozen=True, slots=True)
class _Disclosures:
    wordings: dict[int, Mapping[str, str]]  # case id -> language -> wording
    channels: frozenset[str] = frozenset()


def _time_bar_disclosures(requests: Sequence[Request], cases_of: dict[int, int], now: datetime) -> _Disclosures:
    """The disclosures owed by the cases of these requests; no query unless the pack in force has the rule."""
    rule = disclosure_rule()
    if rule is None or not requests:
        return _Disclosures({})
    case_ids = {case_id for r in requests if (case_id := r.case_id or cases_of.get(r.debtor_id))}
    cases = Case.objects.filter(pk__in=one_of(case_ids)).only("id", "debtor_id")
    return _Disclosures(dict(time_bar_disclosures(cases, now)), frozenset(rule.params["channels"]))


def _existing_keys(keys: list[str]) -> set[str]:
    return set(Message.objects.filter(AnyOf(F("idempotency_key"), keys)).values_list("idempotency_key", flat=True))


def recipient_for(
    request: Request,
    points: dict[tuple[int, str], tuple[int, str]],
    explicit: dict[int, tuple[str, int]],
    name: str,
    address: str,
) -> tuple[int | None, str]:
    if request.contact_point_id and request.contact_point_id in explicit:
        value, owner = explicit[request.contact_point_id]
        if owner == request.debtor_id:
            return request.contact_point_id, value
    for kind in _POINT_KIND.get(request.channel, ()):
        found = points.get((request.debtor_id, kind))
        if found:
            return found
    if request.channel == CommChannel.LETTER and address:
        # The debtor's registered address when no postal contact point was recorded.
        return None, address
    return None, ""


def queue_message(request: Request, today: date | None = None) -> Message | None:
    """One message, composed by itself (``compose_rows``): the path ``compose`` is held equal to."""
    batch = QueueBatch([request], today)
    batch.insert(batch.compose_rows())
    return Message.objects.filter(idempotency_key=request.idempotency_key).first()
