"""The legal case's use cases: open it (the legal hold goes on), move it, upload its documents.

- ``open_legal_case`` (an entry point) and ``refer_case`` (the building block a specialist's hand-over joins):
  who may refer is ``can_refer_to_legal`` (the specialist queue asks its own capability). A time-barred debt is
  never referred where the pack forbids a suit on it (``compliance.validation.time_barred_refusal``). A case
  has one open legal case at a time. Opening puts the case into legal status with the legal hold: the gate
  then stops collection contact (Hold.LEGAL) and the strategy plans only legal reviews.
- ``move_legal_case``: only legal counsel and administrators (``can_move_legal_cases``); the move is the
  kernel's to allow (``kernel.legal.check_move``), refused with the stages allowed next. Every move is in the
  change log and the case's history. A judgment that awards costs charges them to the debtor as a fee through
  the one ledger writer (``portfolio.ledger``). A final stage (closed, withdrawn, settled) lifts the hold:
  the case goes back to the status it had before, and the ledger's lifecycle closes it if nothing is owed.
- ``upload_document``: a scan, photo, PDF or recording (told by its bytes), up to the size limit
  (``HUIKUAN_LEGAL_MAX_UPLOAD_MB``), stored with its SHA-256; it ticks a checklist item of the policy.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from huikuan import clock
from huikuan.audit.records import record_change, snapshot
from huikuan.cases.access import require_visible_case
from huikuan.cases.models import Case, CaseStatus, HoldReason
from huikuan.cases.sync import refresh_cases
from huikuan.compliance.actions import screen_and_register
from huikuan.compliance.validation import time_barred_refusal
from huikuan.kernel import ledger as kernel_ledger
from huikuan.kernel import legal as rules
from huikuan.kernel.strategy.queue import LEGAL_REVIEW
from huikuan.legal.models import OPEN_STAGES, LegalCase, LegalDocument, LegalMove, LegalStage
from huikuan.org.permissions import can_move_legal_cases, can_refer_to_legal, require
from huikuan.portfolio.ledger import LedgerRejected, NewEntry, append_entries, lock_balances, refresh_balances
from huikuan.portfolio.models import debtor_today
from huikuan.strategy.models import WorkItem, WorkStatus
from huikuan.strategy.views_data import policy_in_force

_TRACKED = [
    "stage", "court", "case_number", "law_firm", "filed_on", "next_hearing", "judgment_on", "claim_amount",
    "costs", "judgment_amount", "awarded_costs", "costs_posted",
]  # fmt: skip


class LegalError(ValueError):
    """A legal action refused: the messages to show, and for a move out of order the stages allowed next."""

    def __init__(self, messages: list[str], allowed: tuple[str, ...] = ()) -> None:
        self.messages = messages
        self.allowed = allowed
        super().__init__("; ".join(messages))


def stage_label(stage: str) -> str:
    return str(LegalStage(stage).label) if stage in LegalStage.values else stage


def open_legal_case(user: Any, case: Case, note: str, *, now: datetime | None = None) -> LegalCase:
    """Put the case into legal status with a new legal case under review. An entry point."""
    require(can_refer_to_legal(user), _("Your role cannot hand cases to legal."))
    with transaction.atomic(durable=True):
        return refer_case(user, case, note, now=now)


def refer_case(user: Any, case: Case, note: str, *, now: datetime | None = None) -> LegalCase:
    """Open the legal case and set the legal hold; the caller has asked for the capability. A building block."""
    require_visible_case(user, case)
    now = now or clock.now()
    errors = []
    if not note.strip():
        errors.append(_("Write why the case goes to legal."))
    barred = time_barred_refusal(case, now, get_language() or "zh")
    if barred:
        errors.append(barred)
    if errors:
        raise LegalError(errors)
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.status == CaseStatus.CLOSED:
            raise LegalError([_("A closed case owes nothing: there is nothing to take to court.")])
        if LegalCase.objects.filter(case=locked, stage__in=OPEN_STAGES).exists():
            raise LegalError([_("This case already has an open legal case.")])
        legal_case = LegalCase.objects.create(
            case=locked,
            opened_by=user if getattr(user, "pk", None) else None,
            opened_at=now,
            prior_status=locked.status,
            prior_hold_reason=locked.hold_reason,
        )
        _set_hold(user, locked, now)
        # The nightly legal reviews of the case are answered: legal has the file now.
        WorkItem.objects.filter(case_id=locked.pk, action=LEGAL_REVIEW, status=WorkStatus.PENDING).update(
            status=WorkStatus.DONE
        )
        screen_and_register(note, source="note", case=locked, user=user, subject=f"legal:{legal_case.pk}")
        LegalMove.objects.create(
            legal_case=legal_case, to_stage=LegalStage.REVIEW, note=note.strip(), by=_by(user), at=now
        )
        record_change(user, legal_case, "legal:opened", None, snapshot(legal_case, _TRACKED) | {"note": note.strip()})
    return legal_case


def _by(user: Any) -> Any:
    return user if getattr(user, "pk", None) else None


def _set_hold(user: Any, case: Case, now: datetime) -> None:
    before = snapshot(case, ["status", "hold_reason"])
    case.status = CaseStatus.LEGAL
    case.hold_reason = HoldReason.LEGAL
    case.hold_since = now
    case.save(update_fields=["status", "hold_reason", "hold_since"])
    record_change(user, case, "hold:legal", before, snapshot(case, ["status", "hold_reason"]))


def _lift_hold(user: Any, legal_case: LegalCase, now: datetime) -> None:
    """The case goes back to where it was before legal (a complaint's hold stays on); the ledger decides the rest."""
    case = Case.objects.select_for_update().get(pk=legal_case.case_id)
    before = snapshot(case, ["status", "hold_reason"])
    held_before = legal_case.prior_status == CaseStatus.ON_HOLD and legal_case.prior_hold_reason != HoldReason.LEGAL
    case.status = CaseStatus.ON_HOLD if held_before else CaseStatus.OPEN
    case.hold_reason = legal_case.prior_hold_reason if held_before else ""
    case.hold_since = case.hold_since if held_before else None
    case.save(update_fields=["status", "hold_reason", "hold_since"])
    record_change(user, case, "hold:lifted", before, snapshot(case, ["status", "hold_reason"]))
    # Paid off while in court: the lifecycle closes it now that legal has let go (kernel.lifecycle).
    refresh_cases([case.debtor_id], now, user_id=getattr(user, "pk", None))


@dataclass
class Move:
    """A move as the person asked for it: the stage, the facts it records (None: unchanged) and a note."""

    to: str
    facts: rules.MoveFacts = field(default_factory=rules.MoveFacts)
    note: str = ""


# Lazy: worded in the language of the request that is refused, not of the process that imported this.
_FACT_MESSAGES = {
    "required": gettext_lazy("%(field)s is required for this step."),
    "future": gettext_lazy("%(field)s cannot be in the future."),
    "amount": gettext_lazy("%(field)s must be an amount of zero or more, to the fen."),
}


def _fact_label(name: str) -> str:
    return str(getattr(LegalCase._meta.get_field(name), "verbose_name", name))


def move_errors(legal_case: LegalCase, move: Move, today: Any) -> LegalError | None:
    problems = rules.check_move(legal_case.stage, move.to, _merged(legal_case, move.facts), today=today)
    if not problems:
        return None
    messages = []
    allowed: tuple[str, ...] = ()
    for p in problems:
        if p.code == "out_of_order":
            allowed = tuple(s.value for s in p.allowed)
            names = ", ".join(stage_label(s) for s in allowed) or "—"
            messages.append(
                _("A legal case at “%(stage)s” cannot move to “%(to)s”. Allowed next: %(allowed)s.")
                % {"stage": stage_label(legal_case.stage), "to": stage_label(move.to), "allowed": names}
            )
        else:
            messages.append(str(_FACT_MESSAGES[p.code]) % {"field": _fact_label(p.field)})
    return LegalError(messages, allowed)


def _merged(legal_case: LegalCase, facts: rules.MoveFacts) -> rules.MoveFacts:
    """The facts the case would have after the move: what the move gives, else what is recorded already."""
    values = {}
    for name in rules.MoveFacts.__dataclass_fields__:
        given = getattr(facts, name)
        values[name] = given if given not in (None, "") else getattr(legal_case, name)
    return rules.MoveFacts(**values)


def move_legal_case(user: Any, legal_case: LegalCase, move: Move, *, now: datetime | None = None) -> LegalCase:
    """Move the legal case to ``move.to`` with the facts the step records. An entry point."""
    require(can_move_legal_cases(user), _("Only legal counsel move a legal case."))
    require_visible_case(user, legal_case.case)
    now = now or clock.now()
    with transaction.atomic(durable=True):
        locked = LegalCase.objects.select_for_update().select_related("case__debtor").get(pk=legal_case.pk)
        today = debtor_today(locked.case.debtor.time_zone, now)
        refused = move_errors(locked, move, today)
        if refused:
            raise refused
        before = snapshot(locked, _TRACKED)
        facts = _merged(locked, move.facts)
        for name in rules.MoveFacts.__dataclass_fields__:
            setattr(locked, name, getattr(facts, name))
        from_stage, locked.stage = locked.stage, move.to
        if move.to == LegalStage.JUDGMENT:
            _post_awarded_costs(user, locked, today)
        if move.to != LegalStage.HEARING:
            # A hearing date belongs to the hearing stage: past it, nothing is scheduled (nor reminded of).
            locked.next_hearing = None
        if move.to in rules.FINAL:
            locked.closed_at = now
        locked.save()
        if move.note.strip():
            screen_and_register(move.note, source="note", case=locked.case, user=user, subject=f"legal:{locked.pk}")
        LegalMove.objects.create(
            legal_case=locked, from_stage=from_stage, to_stage=move.to, note=move.note.strip(), by=_by(user), at=now
        )
        record_change(user, locked, f"legal:{move.to}", before, snapshot(locked, _TRACKED))
        if move.to in rules.FINAL:
            _lift_hold(user, locked, now)
    return locked


def _post_awarded_costs(user: Any, legal_case: LegalCase, today: Any) -> None:
    """Charge the costs the judgment awards as a fee, on the debtor's oldest account, through the ledger writer."""
    amount = rules.costs_to_post(legal_case.awarded_costs, legal_case.costs_posted)
    if not amount:
        return
    locked = lock_balances(debtor_ids=[legal_case.case.debtor_id])
    accounts = sorted(locked.by_debtor.get(legal_case.case.debtor_id, []), key=lambda a: (locked.due[a], a))
    if not accounts:
        raise LegalError([_("The debtor has no account to charge the costs to.")])
    posted = legal_case.costs_posted + amount
    # The reference names the file and the total posted so far: a retried judgment posts nothing twice.
    entry = kernel_ledger.Entry(
        kernel_ledger.EntryKind.FEE,
        f"legal-costs:{legal_case.pk}:{posted}",
        {kernel_ledger.Component.FEE: amount},
    )
    problems = locked.move([(accounts[0], entry)])
    if problems:
        raise LedgerRejected([kernel_ledger.LedgerError(entry.reference, p) for p in problems])
    note = f"{legal_case.court} {legal_case.case_number}".strip()[:300]
    append_entries([NewEntry(accounts[0], entry, today, note=note, created_by_id=getattr(user, "pk", None))])
    refresh_balances([accounts[0]])
    legal_case.costs_posted = posted


# --- Documents ------------------------------------------------------------------------------------------------


def max_upload_bytes() -> int:
    return int(getattr(settings, "HUIKUAN_LEGAL_MAX_UPLOAD_MB", 20)) * 1024 * 1024


def checklist(legal_case: LegalCase) -> list[tuple[str, list[LegalDocument]]]:
    """The policy's document list for the file, each item with the documents that tick it."""
    documents = list(legal_case.documents.all())
    items = list(checklist_items())
    extra = sorted({d.item for d in documents} - set(items))
    return [(item, [d for d in documents if d.item == item]) for item in [*items, *extra]]


def checklist_items() -> tuple[str, ...]:
    """The documents a suit needs, as the policy in force lists them (escalation.legal_checklist); without a
    policy, one item for whatever is uploaded, so a file is never without a place for its documents."""
    version = policy_in_force()
    listed = tuple(version.policy().escalation.legal_checklist) if version is not None else ()
    return listed or (str(_("Other documents")),)


def upload_document(
    user: Any, legal_case: LegalCase, item: str, upload: UploadedFile, *, now: datetime | None = None
) -> LegalDocument:
    """Store a document for a checklist item, with its SHA-256; audited. An entry point."""
    require(can_move_legal_cases(user), _("Only legal counsel upload a legal case's documents."))
    require_visible_case(user, legal_case.case)
    errors = []
    if item not in checklist_items():
        errors.append(_("Choose an item of the checklist."))
    if upload.size is None or upload.size > max_upload_bytes():
        errors.append(
            _("The file is larger than the limit of %(mb)s MB.") % {"mb": max_upload_bytes() // (1024 * 1024)}
        )
    data = b""
    if not errors:
        data = upload.read()
        if not data:
            errors.append(_("The file is empty."))
    content_type = rules.sniff_content_type(data[:16])
    if data and content_type is None:
        errors.append(_("Only images, PDF files and audio recordings can be uploaded."))
    if errors:
        raise LegalError(errors)
    digest = hashlib.sha256(data).hexdigest()
    name = _safe_name(upload.name or "document")
    with transaction.atomic(durable=True):
        document = LegalDocument(
            legal_case=legal_case,
            item=item,
            name=name,
            content_type=str(content_type),
            size=len(data),
            sha256=digest,
            uploaded_by=_by(user),
            uploaded_at=now or clock.now(),
        )
        document.file.save(name, ContentFile(data), save=False)
        document.save()
        record_change(user, document, "legal:document", None, snapshot(document, ["item", "name", "size", "sha256"]))
    return document


def _safe_name(name: str) -> str:
    """The upload's own name, without a path or characters a file system or a ZIP reader trips on."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c if c.isalnum() or c in "._-" else "_" for c in base).strip("._") or "document"
    return cleaned[-120:]
