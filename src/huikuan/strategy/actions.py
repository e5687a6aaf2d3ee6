"""Use cases around policies and experiments, each in one transaction and audited.

``import_policy``, ``start_experiment`` and ``stop_experiment`` are entry points (the API, the commands):
each checks ``org.permissions.can_run_strategy`` (``user`` None is the command line) and is the outermost
transaction. ``activate_policy`` joins the import's transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from huikuan import clock
from huikuan.audit.records import record_change, snapshot
from huikuan.kernel.strategy.arms import check_shares
from huikuan.kernel.strategy.policy import Policy, canonical_yaml, diff_policies, parse_policy
from huikuan.org.permissions import can_run_strategy, require
from huikuan.strategy.models import Experiment, ExperimentArm, PolicyVersion


def import_policy(text: str, user: Any = None, *, activate: bool = False) -> tuple[PolicyVersion, bool]:
    """Store the YAML as a new version of its policy unless the newest version means the same.

    Returns (version, created). Raises PolicyError with every problem in the file.
    """
    require(can_run_strategy(user), _("Your role may not change the strategy."))
    policy = parse_policy(text)
    with transaction.atomic(durable=True):
        return _store_policy(text, policy, user, activate)


def _store_policy(text: str, policy: Policy, user: Any, activate: bool) -> tuple[PolicyVersion, bool]:
    digest = hashlib.sha256(canonical_yaml(policy).encode()).hexdigest()
    latest = PolicyVersion.objects.filter(name=policy.name).order_by("-number").first()
    if latest is not None and latest.sha256 == digest:
        version, created = latest, False
    else:
        number = (PolicyVersion.objects.filter(name=policy.name).aggregate(n=Max("number"))["n"] or 0) + 1
        version = PolicyVersion.objects.create(
            name=policy.name,
            number=number,
            source=text,
            parsed=policy.as_dict(),
            sha256=digest,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        record_change(user, version, "policy.import", None, snapshot(version, ["name", "number", "sha256"]))
        created = True
    if activate:
        activate_policy(version, user)
    return version, created


@transaction.atomic
def activate_policy(version: PolicyVersion, user: Any = None) -> None:
    """Make ``version`` the champion, the policy every case not in an experiment gets."""
    previous = PolicyVersion.objects.filter(in_force=True).exclude(pk=version.pk).first()
    PolicyVersion.objects.filter(in_force=True).exclude(pk=version.pk).update(in_force=False)
    PolicyVersion.objects.filter(pk=version.pk).update(in_force=True)
    version.in_force = True
    record_change(
        user,
        version,
        "policy.activate",
        {"in_force": previous.label if previous else None},
        {"in_force": version.label},
    )


def version_diff(old: PolicyVersion, new: PolicyVersion) -> str:
    return diff_policies(old.policy(), new.policy(), old.label, new.label)


def start_experiment(
    key: str, name: str, arms: Sequence[tuple[str, PolicyVersion, Decimal]], user: Any = None
) -> Experiment:
    """Start an experiment (stopping any other): cases split by a stable hash of case id and ``key``."""
    require(can_run_strategy(user), _("Your role may not change the strategy."))
    check_shares([(arm, share) for arm, _version, share in arms])
    with transaction.atomic(durable=True):
        return _open_experiment(key, name, arms, user)


def _open_experiment(key: str, name: str, arms: Sequence[tuple[str, PolicyVersion, Decimal]], user: Any) -> Experiment:
    Experiment.objects.filter(active=True).update(active=False)
    experiment = Experiment.objects.create(key=key, name=name, active=True)
    ExperimentArm.objects.bulk_create(
        ExperimentArm(experiment=experiment, name=arm, policy_version=version, share=share)
        for arm, version, share in arms
    )
    record_change(
        user,
        experiment,
        "experiment.start",
        None,
        {"key": key, "arms": {arm: [version.label, str(share)] for arm, version, share in arms}},
    )
    return experiment


def stop_experiment(experiment: Experiment, user: Any = None) -> None:
    require(can_run_strategy(user), _("Your role may not change the strategy."))
    with transaction.atomic(durable=True):
        Experiment.objects.filter(pk=experiment.pk).update(active=False, ended_on=clock.today())
        record_change(user, experiment, "experiment.stop", {"active": True}, {"active": False})


class UnknownArm(ValueError):
    pass


def promote_arm(experiment: Experiment, arm: str, user: Any = None) -> PolicyVersion:
    """End the experiment with ``arm`` the winner: its policy version becomes the champion. Both the end of
    the experiment and the new champion are in the change log, with who decided."""
    require(can_run_strategy(user), _("Your role may not change the strategy."))
    with transaction.atomic(durable=True):
        chosen = experiment.arms.select_related("policy_version").filter(name=arm).first()
        if chosen is None:
            raise UnknownArm(_("The experiment has no arm %(arm)s.") % {"arm": arm})
        was_active = Experiment.objects.filter(pk=experiment.pk).values_list("active", flat=True).get()
        Experiment.objects.filter(pk=experiment.pk).update(active=False, ended_on=clock.today())
        activate_policy(chosen.policy_version, user)
        record_change(
            user,
            experiment,
            "experiment.promote",
            {"active": was_active},
            {"active": False, "winner": arm, "policy": chosen.policy_version.label},
        )
    return chosen.policy_version
