"""The plan panel of the case page: the debtor's asks re-run through the kernel's plan designer.

The debtor says what they can do — so much a month, in three instalments, 2,000 now, on the 15th, or
later (a deferral, where the policy allows one) — and the panel asks ``payments.plans.propose_options``
for the options that meet it, within the policy and the collector's authority (the waiver of the pay-in-full
option is split by the role's authority; the rest waits for a lead). Each option comes with its schedule and
with step 4's read-back, so what the collector confirms is what the designer computed. Taking one copies the
asks into the outcome form; the save recomputes the plan from them (``new_agreed_plan``), never from
amounts a form sends.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from huikuan.cases.models import Case
from huikuan.inputs import max_amount, message
from huikuan.kernel.inputs import InputError, parse_int, parse_money
from huikuan.kernel.plans import PlanOption, highest_instalments, summary
from huikuan.kernel.scripts import Agreement
from huikuan.payments.guards import ActionError, case_balances, local_today
from huikuan.payments.plans import propose_options
from huikuan.payments.policy import current_policy
from huikuan.workbench.library import current_library
from huikuan.workbench.views_data import confirm_lines, script_facts


@dataclass(frozen=True)
class PlanAsk:
    """What the debtor asked for; None leaves it to the policy (the designer's defaults)."""

    capacity: Decimal | None = None
    instalments: int | None = None
    first_payment: Decimal | None = None
    payment_day: int | None = None
    deferral_months: int | None = None

    def kwargs(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def empty(self) -> bool:
        return all(v is None for v in asdict(self).values())


# Each ask's parser (kernel.inputs): amounts within the bound, counts and days in range.
ASK_PARSERS: Mapping[str, Callable[[str], Any]] = {
    "capacity": lambda v: parse_money(v, maximum=max_amount()),
    "instalments": lambda v: parse_int(v, low=1, high=360),
    "first_payment": lambda v: parse_money(v, maximum=max_amount()),
    "payment_day": lambda v: parse_int(v, low=1, high=31),
    "deferral_months": lambda v: parse_int(v, low=1, high=120),
}


def field_label(name: str) -> str:
    labels = {
        "capacity": _("Monthly capacity"),
        "instalments": _("Number of instalments"),
        "first_payment": _("First payment"),
        "payment_day": _("Payment day"),
        "deferral_months": _("Deferral (months)"),
    }
    return labels[name]


def parse_ask(params: Any, prefix: str = "") -> tuple[PlanAsk, list[str]]:
    """The asks from a form (``prefix``: "plan_" in the outcome form); each wrong field named in the errors."""
    values: dict[str, Any] = {}
    errors: list[str] = []
    for name, parse in ASK_PARSERS.items():
        raw = params.get(prefix + name, "")
        if not raw.strip():
            continue
        try:
            values[name] = parse(raw)
        except InputError as exc:
            errors.append(f"{field_label(name)}: {message(exc)}")
    return PlanAsk(**values), errors


@dataclass(frozen=True)
class Designed:
    number: int
    option: PlanOption
    text: str
    read_back: tuple[str, ...]


@dataclass
class PlanPanel:
    """The panel's limits (shown beside the fields) and, once asked, the options or why there are none."""

    ask: PlanAsk
    deferral_allowed: bool
    max_deferral_months: int
    max_instalments: int  # for this balance, at the debtor's today's payment day
    min_instalment: Decimal
    max_plan_months: int
    options: list[Designed] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def plan_panel(case: Case, user: Any, now: datetime, lang: str, ask: PlanAsk | None = None) -> PlanPanel:
    """The panel for this case; with ``ask``, the designed options (or the limits that stop them)."""
    policy = current_policy()
    today = local_today(case, now)
    owed = sum((b.total for b in case_balances(case)), Decimal("0"))
    panel = PlanPanel(
        ask=ask or PlanAsk(),
        deferral_allowed=policy.plan.deferral_allowed,
        max_deferral_months=policy.plan.max_deferral_months,
        max_instalments=highest_instalments(owed, policy.plan, today, today.day) if owed > 0 else 0,
        min_instalment=policy.plan.min_instalment,
        max_plan_months=policy.plan.max_plan_months,
    )
    if ask is None:
        return panel
    try:
        proposed = propose_options(user, case, now=now, policy=policy, **ask.kwargs())
    except ActionError as exc:
        panel.errors = exc.messages
        return panel
    except PermissionDenied as exc:
        panel.errors = [str(exc)]
        return panel
    options = proposed.all()
    facts, _defaults = script_facts(case, user, now, lang)
    facts = replace(facts, options=tuple(options))
    library = current_library()
    whole = policy.plan.show_whole_yuan
    for number, option in enumerate(options, start=1):
        agreed = Agreement.of_option(facts.options, option.kind.value)
        panel.options.append(
            Designed(number, option, summary(option, lang, whole), confirm_lines(facts, library, lang, agreed))
        )
    return panel
