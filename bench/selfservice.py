"""Self-service speed: the debtor's page at 100 concurrent debtors, and payment notifications per second.

    .venv/bin/python bench/selfservice.py [--debtors 100] [--requests 10] [--think 5] [--notifications 500]
                                          [--workers 2]

On a fresh PostgreSQL database: generates N debtors (the portfolio generator), opens a self-service link for
each and enters its one-time code through HTTP (not timed). gunicorn serves the project (``--workers``
processes, 4 threads each) on 127.0.0.1; N client threads, one per debtor with its own session, all active
at once, each load their page ``--requests`` times, reading it between loads for a time drawn uniformly from
0 to twice ``--think`` seconds (a person on a phone, not a loop). ``page_p95_ms`` is the 95th percentile of
the time each load took at the client (target ≤ 150 ms); ``page_p95_ms_no_think`` is the same with every
debtor reloading back to back (the server's saturation: N requests always in flight).
Then ``--notifications`` WeChat Pay notifications (signed
with a platform key and encrypted with an APIv3 key made here, one per order) are handled in this process
through the same path as the notification view (verify, decrypt, check the order, post, settle);
``notifications_per_s`` is how many it handles per second. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from databases import fresh_database, peak_rss_mb, setup_django  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Debtor:
    """One debtor's browser: a cookie jar and the link."""

    def __init__(self, base: str, token: str) -> None:
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.url = f"{base}/s/{token}/"

    def get(self, tail: str = "") -> str:
        with self.opener.open(self.url + tail, timeout=60) as response:
            return response.read().decode()

    def post(self, tail: str, data: dict[str, str], csrf: str) -> None:
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": csrf}).encode()
        request = urllib.request.Request(
            self.url + tail, data=body, headers={"Referer": self.url, "Origin": self.url.split("/s/")[0]}
        )
        with self.opener.open(request, timeout=60) as response:
            response.read()


CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
POINT = re.compile(r'name="point" value="(\d+)"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--debtors", type=int, default=100)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--think", type=float, default=5.0)
    parser.add_argument("--notifications", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    database_url = fresh_database("postgres", "bench_selfservice")
    setup_django(database_url)

    from huikuan.cases.models import Case
    from huikuan.comms.models import Message
    from huikuan.comms.templates import seed_default_templates
    from huikuan.intake.generator import PortfolioGenerator
    from huikuan.intake.seeding import write_generated
    from huikuan.portfolio.models import ContactPoint, Relation, Validity
    from huikuan.selfservice.links import issue_link, token_of

    seed_default_templates()
    write_generated(PortfolioGenerator(22, date.today()).debtors(args.debtors), date.today(), [])
    cases = list(Case.objects.select_related("debtor").order_by("pk")[: args.debtors])
    for case in cases:
        ContactPoint.objects.get_or_create(
            debtor_id=case.debtor_id,
            kind="mobile",
            value=f"+86139{case.pk:08d}",
            defaults={"relation": Relation.SELF, "validity": Validity.VALID},
        )
    tokens = [token_of(issue_link(case, channel="sms")) for case in cases]

    base = f"http://127.0.0.1:{args.port}"
    env = {**os.environ, "DATABASE_URL": database_url, "HUIKUAN_DEMO": "1", "SITE_URL": base,
           "DJANGO_SETTINGS_MODULE": "huikuan.config.settings_demo"}  # fmt: skip
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "huikuan.config.wsgi", "-b", f"127.0.0.1:{args.port}",
         "-w", str(args.workers), "--threads", "4", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/login/", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        debtors = []
        for case, token in zip(cases, tokens, strict=True):
            debtor = Debtor(base, token)
            page = debtor.get()
            csrf = CSRF.search(page)
            point = POINT.search(page)
            assert csrf and point, page[:500]
            debtor.post("code/send/", {"point": point.group(1)}, csrf.group(1))
            body = Message.objects.filter(purpose="access_code", case_id=case.pk).latest("id").body
            code = re.search(r"(?<![0-9])([0-9]{6})(?![0-9])", body)
            assert code
            debtor.post("code/", {"code": code.group(1)}, csrf.group(1))
            assert 'data-testid="total"' in debtor.get()
            debtors.append(debtor)

        times, wall = load(debtors, args.requests, args.think)
        saturated, _wall = load(debtors, args.requests, 0.0)
    finally:
        server.terminate()
        server.wait()

    notifications_per_s = notifications(cases, args.notifications)
    print(
        json.dumps(
            {
                "benchmark": "selfservice",
                "debtors": len(debtors),
                "page_loads": len(times),
                "page_p50_ms": round(statistics.median(times), 1),
                "page_p95_ms": round(percentile(times, 0.95), 1),
                "think_s": args.think,
                "pages_per_s": round(len(times) / wall, 1),
                "page_p95_ms_no_think": round(percentile(saturated, 0.95), 1),
                "gunicorn_workers": args.workers,
                "notifications": args.notifications,
                "notifications_per_s": round(notifications_per_s, 1),
                "peak_rss_mb": round(peak_rss_mb(), 1),
            }
        )
    )


def load(debtors: list[Debtor], requests: int, think: float) -> tuple[list[float], float]:
    """Every debtor loads their page ``requests`` times at once with the others; the client's times in ms."""
    times: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(len(debtors))

    def browse(n: int, debtor: Debtor) -> None:
        pause = random.Random(n)
        mine = []
        start.wait()
        for _ in range(requests):
            time.sleep(pause.uniform(0, 2 * think))
            began = time.perf_counter()
            debtor.get()
            mine.append((time.perf_counter() - began) * 1000)
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=browse, args=(n, d)) for n, d in enumerate(debtors)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times, time.perf_counter() - began


def notifications(cases: list[Any], count: int) -> float:
    """Signed, encrypted notices of paid orders through ``orders.receive_notification``, one after another."""
    from django.conf import settings
    from tests.selfservice.gateways import FakeWeChatPay

    from huikuan import clock
    from huikuan.selfservice.links import Visit
    from huikuan.selfservice.models import PaymentOrder
    from huikuan.selfservice.orders import receive_notification
    from huikuan.selfservice.providers.registry import wechat

    fake = FakeWeChatPay()
    settings.HUIKUAN_WECHATPAY = fake.settings()
    provider = wechat()
    assert provider is not None
    now = clock.now()
    orders = [
        PaymentOrder.objects.create(case=cases[n % len(cases)], provider="wechat", order_id=f"HKBENCH{n:08d}",
                                    amount=Decimal("1.00"), created_at=now)
        for n in range(count)
    ]  # fmt: skip
    signed = []
    for order in orders:
        body = fake.notification(order.order_id, 100)
        signed.append((fake.signed_headers(body), body.encode()))
    began = time.perf_counter()
    for headers, body in signed:
        handled = receive_notification(
            "wechat",
            lambda h=headers, b=body: provider.read_notification(h, b),
            Visit("127.0.0.1", "bench", clock.now()),
        )
        assert handled.status == 200 and handled.posted, handled
    elapsed = time.perf_counter() - began
    fake.close()
    return count / elapsed


if __name__ == "__main__":
    main()
