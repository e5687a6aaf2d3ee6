"""SMS providers: a generic HTTP/JSON gateway (URL, key, payload mapping from settings) and a file drop.

Chinese SMS gateways differ in field names but not in shape: POST a JSON object with the number, the text
and a client reference, get back an id. The payload mapping is a JSON object whose string values may contain
{to}, {text}, {key} and {sender}, so a new gateway is configured, not coded.

A batch goes out pipelined (HTTP/1.1): up to ``pipeline`` requests are written on a kept-alive connection
before their answers are read, in order. Per message that saves a round trip's wait and most of the parsing
http.client does (its header parser was a third of the sending threads' CPU). POST is not idempotent in HTTP's
terms, which is why clients usually do not pipeline it; ours are, by the client reference the gateway
de-duplicates on (``deduplicates``): requests left unanswered when a connection breaks are sent again, or
retried later, under the same key. ``pipeline: 1`` sends one request at a time, for a gateway that mishandles
pipelined requests.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from django.conf import settings

from huikuan.comms.channels.base import Outgoing, PermanentFailure, SendResult, TemporaryFailure


def fill_payload(mapping: Any, fields: dict[str, str]) -> Any:
    """The payload mapping with its placeholders filled; replace() rather than format() so braces in an SMS
    text or a provider's literal values are left alone."""
    if isinstance(mapping, str):
        for name, value in fields.items():
            mapping = mapping.replace("{" + name + "}", value)
        return mapping
    if isinstance(mapping, dict):
        return {k: fill_payload(v, fields) for k, v in mapping.items()}
    if isinstance(mapping, list):
        return [fill_payload(v, fields) for v in mapping]
    return mapping


def dig(data: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


# Failures of the connection itself: the gateway may not have read what was written, so unanswered requests are
# resent (on a kept-alive connection a closed socket usually means only that it sat idle).
_BROKEN = (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine, http.client.IncompleteRead)
_MAX_LINE = 65536


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    body: bytes
    keep_alive: bool


def read_answer(reader: BinaryIO) -> _Answer:
    """One HTTP/1.x response from a buffered reader that may hold the next ones (pipelining).

    http.client cannot read pipelined answers: each response reads through a buffer of its own, which swallows
    the start of the next answer. Content-Length and chunked bodies; interim 1xx answers are skipped.
    """
    while True:
        line = reader.readline(_MAX_LINE + 1)
        if not line:
            raise http.client.RemoteDisconnected("the gateway closed the connection without answering")
        version, _, rest = line.partition(b" ")
        code = rest[:3]
        if not version.startswith(b"HTTP/") or not code.isdigit():
            raise http.client.BadStatusLine(repr(line[:100]))
        headers: dict[bytes, bytes] = {}
        while True:
            header = reader.readline(_MAX_LINE + 1)
            if header in (b"\r\n", b"\n"):
                break
            if not header:
                raise http.client.IncompleteRead(b"")
            name, _, value = header.partition(b":")
            headers[name.strip().lower()] = value.strip()
        status = int(code)
        if 100 <= status < 200:
            continue
        connection = headers.get(b"connection", b"").lower()
        keep_alive = connection != b"close" and (version != b"HTTP/1.0" or connection == b"keep-alive")
        if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            return _Answer(status, _read_chunked(reader), keep_alive)
        if b"content-length" in headers:
            size = int(headers[b"content-length"])
            body = reader.read(size)
            if len(body) != size:
                raise http.client.IncompleteRead(body, size - len(body))
            return _Answer(status, body, keep_alive)
        if status in (204, 304):
            return _Answer(status, b"", keep_alive)
        return _Answer(status, reader.read(), False)  # the body ends with the connection


def _read_chunked(reader: BinaryIO) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int(reader.readline(_MAX_LINE + 1).split(b";", 1)[0].strip() or b"x", 16)
        if size == 0:
            while reader.readline(_MAX_LINE + 1) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(parts)
        chunk = reader.read(size)
        if len(chunk) != size:
            raise http.client.IncompleteRead(chunk, size - len(chunk))
        parts.append(chunk)
        reader.readline(_MAX_LINE + 1)


class _Line:
    """One kept-alive connection to the gateway and the reader its answers arrive through, in order."""

    def __init__(self, connection: http.client.HTTPConnection) -> None:
        connection.connect()  # TCP (and TLS for https) and the timeout, as http.client sets them up
        assert connection.sock is not None
        self.connection = connection
        self.reader: BinaryIO = connection.sock.makefile("rb")
        self.answered = 0

    def close(self) -> None:
        self.reader.close()
        self.connection.close()


class HttpJsonProvider:
    name = "http"
    # The reference (our idempotency key) travels in the payload and in an Idempotency-Key header; a gateway
    # that honours either delivers a resent key once.
    deduplicates = True

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        config = dict(config or settings.COMMS_SMS_HTTP)
        if not config.get("url"):
            raise ValueError("HUIKUAN_SMS_URL is not set")
        parts = urlsplit(config["url"])
        self.https = parts.scheme == "https"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self.https else 80)
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.key = config.get("key", "")
        payload = config.get("payload") or '{"to": "{to}", "text": "{text}", "reference": "{key}"}'
        self.payload = json.loads(payload) if isinstance(payload, str) else payload
        self.id_field = config.get("id_field") or "id"
        self.timeout = float(config.get("timeout") or 5)
        self.sender = config.get("sender", "")
        # Requests in flight on one connection; the dispatcher hands each sending thread this many at a time.
        self.pipeline = min(100, max(1, int(config.get("pipeline") or 1)))
        host = self.host if ":" not in self.host else f"[{self.host}]"
        default_port = 443 if self.https else 80
        self._host_header = host if self.port == default_port else f"{host}:{self.port}"
        self._local = threading.local()

    def _line(self) -> _Line:
        line: _Line | None = getattr(self._local, "line", None)
        if line is None:
            cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            line = _Line(cls(self.host, self.port, timeout=self.timeout))
            self._local.line = line
        return line

    def _drop(self) -> None:
        line: _Line | None = getattr(self._local, "line", None)
        if line is not None:
            line.close()
        self._local.line = None

    def _request(self, message: Outgoing) -> bytes:
        fields = {"to": message.recipient, "text": message.body, "key": message.key, "sender": self.sender}
        body = json.dumps(fill_payload(self.payload, fields), ensure_ascii=False).encode()
        head = [f"POST {self.path} HTTP/1.1", f"Host: {self._host_header}", "Accept-Encoding: identity",
                "Content-Type: application/json; charset=utf-8", f"Idempotency-Key: {message.key}",
                f"Content-Length: {len(body)}"]  # fmt: skip
        if self.key:
            head.append(f"Authorization: Bearer {self.key}")
        text = "\r\n".join(head)
        if "\n" in text.replace("\r\n", "") or "\r" in text.replace("\r\n", ""):
            # A line break in the key or the credential would start a header (or a request) of its own.
            raise PermanentFailure("the message's key or the gateway's credential contains a line break")
        return text.encode("latin-1", "strict") + b"\r\n\r\n" + body

    def send(self, message: Outgoing) -> SendResult:
        (result,) = self.send_many([message])
        if isinstance(result, Exception):
            raise result
        return result

    def send_many(self, messages: Sequence[Outgoing]) -> list[SendResult | Exception]:
        """Send these on this thread's connection, all written before their answers are read.

        Answered requests have their outcome; when the connection breaks, the unanswered ones are written again
        on a new connection, as long as the broken one had answered something (it sat idle and was closed, or
        the gateway closes after a number of requests); a new connection that breaks before answering fails
        them all as temporary (retried later, under the same key). A timeout fails the unanswered ones too:
        the gateway may still deliver them, and their retry carries the same key.
        """
        results: list[SendResult | Exception | None] = [None] * len(messages)
        requests: list[bytes | None] = []
        for index, message in enumerate(messages):
            try:
                requests.append(self._request(message))
            except (PermanentFailure, UnicodeEncodeError) as exc:
                results[index] = exc if isinstance(exc, PermanentFailure) else PermanentFailure(str(exc))
                requests.append(None)
        pending = [i for i, request in enumerate(requests) if request is not None]
        while pending:
            answered, broken = self._exchange(pending, requests, results)
            pending = pending[answered:]
            if broken is None or not pending:
                continue
            if answered == 0 and not broken[1]:
                error = TemporaryFailure(f"SMS gateway unreachable or slow: {broken[0]!r}")
                for index in pending:
                    results[index] = error
                break
        return [r if r is not None else TemporaryFailure("no answer") for r in results]

    def _exchange(
        self, pending: list[int], requests: list[bytes | None], results: list[SendResult | Exception | None]
    ) -> tuple[int, tuple[Exception, bool] | None]:
        """Write the pending requests on one connection and read their answers in order.

        Returns how many were answered and, when the connection broke, the error and whether resending the rest
        on a new connection may help (a connection that had answered before: one that sat idle and was closed).
        """
        answered, failed_status = 0, False
        try:
            line = self._line()
            reused = line.answered > 0
        except (TimeoutError, ConnectionError, http.client.HTTPException, OSError) as exc:
            self._drop()
            return 0, (exc, False)
        try:
            assert line.connection.sock is not None
            line.connection.sock.sendall(b"".join(requests[i] or b"" for i in pending))
            for index in pending:
                answer = read_answer(line.reader)
                line.answered += 1
                answered += 1
                results[index] = self._outcome(answer)
                failed_status = failed_status or answer.status == 429 or answer.status >= 500
                if not answer.keep_alive:
                    self._drop()
                    return answered, (ConnectionError("the gateway closed the connection"), True)
        except _BROKEN as exc:
            self._drop()
            return answered, (exc, reused or answered > 0)
        except (TimeoutError, http.client.HTTPException, OSError, ValueError) as exc:
            # Slow or garbled: the unanswered ones are not resent now (the gateway may be delivering them).
            self._drop()
            error = TemporaryFailure(f"SMS gateway unreachable or slow: {exc!r}")
            for index in pending[answered:]:
                results[index] = error
            return len(pending), None
        if failed_status:
            self._drop()  # a throttling or failing gateway: the next batch starts on a new connection
        return answered, None

    def _outcome(self, answer: _Answer) -> SendResult | Exception:
        raw = answer.body
        if answer.status == 429 or answer.status >= 500:
            return TemporaryFailure(f"SMS gateway answered {answer.status}: {raw[:200]!r}")
        if answer.status >= 400:
            return PermanentFailure(f"SMS gateway rejected the message ({answer.status}): {raw[:200]!r}")
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            return TemporaryFailure(f"SMS gateway answered non-JSON: {raw[:200]!r}")
        provider_id = dig(data, self.id_field)
        if not provider_id:
            return TemporaryFailure(f"SMS gateway answer has no {self.id_field!r}: {raw[:200]!r}")
        return SendResult(str(provider_id), str(dig(data, "status") or "accepted"))

    def close(self) -> None:
        self._drop()


class FileProvider:
    """The demo's SMS gateway: one JSON file per message under var/sms, named after the idempotency key."""

    name = "file"
    deduplicates = True  # the file name is the key: writing it again finds the first one

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory or settings.COMMS_SMS_FILE_DIR)
        self.directory.mkdir(parents=True, exist_ok=True)

    def send(self, message: Outgoing) -> SendResult:
        name = hashlib.sha256(message.key.encode()).hexdigest()[:32]
        path = self.directory / f"{name}.json"
        record = {"id": name, "to": message.recipient, "text": message.body, "key": message.key}
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        except FileExistsError:
            return SendResult(name, "duplicate")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(record, handle, ensure_ascii=False)
        return SendResult(name, "written")

    def close(self) -> None:
        return None


def sms_provider(name: str | None = None) -> HttpJsonProvider | FileProvider:
    chosen = name or settings.COMMS_SMS_PROVIDER
    if chosen == "http":
        return HttpJsonProvider()
    if chosen == "file":
        return FileProvider()
    raise ValueError(f"unknown SMS provider {chosen!r} (expected http or file)")
