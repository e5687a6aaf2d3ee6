"""Issue 16, item 2 on the case page: step 4 reads back the choice, the header shows the arrangement, the
identity check answers match / no match, company debtors get the company script. Alice's day (fixtures)."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.test import Client
from django.utils import timezone

from huikuan.audit.models import ChangeLog
from huikuan.kernel.money import format_yuan
from huikuan.kernel.pii import IDENTITY_CHECKS_PER_DAY
from huikuan.payments.models import RepaymentPlan
from huikuan.portfolio.models import ContactPoint
from tests.workbench.fixtures import CaseMaker


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def confirm_block(page: str, key: str) -> str:
    start = page.index(f'data-choice="{key}"')
    return html.unescape(page[start : page.index("</ol>", start)])


def test_step_4_holds_the_read_back_of_each_option_with_its_amount_and_date(workday: dict[str, Any]) -> None:
    """Issue 16: on /cases/18/ step 3 said 54,796.84 by 12-09, step 4 said 58,398.41 (the whole balance)."""
    case = workday["middle"]
    page = client_for(workday["personas"].alice).get(f"/cases/{case.pk}/").content.decode()
    nothing = confirm_block(page, "")
    assert "同意在" not in nothing and "12,400.00" not in nothing
    solutions = html.unescape(page[page.index('data-key="solutions"') : page.index('data-key="confirm"')])
    option_1 = re.search(r"一、一次性结清：(\d+)年(\d+)月(\d+)日[\d:]*前还款([\d,.]+)元", solutions)
    assert option_1 is not None
    year, month, day, amount = option_1.groups()
    full = confirm_block(page, "plan:full_with_waiver")
    assert f"您选择的是方案一，一次性结清：{year}年{month}月{day}日" in full
    assert f"也就是说，您同意在{year}年{month}月{day}日前还款{amount}元。" in full
    assert "还款12,400.00元" not in full
    instalments = confirm_block(page, "plan:instalments")
    assert "您选择的是方案二，分期还款" in instalments and "第一期" in instalments


def test_step_4_reads_back_the_promise_as_typed(workday: dict[str, Any]) -> None:
    case = workday["late"]
    client = client_for(workday["personas"].alice)
    due = timezone.localdate() + timedelta(days=6)
    lines = client.get(
        f"/work/cases/{case.pk}/confirm/", {"promise_amount": "3,000.5", "promise_date": due.isoformat()}
    ).content.decode()
    assert f"我再跟您确认一下：您同意在{due.year}年{due.month}月{due.day}日前还款3,000.50元。" in lines
    for amount, date_text, message in (
        ("abc", due.isoformat(), "金额"),
        ("-5", due.isoformat(), "大于零"),
        ("100", "2026-13-40", "日期"),
    ):
        answer = client.get(f"/work/cases/{case.pk}/confirm/", {"promise_amount": amount, "promise_date": date_text})
        text = answer.content.decode()
        assert answer.status_code == 200 and message in text and "确认一下" not in text
    assert client.get(f"/work/cases/{workday['bob'].pk}/confirm/").status_code == 404  # hidden, as if missing


def test_the_header_shows_the_newest_arrangement(workday: dict[str, Any]) -> None:
    """Issue 16: the header kept showing the old promise after a plan was accepted."""
    case = workday["middle"]
    alice = workday["personas"].alice
    client = client_for(alice)
    mobile = ContactPoint.objects.get(debtor=case.debtor, kind="mobile")
    due = timezone.localdate() + timedelta(days=4)
    promise = {"outcome": "promise", "point": mobile.pk, "promise_amount": "800.00", "promise_date": due.isoformat()}
    client.post(f"/work/cases/{case.pk}/save/", promise)
    header = client.get(f"/cases/{case.pk}/").content.decode()
    arrangement = header[header.index('data-testid="arrangement"') :][:400]
    assert "800.00" in arrangement and due.isoformat() in arrangement
    client.post(
        f"/work/cases/{case.pk}/save/", {"outcome": "plan_accepted", "point": mobile.pk, "plan_kind": "instalments"}
    )
    plan = RepaymentPlan.objects.get(case=case)
    first = plan.instalments.order_by("n").first()
    assert first is not None
    header = client.get(f"/cases/{case.pk}/").content.decode()
    arrangement = header[header.index('data-testid="arrangement"') :][:400]
    assert plan.get_kind_display() in arrangement and format_yuan(first.amount) in arrangement
    assert first.due_date.isoformat() in arrangement and "800.00" not in arrangement


def test_identity_check_answers_match_or_no_match_and_never_shows_the_stored_value(
    workday: dict[str, Any],
) -> None:
    case = workday["early"]  # the fixture stores the ID's last four as 123X
    client = client_for(workday["personas"].alice)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="identity"' in page and "123X" not in page and "123x" not in page.lower()
    url = f"/work/cases/{case.pk}/identity/"
    wrong = client.post(url, {"said": "1234"}).content.decode()
    assert 'data-testid="identity-no-match"' in wrong and "123X" not in wrong
    right = client.post(url, {"said": "123x"}).content.decode()
    assert 'data-testid="identity-match"' in right and "123X" not in right
    refused = client.post(url, {"said": "12"}).content.decode()
    assert 'data-testid="identity-error"' in refused and "后四位" in refused
    logs = list(ChangeLog.objects.filter(action="identity:check", subject_id=str(case.pk)).order_by("at"))
    assert [log.after for log in logs] == [
        {"method": "tail", "result": "no_match"},
        {"method": "tail", "result": "match"},
    ]
    assert all(log.user == workday["personas"].alice for log in logs)
    # The page remembers today's last answer.
    assert 'class="match"' in client.get(f"/cases/{case.pk}/").content.decode()


def test_identity_checks_are_limited_per_case_and_day(workday: dict[str, Any]) -> None:
    case = workday["early"]
    client = client_for(workday["personas"].alice)
    url = f"/work/cases/{case.pk}/identity/"
    for _ in range(IDENTITY_CHECKS_PER_DAY):
        assert 'data-testid="identity-no-match"' in client.post(url, {"said": "0000"}).content.decode()
    blocked = client.post(url, {"said": "123X"}).content.decode()
    assert 'data-testid="identity-error"' in blocked and "identity-match" not in blocked
    assert ChangeLog.objects.filter(action="identity:check").count() == IDENTITY_CHECKS_PER_DAY
    # Another case has its own count; another collector's case is not open to Alice at all.
    assert "identity-" in client.post(f"/work/cases/{workday['late'].pk}/identity/", {"said": "123X"}).content.decode()
    assert client.post(f"/work/cases/{workday['bob'].pk}/identity/", {"said": "123X"}).status_code == 404


def test_the_whole_id_number_is_checked_against_its_hash(make_case: CaseMaker) -> None:
    case = make_case(20)
    debtor = case.debtor
    debtor.set_id_number("11010519491231002X")
    debtor.save(update_fields=["id_hash", "id_last4"])
    client = client_for(case.assignee)
    url = f"/work/cases/{case.pk}/identity/"
    assert "identity-match" in client.post(url, {"said": "11010519491231002x"}).content.decode()
    assert "identity-no-match" in client.post(url, {"said": "110105194912310038"}).content.decode()


def test_a_company_debtor_gets_the_company_script(make_case: CaseMaker) -> None:
    """Issue 16: "请问是华泰通安网络有限公司本人吗？", asked for an ID number."""
    case = make_case(45, name="华泰通安网络有限公司", gender="unknown")
    case.debtor.kind = "company"
    case.debtor.save(update_fields=["kind"])
    page = html.unescape(client_for(case.assignee).get(f"/cases/{case.pk}/").content.decode())
    assert "请问是华泰通安网络有限公司的法定代表人或财务负责人吗？" in page
    assert "贵司统一社会信用代码的后四位" in page and "本人吗" not in page and "身份证号码的后四位" not in page
    assert "对方所报信用代码" in page
    assert f"贵司（华泰通安网络有限公司）在我司的账户目前欠款共计{format_yuan(Decimal('12400.00'))}元" in page
