"""The kernel's rule messages in the user's language.

The kernel is pure and states its refusals in plain English (its tests and logs read them); what a collector
sees goes through ``kernel_message`` here, which knows the refusals a form or an API call can provoke. A
message it does not know is passed on as written, and the page-language test catches it on screen.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.utils.translation import gettext as _

_Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]

_RULES: tuple[_Rule, ...] = (
    (re.compile(r"amount must be positive and to the fen"), lambda m: _("The amount must be positive and to the fen.")),
    (re.compile(r"a promise cannot fall due before it was made"),
     lambda m: _("A promise cannot fall due before the day it is made.")),
    (re.compile(r"a promise needs the channel"), lambda m: _("Say on which channel the promise was given.")),
    (re.compile(r"nothing is owed"), lambda m: _("Nothing is owed on this case.")),
    (re.compile(r"a stated monthly capacity must be positive"),
     lambda m: _("The amount the debtor can pay each month must be positive.")),
    (re.compile(r"payment day must be between 1 and 31"), lambda m: _("The payment day must be between 1 and 31.")),
    (re.compile(r"the policy does not allow deferral"), lambda m: _("The policy does not allow a deferral.")),
    (re.compile(r"deferral must be 1 to (\d+) months"),
     lambda m: _("A deferral must be 1 to %(n)s months.") % {"n": m.group(1)}),
    (re.compile(r"the deferred plan would run past"),
     lambda m: _("The deferred plan would run past the longest plan the policy allows.")),
    (re.compile(r"cannot be spread over (\d+) payments"),
     lambda m: _("The amount cannot be spread over %(n)s payments.") % {"n": m.group(1)}),
    (re.compile(r"(penalty|fee) waiver .* exceeds the \w+ owed"),
     lambda m: _("The waiver is more than the late penalty owed.")
     if m.group(1) == "penalty" else _("The waiver is more than the fees owed.")),
    (re.compile(r"waiver must be non-negative"), lambda m: _("A waiver must be a positive amount to the fen.")),
    (re.compile(r"a waiver must waive something"), lambda m: _("A waiver must waive something.")),
    (re.compile(r"no account to allocate to"), lambda m: _("The debtor has no account to pay into.")),
    (re.compile(r"account \d+ is not the debtor's"), lambda m: _("That account is not the debtor's.")),
)  # fmt: skip


def kernel_message(message: str) -> str:
    """``message`` in the user's language when it is a kernel refusal this module knows, else as written."""
    for pattern, say in _RULES:
        found = pattern.search(message)
        if found:
            return say(found)
    return message
