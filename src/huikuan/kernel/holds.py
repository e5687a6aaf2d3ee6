"""How a case's hold reads to a person (the gate's reasons, the strategy's reason chain, the pages)."""

from __future__ import annotations

from collections.abc import Mapping

# (zh, en) for each hold code the case model, the compliance packs and the strategy policies use.
HOLD_LABELS: Mapping[str, tuple[str, str]] = {
    "dispute": ("异议", "dispute"),
    "complaint": ("投诉", "complaint"),
    "hardship_review": ("困难审核", "hardship review"),
    "plan_honoured": ("按方案还款中", "plan being honoured"),
    "deceased": ("债务人身故", "deceased"),
    "bankruptcy": ("破产", "bankruptcy"),
    "legal": ("法诉", "legal proceedings"),
}


def hold_label(code: str, language: str) -> str:
    """The hold in ``language`` (zh…/en…); a code a pack or policy invents is shown as written."""
    zh, en = HOLD_LABELS.get(code, (code, code))
    return zh if language.startswith("zh") else en
