"""A process's peak memory, for the figures runs record and benchmarks print."""

from __future__ import annotations

import resource


def peak_memory_mb() -> float:
    """This process's peak resident memory in MB.

    Linux's VmHWM starts afresh at exec; getrusage's ru_maxrss does not, so a process started by a parent
    that held a lot (a strategy run's shard process, a benchmark's child) would report the parent's peak
    instead of its own. ru_maxrss is the fallback elsewhere.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    # Kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
