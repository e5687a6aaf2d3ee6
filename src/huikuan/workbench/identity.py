"""The identity check of the call's first step: the collector types what the person on the line says.

The answer is compared in the kernel (``pii.check_identity``) with the stored last four characters or the
keyed hash of the whole ID number or credit code; the page learns only "match" or "no match", never the
stored value. Every comparison goes to the change log with its method and result, and a case allows
``IDENTITY_CHECKS_PER_DAY`` of them a day: four characters are few enough to guess by trying. The case row
is locked while counting, so two tabs cannot go past the limit together. A check whose input cannot be
compared (empty, wrong length) is refused with its reason and not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huikuan import clock
from huikuan.audit.models import ChangeLog
from huikuan.audit.records import record_change
from huikuan.cases.access import require_visible_case
from huikuan.cases.models import Case
from huikuan.kernel.pii import (
    IDENTITY_CHECKS_PER_DAY,
    IdentityInputError,
    check_identity,
    identity_checks_left,
)

IDENTITY_ACTION = "identity:check"


class IdentityError(ValueError):
    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("; ".join(messages))


@dataclass(frozen=True)
class IdentityState:
    available: bool  # something is stored to check against
    company: bool
    tries_left: int
    last_match: bool | None  # today's last result, None before the first check
    last_at: datetime | None


@dataclass(frozen=True)
class IdentityResult:
    match: bool
    method: str  # "tail" or "full"
    tries_left: int


def _checks_today(case: Case, now: datetime) -> Any:
    start = timezone.make_aware(datetime.combine(timezone.localdate(now), time(0)))
    return ChangeLog.objects.filter(
        subject_type=Case._meta.label_lower, subject_id=str(case.pk), action=IDENTITY_ACTION, at__gte=start
    )


def identity_state(case: Case, now: datetime) -> IdentityState:
    debtor = case.debtor
    checks = list(_checks_today(case, now).order_by("-at").values_list("after", "at")[:IDENTITY_CHECKS_PER_DAY])
    last = checks[0] if checks else None
    return IdentityState(
        available=bool(debtor.id_last4 or debtor.id_hash),
        company=debtor.kind == "company",
        tries_left=identity_checks_left(len(checks)),
        last_match=(last[0] or {}).get("result") == "match" if last else None,
        last_at=last[1] if last else None,
    )


def _input_message(code: str, company: bool) -> str:
    if code == "nothing_stored":
        return _("No ID number is stored for this debtor: ask another question only the debtor can answer.")
    if company:
        return _("Type the last four characters of the credit code, or the whole code.")
    return _("Type the last four characters of the ID number, or the whole number.")


def verify_identity(user: Any, case: Case, said: str, *, now: datetime | None = None) -> IdentityResult:
    """Compare what the debtor said with the stored tail or hash; audited and limited per case and day.

    An entry point (its own transaction)."""
    require_visible_case(user, case)
    now = now or clock.now()
    with transaction.atomic(durable=True):
        locked = Case.objects.select_for_update().select_related("debtor").get(pk=case.pk)
        done = _checks_today(locked, now).count()
        if identity_checks_left(done) == 0:
            raise IdentityError(
                [
                    _("This case has had %(n)d identity checks today, the most allowed; try again tomorrow.")
                    % {"n": IDENTITY_CHECKS_PER_DAY}
                ]
            )
        debtor = locked.debtor
        try:
            answer = check_identity(said, last4=debtor.id_last4, id_hash=debtor.id_hash, key=settings.PII_HASH_KEY)
        except IdentityInputError as exc:
            raise IdentityError([_input_message(exc.code, debtor.kind == "company")]) from exc
        # The typed characters are not logged: they may be the real number's.
        result = "match" if answer.match else "no_match"
        record_change(user, locked, IDENTITY_ACTION, None, {"method": answer.method, "result": result})
    return IdentityResult(answer.match, answer.method, identity_checks_left(done + 1))
