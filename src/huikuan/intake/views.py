"""The account import's screen: upload, dry run, the row report and its CSV of errors."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render

from huikuan.intake.importer import ImportFileError, import_upload, mapping_text
from huikuan.org.permissions import can_import


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
            if report.errors:
                request.session["import_errors_csv"] = report.errors_csv()
        except ImportFileError as exc:
            context["file_error"] = str(exc)
    return render(request, "web/import.html", context)


@login_required
def import_errors_csv(request: HttpRequest) -> HttpResponse:
    text = request.session.get("import_errors_csv")
    if not text:
        return HttpResponseBadRequest("no error report")
    response = HttpResponse(("\ufeff" + text).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="import-errors.csv"'
    return response
