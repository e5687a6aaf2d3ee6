"""Outbox speed: messages/s through the dispatcher (claim, gate, HTTP send, record) to a loopback gateway.

    .venv/bin/python bench/outbox.py [--messages 10000] [--workers 2] [--backend postgres|sqlite] [--database NAME]
Seeds debtors, queues SMS reminders (not timed), starts an HTTP/JSON SMS gateway on 127.0.0.1 in its own
process and times dispatch_due until the outbox is empty. With --workers N, N dispatcher processes run at
once, as N Celery worker processes would: on PostgreSQL they claim disjoint batches (SKIP LOCKED).
Target: ≥ 500 messages/s on 2 cores. Ends with one JSON line.
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
        # Like a production gateway: the response leaves in one segment. Headers and body written apart
        # meet the client's delayed ACK under Nagle and stall each request by tens of milliseconds.
        disable_nagle_algorithm = True
        wbufsize = 64 * 1024

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

    class Server(ThreadingHTTPServer):
        request_queue_size = 128  # every dispatcher thread connects at once when a run starts

    server = Server(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


def _dispatch_worker(_: int) -> dict[str, int]:
    from huikuan.comms.dispatch import dispatch_due

    return dispatch_due(now=DAYTIME).as_dict()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10000)
    parser.add_argument("--debtors", type=int, default=2000)
    parser.add_argument("--backend", default="postgres", choices=["postgres", "sqlite"])
    parser.add_argument("--workers", type=int, default=2, help="dispatcher processes (1 on SQLite: one writer)")
    parser.add_argument("--database", default="bench_outbox", help="the database's name (dropped and created)")
    parser.add_argument(
        "--pipeline", type=int, default=25, help="SMS requests pipelined per connection (the setting's default is 1)"
    )
    args = parser.parse_args()
    setup_django(fresh_database(args.backend, args.database))

    from django.conf import settings

    from huikuan.comms.dispatch import dispatch_due
    from huikuan.comms.models import Message
    from huikuan.comms.outbox import Request, queue_messages
    from huikuan.comms.templates import seed_default_templates
    from huikuan.intake.generator import PortfolioGenerator
    from huikuan.intake.seeding import write_generated
    from huikuan.portfolio.models import ContactPoint, Debtor

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
    settings.COMMS_SMS_HTTP = {
        **settings.COMMS_SMS_HTTP,
        "url": f"http://127.0.0.1:{port}/sms",
        "pipeline": args.pipeline,
    }
    workers = 1 if args.backend == "sqlite" else max(1, args.workers)
    started = time.perf_counter()
    if workers == 1:
        report = dispatch_due(now=DAYTIME)
    else:
        from django.db import connections

        from huikuan.comms.dispatch import DispatchReport

        connections.close_all()  # each forked worker opens its own connection
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            reports = pool.map(_dispatch_worker, range(workers))
        report = DispatchReport()
        for counts in reports:
            for name, value in counts.items():
                setattr(report, name, getattr(report, name) + value)
    elapsed = time.perf_counter() - started
    server.terminate()
    print(
        json.dumps(
            {
                "benchmark": "outbox",
                "backend": args.backend,
                "queued": queued,
                "workers": workers,
                "sms_pipeline": args.pipeline,
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
