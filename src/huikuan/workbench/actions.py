"""Workbench use cases: save a call's outcome with everything that follows from it, reassign a case.

``save_outcome`` is the one-click save of the call screen. Everything it changes — the interaction (through
compliance.contacts.new_contact, which asks the gate first and screens the notes), the contact point's validity,
the promise or plan (through payments.promises and payments.plans), a stop request, a complaint hold, the recording, the
call-back and today's work items — is written in ONE transaction: a refused promise leaves no half-logged call.
``save_outcome`` and ``reassign_case`` are entry points (the outermost transaction); what they call from the
layers below are those layers' building blocks (``new_contact``, ``new_promise``, ``new_agreed_plan``), which
join it. ``new_outcome`` is ``save_outcome``'s building block: the field visit (``fieldwork``) records a visit
through it, so a promise or a plan taken at the door passes the same checks as on the phone.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from huikuan import clock
from huikuan.audit.records import record_change, snapshot
from huikuan.cases.access import require_visible_case
from huikuan.cases.models import Case, CaseStatus, Channel, HoldReason, Interaction, Outcome, Promise
from huikuan.compliance.actions import ContactBlocked, ContactPointRequired, record_stop_request
from huikuan.compliance.contacts import new_contact
from huikuan.kernel.compliance.gate import needs_contact_point
from huikuan.kernel.compliance.screening import Flag
from huikuan.notifications.actions import Notice, notify
from huikuan.notifications.models import NoticeKind
from huikuan.org.models import Role, User
from huikuan.org.permissions import can_lead_team, has_role, require
from huikuan.org.staff import closable_by
from huikuan.payments.guards import ActionError, require_negotiator
from huikuan.payments.models import RepaymentPlan
from huikuan.payments.plans import new_agreed_plan
from huikuan.payments.promises import new_promise
from huikuan.portfolio.models import ContactPoint
from huikuan.strategy.models import WorkItem, WorkStatus
from huikuan.workbench.models import CallBack, CallRecording
from huikuan.workbench.plan_panel import PlanAsk
from huikuan.workbench.views_data import gate_facts, preview, reason_text


class OutcomeError(ValueError):
    """The outcome cannot be saved as entered; the messages say why, in the user's language."""

    def __init__(self, messages: list[str], blocked: ContactBlocked | None = None) -> None:
        self.messages = messages
        self.blocked = blocked
        super().__init__("; ".join(messages))


@dataclass(frozen=True)
class OutcomeEntry:
    outcome: str
    point_id: int | None = None
    channel: str = Channel.CALL
    notes: str = ""
    callback_at: datetime | None = None
    promise_amount: Decimal | None = None
    promise_date: date | None = None
    plan_kind: str = ""
    payment_reference: str = ""
    stop_calls: bool = False
    complaint: bool = False
    # The debtor's asks the plan was designed with on the plan panel; the plan is recomputed from them.
    plan_terms: PlanAsk = field(default_factory=PlanAsk)
    # When the contact was made, if not now (a visit is recorded after the collectors leave the door).
    at: datetime | None = None
    # Whether the contact met the goal its work item stated (None: not said).
    goal_met: bool | None = None


@dataclass
class Saved:
    interaction: Interaction
    flags: list[Flag]
    promise: Promise | None = None
    plan: RepaymentPlan | None = None
    callback: CallBack | None = None
    items_done: int = 0
    notes: list[str] = field(default_factory=list)


def _check(entry: OutcomeEntry, case: Case, now: datetime, point: ContactPoint | None) -> list[str]:
    errors = []
    if entry.outcome not in Outcome.values or entry.outcome == Outcome.SENT:
        errors.append(_("Choose an outcome."))
    if point is None and needs_contact_point(entry.channel):
        errors.append(str(ContactPointRequired()))
    if entry.outcome == Outcome.PROMISE and (entry.promise_amount is None or entry.promise_date is None):
        errors.append(_("A promise needs an amount and a date."))
    if entry.outcome == Outcome.PLAN_ACCEPTED and not entry.plan_kind:
        errors.append(_("Choose the plan the debtor accepted."))
    if entry.outcome == Outcome.CALLBACK and entry.callback_at is None:
        errors.append(_("Give the call-back time."))
    if entry.callback_at is not None:
        if entry.callback_at <= now:
            errors.append(_("The call-back time must be in the future."))
        else:
            # The debtor's wish does not make a time lawful: quiet hours and caps still apply then.
            decision = preview(case, point, Channel.CALL, gate_facts([case], now), entry.callback_at)
            if not decision.allowed:
                when = decision.next_allowed_at
                local = timezone.localtime(when).strftime("%Y-%m-%d %H:%M") if when else "—"
                errors.append(
                    _("The gate does not allow a call-back then (%(why)s); the earliest allowed time is %(when)s.")
                    % {"why": reason_text(decision, "zh"), "when": local}
                )
    return errors


def save_outcome(
    user: Any,
    case: Case,
    entry: OutcomeEntry,
    *,
    recording: UploadedFile | None = None,
    now: datetime | None = None,
) -> Saved:
    """Log the call and everything agreed in it; raises OutcomeError (nothing saved) when anything fails."""
    with outcome_refusals(), transaction.atomic(durable=True):
        return new_outcome(user, case, entry, recording=recording, now=now)


def new_outcome(
    user: Any,
    case: Case,
    entry: OutcomeEntry,
    *,
    recording: UploadedFile | None = None,
    now: datetime | None = None,
    companions: Sequence[Any] = (),
    audience: str = "debtor",
) -> Saved:
    """``save_outcome`` inside the caller's transaction: a visit records its own rows with the same contact,
    promise, plan and work items. ``companions`` (the visit's other collectors) are asked about by the gate
    with ``user``; ``audience`` is whom the notes are screened for.

    Raises OutcomeError for what the form got wrong, and lets the gate's ContactBlocked and the actions'
    ActionError through: the caller rolls back, and ``outcome_refusals`` words them.
    """
    require_visible_case(user, case)
    if entry.promise_amount is not None or entry.promise_date is not None or entry.plan_kind:
        # Refused before the call is looked at: a role that may not negotiate gets the same answer as from
        # the promise and plan actions, whatever the gate would say about the call.
        require_negotiator(user, case)
    now = now or clock.now()
    at = entry.at or now
    point = None
    if entry.point_id is not None:
        point = ContactPoint.objects.filter(pk=entry.point_id, debtor_id=case.debtor_id).first()
        if point is None:
            raise OutcomeError([_("The contact point belongs to another debtor.")])
    errors = _check(entry, case, now, point)
    if errors:
        raise OutcomeError(errors)
    notes = entry.notes.strip()
    if entry.payment_reference.strip():
        notes = (notes + "\n" if notes else "") + _("Payment reference to check: %(ref)s") % {
            "ref": entry.payment_reference.strip()
        }
    with transaction.atomic():
        logged = new_contact(
            case,
            point,
            entry.channel,
            entry.outcome,
            user=user,
            notes=notes,
            at=at,
            companions=companions,
            audience=audience,
        )
        saved = Saved(logged.interaction, logged.flags)
        interaction = logged.interaction
        if entry.promise_amount is not None and entry.promise_date is not None:
            saved.promise = new_promise(
                user, case, entry.promise_amount, entry.promise_date, interaction=interaction, now=now
            )
        if entry.plan_kind:
            saved.plan = new_agreed_plan(
                user, case, entry.plan_kind, interaction=interaction, now=now, **entry.plan_terms.kwargs()
            )
        if entry.payment_reference.strip():
            # Marked for checking: the payments team finds these claims in the audit trail by action.
            record_change(user, case, "payment:claimed", None, {"reference": entry.payment_reference.strip()})
        if entry.stop_calls:
            record_stop_request(case, Channel.CALL, source="call", user=user, note=notes[:300])
        if entry.complaint:
            open_hold(user, case, HoldReason.COMPLAINT, now=now)
        if entry.callback_at is not None:
            saved.callback = CallBack.objects.create(
                case=case, interaction=interaction, at=entry.callback_at, user=user
            )
        CallBack.objects.filter(case=case, done=False, at__lte=now).update(done=True)
        if recording is not None:
            CallRecording.objects.create(interaction=interaction, file=recording, uploaded_by=user)
        # The queue moves on: today's items of this channel on this case are done, whoever's queue holds
        # them. Only those: a call does not make the visit or the specialist's hand-over happen.
        done = WorkItem.objects.filter(
            case_id=case.pk,
            as_of=timezone.localdate(now),
            status=WorkStatus.PENDING,
            queue__in=("collector", "specialist"),
            channel=entry.channel,
        )
        if entry.goal_met is not None:
            done.exclude(goal="").update(goal_met=entry.goal_met)
        saved.items_done = done.update(status=WorkStatus.DONE)
        if entry.outcome == Outcome.ENDED_ABUSIVE:
            # No further attempt today, on any channel: the next is another day (kernel.strategy.aftercare).
            WorkItem.objects.filter(
                case_id=case.pk, as_of=timezone.localdate(now), status=WorkStatus.PENDING,
                channel__in=("call", "sms", "email", "visit"),
            ).update(status=WorkStatus.CANCELLED)  # fmt: skip
    return saved


@contextmanager
def outcome_refusals() -> Iterator[None]:
    """Turns the gate's refusal and the actions' errors raised in the block into an OutcomeError in the
    user's language; wrap it around the transaction, so the gate's evidence is kept after the rollback."""
    try:
        yield
    except ContactBlocked as blocked:
        _keep_gate_evidence(blocked)
        decision = blocked.answer.decision
        when = decision.next_allowed_at
        zh = (translation.get_language() or "zh-hans").startswith("zh")
        # Which rule, why, its legal source and when: what the collector needs to explain the refusal.
        raise OutcomeError(
            [
                _("The gate blocks this contact: %(why)s") % {"why": reason_text(decision, "zh" if zh else "en")},
                *(
                    _("%(rule)s — source: %(source)s") % {"rule": r.rule_id, "source": r.source}
                    for r in decision.reasons
                    if r.severity == "block"
                ),
                _("Earliest allowed: %(when)s")
                % {"when": timezone.localtime(when).strftime("%Y-%m-%d %H:%M") if when else "—"},
            ],
            blocked,
        ) from blocked
    except ActionError as exc:
        raise OutcomeError(exc.messages) from exc


def _keep_gate_evidence(blocked: ContactBlocked) -> None:
    """log_contact logs a refusal for QA before it raises; our transaction rolled that row back, so it is
    written again here, outside the transaction."""
    logged = blocked.answer.logged
    if logged is not None:
        logged.pk = None
        logged._state.adding = True
        logged.save()


def open_hold(user: Any, case: Case, reason: str, *, now: datetime | None = None) -> Case:
    """Put the case on hold (a complaint, a dispute under review); the gate stops collection contact.

    A building block: it joins the caller's transaction (the call's outcome).
    """
    if reason not in HoldReason.values:
        raise ValueError(reason)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        before = snapshot(case, ["status", "hold_reason"])
        case.status = CaseStatus.ON_HOLD
        case.hold_reason = reason
        case.hold_since = now or clock.now()
        case.save(update_fields=["status", "hold_reason", "hold_since"])
        record_change(user, case, f"hold:{reason}", before, snapshot(case, ["status", "hold_reason"]))
    return case


def team_collectors(lead: Any) -> list[User]:
    if getattr(lead, "team_id", None) is None:
        return []
    return list(User.objects.filter(team_id=lead.team_id, is_active=True, role=Role.COLLECTOR).order_by("username"))


def reassign_case(lead: Any, case: Case, to: User, reason: str, *, now: datetime | None = None) -> Case:
    """A team lead moves a case (and its open work items) to a collector of the team; audited. An entry point.

    An administrator may move it to anyone. The new collector takes the items they can close. An item they
    cannot (a specialist hand-over for a collector without the skill) stays with its holder when the holder
    still sees the case (a lead, legal counsel), and otherwise comes to the lead: the old collector no
    longer sees the case.
    """
    require(can_lead_team(lead), _("Only the team's lead may reassign its cases."))
    require_visible_case(lead, case)
    if not has_role(lead, Role.ADMIN) and (to.team_id != lead.team_id or to.role != Role.COLLECTOR or not to.is_active):
        raise ValueError(_("Cases go to an active collector of your team."))
    if not reason.strip():
        raise ValueError(_("Say why the case is reassigned."))
    today = timezone.localdate(now or clock.now())
    with transaction.atomic(durable=True):
        case = Case.objects.select_for_update().get(pk=case.pk)
        before = {"assignee": case.assignee_id}
        case.assignee = to
        case.team_id = to.team_id or case.team_id
        case.save(update_fields=["assignee", "team"])
        open_items = WorkItem.objects.filter(
            case_id=case.pk, as_of__gte=today, status=WorkStatus.PENDING, queue__in=("collector", "specialist", "legal")
        )
        takes = closable_by(to)
        moved = open_items.filter(action__in=takes).update(assignee=to)
        open_items.exclude(action__in=takes).filter(
            Q(assignee_id=before["assignee"]) | Q(assignee__isnull=True)
        ).update(assignee=lead)
        log = record_change(
            lead, case, "case:reassigned", before, {"assignee": to.pk, "reason": reason.strip(), "items": moved}
        )
        if to.pk != getattr(lead, "pk", None):
            notify(
                [
                    Notice(to.pk, NoticeKind.CASE_ASSIGNED, f"case:{case.pk}:assigned:{log.pk}", case.pk,
                           {"by": str(lead), "reason": reason.strip()[:300]})
                ]
            )  # fmt: skip
    return case
