"""What the case page asks of the apps above the workbench.

``case_timeline_wanted`` is sent while the case page builds its timeline; a receiver answers with a list of
``views_data.TimelineEntry`` (the self-service app: the debtor's visits and actions on their own page).
"""

from __future__ import annotations

from django.dispatch import Signal

case_timeline_wanted = Signal()  # kwargs: case_id
