"""Idempotency under a dead worker: a real Celery worker is SIGKILLed while the gateway holds its request."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.comms.conftest import DAYTIME, GATEWAY_PAYLOAD, start_gateway


def test_worker_killed_mid_send_never_sends_twice(transactional_db: None, zhang: Any, tmp_path: Path,
                                                  settings: Any) -> None:  # fmt: skip
    from celery import Celery
    from django.db import connection
    from kombu import Exchange, Queue

    from huikuan.comms.dispatch import dispatch_due
    from huikuan.comms.models import Message, MessageStatus
    from huikuan.comms.outbox import Request, queue_message

    server, gateway = start_gateway()
    gateway.delay, gateway.slow_first = 30.0, 1  # the first request hangs: the worker is inside send()
    message = queue_message(Request("work:500", zhang.debtor_id, "sms", "reminder", case_id=zhang.pk, due_at=DAYTIME))
    assert message is not None

    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    queue = f"test-comms-{uuid.uuid4().hex[:10]}"
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    else:
        url = f"sqlite:///{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "HUIKUAN_SMS_PROVIDER": "http",
           "HUIKUAN_SMS_URL": gateway.url,
           "HUIKUAN_SMS_PAYLOAD": GATEWAY_PAYLOAD,
           "HUIKUAN_SMS_ID_FIELD": "result.msgid", "HUIKUAN_SMS_TIMEOUT": "60",
           "HUIKUAN_COMMS_LEASE_SECONDS": "5"}  # fmt: skip
    env.pop("HUIKUAN_TEST_DB", None)
    log = tmp_path / "worker.log"
    client = Celery("comms-test-client", broker=redis_url, backend=redis_url, set_as_current=False)
    with client.connection_for_write() as conn:
        Queue(queue, Exchange(queue), routing_key=queue)(conn).declare()
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "huikuan.config", "worker", "--pool=solo", "-Q", queue,
         "--loglevel=WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"),
    )  # fmt: skip
    try:
        client.send_task("huikuan.comms.tasks.dispatch_outbox", kwargs={"now": DAYTIME.isoformat()}, queue=queue)
        deadline = time.monotonic() + 60
        while not gateway.requests:
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            assert worker.poll() is None, log.read_text()[-3000:]
            time.sleep(0.05)
        os.kill(worker.pid, signal.SIGKILL)  # the worker dies holding the lease, the gateway mid-answer
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
        client.close()

    message.refresh_from_db()
    assert message.status == MessageStatus.SENDING and message.lease_token
    assert message.lease_until == DAYTIME + timedelta(seconds=5)
    # The gateway did take that first request (a real one would deliver it): the recovery must not add a second.
    settings.COMMS_SMS_PROVIDER = "http"
    settings.COMMS_SMS_HTTP = {"url": gateway.url, "key": "", "payload": GATEWAY_PAYLOAD, "id_field": "result.msgid",
                               "timeout": 5.0}  # fmt: skip
    try:
        assert dispatch_due(now=DAYTIME + timedelta(seconds=2)).sent == 0  # lease still running: hands off
        report = dispatch_due(now=DAYTIME + timedelta(seconds=6))
    finally:
        server.shutdown()
        server.server_close()
    assert report.sent == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.provider_id == "gw-1"
    assert [r["body"]["ref"] for r in gateway.requests] == ["work:500", "work:500"]
    assert gateway.delivered == {"work:500": "gw-1"}  # one SMS reached the phone
    assert Message.objects.filter(idempotency_key="work:500").count() == 1
