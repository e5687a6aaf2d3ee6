"""The self-service app's answers to the layers below: links for the outbox, entries for the case timeline."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from huikuan.cases.models import Case
from huikuan.comms.signals import links_wanted
from huikuan.selfservice.links import issue_link, url_of
from huikuan.selfservice.models import Event, EventKind
from huikuan.workbench.signals import case_timeline_wanted
from huikuan.workbench.views_data import TimelineEntry

# What the timeline shows of an event's details (never the address or the user agent: those stay evidence).
_SHOWN = ("reason", "channel", "plan_kind", "amount", "due", "scope", "order", "provider", "to", "wrong", "at", "text")
_FLAGGED = {EventKind.REFUSED, EventKind.CODE_WRONG, EventKind.LOCKED, EventKind.DISPUTE,
            EventKind.NOTIFICATION_REFUSED, EventKind.ACTION_REFUSED}  # fmt: skip


def links_for_messages(sender: Any, requests: list[Any], **kwargs: Any) -> dict[str, str]:
    """One link per message whose template asks for ``{{self_service_link}}`` (a strategy's reminder, say)."""
    cases = {
        c.debtor_id: c
        for c in Case.objects.filter(debtor_id__in={r.debtor_id for r in requests}).select_related("debtor")
    }
    links = {}
    for request in requests:
        case = cases.get(request.debtor_id)
        if case is not None:
            link = issue_link(case, channel=request.channel, message_key=request.idempotency_key)
            links[request.idempotency_key] = url_of(link)
    return links


def timeline_entries(sender: Any, case_id: int, **kwargs: Any) -> list[TimelineEntry]:
    entries = []
    for e in Event.objects.filter(case_id=case_id).order_by("-at", "-id")[:60]:
        label = EventKind(e.kind).label if e.kind in EventKind.values else e.kind
        detail = " · ".join(
            f"{k}: {e.detail[k]}" for k in _SHOWN if k in e.detail and not isinstance(e.detail[k], list)
        )
        if isinstance(e.detail.get("reasons"), list):
            detail = " · ".join(str(r) for r in e.detail["reasons"])
        entries.append(
            TimelineEntry(e.at, "selfservice", _("Self-service: %(what)s") % {"what": label}, detail,
                          flagged=e.kind in _FLAGGED)
        )  # fmt: skip
    return entries


def connect() -> None:
    links_wanted.connect(links_for_messages, dispatch_uid="selfservice-links")
    case_timeline_wanted.connect(timeline_entries, dispatch_uid="selfservice-timeline")
