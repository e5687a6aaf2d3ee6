"""Field visits in a case's evidence pack (``cases.evidence``): one table of the visits for the PDF summary
and every photo or receipt uploaded at a visit, under ``field-visits/`` in the ZIP.

Registered by ``FieldworkConfig.ready``; the pack reads it through the registry, so legal never imports this
app. Deterministic, as the pack's manifest must be: visits in the order they were made, files by id, and
the bytes as stored (their SHA-256 is checked against the digest recorded at upload).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from django.utils import timezone
from django.utils.translation import gettext as _

from huikuan.cases.evidence import Evidence, EvidenceFile, EvidenceTable
from huikuan.fieldwork.models import Visit, VisitAttachment

SOURCE_NAME = "field-visits"


class AttachmentChanged(RuntimeError):
    """A stored file no longer matches the digest recorded when it was uploaded: it is not evidence."""


def _person(user: object) -> str:
    return str(user) if user is not None else "—"


def visits_evidence(case_ids: Sequence[int]) -> Mapping[int, Evidence]:
    visits = (
        Visit.objects.filter(case_id__in=case_ids)
        .select_related("collector", "second_collector")
        .order_by("case_id", "arrived_at", "pk")
    )
    by_case: dict[int, list[Visit]] = {}
    for visit in visits:
        by_case.setdefault(visit.case_id, []).append(visit)
    if not by_case:
        return {}
    files: dict[int, list[EvidenceFile]] = {}
    for attachment in VisitAttachment.objects.filter(visit__case_id__in=by_case).select_related("visit").order_by("pk"):
        with attachment.file.open("rb") as handle:
            data = handle.read()
        if hashlib.sha256(data).hexdigest() != attachment.sha256:
            raise AttachmentChanged(f"visit attachment {attachment.pk} does not match its recorded SHA-256")
        name = f"visit-{attachment.visit_id}-{attachment.pk}-{attachment.name}"
        files.setdefault(attachment.visit.case_id, []).append(EvidenceFile(name, data))
    columns = (_("Arrived"), _("Left"), _("Collectors"), _("Persons met"), _("Outcome"), _("Notes"))
    result = {}
    for case_id, rows in by_case.items():
        table = EvidenceTable(
            _("Field visits"),
            columns,
            tuple(
                (
                    timezone.localtime(v.arrived_at).strftime("%Y-%m-%d %H:%M"),
                    timezone.localtime(v.left_at).strftime("%Y-%m-%d %H:%M"),
                    f"{_person(v.collector)}, {_person(v.second_collector)}",
                    "、".join(v.persons_met_labels()),
                    str(v.get_outcome_display()),
                    v.notes,
                )
                for v in rows
            ),
        )
        result[case_id] = Evidence(tables=(table,), files=tuple(files.get(case_id, ())))
    return result
