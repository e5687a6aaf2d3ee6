"""Comms fixtures: a debtor reachable on every channel, the default templates, and loopback providers.

The providers are real servers on 127.0.0.1: an SMTP server (aiosmtpd) and an HTTP/JSON SMS gateway that
can be told to fail or to answer slowly, and that de-duplicates on the client reference like a real gateway.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from huikuan.cases.models import Case

from tests.conftest import Personas

# Wednesday 18 November 2026, 10:00 in Shanghai: a working day, outside quiet hours.
DAYTIME = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)
MOBILE = "+8613900001111"
EMAIL = "zhang.wei@example.com"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def templates(db: None) -> int:
    from huikuan.comms.templates import seed_default_templates

    return seed_default_templates()


@pytest.fixture
def zhang(small_portfolio: Personas, templates: int) -> Case:
    """张伟: an open case with money owed, a valid mobile, an e-mail address and a postal address."""
    from huikuan.cases.models import Case, CaseStatus
    from huikuan.portfolio.models import AccountBalance, ContactPoint, Debtor, Relation, Validity

    debtor_ids = AccountBalance.objects.filter(total__gt=0).values_list("account__debtor_id", flat=True)
    case = Case.objects.filter(status=CaseStatus.OPEN, debtor_id__in=debtor_ids).order_by("id").first()
    assert case is not None
    Debtor.objects.filter(pk=case.debtor_id).update(
        name="张伟", gender="male", kind="person", time_zone="Asia/Shanghai", preferred_language="zh-hans",
        address="上海市徐汇区漕溪北路88号5楼",
    )  # fmt: skip
    ContactPoint.objects.filter(debtor_id=case.debtor_id).update(relation=Relation.COLLEAGUE)
    for kind, value in (("mobile", MOBILE), ("email", EMAIL), ("postal", "上海市徐汇区漕溪北路88号5楼")):
        ContactPoint.objects.create(
            debtor_id=case.debtor_id, kind=kind, value=value, relation=Relation.SELF, validity=Validity.VALID
        )
    case.refresh_from_db()
    return case


def owed(case: Any) -> Decimal:
    from huikuan.portfolio.models import AccountBalance

    return sum(
        (b.total for b in AccountBalance.objects.filter(account__debtor_id=case.debtor_id, total__gt=0)),
        Decimal("0.00"),
    )


@dataclass
class SmtpSink:
    host: str
    port: int
    messages: list[Any] = field(default_factory=list)


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpSink]:
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller

    sink = SmtpSink("127.0.0.1", free_port())

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            sink.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
            return "250 OK"

    controller = Controller(Handler(), hostname=sink.host, port=sink.port)
    controller.start()
    settings.COMMS_EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = sink.host
    settings.EMAIL_PORT = sink.port
    try:
        yield sink
    finally:
        controller.stop()


@dataclass
class Gateway:
    """The loopback SMS gateway's state; tests steer it through these fields."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    delivered: dict[str, str] = field(default_factory=dict)  # reference → id: what reached phones
    fail_next: int = 0
    fail_status: int = 503
    delay: float = 0.0
    slow_first: int = 0  # that many requests answer after ``delay``
    hang_up_after_answer: bool = False  # close kept-alive connections silently, as gateways behind proxies do
    lock: threading.Lock = field(default_factory=threading.Lock)


def start_gateway() -> tuple[ThreadingHTTPServer, Gateway]:
    state = Gateway()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            return None

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            body = json.loads(raw)
            with state.lock:
                state.requests.append(
                    {"body": body, "auth": self.headers.get("Authorization", ""), "connection": self.client_address[1]}
                )
                slow = state.slow_first > 0 and state.delay > 0
                if slow:
                    state.slow_first -= 1
                failing = state.fail_next > 0
                if failing:
                    state.fail_next -= 1
            if failing:
                self._answer(state.fail_status, {"error": "busy"})
                return
            with state.lock:
                # Like a real gateway: the same client reference is one SMS, whatever the number of requests.
                # A slow answer comes after the SMS was accepted, the case where a retry could double it.
                provider_id = state.delivered.setdefault(body["ref"], f"gw-{len(state.delivered) + 1}")
            if slow:
                time.sleep(state.delay)
            self._answer(200, {"result": {"msgid": provider_id}, "status": "queued"})
            if state.hang_up_after_answer:
                self.close_connection = True  # no "Connection: close" header: the client learns on its next request

        def _answer(self, status: int, data: dict[str, Any]) -> None:
            payload = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1/sms/send"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, state


GATEWAY_PAYLOAD = '{"mobile": "{to}", "content": "{text}", "ref": "{key}", "sign": "回款"}'


@pytest.fixture
def sms_gateway(settings: Any) -> Iterator[Gateway]:
    server, state = start_gateway()
    settings.COMMS_SMS_PROVIDER = "http"
    settings.COMMS_SMS_HTTP = {"url": state.url, "key": "test-key", "payload": GATEWAY_PAYLOAD,
                               "id_field": "result.msgid", "timeout": 1.0}  # fmt: skip
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
