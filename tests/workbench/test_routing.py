"""Issue 16, items 1 and 3 on the pages: a working day that closes.

Alice and Bob collect in team A, Lena leads it, Lara is the legal department (no team). Nobody in team A has
the specialist skill until a test gives it. Through Django's test client.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from huikuan.audit.models import ChangeLog
from huikuan.cases.models import Case, Interaction
from huikuan.portfolio.models import ContactPoint
from huikuan.strategy.models import WorkItem
from tests.workbench.fixtures import CaseMaker


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def add_item(case: Case, action: str, assignee: Any, *, priority: int = 80) -> WorkItem:
    """A hand-over, legal review or visit of the day beside the case's call (as the nightly run writes it)."""
    call = WorkItem.objects.filter(case=case).first()
    assert call is not None
    channel = {"visit": "visit"}.get(action, "queue")
    queue = {"escalate_specialist": "specialist", "legal_review": "legal"}.get(action, "collector")
    return WorkItem.objects.create(
        run=call.run, as_of=call.as_of, case=case, action=action, channel=channel, template=action, rule=action,
        window_start=call.window_start, window_end=call.window_end, priority=priority, stage=call.stage,
        behaviour=call.behaviour, segment=call.segment, queue=queue, policy_version=call.policy_version,
        reason=f"{action} 原因", reason_en=f"{action} reason", assignee=assignee, created_at=call.created_at,
    )  # fmt: skip


def selected_number(page: str) -> str:
    """The value the number picker preselects ('' when it offers none)."""
    select = page[page.index('<select name="point"') :]
    select = select[: select.index("</select>")]
    chosen = re.search(r'<option value="(\d*)"[^>]*selected', select)
    return chosen.group(1) if chosen else ""


def first_number(page: str) -> str:
    """What a browser submits: the preselected option, else the first one."""
    select = page[page.index('<select name="point"') :]
    select = select[: select.index("</select>")]
    first = re.search(r'<option value="(\d*)"', select)
    return selected_number(page) or (first.group(1) if first else "")


def walk(client: Client, limit: int = 20) -> list[int]:
    """Press "next case", save "no answer" on the preselected number, follow; the cases offered, in order."""
    offered: list[int] = []
    location = client.get("/work/next/")["Location"]
    while location.startswith("/cases/") and len(offered) < limit:
        case_id = int(location.strip("/").split("/")[-1])
        offered.append(case_id)
        point = first_number(client.get(location).content.decode())
        response = client.post(f"/work/cases/{case_id}/save/", {"outcome": "no_answer", "point": point})
        assert response.status_code == 302, response.content.decode()[:500]
        location = response["Location"]
    assert location == "/work/?end=1", offered
    return offered


def test_next_case_ends_the_queue_instead_of_looping_between_hand_overs(workday: dict[str, Any]) -> None:
    """The demo's loop (/cases/5/, press 3, save, next case): the escalations the collector held could not be
    closed by a call, and "next" alternated between the two cases for ever."""
    p = workday["personas"]
    for key in ("middle", "late", "early"):
        add_item(workday[key], "escalate_specialist", p.alice, priority=95)  # dealt before the routing rule
    offered = walk(client_for(p.alice))
    assert offered == [workday["middle"].pk, workday["late"].pk, workday["early"].pk]
    assert set(WorkItem.objects.filter(assignee=p.alice, action="call").values_list("status", flat=True)) == {"done"}
    queue = client_for(p.alice).get("/work/?end=1").content.decode()
    # The hand-overs Alice cannot close stay listed, marked as such; "next" never offers them.
    assert 'data-testid="queue-passed"' in queue and queue.count("非本人可处理") == 3


def test_next_case_moves_forward_when_the_collector_skips(workday: dict[str, Any]) -> None:
    client = client_for(workday["personas"].alice)
    order = [workday["middle"].pk, workday["late"].pk, workday["early"].pk]
    seen = [int(client.get("/work/next/")["Location"].strip("/").split("/")[-1])]
    for _ in range(10):  # a bound, so that a loop fails the test instead of hanging it
        location = client.get(f"/work/next/?after={seen[-1]}")["Location"]
        if not location.startswith("/cases/"):
            break
        seen.append(int(location.strip("/").split("/")[-1]))
    assert seen == order and location == "/work/?end=1"


def test_next_case_skips_a_case_the_gate_refuses_now(workday: dict[str, Any]) -> None:
    from huikuan.compliance.actions import record_stop_request

    record_stop_request(workday["middle"], "call", source="call")
    response = client_for(workday["personas"].alice).get("/work/next/")
    assert response["Location"] == f"/cases/{workday['late'].pk}/"
    queue = client_for(workday["personas"].alice).get("/work/").content.decode()
    row = queue[queue.rindex("<tr", 0, queue.index(f'data-case="{workday["middle"].pk}"')) :]
    row = row[: row.index("</tr>")]
    assert 'class="blocked"' in row and "需人工处理" in row  # a stop request: "not by waiting"


def test_the_queue_has_one_row_per_case_with_its_actions(workday: dict[str, Any]) -> None:
    p = workday["personas"]
    add_item(workday["late"], "visit", p.alice, priority=60)
    page = client_for(p.alice).get("/work/").content.decode()
    assert page.count(f'data-case="{workday["late"].pk}"') == 1
    row = page[page.index(f'data-case="{workday["late"].pk}"') :]
    row = row[: row.index("</tr>")]
    assert row.count('class="tag"') == 2 and "电话催收" in row and "上门外访" in row


def test_a_lead_closes_the_hand_over_a_team_without_specialist_sends_them(workday: dict[str, Any]) -> None:
    p = workday["personas"]
    case = workday["middle"]
    item = add_item(case, "escalate_specialist", p.lena)
    lena = client_for(p.lena)
    assert f'data-case="{case.pk}"' in lena.get("/work/").content.decode()
    assert lena.get("/work/next/")["Location"] == f"/cases/{case.pk}/"
    page = lena.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="hand-over-escalate_specialist"' in page
    # Alice holds the case but cannot close the hand-over: no form for her, and the action refuses her.
    alice = client_for(p.alice)
    assert 'data-testid="hand-over-escalate_specialist"' not in alice.get(f"/cases/{case.pk}/").content.decode()
    refused = alice.post(
        f"/work/cases/{case.pk}/hand-over/", {"action": "escalate_specialist", "decision": "reviewed", "note": "x"}
    )
    assert refused.status_code == 403
    missing = lena.post(f"/work/cases/{case.pk}/hand-over/", {"action": "escalate_specialist", "decision": "reviewed"})
    assert missing.status_code == 400 and "理由" in missing.content.decode()
    done = lena.post(
        f"/work/cases/{case.pk}/hand-over/",
        {"action": "escalate_specialist", "decision": "reviewed", "note": "金额有异议，已核对账单，继续催收"},
    )
    assert done.status_code == 302 and done["Location"] == "/work/?end=1"
    item.refresh_from_db()
    assert item.status == "done"
    log = ChangeLog.objects.get(action="handover:escalate_specialist")
    assert log.user == p.lena and log.after and log.after["decision"] == "reviewed"


def test_legal_counsel_refers_a_case_to_legal(workday: dict[str, Any]) -> None:
    p = workday["personas"]
    case = workday["late"]
    add_item(case, "legal_review", p.lara, priority=70)
    lara = client_for(p.lara)
    assert lara.get("/work/next/")["Location"] == f"/cases/{case.pk}/"
    response = lara.post(
        f"/work/cases/{case.pk}/hand-over/", {"action": "legal_review", "decision": "refer", "note": "证据齐全，起诉"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "legal"
    assert ChangeLog.objects.filter(action="case:referred_to_legal", subject_id=str(case.pk)).exists()
    # From now on the gate warns before every contact on the case: confirm with legal first.
    from huikuan.compliance.models import ContactDecision

    mobile = ContactPoint.objects.get(debtor=case.debtor, kind="mobile")
    client_for(p.alice).post(f"/work/cases/{case.pk}/save/", {"outcome": "no_answer", "point": mobile.pk})
    decisions = ContactDecision.objects.filter(case=case).values_list("allowed", "rule_ids")
    assert any(allowed and "cn.legal_hold" in rules for allowed, rules in decisions)


def test_the_team_page_warns_when_no_specialist_and_says_how_much_went_to_the_lead(workday: dict[str, Any]) -> None:
    p = workday["personas"]
    add_item(workday["middle"], "escalate_specialist", p.lena)
    add_item(workday["late"], "escalate_specialist", p.lena)
    page = client_for(p.lena).get("/work/team/").content.decode()
    assert 'data-gap="no_specialist"' in page and "今日 2 项" in page
    assert 'data-gap="no_legal"' not in page  # Lara is the legal department
    p.bob.skills = "specialist"
    p.bob.save(update_fields=["skills"])
    assert 'data-gap="no_specialist"' not in client_for(p.lena).get("/work/team/").content.decode()


def test_reassigning_keeps_each_item_with_someone_who_can_close_it(workday: dict[str, Any]) -> None:
    from huikuan.workbench.actions import reassign_case

    p = workday["personas"]
    case = workday["early"]
    p.alice.skills = "specialist"
    p.alice.save(update_fields=["skills"])
    hand_over = add_item(case, "escalate_specialist", p.alice)
    review = add_item(case, "legal_review", p.lara)
    reassign_case(p.lena, case, p.bob, "Alice on leave")
    assigned = dict(WorkItem.objects.filter(case=case).values_list("action", "assignee_id"))
    # Bob takes the call; he is no specialist, so the hand-over comes to Lena; Lara keeps her review.
    assert assigned == {"call": p.bob.pk, "escalate_specialist": p.lena.pk, "legal_review": p.lara.pk}
    assert hand_over.pk and review.pk


def test_the_picker_preselects_the_debtors_own_number_not_a_third_party(make_case: CaseMaker) -> None:
    """The demo's first number was a spouse's: a quick Ctrl+Enter was refused and went on the QA register."""
    case = make_case(40, third_party=True)
    mobile = ContactPoint.objects.get(debtor=case.debtor, relation="self", kind="mobile")
    # A colleague's number sorts before the debtor's own (by relation), as in the demo.
    colleague = ContactPoint.objects.get(debtor=case.debtor, relation="spouse")
    ContactPoint.objects.filter(pk=colleague.pk).update(relation="colleague")
    alice = case.assignee
    page = client_for(alice).get(f"/cases/{case.pk}/").content.decode()
    assert selected_number(page) == str(mobile.pk)
    assert page.index(f'<option value="{mobile.pk}"') < page.index(f'<option value="{colleague.pk}"')


def test_the_picker_moves_to_the_next_number_and_says_why_the_best_is_refused(make_case: CaseMaker) -> None:
    case = make_case(40)
    mobile = ContactPoint.objects.get(debtor=case.debtor, kind="mobile")
    home = ContactPoint.objects.create(debtor=case.debtor, kind="home", value="+862088880000", validity="valid")
    now = timezone.now()
    for minutes in range(6):  # the daily cap of attempts on one number (cn.point_daily_attempts)
        Interaction.objects.create(
            case=case, contact_point=mobile, channel="call", outcome="no_answer", party="nobody",
            at=now - timedelta(minutes=minutes + 1),
        )  # fmt: skip
    page = client_for(case.assignee).get(f"/cases/{case.pk}/").content.decode()
    assert selected_number(page) == str(home.pk)
    refused = page[page.index('data-testid="number-refused"') :]
    refused = refused[: refused.index("</small>")]
    assert mobile.tail in refused and "6次" in refused


def test_without_an_allowed_number_of_the_debtor_nothing_is_preselected(make_case: CaseMaker) -> None:
    from huikuan.compliance.actions import record_stop_request

    case = make_case(40, third_party=True)
    record_stop_request(case, "call", source="call")
    page = client_for(case.assignee).get(f"/cases/{case.pk}/").content.decode()
    assert selected_number(page) == ""
    assert 'data-testid="number-refused"' in page
