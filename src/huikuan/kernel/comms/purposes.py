"""Which message purposes are collection of the case they are filed under, and which the gate treats otherwise.

- *Service* messages (a payment's receipt, a plan's confirmation, the thank-you on closing) are owed to the
  debtor, not collection: a case hold (a plan being honoured, a dispute) does not stop a receipt for money
  the debtor paid, and neither does a closed case. Quiet hours, do-not-contact, invalid points and opt-outs
  still apply to them.
- A *pre-due reminder* is about an account not yet due: the strategy sends it only to debtors not in
  collection, whose one case, if any, is closed. The holds of that case still count, but its being closed
  neither refuses the reminder nor cancels it; otherwise a debtor who once paid off a delinquency would
  never be reminded of a due date again.
- Everything else (reminders, letters, promise follow-ups) is collection of the case: closing the case
  cancels what is still queued, and the gate refuses it on a closed case.

The outbox's gate adapter (``for_purpose``) and the cancelling of a closed case's messages (an ORM form of
``collects_case``, tested against it) both read these sets.
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from huikuan.kernel.compliance.gate import CaseFacts

# A verification answers the debtor's dispute: the dispute's stop on collection must not stop it (US).
# The reminder before an instalment of an agreed plan and the thank-you for one paid on time serve the plan
# the debtor keeps: the plan's hold (collection suspended while it is honoured) must not stop them. A care
# message (a festival or birthday greeting) carries no collection content at all (``kernel.comms.care``).
# The self-service page's one-time code is asked for by the debtor at that moment: a hold (a dispute the
# debtor opened there) must not lock them out of their own page.
INSTALMENT_REMINDER = "instalment_reminder"
INSTALMENT_THANKS = "instalment_thanks"
CARE = "holiday_greeting"
SERVICE = frozenset(
    {"payment_confirmation", "plan_confirmation", "case_closed", "verification", INSTALMENT_REMINDER,
     INSTALMENT_THANKS, CARE, "access_code"}
)  # fmt: skip
DUE_REMINDER = "due_reminder"
# A step towards a suit: refused on a time-barred debt (us.time_barred_suit), whatever its words.
LEGAL = frozenset({"lawyer_letter"})
# Not collection of the case the message is filed under: a closed case neither refuses nor cancels them.
NOT_CASE_COLLECTION = SERVICE | {DUE_REMINDER}


# The strategy's templates that are service (their purpose is their template's prefix, comms.feeds): the
# instalment reminders, the call after a missed instalment that offers a new plan, care messages.
SERVICE_TEMPLATE_PREFIXES = ("instalment_", CARE)


def service_template(template: pl.Expr) -> pl.Expr:
    """The batch form: whether a planned item's template is a service one."""
    return pl.any_horizontal(template.str.starts_with(prefix) for prefix in SERVICE_TEMPLATE_PREFIXES).fill_null(False)


def is_service(purpose: str) -> bool:
    """A receipt or confirmation the debtor is owed: holds and a closed case do not stop it."""
    return purpose in SERVICE


def collects_case(purpose: str) -> bool:
    """Collection of the case the message is filed under: a closed case refuses it and cancels it in the queue."""
    return purpose not in NOT_CASE_COLLECTION


def for_purpose(facts: CaseFacts, purpose: str) -> CaseFacts:
    """The case's facts as the gate must see them for a message of this purpose.

    A service message ignores the holds (the gate itself lets it through a closed case, ``Outreach.service``);
    a pre-due reminder is not refused for the case being closed.
    """
    if is_service(purpose):
        return replace(facts, holds=frozenset())
    if not collects_case(purpose):
        return replace(facts, closed=False)
    return facts
