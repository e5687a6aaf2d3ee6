"""Failed logins and lockouts go to the security log (audit.SecurityEvent) with the name as typed.

django-axes counts the failures and locks the name (settings: AXES_*); these receivers only record.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from huikuan.audit.models import SecurityEventKind
from huikuan.audit.records import record_security_event


@receiver(user_login_failed, dispatch_uid="huikuan.org.logins.failed")
def record_failed_login(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # While the name is locked out the password is not even checked: axes refuses before the model backend.
    record_security_event(SecurityEventKind.LOGIN_FAILED, request, username=str(credentials.get("username") or ""))


@receiver(user_locked_out, dispatch_uid="huikuan.org.logins.locked_out")
def record_lockout(sender: Any, request: Any = None, username: str | None = None, **kwargs: Any) -> None:
    record_security_event(
        SecurityEventKind.LOCKED_OUT,
        request,
        username=username or "",
        reason="too many failed logins",
        status=429,
    )
