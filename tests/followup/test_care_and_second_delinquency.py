"""Care campaigns before the festivals, and the pre-due reminder that prevents a second delinquency."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from huikuan.cases.models import Case
from huikuan.comms.models import Message, Template, TemplateVersion
from huikuan.comms.templates import ActivationRefused, activate_version, create_version, seed_default_templates
from huikuan.compliance.actions import record_stop_request
from huikuan.portfolio.models import Debtor
from huikuan.strategy.actions import import_policy
from huikuan.strategy.executors import run_strategy
from tests.conftest import Personas
from tests.followup.plans import plan_on
from tests.strategy.conftest import AS_OF, ROOT, CaseMaker


def policy_with(replacements: dict[str, str]) -> Any:
    text = (ROOT / "examples" / "policy-default.yaml").read_text(encoding="utf-8")
    for old, new in replacements.items():
        assert old in text
        text = text.replace(old, new)
    version, _ = import_policy(text, activate=True)
    return version


def greeted() -> set[int]:
    return set(Message.objects.filter(purpose="holiday_greeting").values_list("debtor_id", flat=True))


def test_a_mid_autumn_greeting_four_days_ahead_goes_on_the_friday_and_skips_the_opted_out(
    make_case: CaseMaker,
) -> None:
    # Four days before 中秋 2027 (15 September) is Saturday the 11th: the greeting goes on Friday the 10th.
    policy_with({"action: sms, days_before: 1, segments:": "action: sms, days_before: 4, segments:"})
    seed_default_templates()
    on_plan = make_case(dpd=40)
    plan_on(on_plan, [date(2027, 9, 30)])
    sincere = make_case(dpd=40, promises=(("kept", -30),))
    opted_out = make_case(dpd=40, promises=(("kept", -30),))
    record_stop_request(opted_out, "sms", source="sms_reply")
    closed = make_case(dpd=40, status="closed")
    Case.objects.filter(pk=closed.pk).update(closed_at=datetime(2027, 8, 1, 2, tzinfo=UTC))
    long_closed = make_case(dpd=40, status="closed")
    Case.objects.filter(pk=long_closed.pk).update(closed_at=datetime(2027, 3, 1, 2, tzinfo=UTC))
    stranger = make_case(dpd=40)  # first-time late, no plan: not in any segment

    run_strategy(date(2027, 9, 11))
    assert greeted() == set()
    report = run_strategy(date(2027, 9, 10))
    assert greeted() == {on_plan.debtor_id, sincere.debtor_id, closed.debtor_id}
    assert opted_out.debtor_id not in greeted() and stranger.debtor_id not in greeted()
    assert long_closed.debtor_id not in greeted()
    assert report.run is not None and report.run.counts["care|sms"] == 3
    body = Message.objects.filter(purpose="holiday_greeting").first().body  # type: ignore[union-attr]
    assert "节日快乐" in body and "元" not in body and "还款" not in body
    run_strategy(date(2027, 9, 10))  # a re-run greets nobody twice
    assert Message.objects.filter(purpose="holiday_greeting").count() == 3


def test_the_day_before_the_festival_by_default(champion: Any, make_case: CaseMaker) -> None:
    seed_default_templates()
    on_plan = make_case(dpd=40)
    plan_on(on_plan, [date(2027, 9, 30)])
    run_strategy(date(2027, 9, 13))
    assert greeted() == set()
    run_strategy(date(2027, 9, 14))
    assert greeted() == {on_plan.debtor_id}


def test_a_care_template_with_collection_content_stays_a_draft(personas: Personas) -> None:
    template = Template.objects.create(channel="sms", purpose="holiday_greeting", tone="gentle", language="zh-hans")
    version = create_version(personas.adam, template, body="【{{company}}】中秋快乐！本期应还{{next_due_amount}}元。")
    with pytest.raises(ActivationRefused) as refused:
        activate_version(personas.adam, version)
    assert {f["rule_id"] for f in refused.value.flags} == {"care.no_collection_content"}
    assert {f["excerpt"] for f in refused.value.flags} == {"应还", "{{next_due_amount}}"}
    assert TemplateVersion.objects.get(pk=version.pk).status == "draft"


def test_a_recently_closed_debtor_is_reminded_before_the_next_due_date_with_the_general_rule_off(
    make_case: CaseMaker,
) -> None:
    from huikuan.portfolio.models import Account, AccountBalance

    policy_with({"pre_due:\n  - {key: due_in_3_days_sms, action: sms, days_before: 3}\n"
                 "  - {key: due_in_3_days_email, action: email, days_before: 3}\n"
                 "  - {key: due_tomorrow_sms, action: sms, days_before: 1}\n": "pre_due: []\n"})  # fmt: skip
    seed_default_templates()
    recent, old = make_case(dpd=40, status="closed"), make_case(dpd=40, status="closed")
    Case.objects.filter(pk=recent.pk).update(closed_at=datetime(2026, 10, 1, 2, tzinfo=UTC))
    Case.objects.filter(pk=old.pk).update(closed_at=datetime(2026, 5, 1, 2, tzinfo=UTC))
    accounts = {}
    for case in (recent, old):
        accounts[case.pk] = Account.objects.create(
            debtor=case.debtor, contract_no=f"NX{case.pk:06d}", product="consumer_loan",
            original_amount=Decimal("3000.00"), open_date=AS_OF - timedelta(days=20),
            due_date=AS_OF + timedelta(days=3),
        )  # fmt: skip
        AccountBalance.objects.create(account=accounts[case.pk], principal=Decimal("600.00"), total=Decimal("600.00"))
    run_strategy(AS_OF)
    keys = set(Message.objects.filter(purpose="due_reminder").values_list("idempotency_key", flat=True))
    assert keys == {f"predue:2026-11-23:{accounts[recent.pk].pk}:second_delinquency"}
    assert "应还600.00元" in Message.objects.get(purpose="due_reminder").body


def test_the_general_rule_and_the_second_delinquency_rule_do_not_both_send(champion: Any, make_case: CaseMaker) -> None:
    from huikuan.portfolio.models import Account, AccountBalance

    seed_default_templates()
    recent = make_case(dpd=40, status="closed")
    Case.objects.filter(pk=recent.pk).update(closed_at=datetime(2026, 10, 1, 2, tzinfo=UTC))
    account = Account.objects.create(
        debtor=recent.debtor, contract_no="NX000001", product="consumer_loan", original_amount=Decimal("3000.00"),
        open_date=AS_OF - timedelta(days=20), due_date=AS_OF + timedelta(days=3),
    )  # fmt: skip
    AccountBalance.objects.create(account=account, principal=Decimal("600.00"), total=Decimal("600.00"))
    run_strategy(AS_OF)
    sms = Message.objects.filter(purpose="due_reminder", channel="sms").values_list("idempotency_key", flat=True)
    assert list(sms) == [f"predue:2026-11-23:{account.pk}:due_in_3_days_sms"]


def test_a_sincere_payer_is_greeted_whichever_shard_its_debtor_id_falls_in(make_case: CaseMaker) -> None:
    # The run shards by case id; a debtor whose id falls in the other shard than its case's was dropped.
    policy_with({"action: sms, days_before: 1, segments:": "action: sms, days_before: 4, segments:"})
    seed_default_templates()
    sincere = []
    for n in range(4):
        Debtor.objects.create(customer_no=f"SPARE-{n}", name="备用")  # moves the debtor ids against the case ids
        sincere.append(make_case(dpd=40, promises=(("kept", -30),)))
    run_strategy(date(2027, 9, 10))
    assert greeted() == {c.debtor_id for c in sincere}
