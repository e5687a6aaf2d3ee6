"""The limits a plan must respect, as plain values loaded from the policy version in force."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from huikuan.kernel.localtime import DEFAULT_TIME_ZONE
from huikuan.kernel.money import FEN, ZERO, quantize_fen
from huikuan.kernel.plans.errors import PlanError

HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class WaiverAuthority:
    """How much penalty and fee one role may waive without a team lead's approval.

    Both limits apply: at most ``max_percent`` % of the penalties and fees outstanding, and never more
    than ``max_amount`` in total, so a generous percentage cannot become a large sum on a big file.
    """

    max_amount: Decimal
    max_percent: Decimal

    def limit(self, waivable: Decimal) -> Decimal:
        """The most this role may waive when ``waivable`` (penalty + fee) is outstanding."""
        # Rounded down: an authority is a ceiling, and half a fen over it is over it.
        by_percent = (waivable * self.max_percent / HUNDRED).quantize(FEN, rounding=ROUND_FLOOR)
        return min(by_percent, self.max_amount, waivable).quantize(FEN, rounding=ROUND_FLOOR)


NO_AUTHORITY = WaiverAuthority(max_amount=ZERO, max_percent=ZERO)


@dataclass(frozen=True, slots=True)
class CaseWaivers:
    """Where a case's waivers stand in its current delinquency (see docs/plans.md, waiver authority)."""

    episode: int
    outstanding: Decimal  # penalties and fees owed now
    written: Decimal  # approved, so written to the ledger
    pending: Decimal  # waiting for a decision

    def allowed(self, authority: WaiverAuthority) -> Decimal:
        """The most a role may waive on the case in this delinquency, all waivers together.

        The percentage is of what was owed before this delinquency's waivers: waiving part of the
        penalties must not shrink the base, or asking in pieces would add up to more.
        """
        return authority.limit(self.outstanding + self.written)

    def left(self, authority: WaiverAuthority, *, count_pending: bool = True) -> Decimal:
        """What a role may still waive on its own: the allowance less what is written (and waiting)."""
        taken = self.written + (self.pending if count_pending else ZERO)
        return max(self.allowed(authority) - taken, ZERO)


@dataclass(frozen=True, slots=True)
class PlanPolicy:
    max_instalments: int = 24
    min_instalment: Decimal = Decimal("300.00")
    # Five years is the cn pack's ceiling from the first day of the plan to its last due date.
    max_plan_months: int = 60
    waiver_authority: Mapping[str, WaiverAuthority] = field(default_factory=dict)
    # Share of penalties and fees the pay-in-full offer waives; authority decides who may grant it.
    full_payment_waiver_percent: Decimal = HUNDRED
    waiver_valid_days: int = 3
    waiver_deadline_hour: int = 18
    goodwill_first_payment: Decimal = Decimal("500.00")
    # Instalments used when the debtor states no monthly capacity.
    default_instalments: int = 12
    first_due_min_days: int = 7
    deferral_allowed: bool = False
    max_deferral_months: int = 3
    show_whole_yuan: bool = True
    time_zone: str = DEFAULT_TIME_ZONE

    def authority(self, role: str) -> WaiverAuthority:
        """A role the policy does not name has no authority: every waiver then needs approval."""
        return self.waiver_authority.get(role, NO_AUTHORITY)


def check_policy(policy: PlanPolicy) -> list[PlanError]:
    errors: list[PlanError] = []
    if policy.max_instalments < 1:
        errors.append(PlanError("max_instalments must be at least 1"))
    if policy.min_instalment <= 0 or policy.min_instalment != quantize_fen(policy.min_instalment):
        errors.append(PlanError("min_instalment must be positive and to the fen"))
    if policy.max_plan_months < 1:
        errors.append(PlanError("max_plan_months must be at least 1"))
    if not ZERO <= policy.full_payment_waiver_percent <= HUNDRED:
        errors.append(PlanError("full_payment_waiver_percent must be between 0 and 100"))
    if policy.waiver_valid_days < 0:
        errors.append(PlanError("waiver_valid_days cannot be negative"))
    if not 0 <= policy.waiver_deadline_hour <= 23:
        errors.append(PlanError("waiver_deadline_hour must be between 0 and 23"))
    if policy.goodwill_first_payment <= 0:
        errors.append(PlanError("goodwill_first_payment must be positive"))
    if policy.goodwill_first_payment != quantize_fen(policy.goodwill_first_payment):
        errors.append(PlanError("goodwill_first_payment must be to the fen"))
    if policy.default_instalments < 1:
        errors.append(PlanError("default_instalments must be at least 1"))
    if policy.first_due_min_days < 0:
        errors.append(PlanError("first_due_min_days cannot be negative"))
    if policy.max_deferral_months < 0:
        errors.append(PlanError("max_deferral_months cannot be negative"))
    for role, authority in policy.waiver_authority.items():
        if authority.max_amount < 0 or not ZERO <= authority.max_percent <= HUNDRED:
            errors.append(PlanError(f"waiver authority of {role!r} must be non-negative and at most 100 %"))
    return errors
