"""Child interpreters running one of the project's own modules (``python -m huikuan.…``).

The import's validation worker and a strategy run's shards use plain child interpreters rather than
multiprocessing: its spawn mode re-runs the caller's main script in the child, fork copies a process that
holds Polars' thread pool and a database connection, and a daemonic Celery worker may use neither.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any


def can_start() -> bool:
    # An embedded interpreter (a web server's) may have no executable to start.
    return bool(sys.executable)


def start(module: str, *, env: dict[str, str] | None = None, **popen: Any) -> subprocess.Popen[bytes]:
    """``python -m module`` with this process's environment and import path (``env`` added on top)."""
    environment = {
        **os.environ,
        # The parent's import path, which a script or a test runner may have extended at run time.
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
        **(env or {}),
    }
    return subprocess.Popen([sys.executable, "-m", module], env=environment, **popen)
