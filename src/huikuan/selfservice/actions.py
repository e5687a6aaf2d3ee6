"""What the debtor does on their page, each through the same action a collector's would go through.

The debtor acts as ``org.permissions.SelfServiceDebtor`` of the link's case: it sees that case only (any
other id is a 404 from the actions' own visibility check) and may negotiate on it. Accepting a plan is
``payments.plans.new_agreed_plan``, a promise ``payments.promises.new_promise``, a dispute
``workbench.actions.open_hold``, an opt-out the one stop request (``comms.optouts.record_opt_out`` /
``compliance.actions.record_stop_request``); each commits together with its ``Event``, which keeps the
exact text shown, the code, the address and the user agent. A refusal is recorded as an event too (after
the refused transaction rolled back) and raised as ``ActionError`` with the reason in the debtor's language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huikuan.cases.models import Case, Channel, HoldReason, Promise
from huikuan.comms.optouts import record_opt_out
from huikuan.compliance.actions import record_stop_request
from huikuan.compliance.facts import gate_facts
from huikuan.kernel.plans import PlanOption, summary
from huikuan.notifications.actions import Notice, notify
from huikuan.notifications.models import NoticeKind
from huikuan.org.models import Role, User
from huikuan.org.permissions import SelfServiceDebtor
from huikuan.payments.guards import ActionError
from huikuan.payments.models import RepaymentPlan
from huikuan.payments.plans import new_agreed_plan, propose_options
from huikuan.payments.policy import current_policy
from huikuan.payments.promises import new_promise
from huikuan.portfolio.models import ContactKind, ContactPoint, Relation
from huikuan.selfservice.links import Visit, event
from huikuan.selfservice.models import EventKind, Link
from huikuan.workbench.actions import open_hold
from huikuan.workbench.views_data import preview, reason_text

T = TypeVar("T")
OPT_OUT_CHANNELS = (Channel.CALL, Channel.SMS, Channel.EMAIL)


@dataclass(frozen=True)
class Session:
    """A verified visit: the link and the one-time code that opened it."""

    link: Link
    code_id: int

    @property
    def case(self) -> Case:
        return self.link.case

    @property
    def debtor(self) -> SelfServiceDebtor:
        return SelfServiceDebtor(self.link.case_id)


@dataclass(frozen=True)
class ShownOption:
    kind: str
    text: str
    option: PlanOption


def language_of(case: Case) -> str:
    return "en" if (case.debtor.preferred_language or "").startswith("en") else "zh-hans"


def acceptance_text(option: PlanOption, language: str) -> str:
    """The exact words the debtor accepts: the kernel's summary with the amounts and dates, and the consent."""
    words = summary(option, "en" if language == "en" else "zh-Hans", current_policy().plan.show_whole_yuan)
    return _("I accept this repayment plan: %(plan)s") % {"plan": words}


def plan_options(session: Session, language: str, now: datetime) -> list[ShownOption]:
    """The plan designer's three options (and a deferral where the policy allows one), as the debtor sees them."""
    proposed = propose_options(session.debtor, session.case, now=now)
    return [ShownOption(o.kind.value, acceptance_text(o, language), o) for o in proposed.all()]


@contextmanager
def _refusals_recorded(session: Session, visit: Visit, what: str) -> Iterator[None]:
    try:
        yield
    except ActionError as error:
        event(session.link.case_id, EventKind.ACTION_REFUSED, visit, link=session.link, what=what,
              reasons=error.messages)  # fmt: skip
        raise


def _durable(session: Session, visit: Visit, what: str, work: Callable[[], T]) -> T:
    with _refusals_recorded(session, visit, what), transaction.atomic(durable=True):
        return work()


def accept_plan(session: Session, kind: str, shown: str, visit: Visit, language: str) -> RepaymentPlan:
    """The debtor accepts the option they were shown: refused if its words are no longer what was shown."""
    with _refusals_recorded(session, visit, "plan"):
        current = {o.kind: o.text for o in plan_options(session, language, visit.at)}
        if kind not in current:
            raise ActionError([_("That plan is not offered for this case.")])
        if current[kind] != shown.strip():
            raise ActionError([_("The offer changed since it was shown to you; read it again before accepting.")])

    def work() -> RepaymentPlan:
        confirmation = (
            f"self-service link {session.link.pk}, code {session.code_id}, "
            f"{visit.at:%Y-%m-%d %H:%M:%S} UTC, {visit.ip or '-'}"
        )
        plan = new_agreed_plan(session.debtor, session.case, kind, confirmation=confirmation, now=visit.at)
        event(session.link.case_id, EventKind.PLAN, visit, link=session.link, code_id=session.code_id,
              plan=plan.pk, plan_kind=kind, text=current[kind], status=plan.status)  # fmt: skip
        return plan

    return _durable(session, visit, "plan", work)


def give_promise(session: Session, amount: Decimal, due: date, visit: Visit) -> Promise:
    """A promise to pay: the same checks as a collector's (within the balance and the policy's horizon)."""

    def work() -> Promise:
        channel = session.link.channel if session.link.channel in Channel.values else Channel.SMS
        promise = new_promise(session.debtor, session.case, amount, due, channel=channel, now=visit.at)
        event(session.link.case_id, EventKind.PROMISE, visit, link=session.link, code_id=session.code_id,
              promise=promise.pk, amount=str(amount), due=due.isoformat())  # fmt: skip
        return promise

    return _durable(session, visit, "promise", work)


def _team_to_tell(case: Case) -> list[int]:
    """The case's collector and its team's leads: who must know of a dispute or a call-back asked for."""
    ids = {case.assignee_id} if case.assignee_id else set()
    if case.team_id:
        ids |= set(
            User.objects.filter(team_id=case.team_id, role=Role.TEAM_LEAD, is_active=True).values_list("pk", flat=True)
        )
    return sorted(i for i in ids if i is not None)


def dispute(session: Session, scope: str, reason: str, visit: Visit) -> Case:
    """The debtor disputes an amount or the debt: the dispute hold stops collection; the team is told."""
    if scope not in ("amount", "debt"):
        raise ActionError([_("Say whether you dispute an amount or the whole debt.")])
    if not reason.strip():
        raise ActionError([_("Say what is wrong, so that we can check it.")])

    def work() -> Case:
        case = open_hold(session.debtor, session.case, HoldReason.DISPUTE, now=visit.at)
        found = event(session.link.case_id, EventKind.DISPUTE, visit, link=session.link, code_id=session.code_id,
                      scope=scope, reason=reason)  # fmt: skip
        notify(
            Notice(user, NoticeKind.SELF_SERVICE, f"selfservice:dispute:{found.pk}", case.pk,
                   {"what": "dispute", "reason": reason[:100]})
            for user in _team_to_tell(case)
        )  # fmt: skip
        return case

    return _durable(session, visit, "dispute", work)


def _own_mobile(case: Case) -> ContactPoint | None:
    return (
        ContactPoint.objects.filter(debtor_id=case.debtor_id, relation=Relation.SELF, kind=ContactKind.MOBILE)
        .order_by("validity", "id")
        .first()
    )


def request_callback(session: Session, at: datetime, visit: Visit) -> datetime:
    """A call-back at a time the gate allows for a call to the debtor's own mobile; the collector is told."""
    case = session.case

    def work() -> datetime:
        if at <= visit.at:
            raise ActionError([_("The call-back time must be in the future.")])
        decision = preview(case, _own_mobile(case), Channel.CALL, gate_facts([case], visit.at), at)
        if not decision.allowed:
            when = decision.next_allowed_at
            local = timezone.localtime(when, ZoneInfo(case.debtor.zone)).strftime("%Y-%m-%d %H:%M") if when else "—"
            raise ActionError(
                [
                    _("We may not call you then (%(why)s); the earliest allowed time is %(when)s.")
                    % {"why": reason_text(decision, "en" if language_of(case) == "en" else "zh"), "when": local}
                ]
            )
        found = event(case.pk, EventKind.CALLBACK, visit, link=session.link, code_id=session.code_id,
                      at=at.isoformat())  # fmt: skip
        local = timezone.localtime(at, ZoneInfo(case.debtor.zone)).strftime("%Y-%m-%d %H:%M")
        notify(
            Notice(user, NoticeKind.SELF_SERVICE, f"selfservice:callback:{found.pk}", case.pk,
                   {"what": "callback", "at": local})
            for user in _team_to_tell(case)
        )  # fmt: skip
        return at

    return _durable(session, visit, "callback", work)


def opt_out(session: Session, channel: str, visit: Visit) -> None:
    """The debtor stops a medium: the one stop request every gate reads (queued messages on it are cancelled)."""
    if channel not in OPT_OUT_CHANNELS:
        raise ActionError([_("Choose calls, text messages or e-mails.")])

    def work() -> None:
        evidence = f"self-service link {session.link.pk}, code {session.code_id}"
        if channel == Channel.CALL:
            record_stop_request(session.case, channel, source="self_service", user=session.debtor, note=evidence)
        else:
            record_opt_out(session.case.debtor_id, channel, "self_service", evidence)
        event(session.link.case_id, EventKind.OPT_OUT, visit, link=session.link, code_id=session.code_id,
              channel=channel)  # fmt: skip

    _durable(session, visit, "opt_out", work)
