#!/usr/bin/env python3
"""Crash test: kill -9 the server at random moments under a heavy concurrent write load, restart it,
and check that every acknowledged record reads back byte for byte.

    SHOAL_BIN=build/shoal python3 tests/crash/crash_test.py --cycles 30 --seconds 150

What runs:
  * one `shoal serve` (tests/python/shoal_harness.py) with a few streams of several shards;
  * --writers processes x --threads threads, each with its own HTTP/1.1 keep-alive connection, sending
    PutRecords batches (1-200 entries, 0 B - 64 KiB each, sometimes a single ~1 MiB PutRecord).
    Every record has a unique partition key "<writer>.<thread>.<n>". Before a request is sent its records
    are logged as ATTEMPTED (stream, key, length, BLAKE2b of the data); once the server acknowledges them,
    as ACKNOWLEDGED (stream, key, shard, sequence number). Logs are written with os.write on O_APPEND files,
    so they reach the kernel before the next request; records are never re-sent after an error;
  * the coordinator lets the writers run for a random time, then SIGKILLs the server, waits for every
    writer to go idle, restarts the server on the same data dir (sometimes kills it again right after it
    came up) and verifies; then lets the writers go on.

Verification after every restart reads every shard of every stream from TRIM_HORIZON to the tip with
GetShardIterator + GetRecords and checks:
  * every ACKNOWLEDGED record is there, in the acknowledged shard with the acknowledged sequence number,
    and its data has the logged length and hash (byte for byte, via BLAKE2b-128);
  * every returned record was ATTEMPTED by some writer, for that stream, with exactly that data (nothing
    torn or made up), and lies on the shard its MD5 hash key routes to;
  * no record is returned twice; sequence numbers strictly increase in each shard's read order;
  * records seen by an earlier verification are still there, unchanged (what was readable was durable);
  * records that first appear after a restart have sequence numbers above everything the shard held
    before (numbering keeps increasing across restarts);
  * PutRecords entries reported as failed are never returned; ApproximateArrivalTimestamp is sane.

Exit status 0 when every check passed, 1 otherwise (the first violations are printed).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import http.client
import json
import multiprocessing as mp
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "python"))
from shoal_harness import ShoalServer, partition_key_hash, sigv4_headers  # noqa: E402

JSON = "application/x-amz-json-1.1"
MiB = 1 << 20


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


# ============================================================================ HTTP

class ApiError(Exception):
    def __init__(self, status: int, error_type: Optional[str], body: bytes) -> None:
        super().__init__(f"HTTP {status} {error_type}: {body[:300]!r}")
        self.status = status
        self.error_type = error_type


def call(conn: http.client.HTTPConnection, port: int, op: str, payload: Dict[str, Any]) -> Dict[str, Any]:
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {"Content-Type": JSON, "X-Amz-Target": f"Kinesis_20131202.{op}", "Host": f"127.0.0.1:{port}"}
    headers.update(sigv4_headers("POST", "/", headers, body))
    headers["Content-Length"] = str(len(body))
    conn.request("POST", "/", body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    if resp.status != 200:
        try:
            etype = json.loads(data).get("__type")
        except ValueError:
            etype = None
        raise ApiError(resp.status, etype, data)
    return json.loads(data) if data else {}


# ============================================================================ writers

def pick_size(rnd: random.Random) -> int:
    x = rnd.random()
    if x < 0.05:
        return 0
    if x < 0.50:
        return rnd.randrange(1, 64)
    if x < 0.85:
        return rnd.randrange(64, 1024)
    if x < 0.98:
        return rnd.randrange(1024, 8192)
    return rnd.randrange(8192, 65536)


def writer_thread(wid: int, tid: int, cfg: Dict[str, Any], shared: Dict[str, Any]) -> None:
    rnd = random.Random(cfg["seed"] * 1000003 + wid * 1009 + tid)
    log_path = Path(cfg["log_dir"]) / f"w{wid}-t{tid}.log"
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    slot = wid * cfg["threads"] + tid
    streams: List[str] = cfg["streams"]
    conn: Optional[http.client.HTTPConnection] = None
    conn_port = None
    n = 0
    try:
        while not shared["stop"].is_set():
            if not shared["go"].is_set():
                if conn is not None:
                    conn.close()
                    conn = None
                shared["idle"][slot] = shared["gen"].value  # "idle as of generation gen"
                shared["go"].wait(0.05)
                continue
            port = shared["port"].value
            if conn is None or conn_port != port:
                if conn is not None:
                    conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn_port = port
            stream = streams[rnd.randrange(len(streams))]
            single = rnd.random() < cfg["single_ratio"]
            if single and rnd.random() < cfg["big_ratio"]:
                sizes = [rnd.randrange(MiB // 2, MiB - 64)]
            elif single:
                sizes = [pick_size(rnd)]
            else:
                count = rnd.choice((1, 2, 5, 10, 50, 100, 200, 500)) if rnd.random() < 0.3 else rnd.randrange(1, 200)
                sizes = [pick_size(rnd) for _ in range(count)]
                while sum(sizes) > 4 * MiB:
                    sizes.pop()
            records = []
            lines = []
            for size in sizes:
                key = f"{wid}.{tid}.{n}"
                n += 1
                data = rnd.randbytes(size)
                records.append((key, data))
                lines.append(f"A\t{stream}\t{key}\t{size}\t{digest(data)}\n")
            os.write(fd, "".join(lines).encode())
            try:
                if single:
                    key, data = records[0]
                    out = call(conn, port, "PutRecord", {"StreamName": stream, "PartitionKey": key,
                                                         "Data": base64.b64encode(data).decode()})
                    results = [out]
                else:
                    out = call(conn, port, "PutRecords", {"StreamName": stream, "Records": [
                        {"PartitionKey": key, "Data": base64.b64encode(data).decode()} for key, data in records]})
                    results = out["Records"]
                    if len(results) != len(records):
                        raise RuntimeError(f"PutRecords returned {len(results)} results for {len(records)} entries")
            except ApiError as exc:
                os.write(fd, f"E\t{stream}\t{exc.status}\t{exc.error_type}\t{len(records)}\n".encode())
                with shared["lock"]:
                    shared["api_errors"].value += 1
                if exc.status >= 500:
                    time.sleep(0.01)
                continue
            except (OSError, http.client.HTTPException, ValueError):
                # server gone (or going): the records of this request are unacknowledged; never re-sent
                if conn is not None:
                    conn.close()
                conn = None
                time.sleep(0.01)
                continue
            lines = []
            acked = 0
            for (key, _), res in zip(records, results):
                if res.get("ErrorCode"):
                    lines.append(f"F\t{stream}\t{key}\t{res['ErrorCode']}\n")
                else:
                    lines.append(f"K\t{stream}\t{key}\t{res['ShardId']}\t{res['SequenceNumber']}\n")
                    acked += 1
            os.write(fd, "".join(lines).encode())
            with shared["lock"]:
                shared["acked"].value += acked
                shared["bytes"].value += sum(len(d) for _, d in records)
    finally:
        os.close(fd)
        if conn is not None:
            conn.close()


def child_signals() -> None:
    """Children die on SIGTERM (the harness installs a Python SIGTERM handler that the fork copies) and
    leave SIGINT to the coordinator."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def writer_process(wid: int, cfg: Dict[str, Any], shared: Dict[str, Any]) -> None:
    child_signals()
    threads = [threading.Thread(target=writer_thread, args=(wid, t, cfg, shared), daemon=True)
               for t in range(cfg["threads"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


# ============================================================================ reading

def read_shard(args: Tuple[int, str, str]) -> Tuple[str, str, List[Tuple[int, str, int, str, float]], int]:
    """All records of one shard: [(seq, key, len, hash, arrival)], plus the number of GetRecords calls."""
    port, stream, shard = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    out: List[Tuple[int, str, int, str, float]] = []
    calls = 0
    try:
        it = call(conn, port, "GetShardIterator", {"StreamName": stream, "ShardId": shard,
                                                   "ShardIteratorType": "TRIM_HORIZON"})["ShardIterator"]
        while True:
            try:
                res = call(conn, port, "GetRecords", {"ShardIterator": it, "Limit": 10000})
            except ApiError as exc:
                if exc.error_type == "ProvisionedThroughputExceededException":
                    time.sleep(0.2)
                    continue
                raise
            calls += 1
            for r in res["Records"]:
                data = base64.b64decode(r["Data"], validate=True)
                out.append((int(r["SequenceNumber"]), r["PartitionKey"], len(data), digest(data),
                            float(r["ApproximateArrivalTimestamp"])))
            if "NextShardIterator" not in res or not res["NextShardIterator"]:
                raise RuntimeError(f"{stream}/{shard}: GetRecords without NextShardIterator on an open shard")
            it = res["NextShardIterator"]
            if not res["Records"] and res.get("MillisBehindLatest") == 0:
                return stream, shard, out, calls
    finally:
        conn.close()


# ============================================================================ coordinator

class Checker:
    def __init__(self, log_dir: Path, streams: Dict[str, List[Dict[str, Any]]]) -> None:
        self.log_dir = log_dir
        self.streams = streams  # name -> ListShards entries
        self.offsets: Dict[Path, int] = {}
        self.attempts: Dict[str, Tuple[str, int, str]] = {}       # key -> (stream, len, hash)
        self.acks: Dict[str, Tuple[str, str, int]] = {}           # key -> (stream, shard, seq)
        self.failed: Dict[str, str] = {}
        self.api_errors: Dict[str, int] = defaultdict(int)
        self.ack_positions: Dict[Tuple[str, str, int], str] = {}  # (stream, shard, seq) -> key
        self.seen: Dict[str, Tuple[str, str, int]] = {}           # key -> (stream, shard, seq) of earlier verifications
        self.max_seq: Dict[Tuple[str, str], int] = {}             # (stream, shard) -> highest seq seen so far
        self.violations: List[str] = []
        self.verified_acked_total = 0
        self.t_start = time.time()

    def violation(self, text: str) -> None:
        self.violations.append(text)
        if len(self.violations) <= 30:
            print(f"VIOLATION: {text}", flush=True)

    def load_logs(self) -> None:
        for path in sorted(self.log_dir.glob("*.log")):
            off = self.offsets.get(path, 0)
            with open(path, "rb") as fh:
                fh.seek(off)
                chunk = fh.read()
            end = chunk.rfind(b"\n") + 1  # writers are idle, but only ever parse whole lines
            self.offsets[path] = off + end
            for line in chunk[:end].decode().splitlines():
                parts = line.split("\t")
                kind = parts[0]
                if kind == "A":
                    _, stream, key, size, h = parts
                    self.attempts[key] = (stream, int(size), h)
                elif kind == "K":
                    _, stream, key, shard, seq = parts
                    pos = (stream, shard, int(seq))
                    if key in self.acks:
                        self.violation(f"{key} acknowledged twice")
                    other = self.ack_positions.get(pos)
                    if other is not None and other != key:
                        self.violation(f"{stream}/{shard} sequence number {seq} acknowledged for both {other} and {key}")
                    self.ack_positions[pos] = key
                    self.acks[key] = pos
                elif kind == "F":
                    _, stream, key, code = parts
                    self.failed[key] = code
                elif kind == "E":
                    _, stream, status, etype, count = parts
                    self.api_errors[f"{status} {etype}"] += 1

    def verify(self, port: int, pool, label: str) -> Dict[str, int]:
        self.load_logs()
        jobs = [(port, stream, s["ShardId"]) for stream, shards in self.streams.items() for s in shards]
        t0 = time.monotonic()
        results = pool.map(read_shard, jobs, chunksize=1)
        read_s = time.monotonic() - t0
        now = time.time()
        found: Dict[str, Tuple[str, str, int]] = {}
        total = 0
        total_bytes = 0
        calls = 0
        prev_max = dict(self.max_seq)
        for stream, shard, records, ncalls in results:
            calls += ncalls
            shards = self.streams[stream]
            last = None
            for seq, key, size, h, arrival in records:
                total += 1
                total_bytes += size
                where = f"{stream}/{shard} seq {seq} key {key}"
                if last is not None and seq <= last:
                    self.violation(f"{where}: sequence number not above the previous one {last}")
                last = seq
                if key in found:
                    self.violation(f"{where}: returned twice (also at {found[key]})")
                found[key] = (stream, shard, seq)
                att = self.attempts.get(key)
                if att is None:
                    self.violation(f"{where}: never attempted by any writer (garbage)")
                    continue
                if att[0] != stream:
                    self.violation(f"{where}: was written to stream {att[0]}")
                if (size, h) != (att[1], att[2]):
                    self.violation(f"{where}: data differs from what was written "
                                   f"(len {size} vs {att[1]}, hash {h} vs {att[2]}) -- torn or corrupt")
                ack = self.acks.get(key)
                if ack is not None and ack != (stream, shard, seq):
                    self.violation(f"{where}: acknowledged as {ack}")
                if key in self.failed:
                    self.violation(f"{where}: PutRecords reported it failed ({self.failed[key]})")
                expected_shard = route(shards, partition_key_hash(key))
                if expected_shard != shard:
                    self.violation(f"{where}: MD5 routes it to {expected_shard}")
                before = self.seen.get(key)
                if before is not None and before != (stream, shard, seq):
                    self.violation(f"{where}: was at {before} in an earlier verification")
                if before is None:
                    top = prev_max.get((stream, shard))
                    if top is not None and seq <= top:
                        self.violation(f"{where}: new since the last restart but not above the shard's "
                                       f"earlier highest sequence number {top}")
                if not (self.t_start - 5 <= arrival <= now + 5):
                    self.violation(f"{where}: ApproximateArrivalTimestamp {arrival} outside the run")
            if last is not None:
                self.max_seq[(stream, shard)] = max(last, self.max_seq.get((stream, shard), last))
        lost = [k for k in self.acks if k not in found]
        for k in lost[:20]:
            self.violation(f"acknowledged record {k} at {self.acks[k]} is missing (LOST)")
        if len(lost) > 20:
            self.violation(f"... {len(lost)} acknowledged records missing in all")
        vanished = [k for k in self.seen if k not in found]
        for k in vanished[:20]:
            self.violation(f"record {k} seen earlier at {self.seen[k]} is gone")
        self.seen = found
        self.verified_acked_total += len(self.acks) - len(lost)
        stats = {"returned": total, "bytes": total_bytes, "acked": len(self.acks), "lost": len(lost),
                 "unacked_present": sum(1 for k in found if k not in self.acks), "attempted": len(self.attempts),
                 "calls": calls}
        print(f"[{label}] verified {total} records ({total_bytes / MiB:.1f} MiB, {calls} GetRecords calls, "
              f"{read_s:.1f} s): acknowledged {len(self.acks)}, lost {len(lost)}, "
              f"present but unacknowledged {stats['unacked_present']}, attempted {len(self.attempts)}", flush=True)
        return stats


def route(shards: List[Dict[str, Any]], h: int) -> str:
    for s in shards:
        r = s["HashKeyRange"]
        if int(r["StartingHashKey"]) <= h <= int(r["EndingHashKey"]):
            return s["ShardId"]
    return "?"


def create_streams(port: int, specs: List[Tuple[str, int]]) -> Dict[str, List[Dict[str, Any]]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for name, shards in specs:
            call(conn, port, "CreateStream", {"StreamName": name, "ShardCount": shards})
        out = {}
        for name, _ in specs:
            deadline = time.monotonic() + 30
            while True:
                status = call(conn, port, "DescribeStreamSummary", {"StreamName": name})[
                    "StreamDescriptionSummary"]["StreamStatus"]
                if status == "ACTIVE":
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"stream {name} is still {status}")
                time.sleep(0.05)
            out[name] = call(conn, port, "ListShards", {"StreamName": name})["Shards"]
        return out
    finally:
        conn.close()


def pause_writers(shared: Dict[str, Any], slots: int, timeout: float = 120.0) -> None:
    """Stops the writers and waits until each has finished its request in flight (and logged its outcome):
    a writer reports the new generation only from its idle loop, after `go` was cleared."""
    shared["go"].clear()
    shared["gen"].value += 1
    gen = shared["gen"].value
    deadline = time.monotonic() + timeout
    while any(shared["idle"][i] != gen for i in range(slots)):
        if time.monotonic() > deadline:
            raise RuntimeError("writers did not go idle")
        time.sleep(0.01)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cycles", type=int, default=30, help="kill -9 / restart / verify cycles (default 30)")
    ap.add_argument("--seconds", type=float, default=150.0,
                    help="total time the writers run, spread over the cycles (default 150)")
    ap.add_argument("--writers", type=int, default=4, help="writer processes (default 4)")
    ap.add_argument("--threads", type=int, default=2, help="connections (threads) per writer process (default 2)")
    ap.add_argument("--streams", default="4,3", help="shard counts of the streams, comma separated (default 4,3)")
    ap.add_argument("--single-ratio", type=float, default=0.15, help="share of requests that are PutRecord")
    ap.add_argument("--big-ratio", type=float, default=0.01, help="share of PutRecord calls with a ~1 MiB record")
    ap.add_argument("--durability", default=None, help="--durability for the server (default: server default)")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--readers", type=int, default=3, help="processes reading shards in parallel when verifying")
    ap.add_argument("--keep", action="store_true", help="keep the data dir and logs")
    args = ap.parse_args(argv)

    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rnd = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="e2e-crash-"))
    log_dir = work / "logs"
    log_dir.mkdir()
    specs = [(f"crash-{i}", int(n)) for i, n in enumerate(args.streams.split(","))]
    print(f"crash test: seed {seed}, {args.cycles} cycles, {args.seconds:.0f} s of writes, "
          f"{args.writers}x{args.threads} writers, streams {specs}, work dir {work}", flush=True)

    ctx = mp.get_context("fork")
    slots = args.writers * args.threads
    shared = {
        "go": ctx.Event(), "stop": ctx.Event(), "port": ctx.Value("i", 0, lock=False),
        "idle": ctx.Array("i", [0] * slots, lock=False), "gen": ctx.Value("i", 0, lock=False),
        "lock": ctx.Lock(),
        "acked": ctx.Value("q", 0, lock=False), "bytes": ctx.Value("q", 0, lock=False),
        "api_errors": ctx.Value("q", 0, lock=False),
    }
    cfg = {"seed": seed, "log_dir": str(log_dir), "threads": args.threads, "streams": [s for s, _ in specs],
           "single_ratio": args.single_ratio, "big_ratio": args.big_ratio}
    # Fork the writers and the reader pool before any server object exists, so that no child holds one.
    writers = [ctx.Process(target=writer_process, args=(w, cfg, shared), daemon=True) for w in range(args.writers)]
    for p in writers:
        p.start()
    pool = ctx.Pool(args.readers, initializer=child_signals)

    flags: Dict[str, Any] = {"tmp_prefix": "e2e-crash-", "create_delay_ms": 0, "data_dir": work / "data"}
    if args.durability:
        flags["durability"] = args.durability
    server = ShoalServer(**flags)
    ok = False
    kills = 0
    t_run = time.monotonic()
    try:
        streams = create_streams(server.port, specs)
        checker = Checker(log_dir, streams)
        mean = args.seconds / max(1, args.cycles)
        write_time = 0.0
        for cycle in range(1, args.cycles + 1):
            shared["port"].value = server.port
            acked0 = shared["acked"].value
            shared["go"].set()
            r = rnd.random()
            # mostly uniform over [0.1, 2*mean]; sometimes right after the writers start
            run_for = rnd.uniform(0.0, 0.15) if r < 0.1 else rnd.uniform(0.1, max(0.2, 2 * mean - 0.1))
            t0 = time.monotonic()
            time.sleep(run_for)
            server.kill9()
            kills += 1
            write_time += time.monotonic() - t0
            pause_writers(shared, slots)
            acked_in_cycle = shared["acked"].value - acked0
            server.start()
            if rnd.random() < 0.15:  # crash again as soon as it is back (recovery of a recovered log)
                server.kill9()
                kills += 1
                server.start()
            checker.verify(server.port, pool, f"cycle {cycle}/{args.cycles}: killed after {run_for:.2f} s, "
                                              f"{acked_in_cycle} acks")
            if checker.violations:
                break
        if not checker.violations:
            # Finally a clean shutdown and restart: nothing changes.
            pause_writers(shared, slots)
            server.restart()
            stats = checker.verify(server.port, pool, "after a clean restart")
        else:
            stats = {}
        elapsed = time.monotonic() - t_run
        errors = dict(checker.api_errors)
        print(f"\nsummary: {kills} kills in {args.cycles} cycles, {elapsed:.0f} s "
              f"({write_time:.0f} s of writes); acknowledged records {len(checker.acks)} "
              f"({shared['bytes'].value / MiB:.0f} MiB attempted), attempted {len(checker.attempts)}, "
              f"acknowledged-record checks over all verifications {checker.verified_acked_total}, "
              f"lost {stats.get('lost', 'n/a')}, failed entries {len(checker.failed)}, API errors {errors or 0}, "
              f"violations {len(checker.violations)}", flush=True)
        if write_time > 0:
            print(f"write rate while running: {len(checker.acks) / write_time:.0f} records/s, "
                  f"{shared['bytes'].value / MiB / write_time:.1f} MiB/s attempted", flush=True)
        bad_errors = {k: v for k, v in errors.items() if not k.startswith("5")}
        if bad_errors:
            print(f"unexpected client errors from the server: {bad_errors}", flush=True)
        ok = not checker.violations and not bad_errors and len(checker.acks) > 0
        print("PASS" if ok else "FAIL", flush=True)
        return 0 if ok else 1
    finally:
        # Never hang in cleanup: give it 120 s, then exit hard (a hang is a failure too).
        watchdog = threading.Timer(120, lambda: (print("crash test: cleanup hung; exiting", flush=True),
                                                 os._exit(3)))
        watchdog.daemon = True
        watchdog.start()
        shared["stop"].set()
        shared["go"].set()
        for p in writers:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
                p.join(timeout=10)
        if ok:
            pool.close()  # idle workers take their sentinel and exit
        else:
            pool.terminate()
        pool.join()
        if not ok:
            print(server._log_tail(80) if server.log_path.exists() else "", flush=True)
        keep = args.keep or (not ok and os.environ.get("SHOAL_KEEP_DATA"))
        if keep:
            print(f"kept {work} and server log {server.log_path}")
            os.environ["SHOAL_KEEP_DATA"] = "1"
        server.close()
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
