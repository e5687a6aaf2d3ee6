from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.urls import path

from huikuan.audit.admin import ReadOnlyAdmin
from huikuan.intake.views import import_accounts_view
from huikuan.portfolio.models import ImportBatch


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    """Past imports, and the import form itself (the same view as the web UI's, inside the admin)."""

    list_display = ["created_at", "file_name", "rows", "accounts_created", "accounts_updated", "created_by"]
    change_list_template = "admin/portfolio/importbatch/change_list.html"

    def get_urls(self) -> list[Any]:
        upload = path("upload/", self.admin_site.admin_view(import_accounts_view), name="portfolio_import_upload")
        return [upload, *super().get_urls()]
