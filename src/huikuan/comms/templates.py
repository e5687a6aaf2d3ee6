"""Use cases of message templates: versions, their screening and activation, the defaults.

``create_version`` and ``activate_version`` are entry points (the template screens, the command that loads
the defaults): each checks ``org.permissions.can_manage_templates`` and is the outermost transaction.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils.translation import gettext

from huikuan import clock
from huikuan.audit.records import record_change
from huikuan.comms.compliance_adapter import screen_texts
from huikuan.comms.models import (
    Template,
    TemplateVersion,
    Tone,
    VersionStatus,
)
from huikuan.kernel.comms.care import collection_content
from huikuan.kernel.comms.purposes import CARE
from huikuan.kernel.comms.render import TemplateError, unknown_variables
from huikuan.org.permissions import can_manage_templates, require

DEFAULTS_FILE = Path(__file__).with_name("defaults.yaml")


class ActivationRefused(ValueError):
    """The version has screening flags or unknown variables; it stays a draft."""

    def __init__(self, message: str, flags: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.flags = flags


# Templates -----------------------------------------------------------------------------------------------------


def create_version(user: Any, template: Template, *, body: str, subject: str = "", html: str = "") -> TemplateVersion:
    require(can_manage_templates(user), gettext("Your role may not change message templates."))
    if not body.strip():
        raise TemplateError(gettext("The text cannot be empty."))
    unknown = unknown_variables([subject, body, html])
    if unknown:
        raise TemplateError(gettext("Unknown variables: %(names)s") % {"names": ", ".join(unknown)})
    with transaction.atomic(durable=True):
        Template.objects.select_for_update().filter(pk=template.pk).first()
        last = template.versions.order_by("-number").values_list("number", flat=True).first() or 0
        version = TemplateVersion.objects.create(
            template=template, number=last + 1, subject=subject, body=body, html=html, created_by=user
        )
        record_change(user, version, "template:version_created", {}, {"number": version.number})
    return version


_SCREENED_PARTS = ("subject", "body", "html")
# Purposes whose text may carry nothing of collection (kernel.comms.care).
CARE_PURPOSES = frozenset({CARE})


def screen_version(version: TemplateVersion) -> list[dict[str, Any]]:
    """The screener's flags on each part; offsets are into that part, and the flagged words come along."""
    flags = []
    for part in _SCREENED_PARTS:
        text = getattr(version, part)
        for f in screen_texts([text], version.template.language):
            flags.append(
                {"category": f.category, "severity": f.severity, "start": f.start, "end": f.end,
                 "rule_id": f.rule_id, "suggestion": f.suggestion, "part": part, "excerpt": text[f.start : f.end]}
            )  # fmt: skip
        if version.template.purpose in CARE_PURPOSES:
            for c in collection_content(text):
                flags.append(
                    {"category": "care_collection_content", "severity": "block", "start": c.start, "end": c.end,
                     "rule_id": "care.no_collection_content", "suggestion": "", "part": part, "excerpt": c.excerpt}
                )  # fmt: skip
    return flags


def activate_version(user: Any, version: TemplateVersion) -> TemplateVersion:
    """Screen the version; with no flag it becomes the template's active version and the previous one retires.

    A refused activation still stores the flags it was refused for (committed before ActivationRefused).
    """
    require(can_manage_templates(user), gettext("Your role may not change message templates."))
    flags = screen_version(version)
    with transaction.atomic(durable=True):
        version = TemplateVersion.objects.select_for_update().get(pk=version.pk)
        version.screening = flags
        version.screened_at = clock.now()
        if flags:
            version.save(update_fields=["screening", "screened_at"])
            categories = sorted({f["category"] for f in flags})
            record_change(user, version, "template:activation_refused", None, {"flags": categories})
        else:
            previous = TemplateVersion.objects.filter(template_id=version.template_id, status=VersionStatus.ACTIVE)
            previous.update(status=VersionStatus.RETIRED)
            version.status = VersionStatus.ACTIVE
            version.activated_at = clock.now()
            version.activated_by = user if getattr(user, "pk", None) else None
            version.save()
            record_change(user, version, "template:activated", {"status": "draft"}, {"status": "active"})
    if flags:
        raise ActivationRefused(f"{len(flags)} screening flag(s): the version stays a draft", flags)
    return version


def active_version(channel: str, purpose: str, tone: str, language: str) -> TemplateVersion | None:
    """The active version for the key, falling back to the gentle tone and then to zh-hans."""
    candidates = [(tone, language), (Tone.GENTLE, language), (Tone.FORMAL, language)]
    candidates += [(t, "zh-hans") for t, _ in candidates]
    for t, lang in candidates:
        version = (
            TemplateVersion.objects.select_related("template")
            .filter(status=VersionStatus.ACTIVE, template__channel=channel, template__purpose=purpose,
                    template__tone=t, template__language=lang)
            .first()
        )  # fmt: skip
        if version is not None:
            return version
    return None


def seed_default_templates(user: Any = None) -> int:
    """Version 1 of every default template, activated through the screener; returns how many were created.

    Each version is created and activated in a transaction of its own; ``user`` None is the command line.
    """
    created = 0
    for raw in yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8")):
        template, _ = Template.objects.get_or_create(
            channel=raw["channel"], purpose=raw["purpose"], tone=raw["tone"], language=raw["language"]
        )
        if template.versions.exists():
            continue
        version = create_version(user, template, body=raw["body"], subject=raw.get("subject", ""))
        activate_version(user, version)
        created += 1
    return created


def load_default_templates_file() -> list[dict[str, Any]]:
    return list(yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8")))
