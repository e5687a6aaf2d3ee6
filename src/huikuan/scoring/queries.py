"""What the apps above ask the scoring: a case's score and its reasons in words, the scores as a frame.

The reason codes are stored as (feature, value, points); the words are made here, in the reader's language:
"近30天跳票2次 −35分" / "2 promises broken in the last 30 days −35 points".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huikuan.cases.models import Outcome
from huikuan.kernel.scoring.reasons import reason_column
from huikuan.portfolio.models import Product
from huikuan.scoring.dataset import features_as_of
from huikuan.scoring.models import CaseScore
from huikuan.scoring.registry import load_version

# Each feature's sentence with its value; %(value)s is the case's value of the feature.
REASON_TEXT = {
    "dpd": gettext_lazy("%(value)s days past due"),
    "bucket": gettext_lazy("bucket %(value)s"),
    "balance_yuan": gettext_lazy("balance %(value)s yuan"),
    "principal_share": gettext_lazy("principal is %(value)s of the balance"),
    "penalty_share": gettext_lazy("penalty is %(value)s of the balance"),
    "product": gettext_lazy("product: %(value)s"),
    "months_on_book": gettext_lazy("%(value)s months on book"),
    "payments_30d": gettext_lazy("%(value)s payments in the last 30 days"),
    "payments_90d": gettext_lazy("%(value)s payments in the last 90 days"),
    "paid_share_90d": gettext_lazy("paid %(value)s of the debt in the last 90 days"),
    "payment_months_90d": gettext_lazy("paid in %(value)s of the last 3 months"),
    "days_since_payment": gettext_lazy("%(value)s days since the last payment"),
    "promises_made_30d": gettext_lazy("%(value)s promises made in the last 30 days"),
    "promises_kept_90d": gettext_lazy("%(value)s promises kept in the last 90 days"),
    "promises_broken_90d": gettext_lazy("%(value)s promises broken in the last 90 days"),
    "promises_broken_30d": gettext_lazy("%(value)s promises broken in the last 30 days"),
    "attempts_7d": gettext_lazy("%(value)s call attempts in the last 7 days"),
    "attempts_30d": gettext_lazy("%(value)s call attempts in the last 30 days"),
    "rpc_7d": gettext_lazy("reached in person %(value)s times in the last 7 days"),
    "rpc_30d": gettext_lazy("reached in person %(value)s times in the last 30 days"),
    "failed_30d": gettext_lazy("%(value)s failed calls in the last 30 days"),
    "last_outcome": gettext_lazy("last call: %(value)s"),
    "refusals_30d": gettext_lazy("%(value)s refusals in the last 30 days"),
    "hardship_90d": gettext_lazy("%(value)s hardship pleas in the last 90 days"),
    "cured_episodes": gettext_lazy("%(value)s earlier delinquencies paid off"),
}
SHARES = {"principal_share", "penalty_share", "paid_share_90d"}


@dataclass(frozen=True)
class Reason:
    feature: str
    text: str
    points: float

    @property
    def points_text(self) -> str:
        sign = "−" if self.points < 0 else "+"
        return _("%(sign)s%(points)s points") % {"sign": sign, "points": f"{abs(self.points):.0f}"}


def _value(feature: str, raw: str) -> str:
    if raw == "" or raw == "unknown":
        return _("unknown")
    if feature == "last_outcome":
        return _("none") if raw == "none" else str(dict(Outcome.choices).get(raw, raw))
    if feature == "product":
        return str(dict(Product.choices).get(raw, raw))
    try:
        number = float(raw)
    except ValueError:
        return raw
    if feature in SHARES:
        return f"{number:.0%}"
    return f"{number:,.0f}" if number.is_integer() or abs(number) >= 100 else f"{number:.2f}"


def reason_text(feature: str, value: str) -> str:
    template = REASON_TEXT.get(feature)
    shown = _value(feature, value)
    return str(template) % {"value": shown} if template is not None else f"{feature} = {shown}"


@dataclass(frozen=True)
class CaseScoreView:
    probability: float
    score: int
    band: str
    as_of: Any
    version: int
    reasons: list[Reason]


def case_score(case_id: int) -> CaseScoreView | None:
    row = CaseScore.objects.filter(case_id=case_id).select_related("version").first()
    if row is None:
        return None
    stored = row.reasons or _worked_out(row)
    reasons = [Reason(str(f), reason_text(str(f), str(v)), float(p)) for f, v, p in stored]
    return CaseScoreView(row.probability, row.score, row.band, row.as_of, row.version.number, reasons)


def _worked_out(row: CaseScore) -> list[Any]:
    """A GBM's reason codes for one case, from its features of the night it was scored (SHAP values)."""
    frame = features_as_of(row.as_of, row.case_id)
    if frame.height == 0:
        return []
    model = load_version(row.version)
    return list(json.loads(reason_column(*model.contributions(frame), frame)[0]))
