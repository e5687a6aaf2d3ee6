"""The model registry's use cases: which version is in force, loading it safely, promoting one (audited).

Loading checks the stored file against its SHA-256, then the kernel refuses a file whose feature set does
not match its fingerprint, and here a file whose features are not the ones the feature builder makes:
a model trained on another feature set is refused at load, never scored with zeros.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from huikuan import clock
from huikuan.audit.records import record_change
from huikuan.kernel.scoring import features as kf
from huikuan.kernel.scoring.metrics import PSI_WARNING
from huikuan.kernel.scoring.model import ScoringModel, load
from huikuan.kernel.scoring.table import ScoringError
from huikuan.org.permissions import can_run_strategy, require
from huikuan.scoring.models import ModelVersion


def in_force() -> ModelVersion | None:
    return ModelVersion.objects.filter(in_force=True).first()


def load_version(version: ModelVersion) -> ScoringModel:
    if not version.file_matches():
        raise ScoringError(f"model version {version.number}: the stored file does not match its SHA-256: refused")
    model = load(version.file)
    known = {f.name: f.kind for f in kf.FEATURES}
    foreign = [f.name for f in model.features if known.get(f.name) != f.kind]
    if foreign or [[f.name, f.kind] for f in model.features] != version.features:
        raise ScoringError(
            f"model version {version.number} was trained on another feature set "
            f"({', '.join(foreign) or 'the recorded features differ'}): refused"
        )
    return model


def find_version(number: int) -> ModelVersion | None:
    """The version numbered ``number`` with who trained it, or None: the pages, the API and the commands."""
    return ModelVersion.objects.select_related("trained_by").filter(number=number).first()


def get_version(number: int) -> ModelVersion:
    version = find_version(number)
    if version is None:
        raise ScoringError(f"there is no model version {number}")
    return version


def promote_version(version: ModelVersion, user: Any = None) -> ModelVersion:
    """Put ``version`` in force (the one before it stands down), in the change log with who decided.

    Who may: whoever may change the strategy (team leads, admins, the system's own commands)."""
    require(can_run_strategy(user), _("Your role may not change the strategy."))
    load_version(version)  # refuses a file that does not load; nothing changes then
    if not version.metrics or version.metrics.get("auc") is None:
        raise ScoringError(f"model version {version.number} has no test metrics: refused")
    with transaction.atomic():
        before = in_force()
        if before is not None and before.pk == version.pk:
            return version
        if before is not None:
            ModelVersion.objects.filter(pk=before.pk).update(in_force=False)
        version.in_force = True
        version.promoted_at = clock.now()
        version.save(update_fields=["in_force", "promoted_at"])
        record_change(
            user,
            version,
            "model.promote",
            {"in_force": str(before) if before is not None else None},
            {"in_force": str(version), "sha256": version.sha256},
        )
    return version


def drift_warning() -> ModelVersion | None:
    """The version in force when tonight's population has moved beyond the PSI threshold, else None."""
    version = in_force()
    if version is None or version.psi_tonight is None:
        return None
    return version if version.psi_tonight > PSI_WARNING else None
