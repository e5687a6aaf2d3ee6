"""Self-service links and one-time codes: issuing, opening, revoking, sending and checking a code.

A link is a signed token naming a ``Link`` row and its random nonce (``django.core.signing.Signer`` under its
own salt); the row decides whether it still opens: not expired, not revoked, not locked. Nothing personal is
read before a code the debtor received on their own mobile or e-mail is entered (``check_code``). Every
refusal and every code is an ``Event`` with the request's address and user agent.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext as _

from huikuan import clock
from huikuan.audit.records import record_change
from huikuan.cases.models import Case
from huikuan.comms.models import CommChannel, Purpose
from huikuan.comms.outbox import Request, queue_message
from huikuan.kernel import selfservice as rules
from huikuan.org.permissions import staff_user
from huikuan.payments.guards import ActionError, require_negotiator
from huikuan.portfolio.models import ContactKind, ContactPoint, Relation, Validity
from huikuan.selfservice.models import AccessCode, Event, EventKind, Link

SALT = "huikuan.selfservice.link"
LINK_DAYS = 14


@dataclass(frozen=True)
class Visit:
    """Who asked: the address and user agent every event keeps, and when."""

    ip: str | None
    user_agent: str
    at: datetime


def event(case_id: int | None, kind: str, visit: Visit | None, *, link: Link | None = None,
          code: AccessCode | None = None, **detail: Any) -> Event:  # fmt: skip
    return Event.objects.create(
        case_id=case_id,
        link=link,
        code=code,
        kind=kind,
        at=visit.at if visit else clock.now(),
        ip=visit.ip if visit else None,
        user_agent=(visit.user_agent if visit else "")[:300],
        detail=detail,
    )


def link_days() -> int:
    return int(getattr(settings, "HUIKUAN_SELF_SERVICE_LINK_DAYS", LINK_DAYS))


def token_of(link: Link) -> str:
    """The same token for the same link (no timestamp: the row says until when it opens)."""
    return signing.Signer(salt=SALT).sign_object({"l": link.pk, "n": link.nonce})


def url_of(link: Link) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(
        "selfservice:open", args=[token_of(link)], urlconf=settings.HUIKUAN_LINK_URLCONF
    )


def issue_link(case: Case, *, channel: str = "", user: Any = None, message_key: str = "") -> Link:
    """A new link for this case (a building block: it joins the caller's transaction)."""
    now = clock.now()
    return Link.objects.create(
        case=case,
        nonce=secrets.token_hex(16),
        channel=channel,
        message_key=message_key,
        created_by=staff_user(user),
        created_at=now,
        expires_at=now + timedelta(days=link_days()),
    )


def send_link(user: Any, case: Case, channel: str) -> Link:
    """The case page's button: a new link queued to the debtor's own mobile or e-mail through the outbox.

    The outbox asks the gate when it sends (quiet hours, holds, opt-outs, caps), as for every message. An
    entry point: the link, the message and the event commit together.
    """
    require_negotiator(user, case)
    if channel not in (CommChannel.SMS, CommChannel.EMAIL):
        raise ActionError([_("A self-service link goes by SMS or e-mail.")])
    with transaction.atomic(durable=True):
        link = issue_link(case, channel=channel, user=user)
        key = f"selfservice:link:{link.pk}"
        message = queue_message(
            Request(
                idempotency_key=key,
                debtor_id=case.debtor_id,
                channel=channel,
                purpose=Purpose.SELF_SERVICE_LINK,
                case_id=case.pk,
                extra=(("self_service_link", url_of(link)),),
            )
        )
        if message is None:
            transaction.set_rollback(True)
            raise ActionError([_("No message could be queued: the debtor has no usable contact point or template.")])
        link.message_key = key
        link.save(update_fields=["message_key"])
        event(case.pk, EventKind.LINK_SENT, None, link=link, channel=channel, by=getattr(user, "username", ""))
        record_change(user, link, "selfservice:link_sent", None, {"channel": channel, "message": message.pk})
    return link


def revoke_link(user: Any, link: Link) -> Link:
    require_negotiator(user, link.case)
    with transaction.atomic(durable=True):
        updated = Link.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
            revoked_at=clock.now(), revoked_by=staff_user(user)
        )
        if updated:
            event(link.case_id, EventKind.LINK_REVOKED, None, link=link, by=getattr(user, "username", ""))
            record_change(user, link, "selfservice:link_revoked", None, {"revoked": True})
    link.refresh_from_db()
    return link


class CodeRefused(ActionError):
    """No code now: too soon, too many this hour, or the link is locked (answered 429)."""


class Refusal(StrEnum):
    TAMPERED = "tampered"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"
    LOCKED = "locked"


def open_link(token: str, visit: Visit) -> Link | Refusal:
    """The link the token names if it still opens; otherwise why not (the refusal is recorded)."""
    try:
        data = signing.Signer(salt=SALT).unsign_object(token)
        link_id, nonce = int(data["l"]), str(data["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        event(None, EventKind.REFUSED, visit, reason=Refusal.TAMPERED.value)
        return Refusal.TAMPERED
    link = Link.objects.filter(pk=link_id).select_related("case__debtor").first()
    if link is None or not hmac.compare_digest(link.nonce, nonce):
        event(None, EventKind.REFUSED, visit, reason=Refusal.UNKNOWN.value)
        return Refusal.UNKNOWN
    refusal = None
    if link.revoked_at is not None:
        refusal = Refusal.REVOKED
    elif rules.is_locked(link.wrong_codes):
        refusal = Refusal.LOCKED
    elif visit.at >= link.expires_at:
        refusal = Refusal.EXPIRED
    if refusal is not None:
        event(link.case_id, EventKind.REFUSED, visit, link=link, reason=refusal.value)
        return refusal
    return link


def link_state(link: Link, now: datetime) -> str:
    """How the link stands for the staff's list: open, expired, revoked or locked (the refusal ``open_link`` gives)."""
    if link.revoked_at is not None:
        return Refusal.REVOKED.value
    if rules.is_locked(link.wrong_codes):
        return Refusal.LOCKED.value
    if now >= link.expires_at:
        return Refusal.EXPIRED.value
    return "open"


def code_points(link: Link) -> list[ContactPoint]:
    """The debtor's own mobiles and e-mail addresses a code may go to (never a third party's)."""
    return list(
        ContactPoint.objects.filter(
            debtor_id=link.case.debtor_id,
            relation=Relation.SELF,
            kind__in=[ContactKind.MOBILE, ContactKind.EMAIL],
            do_not_contact=False,
        )
        .exclude(validity=Validity.INVALID)
        .order_by("kind", "id")
    )


def _hash(link: Link, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{link.pk}:{link.nonce}:{code}".encode(), hashlib.sha256).hexdigest()


def send_code(link: Link, point_id: int, visit: Visit) -> AccessCode:
    """A new one-time code to one of the debtor's own points, through the outbox; rate-limited per link."""
    point = next((p for p in code_points(link) if p.pk == point_id), None)
    if point is None:
        event(link.case_id, EventKind.CODE_REFUSED, visit, link=link, reason="not the debtor's point")
        raise ActionError([_("Choose one of the numbers or addresses shown.")])
    with transaction.atomic(durable=True):
        locked = Link.objects.select_for_update().get(pk=link.pk)
        sent = list(AccessCode.objects.filter(link=locked).values_list("sent_at", flat=True))
        refused = rules.code_request_refusal(sent, visit.at, locked.wrong_codes)
        access = None
        if refused is not None:
            # Recorded, and committed: the refusal is raised once the block has ended.
            event(link.case_id, EventKind.CODE_REFUSED, visit, link=link, reason=refused[0].value)
        else:
            access = _new_code(locked, point, visit)
    if refused is not None or access is None:
        raise CodeRefused([_code_refusal_text(*refused)] if refused else [])
    return access


def _new_code(link: Link, point: ContactPoint, visit: Visit) -> AccessCode:
    """The code itself is only in the message that carries it; the row keeps a keyed hash."""
    code = f"{secrets.randbelow(10**rules.CODE_DIGITS):0{rules.CODE_DIGITS}d}"
    access = AccessCode.objects.create(
        link=link, contact_point=point, code_hash=_hash(link, code), sent_at=visit.at,
        expires_at=visit.at + rules.CODE_VALID,
    )  # fmt: skip
    channel = CommChannel.SMS if point.kind == ContactKind.MOBILE else CommChannel.EMAIL
    queue_message(
        Request(
            idempotency_key=f"selfservice:code:{access.pk}",
            debtor_id=link.case.debtor_id,
            channel=channel,
            purpose=Purpose.ACCESS_CODE,
            case_id=link.case_id,
            contact_point_id=point.pk,
            extra=(("access_code", code),),
        )
    )
    event(link.case_id, EventKind.CODE_SENT, visit, link=link, code=access, to=point.masked)
    return access


def _code_refusal_text(reason: rules.CodeRefusal, when: datetime | None) -> str:
    if reason == rules.CodeRefusal.LOCKED:
        return _("This link is locked after too many wrong codes. Ask us for a new link.")
    seconds = max(1, int((when - clock.now()).total_seconds())) if when else 60
    return _("A code was sent a moment ago; you may ask for another in %(seconds)s seconds.") % {"seconds": seconds}


def check_code(link: Link, text: str, visit: Visit) -> AccessCode | None:
    """The code if it is right and fresh; a wrong one counts towards the lockout (and is recorded)."""
    entered = text.strip()
    with transaction.atomic(durable=True):
        locked = Link.objects.select_for_update().get(pk=link.pk)
        if rules.is_locked(locked.wrong_codes):
            event(link.case_id, EventKind.LOCKED, visit, link=link)
            return None
        found = None
        if rules.is_code_shape(entered):
            digest = _hash(locked, entered)
            for candidate in AccessCode.objects.filter(link=locked, used_at__isnull=True, expires_at__gt=visit.at):
                if hmac.compare_digest(candidate.code_hash, digest):
                    found = candidate
        if found is None:
            Link.objects.filter(pk=locked.pk).update(wrong_codes=F("wrong_codes") + 1)
            wrong = locked.wrong_codes + 1
            event(link.case_id, EventKind.CODE_WRONG, visit, link=link, wrong=wrong)
            if rules.is_locked(wrong):
                Link.objects.filter(pk=locked.pk).update(locked_at=visit.at)
                event(link.case_id, EventKind.LOCKED, visit, link=link)
            return None
        found.used_at = visit.at
        found.save(update_fields=["used_at"])
        event(link.case_id, EventKind.VERIFIED, visit, link=link, code=found)
    link.refresh_from_db()
    return found
