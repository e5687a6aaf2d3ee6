"""Field visit use cases: record a visit, reveal the address of a planned visit.

``record_visit`` (an entry point) writes the visit in ONE transaction through the workbench's building block
``new_outcome``, so everything a call's outcome does happens for a visit too, with the same checks: the gate
is asked (at the arrival, and again at the departure: a visit still at the door at 22:00 is a contact in
quiet hours) with BOTH collectors — the China pack refuses a visit by one (``cn.visit_collectors``) and
holds each collector to the training rule — the notes are screened for the audience present (a third party
when a family member opened the door), the address's validity learns from the outcome (met the debtor →
valid; moved or address invalid → invalid), a promise or a plan taken at the door goes through
``payments`` as on the phone, and the day's visit item is closed. Then the visit's own row and its uploads
(image or PDF by their first bytes, within ``UPLOAD_LIMIT``, each with its SHA-256). Any refusal leaves
nothing written; the gate's refusal is kept for QA, as on the phone.

``reveal_visit_address`` gives the collector who holds today's visit item the full address, for that visit
only, with the look in the access log (collectors may not reveal personal data otherwise).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from huikuan import clock
from huikuan.audit.records import record_access, record_change
from huikuan.cases.access import require_visible_case
from huikuan.cases.models import Case, Channel
from huikuan.compliance.actions import ContactBlocked, require_gate
from huikuan.compliance.models import GateSource
from huikuan.fieldwork.models import PersonMet, Visit, VisitAttachment, VisitOutcome
from huikuan.kernel import visits as rules
from huikuan.org.models import User
from huikuan.org.permissions import can_close_work_item, require
from huikuan.org.visibility import hidden_case
from huikuan.portfolio.models import ContactKind, ContactPoint, Relation, Validity
from huikuan.strategy.models import WorkItem, WorkStatus
from huikuan.workbench.actions import OutcomeEntry, OutcomeError, new_outcome, outcome_refusals
from huikuan.workbench.plan_panel import PlanAsk

VISIT = "visit"


class VisitError(ValueError):
    """The visit cannot be recorded as entered: ``messages`` say why in the user's language, ``fields``
    which field each belongs to; ``blocked`` carries the gate's answer when the gate refused."""

    def __init__(
        self, messages: list[str], fields: dict[str, str] | None = None, blocked: ContactBlocked | None = None
    ) -> None:
        self.messages = messages
        self.fields = fields or {}
        self.blocked = blocked
        super().__init__("; ".join(messages))


@dataclass(frozen=True)
class VisitEntry:
    outcome: str
    persons_met: frozenset[str]
    arrived_at: datetime
    left_at: datetime
    second_collector_id: int | None = None
    notes: str = ""
    promise_amount: Decimal | None = None
    promise_date: date | None = None
    plan_kind: str = ""
    plan_terms: PlanAsk = field(default_factory=PlanAsk)
    payment_reference: str = ""


def problem_text(problem: rules.Problem) -> str:
    """The kernel's visit problem in the user's language."""
    params = dict(problem.params)
    texts = {
        "debtor_not_met": _("This outcome needs the debtor among the persons met."),
        "debtor_met_not_home": _("The debtor was met: the outcome cannot be “not at home”."),
        "left_before_arrival": _("The departure must be after the arrival."),
        "too_long": _("A visit lasts at most %(hours)s hours."),
        "in_future": _("The departure is in the future."),
        "too_old": _("A visit is recorded within %(days)s days."),
        "empty": _("The file is empty."),
        "too_large": _("The file is larger than %(limit_mb)s MB."),
        "file_type": _("Only photos (JPEG, PNG, WebP, GIF) and PDF documents can be uploaded."),
    }
    text = texts.get(problem.code, problem.code)
    return text % params if params else text


@dataclass(frozen=True)
class CheckedUpload:
    upload: UploadedFile
    name: str
    media_type: str
    size: int
    sha256: str


def check_uploads(uploads: Sequence[UploadedFile]) -> tuple[list[CheckedUpload], list[str]]:
    """Each upload read once: its type from its first bytes, its size, its SHA-256; the refusals by name."""
    checked, errors = [], []
    for upload in uploads:
        name = (upload.name or "file").rsplit("/", 1)[-1][-150:]
        upload.seek(0)
        head = upload.read(rules.HEAD_BYTES)
        size = upload.size or 0
        problem = rules.upload_problem(head, size)
        if problem is not None:
            errors.append(f"{name}: {problem_text(problem)}")
            continue
        digest = hashlib.sha256()
        upload.seek(0)
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        checked.append(CheckedUpload(upload, name, rules.media_type(head) or "", size, digest.hexdigest()))
    return checked, errors


def todays_visit_item(case: Case, day: date) -> WorkItem | None:
    """The day's planned visit of the case still to be made (the nightly run writes at most one)."""
    return (
        WorkItem.objects.filter(case_id=case.pk, as_of=day, action=VISIT, status=WorkStatus.PENDING)
        .order_by("-priority", "pk")
        .first()
    )


def visit_address(case: Case, item: WorkItem | None) -> ContactPoint | None:
    """The address a visit goes to: the one the run planned, else the debtor's own postal address on file
    (a working one before an unverified one; an invalid one only when there is no other, for the gate to
    refuse with its reason)."""
    if item is not None and item.contact_point_id is not None:
        planned = ContactPoint.objects.filter(pk=item.contact_point_id, debtor_id=case.debtor_id).first()
        if planned is not None and planned.kind == ContactKind.POSTAL:
            return planned
    own = list(ContactPoint.objects.filter(debtor_id=case.debtor_id, kind=ContactKind.POSTAL, relation=Relation.SELF))
    order = {Validity.VALID.value: 0, Validity.UNVERIFIED.value: 1, Validity.INVALID.value: 2}
    return min(own, key=lambda p: (order.get(str(p.validity), 3), p.pk)) if own else None


def _companion(user: Any, entry: VisitEntry) -> tuple[User | None, dict[str, str]]:
    if entry.second_collector_id is None:
        # Not refused here: whether one collector may visit is the rule pack's to say, with its source.
        return None, {}
    other = User.objects.filter(pk=entry.second_collector_id, is_active=True).first()
    if other is None or not can_close_work_item(other, VISIT):
        return None, {"second_collector": _("Choose an active collector or team lead as the second collector.")}
    if other.pk == getattr(user, "pk", None):
        return None, {"second_collector": _("The second collector must be someone else.")}
    return other, {}


def _entry_problems(entry: VisitEntry, now: datetime) -> dict[str, str]:
    fields: dict[str, str] = {}
    if entry.outcome not in VisitOutcome.values:
        fields["outcome"] = _("Choose the outcome of the visit.")
    if not entry.persons_met <= set(PersonMet.values):
        fields["persons_met"] = _("Choose whom you met from the list.")
    if fields:
        return fields
    met = [rules.PersonMet(p) for p in entry.persons_met]
    for problem in rules.visit_problems(rules.VisitOutcome(entry.outcome), met, entry.arrived_at, entry.left_at, now):
        fields.setdefault(problem.field, problem_text(problem))
    return fields


def record_visit(
    user: Any, case: Case, entry: VisitEntry, uploads: Sequence[UploadedFile] = (), *, now: datetime | None = None
) -> Visit:
    """Record a visit made today with everything agreed at the door. An entry point; raises VisitError with
    every problem of the form at once (nothing written), or with the gate's rule and source."""
    require_visible_case(user, case)
    require(can_close_work_item(user, VISIT), _("Your role does not make field visits."))
    now = now or clock.now()
    companion, fields = _companion(user, entry)
    fields.update(_entry_problems(entry, now))
    checked, upload_errors = check_uploads(uploads)
    if upload_errors:
        fields["files"] = " ".join(upload_errors)
    item = todays_visit_item(case, clock.today())
    point = visit_address(case, item)
    if point is None:
        fields["address"] = _("The debtor has no postal address on file: add one before the visit is recorded.")
    if fields:
        raise VisitError(list(fields.values()), fields)
    assert point is not None
    outcome = rules.VisitOutcome(entry.outcome)
    met = [rules.PersonMet(p) for p in sorted(entry.persons_met)]
    companions = [companion] if companion is not None else []
    contact = OutcomeEntry(
        outcome=rules.interaction_outcome(outcome, met, plan=bool(entry.plan_kind)).value,
        point_id=point.pk,
        channel=Channel.VISIT,
        notes=entry.notes,
        promise_amount=entry.promise_amount,
        promise_date=entry.promise_date,
        plan_kind=entry.plan_kind,
        plan_terms=entry.plan_terms,
        payment_reference=entry.payment_reference,
        at=entry.arrived_at,
    )
    stored: list[VisitAttachment] = []
    try:
        with outcome_refusals(), transaction.atomic(durable=True):
            # The departure first: a visit that ran into quiet hours is refused as a whole.
            require_gate(
                case, point, Channel.VISIT, source=GateSource.WORKBENCH, at=entry.left_at, user=user,
                companions=companions,
            )  # fmt: skip
            saved = new_outcome(user, case, contact, now=now, companions=companions, audience=rules.audience(met))
            visit = Visit.objects.create(
                case=case, interaction=saved.interaction, address=point, work_item=item, collector=user,
                second_collector=companion, arrived_at=entry.arrived_at, left_at=entry.left_at,
                persons_met=[p.value for p in met], outcome=outcome.value, notes=entry.notes.strip(),
                promise=saved.promise, plan=saved.plan,
            )  # fmt: skip
            for upload in checked:
                attachment = VisitAttachment(
                    visit=visit, name=upload.name, media_type=upload.media_type, size=upload.size,
                    sha256=upload.sha256, uploaded_by=user,
                )  # fmt: skip
                # The file is written last, once everything else has passed, and removed below if the
                # transaction does not commit after all.
                attachment.file.save(upload.name, upload.upload, save=False)
                stored.append(attachment)
                attachment.save()
            record_change(
                user,
                visit,
                "visit:recorded",
                None,
                {
                    "case": case.pk,
                    "outcome": outcome.value,
                    "second_collector": companion.pk if companion else None,
                    "arrived_at": entry.arrived_at.isoformat(),
                    "left_at": entry.left_at.isoformat(),
                    "persons_met": visit.persons_met,
                    "work_item": item.pk if item else None,
                    "attachments": [a.sha256 for a in stored],
                },
            )
    except OutcomeError as exc:
        _remove(stored)
        raise VisitError(exc.messages, blocked=exc.blocked) from exc
    except BaseException:
        _remove(stored)
        raise
    return visit


def _remove(stored: list[VisitAttachment]) -> None:
    for attachment in stored:
        attachment.file.delete(save=False)


@dataclass(frozen=True)
class RevealedAddress:
    item: WorkItem
    point: ContactPoint
    value: str


def reveal_visit_address(user: Any, item_id: int, *, day: date | None = None) -> RevealedAddress:
    """The full address of a visit planned for today, for the collector who holds it; the look is audited.

    An entry point. Anything else — another day's item, another collector's, a visit already recorded, a
    case the user no longer sees — is answered like a missing item: the address is revealed for the visit
    still to be made, and only to whoever holds it.
    """
    day = day or clock.today()
    item = (
        WorkItem.objects.filter(
            pk=item_id, action=VISIT, as_of=day, status=WorkStatus.PENDING, assignee_id=getattr(user, "pk", None)
        )
        .select_related("case__debtor")
        .first()
    )
    if item is None:
        raise hidden_case(item_id, exists=WorkItem.objects.filter(pk=item_id).exists())
    require_visible_case(user, item.case)
    point = visit_address(item.case, item)
    if point is None:
        raise PermissionDenied(_("The debtor has no postal address on file."))
    with transaction.atomic(durable=True):
        record_access(user, point, "value", _("field visit, work item %(item)s") % {"item": item.pk}, VISIT)
    return RevealedAddress(item, point, point.value)
