"""End-to-end tests of SubscribeToShard (enhanced fan-out push) through boto3: HTTP/1.1 with
a chunked application/vnd.amazon.eventstream body.

Every record of a concurrent writer arrives exactly once and in order; a subscription ends
after its lifetime (short here: --subscription-lifetime-ms) and the reader resumes from the
ContinuationSequenceNumber without gap or duplicate; a split ends the parent's subscription
with ChildShards and no continuation; errors come as AWS's exceptions, before the stream
(HTTP 400) or inside it (exception events).

Run from tests/python with the pyenv python3:
    SHOAL_BIN=../../build/shoal python3 -m unittest -v test_boto3_subscribe
"""

from __future__ import annotations

import itertools
import threading
import time
import unittest
from typing import Any, Dict, List, Optional, Tuple

from botocore.exceptions import ClientError, EventStreamError

from shoal_harness import ShoalServer, wait_active, wait_until

LIFETIME_MS = 6000  # above the 5 s resubscribe window, so a reader can resume at once
HEARTBEAT_MS = 300

SERVER: Optional[ShoalServer] = None
_names = itertools.count()


def setUpModule() -> None:
    global SERVER
    SERVER = ShoalServer(consumer_create_delay_ms=0, update_delay_ms=0,
                         subscription_lifetime_ms=LIFETIME_MS,
                         subscription_heartbeat_ms=HEARTBEAT_MS)


def tearDownModule() -> None:
    if SERVER is not None:
        SERVER.close()


class Writer(threading.Thread):
    """Writes numbered records (one partition key) until stopped; keeps what was acknowledged."""

    def __init__(self, client, stream: str, key: str = "k", batch: int = 5,
                 pause: float = 0.01) -> None:
        super().__init__(daemon=True)
        self.client, self.stream, self.key, self.batch, self.pause = client, stream, key, batch, pause
        self.acked: List[Tuple[str, str, str]] = []  # (data, shard, sequence number)
        self.stop_event = threading.Event()
        self.error: Optional[BaseException] = None

    def run(self) -> None:
        n = 0
        try:
            while not self.stop_event.is_set():
                datas = [f"{self.key}-{n + i:06d}" for i in range(self.batch)]
                n += self.batch
                out = self.client.put_records(StreamName=self.stream, Records=[
                    {"Data": d.encode(), "PartitionKey": self.key} for d in datas])
                for d, r in zip(datas, out["Records"]):
                    if "ErrorCode" not in r:
                        self.acked.append((d, r["ShardId"], r["SequenceNumber"]))
                time.sleep(self.pause)
        except BaseException as e:  # surfaced by the test
            self.error = e

    def finish(self) -> List[Tuple[str, str, str]]:
        self.stop_event.set()
        self.join(30)
        if self.error:
            raise self.error
        return self.acked


class SubscribeTest(unittest.TestCase):
    def setUp(self) -> None:
        self.client = SERVER.boto3_client()
        self.stream = f"sub-{next(_names)}"

    def make_stream(self, shards: int = 1) -> Dict[str, Any]:
        self.client.create_stream(StreamName=self.stream, ShardCount=shards)
        wait_active(self.client, self.stream)
        arn = SERVER.stream_arn(self.stream)
        consumer = self.client.register_stream_consumer(StreamARN=arn, ConsumerName="c")["Consumer"]
        wait_until(lambda: self.client.describe_stream_consumer(
            ConsumerARN=consumer["ConsumerARN"])["ConsumerDescription"]["ConsumerStatus"] == "ACTIVE",
            what="consumer ACTIVE")
        return consumer

    def subscribe(self, consumer_arn: str, shard: str, position: Dict[str, Any]):
        return self.client.subscribe_to_shard(ConsumerARN=consumer_arn, ShardId=shard,
                                              StartingPosition=position)["EventStream"]

    def test_every_record_of_a_concurrent_writer_arrives_once_in_order_across_expiries(self) -> None:
        consumer = self.make_stream()
        writer = Writer(self.client, self.stream)
        writer.start()
        got: List[str] = []
        seqs: List[str] = []
        position: Dict[str, Any] = {"Type": "TRIM_HORIZON"}
        subscriptions = 0
        started = time.monotonic()
        while True:
            subscriptions += 1
            t0 = time.monotonic()
            events = 0
            for ev in self.subscribe(consumer["ConsumerARN"], "shardId-000000000000", position):
                e = ev["SubscribeToShardEvent"]
                events += 1
                for r in e["Records"]:
                    got.append(r["Data"].decode())
                    seqs.append(r["SequenceNumber"])
                self.assertIn("ContinuationSequenceNumber", e)
                self.assertGreaterEqual(e["MillisBehindLatest"], 0)
                position = {"Type": "AFTER_SEQUENCE_NUMBER",
                            "SequenceNumber": e["ContinuationSequenceNumber"]}
            # The server ended the stream at the end of its lifetime.
            self.assertGreater(time.monotonic() - t0, LIFETIME_MS / 1000 - 1)
            self.assertGreater(events, 0)
            if subscriptions == 2:
                break
        acked = writer.finish()
        # Catch up on what was written after the last subscription ended.
        time.sleep(5.1 - (time.monotonic() - t0 - LIFETIME_MS / 1000))
        for ev in self.subscribe(consumer["ConsumerARN"], "shardId-000000000000", position):
            e = ev["SubscribeToShardEvent"]
            for r in e["Records"]:
                got.append(r["Data"].decode())
                seqs.append(r["SequenceNumber"])
            if len(got) >= len(acked):
                break
        self.assertGreater(len(acked), 100)
        self.assertEqual(got, [a[0] for a in acked])  # each once, in order
        self.assertEqual(seqs, [a[2] for a in acked])
        self.assertGreater(time.monotonic() - started, 2 * LIFETIME_MS / 1000)

    def test_records_arrive_within_milliseconds_of_their_acknowledgement(self) -> None:
        consumer = self.make_stream()
        stream = self.subscribe(consumer["ConsumerARN"], "shardId-000000000000", {"Type": "LATEST"})
        it = iter(stream)
        latencies = []
        for i in range(20):
            t0 = time.monotonic()
            self.client.put_record(StreamName=self.stream, Data=b"%d" % i, PartitionKey="p")
            while True:
                e = next(it)["SubscribeToShardEvent"]
                if e["Records"]:
                    break
            latencies.append(time.monotonic() - t0)
            self.assertEqual(e["Records"][0]["Data"], b"%d" % i)
        stream.close()
        latencies.sort()
        print(f"\nput_record -> event p50 {latencies[10] * 1000:.2f} ms "
              f"(boto3 round trip included)")

    def test_idle_subscriptions_get_heartbeats(self) -> None:
        consumer = self.make_stream()
        stream = self.subscribe(consumer["ConsumerARN"], "shardId-000000000000", {"Type": "LATEST"})
        t0 = time.monotonic()
        conts = []
        for ev in stream:
            e = ev["SubscribeToShardEvent"]
            self.assertEqual(e["Records"], [])
            self.assertEqual(e["MillisBehindLatest"], 0)
            conts.append(e["ContinuationSequenceNumber"])
            if len(conts) == 3:
                break
        stream.close()
        self.assertLess(time.monotonic() - t0, 3 * HEARTBEAT_MS / 1000 + 2)
        self.assertEqual(len(set(conts)), 1)

    def test_a_split_ends_the_parent_with_child_shards_and_children_continue(self) -> None:
        consumer = self.make_stream()
        arn = consumer["ConsumerARN"]
        writer = Writer(self.client, self.stream, batch=3)
        writer.start()
        got: List[str] = []
        final: Optional[Dict[str, Any]] = None
        split_done = False
        for ev in self.subscribe(arn, "shardId-000000000000", {"Type": "TRIM_HORIZON"}):
            e = ev["SubscribeToShardEvent"]
            got += [r["Data"].decode() for r in e["Records"]]
            if len(got) > 30 and not split_done:
                self.client.split_shard(StreamName=self.stream, ShardToSplit="shardId-000000000000",
                                        NewStartingHashKey=str(2 ** 127))
                split_done = True
            if "ContinuationSequenceNumber" not in e:
                final = e
        self.assertIsNotNone(final, "the parent's stream ended without a final event")
        self.assertEqual(final["Records"], [])
        children = sorted(c["ShardId"] for c in final["ChildShards"])
        self.assertEqual(children, ["shardId-000000000001", "shardId-000000000002"])
        for c in final["ChildShards"]:
            self.assertEqual(c["ParentShards"], ["shardId-000000000000"])
        time.sleep(0.5)
        acked = writer.finish()
        # One key: every record after the split went to the one child owning its hash.
        for child in children:
            for ev in self.subscribe(arn, child, {"Type": "TRIM_HORIZON"}):
                e = ev["SubscribeToShardEvent"]
                got += [r["Data"].decode() for r in e["Records"]]
                if e["MillisBehindLatest"] == 0 and not e["Records"]:
                    break
        self.assertEqual(got, [a[0] for a in acked])

    def test_every_starting_position(self) -> None:
        consumer = self.make_stream()
        arn = consumer["ConsumerARN"]
        before = self.client.put_records(StreamName=self.stream, Records=[
            {"Data": b"a", "PartitionKey": "k"}, {"Data": b"b", "PartitionKey": "k"}])["Records"]
        time.sleep(1.1)  # AT_TIMESTAMP has millisecond precision; keep the two groups apart
        middle = time.time()
        after = self.client.put_records(StreamName=self.stream, Records=[
            {"Data": b"c", "PartitionKey": "k"}, {"Data": b"d", "PartitionKey": "k"}])["Records"]

        def first_batch(position: Dict[str, Any]) -> List[bytes]:
            for ev in self.subscribe(arn, "shardId-000000000000", position):
                records = ev["SubscribeToShardEvent"]["Records"]
                if records:
                    return [r["Data"] for r in records]
            return []

        cases = [
            ({"Type": "TRIM_HORIZON"}, [b"a", b"b", b"c", b"d"]),
            ({"Type": "AT_SEQUENCE_NUMBER", "SequenceNumber": before[1]["SequenceNumber"]},
             [b"b", b"c", b"d"]),
            ({"Type": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": before[1]["SequenceNumber"]},
             [b"c", b"d"]),
            ({"Type": "AT_TIMESTAMP", "Timestamp": middle}, [b"c", b"d"]),
        ]
        for position, want in cases:
            time.sleep(5.05)  # the resubscribe rule
            self.assertEqual(first_batch(position), want, position["Type"])
        time.sleep(5.05)
        latest = iter(self.subscribe(arn, "shardId-000000000000", {"Type": "LATEST"}))
        self.client.put_record(StreamName=self.stream, Data=b"e", PartitionKey="k")
        while True:
            records = next(latest)["SubscribeToShardEvent"]["Records"]
            if records:
                self.assertEqual([r["Data"] for r in records], [b"e"])
                break
        self.assertTrue(after)

    def test_errors_before_the_stream(self) -> None:
        consumer = self.make_stream()
        arn = consumer["ConsumerARN"]
        with self.assertRaises(ClientError) as cm:
            self.subscribe(arn.replace("/consumer/c:", "/consumer/nobody:"), "shardId-000000000000",
                           {"Type": "LATEST"})
        self.assertEqual(cm.exception.response["Error"]["Code"], "ResourceNotFoundException")
        with self.assertRaises(ClientError) as cm:
            self.subscribe(arn + "x", "shardId-000000000000", {"Type": "LATEST"})
        self.assertEqual(cm.exception.response["Error"]["Code"], "ValidationException")
        with self.assertRaises(ClientError) as cm:
            self.subscribe(arn, "shardId-000000000007", {"Type": "LATEST"})
        self.assertEqual(cm.exception.response["Error"]["Code"], "ResourceNotFoundException")
        with self.assertRaises(ClientError) as cm:
            self.subscribe(arn, "shardId-000000000000", {"Type": "AT_SEQUENCE_NUMBER"})
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidArgumentException")
        first = self.subscribe(arn, "shardId-000000000000", {"Type": "LATEST"})
        with self.assertRaises(ClientError) as cm:
            self.subscribe(arn, "shardId-000000000000", {"Type": "LATEST"})
        self.assertEqual(cm.exception.response["Error"]["Code"], "ResourceInUseException")
        self.assertIn("Another active subscription exists for this consumer",
                      cm.exception.response["Error"]["Message"])
        first.close()

    def test_a_newer_subscription_takes_over_after_five_seconds(self) -> None:
        consumer = self.make_stream()
        arn = consumer["ConsumerARN"]
        old = iter(self.subscribe(arn, "shardId-000000000000", {"Type": "LATEST"}))
        time.sleep(5.05)
        new = self.subscribe(arn, "shardId-000000000000", {"Type": "LATEST"})
        with self.assertRaises(EventStreamError) as cm:
            for _ in range(100):
                next(old)
        self.assertEqual(cm.exception.response["Error"]["Code"], "ResourceInUseException")
        new.close()

    def test_a_creating_consumer_is_refused(self) -> None:
        with ShoalServer(consumer_create_delay_ms=60_000) as server:
            client = server.boto3_client()
            client.create_stream(StreamName="s", ShardCount=1)
            wait_active(client, "s")
            c = client.register_stream_consumer(StreamARN=server.stream_arn("s"),
                                                ConsumerName="c")["Consumer"]
            with self.assertRaises(ClientError) as cm:
                client.subscribe_to_shard(ConsumerARN=c["ConsumerARN"], ShardId="shardId-000000000000",
                                          StartingPosition={"Type": "LATEST"})
            self.assertEqual(cm.exception.response["Error"]["Code"], "ResourceInUseException")
            self.assertIn("is not in ACTIVE status", cm.exception.response["Error"]["Message"])


if __name__ == "__main__":
    unittest.main()
