"""The outbox's batch path (``queue_messages``: values gathered per message, texts filled per template version
in columns, rows written by COPY) queues exactly what composing each message by itself (``queue_message``)
queues: every column of every row, and the same counts of what was not queued."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.comms.conftest import DAYTIME
from tests.conftest import Personas

# Every column of the outbox row but its id, as the database gives it back.
COLUMNS = (
    "idempotency_key", "case_id", "debtor_id", "contact_point_id", "channel", "purpose", "language",
    "template_version_id", "recipient", "subject", "body", "html", "content_hash", "variables", "batch", "due_at",
    "created_at", "status", "attempts", "lease_token", "gate_decision", "provider", "provider_id",
    "provider_status", "last_error", "document",
)  # fmt: skip


def _queued() -> list[tuple[Any, ...]]:
    from huikuan.comms.models import Message

    return list(Message.objects.order_by("id").values_list(*COLUMNS))


def _raw_variables() -> list[str]:
    """The stored JSON text of the values (on SQLite the text itself; PostgreSQL's jsonb normalises it)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT variables FROM comms_message ORDER BY id")
        return [str(row[0]) for row in cursor.fetchall()]


def _both_ways(requests: list[Any], today: date) -> tuple[Any, Any]:
    """(rows, counts) queued one message at a time, then the same from one batch, from the same start."""
    from django.db import transaction

    from huikuan import clock
    from huikuan.comms import outbox
    from huikuan.comms.models import Message

    results = []
    for one_by_one in (True, False):
        # The opt-out link's signature carries a timestamp, and a self-service link its row's id and a random
        # nonce: they are made the same for the two paths (the same sequence, asked for in the same order).
        nonces = (f"{n:032x}" for n in itertools.count())

        def nonce(_: int, nonces: Any = nonces) -> str:
            return next(nonces)

        with (
            transaction.atomic(),
            clock.use(clock.FixedClock(DAYTIME)),
            mock.patch("django.core.signing.time.time", return_value=1_795_000_000.0),
            mock.patch("huikuan.selfservice.links.secrets.token_hex", side_effect=nonce),
            mock.patch("huikuan.selfservice.links.token_of", side_effect=lambda link: link.nonce),
        ):
            counts = outbox.QueueReport()
            if one_by_one:
                for request in requests:
                    batch = outbox.QueueBatch([request], today)
                    batch.insert(batch.compose_rows())
                    for field, value in vars(batch.report).items():
                        setattr(counts, field, getattr(counts, field) + value)
            else:
                # Read as a night's batch is (facts as frames, hash joins), however small this one is.
                with mock.patch.object(outbox, "BULK_BATCH", 1):
                    counts = outbox.queue_messages(requests, today)
            results.append((_queued(), _raw_variables(), astuple_report(counts)))
            transaction.set_rollback(True)
        assert not Message.objects.exists()
    return results[0], results[1]


def astuple_report(report: Any) -> tuple[int, ...]:
    return (report.queued, report.duplicate, report.no_contact_point, report.no_template, report.missing_values)


@pytest.fixture
def varied(small_portfolio: Personas) -> list[Any]:
    """Requests over the portfolio's debtors: every channel and purpose, both languages, points missing or
    opted out, a value with a line break, extra values, a self-service link, a duplicate, a promise missing."""
    from huikuan.cases.models import Case
    from huikuan.comms.templates import seed_default_templates
    from huikuan.portfolio.models import ContactPoint, Debtor

    seed_default_templates()
    cases = list(Case.objects.order_by("id"))
    for i, case in enumerate(cases):
        if i % 3 == 1:
            Debtor.objects.filter(pk=case.debtor_id).update(preferred_language="en")
    # Opted out of everything, and no points at all (a letter then goes to the registered address).
    ContactPoint.objects.filter(debtor_id=cases[2].debtor_id).update(do_not_contact=True)
    ContactPoint.objects.filter(debtor_id=cases[5].debtor_id).delete()
    # An address on two lines: the skeleton cannot promise it, the full composer writes it.
    ContactPoint.objects.filter(debtor_id=cases[7].debtor_id, kind="postal").update(value="Line one\nLine two")
    Debtor.objects.filter(pk=cases[8].debtor_id).update(name=" 李 雷 ", address="北京市\n朝阳区")
    return build_requests(cases)


def build_requests(cases: list[Any]) -> list[Any]:
    from huikuan.comms.outbox import Request

    shapes = [
        ("sms", "reminder", "gentle", ()),
        ("sms", "reminder", "firm", ()),
        ("email", "reminder", "gentle", ()),
        ("letter", "demand_letter", "formal", ()),
        ("letter", "lawyer_letter", "formal", ()),
        ("sms", "promise_reminder", "gentle", ()),
        ("sms", "self_service_link", "gentle", ()),
        ("email", "e_bill", "gentle", ()),
        ("sms", "payment_confirmation", "gentle", (("payment_amount", "1,234.50"), ("payment_date", "2026年11月17日"))),
        ("sms", "payment_confirmation", "gentle", (("payment_amount", "<b>&'\"</b>"), ("payment_date", "x"))),
        ("email", "payment_confirmation", "gentle", (("payment_amount", "12.00\r\n"), ("payment_date", "today"))),
        ("email", "payment_confirmation", "gentle", (("payment_amount", "<b>&'\"</b>"), ("payment_date", "x"))),
    ]
    requests = []
    for i, case in enumerate(cases):
        for j, (channel, purpose, tone, extra) in enumerate(shapes):
            if (i + j) % 3 == 0:
                continue
            requests.append(
                Request(
                    idempotency_key=f"work:{i}:{j}",
                    debtor_id=case.debtor_id,
                    channel=channel,
                    purpose=purpose,
                    tone=tone,
                    case_id=case.pk if j % 4 else None,
                    due_at=DAYTIME + timedelta(hours=j % 3) if j % 5 else None,
                    batch="run:9" if channel == "letter" else "",
                    extra=extra,
                    deadline=date(2026, 12, 24) if j == 4 else None,
                )
            )
    requests.append(requests[0])  # the same key twice in one batch
    return requests


def _assert_same(requests: list[Any]) -> None:
    one, batch = _both_ways(requests, date(2026, 11, 20))
    assert one[2] == batch[2]
    assert len(one[0]) == len(batch[0]) > 0
    for mine, theirs in zip(one[0], batch[0], strict=True):
        assert dict(zip(COLUMNS, mine, strict=True)) == dict(zip(COLUMNS, theirs, strict=True))
    assert one[1] == batch[1]


def test_a_varied_batch_queues_what_each_message_composed_alone_queues(varied: list[Any]) -> None:
    from huikuan.comms.outbox import QueueBatch

    _assert_same(varied)
    # The batch had a bit of everything: the comparison above covered each way out.
    report = QueueBatch(varied, date(2026, 11, 20))
    rows = report.compose()
    counts = report.report
    assert counts.duplicate == 1 and counts.no_contact_point > 0 and counts.missing_values > 0
    assert set(rows["channel"]) == {"sms", "email", "letter"} and set(rows["language"]) == {"zh-hans", "en"}
    assert rows.filter(rows["body"].str.contains("/s/")).height > 0  # self-service links


def test_time_barred_disclosures_are_the_same_in_a_batch(small_portfolio: Personas, settings: Any) -> None:
    from huikuan.cases.models import Case
    from huikuan.comms.templates import seed_default_templates
    from huikuan.kernel.compliance.packs import load_pack
    from huikuan.portfolio.models import Account, Debtor

    settings.COMPLIANCE_PACK = "us"
    settings.HUIKUAN_LIMITATION_YEARS = {"*/CA": 1, "*/TX": 1}
    seed_default_templates()
    cases = list(Case.objects.order_by("id"))
    for i, case in enumerate(cases):
        Debtor.objects.filter(pk=case.debtor_id).update(
            region=("CA", "TX", "NY")[i % 3], preferred_language="en" if i % 2 else "zh-hans"
        )
        if i % 4:
            Account.objects.filter(debtor_id=case.debtor_id).update(due_date=date(2024, 1, 15))
    requests = build_requests(cases)
    _assert_same(requests)
    one, _ = _both_ways(requests, date(2026, 11, 20))
    wordings = next(r for r in load_pack("us").rules if r.kind == "time_barred_disclosure").params["disclosures"]
    bodies = [row[COLUMNS.index("body")] for row in one[0]]
    assert any(wordings["CA"]["en"] in body for body in bodies)
    assert any(wordings["TX"]["en"] in body for body in bodies)


def test_a_nights_facts_read_as_frames_are_the_facts_read_row_by_row(small_portfolio: Personas) -> None:
    """Accounts owing and settled, promises, plans and instalments: the frame reader gives every debtor the
    same placeholder values in both languages (and no debtor more or fewer) as the row reader's facts give."""
    from decimal import Decimal

    from huikuan.cases.models import Case
    from huikuan.comms.facts import facts_for_debtors, values_for_many_debtors
    from huikuan.kernel.comms.variables import values_for
    from huikuan.payments.models import Instalment, InstalmentStatus, PlanStatus, RepaymentPlan
    from huikuan.portfolio.models import AccountBalance, Debtor

    cases = list(Case.objects.order_by("id")[:4])
    # An active plan with a part-paid instalment, an accepted one beside it; a plan only accepted elsewhere.
    for case, status in (
        (cases[0], PlanStatus.ACTIVE),
        (cases[0], PlanStatus.ACCEPTED),
        (cases[1], PlanStatus.ACCEPTED),
    ):
        plan = RepaymentPlan.objects.create(
            case=case, kind="instalments", status=status, owed=Decimal("900.00"), total=Decimal("900.00"),
            summary=f"3 x 300.00 ({status})",
        )  # fmt: skip
        for n in (1, 2):
            Instalment.objects.create(
                plan=plan, n=n, due_date=date(2026, 12, n), amount=Decimal("300.00"),
                paid_amount=Decimal("120.55") if n == 1 else Decimal("0"),
                status=InstalmentStatus.PARTLY_PAID if n == 1 else InstalmentStatus.DUE,
            )  # fmt: skip
    # A debtor whose every account is settled: no contract is owed, one is named all the same.
    AccountBalance.objects.filter(account__debtor_id=cases[2].debtor_id).update(total=0)
    ids = set(Debtor.objects.values_list("id", flat=True)) | {10**9}  # and one that does not exist
    today = date(2026, 11, 20)
    by_rows = facts_for_debtors(ids, today)
    wanted = [(debtor_id, language) for debtor_id in ids for language in ("zh-hans", "en")]
    by_frames = values_for_many_debtors(wanted, today)
    assert by_frames == {
        (debtor_id, language): values_for(facts, language)
        for debtor_id, facts in by_rows.items()
        for language in ("zh-hans", "en")
    }
    assert any(f.promise_amount for f in by_rows.values()) and any(f.next_due_amount for f in by_rows.values())
    assert by_rows[cases[0].debtor_id].plan_summary.endswith("(active)")
    assert by_rows[cases[1].debtor_id].plan_summary.endswith("(accepted)")
    assert by_rows[cases[2].debtor_id].due_date is None and by_rows[cases[2].debtor_id].contract_no
    assert values_for_many_debtors([], today) == {}


def test_a_key_queued_since_the_batch_was_read_is_left_alone(varied: list[Any]) -> None:
    """Another transaction may commit one of the batch's keys between the read and the write: the COPY then
    fails on the unique key inside its savepoint, and the staged insert skips that key and writes the rest."""
    from huikuan.comms.models import Message
    from huikuan.comms.outbox import QueueBatch

    batch = QueueBatch(varied[:12], date(2026, 11, 20))
    frame = batch.compose()
    first = frame.row(0, named=True)["idempotency_key"]
    Message.objects.create(
        idempotency_key=first, debtor_id=varied[0].debtor_id, channel="sms", purpose="reminder", body="earlier",
        due_at=DAYTIME,
    )  # fmt: skip
    batch.insert(frame)
    assert Message.objects.get(idempotency_key=first).body == "earlier"
    assert Message.objects.count() == frame.height


def test_a_batch_handed_over_again_reads_nothing_more_and_queues_nothing(varied: list[Any]) -> None:
    """A night's batch whose every key is queued already (a re-run's hand-over): counted as duplicates, no
    debtor or fact read (the batch path reads its debtors as one frame: none to read), nothing written."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from huikuan.comms import outbox
    from huikuan.comms.models import Message

    today = date(2026, 11, 20)
    with mock.patch.object(outbox, "BULK_BATCH", 1):
        first = outbox.queue_messages(varied, today)
        stored = list(Message.objects.order_by("id").values_list(*COLUMNS))
        # The ones queued (the others, left out for want of a point or a value, would be looked at again).
        keys = set(Message.objects.values_list("idempotency_key", flat=True))
        queued = [r for r in varied if r.idempotency_key in keys]
        with CaptureQueriesContext(connection) as queries:
            again = outbox.queue_messages(queued, today)
    assert first.queued > 0
    assert astuple_report(again) == (0, len(queued), 0, 0, 0)
    assert list(Message.objects.order_by("id").values_list(*COLUMNS)) == stored
    assert not [q for q in queries if "portfolio_debtor" in q["sql"] or "portfolio_account" in q["sql"]]


def _composed_one_by_one(requests: list[Any]) -> tuple[Any, list[int]]:
    """The batch's rows, composed as a night's batch is, and the positions ``_compose_each`` was asked for."""
    from huikuan.comms import outbox

    each = outbox.QueueBatch._compose_each
    asked: list[int] = []

    def spy(batch: Any, positions: Any) -> Any:
        asked.extend(positions)
        return each(batch, positions)

    with mock.patch.object(outbox, "BULK_BATCH", 1), mock.patch.object(outbox.QueueBatch, "_compose_each", spy):
        rows = outbox.QueueBatch(requests, date(2026, 11, 20)).compose()
    return rows, asked


def test_a_night_decides_in_columns_and_composes_only_the_awkward_ones_one_by_one(varied: list[Any]) -> None:
    """The varied batch goes both ways inside ``compose``: most messages in columns (``_compose_columns``), the
    ones with a cause's own values or a value the skeleton cannot take by ``_compose_each``."""
    rows, asked = _composed_one_by_one(varied)
    assert 0 < len(asked) < rows.height
    assert {bool(varied[position].extra) for position in asked} == {True}


def test_awkward_names_and_contracts_queue_the_same_in_a_batch(varied: list[Any]) -> None:
    """Quotes, backslashes and control characters (the values' JSON escapes them), separators Python strips
    and Polars does not (\\x1c), ideographic and other white space at an end, line breaks, HTML, in the
    debtors' names and addresses (a letter's recipient) and contract numbers (the masked account): the same
    rows, the ones the skeleton cannot take composed one by one."""
    from huikuan.cases.models import Case
    from huikuan.portfolio.models import Account, ContactPoint, Debtor

    awkward = ['王"五\\', "\x1c赵六", "钱七\u3000", "\t孙八", "李\x01九", "<b>&周</b>", "吴\x1f", "郑\u00a0十 "]
    contracts = ["HT1234 ", "HT12\x1c34", "HT1234\x1c", 'HT"\\12', "HT\n1234", "HT<&>'", "HT\u3000", "HT\x0b12"]
    for case, name, contract in zip(Case.objects.order_by("id")[9:], awkward, contracts, strict=False):
        Debtor.objects.filter(pk=case.debtor_id).update(name=name, address=f"{name}路1号")
        ContactPoint.objects.filter(debtor_id=case.debtor_id, kind="postal").delete()
        for k, account in enumerate(Account.objects.filter(debtor_id=case.debtor_id).order_by("id")):
            Account.objects.filter(pk=account.pk).update(contract_no=f"{k}{contract}")
    _assert_same(varied)
    # The skeleton could not take some of them (white space at an end, a line break): composed one by one.
    _rows, asked = _composed_one_by_one(varied)
    assert any(not varied[position].extra for position in asked)


@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.text()),
            st.one_of(st.none(), st.text(alphabet=st.characters(max_codepoint=0x40))),
            st.one_of(st.none(), st.text(alphabet=st.characters(codec="utf-8", categories=["Cc", "Zs", "Po"]))),
        ),
        max_size=20,
    )
)
def test_the_values_json_written_in_columns_is_the_encoders_text(rows: list[tuple[Any, ...]]) -> None:
    import json

    import polars as pl

    from huikuan.comms.outbox import _json_objects

    names = ["honorific", "deadline", "recipient_address"]
    frame = pl.DataFrame(rows, schema=dict.fromkeys(names, pl.String), orient="row")
    encode = json.JSONEncoder(ensure_ascii=False).encode
    expected = [encode({n: v for n, v in zip(names, row, strict=True) if v is not None}) for row in rows]
    assert frame.select(_json_objects(names)).to_series().to_list() == expected
