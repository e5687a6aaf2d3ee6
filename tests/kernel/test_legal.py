"""The legal case's stages, moves and the evidence pack's rules, without a database."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel import legal
from huikuan.kernel.legal import FINAL, FORWARD, MoveFacts, Stage, allowed_next, check_move

TODAY = date(2026, 11, 20)
FILING = MoveFacts(court="北京市朝阳区人民法院", case_number="(2026)京0105民初1234号", filed_on=TODAY)
JUDGMENT = MoveFacts(judgment_on=TODAY, judgment_amount=Decimal("12345.67"))
HEARING = MoveFacts(next_hearing=datetime(2026, 12, 1, 1, 30, tzinfo=UTC))
FACTS = {Stage.FILED: FILING, Stage.JUDGMENT: JUDGMENT, Stage.HEARING: HEARING}


def test_the_way_forward_is_one_step_at_a_time_from_review_to_closed() -> None:
    stage = Stage.REVIEW
    for nxt in (Stage.LETTER, Stage.FILED, Stage.HEARING, Stage.JUDGMENT, Stage.ENFORCEMENT, Stage.CLOSED):
        assert check_move(stage, nxt, FACTS.get(nxt, MoveFacts()), today=TODAY) == []
        stage = nxt
    assert allowed_next(stage) == ()


def test_a_judgment_before_filing_is_refused_with_the_stages_allowed_next() -> None:
    [error] = check_move(Stage.LETTER, Stage.JUDGMENT, JUDGMENT, today=TODAY)
    assert error.code == "out_of_order"
    assert error.allowed == (Stage.FILED, Stage.WITHDRAWN, Stage.SETTLED)


def test_filing_needs_the_court_the_case_number_and_a_day_not_in_the_future() -> None:
    errors = check_move(
        Stage.REVIEW, Stage.FILED, MoveFacts(court="法院", filed_on=TODAY + timedelta(days=1)), today=TODAY
    )
    assert {(e.field, e.code) for e in errors} == {("case_number", "required"), ("filed_on", "future")}


def test_a_judgment_needs_its_amount_and_date_and_an_amount_to_the_fen() -> None:
    errors = check_move(
        Stage.HEARING, Stage.JUDGMENT, MoveFacts(judgment_on=TODAY, judgment_amount=Decimal("1.234")), today=TODAY
    )
    assert [(e.field, e.code) for e in errors] == [("judgment_amount", "amount")]
    missing = check_move(Stage.HEARING, Stage.JUDGMENT, MoveFacts(), today=TODAY)
    assert {e.field for e in missing} == {"judgment_on", "judgment_amount"}


def test_an_adjourned_hearing_is_held_again() -> None:
    assert check_move(Stage.HEARING, Stage.HEARING, HEARING, today=TODAY) == []


def test_an_unknown_stage_allows_nothing() -> None:
    assert allowed_next("appeal") == ()
    assert check_move("appeal", Stage.CLOSED, MoveFacts(), today=TODAY)[0].code == "out_of_order"


@given(st.sampled_from(list(Stage)), st.sampled_from(list(Stage)))
def test_a_move_is_allowed_exactly_when_the_table_lists_it(stage: Stage, to: Stage) -> None:
    errors = check_move(stage, to, FACTS.get(to, MoveFacts()), today=TODAY)
    assert (errors == []) == (to in allowed_next(stage))
    if to not in allowed_next(stage):
        assert errors[0].allowed == allowed_next(stage)


@given(st.lists(st.sampled_from(list(Stage)), max_size=12))
def test_no_path_leaves_a_final_stage_or_goes_backwards(path: list[Stage]) -> None:
    stage = Stage.REVIEW
    for to in path:
        if check_move(stage, to, FACTS.get(to, MoveFacts()), today=TODAY):
            continue
        assert stage not in FINAL
        if stage in FORWARD and to in FORWARD:
            assert FORWARD.index(to) >= FORWARD.index(stage)
        stage = to
    assert legal.holds_case(stage) == (stage not in FINAL)


@given(
    st.one_of(st.none(), st.decimals(min_value=0, max_value=10**6, places=2)),
    st.decimals(min_value=0, max_value=10**6, places=2),
)
def test_costs_posted_never_exceed_the_award(awarded: Decimal | None, posted: Decimal) -> None:
    to_post = legal.costs_to_post(awarded, posted)
    assert to_post >= 0
    if awarded is not None and awarded >= posted:
        assert posted + to_post == awarded
    if awarded is None or awarded <= posted:
        assert to_post == 0


def test_a_hearing_is_announced_in_the_days_before_it_and_not_after() -> None:
    hearing = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)
    assert legal.hearing_reminder_due(hearing, hearing - timedelta(days=2), 3)
    assert not legal.hearing_reminder_due(hearing, hearing - timedelta(days=4), 3)
    assert not legal.hearing_reminder_due(hearing, hearing + timedelta(minutes=1), 3)
    assert not legal.hearing_reminder_due(None, hearing, 3)


amounts = st.decimals(min_value=-5000, max_value=5000, places=2).filter(lambda d: d != 0)


@given(st.lists(st.tuples(st.sampled_from(["A", "B"]), amounts), max_size=30))
def test_the_running_balance_of_each_account_is_the_sum_of_its_entries(rows: list[tuple[str, Decimal]]) -> None:
    entries = [(acc, TODAY, "fee", f"r{i}", amount) for i, (acc, amount) in enumerate(sorted(rows, key=lambda r: r[0]))]
    lines = legal.statement(entries)
    closing = legal.closing_balances(lines)
    for account in {a for a, _ in rows}:
        assert closing[account] == sum((amount for a, amount in rows if a == account), Decimal("0"))
    for line in lines:
        assert line.balance == line.balance.quantize(Decimal("0.01"))


@given(st.dictionaries(st.text(min_size=1, max_size=8), st.binary(max_size=64), max_size=6))
def test_the_manifest_is_the_same_bytes_for_the_same_files_in_any_order(files: dict[str, bytes]) -> None:
    reordered = dict(reversed(list(files.items())))
    first = legal.manifest(files, {"case": 1})
    assert first == legal.manifest(reordered, {"case": 1})
    document = json.loads(first)
    assert legal.check_manifest(document, files) == []
    assert [f["sha256"] for f in document["files"]] == [hashlib.sha256(files[n]).hexdigest() for n in sorted(files)]


def test_a_changed_file_is_found_by_the_manifest() -> None:
    files = {"a.pdf": b"%PDF-1", "b.csv": b"x"}
    document = json.loads(legal.manifest(files, {}))
    assert legal.check_manifest(document, {**files, "a.pdf": b"%PDF-2"}) == ["a.pdf"]
    assert legal.check_manifest(document, {"a.pdf": b"%PDF-1"}) == ["b.csv"]


def test_uploads_are_told_by_their_bytes_not_their_name() -> None:
    assert legal.sniff_content_type(b"%PDF-1.7\n") == "application/pdf"
    assert legal.sniff_content_type(b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert legal.sniff_content_type(b"\xff\xd8\xff\xe0JFIF") == "image/jpeg"
    assert legal.sniff_content_type(b"RIFF\x00\x00\x00\x00WAVEfmt ") == "audio/wav"
    assert legal.sniff_content_type(b"ID3\x04\x00") == "audio/mpeg"
    assert legal.sniff_content_type(b"PK\x03\x04word/document") is None  # an office file
    assert legal.sniff_content_type(b"#!/bin/sh\n") is None
    assert legal.sniff_content_type(b"") is None
