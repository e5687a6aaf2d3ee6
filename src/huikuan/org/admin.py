from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from huikuan.org.models import Team, TrainingRecord, User


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "training_required", "created_at"]
    search_fields = ["name"]


@admin.register(User)
class HuikuanUserAdmin(UserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "team", "is_active"]
    list_filter = ["role", "team", "is_active"]
    fieldsets = (*(UserAdmin.fieldsets or ()), (_("Collection"), {"fields": ("role", "team", "skills", "outsourced")}))
    add_fieldsets = (*UserAdmin.add_fieldsets, (_("Collection"), {"fields": ("role", "team")}))


@admin.register(TrainingRecord)
class TrainingRecordAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "title", "passed_on", "recorded_by", "recorded_at"]
    list_filter = ["kind", "user__team"]
    search_fields = ["user__username", "title"]
    readonly_fields = ["recorded_by", "recorded_at"]

    def save_model(self, request: Any, obj: TrainingRecord, form: Any, change: bool) -> None:
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)
