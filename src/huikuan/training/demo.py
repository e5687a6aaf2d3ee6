"""Demo data for the training pages: the library, an assessment for the first team and a few finished runs,
played with the engine's own suggestions (what a trainee clicking "1" every turn would say)."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_UP, Decimal

from django.utils import timezone

from huikuan.kernel.training import RunState
from huikuan.org.models import Role, User
from huikuan.training.actions import (
    create_assessment,
    end_run,
    in_force,
    run_state,
    seed_library,
    start_run,
    take_turn,
)
from huikuan.training.models import Assessment, TrainingRun
from huikuan.training.presenting import play_view

DEMO_TITLE = "新人上岗考核"
# Debtor scenarios the model call settles: the demo's assessment.
DEMO_KEYS = ("unemployed", "refuses", "emotional")


def _yuan(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def model_call(state: RunState) -> list[str]:
    """The four-step call a trainer would demonstrate, with this case's figures: identity check, the debt
    exactly, empathy and the reason, the monthly amount asked, a plan within it, the read-back, the close.

    It plans with the persona's hidden capacity, which a trainee learns by asking; the demo and the tests
    use it to play a run that should pass."""
    f = state.facts
    capacity = state.hidden.capacity
    count = max(1, int((f.balance / capacity).to_integral_value(rounding=ROUND_UP)))
    each = (f.balance / count).quantize(Decimal("0.01"), rounding=ROUND_UP)
    total = each * count
    name = f.name(state.language)
    if state.language == "en":
        return [
            f"Hello, this is Alex from Huikuan. Am I speaking with {name}?",
            f"The account has an outstanding balance of {_yuan(f.balance)} yuan, {f.dpd} days overdue.",
            "I understand. May I ask what happened?",
            "How much could you set aside each month towards this?",
            f"We can set up a payment plan: {count} instalments of {_yuan(each)} yuan a month, the first on the "
            f"{f.due_day}th. Would that work for you?",
            f"To confirm: {count} instalments of {_yuan(each)} yuan a month, the first on the {f.due_day}th, "
            f"{_yuan(total)} yuan in all. Is that right?",
            "I will record this agreement. Thank you for your time. Goodbye.",
        ]
    return [
        f"您好，我是回款公司的客服专员小李，请问是{name}本人吗？",
        f"您在我司的账户目前欠款共计{_yuan(f.balance)}元，已逾期{f.dpd}天。",
        "我理解您的情况，方便说一下是遇到什么困难了吗？",
        "请问您每个月大概能拿出多少钱用于还款？",
        f"我们可以为您办理分期：分{count}期，每期{_yuan(each)}元，每月{f.due_day}号还款，您看可以吗？",
        f"我跟您确认一下：分{count}期，每期{_yuan(each)}元，每月{f.due_day}号还款，共{_yuan(total)}元，对吗？",
        "我会把这个约定记录下来，感谢您的配合，再见。",
    ]


def play_model_call(user: User, run: TrainingRun) -> TrainingRun:
    for line in model_call(run_state(run)):
        if run.finished_at is not None:
            return run
        run = take_turn(user, run, line)
    return run if run.finished_at is not None else end_run(user, run)


def play_first_suggestions(user: User, run: TrainingRun, turns: int = 14) -> TrainingRun:
    for _ in range(turns):
        if run.finished_at is not None:
            return run
        options = play_view(run).suggestions
        if not options:
            break
        run = take_turn(user, run, options[0])
    return run if run.finished_at is not None else end_run(user, run)


def seed_demo_training() -> str:
    """Idempotent: does nothing when the demo assessment exists."""
    added = seed_library(None)
    if Assessment.objects.filter(title=DEMO_TITLE).exists():
        return f"training: {added} scenarios added, demo assessment present"
    lead = User.objects.filter(role=Role.TEAM_LEAD, team__isnull=False).order_by("username").first()
    library = {v.key: v for v in in_force()}
    versions = [library[key] for key in DEMO_KEYS if key in library] or list(library.values())[:3]
    if lead is None or lead.team_id is None or not versions:
        return "training: no lead or no scenarios, nothing seeded"
    assessment = create_assessment(
        lead, title=DEMO_TITLE, team_id=lead.team_id, versions=versions, pass_mark=Decimal(60),
        deadline=timezone.now() + timedelta(days=14), users=None,
    )  # fmt: skip
    runs = 0
    for n, assignment in enumerate(assessment.assignments.select_related("user")):
        items = list(assessment.items.select_related("scenario"))
        # The first collector plays every item (and passes the assessment), the others one item each.
        for item in items if n == 0 else items[:1]:
            play_first_suggestions(
                assignment.user, start_run(assignment.user, item.scenario, "zh", item=item, seed=100 + runs)
            )
            runs += 1
    return f"training: {added} scenarios added, assessment {assessment.pk} with {runs} runs"
