"""A learned second opinion beside the screening rules: "suspect" texts for a person to review.

A character n-gram classifier (TF-IDF over 1–3 characters of the normalised text, logistic regression) whose
probability is calibrated (Platt scaling by cross-validation), so a score of 0.8 means about 8 in 10 such
texts were violations in the training corpus. It is trained from a labelled corpus when it is needed (the tests
train it from the development corpora; nothing is downloaded) and it gives no span and no reason: the rules
(screening.py) decide what is blocked; the score only puts a text the rules let through in front of QA.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from huikuan.kernel.compliance.screening import _fast_normalise_zh, normalise_en


def _normalise(lang: str) -> Any:
    if lang == "en":
        return lambda text: normalise_en(text)[0]
    return _fast_normalise_zh


@dataclass(frozen=True)
class SuspectModel:
    pipeline: Any
    lang: str
    threshold: float

    def scores(self, texts: Sequence[str]) -> list[float]:
        """The calibrated probability that each text is a violation."""
        normalise = _normalise(self.lang)
        return [float(p) for p in self.pipeline.predict_proba([normalise(t) for t in texts])[:, 1]]

    def suspect(self, text: str) -> bool:
        return self.scores([text])[0] >= self.threshold


def train(texts: Sequence[str], violations: Sequence[bool], lang: str = "zh", threshold: float = 0.5) -> SuspectModel:
    """Fit the classifier on labelled texts (True: a violation of any category). Deterministic."""
    if len(set(violations)) < 2:
        raise ValueError("training needs both violations and clean texts")
    normalise = _normalise(lang)
    pipeline = make_pipeline(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=1),
        CalibratedClassifierCV(LogisticRegression(C=10.0, solver="liblinear"), method="sigmoid", cv=5),
    )
    pipeline.fit([normalise(t) for t in texts], [int(v) for v in violations])
    return SuspectModel(pipeline=pipeline, lang=lang, threshold=threshold)
