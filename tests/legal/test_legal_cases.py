"""Legal cases: opened from the product with the legal hold, moved only by legal counsel in order, each move audited,
awarded costs on the ledger, documents with their SHA-256, hearing reminders. Lara is legal counsel, Lena leads
team A, Alice collects there."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from huikuan.audit.models import ChangeLog
from huikuan.cases.models import Case, CaseStatus, HoldReason
from huikuan.compliance.facts import case_gate_facts, gate_facts
from huikuan.kernel.compliance import gate
from huikuan.kernel.legal import MoveFacts
from huikuan.legal.actions import LegalError, Move, move_legal_case, open_legal_case, upload_document
from huikuan.legal.models import LegalCase, LegalDocument, LegalMove
from huikuan.legal.notices import notify_hearings
from huikuan.notifications.models import NoticeKind, Notification
from huikuan.notifications.texts import describe
from huikuan.portfolio.models import AccountBalance, LedgerEntry
from huikuan.strategy.models import WorkStatus
from tests.conftest import Personas
from tests.legal.conftest import ledgered
from tests.workbench.fixtures import CaseMaker, earliest_today
from tests.workbench.test_routing import add_item

FILING = MoveFacts(court="北京市朝阳区人民法院", case_number="(2026)京0105民初1234号", filed_on=None)


def today() -> date:
    """A day that is today or yesterday for the debtor, never tomorrow (their zone is where it is daytime)."""
    return earliest_today()


def filing() -> MoveFacts:
    return MoveFacts(court=FILING.court, case_number=FILING.case_number, law_firm="金诚律师事务所", filed_on=today())


def walk_to_judgment(user: Any, legal_case: LegalCase, awarded: str | None = "800.00") -> LegalCase:
    legal_case = move_legal_case(user, legal_case, Move("letter", note="律师函已发"))
    legal_case = move_legal_case(user, legal_case, Move("filed", filing()))
    hearing = timezone.now() + timedelta(days=2)
    legal_case = move_legal_case(user, legal_case, Move("hearing", MoveFacts(next_hearing=hearing)))
    judgment = MoveFacts(
        judgment_on=today(),
        judgment_amount=Decimal("9670.00"),
        awarded_costs=Decimal(awarded) if awarded else None,
    )
    return move_legal_case(user, legal_case, Move("judgment", judgment))


def test_legal_counsel_puts_a_case_into_legal_status_with_the_legal_hold(personas: Personas, late_case: Case) -> None:
    review = add_item(late_case, "legal_review", personas.lara)
    legal_case = open_legal_case(personas.lara, late_case, "逾期120天，失联，转诉讼")
    late_case.refresh_from_db()
    assert (late_case.status, late_case.hold_reason) == (CaseStatus.LEGAL, HoldReason.LEGAL)
    assert legal_case.stage == "review"
    review.refresh_from_db()
    assert review.status == WorkStatus.DONE  # the nightly legal review is answered
    assert ChangeLog.objects.filter(action="legal:opened", subject_id=str(legal_case.pk)).exists()
    assert ChangeLog.objects.filter(action="hold:legal", subject_id=str(late_case.pk)).exists()
    # The gate now holds collection contact.
    facts = case_gate_facts(late_case, gate_facts([late_case], timezone.now()))
    assert gate.Hold.LEGAL in facts.holds


def test_a_team_lead_may_refer_but_not_move_and_a_collector_may_do_neither(personas: Personas, late_case: Case) -> None:
    with pytest.raises(PermissionDenied):
        open_legal_case(personas.alice, late_case, "转法务")
    legal_case = open_legal_case(personas.lena, late_case, "转法务")
    for user in (personas.lena, personas.alice):
        with pytest.raises(PermissionDenied):
            move_legal_case(user, legal_case, Move("letter"))
    legal_case.refresh_from_db()
    assert legal_case.stage == "review"


def test_a_case_has_one_open_legal_case(personas: Personas, late_case: Case) -> None:
    open_legal_case(personas.lara, late_case, "转法务")
    with pytest.raises(LegalError, match="already has an open legal case"):
        open_legal_case(personas.lara, late_case, "再次转法务")
    assert LegalCase.objects.filter(case=late_case).count() == 1


def test_a_note_is_required_to_refer(personas: Personas, late_case: Case) -> None:
    with pytest.raises(LegalError):
        open_legal_case(personas.lara, late_case, "  ")
    late_case.refresh_from_db()
    assert late_case.status != CaseStatus.LEGAL


def test_a_judgment_before_filing_is_refused_with_the_allowed_next_states_and_nothing_recorded(
    personas: Personas, late_case: Case
) -> None:
    legal_case = open_legal_case(personas.lara, late_case, "转法务")
    judgment = MoveFacts(judgment_on=today(), judgment_amount=Decimal("100.00"))
    with pytest.raises(LegalError) as refused:
        move_legal_case(personas.lara, legal_case, Move("judgment", judgment))
    assert refused.value.allowed == ("letter", "filed", "withdrawn", "settled")
    assert "judgment" not in refused.value.allowed
    legal_case.refresh_from_db()
    assert legal_case.stage == "review" and legal_case.judgment_amount is None
    assert LegalMove.objects.filter(legal_case=legal_case).count() == 1  # the opening only


def test_filing_without_the_court_case_number_is_refused(personas: Personas, late_case: Case) -> None:
    legal_case = open_legal_case(personas.lara, late_case, "转法务")
    with pytest.raises(LegalError) as refused:
        move_legal_case(personas.lara, legal_case, Move("filed", MoveFacts(court="法院", filed_on=today())))
    assert len(refused.value.messages) == 1
    legal_case.refresh_from_db()
    assert legal_case.stage == "review" and legal_case.court == ""


def test_a_walk_to_judgment_audits_every_move_and_posts_the_awarded_costs_as_a_fee(
    personas: Personas, late_case: Case
) -> None:
    fee_before = AccountBalance.objects.get(account__debtor=late_case.debtor).fee
    legal_case = walk_to_judgment(personas.lara, open_legal_case(personas.lara, late_case, "转法务"))
    assert legal_case.stage == "judgment"
    assert legal_case.case_number == FILING.case_number and legal_case.law_firm == "金诚律师事务所"
    actions = list(
        ChangeLog.objects.filter(subject_type="legal.legalcase", subject_id=str(legal_case.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["legal:opened", "legal:letter", "legal:filed", "legal:hearing", "legal:judgment"]
    entry = LedgerEntry.objects.get(account__debtor=late_case.debtor, reference__startswith="legal-costs:")
    assert (entry.kind, entry.fee) == ("fee", Decimal("800.00"))
    assert AccountBalance.objects.get(account__debtor=late_case.debtor).fee == fee_before + Decimal("800.00")
    assert legal_case.costs_posted == Decimal("800.00")
    late_case.refresh_from_db()
    assert late_case.status == CaseStatus.LEGAL  # the hold stays until the file is closed


def test_a_judgment_without_awarded_costs_posts_nothing(personas: Personas, late_case: Case) -> None:
    walk_to_judgment(personas.lara, open_legal_case(personas.lara, late_case, "转法务"), awarded=None)
    assert not LedgerEntry.objects.filter(reference__startswith="legal-costs:").exists()


def test_closing_the_legal_case_lifts_the_hold(personas: Personas, late_case: Case) -> None:
    legal_case = walk_to_judgment(personas.lara, open_legal_case(personas.lara, late_case, "转法务"))
    move_legal_case(personas.lara, legal_case, Move("closed", note="执行完毕"))
    late_case.refresh_from_db()
    assert (late_case.status, late_case.hold_reason) == (CaseStatus.OPEN, "")
    assert ChangeLog.objects.filter(action="hold:lifted", subject_id=str(late_case.pk)).exists()
    # A final stage allows nothing more, and a new file may be opened.
    with pytest.raises(LegalError) as refused:
        move_legal_case(personas.lara, legal_case, Move("enforcement"))
    assert refused.value.allowed == ()
    assert open_legal_case(personas.lara, late_case, "再次起诉").pk != legal_case.pk


def test_withdrawing_returns_a_case_to_its_complaint_hold(personas: Personas, late_case: Case) -> None:
    Case.objects.filter(pk=late_case.pk).update(status=CaseStatus.ON_HOLD, hold_reason=HoldReason.COMPLAINT)
    late_case.refresh_from_db()
    legal_case = open_legal_case(personas.lara, late_case, "转法务")
    move_legal_case(personas.lara, legal_case, Move("withdrawn", note="撤诉"))
    late_case.refresh_from_db()
    assert (late_case.status, late_case.hold_reason) == (CaseStatus.ON_HOLD, HoldReason.COMPLAINT)


def test_a_time_barred_debt_is_not_handed_to_legal(settings: Any, personas: Personas, make_case: CaseMaker) -> None:
    settings.COMPLIANCE_PACK = "us"
    settings.HUIKUAN_LIMITATION_YEARS = {"consumer_loan": 1}
    barred = make_case(400)
    with pytest.raises(LegalError) as refused:
        open_legal_case(personas.lara, barred, "转法务")
    assert "us.time_barred_suit" in refused.value.messages[0]
    barred.refresh_from_db()
    assert barred.status != CaseStatus.LEGAL
    assert not LegalCase.objects.filter(case=barred).exists()


def test_a_hearing_is_announced_once_to_the_counsel_who_scheduled_it(
    personas: Personas, late_case: Case, make_case: CaseMaker
) -> None:
    walk_to_judgment(personas.lara, open_legal_case(personas.lara, late_case, "转法务"))
    assert notify_hearings() == 0  # that hearing was held: the judgment is recorded
    other = open_legal_case(personas.lara, ledgered(make_case), "转法务")
    other = move_legal_case(personas.lara, other, Move("filed", filing()))
    hearing = timezone.now() + timedelta(days=2)
    move_legal_case(personas.lara, other, Move("hearing", MoveFacts(next_hearing=hearing)))
    assert notify_hearings() == 1
    assert notify_hearings() == 0
    notice = Notification.objects.get(user=personas.lara, kind=NoticeKind.HEARING_DUE)
    assert notice.case_id == other.case_id
    assert FILING.court in describe(notice)
    # A hearing a week away is not announced yet.
    assert notify_hearings(now=timezone.now() - timedelta(days=5)) == 0


def pdf(name: str = "contract.pdf", size: int = 0) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.7\n" + b"0" * size, content_type="application/pdf")


def test_documents_tick_the_checklist_with_their_sha256(personas: Personas, late_case: Case) -> None:
    legal_case = open_legal_case(personas.lara, late_case, "转法务")
    document = upload_document(personas.lara, legal_case, "借款合同 / loan contract", pdf())
    assert document.content_type == "application/pdf"
    assert document.sha256 == hashlib.sha256(b"%PDF-1.7\n").hexdigest()
    assert document.file.read() == b"%PDF-1.7\n"
    assert ChangeLog.objects.filter(action="legal:document").exists()


@pytest.mark.parametrize(
    ("upload", "why"),
    [
        (SimpleUploadedFile("contract.pdf", b"PK\x03\x04word/", content_type="application/pdf"), "Only images"),
        (SimpleUploadedFile("run.sh", b"#!/bin/sh\nrm -rf /", content_type="audio/mpeg"), "Only images"),
        (SimpleUploadedFile("empty.pdf", b"", content_type="application/pdf"), "empty"),
    ],
)
def test_an_upload_that_is_not_an_image_pdf_or_audio_is_refused(
    personas: Personas, late_case: Case, upload: SimpleUploadedFile, why: str
) -> None:
    legal_case = open_legal_case(personas.lara, late_case, "转法务")
    with pytest.raises(LegalError, match=why):
        upload_document(personas.lara, legal_case, "借款合同 / loan contract", upload)
    assert not LegalDocument.objects.exists()


def test_an_upload_over_the_size_limit_is_refused(settings: Any, personas: Personas, late_case: Case) -> None:
    settings.HUIKUAN_LEGAL_MAX_UPLOAD_MB = 1
    legal_case = open_legal_case(personas.lara, late_case, "转法务")
    with pytest.raises(LegalError, match="larger than the limit"):
        upload_document(personas.lara, legal_case, "借款合同 / loan contract", pdf(size=1024 * 1024))
    assert not LegalDocument.objects.exists()
    assert upload_document(personas.lara, legal_case, "借款合同 / loan contract", pdf(size=1000)).size == 1009


def test_an_upload_for_an_item_not_on_the_checklist_is_refused(personas: Personas, late_case: Case) -> None:
    legal_case = open_legal_case(personas.lara, late_case, "转法务")
    with pytest.raises(LegalError, match="checklist"):
        upload_document(personas.lara, legal_case, "我的照片", pdf())
