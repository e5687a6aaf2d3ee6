"""Read models of the template screens: the list, a version's diff, a case to preview with. Who may see and
change templates is ``org.permissions``'; the changes themselves are the use cases in ``comms.templates``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Q
from django.utils.translation import gettext_lazy as _

from huikuan.cases.models import Case
from huikuan.comms.models import Template, TemplateVersion, VersionStatus
from huikuan.compliance.labels import FLAG_CATEGORIES
from huikuan.kernel.comms.diff import DiffRow, line_diff
from huikuan.kernel.identifiers import has_control, normalise_reference
from huikuan.org.visibility import case_filter

# The screener's categories as the screen names them (one definition, in compliance.labels).
SCREEN_CATEGORIES = FLAG_CATEGORIES

SCREEN_SEVERITIES = {"block": _("Blocks activation"), "warn": _("Warning")}


@dataclass(frozen=True, slots=True)
class TemplateFilters:
    channel: str = ""
    purpose: str = ""
    tone: str = ""
    language: str = ""

    def as_query(self) -> dict[str, str]:
        return {k: v for k, v in (("channel", self.channel), ("purpose", self.purpose), ("tone", self.tone),
                                  ("language", self.language)) if v}  # fmt: skip


@dataclass(frozen=True, slots=True)
class TemplateRow:
    template: Template
    active_number: int | None
    drafts: int
    versions: int
    last_change: datetime | None


def template_rows(filters: TemplateFilters) -> list[TemplateRow]:
    """Every template matching the filters with its version counts, in one query."""
    query = Template.objects.filter(**filters.as_query()).annotate(
        active_number=Max("versions__number", filter=Q(versions__status=VersionStatus.ACTIVE)),
        drafts=Count("versions", filter=Q(versions__status=VersionStatus.DRAFT)),
        version_count=Count("versions"),
        last_created=Max("versions__created_at"),
        last_activated=Max("versions__activated_at"),
    )
    rows = []
    for t in query.order_by("channel", "purpose", "tone", "language"):
        changes = [at for at in (t.last_created, t.last_activated, t.created_at) if at is not None]
        rows.append(TemplateRow(t, t.active_number, t.drafts, t.version_count, max(changes) if changes else None))
    return rows


def starting_point(template: Template, number: int | None = None) -> TemplateVersion | None:
    """What a new version starts from: the version asked for (a refused draft to correct), else the active
    text, else the latest version while nothing is active."""
    versions = template.versions.order_by("-number")
    chosen = versions.filter(number=number).first() if number else None
    return chosen or versions.filter(status=VersionStatus.ACTIVE).first() or versions.first()


@dataclass(frozen=True, slots=True)
class VersionDiff:
    old: TemplateVersion
    new: TemplateVersion
    parts: list[tuple[str, list[DiffRow]]]  # (part name, rows) for each part that differs


def version_diff(old: TemplateVersion, new: TemplateVersion) -> VersionDiff:
    parts = []
    for name in ("subject", "body", "html"):
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            parts.append((name, line_diff(before, after)))
    return VersionDiff(old, new, parts)


def visible_case(user: Any, query: str) -> Any | None:
    """The case the user typed (its number, the customer number or a contract number) among those they may see.

    Only ``case_filter`` decides what is visible: a case outside it is reported exactly like one that does not
    exist, so the answer reveals nothing about other teams' cases.
    """

    query = normalise_reference(query).lstrip("#")
    if not query or has_control(query):
        return None
    match = Q(debtor__customer_no=query) | Q(debtor__accounts__contract_no=query)
    if re.fullmatch(r"[0-9]{1,18}", query):  # a longer number is a contract number, not a bigint primary key
        match |= Q(pk=int(query))
    cases = Case.objects.filter(case_filter(user)).filter(match).select_related("debtor").order_by("id")
    return cases.distinct().first()
