"""End-to-end: an ON_DEMAND stream scales out under sustained write load and back in when the
load stops, by itself (docs/design/autoscaling.md), with the autoscaler accelerated by server
flags so the whole cycle takes seconds instead of hours:

    --limits scaled:0.2                  a shard takes 200 records/s (and 204.8 KiB/s), so a
                                         light load is several shards' worth
    --on-demand-scale-interval-ms 200    sample and decide 5 times a second
    --on-demand-window-ms 1500           "sustained" = the last 1.5 s
    --on-demand-cooldown-ms 1500         at least 1.5 s between two steps
    --on-demand-peak-window-ms 4000      capacity for double the peak of the last 4 s

The writers offer about 1,200 records/s. Four shards accept 800/s (the rest is throttled and
sent again), which is 4 shards' worth sustained: the autoscaler wants 8; eight shards accept
all 1,200/s = 6 shards' worth: it wants 12. When the writers stop, the peak ages out after 4 s
and the stream goes back to its 4 shards (halving at most per step). The test prints the trace
of the open-shard count over time.

Run from tests/python with the pyenv python3 (boto3):
    SHOAL_BIN=../../build/shoal python3 -m unittest -v test_boto3_on_demand_scaling
"""

from __future__ import annotations

import threading
import time
import unittest
from typing import List, Optional, Tuple

import boto3
from botocore.config import Config

from lineage_load import list_all_shards
from shoal_harness import TEST_REGION, ShoalServer, wait_active

SERVER: Optional[ShoalServer] = None
OFFERED_PER_SEC = 1200


def setUpModule() -> None:
    global SERVER
    SERVER = ShoalServer(tmp_prefix="e2e-on-demand-", limits="scaled:0.2", update_delay_ms=200,
                         on_demand_scale_interval_ms=200, on_demand_window_ms=1500,
                         on_demand_cooldown_ms=1500, on_demand_peak_window_ms=4000)


def tearDownModule() -> None:
    if SERVER is not None:
        SERVER.close()


def client(attempts: int = 1):
    return boto3.client(
        "kinesis", endpoint_url=SERVER.endpoint, region_name=TEST_REGION,
        config=Config(retries={"total_max_attempts": attempts, "mode": "standard"},
                      connect_timeout=5, read_timeout=60))


class Load:
    """`threads` writers, together offering about `per_sec` small records per second, each
    with its own partition key; counts the accepted ones."""

    def __init__(self, stream: str, per_sec: int, threads: int = 2) -> None:
        self.stream = stream
        self.accepted = 0
        self.errors: List[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._batch = 200
        calls_per_sec = per_sec / self._batch / threads
        self._threads = [threading.Thread(target=self._run, args=(t, 1.0 / calls_per_sec),
                                          daemon=True) for t in range(threads)]

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=30)

    def _run(self, t: int, period: float) -> None:
        kinesis = client()
        n = 0
        next_at = time.monotonic()
        while not self._stop.is_set():
            records = [{"PartitionKey": f"w{t}-{n + i}", "Data": b"0123456789"}
                       for i in range(self._batch)]
            n += self._batch
            try:
                r = kinesis.put_records(StreamName=self.stream, Records=records)
                with self._lock:
                    self.accepted += self._batch - r["FailedRecordCount"]
            except Exception as e:  # noqa: BLE001 - reported by the test
                self.errors.append(repr(e))
            # A steady offer: a slow call is not made up for with a burst.
            next_at = max(next_at + period, time.monotonic())
            time.sleep(max(0.0, next_at - time.monotonic()))


class OnDemandScalingTest(unittest.TestCase):
    def test_on_demand_stream_scales_out_under_load_and_back_in(self) -> None:
        kinesis = client(attempts=10)
        stream = "on-demand-scaling"
        kinesis.create_stream(StreamName=stream, StreamModeDetails={"StreamMode": "ON_DEMAND"})
        summary = wait_active(kinesis, stream)
        self.assertEqual(summary["OpenShardCount"], 4)

        trace: List[Tuple[float, int, int]] = []  # (seconds since start, open shards, accepted/s)
        load = Load(stream, OFFERED_PER_SEC)
        t0 = time.monotonic()
        last_accepted, last_t = 0, t0

        def sample() -> int:
            nonlocal last_accepted, last_t
            shards = list_all_shards(kinesis, stream)
            open_count = sum(1 for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"])
            now = time.monotonic()
            rate = int((load.accepted - last_accepted) / max(now - last_t, 1e-3))
            last_accepted, last_t = load.accepted, now
            trace.append((now - t0, open_count, rate))
            return open_count

        load.start()
        try:
            # Load until the stream has stopped growing for 3 s (at most 25 s).
            grown_at = time.monotonic()
            peak = 4
            while time.monotonic() - t0 < 25:
                time.sleep(1.0)
                count = sample()
                if count > peak:
                    peak, grown_at = count, time.monotonic()
                if peak >= 12 and time.monotonic() - grown_at > 3:
                    break
        finally:
            load.stop()
        stopped = time.monotonic() - t0
        # Idle: back to the minimum once the peak has aged out.
        back_at: Optional[float] = None
        while time.monotonic() - t0 < stopped + 25:
            time.sleep(0.5)
            if sample() == 4:
                back_at = time.monotonic() - t0
                break

        # Every second of the load, then each change of the shard count.
        lines, prev = [], None
        for t, count, rate in trace:
            if t <= stopped or count != prev:
                lines.append(f"t={t:4.1f}s  {count:2d} open shards  {rate:5d} records/s accepted")
            prev = count
        print(f"\n[on-demand scaling trace] offered ≈{OFFERED_PER_SEC} records/s, load stopped at "
              f"t={stopped:.1f}s\n  " + "\n  ".join(lines))

        self.assertEqual(load.errors, [])
        self.assertGreaterEqual(peak, 8, "the stream did not scale out")
        self.assertEqual(trace[-1][1], 4, "the stream did not scale back in to 4 shards")
        self.assertIsNotNone(back_at)
        # The minimum needs the load's peak to have aged out: the 4-s peak window (less one
        # 133-ms bucket of rounding) after the last busy sample.
        self.assertGreaterEqual(back_at - stopped, 3.8)
        # After scaling out, all the offered load gets through: 4 shards take 800/s sustained.
        scaled = [rate for t, count, rate in trace if t < stopped and count >= 8]
        self.assertTrue(scaled)
        self.assertGreater(max(scaled), 1000)
        # Every step was a reshard with lineage: closed parents with children, all listed.
        shards = list_all_shards(kinesis, stream)
        closed = [s for s in shards if "EndingSequenceNumber" in s["SequenceNumberRange"]]
        self.assertGreaterEqual(len(closed), 4 + 8)
        ids = {s["ShardId"] for s in shards}
        for s in shards:
            if s.get("ParentShardId"):
                self.assertIn(s["ParentShardId"], ids)
        summary = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
        self.assertEqual(summary["StreamModeDetails"]["StreamMode"], "ON_DEMAND")


if __name__ == "__main__":
    unittest.main()
