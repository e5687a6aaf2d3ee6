"""Runs one benchmark and adds the run to bench/results/<benchmark>.jsonl, one JSON line per run.

    .venv/bin/python bench/record.py [--note "what differs"] bench/import_accounts.py --rows 100000

The benchmark's output passes through. Its last line, the JSON of its figures, is kept together with what
the figures depend on: the date (UTC), the commit, the command, the 1-minute load average at the start and
at the end, and the machine. A benchmark names its file with the "benchmark" key of its JSON line. Ends by
printing the line it recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    # A run of uncommitted code says so: its figures belong to no commit.
    dirty = git("status", "--porcelain", "src", "bench", ":!bench/results")
    return git("rev-parse", "--short", "HEAD") + ("-dirty" if dirty else "")


def machine() -> str:
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [
            line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if line.startswith("model name")
        ]
        model = names[0] if names else model
    return f"{os.cpu_count()} cores, {model}"


def run(script: str, args: list[str]) -> dict[str, object]:
    """Runs the benchmark with this interpreter, echoing its output; its last line is the JSON of figures."""
    process = subprocess.Popen([sys.executable, script, *args], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    last = ""
    for line in process.stdout:
        print(line, end="", flush=True)
        last = line.strip() or last
    if process.wait():
        raise SystemExit(f"{script} exited with {process.returncode}: nothing recorded")
    figures = json.loads(last)
    if not isinstance(figures, dict) or not figures.get("benchmark"):
        raise SystemExit(f'{script} did not end with a JSON object naming its "benchmark": nothing recorded')
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--note", default="", help="what the figures cannot say (another load on the machine …)")
    parser.add_argument("script", help="a benchmark, e.g. bench/outbox.py")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the benchmark's own arguments")
    options = parser.parse_args()
    started = datetime.now(UTC)
    load_start = os.getloadavg()[0]
    figures = run(options.script, options.args)
    record: dict[str, object] = {
        "date": started.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "commit": commit(),
        "command": " ".join([options.script, *options.args]),
        "load": [round(load_start, 2), round(os.getloadavg()[0], 2)],
        "machine": machine(),
        "figures": figures,
    }
    if options.note:
        record["note"] = options.note
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{figures['benchmark']}.jsonl"
    line = json.dumps(record, ensure_ascii=False)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
    print(f"recorded in {path.relative_to(ROOT)}:", file=sys.stderr)
    print(line)


if __name__ == "__main__":
    main()
