"""Data: every stored phone number and e-mail address in its one ASCII spelling, and a debtor's contact points
for one number merged into one (history kept).

Before numbers were folded, '13８00138000' and '+8613800138000' were stored as two contact points of one
debtor, and one number filed as both mobile and home phone was two points too: each had its own daily call
cap. The point that survives is the debtor's own before a third party's, a mobile before another kind, then
the oldest; what pointed at a duplicate (calls, messages, gate decisions, work items) is repointed to it, the
strictest flags win (do-not-contact, invalid), and each merge is written to the change log. The schema
migration that follows makes a second point for one number impossible.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import migrations
from django.db.models import Count

from huikuan.kernel.identifiers import normalise_email, normalise_phone

PHONE_KINDS = ("mobile", "home", "work")
_E164 = re.compile(r"\+[0-9]{4,20}")


def _spelling(kind: str, value: str, region: str) -> str | None:
    """The value's one spelling when it differs from the stored one, else None."""
    if kind in PHONE_KINDS:
        if _E164.fullmatch(value):
            return None
        folded = normalise_phone(value, region)
    elif kind == "email":
        folded = normalise_email(value)
    else:
        return None
    return folded if folded and folded != value else None


def _merge(apps: Any, point_ids: Iterable[int]) -> None:
    contact_point = apps.get_model("portfolio", "ContactPoint")
    change_log = apps.get_model("audit", "ChangeLog")
    points = list(contact_point.objects.filter(pk__in=list(point_ids)))
    points.sort(key=lambda p: (p.relation != "self", p.kind != "mobile", p.pk))
    keep, duplicates = points[0], points[1:]
    if not duplicates:
        return
    ids = [p.pk for p in duplicates]
    for relation in contact_point._meta.related_objects:
        relation.related_model.objects.filter(**{f"{relation.field.name}_id__in": ids}).update(
            **{f"{relation.field.name}_id": keep.pk}
        )
    dnc = next((p for p in points if p.do_not_contact), None)
    if dnc is not None:
        keep.do_not_contact, keep.dnc_reason, keep.dnc_date = True, dnc.dnc_reason, dnc.dnc_date
    validities = {p.validity for p in points}
    keep.validity = "invalid" if "invalid" in validities else "valid" if "valid" in validities else keep.validity
    keep.contact_name = keep.contact_name or next((p.contact_name for p in points if p.contact_name), "")
    keep.save(update_fields=["do_not_contact", "dnc_reason", "dnc_date", "validity", "contact_name"])
    change_log.objects.bulk_create(
        change_log(
            subject_type="portfolio.contactpoint",
            subject_id=str(p.pk),
            action="contact:merged",
            before={"debtor_id": p.debtor_id, "kind": p.kind, "relation": p.relation, "value": p.value},
            after={"into": keep.pk},
        )
        for p in duplicates
    )
    contact_point.objects.filter(pk__in=ids).delete()


def forwards(apps: Any, schema_editor: Any) -> None:
    contact_point = apps.get_model("portfolio", "ContactPoint")
    region = settings.DEFAULT_PHONE_REGION
    rows = contact_point.objects.filter(kind__in=[*PHONE_KINDS, "email"]).values_list(
        "id", "debtor_id", "kind", "value"
    )
    respelt = [(pk, debtor, folded) for pk, debtor, kind, value in rows.iterator(chunk_size=5000)
               if (folded := _spelling(kind, value, region))]  # fmt: skip
    for pk, debtor_id, value in respelt:
        twin = contact_point.objects.filter(debtor_id=debtor_id, value=value).exclude(pk=pk).first()
        if twin is None:
            contact_point.objects.filter(pk=pk).update(value=value)
        else:
            _merge(apps, [twin.pk, pk])
    shared = contact_point.objects.values("debtor_id", "value").annotate(n=Count("id")).filter(n__gt=1).order_by()
    for group in shared.iterator():
        _merge(
            apps,
            contact_point.objects.filter(debtor_id=group["debtor_id"], value=group["value"]).values_list(
                "pk", flat=True
            ),
        )


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0007_debtor_time_zone_setting"),
        ("audit", "0003_security_events"),
        # Every model that points at a contact point, so that a merge repoints them all.
        ("cases", "0004_cured_episodes"),
        ("comms", "0006_seen_webhooks"),
        ("compliance", "0001_initial"),
        ("strategy", "0005_workitem_escalations_index"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
