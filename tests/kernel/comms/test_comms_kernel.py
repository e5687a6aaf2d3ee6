"""Comms kernel: carrier SMS counting, placeholders, back-off, opt-out replies, webhook signatures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from huikuan.kernel.comms.delivery import Recovery, backoff, is_opt_out_reply, next_try, recover_expired_lease
from huikuan.kernel.comms.render import TemplateError, content_hash, render, render_strict, unknown_variables
from huikuan.kernel.comms.sms import sms_length
from huikuan.kernel.comms.variables import Amounts, MessageFacts, values_for
from huikuan.kernel.comms.webhook import TOLERANCE_SECONDS, Refusal, check, parse_timestamp, sign, verify


@pytest.mark.parametrize(
    ("text", "encoding", "segments", "per_segment"),
    [
        ("", "gsm7", 1, 160),
        ("a" * 160, "gsm7", 1, 160),
        ("a" * 161, "gsm7", 2, 153),
        ("a" * 306, "gsm7", 2, 153),
        ("a" * 307, "gsm7", 3, 153),
        ("€" * 80, "gsm7", 1, 160),  # extension characters take two septets
        ("€" * 81, "gsm7", 2, 153),
        ("还" * 70, "ucs2", 1, 70),
        ("还" * 71, "ucs2", 2, 67),
        ("还" * 134, "ucs2", 2, 67),
        ("还" * 135, "ucs2", 3, 67),
        ("a" * 69 + "还", "ucs2", 1, 70),  # one Chinese character turns the whole text into UCS-2
        ("😀" * 35, "ucs2", 1, 70),  # outside the BMP: two code units each
        ("😀" * 36, "ucs2", 2, 67),
    ],
)
def test_sms_segments_counted_like_carriers(text: str, encoding: str, segments: int, per_segment: int) -> None:
    length = sms_length(text)
    assert (length.encoding, length.segments, length.per_segment) == (encoding, segments, per_segment)
    assert length.remaining == segments * per_segment - length.units


def test_render_fills_and_reports_missing_values() -> None:
    result = render(
        "{{honorific}}您好，待还{{ total }}元，约定{{promise_date}}", {"honorific": "张先生", "total": "1.00"}
    )
    assert result.text == "张先生您好，待还1.00元，约定{{promise_date}}"
    assert result.missing == ("promise_date",)
    with pytest.raises(TemplateError):
        render_strict("{{promise_date}}", {})
    assert render("<p>{{honorific}}</p>", {"honorific": "<b>"}, escape=True).text == "<p>&lt;b&gt;</p>"
    assert unknown_variables(["{{honorific}} {{salary}}"]) == ("salary",)


def test_content_hash_is_length_prefixed() -> None:
    assert content_hash("ab", "c") != content_hash("a", "bc")
    assert content_hash("x") == content_hash("x")


def test_values_are_exact_and_localised() -> None:
    facts = MessageFacts(
        name="欧阳娜娜", gender="female", company_debtor=False, contract_no="HT20260001234",
        amounts=Amounts(Decimal("12000.00"), Decimal("345.60"), Decimal("0.00"), Decimal("290.07")),
        today=date(2026, 11, 18), due_date=date(2026, 10, 1), deadline=date(2026, 12, 3),
        creditor={"zh": "回款", "en": "Huikuan"},
    )  # fmt: skip
    zh = values_for(facts, "zh-hans")
    assert zh["honorific"] == "欧阳女士"
    assert zh["total"] == "12,635.67"
    assert zh["account"] == "****1234"
    assert zh["deadline"] == "2026年12月3日"
    assert zh["dpd"] == "48"
    assert "promise_amount" not in zh
    en = values_for(facts, "en")
    assert en["deadline"] == "3 December 2026"
    assert en["company"] == "Huikuan"


def test_backoff_doubles_and_stops() -> None:
    assert [backoff(n, base_seconds=30).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(20, base_seconds=30, cap_seconds=3600) == timedelta(hours=1)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert next_try(now, 6, 6) is None
    assert next_try(now, 1, 6, base_seconds=10) == now + timedelta(seconds=10)
    assert recover_expired_lease(True) is Recovery.RESEND
    assert recover_expired_lease(False) is Recovery.UNCERTAIN


@pytest.mark.parametrize("text", ["退订", "TD", "td", " T D ", "STOP", "stop.", "Ｔｄ", "unsubscribe"])
def test_opt_out_replies(text: str) -> None:
    assert is_opt_out_reply(text)


@pytest.mark.parametrize("text", ["TD 明天还", "我明天还款", "stop calling my wife", "", "好的"])
def test_not_opt_out_replies(text: str) -> None:
    assert not is_opt_out_reply(text)


def test_webhook_signature() -> None:
    body = b'{"id": "gw-1", "status": "delivered"}'
    signature = sign("s3cret", 1_800_000_000, body)
    assert verify("s3cret", "1800000000", body, signature, 1_800_000_010)
    assert verify("s3cret", "1800000000", body, "sha256=" + signature, 1_800_000_010)
    assert not verify("s3cret", "1800000000", body + b" ", signature, 1_800_000_010)
    assert not verify("other", "1800000000", body, signature, 1_800_000_010)
    assert not verify("s3cret", "1800000000", body, signature, 1_800_000_000 + 3600)  # replayed an hour later
    assert not verify("", "1800000000", body, signature, 1_800_000_010)


def test_webhook_verdict_names_the_refusal_and_keys_the_replay_store() -> None:
    body = b'{"id": "gw-1"}'
    good = check("s3cret", "1800000000", body, sign("s3cret", 1_800_000_000, body), 1_800_000_010)
    assert good.ok and good.signature == sign("s3cret", 1_800_000_000, body)
    assert good.keep_until == 1_800_000_000 + TOLERANCE_SECONDS
    upper = check("s3cret", "1800000000", body, good.signature.upper(), 1_800_000_010)
    assert upper.ok and upper.signature == good.signature  # one request, one key, however it is spelt
    assert check("s3cret", "", body, good.signature, 1_800_000_010).refusal is Refusal.UNSIGNED
    assert check("s3cret", "1800000000", body, "", 1_800_000_010).refusal is Refusal.UNSIGNED
    assert check("s3cret", "18000000²", body, good.signature, 1_800_000_010).refusal is Refusal.MALFORMED
    assert check("s3cret", "1800000000", body, good.signature, 1_800_000_000 + 301).refusal is Refusal.STALE
    assert check("s3cret", "1800000000", body, "é" * 64, 1_800_000_010).refusal is Refusal.FORGED


@pytest.mark.parametrize("text", ["²", "１８００", "١٨٠٠", "1" * 13, "-1", "+1", " 1", "1.5", "0x10"])
def test_a_timestamp_is_ascii_digits_only(text: str) -> None:
    assert parse_timestamp(text) is None


def test_a_timestamp_of_ascii_digits_parses() -> None:
    assert parse_timestamp("1800000000") == 1_800_000_000
