"""Collectors' training: what the China pack's rule cn.collector_training reads, and recording a course.

The rule (kernel.compliance.gate) decides from a ``Collector``: the last training passed and whether the
collector's team requires it. This module builds that from the database and records new courses; the
assessments of a training app, when it lands, are ``TrainingRecord`` rows of the kind ``assessment``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from huikuan import clock
from huikuan.audit.records import record_change
from huikuan.kernel.compliance.gate import Collector
from huikuan.org.models import Role, TrainingKind, TrainingRecord, User
from huikuan.org.permissions import can_record_training, has_role, is_system, require, role_of


class TrainingError(ValueError):
    """A training record that cannot be kept: the message says which field and why."""


def last_trained_on(user: Any) -> date | None:
    return last_trained_on_each([user.pk]).get(user.pk)


def last_trained_on_each(user_ids: list[int]) -> dict[int, date]:
    """Each user's last passed training, in one query; users with none are absent."""
    rows = TrainingRecord.objects.filter(user_id__in=user_ids).values("user_id").annotate(last=Max("passed_on"))
    return {row["user_id"]: row["last"] for row in rows}


def collector_of(user: Any) -> Collector | None:
    """The gate's view of the person making a contact; None for the system or nobody signed in.

    One query (the team's setting and the last training together): the queue asks it on every load.
    """
    if not role_of(user):
        return None
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(last=Max("trainings__passed_on"))
        .values_list("team__training_required", "last", "outsourced")
        .first()
    )
    if row is None:
        return None
    required, last, outsourced = row
    return Collector(trained_on=last, training_required=bool(required), outsourced=bool(outsourced))


def record_training(
    actor: Any, trainee: User, title: str, passed_on: date, kind: str = TrainingKind.COURSE
) -> TrainingRecord:
    """Record a training ``trainee`` passed. An entry point: a lead records for their own team's members."""
    require(can_record_training(actor), _("Only a team lead or an administrator records training."))
    if (
        not is_system(actor)
        and has_role(actor, Role.TEAM_LEAD)
        and (actor.team_id is None or actor.team_id != trainee.team_id)
    ):
        require(False, _("A team lead records training for the members of their own team only."))
    title = title.strip()
    if not title:
        raise TrainingError(_("title: say which course or assessment was passed."))
    if len(title) > TrainingRecord._meta.get_field("title").max_length:  # type: ignore[operator]
        raise TrainingError(_("title: at most 200 characters."))
    if passed_on > clock.today():
        raise TrainingError(_("passed on: %(day)s is in the future.") % {"day": passed_on.isoformat()})
    if kind not in TrainingKind.values:
        raise TrainingError(_("kind: must be a course or an assessment."))
    with transaction.atomic(durable=True):
        record = TrainingRecord.objects.create(
            user=trainee,
            kind=kind,
            title=title,
            passed_on=passed_on,
            recorded_by=actor if not is_system(actor) else None,
        )
        record_change(
            actor,
            record,
            "training:record",
            None,
            {"user_id": trainee.pk, "title": title, "passed_on": passed_on.isoformat()},
        )
    return record
