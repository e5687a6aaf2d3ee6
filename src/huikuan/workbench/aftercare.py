"""What the case page says after an abusive call: the next attempt's day and channel (kernel.strategy.aftercare)."""

from __future__ import annotations

from django.utils import timezone

from huikuan.cases.models import Case, Interaction, Outcome, Party
from huikuan.compliance.pack import current_pack
from huikuan.kernel.strategy.aftercare import NextAttempt, next_attempt_after_abuse
from huikuan.strategy.models import PolicyVersion


def next_attempt(case: Case) -> NextAttempt | None:
    """The next attempt when the last conversation with the debtor ended in abuse; None otherwise."""
    talks = list(
        Interaction.objects.filter(case=case, party=Party.DEBTOR).order_by("-at").values_list("outcome", "at")[:10]
    )
    streak = 0
    for outcome, _at in talks:
        if outcome != Outcome.ENDED_ABUSIVE:
            break
        streak += 1
    if not streak:
        return None
    version = PolicyVersion.objects.filter(in_force=True).first()
    policy = version.policy() if version is not None else None
    switch = policy.abusive.switch_to if policy is not None else None
    limit = policy.escalation.specialist_abusive_calls if policy is not None else 3
    ended_on = timezone.localdate(talks[0][1])
    return next_attempt_after_abuse(ended_on, current_pack().calendar, switch, streak, limit)
