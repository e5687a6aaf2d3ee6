"""How the screener's codes read on screen: its categories (kernel.compliance.screening.CATEGORIES), severities
and text sources. The one place the workbench, the QA register and the template screens take them from."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

FLAG_CATEGORIES = {
    "abuse": _("Abuse"),
    "threat": _("Threat"),
    "false_authority": _("False legal or official claim"),
    "disclosure": _("Disclosure to a third party"),
    "borrow_to_repay": _("Borrowing to repay"),
    "unlawful_fee": _("Unlawful fee"),
    "harassment": _("Harassment"),
    "care_collection_content": _("Collection content in a care message"),
}
FLAG_SEVERITIES = {"block": _("blocks"), "warn": _("warning")}
TEXT_SOURCES = {
    "template": _("Message template"),
    "message": _("Message"),
    "note": _("Call notes"),
    "transcript": _("Call transcript"),
}
