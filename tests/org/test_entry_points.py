"""Every entry point refuses the wrong role the same way, whoever calls it, and is the outermost transaction.

For each use case a role may not run: the action called directly (as the command line and the tasks call it)
raises PermissionDenied; the web page and the API route that run it answer 403, the API with the action's
own message; and nothing changed. Then: an entry point refuses to run inside a caller's transaction
(durable), while the building blocks it is made of join one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.utils import timezone

from huikuan.audit.models import AccessLog
from huikuan.cases.access import reveal_contact_point
from huikuan.cases.models import Case, Interaction, Promise
from huikuan.comms.models import Template, TemplateVersion
from huikuan.comms.templates import activate_version, create_version
from huikuan.compliance.actions import override_warning, record_stop_request, review
from huikuan.compliance.contacts import log_contact, new_contact
from huikuan.compliance.models import ContactDecision, GateSource
from huikuan.intake.importer import import_upload
from huikuan.payments import incoming, plans, promises, waivers
from huikuan.payments.models import Payment, RepaymentPlan, WaiverRequest, WaiverStatus
from huikuan.portfolio.models import ContactPoint, Debtor, ImportBatch
from huikuan.strategy import executors
from huikuan.strategy.actions import import_policy
from huikuan.strategy.models import PolicyVersion, StrategyRun
from huikuan.workbench.actions import open_hold, reassign_case
from tests.conftest import Personas, client_for
from tests.payments.conftest import make_debt

if TYPE_CHECKING:
    # What the test client answers: an HttpResponse with the client's additions (json(), the request).
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

# Within the promise horizon (30 days) from any debtor's today.
DUE = date.today() + timedelta(days=10)
POLICY = Path(__file__).resolve().parents[2] / "src" / "huikuan" / "strategy" / "policies" / "default.yaml"
CSV = (
    b"customer_no,name,contract_no,product,original_amount,open_date,due_date,principal\n"
    b"C-9,Wang,HT-9,consumer_loan,100.00,2025-01-01,2025-06-01,100.00\n"
)


@dataclass
class World:
    p: Personas
    case: Case
    point: ContactPoint
    waiver: WaiverRequest
    payment: Payment
    decision: ContactDecision
    template: Template
    version: TemplateVersion


@pytest.fixture
def world(personas: Personas) -> World:
    debt = make_debt(personas)
    case: Case = debt.case
    point = ContactPoint.objects.create(debtor=case.debtor, kind="mobile", value="+8613800138000")
    # 70 of penalties is beyond Alice's authority (half the 90 owed): the request waits for a lead.
    waiver = waivers.request_waiver(personas.alice, case, penalty=Decimal("70.00"), reason="hardship")
    assert waiver.status == WaiverStatus.PENDING
    payment, _created = incoming.post_payment(personas.lena, case, Decimal("10.00"), date(2025, 11, 3), "w-1")
    decision = ContactDecision.objects.create(
        case=case, channel="call", source=GateSource.WORKBENCH, at=timezone.now(), allowed=True,
        rule_ids=["cn.legal_hold"], reasons=[], pack="cn",
    )  # fmt: skip
    template = Template.objects.create(channel="sms", purpose="reminder", tone="gentle", language="zh-hans")
    version = create_version(None, template, body="您好，请及时还款。")
    return World(personas, case, point, waiver, payment, decision, template, version)


def api(client: Client, url: str, body: dict[str, Any], **extra: Any) -> Response:
    return client.post(url, body, content_type="application/json", **extra)


@dataclass(frozen=True)
class EntryPoint:
    name: str
    who: str  # the persona whose role may not do it
    act: Callable[[World, Any], object]
    web: Callable[[World, Client], Response] | None
    api: Callable[[World, Client], Response] | None
    state: Callable[[World], object]  # what must be the same after every refusal


def save(w: World, c: Client, **fields: str) -> Response:
    return c.post(f"/work/cases/{w.case.pk}/save/", {"point": str(w.point.pk), **fields})


ENTRY_POINTS = [
    EntryPoint(
        name="record a promise",
        who="quinn",
        act=lambda w, u: promises.record_promise(u, w.case, Decimal("100.00"), DUE),
        web=lambda w, c: save(w, c, outcome="promise", promise_amount="100.00", promise_date=DUE.isoformat()),
        api=lambda w, c: api(c, f"/api/cases/{w.case.pk}/promises", {"amount": "100.00", "due_date": DUE.isoformat()}),
        state=lambda w: (Promise.objects.count(), Interaction.objects.count()),
    ),
    EntryPoint(
        name="agree a plan",
        who="quinn",
        act=lambda w, u: plans.agree_plan(u, w.case, "instalments", confirmation="call"),
        web=lambda w, c: save(w, c, outcome="plan_accepted", plan_kind="instalments"),
        api=lambda w, c: api(c, f"/api/cases/{w.case.pk}/plans", {"kind": "instalments", "confirmation": "call"}),
        state=lambda w: (RepaymentPlan.objects.count(), Interaction.objects.count()),
    ),
    EntryPoint(
        name="decide a waiver",
        who="quinn",
        act=lambda w, u: waivers.approve_waiver(u, w.waiver, "ok"),
        web=lambda w, c: c.post(f"/work/team/waivers/{w.waiver.pk}/", {"decision": "approve", "reason": "ok"}),
        api=lambda w, c: api(c, f"/api/waivers/{w.waiver.pk}/approve", {"reason": "ok"}),
        state=lambda w: WaiverRequest.objects.get(pk=w.waiver.pk).status,
    ),
    EntryPoint(
        name="reveal a contact",
        who="alice",
        act=lambda w, u: reveal_contact_point(u, w.point, "check the number"),
        web=lambda w, c: c.post(f"/contacts/{w.point.pk}/reveal/", {"reason": "check the number"}),
        api=lambda w, c: api(c, f"/api/contacts/{w.point.pk}/reveal", {"reason": "check the number"}),
        state=lambda w: AccessLog.objects.count(),
    ),
    EntryPoint(
        name="import accounts",
        who="alice",
        act=lambda w, u: import_upload("a.csv", [CSV], None, dry_run=False, user=u),
        web=lambda w, c: c.post("/import/", {"file": SimpleUploadedFile("a.csv", CSV)}),
        api=lambda w, c: c.post("/api/imports/accounts", {"file": SimpleUploadedFile("a.csv", CSV)}),
        state=lambda w: (Debtor.objects.count(), ImportBatch.objects.count()),
    ),
    EntryPoint(
        name="post a payment",
        who="alice",
        act=lambda w, u: incoming.post_payment(u, w.case, Decimal("1.00"), date(2025, 11, 3), "k-2"),
        web=None,
        api=lambda w, c: api(
            c,
            "/api/payments",
            {"case_id": w.case.pk, "amount": "1.00", "paid_on": "2025-11-03"},
            headers={"Idempotency-Key": "k-2"},
        ),
        state=lambda w: Payment.objects.count(),
    ),
    EntryPoint(
        name="reverse a payment",
        who="alice",
        act=lambda w, u: incoming.reverse_payment(u, w.payment, "bounced"),
        web=None,
        api=lambda w, c: api(c, f"/api/payments/{w.payment.pk}/reverse", {"reason": "bounced"}),
        state=lambda w: Payment.objects.get(pk=w.payment.pk).status,
    ),
    EntryPoint(
        name="override a warning",
        who="alice",
        act=lambda w, u: override_warning(w.decision, u, "agreed with legal"),
        web=None,
        api=lambda w, c: api(c, f"/api/compliance/decisions/{w.decision.pk}/override", {"reason": "agreed with legal"}),
        state=lambda w: ContactDecision.objects.get(pk=w.decision.pk).overridden_by_id,
    ),
    EntryPoint(
        name="review for QA",
        who="lara",
        act=lambda w, u: review(w.decision, u, "confirmed", "fine"),
        web=lambda w, c: c.post(f"/qa/decisions/{w.decision.pk}/review/", {"state": "confirmed", "note": "fine"}),
        api=None,
        state=lambda w: ContactDecision.objects.get(pk=w.decision.pk).review_state,
    ),
    EntryPoint(
        name="write a template version",
        who="quinn",
        act=lambda w, u: create_version(u, w.template, body="新的文本"),
        web=lambda w, c: c.post(f"/comms/templates/{w.template.pk}/new/", {"body": "新的文本"}),
        api=None,
        state=lambda w: TemplateVersion.objects.count(),
    ),
    EntryPoint(
        name="activate a template version",
        who="quinn",
        act=lambda w, u: activate_version(u, w.version),
        web=lambda w, c: c.post(f"/comms/templates/{w.template.pk}/v{w.version.number}/activate/"),
        api=None,
        state=lambda w: TemplateVersion.objects.get(pk=w.version.pk).status,
    ),
    EntryPoint(
        name="import a policy",
        who="quinn",
        act=lambda w, u: import_policy(POLICY.read_text(encoding="utf-8"), u),
        web=None,
        api=lambda w, c: api(c, "/api/strategy/policies", {"yaml": POLICY.read_text(encoding="utf-8")}),
        state=lambda w: PolicyVersion.objects.count(),
    ),
    EntryPoint(
        name="start a strategy run",
        who="quinn",
        act=lambda w, u: executors.start_run(date(2025, 11, 3), user=u),
        web=None,
        api=lambda w, c: api(c, "/api/strategy/runs", {"as_of": "2025-11-03", "dry_run": False}),
        state=lambda w: StrategyRun.objects.count(),
    ),
    EntryPoint(
        name="dry-run the strategy",
        who="lara",
        act=lambda w, u: executors.run_strategy(date(2025, 11, 3), dry_run=True, user=u),
        web=None,
        api=lambda w, c: api(c, "/api/strategy/runs", {"as_of": "2025-11-03", "dry_run": True}),
        state=lambda w: StrategyRun.objects.count(),
    ),
    EntryPoint(
        name="reassign a case",
        who="alice",
        act=lambda w, u: reassign_case(u, w.case, w.p.bob, "holiday"),
        web=lambda w, c: c.post("/work/team/reassign/", {"case": w.case.pk, "to": w.p.bob.pk, "reason": "holiday"}),
        api=None,
        state=lambda w: Case.objects.get(pk=w.case.pk).assignee_id,
    ),
]


@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=lambda e: e.name)
def test_the_wrong_role_is_refused_alike_by_the_action_the_web_and_the_api(world: World, entry: EntryPoint) -> None:
    user = getattr(world.p, entry.who)
    before = entry.state(world)
    with pytest.raises(PermissionDenied) as refused:
        entry.act(world, user)
    assert str(refused.value)  # the refusal says why, in the user's language
    client = client_for(user)
    if entry.web is not None:
        assert entry.web(world, client).status_code == 403
    if entry.api is not None:
        answer = entry.api(world, client)
        assert answer.status_code == 403
        assert answer.json()["detail"] == str(refused.value)
    assert entry.state(world) == before


def test_the_api_gives_the_actions_own_reason_in_the_users_language(world: World) -> None:
    answer = api(client_for(world.p.quinn), f"/api/cases/{world.case.pk}/promises",
                 {"amount": "100.00", "due_date": DUE.isoformat()}, HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert answer.status_code == 403
    assert answer.json()["detail"] == "Your role may not negotiate with debtors."


# Entry points called inside a caller's own transaction: each refuses, so nobody takes its commit for theirs.
OUTERMOST: list[tuple[str, Callable[[World], object]]] = [
    ("record_promise", lambda w: promises.record_promise(w.p.alice, w.case, Decimal("100.00"), DUE)),
    ("agree_plan", lambda w: plans.agree_plan(w.p.alice, w.case, "instalments", confirmation="call")),
    ("cancel_plan", lambda w: plans.cancel_plan(w.p.alice, plans.offer_plan(w.p.alice, w.case, "instalments"), "x")),
    ("request_waiver", lambda w: waivers.request_waiver(w.p.alice, w.case, penalty=Decimal("1.00"), reason="x")),
    ("reject_waiver", lambda w: waivers.reject_waiver(w.p.lena, w.waiver, "no")),
    ("post_payment", lambda w: incoming.post_payment(w.p.lena, w.case, Decimal("1.00"), date(2025, 11, 3), "k-3")),
    ("reverse_payment", lambda w: incoming.reverse_payment(w.p.lena, w.payment, "bounced")),
    ("reveal_contact_point", lambda w: reveal_contact_point(w.p.lena, w.point, "check")),
    ("override_warning", lambda w: override_warning(w.decision, w.p.lena, "agreed")),
    ("review", lambda w: review(w.decision, w.p.quinn, "confirmed", "fine")),
    ("create_version", lambda w: create_version(w.p.lena, w.template, body="新的文本")),
    ("activate_version", lambda w: activate_version(w.p.lena, w.version)),
    ("reassign_case", lambda w: reassign_case(w.p.lena, w.case, w.p.bob, "holiday")),
    ("import_policy", lambda w: import_policy(POLICY.read_text(encoding="utf-8"))),
    ("import_upload", lambda w: import_upload("a.csv", [CSV], None, dry_run=True, user=w.p.lena)),
    ("log_contact", lambda w: log_contact(w.case, w.point, "call", "no_answer", user=w.p.alice, at=_daytime())),
]


def _daytime() -> datetime:
    return datetime(2025, 11, 3, 11, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday morning where the debtor lives


@pytest.mark.parametrize(("name", "call"), OUTERMOST, ids=[name for name, _call in OUTERMOST])
def test_an_entry_point_will_not_run_inside_a_callers_transaction(
    world: World, name: str, call: Callable[[World], object]
) -> None:
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        call(world)


def test_the_building_blocks_join_the_callers_transaction(world: World) -> None:
    """What the call's outcome does in its one transaction: rolled back together when the caller fails."""
    counts = (Interaction.objects.count(), Promise.objects.count(), RepaymentPlan.objects.count())
    with pytest.raises(RuntimeError, match="the caller failed"), transaction.atomic():
        logged = new_contact(world.case, world.point, "call", "promise", user=world.p.alice, at=_daytime())
        promises.new_promise(world.p.alice, world.case, Decimal("100.00"), DUE, interaction=logged.interaction)
        plans.new_agreed_plan(world.p.alice, world.case, "instalments", interaction=logged.interaction)
        record_stop_request(world.case, "call", source="call", user=world.p.alice)
        open_hold(world.p.alice, world.case, "complaint")
        raise RuntimeError("the caller failed")
    assert (Interaction.objects.count(), Promise.objects.count(), RepaymentPlan.objects.count()) == counts
