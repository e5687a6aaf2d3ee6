"""The payment and plan rules in force: kernel defaults, overridden by ``settings.HUIKUAN_PAYMENTS``.

The versioned collection policy does not hold these numbers: an installation tunes them in its
settings, e.g. ``HUIKUAN_PAYMENTS = {"promise_grace_days": 2, "plan": {"max_instalments": 36}}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from typing import Any

from django.conf import settings

from huikuan.kernel.allocation import DEFAULT_COMPONENT_ORDER, AccountOrder
from huikuan.kernel.ledger import Component
from huikuan.kernel.plans import PlanPolicy, WaiverAuthority
from huikuan.kernel.promises import DEFAULT_HORIZON_DAYS
from huikuan.org.models import Role
from huikuan.org.permissions import SELF_SERVICE

# A collector may give up to half the penalties and fees, at most 500 yuan; a team lead up to 5,000.
# Anything beyond goes to the team lead as a request (or, for a lead, is beyond anyone's authority
# short of an administrator's).
DEFAULT_AUTHORITY = {
    Role.COLLECTOR.value: WaiverAuthority(Decimal("500.00"), Decimal("50")),
    Role.TEAM_LEAD.value: WaiverAuthority(Decimal("5000.00"), Decimal("100")),
    Role.ADMIN.value: WaiverAuthority(Decimal("100000000.00"), Decimal("100")),
    # The debtor's own page offers what a collector could offer on the phone; more waits for a team lead.
    SELF_SERVICE: WaiverAuthority(Decimal("500.00"), Decimal("50")),
}


@dataclass(frozen=True)
class PaymentsPolicy:
    plan: PlanPolicy = field(default_factory=lambda: PlanPolicy(waiver_authority=DEFAULT_AUTHORITY))
    # Days after a promise's date a payment still keeps it (bank transfers take a day or two).
    promise_grace_days: int = 3
    # How far ahead a promise may fall due (kernel.promises.promise_problems); further off is a plan.
    promise_horizon_days: int = DEFAULT_HORIZON_DAYS
    # Days after an instalment's date it counts as late, and after which a still-unpaid one breaks the plan.
    instalment_grace_days: int = 3
    plan_broken_after_days: int = 30
    component_order: tuple[Component, ...] = DEFAULT_COMPONENT_ORDER
    account_order: AccountOrder = AccountOrder.OLDEST_DUE_FIRST
    # Settled promises are looked at again for this many days, so a back-dated bank statement counts.
    resettle_days: int = 10
    # A payment posted by hand or through the API that exceeds what the debtor owes by more than this
    # needs an explicit confirmation: nine trillion typed for nine thousand must not post and close the
    # case. A bank statement is not asked (the money has arrived); it leaves a credit.
    overpayment_confirm_above: Decimal = Decimal("100.00")


def _plan_policy(overrides: Mapping[str, Any]) -> PlanPolicy:
    values = dict(overrides)
    authority = values.pop("waiver_authority", None)
    known = {f.name for f in fields(PlanPolicy)}
    plan = PlanPolicy(waiver_authority=DEFAULT_AUTHORITY)
    plan = replace(plan, **{k: v for k, v in values.items() if k in known})
    if authority is not None:
        plan = replace(
            plan,
            waiver_authority={
                role: WaiverAuthority(Decimal(str(a["max_amount"])), Decimal(str(a["max_percent"])))
                for role, a in authority.items()
            },
        )
    return plan


def current_policy() -> PaymentsPolicy:
    overrides: Mapping[str, Any] = getattr(settings, "HUIKUAN_PAYMENTS", {}) or {}
    policy = PaymentsPolicy()
    # "posting_roles" is a permission, read by org.permissions.can_post_payments.
    values = {k: v for k, v in overrides.items() if k not in ("plan", "posting_roles")}
    if "component_order" in values:
        values["component_order"] = tuple(Component(c) for c in values["component_order"])
    if "account_order" in values:
        values["account_order"] = AccountOrder(values["account_order"])
    if "overpayment_confirm_above" in values:
        values["overpayment_confirm_above"] = Decimal(str(values["overpayment_confirm_above"]))
    policy = replace(policy, **values)
    if "plan" in overrides:
        policy = replace(policy, plan=_plan_policy(overrides["plan"]))
    return policy
