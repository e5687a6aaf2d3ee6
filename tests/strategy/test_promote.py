"""Promoting an experiment's arm: its policy becomes the champion, the experiment ends, both audited."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied

from huikuan.audit.models import ChangeLog
from huikuan.strategy.actions import UnknownArm, import_policy, promote_arm, start_experiment
from huikuan.strategy.models import Experiment, PolicyVersion
from tests.conftest import Personas

ROOT = Path(__file__).resolve().parents[2]


def test_lena_promotes_the_challenger_and_its_policy_is_the_champion(
    champion: PolicyVersion, personas: Personas
) -> None:
    challenger, _ = import_policy((ROOT / "examples" / "policy-challenger.yaml").read_text(encoding="utf-8"))
    experiment = start_experiment(
        "exp-p", "earlier calls", [("champion", champion, Decimal("0.5")), ("challenger", challenger, Decimal("0.5"))]
    )
    assert promote_arm(experiment, "challenger", personas.lena) == challenger
    assert PolicyVersion.objects.get(in_force=True) == challenger
    experiment.refresh_from_db()
    assert not experiment.active and experiment.ended_on is not None
    logged = ChangeLog.objects.get(action="experiment.promote")
    assert logged.user == personas.lena
    assert logged.after == {"active": False, "winner": "challenger", "policy": challenger.label}
    assert ChangeLog.objects.filter(action="policy.activate", user=personas.lena).exists()


def test_a_collector_may_not_promote_and_an_unknown_arm_is_refused(champion: PolicyVersion, personas: Personas) -> None:
    experiment = start_experiment("exp-q", "a/a", [("champion", champion, Decimal("1"))])
    with pytest.raises(PermissionDenied):
        promote_arm(experiment, "champion", personas.alice)
    with pytest.raises(UnknownArm):
        promote_arm(experiment, "nobody", personas.lena)
    assert Experiment.objects.get(pk=experiment.pk).active
