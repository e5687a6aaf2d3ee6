"""What the cases app tells the apps above it, without knowing them.

``cases_closed`` is sent inside the transaction that closes the cases, after their rows are written, so a
receiver's writes commit or roll back with the close. Receivers connect in their AppConfig.ready().
"""

from __future__ import annotations

from django.dispatch import Signal

# kwargs: case_ids (list[int]) — cases that went from open or on hold to closed in this write.
cases_closed = Signal()
