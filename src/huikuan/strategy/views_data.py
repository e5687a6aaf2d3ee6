"""Read models for the team-lead page, the API and the case page's reason chain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet

from huikuan.kernel.strategy.policy import Policy, Trigger
from huikuan.strategy.models import PolicyVersion, StrategyRun, WorkItem


@dataclass(frozen=True)
class StageTable:
    key: str
    label: str
    tone: str
    dpd: str
    rules: list[dict[str, str]]


def _when(policy: Policy, language: str, trigger: Trigger) -> str:
    """A trigger in words: 逾期第4、10天 / 每2天 / 承诺还款日 -1."""
    if trigger.days:
        joiner = "、" if language == "zh" else ", "
        return policy.label(language, "days").format(days=joiner.join(map(str, trigger.days)))
    if trigger.every:
        return policy.label(language, "every").format(n=trigger.every)
    offsets = ", ".join(f"{o:+d}" for o in trigger.offsets)
    return f"{policy.label_or_code(language, f'event:{trigger.event}')} {offsets}".strip()


def _behaviours(policy: Policy, language: str, codes: tuple[str, ...]) -> str:
    if not codes:
        return policy.label(language, "anyone")
    labels = (policy.label_or_code(language, c).replace("{n}次", "").replace("{n} ", "") for c in codes)
    return ("、" if language == "zh" else ", ").join(labels)


def policy_tables(policy: Policy, language: str = "zh") -> list[StageTable]:
    """The policy as one table per stage: which action, when, for whom, with what weight."""
    tables: list[StageTable] = []
    for spec in policy.stages:
        start = policy.stage_start(spec.key)
        rules = [
            {
                "key": r.key,
                "action": policy.label(language, r.action),
                "channel": r.channel,
                "template": r.template,
                "when": _when(policy, language, r.trigger),
                "who": _behaviours(policy, language, r.behaviours),
                "conditions": " ".join(
                    part
                    for part in (
                        f"≥ {r.min_balance}" if r.min_balance is not None else "",
                        f"≤ {r.max_balance}" if r.max_balance is not None else "",
                        "/".join(policy.label_or_code(language, f"risk:{k}") for k in r.risk),
                        "/".join(policy.label_or_code(language, f"balance:{k}") for k in r.balance),
                    )
                    if part
                ),
                "priority": str(r.priority),
            }
            for r in policy.cadence
            if spec.key in r.stages
        ]
        dpd = f"{start}–{spec.max_dpd}" if spec.max_dpd is not None else f"{start}+"
        label = spec.label_zh if language == "zh" else spec.label_en
        tone = policy.label_or_code(language, f"tone:{spec.tone}")
        tables.append(StageTable(spec.key, label, tone, dpd, rules))
    return tables


def policy_in_force() -> PolicyVersion | None:
    return PolicyVersion.objects.filter(in_force=True).first()


def last_runs(limit: int = 10) -> QuerySet[StrategyRun]:
    return StrategyRun.objects.filter(dry_run=False).select_related("policy_version", "experiment")[:limit]


def case_reasons(case_id: int, as_of: date | None = None) -> QuerySet[WorkItem]:
    """A case's work items of its latest planned day (or ``as_of``), highest priority first."""
    items = WorkItem.objects.filter(case_id=case_id)
    if as_of is None:
        latest = items.order_by("-as_of").values_list("as_of", flat=True).first()
        if latest is None:
            return items.none()
        as_of = latest
    return items.filter(as_of=as_of).select_related("policy_version", "assignee").order_by("-priority", "action")
