"""E-mail through Django's e-mail backend (SMTP in production): a text part, an HTML part, the opt-out link."""

from __future__ import annotations

import contextlib
import threading
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from huikuan.comms.channels.base import Outgoing, PermanentFailure, SendResult, TemporaryFailure


class EmailProvider:
    name = "email"
    # An SMTP server has no notion of our key: a resend after a crash could deliver twice.
    deduplicates = False

    def __init__(self, backend: str | None = None) -> None:
        self.backend = backend or settings.COMMS_EMAIL_BACKEND
        self._local = threading.local()
        self._connections: list[object] = []
        self._lock = threading.Lock()

    def _connection(self) -> object:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = get_connection(self.backend, fail_silently=False)
            connection.open()
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    def send(self, message: Outgoing) -> SendResult:
        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "huikuan.invalid"
        message_id = make_msgid(idstring=message.key.replace(":", "."), domain=domain)
        headers = {"Message-ID": message_id, "X-Huikuan-Key": message.key, **dict(message.extra_headers)}
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
            headers=headers,
            connection=self._connection(),
        )
        if message.html:
            email.attach_alternative(message.html, "text/html")
        try:
            email.send(fail_silently=False)
        except (ConnectionError, TimeoutError) as exc:
            self._local.connection = None
            raise TemporaryFailure(f"SMTP: {exc}") from exc
        except Exception as exc:
            import smtplib

            if isinstance(exc, smtplib.SMTPRecipientsRefused):
                raise PermanentFailure(f"SMTP refused the recipient: {exc}") from exc
            if isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600:
                raise PermanentFailure(f"SMTP {exc.smtp_code}: {exc}") from exc
            self._local.connection = None
            raise TemporaryFailure(f"SMTP: {exc}") from exc
        return SendResult(provider_id=message_id.strip("<>"), status="accepted")

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                # Closing a dead connection must not hide the send results already recorded.
                with contextlib.suppress(Exception):
                    connection.close()  # type: ignore[attr-defined]
            self._connections.clear()
