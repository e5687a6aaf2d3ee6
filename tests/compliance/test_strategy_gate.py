"""The compliance batch gate as the strategy run's gate: stored facts reach it, windows shrink, not vanish."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest

from huikuan.cases.models import Case, Interaction
from huikuan.compliance.actions import record_stop_request
from huikuan.compliance.strategy_gate import compliance_gate
from huikuan.kernel.strategy.evaluate import PLANNED_SCHEMA
from huikuan.portfolio.models import ContactPoint
from tests.conftest import Personas

# The kind of the debtor's own point a channel is planned to, as the strategy picks it.
POINT_OF_CHANNEL = {"call": "mobile", "sms": "mobile", "email": "email", "letter": "postal", "visit": "postal"}


def own_point(case: Case, kind: str) -> ContactPoint:
    found = ContactPoint.objects.filter(debtor=case.debtor, relation="self", kind=kind).first()
    if found is not None:
        return found
    value = {"email": f"d{case.pk}@example.cn", "postal": f"上海市测试路{case.pk}号"}.get(kind, f"+86137{case.pk:08d}")
    return ContactPoint.objects.create(debtor=case.debtor, kind=kind, value=value, relation="self")


def planned(case: Case, channel: str, start: datetime, end: datetime, party: str = "debtor") -> dict[str, object]:
    row: dict[str, object] = {name: None for name in PLANNED_SCHEMA}
    row.update(
        contact_point_id=own_point(case, POINT_OF_CHANNEL[channel]).pk,
        case_id=case.pk, action=channel, channel=channel, party=party, window_start=start, window_end=end,
        window_start_local=(start.hour + 8) % 24 * 60, window_end_local=(end.hour + 8) % 24 * 60, priority=1,
        hold=case.hold_reason, unreachable=False, contact_dnc=False, specialist=False, reason_zh="", reason_en="",
    )  # fmt: skip
    return row


def frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=PLANNED_SCHEMA)


@pytest.fixture
def cases(small_portfolio: Personas) -> list[Case]:
    found = list(Case.objects.filter(hold_reason="").select_related("debtor")[:3])
    for case in found:
        case.debtor.time_zone = "Asia/Shanghai"
        case.debtor.save()
    return found


# Friday 20 November 2026, Shanghai: 09:00-11:30 local is 01:00-03:30 UTC.
MORNING = (datetime(2026, 11, 20, 1, 0, tzinfo=UTC), datetime(2026, 11, 20, 3, 30, tzinfo=UTC))


def test_stop_request_and_hold_block_and_clean_rows_pass(cases: list[Case], small_portfolio: Personas) -> None:
    stopped, held, clean = cases
    record_stop_request(stopped, "sms", source="inbound_sms")
    held.hold_reason = "dispute"
    held.save()
    out = compliance_gate(
        frame(
            [
                planned(stopped, "sms", *MORNING),
                planned(
                    held,
                    "call",
                    *MORNING,
                ),
                planned(clean, "call", *MORNING),
            ]
        )
    )
    pairs = zip(out.get_column("allowed"), out.get_column("gate_reason"), strict=True)
    answers = dict(zip(out.get_column("case_id").to_list(), pairs, strict=True))
    assert answers[stopped.pk] == (False, "cn.stop_medium")
    assert answers[held.pk] == (False, "cn.holds")
    assert answers[clean.pk] == (True, "")


def test_a_channel_planned_to_a_point_that_cannot_receive_it_is_refused(cases: list[Case]) -> None:
    """The nightly form of the channel rule: it reads each planned point's stored kind."""
    landline, pointless, fine = cases
    to_landline = planned(landline, "sms", *MORNING)
    to_landline.update(contact_point_id=own_point(landline, "home").pk)
    no_point = planned(pointless, "call", *MORNING)
    no_point.update(contact_point_id=None)
    out = compliance_gate(frame([to_landline, no_point, planned(fine, "email", *MORNING)]))
    reasons = dict(zip(out.get_column("case_id").to_list(), out.get_column("gate_reason").to_list(), strict=True))
    assert reasons == {landline.pk: "cn.channel_fits_point", pointless.pk: "cn.channel_fits_point", fine.pk: ""}


def test_a_window_opening_in_quiet_hours_starts_at_eight(cases: list[Case]) -> None:
    # 07:00-09:00 Shanghai: the first hour is quiet, the second is not.
    start, end = datetime(2026, 11, 19, 23, 0, tzinfo=UTC), datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    out = compliance_gate(frame([planned(cases[0], "call", start, end)]))
    assert out.get_column("allowed").to_list() == [True]
    assert out.get_column("window_start").to_list() == [datetime(2026, 11, 20, 0, 0, tzinfo=UTC)]


def test_third_party_while_the_debtor_is_reachable(cases: list[Case]) -> None:
    row = planned(cases[0], "call", *MORNING, party="third_party")
    spouse = ContactPoint.objects.create(
        debtor=cases[0].debtor, kind="mobile", value="+8613900077001", relation="spouse"
    )
    row.update(contact_point_id=spouse.pk)
    out = compliance_gate(frame([row]))
    assert out.get_column("gate_reason").to_list() == ["cn.third_party"]


def test_automated_sms_on_a_public_holiday(cases: list[Case]) -> None:
    # 1 October 2026 is National Day: no automatic messages; the next non-holiday is 8 October.
    start, end = datetime(2026, 10, 1, 1, 0, tzinfo=UTC), datetime(2026, 10, 1, 3, 30, tzinfo=UTC)
    out = compliance_gate(frame([planned(cases[0], "sms", start, end)]))
    assert out.get_column("allowed").to_list() == [False]
    assert out.get_column("gate_reason").to_list() == ["cn.automated_holiday"]


def test_the_weeks_calls_read_in_bulk_reach_the_us_rules(cases: list[Case], settings: Any) -> None:
    """Seven attempts in seven days, or a conversation two days ago, stop tonight's call under Reg F."""
    settings.COMPLIANCE_PACK = "us"
    busy, talked, quiet = cases
    first = MORNING[0]
    Interaction.objects.filter(case__in=cases).delete()
    # Seven attempts within the seven local days that end today: one early this morning, one on each day before.
    for at in [first - timedelta(hours=3), *(first - timedelta(days=day) for day in range(1, 7))]:
        Interaction.objects.create(case=busy, channel="call", outcome="no_answer", party="nobody", at=at)
    Interaction.objects.create(case=talked, channel="call", outcome="right_party", party="debtor",
                               at=first - timedelta(days=2))  # fmt: skip
    # Older than the week the gate reads, and an SMS: neither counts.
    Interaction.objects.create(case=quiet, channel="call", outcome="right_party", party="debtor",
                               at=first - timedelta(days=12))  # fmt: skip
    Interaction.objects.create(case=quiet, channel="sms", outcome="right_party", party="debtor",
                               at=first - timedelta(days=1))  # fmt: skip
    out = compliance_gate(frame([planned(c, "call", *MORNING) for c in cases]))
    reasons = dict(zip(out.get_column("case_id").to_list(), out.get_column("gate_reason").to_list(), strict=True))
    assert reasons == {busy.pk: "us.call_frequency", talked.pk: "us.after_conversation", quiet.pk: ""}


def test_third_party_refusals_and_answers_count_however_old(cases: list[Case], settings: Any) -> None:
    """The nightly gate reads every refusal (cn) and every answer (us, each person once) on the planned numbers."""
    refused_case, reached_case, fresh_case = cases
    Interaction.objects.filter(case__in=cases).delete()
    spouses = {
        c.pk: ContactPoint.objects.create(
            debtor=c.debtor, kind="mobile", value=f"+86139000{c.pk:05d}", relation="spouse"
        )
        for c in cases
    }
    long_ago = MORNING[0] - timedelta(days=300)
    Interaction.objects.create(case=refused_case, contact_point=spouses[refused_case.pk], channel="call",
                               party="third_party", outcome="refusal", at=long_ago)  # fmt: skip
    Interaction.objects.create(case=reached_case, contact_point=spouses[reached_case.pk], channel="call",
                               party="third_party", outcome="third_party", at=long_ago)  # fmt: skip

    def gate_reasons() -> dict[int, str]:
        rows = []
        for c in cases:
            row = planned(c, "call", *MORNING, party="third_party")
            row.update(contact_point_id=spouses[c.pk].pk, unreachable=True)
            rows.append(row)
        out = compliance_gate(frame(rows))
        return dict(zip(out.get_column("case_id").to_list(), out.get_column("gate_reason").to_list(), strict=True))

    assert gate_reasons() == {refused_case.pk: "cn.third_party", reached_case.pk: "", fresh_case.pk: ""}
    settings.COMPLIANCE_PACK = "us"
    assert gate_reasons() == {refused_case.pk: "us.third_party", reached_case.pk: "us.third_party", fresh_case.pk: ""}
