"""Outbox speed: messages/s through the dispatcher (claim, gate, HTTP send, record) to a loopback gateway.

    .venv/bin/python bench/outbox.py [--messages 10000] [--backend postgres|sqlite]
Seeds debtors, queues SMS reminders (not timed), starts an HTTP/JSON SMS gateway on 127.0.0.1 in this
process and times dispatch_due until the outbox is empty. Target: ≥ 500 messages/s. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from databases import fresh_database, peak_rss_mb, setup_django

AS_OF = date(2026, 11, 18)
DAYTIME = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai on a working day


def gateway(port: int) -> None:
    """The loopback SMS gateway, run in its own process so it does not share the dispatcher's GIL."""
    received = [0]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            return None

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received[0] += 1
            payload = json.dumps({"id": f"gw-{received[0]}"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10000)
    parser.add_argument("--debtors", type=int, default=2000)
    parser.add_argument("--backend", default="postgres", choices=["postgres", "sqlite"])
    args = parser.parse_args()
    setup_django(fresh_database(args.backend, "bench_outbox"))

    from django.conf import settings

    from huikuan.comms.actions import Request, queue_messages, seed_default_templates
    from huikuan.comms.dispatch import dispatch_due
    from huikuan.comms.models import Message
    from huikuan.portfolio.generator import PortfolioGenerator
    from huikuan.portfolio.models import ContactPoint, Debtor
    from huikuan.portfolio.seeding import write_generated

    write_generated(PortfolioGenerator(13, AS_OF).debtors(args.debtors), AS_OF)
    seed_default_templates()
    Debtor.objects.update(time_zone="Asia/Shanghai")
    reachable = list(
        ContactPoint.objects.filter(kind="mobile", relation="self", do_not_contact=False)
        .exclude(validity="invalid")
        .values_list("debtor_id", flat=True)
        .distinct()
    )
    requests = [
        Request(f"bench:{n}", reachable[n % len(reachable)], "sms", "reminder", due_at=DAYTIME)
        for n in range(args.messages)
    ]
    queued = queue_messages(requests, AS_OF).queued
    import multiprocessing
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = multiprocessing.get_context("fork").Process(target=gateway, args=(port,), daemon=True)
    server.start()
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    settings.COMMS_SMS_PROVIDER = "http"
    settings.COMMS_SMS_HTTP = {**settings.COMMS_SMS_HTTP, "url": f"http://127.0.0.1:{port}/sms"}
    started = time.perf_counter()
    report = dispatch_due(now=DAYTIME)
    elapsed = time.perf_counter() - started
    server.terminate()
    print(
        json.dumps(
            {
                "bench": "outbox",
                "backend": args.backend,
                "queued": queued,
                **report.as_dict(),
                "left_queued": Message.objects.filter(status="queued").count(),
                "seconds": round(elapsed, 2),
                "messages_per_s": round(report.sent / elapsed, 1),
                "peak_rss_mb": round(peak_rss_mb(), 1),
            }
        )
    )


if __name__ == "__main__":
    main()
