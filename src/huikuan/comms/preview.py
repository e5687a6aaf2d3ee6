"""A template version rendered for one case, as queuing would send it (masked for the screen when asked)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from huikuan import clock
from huikuan.comms.channels.letter.render import letter_document
from huikuan.comms.compose import Composed, compose
from huikuan.comms.facts import facts_for_debtors, with_deadline
from huikuan.comms.models import (
    CommChannel,
    Message,
    TemplateVersion,
)
from huikuan.comms.outbox import DEADLINE_DAYS, Request, default_points, recipient_for
from huikuan.kernel.comms.variables import masked_for_display, values_for


@dataclass(frozen=True, slots=True)
class Preview:
    composed: Composed
    values: dict[str, str]
    letter_html: str = ""  # the letter as printed, for letter templates


def preview(version: TemplateVersion, case: Any, today: date | None = None, *, masked: bool = False) -> Preview:
    """The version rendered with a real case's values, SMS length included; nothing is written.

    ``masked`` is for screens: the full contract number and a letter's recipient are masked, the amounts and
    dates stay exact, because checking them is what a preview is for.
    """
    today = today or clock.today()
    facts = facts_for_debtors([case.debtor_id], today)[case.debtor_id]
    facts = with_deadline(facts, today + timedelta(days=DEADLINE_DAYS))
    values = values_for(facts, version.template.language)
    template = version.template
    if template.channel == CommChannel.LETTER:
        # The address the outbox would print: the postal contact point, else the registered address.
        request = Request("preview", case.debtor_id, CommChannel.LETTER, template.purpose)
        points = default_points({case.debtor_id})
        values["recipient_name"] = case.debtor.name
        values["recipient_address"] = recipient_for(request, points, {}, case.debtor.name, case.debtor.address)[1]
    if masked:
        values = masked_for_display(values)
    composed = compose(template.channel, template.language, version.subject, version.body, values, "preview")
    letter = ""
    if template.channel == CommChannel.LETTER:
        unsaved = Message(idempotency_key="preview", language=template.language, purpose=template.purpose,
                          subject=composed.subject, body=composed.body, variables=values)  # fmt: skip
        letter = letter_document(unsaved)
    return Preview(composed, values, letter)
