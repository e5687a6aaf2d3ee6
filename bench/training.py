"""The training simulator's engine: turns per second and the reply latency with 50 runs in play at once.

    PYTHONPATH=src .venv/bin/python bench/training.py [--runs 50] [--turns 6000] [--threads]

50 practice calls are kept in play at once over the whole scenario library (both languages, a seed each),
served round-robin: each step takes the next run, picks the trainee's line (the model suggestion, or now
and then another suggestion or an off-script line, so replies, refusals and hang-ups are all exercised)
and times ``play`` on it (recognition, screening, rules, reply). A run that ends is debriefed (timed
apart: ``debrief_p95_ms``) and replaced by a fresh one. ``reply_p95_ms`` is the 95th percentile of one
``play`` call. With ``--threads`` the 50 runs are 50 threads instead, so the figure includes waiting for
the GIL as a single web process with 50 busy users would (reported as ``reply_p95_threads_ms`` too).
The engine needs no database. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time

from huikuan.kernel.training import RunState, Scenario, debrief, default_scenarios, play, start, suggestions

OFF_SCRIPT = {
    "zh": ["嗯嗯", "你今天必须还钱！", "我们再看看吧", "请问您现在方便接听吗？", "好的"],
    "en": ["Right.", "You must pay right now!", "Let's see.", "Is now a good time to talk?", "OK."],
}


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[94] if len(values) >= 2 else (values[0] if values else 0.0)


class Driver:
    """Hands out runs over the library and picks each run's next line deterministically."""

    def __init__(self) -> None:
        self.scenarios = default_scenarios()
        self.next_run = 0

    def new(self) -> tuple[Scenario, RunState]:
        n = self.next_run
        self.next_run += 1
        sc = self.scenarios[n % len(self.scenarios)]
        return sc, start(sc, seed=n, language="zh" if n % 2 == 0 else "en")

    @staticmethod
    def line(sc: Scenario, state: RunState) -> str:
        turn = len(state.turns)
        options = suggestions(sc, state)
        if (state.seed + turn) % 7 == 3:
            pool = OFF_SCRIPT[state.language]
            return pool[(state.seed + turn) % len(pool)]
        if (state.seed + turn) % 5 == 4 and len(options) > 1:
            return options[1]
        return options[0] if options else "……"


def interleaved(runs: int, turns: int) -> tuple[list[float], list[float], int]:
    driver = Driver()
    live = [driver.new() for _ in range(runs)]
    replies: list[float] = []
    debriefs: list[float] = []
    finished = 0
    i = 0
    while len(replies) < turns:
        sc, state = live[i % runs]
        text = driver.line(sc, state)
        t0 = time.perf_counter()
        state = play(sc, state, text)
        replies.append(time.perf_counter() - t0)
        if state.ended or len(state.turns) >= 14:
            t0 = time.perf_counter()
            debrief(sc, state)
            debriefs.append(time.perf_counter() - t0)
            finished += 1
            live[i % runs] = driver.new()
        else:
            live[i % runs] = (sc, state)
        i += 1
    return replies, debriefs, finished


def threaded(runs: int, turns: int) -> list[float]:
    driver = Driver()
    lock = threading.Lock()
    replies: list[float] = []
    per_thread = turns // runs

    def worker() -> None:
        with lock:
            sc, state = driver.new()
        mine: list[float] = []
        while len(mine) < per_thread:
            text = driver.line(sc, state)
            t0 = time.perf_counter()
            state = play(sc, state, text)
            mine.append(time.perf_counter() - t0)
            if state.ended or len(state.turns) >= 14:
                debrief(sc, state)
                with lock:
                    sc, state = driver.new()
        with lock:
            replies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(runs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return replies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--turns", type=int, default=6000)
    parser.add_argument("--threads", action="store_true", help="also measure with one thread per run")
    args = parser.parse_args()

    # Warm-up: the lexicons, jieba's dictionary and the scorecard load once per process.
    sc = default_scenarios()[0]
    debrief(sc, play(sc, start(sc, 0, "zh"), "您好，滚动还款的事，你这个老赖"))
    debrief(sc, play(sc, start(sc, 1, "en"), "Hello, you idiot, roll over the payment"))

    t0 = time.perf_counter()
    replies, debriefs, finished = interleaved(args.runs, args.turns)
    wall = time.perf_counter() - t0
    figures: dict[str, object] = {
        "benchmark": "training",
        "turns_per_s": round(len(replies) / sum(replies), 1),
        "reply_p95_ms": round(p95(replies) * 1000, 2),
        "reply_p50_ms": round(statistics.median(replies) * 1000, 2),
        "reply_max_ms": round(max(replies) * 1000, 2),
        "debrief_p95_ms": round(p95(debriefs) * 1000, 2),
        "concurrent_runs": args.runs,
        "turns": len(replies),
        "runs_finished": finished,
        "wall_s": round(wall, 2),
        "mode": "interleaved",
        "scenarios": len(default_scenarios()),
    }
    print(
        f"interleaved: {len(replies)} turns over {args.runs} live runs, {finished} runs debriefed; "
        f"reply p50 {figures['reply_p50_ms']} ms, p95 {figures['reply_p95_ms']} ms"
    )
    if args.threads:
        threaded_replies = threaded(args.runs, args.turns)
        figures["reply_p95_threads_ms"] = round(p95(threaded_replies) * 1000, 2)
        print(f"threads: {len(threaded_replies)} turns, reply p95 {figures['reply_p95_threads_ms']} ms")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
