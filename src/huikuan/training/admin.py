from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import Max, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from huikuan.training.models import Assessment, AssessmentItem, ScenarioVersion, TrainingRun


@admin.register(ScenarioVersion)
class ScenarioVersionAdmin(admin.ModelAdmin):
    """Scenarios are edited like the script library: a change is a new version (the YAML is checked by the
    engine's parser, errors name the path and the field), put in force by the action."""

    list_display = [
        "key",
        "number",
        "title_zh",
        "title_en",
        "note",
        "in_force",
        "shared_from",
        "created_by",
        "created_at",
    ]
    list_filter = ["in_force"]
    search_fields = ["key", "title_zh", "title_en"]
    readonly_fields = [
        "key",
        "number",
        "title_zh",
        "title_en",
        "in_force",
        "shared_from",
        "reference",
        "created_by",
        "created_at",
    ]
    fields = ["source", "note", *readonly_fields]
    actions = ["put_in_force"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A stored version is what runs were played on: a change is a new version ("save as new").
        return super().has_change_permission(request, obj) and obj is None

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        key = request.GET.get("key", "")
        current = ScenarioVersion.objects.filter(key=key, in_force=True).first() if key else None
        current = current or ScenarioVersion.objects.filter(in_force=True).order_by("key").first()
        return {"source": current.source if current else ""}

    def save_model(self, request: HttpRequest, obj: ScenarioVersion, form: Any, change: bool) -> None:
        with transaction.atomic():
            last = ScenarioVersion.objects.filter(key=obj.key).aggregate(n=Max("number"))["n"] or 0
            obj.number = last + 1
            obj.created_by = request.user  # type: ignore[assignment]
            super().save_model(request, obj, form, change)

    @admin.action(description=_("Put the selected versions in force"))
    def put_in_force(self, request: HttpRequest, queryset: QuerySet[ScenarioVersion]) -> None:
        with transaction.atomic():
            for chosen in queryset:
                ScenarioVersion.objects.filter(key=chosen.key, in_force=True).update(in_force=False)
                ScenarioVersion.objects.filter(pk=chosen.pk).update(in_force=True)


class ItemInline(admin.TabularInline):
    model = AssessmentItem
    extra = 0
    raw_id_fields = ["scenario"]


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["title", "team", "pass_mark", "deadline", "created_by", "created_at"]
    inlines = [ItemInline]


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "user", "scenario", "language", "started_at", "finished_at", "passed", "score", "outcome"]
    list_filter = ["passed", "language"]
    readonly_fields = [f.name for f in TrainingRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
