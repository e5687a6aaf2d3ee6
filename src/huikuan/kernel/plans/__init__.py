"""Repayment plans: schedules, the three-option designer, annuities, deferral and their summaries."""

from huikuan.kernel.plans.annuity import (
    AnnuityRow,
    annuity_schedule,
    level_payment,
    monthly_rate,
    period_interest,
)
from huikuan.kernel.plans.designer import (
    Instalment,
    OptionKind,
    PlanOption,
    PlanOptions,
    PlanTerms,
    Waiver,
    check_terms,
    defer_schedule,
    design_options,
    highest_instalments,
    propose_deferral,
    split_whole_yuan,
)
from huikuan.kernel.plans.errors import PlanError
from huikuan.kernel.plans.policy import NO_AUTHORITY, PlanPolicy, WaiverAuthority, check_policy
from huikuan.kernel.plans.render import summary, summary_en, summary_zh
from huikuan.kernel.plans.schedule import add_months, first_due_date, monthly_due_dates, plan_end_limit

__all__ = [
    "NO_AUTHORITY",
    "AnnuityRow",
    "Instalment",
    "OptionKind",
    "PlanError",
    "PlanOption",
    "PlanOptions",
    "PlanPolicy",
    "PlanTerms",
    "Waiver",
    "WaiverAuthority",
    "add_months",
    "annuity_schedule",
    "check_policy",
    "check_terms",
    "defer_schedule",
    "design_options",
    "first_due_date",
    "highest_instalments",
    "level_payment",
    "monthly_due_dates",
    "monthly_rate",
    "period_interest",
    "plan_end_limit",
    "propose_deferral",
    "split_whole_yuan",
    "summary",
    "summary_en",
    "summary_zh",
]
