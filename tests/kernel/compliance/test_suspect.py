"""The learned "suspect" score beside the rules: trained on the development corpora only, judged on the held-out.

Persona: Quinn (QA) gets the texts the rules let through but the classifier doubts, most doubtful first.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sklearn.metrics import roc_auc_score

from huikuan.kernel.compliance.suspect import SuspectModel, train

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
from screening import read_corpus

DEV = ("corpus_zh.tsv", "corpus_zh_intent.tsv")
HELD_OUT = ("corpus_zh_holdout.tsv", "corpus_zh_intent_holdout.tsv")


@pytest.fixture(scope="module")
def model() -> SuspectModel:
    examples = [e for name in DEV for e in read_corpus(name)]
    return train([e.text for e in examples], [e.category != "clean" for e in examples])


def test_the_score_separates_and_is_calibrated_on_the_held_out_corpora(model: SuspectModel) -> None:
    examples = [e for name in HELD_OUT for e in read_corpus(name)]
    truth = [e.category != "clean" for e in examples]
    scores = model.scores([e.text for e in examples])
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert roc_auc_score(truth, scores) >= 0.97
    brier = sum((s - t) ** 2 for s, t in zip(scores, truth, strict=True)) / len(truth)
    rate = sum(truth) / len(truth)
    assert brier <= 0.05 and brier < rate * (1 - rate) / 4  # far better than always saying the base rate
    # calibrated at both ends: what it is sure of, it is right about
    high = [t for s, t in zip(scores, truth, strict=True) if s >= 0.8]
    low = [t for s, t in zip(scores, truth, strict=True) if s <= 0.2]
    assert sum(high) / len(high) >= 0.9 and sum(low) / len(low) <= 0.1


def test_training_is_deterministic_and_needs_both_labels(model: SuspectModel) -> None:
    examples = [e for name in DEV for e in read_corpus(name)]
    again = train([e.text for e in examples], [e.category != "clean" for e in examples])
    probe = ["你跑不掉的", "请您按时还款，谢谢。"]
    assert again.scores(probe) == model.scores(probe)
    assert model.suspect("你跑不掉的") and not model.suspect("请您按时还款，谢谢。")
    with pytest.raises(ValueError, match="both"):
        train(["a", "b"], [True, True])
