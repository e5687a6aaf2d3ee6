"""The evidence pack: unzipped, every file matches the manifest's SHA-256, the ledger statement reaches the balance to
the fen, the letters, documents and recordings are in it, a registered evidence source adds its part, building it
is audited, and the same records give the same bytes. Lara (legal counsel) builds it."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from huikuan.audit.models import AccessLog, ChangeLog
from huikuan.cases.evidence import (
    Evidence,
    EvidenceFile,
    EvidenceTable,
    register_evidence_source,
    unregister_evidence_source,
)
from huikuan.cases.models import Case, Interaction
from huikuan.comms.models import Message
from huikuan.kernel.legal import MoveFacts, check_manifest
from huikuan.legal.actions import Move, move_legal_case, open_legal_case, upload_document
from huikuan.legal.evidence import ZIP_TIME, build_pack
from huikuan.portfolio.models import AccountBalance, ContactPoint
from huikuan.workbench.models import CallRecording
from tests.conftest import Personas, client_for
from tests.workbench.fixtures import earliest_today


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


@pytest.fixture
def evidence_case(personas: Personas, late_case: Case, media: Path) -> Case:
    """The late case with two calls (one recorded), a letter printed to a PDF, and a legal case with a contract."""
    now = timezone.now()
    point = ContactPoint.objects.get(debtor=late_case.debtor, relation="self")
    first = Interaction.objects.create(
        case=late_case, contact_point=point, channel="call", party="debtor", outcome="promise", notes="承诺周五还款",
        at=now - timedelta(days=3), user=personas.alice,
    )  # fmt: skip
    Interaction.objects.create(
        case=late_case, contact_point=point, channel="call", outcome="no_answer", at=now - timedelta(days=1),
        user=personas.alice,
    )  # fmt: skip
    recording = CallRecording(interaction=first, uploaded_by=personas.alice)
    recording.file.save("call.mp3", ContentFile(b"ID3\x04fake-audio"), save=True)
    letter_pdf = media / "letter-1.pdf"
    letter_pdf.write_bytes(b"%PDF-1.7 the demand letter")
    Message.objects.create(
        idempotency_key=f"letter:{late_case.pk}", case=late_case, debtor=late_case.debtor, channel="letter",
        purpose="demand_letter", language="zh-hans", recipient="北京市朝阳区某路1号", body="催款函", status="delivered",
        content_hash=hashlib.sha256(letter_pdf.read_bytes()).hexdigest(), document=str(letter_pdf), due_at=now,
        sent_at=now - timedelta(days=2), delivered_at=now - timedelta(days=1), provider="ems",
        provider_id="EMS123456789CN",
    )  # fmt: skip
    legal_case = open_legal_case(personas.lara, late_case, "转诉讼")
    upload_document(
        personas.lara,
        legal_case,
        "借款合同 / loan contract",
        SimpleUploadedFile("合同.pdf", b"%PDF-1.4 contract", content_type="application/pdf"),
    )
    late_case.refresh_from_db()
    return late_case


def test_every_file_of_the_pack_matches_its_manifest_hash(personas: Personas, evidence_case: Case) -> None:
    files = unzip(build_pack(personas.lara, evidence_case).data)
    manifest = json.loads(files.pop("manifest.json"))
    assert check_manifest(manifest, files) == []
    for listed in manifest["files"]:
        assert hashlib.sha256(files[listed["name"]]).hexdigest() == listed["sha256"]
    assert manifest["case"] == evidence_case.pk
    names = set(files)
    assert {"summary.pdf", "statement.csv"} <= names
    assert any(n.startswith("letters/") for n in names)
    assert any(n.startswith("documents/") and n.endswith(".pdf") for n in names)
    assert any(n.startswith("recordings/") for n in names)
    assert files["summary.pdf"].startswith(b"%PDF")
    letter = next(v for n, v in files.items() if n.startswith("letters/"))
    assert letter == b"%PDF-1.7 the demand letter"


def test_the_ledger_statement_sums_to_the_balance_to_the_fen(personas: Personas, evidence_case: Case) -> None:
    legal_case = evidence_case.legal_cases.get()
    legal_case = move_legal_case(personas.lara, legal_case, Move("filed", _filing()))
    files = unzip(build_pack(personas.lara, evidence_case).data)
    rows = list(csv.DictReader(io.StringIO(files["statement.csv"].decode("utf-8"))))
    owed = sum((b.total for b in AccountBalance.objects.filter(account__debtor=evidence_case.debtor)), Decimal("0"))
    assert sum((Decimal(r["amount"]) for r in rows), Decimal("0")) == owed
    closing: dict[str, Decimal] = {}
    running: dict[str, Decimal] = {}
    for r in rows:
        running[r["account"]] = running.get(r["account"], Decimal("0")) + Decimal(r["amount"])
        assert Decimal(r["balance"]) == running[r["account"]]  # the running balance, line by line
        closing[r["account"]] = Decimal(r["balance"])
    assert sum(closing.values(), Decimal("0")) == owed == Decimal("9670.00")
    assert json.loads(files["manifest.json"])["owed"] == "9670.00"


def _filing() -> MoveFacts:
    return MoveFacts(court="北京市朝阳区人民法院", case_number="(2026)京0105民初1234号", filed_on=earliest_today())


def test_the_same_records_give_the_same_pack_byte_for_byte(personas: Personas, evidence_case: Case) -> None:
    first = build_pack(personas.lara, evidence_case)
    second = build_pack(personas.lara, evidence_case)
    assert first.manifest == second.manifest
    assert first.data == second.data
    with zipfile.ZipFile(io.BytesIO(first.data)) as archive:
        assert {info.date_time for info in archive.infolist()} == {ZIP_TIME}
    # A new contact changes the summary, so the manifest.
    Interaction.objects.create(case=evidence_case, channel="call", outcome="busy", at=timezone.now())
    assert build_pack(personas.lara, evidence_case).manifest != first.manifest


def test_building_the_pack_is_audited(personas: Personas, evidence_case: Case) -> None:
    pack = build_pack(personas.lara, evidence_case)
    logged = ChangeLog.objects.get(action="legal:evidence_pack")
    assert logged.user == personas.lara
    assert logged.after is not None
    assert logged.after["manifest_sha256"] == hashlib.sha256(pack.manifest).hexdigest()
    assert AccessLog.objects.filter(user=personas.lara, field="evidence_pack").count() == 1


def test_only_legal_counsel_build_a_pack(personas: Personas, evidence_case: Case) -> None:
    for user in (personas.alice, personas.lena):
        with pytest.raises(PermissionDenied):
            build_pack(user, evidence_case)
    assert not ChangeLog.objects.filter(action="legal:evidence_pack").exists()


@pytest.fixture
def visits_source() -> Iterator[None]:
    """An app's evidence source, registered as its AppConfig.ready would (field visits, say)."""

    def visits(case_ids: Sequence[int]) -> Mapping[int, Evidence]:
        return {
            case_id: Evidence(
                tables=(EvidenceTable("外访记录", ("时间", "结果"), (("2026-11-01 10:00", "本人在家"),)),),
                files=(EvidenceFile("visit-1.jpg", b"\xff\xd8\xff\xe0photo"),),
            )
            for case_id in case_ids
        }

    register_evidence_source("visits", visits)
    yield
    unregister_evidence_source("visits")


def test_a_registered_evidence_source_adds_its_files(
    personas: Personas, evidence_case: Case, visits_source: None
) -> None:
    files = unzip(build_pack(personas.lara, evidence_case).data)
    assert files["visits/visit-1.jpg"] == b"\xff\xd8\xff\xe0photo"
    manifest = json.loads(files.pop("manifest.json"))
    assert "visits/visit-1.jpg" in {f["name"] for f in manifest["files"]}
    assert check_manifest(manifest, files) == []


def test_an_evidence_source_needs_a_plain_name() -> None:
    with pytest.raises(ValueError, match="plain folder name"):
        register_evidence_source("../etc", lambda ids: {})


def test_the_command_writes_the_pack(personas: Personas, evidence_case: Case, tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("legal_evidence", str(evidence_case.pk), "--out", str(tmp_path / "packs"), stdout=out)
    written = tmp_path / "packs" / f"evidence-case-{evidence_case.pk}.zip"
    files = unzip(written.read_bytes())
    assert check_manifest(json.loads(files.pop("manifest.json")), files) == []
    assert str(written) in out.getvalue()


def test_the_command_names_a_missing_case(db: None) -> None:
    with pytest.raises(CommandError, match="987654"):
        call_command("legal_evidence", "987654", stdout=io.StringIO())


def test_the_page_button_and_the_api_download_the_same_pack(personas: Personas, evidence_case: Case) -> None:
    legal_case = evidence_case.legal_cases.get()
    client = client_for(personas.lara)
    page = client.post(f"/legal/{legal_case.pk}/evidence/")
    assert page.status_code == 200 and page["Content-Type"] == "application/zip"
    api = client.post(f"/api/cases/{evidence_case.pk}/evidence")
    assert api.status_code == 200
    assert unzip(page.content)["manifest.json"] == unzip(api.content)["manifest.json"]
    assert client_for(personas.alice).post(f"/api/cases/{evidence_case.pk}/evidence").status_code == 403
