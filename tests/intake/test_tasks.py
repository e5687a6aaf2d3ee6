"""The import as a background task, run by a real Celery worker over Redis."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from huikuan.portfolio.models import Account, ImportBatch

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.django_db(transaction=True)
def test_worker_imports_the_example_file(celery_worker_process: Callable[..., dict]) -> None:
    mapping = (EXAMPLES / "mapping-zh.yaml").read_text(encoding="utf-8")
    result = celery_worker_process("intake.import_accounts", str(EXAMPLES / "accounts-zh.csv"), mapping)
    assert result["ok"] and result["rows"] == 6
    # The worker wrote through its own connection; this process sees the committed rows.
    assert Account.objects.count() == 6
    assert ImportBatch.objects.get().pk == result["batch_id"]


def test_without_a_broker_the_task_runs_in_process(db: None) -> None:
    from huikuan.intake.tasks import import_accounts_task

    mapping = (EXAMPLES / "mapping-zh.yaml").read_text(encoding="utf-8")
    result = import_accounts_task.delay(str(EXAMPLES / "accounts-zh.csv"), mapping, True).get()
    assert result["ok"] and Account.objects.count() == 0  # dry run
