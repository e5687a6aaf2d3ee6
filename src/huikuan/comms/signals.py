"""What the outbox asks of the apps above it while it queues messages.

``links_wanted`` is sent while a batch is read (before composing) with the requests whose template uses
``{{self_service_link}}`` and whose cause did not give one. The self-service app answers with a dict of
idempotency key → link (it issues one signed, expiring link per message, in the caller's transaction); with
no receiver the placeholder stays missing and the message is not queued, as for any missing value.
"""

from __future__ import annotations

from django.dispatch import Signal

links_wanted = Signal()  # kwargs: requests (list of outbox.Request)
