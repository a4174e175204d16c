"""The workloads of bench/compare and how one of them runs against one target: a fresh server,
the client (loadgen or the boto3 driver) with fixed seeds and durations, the server's CPU
seconds and peak RSS sampled from /proc meanwhile."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from . import procs

BENCH = Path(__file__).resolve().parents[1]

UNSUPPORTED_EXIT = 3  # loadgen: the target answered that it cannot run the workload


@dataclass
class Workload:
    name: str           # short id (file names, JSON keys)
    title: str          # table heading
    metric: str         # summary key of the headline number
    unit: str
    higher_is_better: bool
    loadgen: List[str]  # loadgen flags (stream/endpoint/duration/seed are added)
    boto3: Optional[str] = None   # boto3_load.py workload, when there is a boto3 row
    extra: List[str] = field(default_factory=list)  # more summary keys shown
    shards: int = 4
    min_duration_s: float = 0  # a longer window than the run's default, when it needs one


def workloads(quick: bool) -> List[Workload]:
    fill = "1" if quick else "5"
    shard_counts = [1000] if quick else [1000, 10000]
    out = [
        Workload("put-1k", "PutRecords 500 x 1 KiB, 4 connections", "record_mb_per_s", "MB/s", True,
                 ["-w", "put-records", "--record-bytes", "1024", "-c", "4"], boto3="put-records-1k",
                 extra=["records_per_s", "p50_ms"]),
        Workload("put-100b", "PutRecords 500 x 100 B, 4 connections", "records_per_s", "records/s", True,
                 ["-w", "put-records", "--record-bytes", "100", "-c", "4"], boto3="put-records-100b",
                 extra=["record_mb_per_s", "p50_ms"]),
        Workload("put-record", "PutRecord latency, 1 client (p50)", "p50_ms", "ms", False,
                 ["-w", "put-record", "-c", "1", "--record-bytes", "1024"], boto3="put-record",
                 extra=["p99_ms", "requests_per_s"]),
        Workload("get-records", f"GetRecords read-back ({fill} MB in 4 shards, re-read for the window)",
                 "record_mb_per_s", "MB/s", True,
                 ["-w", "get-records", "--fill-mb", fill, "--passes", "1000", "--get-limit", "1000", "-c", "4",
                  "--record-bytes", "1024"], boto3="get-records", extra=["records_per_s"]),
        Workload("put-get", "put -> get latency, polling reader (p50)", "p50_ms", "ms", False,
                 ["-w", "put-get-latency", "-c", "1", "--record-bytes", "100"], boto3="put-get",
                 extra=["p99_ms", "samples"]),
        Workload("subscribe", "put -> SubscribeToShard event latency (p50)", "p50_ms", "ms", False,
                 ["-w", "subscribe-latency", "-c", "1", "--record-bytes", "100", "--event-timeout", "5"],
                 extra=["p99_ms", "samples", "missing"], min_duration_s=4),
    ]
    for n in shard_counts:
        rate = 200
        out.append(Workload(
            f"shards-{n // 1000}k", f"{n:,} shards: create, then PutRecord at {rate}/s spread over all",
            "setup_s", "s to ACTIVE", False,
            ["-w", "put-record-all-shards", "--rate", str(rate), "-c", "2",
             "--concurrency", "8", "--record-bytes", "100"],
            extra=["requests_per_s", "p50_ms", "p99_ms"], shards=n))
    return out


@dataclass
class Result:
    target: str
    workload: str
    client: str                 # "loadgen" or "boto3"
    status: str = "ok"          # ok | unsupported | failed | timeout
    reason: str = ""
    summary: Dict[str, float] = field(default_factory=dict)
    server_cpu_s: float = 0.0
    server_rss_max_mb: float = 0.0
    wall_s: float = 0.0
    other_cores: float = 0.0    # cores other processes kept busy meanwhile


class Sampler:
    """Samples the server's RSS every 100 ms in a thread; CPU seconds at start and stop."""

    def __init__(self, target):
        self.target = target
        self.max_kb = 0
        self._stop = threading.Event()
        self._pids = target.pids()
        self.cpu0 = procs.cpu_seconds(self._pids)
        self.busy0 = procs.machine_busy_ticks()
        self.t0 = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            self._pids = self.target.pids() or self._pids
            self.max_kb = max(self.max_kb, procs.rss_kb(self._pids))
            self._stop.wait(0.1)

    def finish(self, result: Result, client_cpu_s: float) -> None:
        self._stop.set()
        self._thread.join()
        cpu = procs.cpu_seconds(self._pids) - self.cpu0
        wall = time.monotonic() - self.t0
        busy = (procs.machine_busy_ticks() - self.busy0) / procs.CLK_TCK
        result.server_cpu_s = round(cpu, 2)
        result.server_rss_max_mb = round(self.max_kb / 1024, 1)
        result.wall_s = round(wall, 2)
        result.other_cores = round(max(0.0, busy - cpu - client_cpu_s) / wall, 2) if wall > 0 else 0


def run_loadgen(loadgen: Path, target, w: Workload, out_dir: Path, duration: float, warmup: float,
                timeout: float) -> Result:
    res = Result(target.name, w.name, "loadgen")
    json_path = out_dir / f"{target.name}.{w.name}.loadgen.json"
    txt_path = out_dir / f"{target.name}.{w.name}.loadgen.txt"
    cmd = [str(loadgen), "--endpoint", target.endpoint, "--stream", f"compare-{w.name}", "--create",
           "--shards", str(w.shards), "--duration", str(max(duration, w.min_duration_s)), "--warmup", str(warmup), "--seed", "1",
           "--timeout", "20", "--json", str(json_path), "--label", f"{target.name} {w.name}", *w.loadgen]
    sampler = Sampler(target)
    start = time.monotonic()
    setup_s = None
    with open(txt_path, "w") as txt:
        p = procs.spawn(cmd, stdout=txt, stderr=subprocess.PIPE, text=True)
        lines = []

        def read_stderr():
            nonlocal setup_s
            for line in p.stderr:
                if setup_s is None and " is ACTIVE with " in line:
                    setup_s = time.monotonic() - start
                lines.append(line)

        reader = threading.Thread(target=read_stderr, daemon=True)
        reader.start()
        try:
            rc = p.wait(timeout)
        except subprocess.TimeoutExpired:
            procs.stop(p)
            rc = None
        reader.join(5)
        procs.stop(p)
        txt.write("".join(lines))
    data = _read_json(json_path)
    sampler.finish(res, float(data.get("client_cpu_s", 0)) if data else 0.0)
    if data:
        res.summary = dict(data.get("summary", {}))
    if setup_s is not None:
        res.summary["setup_s"] = round(setup_s, 2)
    tail = "".join(lines[-5:]).strip()
    if rc is None:
        res.status, res.reason = "timeout", f"no result after {timeout:.0f} s"
    elif rc == UNSUPPORTED_EXIT:
        res.status = "unsupported"
        res.reason = (data or {}).get("unsupported") or tail
    elif rc == 1 and _refused_create((data or {}).get("error", "")):
        res.status, res.reason = "unsupported", data["error"]
    elif rc != 0:
        res.status = "failed"
        res.reason = f"loadgen exit {rc}: " + ((data or {}).get("error") or tail)
    elif not target.alive():
        res.status, res.reason = "failed", "server died:\n" + target.log_tail()
    else:
        _check_numbers(res, w)
    return res


def _refused_create(error: str) -> bool:
    """CreateStream answered with an AWS error (e.g. a shard count above the target's maximum):
    the target cannot run the workload, as opposed to a broken run."""
    return error.startswith("CreateStream ") and error.rstrip().endswith(("LimitExceededException",
                                                                         "InvalidArgumentException"))


def _check_numbers(res: Result, w: Workload) -> None:
    """A run that produced no number is a failure, never a 0 in the table."""
    s = res.summary
    if w.metric not in s:
        res.status, res.reason = "failed", f"no {w.metric} in the client's summary"
    elif "samples" in s and not s["samples"]:
        res.status, res.reason = "failed", f"no sample in the window ({int(s.get('missing', 0))} missing)"
    elif not s[w.metric]:
        res.status, res.reason = "failed", "no request completed in the measurement window"
    elif s.get("errors"):
        res.reason = f"{int(s['errors'])} errors (see the client's output)"


def run_boto3(python: str, target, w: Workload, out_dir: Path, duration: float, timeout: float,
              fill_mb: float = 2) -> Result:
    res = Result(target.name, w.name, "boto3")
    json_path = out_dir / f"{target.name}.{w.name}.boto3.json"
    cmd = [python, str(BENCH / "comparelib" / "boto3_load.py"), "--endpoint", target.endpoint,
           "--workload", w.boto3, "--duration", str(duration), "--fill-mb", str(fill_mb), "--seed", "1", "--json", str(json_path)]
    sampler = Sampler(target)
    with open(out_dir / f"{target.name}.{w.name}.boto3.txt", "w") as txt:
        p = procs.spawn(cmd, stdout=txt, stderr=subprocess.STDOUT)
        try:
            rc = p.wait(timeout)
        except subprocess.TimeoutExpired:
            rc = None
        procs.stop(p)
    data = _read_json(json_path)
    sampler.finish(res, float(data.get("client_cpu_s", 0)) if data else 0.0)
    if data:
        res.summary = dict(data.get("summary", {}))
    if rc is None:
        res.status, res.reason = "timeout", f"no result after {timeout:.0f} s"
    elif rc != 0:
        res.status = "failed"
        res.reason = (data or {}).get("error") or f"boto3 driver exit {rc}"
    else:
        _check_numbers(res, w)
    return res


def _read_json(path: Path) -> Optional[dict]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
