"""The team's training page: each collector's last passed training, and recording a course.

The China pack keeps a collector without a training in the last 12 months off live contact when their
team requires it (cn.collector_training); this is where a lead sees who is due and records what was passed.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from huikuan import clock
from huikuan.compliance.pack import training_rule
from huikuan.inputs import message
from huikuan.kernel.inputs import InputError, clean_text, parse_day, parse_int
from huikuan.org.models import Role, TrainingKind, TrainingRecord, User
from huikuan.org.permissions import can_record_training, has_role
from huikuan.org.training import TrainingError, record_training
from huikuan.workbench.views_data import training_rows


def _people(user: Any) -> list[User]:
    """Whose training the user looks after: their team's collectors; an administrator's, every collector."""
    found = User.objects.filter(is_active=True, role=Role.COLLECTOR).select_related("team").order_by("username")
    if not has_role(user, Role.ADMIN):
        found = found.filter(team_id=user.team_id) if user.team_id else found.none()
    return list(found)


@login_required
def training(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not can_record_training(user):
        raise PermissionDenied
    people = _people(user)
    errors: list[str] = []
    form = {"user": "", "title": "", "passed_on": "", "kind": TrainingKind.COURSE.value}
    if request.method == "POST":
        form = {key: str(request.POST.get(key, "")) for key in form}
        try:
            trainee_id = parse_int(form["user"], low=1, high=2**62)
            title = clean_text(form["title"], max_length=200)
            passed_on = parse_day(form["passed_on"])
        except InputError as exc:
            errors.append(message(exc))
        else:
            trainee = next((p for p in people if p.pk == trainee_id), None)
            if trainee is None:
                errors.append(_("Choose a collector of your team."))
            else:
                try:
                    record_training(user, trainee, title, passed_on, form["kind"])
                except TrainingError as exc:
                    errors.append(str(exc))
                else:
                    return redirect("workbench:training")
    rule = training_rule()
    return render(
        request,
        "workbench/training.html",
        {
            "rows": training_rows(people, clock.today()),
            "months": rule.params["months"] if rule else None,
            "errors": errors,
            "form": form,
            "kinds": TrainingKind.choices,
            "recent": TrainingRecord.objects.filter(user__in=people).select_related("user", "recorded_by")[:50],
        },
        status=400 if errors else 200,
    )
