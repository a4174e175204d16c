"""End-to-end: SplitShard, MergeShards and UpdateShardCount (up and down) while writer threads
keep writing with PutRecords and PutRecord (many partition keys, each key's records numbered),
and a KCL-style reader follows shard lineage at the same time: every parent read to its end
(null NextShardIterator, ChildShards matching the listing) before its children. At the end every
acknowledged record must have been read exactly once, at its acknowledged shard and sequence
number, and per key the numbers and sequence numbers increase in read order, across
generations (docs/design/resharding.md; kinesis-api-spec.md §3.9; kpl-kcl.md §4.4).

Run from tests/python with the pyenv python3 (boto3):
    SHOAL_BIN=../../build/shoal python3 -m unittest -v test_boto3_resharding_load
"""

from __future__ import annotations

import threading
import time
import unittest
from typing import Optional

import boto3
from botocore.config import Config

from lineage_load import KeyedWriters, LineageFollower, check_exactly_once, list_all_shards
from shoal_harness import TEST_REGION, ShoalServer, wait_active

SERVER: Optional[ShoalServer] = None


def setUpModule() -> None:
    global SERVER
    SERVER = ShoalServer(tmp_prefix="e2e-reshard-load-", limits="off", update_delay_ms=200)


def tearDownModule() -> None:
    if SERVER is not None:
        SERVER.close()


def client():
    return boto3.client(
        "kinesis", endpoint_url=SERVER.endpoint, region_name=TEST_REGION,
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=60,
                      max_pool_connections=16))


def open_shards(kinesis, stream):
    shards = [s for s in list_all_shards(kinesis, stream)
              if "EndingSequenceNumber" not in s["SequenceNumberRange"]]
    return sorted(shards, key=lambda s: int(s["HashKeyRange"]["StartingHashKey"]))


class ReshardingUnderLoadTest(unittest.TestCase):
    def test_split_merge_and_update_shard_count_under_concurrent_writes(self) -> None:
        kinesis = client()
        stream = "reshard-load"
        kinesis.create_stream(StreamName=stream, ShardCount=3)
        wait_active(kinesis, stream)

        writers = KeyedWriters(client, stream, threads=3, keys_per_thread=40, batch=25,
                               single_every=4, pause_s=0.01)
        follower = LineageFollower(client(), stream)
        writers_done = threading.Event()
        reader = threading.Thread(target=follower.run, args=(writers_done,), daemon=True)
        writers.start()
        reader.start()
        steps = []

        def settle(what: str) -> None:
            wait_active(kinesis, stream)
            time.sleep(0.7)  # let writes flow into the new generation
            steps.append(f"{what}: {len(open_shards(kinesis, stream))} open, "
                         f"{writers.count()} acknowledged so far")

        try:
            time.sleep(0.7)
            # Split the widest open shard in the middle.
            s = open_shards(kinesis, stream)[0]
            lo = int(s["HashKeyRange"]["StartingHashKey"])
            hi = int(s["HashKeyRange"]["EndingHashKey"])
            kinesis.split_shard(StreamName=stream, ShardToSplit=s["ShardId"],
                                NewStartingHashKey=str((lo + hi) // 2))
            settle("split")
            # Merge the two children of that split back together.
            a, b = open_shards(kinesis, stream)[:2]
            kinesis.merge_shards(StreamName=stream, ShardToMerge=a["ShardId"],
                                 AdjacentShardToMerge=b["ShardId"])
            settle("merge")
            # Uniform scaling up (3 -> 6) and down (6 -> 4: uneven parents).
            r = kinesis.update_shard_count(StreamName=stream, TargetShardCount=6,
                                           ScalingType="UNIFORM_SCALING")
            self.assertEqual(r["CurrentShardCount"], 3)
            settle("update_shard_count 6")
            r = kinesis.update_shard_count(StreamName=stream, TargetShardCount=4,
                                           ScalingType="UNIFORM_SCALING")
            self.assertEqual(r["CurrentShardCount"], 6)
            settle("update_shard_count 4")
            # One more split while writes continue, then the writers stop.
            s = open_shards(kinesis, stream)[-1]
            lo = int(s["HashKeyRange"]["StartingHashKey"])
            hi = int(s["HashKeyRange"]["EndingHashKey"])
            kinesis.split_shard(StreamName=stream, ShardToSplit=s["ShardId"],
                                NewStartingHashKey=str(lo + (hi - lo) // 3))
            settle("split")
        finally:
            writers.stop()
            writers_done.set()
            reader.join(timeout=120)

        print(f"\n[resharding under load] {'; '.join(steps)}; "
              f"{len(writers.acked)} records acknowledged, {len(follower.records)} read from "
              f"{len(follower.shards)} shards")
        self.assertFalse(reader.is_alive(), "the lineage reader did not finish")
        self.assertEqual(writers.errors, [])
        self.assertGreater(len(writers.acked), 1000)
        self.assertEqual(len(open_shards(kinesis, stream)), 5)
        problems = check_exactly_once(kinesis, follower, writers.acked)
        self.assertEqual(problems[:20], [], f"{len(problems)} problems")
        # Every generation took records: the readers really crossed each reshard.
        shards_with_data = {sid for sid, _, _ in follower.records}
        self.assertGreaterEqual(len(shards_with_data), 12)


if __name__ == "__main__":
    unittest.main()
