"""Process bookkeeping: every process bench/compare starts runs in its own process group and is
registered here, so that one call (at exit, on failure, on Ctrl-C/SIGTERM) stops all of them."""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
from typing import List

_live: List[subprocess.Popen] = []


def spawn(cmd, **kw) -> subprocess.Popen:
    """Popen in a new process group (session); remembered until stop()."""
    p = subprocess.Popen(cmd, start_new_session=True, **kw)
    _live.append(p)
    return p


def stop(p: subprocess.Popen, grace: float = 5.0) -> None:
    """SIGTERM to the process group, SIGKILL after `grace` seconds; reaps the leader."""
    if p.poll() is None:
        _signal_group(p, signal.SIGTERM)
        try:
            p.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    _signal_group(p, signal.SIGKILL)  # stragglers in the group, if any
    try:
        p.wait(2)
    except subprocess.TimeoutExpired:
        pass
    if p in _live:
        _live.remove(p)


def _signal_group(p: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(p.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_all() -> None:
    for p in list(_live):
        stop(p, grace=2.0)


def _on_signal(signum, _frame):
    print(f"compare: interrupted (signal {signum}); stopping every process it started", file=sys.stderr)
    stop_all()
    raise SystemExit(128 + signum)


def install() -> None:
    atexit.register(stop_all)
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)


def group_pids(pgid: int) -> List[int]:
    """Every live pid whose process group is `pgid`."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                rest = f.read().rsplit(")", 1)[1].split()
            if int(rest[2]) == pgid:
                out.append(int(d))
        except (OSError, IndexError, ValueError):
            continue
    return out


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: List[int]) -> float:
    """User + system CPU seconds of `pids` so far (the dead ones count 0)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                rest = f.read().rsplit(")", 1)[1].split()
            total += int(rest[11]) + int(rest[12])
        except (OSError, IndexError, ValueError):
            continue
    return total / CLK_TCK


def rss_kb(pids: List[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except (OSError, ValueError):
            continue
    return total


def machine_busy_ticks() -> int:
    """Busy CPU ticks of the whole machine (user, nice, system, steal) from /proc/stat."""
    with open("/proc/stat") as f:
        parts = f.readline().split()
    return int(parts[1]) + int(parts[2]) + int(parts[3]) + int(parts[8])
