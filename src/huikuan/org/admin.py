from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from huikuan.org.models import Team, User


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


@admin.register(User)
class HuikuanUserAdmin(UserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "team", "is_active"]
    list_filter = ["role", "team", "is_active"]
    fieldsets = (*(UserAdmin.fieldsets or ()), (_("Collection"), {"fields": ("role", "team", "skills")}))
    add_fieldsets = (*UserAdmin.add_fieldsets, (_("Collection"), {"fields": ("role", "team")}))
