"""Panels that apps above the workbench add to the team page (the weekly QA scores, for one).

An app above registers a function in its ``AppConfig.ready``; the team page calls each with the lead and the
team's collectors and includes the template it names. The workbench imports none of those apps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TeamPanel:
    template: str
    context: dict[str, Any]


TeamPanelMaker = Callable[[Any, Sequence[Any]], TeamPanel | None]
_PANELS: list[TeamPanelMaker] = []


def register_team_panel(maker: TeamPanelMaker) -> None:
    if maker not in _PANELS:
        _PANELS.append(maker)


def team_panels(user: Any, collectors: Sequence[Any]) -> list[TeamPanel]:
    return [panel for maker in _PANELS if (panel := maker(user, collectors)) is not None]
