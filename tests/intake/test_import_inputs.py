"""The import's share of issue 25: amounts within HUIKUAN_MAX_AMOUNT, identifiers in one ASCII spelling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from huikuan.intake.importer import import_accounts
from huikuan.portfolio.models import Account, Debtor
from tests.intake.test_import import row, write


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["principal", "original_amount", "interest"])
def test_an_amount_above_the_bound_is_a_row_error(tmp_path: Path, field: str) -> None:
    report = import_accounts(write(tmp_path / "big.csv", [row(**{field: "9,999,999,999,999.99"})]))
    assert not report.ok and not Debtor.objects.exists()
    [error] = report.errors
    assert (error.row, error.column, error.code) == (2, field, "too_large")
    with translation.override("en"):
        assert "above the largest amount allowed (100,000,000.00)" in report.error_lines()[0]


@pytest.mark.django_db
def test_the_bound_is_configurable(tmp_path: Path, settings: Any) -> None:
    settings.HUIKUAN_MAX_AMOUNT = "10000.00"
    report = import_accounts(write(tmp_path / "a.csv", [row(original_amount="10000.00", principal="10000.01")]))
    assert [(e.column, e.code) for e in report.errors] == [("principal", "too_large")]


@pytest.mark.django_db
def test_customer_contract_and_id_numbers_in_full_width_are_the_ascii_ones(tmp_path: Path) -> None:
    assert import_accounts(write(tmp_path / "a.csv", [row()])).ok
    wide_id = "１１０１０５１９４９１２３１００２Ｘ"
    wide = row(customer_no="Ｃ１", contract_no="ＨＴ-１", id_number=wide_id, principal="11000")
    report = import_accounts(write(tmp_path / "b.csv", [wide]))
    assert report.ok, report.error_lines()
    debtor = Debtor.objects.get()
    assert debtor.customer_no == "C1" and debtor.id_last4 == "002X"
    assert Account.objects.get().contract_no == "HT-1"
