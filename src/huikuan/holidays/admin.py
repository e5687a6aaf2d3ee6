from django.contrib import admin

from huikuan.holidays.models import OfficialDay


@admin.register(OfficialDay)
class OfficialDayAdmin(admin.ModelAdmin):
    list_display = ["day", "calendar", "kind", "name", "imported_by", "imported_at"]
    list_filter = ["calendar", "kind"]
    search_fields = ["name"]
    date_hierarchy = "day"
    readonly_fields = ["imported_by", "imported_at"]
    ordering = ["-day"]

    def save_model(self, request, obj, form, change):
        obj.imported_by = request.user
        super().save_model(request, obj, form, change)
