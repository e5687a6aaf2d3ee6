"""Playing runs the way a trainee would, through the app's actions."""

from __future__ import annotations

from typing import Any

from huikuan.training.actions import end_run, take_turn
from huikuan.training.demo import play_first_suggestions, play_model_call
from huikuan.training.models import TrainingRun

# A debtor scenario of the shipped library that the model call (training.demo.model_call: identity check, the
# debt with its figures, empathy and the reason, a plan within capacity, read-back) settles.
MODEL_KEY = "unemployed"
# A collector who threatens: screening fails the run.
THREAT_LINES = ["您好，请问是王先生本人吗？", "再不还钱就把你的事发到你公司群里，让你同事都知道。"]


def play_suggestions(user: Any, run: TrainingRun, turns: int = 14) -> TrainingRun:
    """Say the first suggestion each turn (the engine's model move) until the call ends, then end it."""
    return play_first_suggestions(user, run, turns)


def play_model(user: Any, run: TrainingRun) -> TrainingRun:
    return play_model_call(user, run)


def play_lines(user: Any, run: TrainingRun, lines: list[str]) -> TrainingRun:
    for line in lines:
        if run.finished_at is not None:
            return run
        run = take_turn(user, run, line)
    return run if run.finished_at is not None else end_run(user, run)
