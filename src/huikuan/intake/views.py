"""The account import's screen: upload, dry run, the row report and its CSV of errors."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render

from huikuan.intake.audience import import_audience
from huikuan.intake.importer import ImportFileError, import_upload, mapping_text
from huikuan.org.permissions import can_import
from huikuan.tabular.writing import csv_text, xlsx_bytes

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def import_accounts_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    # The screen is the capability's; the import checks it again for the upload.
    if not can_import(user):
        raise PermissionDenied
    context: dict[str, object] = {}
    if request.method == "POST" and request.FILES.get("file"):
        upload = request.FILES["file"]
        mapping_file = request.FILES.get("mapping")
        assert isinstance(upload, UploadedFile)
        assert mapping_file is None or isinstance(mapping_file, UploadedFile)
        try:
            report = import_upload(
                upload.name or "upload.csv",
                upload.chunks(),
                mapping_text(mapping_file.read()) if mapping_file else None,
                dry_run=bool(request.POST.get("dry_run")),
                user=user,
            )
            context["report"] = report
            if report.ok and not report.dry_run:
                context["audience"] = import_audience(user)
            if report.errors:
                # Kept as the table, written as CSV or XLSX when downloaded, through the one writer.
                request.session["import_errors"] = report.error_rows()
        except ImportFileError as exc:
            context["file_error"] = str(exc)
    return render(request, "web/import.html", context)


@login_required
def import_errors_csv(request: HttpRequest) -> HttpResponse:
    rows = request.session.get("import_errors")
    if not rows:
        return HttpResponseBadRequest("no error report")
    # The byte order mark makes Excel read the file as UTF-8.
    response = HttpResponse(("\ufeff" + csv_text(rows)).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="import-errors.csv"'
    return response


@login_required
def import_errors_xlsx(request: HttpRequest) -> HttpResponse:
    rows = request.session.get("import_errors")
    if not rows:
        return HttpResponseBadRequest("no error report")
    response = HttpResponse(xlsx_bytes(rows), content_type=XLSX_TYPE)
    response["Content-Disposition"] = 'attachment; filename="import-errors.xlsx"'
    return response
