"""Issue 17 in Debian's Chromium: legal counsel takes a nightly legal review from the /legal/ queue, walks the
legal case from review to judgment (the step form offers only the stages allowed next), ticks the checklist
with an upload, and downloads the evidence pack, whose files match its manifest. Screenshots go to
artifacts/screenshots/legal-*."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from huikuan.kernel.legal import check_manifest
from huikuan.legal.models import LegalCase
from huikuan.portfolio.models import LedgerEntry
from tests.browser.conftest import login, screenshot
from tests.conftest import Personas
from tests.legal.conftest import ledgered
from tests.workbench.fixtures import CaseMaker, earliest_today, make_case, run
from tests.workbench.test_routing import add_item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["make_case", "run"]


def step(page: Any, to: str, **fields: str) -> None:
    form = page.locator("[data-testid=legal-move]")
    options = form.locator("select[name=to] option").evaluate_all("(os) => os.map(o => o.value)")
    assert to in options, f"{to} is not offered: {options}"
    form.locator("select[name=to]").select_option(to)
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    with page.expect_navigation():
        form.locator("button.primary").click()
    assert page.locator("[data-testid=legal-stage]").get_attribute("data-stage") == to


def test_legal_counsel_walks_a_case_from_review_to_judgment_and_downloads_the_evidence_pack(
    live_server: Any, page: Any, personas: Personas, make_case: CaseMaker, tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    url = live_server.url
    case = ledgered(make_case)
    add_item(case, "legal_review", personas.lara)

    login(page, url, "lara", "pw-lara")
    page.goto(f"{url}/legal/")
    row = page.locator(f"[data-testid=legal-reviews] tr[data-case='{case.pk}']")
    assert row.is_visible()
    screenshot(page, "legal-01-queue")
    row.locator("[data-testid=review-refer] input[name=note]").fill("逾期120天，多次承诺未履行，转诉讼")
    with page.expect_navigation():
        row.locator("[data-testid=review-refer] button").click()
    legal_case = LegalCase.objects.get(case=case)
    assert page.url.endswith(f"/legal/{legal_case.pk}/")
    assert page.locator("[data-testid=legal-stage]").get_attribute("data-stage") == "review"
    # A judgment is not among the next steps of a review.
    offered = page.locator("[data-testid=legal-move] select[name=to] option").evaluate_all(
        "(os) => os.map(o => o.value)"
    )
    assert "judgment" not in offered
    screenshot(page, "legal-02-review")

    step(page, "letter", note="律师函已由金诚律师事务所发出")
    today = earliest_today().isoformat()  # the debtor's today or yesterday, never their tomorrow
    step(
        page,
        "filed",
        court="北京市朝阳区人民法院",
        case_number="(2026)京0105民初1234号",
        law_firm="金诚律师事务所",
        filed_on=today,
    )
    step(page, "hearing", next_hearing=f"{(timezone.localdate() + timedelta(days=10)).isoformat()}T09:30")
    screenshot(page, "legal-03-hearing")
    step(page, "judgment", judgment_on=today, judgment_amount="9670.00", awarded_costs="800.00")
    assert page.locator("[data-testid=costs-posted]").inner_text() == "800.00"
    assert LedgerEntry.objects.get(reference__startswith="legal-costs:").fee == Decimal("800.00")

    upload = page.locator("[data-testid=legal-checklist] form")
    upload.locator("select[name=item]").select_option(index=0)
    upload.locator("input[name=file]").set_input_files(
        {"name": "合同.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 loan contract"}
    )
    with page.expect_navigation():
        upload.locator("button").click()
    assert page.locator("[data-testid=legal-checklist] li[data-ticked=yes]").count() == 1
    screenshot(page, "legal-04-judgment")

    with page.expect_download() as download:
        page.click("[data-testid=evidence-pack]")
    saved = tmp_path / "pack.zip"
    download.value.save_as(saved)
    with zipfile.ZipFile(io.BytesIO(saved.read_bytes())) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(files.pop("manifest.json"))
    assert check_manifest(manifest, files) == []
    assert manifest["stage"] == "judgment"
    assert any(name.startswith("documents/") for name in files)
    assert files["summary.pdf"].startswith(b"%PDF")
