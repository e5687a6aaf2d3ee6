"""What every payments use case checks first: who may act on the case, and the error that names a broken rule."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext as _

from huikuan import clock
from huikuan.cases.access import require_visible_case
from huikuan.cases.models import Case
from huikuan.kernel.ledger import Balance
from huikuan.org.permissions import can_negotiate, can_post_payments, require
from huikuan.payments.messages import kernel_message
from huikuan.portfolio.models import AccountBalance


class ActionError(ValueError):
    """The request breaks a business rule; the messages say which, in the user's language."""

    def __init__(self, messages: Iterable[str]) -> None:
        # A kernel refusal passed up as it is (a promise due yesterday) reaches the user in their language.
        self.messages = [kernel_message(str(m)) for m in messages]
        super().__init__("; ".join(self.messages))


def require_negotiator(user: Any, case: Case) -> None:
    require_visible_case(user, case)
    require(can_negotiate(user), _("Your role may not negotiate with debtors."))


def require_poster(user: Any, case: Case) -> None:
    require_visible_case(user, case)
    require(can_post_payments(user), _("Your role may not post or reverse payments."))


def case_balances(case: Case) -> list[Balance]:
    return [b.as_kernel() for b in AccountBalance.objects.filter(account__debtor_id=case.debtor_id)]


def now_or_current(now: datetime | None) -> datetime:
    return now or clock.now()


def local_today(case: Case, now: datetime) -> date:
    """The case's debtor's day at ``now``: what every payments action dates by (a payment's "not in the future",
    a promise's due date, a plan's acceptance, the effective date of a reversal or a waiver)."""
    return case.debtor.today(now)
