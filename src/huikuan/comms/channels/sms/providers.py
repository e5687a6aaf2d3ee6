"""SMS providers: a generic HTTP/JSON gateway (URL, key, payload mapping from settings) and a file drop.

Chinese SMS gateways differ in field names but not in shape: POST a JSON object with the number, the text
and a client reference, get back an id. The payload mapping is a JSON object whose string values may contain
{to}, {text}, {key} and {sender}, so a new gateway is configured, not coded.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import threading
from pathlib import Path
from typing import Any
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
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            connection = cls(self.host, self.port, timeout=self.timeout)
            self._local.connection = connection
        return connection

    def _post(self, body: bytes, headers: dict[str, str]) -> tuple[http.client.HTTPResponse, bytes]:
        connection = self._connection()
        self._local.reused = getattr(self._local, "sent_on_connection", 0) > 0
        connection.request("POST", self.path, body=body, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        self._local.sent_on_connection = getattr(self._local, "sent_on_connection", 0) + 1
        return response, raw

    def _drop(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
        self._local.connection = None
        self._local.sent_on_connection = 0

    def send(self, message: Outgoing) -> SendResult:
        fields = {"to": message.recipient, "text": message.body, "key": message.key, "sender": self.sender}
        body = json.dumps(fill_payload(self.payload, fields), ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": message.key}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        try:
            try:
                response, raw = self._post(body, headers)
            except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
                if not getattr(self._local, "reused", False):
                    raise
                # The gateway closed a kept-alive connection while it sat idle: resend once on a fresh one.
                # The key travels with it, so a gateway that did take the first attempt delivers it once.
                self._drop()
                response, raw = self._post(body, headers)
        except (TimeoutError, ConnectionError, http.client.HTTPException, OSError) as exc:
            # A timeout may hide a message the gateway did accept: the retry carries the same key.
            self._drop()
            raise TemporaryFailure(f"SMS gateway unreachable or slow: {exc!r}") from exc
        if response.status == 429 or response.status >= 500:
            self._drop()
            raise TemporaryFailure(f"SMS gateway answered {response.status}: {raw[:200]!r}")
        if response.status >= 400:
            raise PermanentFailure(f"SMS gateway rejected the message ({response.status}): {raw[:200]!r}")
        try:
            data = json.loads(raw or b"{}")
        except ValueError as exc:
            raise TemporaryFailure(f"SMS gateway answered non-JSON: {raw[:200]!r}") from exc
        provider_id = dig(data, self.id_field)
        if not provider_id:
            raise TemporaryFailure(f"SMS gateway answer has no {self.id_field!r}: {raw[:200]!r}")
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
