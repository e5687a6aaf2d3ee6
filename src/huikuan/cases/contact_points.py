"""A collector adds a phone number or an address the debtor (or a third party) gives, or corrects one.

Rules:
- who: ``org.permissions.can_edit_contacts``, on a case the user sees;
- the value is spelled as every stored contact point is (``kernel.identifiers``): a phone in ASCII E.164,
  valid by the numbering plan; an e-mail folded and lower-cased; an address folded, on one line;
- a debtor has one contact point per number or address (the unique constraint): a value already on file
  is refused with the kind it is filed under, never stored twice;
- what a collector types is what somebody said: it is stored unverified, from the source "collector";
- a correction never rewrites a number in place (the calls made to the old one keep naming it): the old
  point is marked invalid and the new one added, both in one transaction;
- every change is in the change log with who, why and the masked values.

``add_contact_point`` is an entry point (durable).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from huikuan.audit.records import record_change
from huikuan.cases.access import require_visible_case
from huikuan.cases.models import Case
from huikuan.kernel.identifiers import normalise_contact
from huikuan.org.permissions import can_edit_contacts, require
from huikuan.portfolio.models import ContactKind, ContactPoint, Relation, Validity

SOURCE = "collector"


class ContactPointError(ValueError):
    """The number or address cannot be stored as given; messages by field name, in the user's language."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors.values()))


@dataclass(frozen=True)
class NewContact:
    kind: str
    value: str
    relation: str = Relation.SELF
    contact_name: str = ""
    reason: str = ""
    replaces: int | None = None  # the id of the point it corrects


def _check(case: Case, entry: NewContact) -> tuple[str, ContactPoint | None, dict[str, str]]:
    errors: dict[str, str] = {}
    if entry.kind not in ContactKind.values:
        errors["kind"] = _("Choose the kind of contact.")
    if entry.relation not in Relation.values:
        errors["relation"] = _("Choose whose contact it is.")
    if entry.relation != Relation.SELF and not entry.contact_name.strip():
        errors["contact_name"] = _("Give the name of the person this contact belongs to.")
    if not entry.reason.strip():
        errors["reason"] = _("Say where the new contact comes from.")
    value = normalise_contact(entry.kind, entry.value) if "kind" not in errors else None
    if "kind" not in errors and value is None:
        errors["value"] = {
            ContactKind.EMAIL: _("This is not an e-mail address."),
            ContactKind.POSTAL: _("Give the address on one line, 4 to 300 characters."),
        }.get(ContactKind(entry.kind), _("This is not a valid phone number."))
    old = None
    if entry.replaces is not None:
        old = ContactPoint.objects.filter(pk=entry.replaces, debtor_id=case.debtor_id).first()
        if old is None:
            errors["replaces"] = _("The contact point belongs to another debtor.")
    if value is not None:
        taken = ContactPoint.objects.filter(debtor_id=case.debtor_id, value=value).first()
        if taken is not None:
            errors["value"] = _("This is already on file (%(kind)s %(masked)s).") % {
                "kind": taken.get_kind_display(),
                "masked": taken.masked,
            }
    return value or "", old, errors


def add_contact_point(user: Any, case: Case, entry: NewContact) -> ContactPoint:
    """Store the new number or address (unverified); with ``replaces``, mark the old one invalid."""
    require_visible_case(user, case)
    require(can_edit_contacts(user), _("Your role may not change contact details."))
    value, old, errors = _check(case, entry)
    if errors:
        raise ContactPointError(errors)
    reason = entry.reason.strip()[:200]
    try:
        with transaction.atomic(durable=True):
            point = ContactPoint.objects.create(
                debtor_id=case.debtor_id,
                kind=entry.kind,
                value=value,
                relation=entry.relation,
                contact_name=entry.contact_name.strip()[:100],
                validity=Validity.UNVERIFIED,
                source=SOURCE,
            )
            record_change(
                user, point, "contact:added", None,
                {"case": case.pk, "kind": point.kind, "relation": point.relation, "value": point.masked,
                 "validity": point.validity, "reason": reason, "replaces": old.pk if old else None},
            )  # fmt: skip
            if old is not None and old.validity != Validity.INVALID:
                before = old.validity
                ContactPoint.objects.filter(pk=old.pk).update(validity=Validity.INVALID)
                record_change(
                    user, old, "contact:corrected", {"validity": before},
                    {"validity": Validity.INVALID, "replaced_by": point.pk, "reason": reason},
                )  # fmt: skip
    except IntegrityError:
        # Another user stored the same value between the check and the insert.
        raise ContactPointError({"value": _("This is already on file.")}) from None
    return point
