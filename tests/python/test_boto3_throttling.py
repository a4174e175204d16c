"""End-to-end tests of throughput limits through boto3, against a server started with
`--limits aws` (kinesis-api-spec.md §3.1, §3.2, Appendix A; docs/design/limits.md):

* PutRecords to one shard faster than 1,000 records/s or 1 MiB/s: the entries over the budget carry
  ErrorCode ProvisionedThroughputExceededException with AWS's message, the others succeed;
* PutRecord over the budget fails with ProvisionedThroughputExceededException, and boto3 with
  standard retries gets every record of a fast PutRecord loop through;
* GetRecords more than 5 times a second on one shard, GetShardIterator more than 5 times a second;
* control-plane rates (LimitExceededException).

Run from tests/python with the pyenv python3 (boto3):
    SHOAL_BIN=../../build/shoal python3 -m unittest -v test_boto3_throttling
"""

from __future__ import annotations

import itertools
import time
import unittest
from typing import Optional

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from shoal_harness import TEST_ACCOUNT, TEST_REGION, ShoalServer, wait_active

KiB = 1024
THROTTLED = "ProvisionedThroughputExceededException"

SERVER: Optional[ShoalServer] = None
_names = itertools.count()


def setUpModule() -> None:
    global SERVER
    SERVER = ShoalServer(tmp_prefix="e2e-throttle-", limits="aws")


def tearDownModule() -> None:
    if SERVER is not None:
        SERVER.close()


def client(max_attempts: int = 1):
    return boto3.client(
        "kinesis", endpoint_url=SERVER.endpoint, region_name=TEST_REGION,
        config=Config(retries={"total_max_attempts": max_attempts, "mode": "standard"},
                      connect_timeout=5, read_timeout=60))


def rate_message(stream: str, shard: str = "shardId-000000000000") -> str:
    return f"Rate exceeded for shard {shard} in stream {stream} under account {TEST_ACCOUNT}."


class ThrottlingTest(unittest.TestCase):
    def setUp(self) -> None:
        self.kinesis = client()
        # Control-plane calls of the test's own set-up retry through their rate limits.
        self.control = client(max_attempts=10)

    def new_stream(self, shards: int = 1) -> str:
        name = f"thr-{next(_names)}-{self._testMethodName[-20:]}"
        self.control.create_stream(StreamName=name, ShardCount=shards)
        wait_active(self.control, name)
        return name

    def test_put_records_rejects_entries_over_the_shard_budget(self) -> None:
        name = self.new_stream()
        data = b"x" * (KiB - 8)  # + an 8-character key: 1 KiB per record
        results = []
        start = time.monotonic()
        for batch in range(3):
            records = [{"Data": data, "PartitionKey": f"k{batch}{i:06d}"} for i in range(500)]
            resp = self.kinesis.put_records(StreamName=name, Records=records)
            failed = [e for e in resp["Records"] if "ErrorCode" in e]
            self.assertEqual(resp["FailedRecordCount"], len(failed))
            results.extend(resp["Records"])
        elapsed = time.monotonic() - start
        ok = [e for e in results if "SequenceNumber" in e]
        throttled = [e for e in results if "ErrorCode" in e]
        self.assertEqual(len(ok) + len(throttled), 1500)
        self.assertGreater(len(throttled), 0, "1,500 records in %.2f s were not throttled" % elapsed)
        # About one second's burst, plus what refilled while the requests ran.
        self.assertGreaterEqual(len(ok), 1000)
        self.assertLessEqual(len(ok), 1000 + int(elapsed * 1000) + 1)
        for e in throttled:
            self.assertEqual(e["ErrorCode"], THROTTLED)
            self.assertEqual(e["ErrorMessage"], rate_message(name))
            self.assertNotIn("ShardId", e)
        for e in ok:
            self.assertEqual(e["ShardId"], "shardId-000000000000")
        # Only the accepted records were stored.
        it = self.kinesis.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000",
                                             ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        got = self.kinesis.get_records(ShardIterator=it)
        self.assertEqual([r["SequenceNumber"] for r in got["Records"]],
                         [e["SequenceNumber"] for e in ok])

    def test_put_record_throttled_then_sdk_retries_succeed(self) -> None:
        name = self.new_stream()
        big = b"y" * (100 * KiB)  # 1 MiB/s: about ten of these per second
        # Without retries, a burst past 1 MiB fails with the exception and AWS's message.
        errors = []
        for i in range(20):
            try:
                self.kinesis.put_record(StreamName=name, Data=big, PartitionKey=f"p{i}")
            except ClientError as exc:
                errors.append(exc)
        self.assertTrue(errors, "20 x 100 KiB at once were not throttled")
        err = errors[0].response
        self.assertEqual(err["Error"]["Code"], THROTTLED)
        self.assertEqual(err["Error"]["Message"], rate_message(name))
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], 400)

        # boto3's standard retry mode backs off on the exception; every record gets through.
        retrying = client(max_attempts=10)
        retries = 0
        sequence_numbers = []
        for i in range(30):
            resp = retrying.put_record(StreamName=name, Data=big, PartitionKey=f"q{i}")
            retries += resp["ResponseMetadata"]["RetryAttempts"]
            sequence_numbers.append(int(resp["SequenceNumber"]))
        self.assertGreater(retries, 0, "the loop was never throttled")
        self.assertEqual(sequence_numbers, sorted(sequence_numbers))

    def test_get_records_more_than_five_a_second(self) -> None:
        name = self.new_stream()
        self.kinesis.put_record(StreamName=name, Data=b"r", PartitionKey="k")
        it = self.kinesis.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000",
                                             ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        outcomes = []
        start = time.monotonic()
        for _ in range(10):
            try:
                resp = self.kinesis.get_records(ShardIterator=it)
                outcomes.append(resp)
                it = resp["NextShardIterator"]
            except ClientError as exc:
                outcomes.append(exc)
        elapsed = time.monotonic() - start
        self.assertLess(elapsed, 1.0, "too slow to test the 5 calls/s limit")
        errors = [o for o in outcomes if isinstance(o, ClientError)]
        self.assertEqual(len(outcomes) - len(errors), 5)
        for exc in errors:
            self.assertEqual(exc.response["Error"]["Code"], THROTTLED)
            self.assertEqual(exc.response["Error"]["Message"], rate_message(name))
        # The throttled calls consumed nothing: after a second, the read goes on.
        time.sleep(1.0)
        resp = client(max_attempts=10).get_records(ShardIterator=it)
        self.assertIn("NextShardIterator", resp)

    def test_get_shard_iterator_more_than_five_a_second(self) -> None:
        name = self.new_stream(shards=2)
        codes = []
        for _ in range(8):
            try:
                self.kinesis.get_shard_iterator(StreamName=name, ShardId="shardId-000000000001",
                                                ShardIteratorType="LATEST")
                codes.append("ok")
            except ClientError as exc:
                codes.append(exc.response["Error"]["Code"])
                self.assertEqual(exc.response["Error"]["Message"],
                                 rate_message(name, "shardId-000000000001"))
        self.assertEqual(codes.count("ok"), 5)
        self.assertEqual(codes.count(THROTTLED), 3)
        # The other shard has its own budget.
        self.kinesis.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000",
                                        ShardIteratorType="LATEST")

    def test_control_plane_rates(self) -> None:
        time.sleep(1.1)  # a full DescribeLimits budget
        self.kinesis.describe_limits()
        with self.assertRaises(ClientError) as ctx:
            self.kinesis.describe_limits()
        self.assertEqual(ctx.exception.response["Error"]["Code"], "LimitExceededException")
        self.assertEqual(ctx.exception.response["Error"]["Message"],
                         f"Rate exceeded for account {TEST_ACCOUNT}.")
        # DescribeStream: 10 per second per account.
        name = self.new_stream()
        time.sleep(1.1)
        codes = []
        for _ in range(15):
            try:
                self.kinesis.describe_stream(StreamName=name)
                codes.append("ok")
            except ClientError as exc:
                codes.append(exc.response["Error"]["Code"])
                self.assertEqual(exc.response["Error"]["Message"],
                                 f"Rate exceeded for stream {name} under account {TEST_ACCOUNT}.")
        self.assertGreaterEqual(codes.count("ok"), 10)
        self.assertIn("LimitExceededException", codes)
        # The SDK retries LimitExceededException.
        client(max_attempts=10).describe_stream(StreamName=name)


if __name__ == "__main__":
    unittest.main()
