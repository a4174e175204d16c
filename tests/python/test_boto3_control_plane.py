"""End-to-end tests of the Kinesis control plane through boto3 (HTTP/1.1 + JSON 1.1).

Run from tests/python with the pyenv python3 (boto3 1.43):
    SHOAL_BIN=../../build/shoal python3 -m unittest -v test_boto3_control_plane

Most tests share one server (unique stream names per test); tests that need special server flags
(long CREATING, small quotas, short token TTL, crashes) start their own.
Client-side parameter validation is off so that out-of-range values reach the server.
"""

from __future__ import annotations

import datetime
import email.utils
import itertools
import os
import time
import unittest
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from shoal_harness import (TEST_ACCOUNT, TEST_REGION, ShoalServer, wait_active, wait_gone,
                           wait_status, wait_until)

ACCOUNT = TEST_ACCOUNT
REGION = TEST_REGION
M = 2 ** 128
NAME_PATTERN = "[a-zA-Z0-9_.-]+"

SERVER: Optional[ShoalServer] = None
_names = itertools.count()


def setUpModule() -> None:
    global SERVER
    SERVER = ShoalServer()


def tearDownModule() -> None:
    if SERVER is not None:
        SERVER.close()


def make_client(server: ShoalServer):
    return boto3.client(
        "kinesis", endpoint_url=server.endpoint, region_name=REGION,
        config=Config(parameter_validation=False, retries={"total_max_attempts": 1},
                      connect_timeout=5, read_timeout=60))


def uniq(prefix: str = "s") -> str:
    return f"{prefix}-{os.getpid()}-{next(_names)}"


def arn(name: str) -> str:
    return f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{name}"


def not_found(name: str) -> str:
    return f"Stream {name} under account {ACCOUNT} not found."


def already_exists(name: str) -> str:
    return f"Stream {name} under account {ACCOUNT} already exists."


def validation(value: Any, path: str, constraint: str) -> str:
    shown = "null" if value is None else f"'{value}'"
    return (f"1 validation error detected: Value {shown} at '{path}' failed to satisfy constraint: "
            f"Member must {constraint}")


def shard_limit_msg(current: int, limit: int, additional: int) -> str:
    return (f"This request would exceed the shard limit for the account {ACCOUNT} in {REGION}. "
            f"Current shard count for the account: {current}. Limit: {limit}. Number of additional "
            f"shards that would have resulted from this request: {additional}. Refer to the AWS "
            f"Service Limits page (http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) "
            f"for current limits and how to request higher limits.")


def expected_ranges(n: int) -> List[Tuple[int, int]]:
    step = M // n
    return [(i * step, (i + 1) * step - 1 if i < n - 1 else M - 1) for i in range(n)]


def shard_id(i: int) -> str:
    return f"shardId-{i:012d}"


def create_streams(client, specs: Iterable[Tuple[str, Dict[str, Any]]], batch: int = 5) -> None:
    """Create streams and wait for ACTIVE, at most `batch` in CREATING at a time (AWS allows 5)."""
    pending: List[str] = []
    for name, kwargs in specs:
        client.create_stream(StreamName=name, **kwargs)
        pending.append(name)
        if len(pending) >= batch:
            for p in pending:
                wait_active(client, p)
            pending = []
    for p in pending:
        wait_active(client, p)


def body_of(response: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


class KinesisTestCase(unittest.TestCase):
    server: ShoalServer

    @classmethod
    def setUpClass(cls) -> None:
        if not hasattr(cls, "server") or cls.server is None:
            cls.server = SERVER
        cls.client = make_client(cls.server)

    # -------------------------------------------------------------- helpers

    def new_stream(self, shards: int = 1, name: Optional[str] = None, client=None, **kwargs) -> str:
        client = client or self.client
        name = name or uniq(self._testMethodName.replace("test_", "")[:40].replace("_", "-"))
        client.create_stream(StreamName=name, ShardCount=shards, **kwargs)
        wait_active(client, name)
        return name

    def assert_ok_headers(self, response: Dict[str, Any]) -> None:
        meta = response["ResponseMetadata"]
        self.assertEqual(meta["HTTPStatusCode"], 200)
        headers = meta["HTTPHeaders"]
        self.assertIn("x-amzn-requestid", headers)
        self.assertIn("date", headers)

    def assert_error(self, code: Union[str, Sequence[str]], fn, *args,
                     message: Optional[str] = None, contains: Optional[str] = None,
                     **kwargs) -> Dict[str, Any]:
        """Call fn(*args, **kwargs); assert a 400 ClientError with `code` (or one of several),
        x-amzn-ErrorType == code, a request id and a Date header; optionally the exact message."""
        codes = (code,) if isinstance(code, str) else tuple(code)
        try:
            result = fn(*args, **kwargs)
        except ClientError as exc:
            response = exc.response
        else:
            self.fail(f"expected {'/'.join(codes)}, got success: {body_of(result)!r}"[:2000])
        err = response.get("Error", {})
        meta = response.get("ResponseMetadata", {})
        headers = meta.get("HTTPHeaders", {})
        self.assertIn(err.get("Code"), codes, f"unexpected error {err!r}")
        self.assertEqual(meta.get("HTTPStatusCode"), 400, f"HTTP status for {err!r}")
        self.assertEqual(headers.get("x-amzn-errortype"), err.get("Code"),
                         f"x-amzn-ErrorType header for {err!r}")
        self.assertIn("x-amzn-requestid", headers)
        self.assertIn("date", headers)
        if message is not None:
            self.assertEqual(err.get("Message"), message)
        if contains is not None:
            self.assertIn(contains, err.get("Message") or "")
        return err

    def assert_hash_ranges(self, shards: List[Dict[str, Any]], n: int) -> None:
        self.assertEqual(len(shards), n)
        for i, (shard, (start, end)) in enumerate(zip(shards, expected_ranges(n))):
            self.assertEqual(shard["ShardId"], shard_id(i))
            self.assertEqual(shard["HashKeyRange"]["StartingHashKey"], str(start), shard["ShardId"])
            self.assertEqual(shard["HashKeyRange"]["EndingHashKey"], str(end), shard["ShardId"])

    def assert_fresh_shard(self, shard: Dict[str, Any]) -> None:
        self.assertNotIn("ParentShardId", shard)
        self.assertNotIn("AdjacentParentShardId", shard)
        seq = shard["SequenceNumberRange"]
        self.assertRegex(seq["StartingSequenceNumber"], r"^(0|[1-9]\d{0,128})$")
        self.assertNotIn("EndingSequenceNumber", seq)

    def all_tags(self, name: str, client=None) -> Dict[str, str]:
        client = client or self.client
        tags: Dict[str, str] = {}
        kwargs: Dict[str, Any] = {"StreamName": name}
        while True:
            page = client.list_tags_for_stream(**kwargs)
            for t in page["Tags"]:
                tags[t["Key"]] = t.get("Value", "")
            if not page["HasMoreTags"]:
                return tags
            kwargs["ExclusiveStartTagKey"] = page["Tags"][-1]["Key"]


# =================================================================================== CreateStream

class CreateStreamTest(KinesisTestCase):

    def test_provisioned_stream_description(self):
        before = datetime.datetime.now(datetime.timezone.utc)
        name = uniq("create")
        resp = self.client.create_stream(StreamName=name, ShardCount=3)
        self.assert_ok_headers(resp)
        self.assertEqual(body_of(resp), {})
        status = self.client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"]
        self.assertIn(status, ("CREATING", "ACTIVE"))
        wait_active(self.client, name)
        after = datetime.datetime.now(datetime.timezone.utc)

        desc = self.client.describe_stream(StreamName=name)["StreamDescription"]
        self.assertEqual(desc["StreamName"], name)
        self.assertEqual(desc["StreamARN"], arn(name))
        self.assertEqual(desc["StreamStatus"], "ACTIVE")
        self.assertEqual(desc["StreamModeDetails"], {"StreamMode": "PROVISIONED"})
        self.assertFalse(desc["HasMoreShards"])
        self.assertEqual(desc["RetentionPeriodHours"], 24)
        self.assertEqual(desc["EnhancedMonitoring"], [{"ShardLevelMetrics": []}])
        self.assertEqual(desc["EncryptionType"], "NONE")
        self.assertNotIn("KeyId", desc)
        created = desc["StreamCreationTimestamp"]
        self.assertGreaterEqual(created, before - datetime.timedelta(seconds=5))
        self.assertLessEqual(created, after + datetime.timedelta(seconds=5))
        self.assert_hash_ranges(desc["Shards"], 3)
        for shard in desc["Shards"]:
            self.assert_fresh_shard(shard)

    def test_on_demand_gets_four_shards(self):
        name = uniq("ondemand")
        self.client.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
        summary = wait_active(self.client, name)
        self.assertEqual(summary["StreamModeDetails"], {"StreamMode": "ON_DEMAND"})
        self.assertEqual(summary["OpenShardCount"], 4)
        shards = self.client.list_shards(StreamName=name)["Shards"]
        self.assert_hash_ranges(shards, 4)
        summaries = {s["StreamName"]: s for s in self.client.list_streams(Limit=10000)["StreamSummaries"]}
        self.assertEqual(summaries[name]["StreamModeDetails"], {"StreamMode": "ON_DEMAND"})

    def test_explicit_provisioned_mode(self):
        name = uniq("prov")
        self.client.create_stream(StreamName=name, ShardCount=2,
                                  StreamModeDetails={"StreamMode": "PROVISIONED"})
        summary = wait_active(self.client, name)
        self.assertEqual(summary["StreamModeDetails"], {"StreamMode": "PROVISIONED"})
        self.assertEqual(summary["OpenShardCount"], 2)

    def test_on_demand_with_shard_count_is_rejected(self):
        name = uniq("ondemand-bad")
        self.assert_error(("ValidationException", "InvalidArgumentException"),
                          self.client.create_stream, StreamName=name, ShardCount=2,
                          StreamModeDetails={"StreamMode": "ON_DEMAND"})
        self.assert_error("ResourceNotFoundException", self.client.describe_stream_summary, StreamName=name)

    def test_neither_shard_count_nor_mode(self):
        name = uniq("nomode")
        self.client.create_stream(StreamName=name)
        summary = wait_active(self.client, name)
        self.assertGreaterEqual(summary["OpenShardCount"], 1)
        shards = self.client.list_shards(StreamName=name)["Shards"]
        self.assertGreaterEqual(len(shards), 1)
        self.assert_hash_ranges(shards, len(shards))

    def test_duplicate_name(self):
        name = self.new_stream(2)
        self.assert_error("ResourceInUseException", self.client.create_stream,
                          StreamName=name, ShardCount=1, message=already_exists(name))
        # The original stream is untouched.
        self.assertEqual(len(self.client.list_shards(StreamName=name)["Shards"]), 2)

    def test_create_with_tags(self):
        name = self.new_stream(1, Tags={"team": "data", "env": "test"})
        self.assertEqual(self.all_tags(name), {"team": "data", "env": "test"})

    def test_shard_count_zero(self):
        self.assert_error("ValidationException", self.client.create_stream,
                          StreamName=uniq("zero"), ShardCount=0,
                          message=validation(0, "shardCount", "have value greater than or equal to 1"))

    def test_negative_shard_count(self):
        self.assert_error("ValidationException", self.client.create_stream,
                          StreamName=uniq("neg"), ShardCount=-1,
                          message=validation(-1, "shardCount", "have value greater than or equal to 1"))

    def test_bad_name_characters(self):
        self.assert_error("ValidationException", self.client.create_stream,
                          StreamName="bad name!", ShardCount=1,
                          message=validation("bad name!", "streamName",
                                             f"satisfy regular expression pattern: {NAME_PATTERN}"))

    def test_name_too_long(self):
        name = "a" * 129
        self.assert_error("ValidationException", self.client.create_stream,
                          StreamName=name, ShardCount=1,
                          message=validation(name, "streamName", "have length less than or equal to 128"))

    def test_name_of_128_chars_is_fine(self):
        name = (uniq("long") + "-" + "x" * 128)[:128]
        self.new_stream(1, name=name)
        self.assertEqual(self.client.describe_stream_summary(StreamName=name)
                         ["StreamDescriptionSummary"]["StreamName"], name)

    def test_empty_name(self):
        self.assert_error("ValidationException", self.client.create_stream, StreamName="", ShardCount=1,
                          contains="Member must have length greater than or equal to 1")

    def test_missing_name(self):
        self.assert_error("ValidationException", self.client.create_stream, ShardCount=1,
                          message=validation(None, "streamName", "not be null"))

    def test_name_with_all_allowed_characters(self):
        name = uniq("Az09_.-")
        self.new_stream(1, name=name)
        self.assertIn(name, self.client.list_streams(Limit=10000)["StreamNames"])


# =================================================================================== DescribeStream

class DescribeStreamTest(KinesisTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.name7 = uniq("desc7")
        cls.name150 = uniq("desc150")
        create_streams(cls.client, [(cls.name7, {"ShardCount": 7}), (cls.name150, {"ShardCount": 150})])

    def test_limit_and_exclusive_start(self):
        page = self.client.describe_stream(StreamName=self.name7, Limit=3)["StreamDescription"]
        self.assertEqual([s["ShardId"] for s in page["Shards"]], [shard_id(i) for i in range(3)])
        self.assertTrue(page["HasMoreShards"])
        page = self.client.describe_stream(StreamName=self.name7, Limit=3,
                                           ExclusiveStartShardId=shard_id(2))["StreamDescription"]
        self.assertEqual([s["ShardId"] for s in page["Shards"]], [shard_id(i) for i in range(3, 6)])
        self.assertTrue(page["HasMoreShards"])
        page = self.client.describe_stream(StreamName=self.name7, Limit=3,
                                           ExclusiveStartShardId=shard_id(5))["StreamDescription"]
        self.assertEqual([s["ShardId"] for s in page["Shards"]], [shard_id(6)])
        self.assertFalse(page["HasMoreShards"])
        page = self.client.describe_stream(StreamName=self.name7,
                                           ExclusiveStartShardId=shard_id(6))["StreamDescription"]
        self.assertEqual(page["Shards"], [])
        self.assertFalse(page["HasMoreShards"])

    def test_exact_limit_has_no_more(self):
        page = self.client.describe_stream(StreamName=self.name7, Limit=7)["StreamDescription"]
        self.assertEqual(len(page["Shards"]), 7)
        self.assertFalse(page["HasMoreShards"])

    def test_limit_capped_at_100(self):
        for kwargs in ({}, {"Limit": 101}, {"Limit": 10000}):
            with self.subTest(**kwargs):
                page = self.client.describe_stream(StreamName=self.name150, **kwargs)["StreamDescription"]
                self.assertEqual(len(page["Shards"]), 100)
                self.assertTrue(page["HasMoreShards"])
        page = self.client.describe_stream(StreamName=self.name150,
                                           ExclusiveStartShardId=shard_id(99))["StreamDescription"]
        self.assertEqual([s["ShardId"] for s in page["Shards"]], [shard_id(i) for i in range(100, 150)])
        self.assertFalse(page["HasMoreShards"])

    def test_paginator(self):
        pages = list(self.client.get_paginator("describe_stream").paginate(StreamName=self.name150))
        self.assertEqual(len(pages), 2)
        shards = [s for p in pages for s in p["StreamDescription"]["Shards"]]
        self.assert_hash_ranges(shards, 150)
        result = self.client.get_paginator("describe_stream").paginate(
            StreamName=self.name7, PaginationConfig={"PageSize": 2}).build_full_result()
        self.assert_hash_ranges(result["StreamDescription"]["Shards"], 7)
        self.assertEqual(result["StreamDescription"]["StreamName"], self.name7)

    def test_limit_out_of_range(self):
        self.assert_error("ValidationException", self.client.describe_stream, StreamName=self.name7, Limit=0,
                          message=validation(0, "limit", "have value greater than or equal to 1"))
        self.assert_error("ValidationException", self.client.describe_stream, StreamName=self.name7,
                          Limit=10001,
                          message=validation(10001, "limit", "have value less than or equal to 10000"))

    def test_bad_exclusive_start_shard_id(self):
        self.assert_error("ValidationException", self.client.describe_stream, StreamName=self.name7,
                          ExclusiveStartShardId="shard id!",
                          message=validation("shard id!", "exclusiveStartShardId",
                                             f"satisfy regular expression pattern: {NAME_PATTERN}"))

    def test_missing_stream(self):
        name = uniq("missing")
        self.assert_error("ResourceNotFoundException", self.client.describe_stream, StreamName=name,
                          message=not_found(name))

    def test_bad_name(self):
        self.assert_error("ValidationException", self.client.describe_stream, StreamName="no/slash",
                          message=validation("no/slash", "streamName",
                                             f"satisfy regular expression pattern: {NAME_PATTERN}"))

    def test_waiters(self):
        name = uniq("waiter")
        self.client.create_stream(StreamName=name, ShardCount=1)
        self.client.get_waiter("stream_exists").wait(StreamName=name,
                                                     WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
        self.assertEqual(self.client.describe_stream(StreamName=name)["StreamDescription"]["StreamStatus"],
                         "ACTIVE")
        self.client.delete_stream(StreamName=name)
        self.client.get_waiter("stream_not_exists").wait(StreamName=name,
                                                         WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
        self.assert_error("ResourceNotFoundException", self.client.describe_stream, StreamName=name)


# =================================================================================== DescribeStreamSummary

class DescribeStreamSummaryTest(KinesisTestCase):

    def test_fields(self):
        name = self.new_stream(5)
        resp = self.client.describe_stream_summary(StreamName=name)
        self.assert_ok_headers(resp)
        s = resp["StreamDescriptionSummary"]
        self.assertEqual(s["StreamName"], name)
        self.assertEqual(s["StreamARN"], arn(name))
        self.assertEqual(s["StreamStatus"], "ACTIVE")
        self.assertEqual(s["StreamModeDetails"], {"StreamMode": "PROVISIONED"})
        self.assertEqual(s["RetentionPeriodHours"], 24)
        self.assertEqual(s["EnhancedMonitoring"], [{"ShardLevelMetrics": []}])
        self.assertEqual(s["EncryptionType"], "NONE")
        self.assertEqual(s["OpenShardCount"], 5)
        self.assertEqual(s.get("ConsumerCount", 0), 0)
        self.assertIsInstance(s["StreamCreationTimestamp"], datetime.datetime)
        # A StreamId would make clients bypass the custom endpoint (spec §1.1).
        self.assertNotIn("StreamId", s)
        if "MaxRecordSizeInKiB" in s:
            self.assertEqual(s["MaxRecordSizeInKiB"], 1024)

    def test_missing_stream(self):
        name = uniq("missing")
        self.assert_error("ResourceNotFoundException", self.client.describe_stream_summary,
                          StreamName=name, message=not_found(name))

    def test_neither_name_nor_arn(self):
        self.assert_error(("InvalidArgumentException", "ValidationException"),
                          self.client.describe_stream_summary)


# =================================================================================== ListStreams

class ListStreamsTest(KinesisTestCase):
    """Runs on its own server so that the set of streams is known exactly."""

    @classmethod
    def setUpClass(cls):
        cls.server = ShoalServer(create_delay_ms=0, delete_delay_ms=0)
        super().setUpClass()
        cls.names = [f"list-{i:03d}" for i in range(105)]
        create_streams(cls.client, [(n, {"ShardCount": 1}) for n in cls.names])
        cls.client.create_stream(StreamName="list-ondemand", StreamModeDetails={"StreamMode": "ON_DEMAND"})
        wait_active(cls.client, "list-ondemand")
        cls.all_names = sorted(cls.names + ["list-ondemand"])

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_default_limit_is_100(self):
        resp = self.client.list_streams()
        self.assert_ok_headers(resp)
        self.assertEqual(resp["StreamNames"], self.all_names[:100])
        self.assertTrue(resp["HasMoreStreams"])
        self.assertIn("NextToken", resp)
        summaries = resp["StreamSummaries"]
        self.assertEqual([s["StreamName"] for s in summaries], self.all_names[:100])
        first = summaries[0]
        self.assertEqual(first["StreamARN"], arn(first["StreamName"]))
        self.assertEqual(first["StreamStatus"], "ACTIVE")
        self.assertEqual(first["StreamModeDetails"], {"StreamMode": "PROVISIONED"})
        self.assertIsInstance(first["StreamCreationTimestamp"], datetime.datetime)

    def test_limit_capped_at_100(self):
        resp = self.client.list_streams(Limit=10000)
        self.assertEqual(len(resp["StreamNames"]), 100)
        self.assertTrue(resp["HasMoreStreams"])

    def test_limit_and_next_token(self):
        seen: List[str] = []
        kwargs: Dict[str, Any] = {"Limit": 40}
        pages = 0
        while True:
            resp = self.client.list_streams(**kwargs)
            pages += 1
            seen += resp["StreamNames"]
            self.assertEqual([s["StreamName"] for s in resp["StreamSummaries"]], resp["StreamNames"])
            if not resp["HasMoreStreams"]:
                self.assertNotIn("NextToken", resp)
                break
            self.assertEqual(len(resp["StreamNames"]), 40)
            kwargs = {"NextToken": resp["NextToken"], "Limit": 40}
        self.assertEqual(pages, 3)
        self.assertEqual(seen, self.all_names)

    def test_exclusive_start_stream_name(self):
        resp = self.client.list_streams(Limit=3, ExclusiveStartStreamName="list-010")
        self.assertEqual(resp["StreamNames"], ["list-011", "list-012", "list-013"])
        self.assertTrue(resp["HasMoreStreams"])
        last = self.all_names[-1]
        resp = self.client.list_streams(ExclusiveStartStreamName=self.all_names[-2])
        self.assertEqual(resp["StreamNames"], [last])
        self.assertFalse(resp["HasMoreStreams"])
        # A name that does not exist still positions the listing (names sort after it).
        resp = self.client.list_streams(Limit=2, ExclusiveStartStreamName="list-050a")
        self.assertEqual(resp["StreamNames"], ["list-051", "list-052"])

    def test_paginator(self):
        result = self.client.get_paginator("list_streams").paginate(
            PaginationConfig={"PageSize": 7}).build_full_result()
        self.assertEqual(result["StreamNames"], self.all_names)
        self.assertEqual([s["StreamName"] for s in result["StreamSummaries"]], self.all_names)
        modes = {s["StreamName"]: s["StreamModeDetails"]["StreamMode"] for s in result["StreamSummaries"]}
        self.assertEqual(modes["list-ondemand"], "ON_DEMAND")
        result = self.client.get_paginator("list_streams").paginate().build_full_result()
        self.assertEqual(result["StreamNames"], self.all_names)

    def test_limit_out_of_range(self):
        self.assert_error("ValidationException", self.client.list_streams, Limit=0,
                          message=validation(0, "limit", "have value greater than or equal to 1"))
        self.assert_error("ValidationException", self.client.list_streams, Limit=10001,
                          message=validation(10001, "limit", "have value less than or equal to 10000"))

    def test_deleted_streams_disappear(self):
        self.client.create_stream(StreamName="zz-temp", ShardCount=1)
        try:
            wait_active(self.client, "zz-temp")
            self.assertEqual(self.client.list_streams(ExclusiveStartStreamName="zz")["StreamNames"],
                             ["zz-temp"])
        finally:  # other tests here expect exactly the list-* streams
            self.client.delete_stream(StreamName="zz-temp")
            wait_gone(self.client, "zz-temp")
        resp = self.client.list_streams(ExclusiveStartStreamName="zz")
        self.assertEqual(resp["StreamNames"], [])
        self.assertEqual(resp.get("StreamSummaries", []), [])
        self.assertFalse(resp["HasMoreStreams"])


# =================================================================================== ListShards

class ListShardsTest(KinesisTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.name = uniq("shards5")
        create_streams(cls.client, [(cls.name, {"ShardCount": 5})])

    def ids(self, shards):
        return [s["ShardId"] for s in shards]

    def test_all_shards(self):
        resp = self.client.list_shards(StreamName=self.name)
        self.assert_ok_headers(resp)
        self.assertNotIn("NextToken", resp)
        self.assert_hash_ranges(resp["Shards"], 5)
        for shard in resp["Shards"]:
            self.assert_fresh_shard(shard)
        # Same shards as DescribeStream.
        self.assertEqual(resp["Shards"], self.client.describe_stream(StreamName=self.name)
                         ["StreamDescription"]["Shards"])

    def test_by_arn(self):
        resp = self.client.list_shards(StreamARN=arn(self.name))
        self.assertEqual(self.ids(resp["Shards"]), [shard_id(i) for i in range(5)])

    def test_max_results_and_next_token_alone(self):
        resp = self.client.list_shards(StreamName=self.name, MaxResults=2)
        self.assertEqual(self.ids(resp["Shards"]), [shard_id(0), shard_id(1)])
        token = resp["NextToken"]
        resp = self.client.list_shards(NextToken=token, MaxResults=2)
        self.assertEqual(self.ids(resp["Shards"]), [shard_id(2), shard_id(3)])
        resp = self.client.list_shards(NextToken=resp["NextToken"])
        self.assertEqual(self.ids(resp["Shards"]), [shard_id(4)])
        self.assertNotIn("NextToken", resp)
        # Tokens can be reused until they expire.
        resp = self.client.list_shards(NextToken=token, MaxResults=10)
        self.assertEqual(self.ids(resp["Shards"]), [shard_id(i) for i in range(2, 5)])

    def test_next_token_with_same_stream_name(self):
        # boto3's paginator re-sends StreamName with the token; shoal accepts it when the name matches.
        token = self.client.list_shards(StreamName=self.name, MaxResults=3)["NextToken"]
        resp = self.client.list_shards(StreamName=self.name, NextToken=token, MaxResults=3)
        self.assertEqual(self.ids(resp["Shards"]), [shard_id(3), shard_id(4)])

    def test_next_token_with_other_stream_name(self):
        token = self.client.list_shards(StreamName=self.name, MaxResults=3)["NextToken"]
        self.assert_error("InvalidArgumentException", self.client.list_shards,
                          StreamName=uniq("other"), NextToken=token)

    def test_next_token_with_exclusive_start_shard_id(self):
        token = self.client.list_shards(StreamName=self.name, MaxResults=3)["NextToken"]
        self.assert_error("InvalidArgumentException", self.client.list_shards, NextToken=token,
                          ExclusiveStartShardId=shard_id(0),
                          message="NextToken and ExclusiveStartShardId cannot be provided together.")

    def test_garbage_next_token(self):
        self.assert_error(("InvalidArgumentException", "ExpiredNextTokenException"),
                          self.client.list_shards, NextToken="not-a-token")

    def test_paginator(self):
        result = self.client.get_paginator("list_shards").paginate(
            StreamName=self.name, PaginationConfig={"PageSize": 2}).build_full_result()
        self.assert_hash_ranges(result["Shards"], 5)

    def test_paginator_with_filter(self):
        # Page 2 carries StreamName + ShardFilter + MaxResults + NextToken (spec Appendix B).
        result = self.client.get_paginator("list_shards").paginate(
            StreamName=self.name, ShardFilter={"Type": "AT_LATEST"},
            PaginationConfig={"PageSize": 1}).build_full_result()
        self.assert_hash_ranges(result["Shards"], 5)

    def test_exclusive_start_shard_id(self):
        resp = self.client.list_shards(StreamName=self.name, ExclusiveStartShardId=shard_id(2))
        self.assertEqual(self.ids(resp["Shards"]), [shard_id(3), shard_id(4)])
        resp = self.client.list_shards(StreamName=self.name, ExclusiveStartShardId=shard_id(4))
        self.assertEqual(resp["Shards"], [])

    def test_shard_filters(self):
        now = datetime.datetime.now(datetime.timezone.utc)
        all_ids = [shard_id(i) for i in range(5)]
        cases = [
            ({"Type": "AFTER_SHARD_ID", "ShardId": shard_id(1)}, all_ids[2:]),
            ({"Type": "AT_TRIM_HORIZON"}, all_ids),
            ({"Type": "FROM_TRIM_HORIZON"}, all_ids),
            ({"Type": "AT_LATEST"}, all_ids),
            ({"Type": "AT_TIMESTAMP", "Timestamp": now}, all_ids),
            ({"Type": "FROM_TIMESTAMP", "Timestamp": now}, all_ids),
            ({"Type": "FROM_TIMESTAMP", "Timestamp": now - datetime.timedelta(days=30)}, all_ids),
        ]
        for flt, expected in cases:
            with self.subTest(filter=flt["Type"]):
                resp = self.client.list_shards(StreamName=self.name, ShardFilter=flt)
                self.assertEqual(self.ids(resp["Shards"]), expected)

    def test_shard_filter_missing_companion(self):
        for flt in ({"Type": "AFTER_SHARD_ID"}, {"Type": "AT_TIMESTAMP"}, {"Type": "FROM_TIMESTAMP"}):
            with self.subTest(filter=flt["Type"]):
                self.assert_error(("InvalidArgumentException", "ValidationException"),
                                  self.client.list_shards, StreamName=self.name, ShardFilter=flt)

    def test_shard_filter_bad_type(self):
        self.assert_error("ValidationException", self.client.list_shards, StreamName=self.name,
                          ShardFilter={"Type": "SIDEWAYS"}, contains="Member must satisfy enum value set")

    def test_max_results_out_of_range(self):
        self.assert_error("ValidationException", self.client.list_shards, StreamName=self.name, MaxResults=0,
                          message=validation(0, "maxResults", "have value greater than or equal to 1"))
        self.assert_error("ValidationException", self.client.list_shards, StreamName=self.name,
                          MaxResults=10001,
                          message=validation(10001, "maxResults", "have value less than or equal to 10000"))

    def test_missing_stream(self):
        name = uniq("missing")
        self.assert_error("ResourceNotFoundException", self.client.list_shards, StreamName=name,
                          message=not_found(name))

    def test_neither_name_nor_token(self):
        self.assert_error(("InvalidArgumentException", "ValidationException"), self.client.list_shards)


class ListShardsTokenExpiryTest(KinesisTestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = ShoalServer(next_token_ttl_seconds=1)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_expired_next_token(self):
        name = self.new_stream(3)
        token = self.client.list_shards(StreamName=name, MaxResults=1)["NextToken"]
        self.assertEqual(len(self.client.list_shards(NextToken=token)["Shards"]), 2)
        time.sleep(2.5)
        self.assert_error("ExpiredNextTokenException", self.client.list_shards, NextToken=token)
        # A fresh listing works again.
        self.assertEqual(len(self.client.list_shards(StreamName=name)["Shards"]), 3)


class BigStreamTest(KinesisTestCase):
    """A 1200-shard stream: ListShards pages of at most 1000, paginators across the cap."""

    N = 1200

    @classmethod
    def setUpClass(cls):
        cls.server = ShoalServer(shard_limit=5000)
        super().setUpClass()
        cls.name = "big"
        cls.client.create_stream(StreamName=cls.name, ShardCount=cls.N)
        wait_active(cls.client, cls.name, timeout=120)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_list_shards_cap_1000(self):
        for kwargs in ({}, {"MaxResults": 10000}):
            with self.subTest(**kwargs):
                resp = self.client.list_shards(StreamName=self.name, **kwargs)
                self.assertEqual(len(resp["Shards"]), 1000)
                self.assertIn("NextToken", resp)
                rest = self.client.list_shards(NextToken=resp["NextToken"], **kwargs)
                self.assertEqual(len(rest["Shards"]), self.N - 1000)
                self.assertNotIn("NextToken", rest)
                self.assert_hash_ranges(resp["Shards"] + rest["Shards"], self.N)

    def test_list_shards_paginator(self):
        pages = list(self.client.get_paginator("list_shards").paginate(StreamName=self.name))
        self.assertEqual([len(p["Shards"]) for p in pages], [1000, self.N - 1000])
        self.assert_hash_ranges([s for p in pages for s in p["Shards"]], self.N)

    def test_describe_stream_paginator(self):
        result = self.client.get_paginator("describe_stream").paginate(
            StreamName=self.name).build_full_result()
        self.assert_hash_ranges(result["StreamDescription"]["Shards"], self.N)

    def test_counts(self):
        summary = self.client.describe_stream_summary(StreamName=self.name)["StreamDescriptionSummary"]
        self.assertEqual(summary["OpenShardCount"], self.N)
        limits = self.client.describe_limits()
        self.assertEqual(limits["ShardLimit"], 5000)
        self.assertEqual(limits["OpenShardCount"], self.N)


# =================================================================================== hash ranges

class HashRangeTest(KinesisTestCase):

    def test_layouts(self):
        for n in (1, 2, 3, 4, 5, 7):
            with self.subTest(shards=n):
                name = self.new_stream(n)
                self.assert_hash_ranges(self.client.list_shards(StreamName=name)["Shards"], n)

    def test_three_shards_literal(self):
        # The values kinesalite asserted against AWS (spec §4.2).
        name = self.new_stream(3)
        ranges = [(s["HashKeyRange"]["StartingHashKey"], s["HashKeyRange"]["EndingHashKey"])
                  for s in self.client.describe_stream(StreamName=name)["StreamDescription"]["Shards"]]
        self.assertEqual(ranges, [
            ("0", "113427455640312821154458202477256070484"),
            ("113427455640312821154458202477256070485", "226854911280625642308916404954512140969"),
            ("226854911280625642308916404954512140970", "340282366920938463463374607431768211455"),
        ])

    def test_four_shards_literal(self):
        name = self.new_stream(4)
        starts = [s["HashKeyRange"]["StartingHashKey"]
                  for s in self.client.list_shards(StreamName=name)["Shards"]]
        self.assertEqual(starts, ["0", "85070591730234615865843651857942052864",
                                  "170141183460469231731687303715884105728",
                                  "255211775190703847597530955573826158592"])


# =================================================================================== retention

class RetentionTest(KinesisTestCase):

    def retention(self, name: str) -> int:
        return self.client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
            "RetentionPeriodHours"]

    def test_increase_and_decrease(self):
        name = self.new_stream()
        resp = self.client.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
        self.assert_ok_headers(resp)
        self.assertEqual(body_of(resp), {})
        self.assertEqual(self.retention(name), 48)
        self.assertEqual(self.client.describe_stream(StreamName=name)["StreamDescription"]
                         ["RetentionPeriodHours"], 48)
        self.client.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=8760)
        self.assertEqual(self.retention(name), 8760)
        self.client.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=100)
        self.assertEqual(self.retention(name), 100)
        self.client.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=24)
        self.assertEqual(self.retention(name), 24)

    def test_equal_values_are_accepted(self):
        name = self.new_stream()
        self.client.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=24)
        self.client.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=24)
        self.assertEqual(self.retention(name), 24)

    def test_below_minimum(self):
        name = self.new_stream()
        msg = "Minimum allowed retention period is 24 hours. Requested retention period (23 hours) is too short."
        self.assert_error("InvalidArgumentException", self.client.decrease_stream_retention_period,
                          StreamName=name, RetentionPeriodHours=23, message=msg)
        self.assert_error("InvalidArgumentException", self.client.increase_stream_retention_period,
                          StreamName=name, RetentionPeriodHours=23, message=msg)
        self.assertEqual(self.retention(name), 24)

    def test_above_maximum(self):
        name = self.new_stream()
        self.assert_error("InvalidArgumentException", self.client.increase_stream_retention_period,
                          StreamName=name, RetentionPeriodHours=8761, contains="8761")
        self.assertEqual(self.retention(name), 24)

    def test_decrease_above_current(self):
        name = self.new_stream()
        self.assert_error(
            "InvalidArgumentException", self.client.decrease_stream_retention_period,
            StreamName=name, RetentionPeriodHours=48,
            message=(f"Requested retention period (48 hours) for stream {name} can not be longer than "
                     f"existing retention period (24 hours). Use IncreaseRetentionPeriod API."))

    def test_increase_below_current(self):
        name = self.new_stream()
        self.client.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=72)
        self.assert_error(
            "InvalidArgumentException", self.client.increase_stream_retention_period,
            StreamName=name, RetentionPeriodHours=48,
            message=(f"Requested retention period (48 hours) for stream {name} can not be shorter than "
                     f"existing retention period (72 hours). Use DecreaseRetentionPeriod API."))
        self.assertEqual(self.retention(name), 72)

    def test_missing_stream(self):
        name = uniq("missing")
        for fn in (self.client.increase_stream_retention_period, self.client.decrease_stream_retention_period):
            with self.subTest(fn=fn.__name__):
                self.assert_error("ResourceNotFoundException", fn, StreamName=name, RetentionPeriodHours=48
                                  if fn is self.client.increase_stream_retention_period else 24,
                                  message=not_found(name))

    def test_missing_hours(self):
        name = self.new_stream()
        self.assert_error("ValidationException", self.client.increase_stream_retention_period,
                          StreamName=name,
                          message=validation(None, "retentionPeriodHours", "not be null"))


# =================================================================================== tags

class TagsTest(KinesisTestCase):

    def test_add_list_overwrite_remove(self):
        name = self.new_stream()
        self.assertEqual(self.client.list_tags_for_stream(StreamName=name)["Tags"], [])
        resp = self.client.add_tags_to_stream(StreamName=name, Tags={"b": "2", "a": "1", "c": ""})
        self.assert_ok_headers(resp)
        self.assertEqual(body_of(resp), {})
        resp = self.client.list_tags_for_stream(StreamName=name)
        self.assertEqual([t["Key"] for t in resp["Tags"]], ["a", "b", "c"])
        self.assertFalse(resp["HasMoreTags"])
        self.assertEqual(self.all_tags(name), {"a": "1", "b": "2", "c": ""})
        self.client.add_tags_to_stream(StreamName=name, Tags={"a": "one"})
        self.assertEqual(self.all_tags(name), {"a": "one", "b": "2", "c": ""})
        resp = self.client.remove_tags_from_stream(StreamName=name, TagKeys=["b", "does-not-exist"])
        self.assertEqual(body_of(resp), {})
        self.assertEqual(self.all_tags(name), {"a": "one", "c": ""})

    def test_unicode_and_allowed_symbols(self):
        name = self.new_stream()
        tags = {"ü0 _./=+-@": "value ü _./=+-@", "k": "v" * 256, "x" * 128: "long key"}
        self.client.add_tags_to_stream(StreamName=name, Tags=tags)
        self.assertEqual(self.all_tags(name), tags)

    def test_pagination(self):
        name = self.new_stream()
        tags = {f"k{i:02d}": f"v{i}" for i in range(12)}
        self.client.add_tags_to_stream(StreamName=name, Tags=tags)
        resp = self.client.list_tags_for_stream(StreamName=name, Limit=5)
        self.assertEqual([t["Key"] for t in resp["Tags"]], [f"k{i:02d}" for i in range(5)])
        self.assertTrue(resp["HasMoreTags"])
        resp = self.client.list_tags_for_stream(StreamName=name, Limit=5, ExclusiveStartTagKey="k04")
        self.assertEqual([t["Key"] for t in resp["Tags"]], [f"k{i:02d}" for i in range(5, 10)])
        self.assertTrue(resp["HasMoreTags"])
        resp = self.client.list_tags_for_stream(StreamName=name, Limit=5, ExclusiveStartTagKey="k09")
        self.assertEqual([t["Key"] for t in resp["Tags"]], ["k10", "k11"])
        self.assertFalse(resp["HasMoreTags"])
        resp = self.client.list_tags_for_stream(StreamName=name, ExclusiveStartTagKey="k05a")
        self.assertEqual([t["Key"] for t in resp["Tags"]], [f"k{i:02d}" for i in range(6, 12)])
        self.assertEqual(self.all_tags(name), tags)

    def test_limit_out_of_range(self):
        name = self.new_stream()
        self.assert_error("ValidationException", self.client.list_tags_for_stream, StreamName=name, Limit=0,
                          message=validation(0, "limit", "have value greater than or equal to 1"))
        self.assert_error("ValidationException", self.client.list_tags_for_stream, StreamName=name, Limit=51,
                          message=validation(51, "limit", "have value less than or equal to 50"))

    def test_fifty_tags_maximum(self):
        name = self.new_stream()
        tags = {f"key{i:02d}": str(i) for i in range(50)}
        self.client.add_tags_to_stream(StreamName=name, Tags=tags)
        self.assertEqual(len(self.all_tags(name)), 50)
        # Overwriting existing keys does not count against the limit.
        self.client.add_tags_to_stream(StreamName=name, Tags={"key00": "new", "key49": "new"})
        self.assert_error("InvalidArgumentException", self.client.add_tags_to_stream,
                          StreamName=name, Tags={"one-too-many": "x"})
        self.assert_error("InvalidArgumentException", self.client.tag_resource,
                          ResourceARN=arn(name), Tags={"one-too-many": "x"})
        final = self.all_tags(name)
        self.assertEqual(len(final), 50)
        self.assertEqual(final["key00"], "new")
        self.assertNotIn("one-too-many", final)

    def test_fifty_one_tags_in_one_request(self):
        name = self.new_stream()
        self.assert_error("InvalidArgumentException", self.client.add_tags_to_stream,
                          StreamName=name, Tags={f"key{i:02d}": "v" for i in range(51)})
        self.assertEqual(self.all_tags(name), {})

    def test_create_stream_tags_count(self):
        name = self.new_stream(Tags={f"c{i:02d}": "v" for i in range(40)})
        self.client.add_tags_to_stream(StreamName=name, Tags={f"a{i:02d}": "v" for i in range(10)})
        self.assert_error("InvalidArgumentException", self.client.add_tags_to_stream,
                          StreamName=name, Tags={"z": "v"})

    def test_invalid_tag_characters(self):
        name = self.new_stream()
        self.assert_error("InvalidArgumentException", self.client.add_tags_to_stream,
                          StreamName=name, Tags={"semi;colon": "v"})
        self.assertEqual(self.all_tags(name), {})

    def test_empty_requests(self):
        name = self.new_stream()
        self.assert_error("ValidationException", self.client.add_tags_to_stream, StreamName=name, Tags={},
                          contains="Member must have length greater than or equal to 1")
        self.assert_error("ValidationException", self.client.remove_tags_from_stream,
                          StreamName=name, TagKeys=[],
                          contains="Member must have length greater than or equal to 1")
        self.assert_error("ValidationException", self.client.remove_tags_from_stream,
                          StreamName=name, TagKeys=[f"k{i}" for i in range(51)],
                          contains="Member must have length less than or equal to 50")
        self.assert_error("ValidationException", self.client.add_tags_to_stream, StreamName=name,
                          message=validation(None, "tags", "not be null"))

    def test_missing_stream(self):
        name = uniq("missing")
        self.assert_error("ResourceNotFoundException", self.client.add_tags_to_stream,
                          StreamName=name, Tags={"a": "b"}, message=not_found(name))
        self.assert_error("ResourceNotFoundException", self.client.list_tags_for_stream,
                          StreamName=name, message=not_found(name))
        self.assert_error("ResourceNotFoundException", self.client.remove_tags_from_stream,
                          StreamName=name, TagKeys=["a"], message=not_found(name))

    def test_resource_tagging_by_arn(self):
        name = self.new_stream()
        resource = arn(name)
        resp = self.client.tag_resource(ResourceARN=resource, Tags={"x": "1", "y": "2", "z": ""})
        self.assert_ok_headers(resp)
        self.assertEqual(body_of(resp), {})
        tags = self.client.list_tags_for_resource(ResourceARN=resource)["Tags"]
        self.assertEqual({t["Key"]: t.get("Value", "") for t in tags}, {"x": "1", "y": "2", "z": ""})
        # Both APIs see the same tags.
        self.assertEqual(self.all_tags(name), {"x": "1", "y": "2", "z": ""})
        self.client.add_tags_to_stream(StreamName=name, Tags={"w": "0"})
        resp = self.client.untag_resource(ResourceARN=resource, TagKeys=["x", "nope"])
        self.assertEqual(body_of(resp), {})
        tags = self.client.list_tags_for_resource(ResourceARN=resource)["Tags"]
        self.assertEqual({t["Key"]: t.get("Value", "") for t in tags}, {"w": "0", "y": "2", "z": ""})

    def test_resource_tagging_missing_stream(self):
        resource = arn(uniq("missing"))
        for fn, kwargs in ((self.client.tag_resource, {"Tags": {"a": "b"}}),
                           (self.client.untag_resource, {"TagKeys": ["a"]}),
                           (self.client.list_tags_for_resource, {})):
            with self.subTest(fn=fn.__name__):
                self.assert_error("ResourceNotFoundException", fn, ResourceARN=resource, **kwargs)

    def test_resource_tagging_bad_arn(self):
        self.assert_error("ValidationException", self.client.list_tags_for_resource,
                          ResourceARN=f"arn:aws:kinesis:{REGION}:{ACCOUNT}:bucket/foo",
                          contains="failed to satisfy constraint")

    def test_tags_dropped_with_stream(self):
        name = self.new_stream(Tags={"old": "1"})
        self.client.delete_stream(StreamName=name)
        wait_gone(self.client, name)
        self.client.create_stream(StreamName=name, ShardCount=1)
        wait_active(self.client, name)
        self.assertEqual(self.all_tags(name), {})


# =================================================================================== ARN addressing

class ArnAddressingTest(KinesisTestCase):

    def test_every_stream_operation_by_arn(self):
        name = self.new_stream(2)
        a = arn(name)
        c = self.client
        self.assertEqual(c.describe_stream(StreamARN=a)["StreamDescription"]["StreamName"], name)
        self.assertEqual(c.describe_stream_summary(StreamARN=a)["StreamDescriptionSummary"]["StreamName"], name)
        self.assertEqual(len(c.list_shards(StreamARN=a)["Shards"]), 2)
        c.add_tags_to_stream(StreamARN=a, Tags={"k": "v", "k2": "v2"})
        self.assertEqual(c.list_tags_for_stream(StreamARN=a)["Tags"],
                         [{"Key": "k", "Value": "v"}, {"Key": "k2", "Value": "v2"}])
        c.remove_tags_from_stream(StreamARN=a, TagKeys=["k2"])
        self.assertEqual(c.list_tags_for_stream(StreamARN=a)["Tags"], [{"Key": "k", "Value": "v"}])
        c.increase_stream_retention_period(StreamARN=a, RetentionPeriodHours=30)
        self.assertEqual(c.describe_stream_summary(StreamARN=a)["StreamDescriptionSummary"]
                         ["RetentionPeriodHours"], 30)
        c.decrease_stream_retention_period(StreamARN=a, RetentionPeriodHours=25)
        self.assertEqual(c.describe_stream(StreamARN=a)["StreamDescription"]["RetentionPeriodHours"], 25)
        c.delete_stream(StreamARN=a, EnforceConsumerDeletion=True)
        wait_gone(c, name)

    def test_name_and_arn_together(self):
        name = self.new_stream()
        desc = self.client.describe_stream_summary(StreamName=name, StreamARN=arn(name))
        self.assertEqual(desc["StreamDescriptionSummary"]["StreamARN"], arn(name))

    def test_name_and_arn_mismatch(self):
        name = self.new_stream()
        other = self.new_stream()
        self.assert_error("InvalidArgumentException", self.client.describe_stream_summary,
                          StreamName=name, StreamARN=arn(other))

    def test_arn_of_missing_stream(self):
        name = uniq("missing")
        self.assert_error("ResourceNotFoundException", self.client.describe_stream_summary,
                          StreamARN=arn(name), message=not_found(name))
        self.assert_error("ResourceNotFoundException", self.client.delete_stream, StreamARN=arn(name),
                          message=not_found(name))


# =================================================================================== DeleteStream

class DeleteStreamTest(KinesisTestCase):

    def test_delete(self):
        name = self.new_stream(2)
        resp = self.client.delete_stream(StreamName=name)
        self.assert_ok_headers(resp)
        self.assertEqual(body_of(resp), {})
        try:
            status = self.client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"]
            self.assertEqual(status, "DELETING")
        except ClientError as exc:
            self.assertEqual(exc.response["Error"]["Code"], "ResourceNotFoundException")
        wait_gone(self.client, name)
        self.assert_error("ResourceNotFoundException", self.client.describe_stream, StreamName=name,
                          message=not_found(name))
        self.assert_error("ResourceNotFoundException", self.client.list_shards, StreamName=name)
        self.assertNotIn(name, self.client.list_streams(Limit=10000, ExclusiveStartStreamName=name[:-1])
                         ["StreamNames"])

    def test_enforce_consumer_deletion(self):
        name = self.new_stream()
        self.client.delete_stream(StreamName=name, EnforceConsumerDeletion=True)
        wait_gone(self.client, name)
        name = self.new_stream()
        self.client.delete_stream(StreamName=name, EnforceConsumerDeletion=False)
        wait_gone(self.client, name)

    def test_missing_stream(self):
        name = uniq("missing")
        self.assert_error("ResourceNotFoundException", self.client.delete_stream, StreamName=name,
                          message=not_found(name))

    def test_bad_name(self):
        self.assert_error("ValidationException", self.client.delete_stream, StreamName="a b",
                          message=validation("a b", "streamName",
                                             f"satisfy regular expression pattern: {NAME_PATTERN}"))

    def test_recreate_same_name(self):
        name = self.new_stream(3, Tags={"gen": "1"})
        self.client.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
        first = self.client.describe_stream(StreamName=name)["StreamDescription"]
        self.client.delete_stream(StreamName=name)
        wait_gone(self.client, name)
        time.sleep(0.01)
        self.client.create_stream(StreamName=name, ShardCount=2)
        wait_active(self.client, name)
        second = self.client.describe_stream(StreamName=name)["StreamDescription"]
        self.assert_hash_ranges(second["Shards"], 2)
        self.assertEqual(second["RetentionPeriodHours"], 24)
        self.assertEqual(self.all_tags(name), {})
        self.assertEqual(second["StreamARN"], arn(name))
        self.assertGreaterEqual(second["StreamCreationTimestamp"], first["StreamCreationTimestamp"])


# =================================================================================== limits

class DescribeLimitsTest(KinesisTestCase):

    def test_shape_on_shared_server(self):
        resp = self.client.describe_limits()
        self.assert_ok_headers(resp)
        self.assertEqual(resp["ShardLimit"], 20000)
        self.assertEqual(resp["OnDemandStreamCountLimit"], 50)
        self.assertGreaterEqual(resp["OpenShardCount"], 0)
        self.assertGreaterEqual(resp["OnDemandStreamCount"], 0)

    def test_describe_account_settings(self):
        resp = self.client.describe_account_settings()
        self.assert_ok_headers(resp)
        commitment = resp.get("MinimumThroughputBillingCommitment", {"Status": "DISABLED"})
        self.assertEqual(commitment["Status"], "DISABLED")


class ShardLimitTest(KinesisTestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = ShoalServer(shard_limit=10)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_shard_quota(self):
        c = self.client
        limits = c.describe_limits()
        self.assertEqual((limits["ShardLimit"], limits["OpenShardCount"]), (10, 0))
        self.new_stream(6, name="six")
        self.assertEqual(c.describe_limits()["OpenShardCount"], 6)
        self.assert_error("LimitExceededException", c.create_stream, StreamName="five", ShardCount=5,
                          message=shard_limit_msg(6, 10, 5))
        self.assert_error("ResourceNotFoundException", c.describe_stream_summary, StreamName="five")
        self.new_stream(4, name="four")
        self.assertEqual(c.describe_limits()["OpenShardCount"], 10)
        self.assert_error("LimitExceededException", c.create_stream, StreamName="one", ShardCount=1,
                          message=shard_limit_msg(10, 10, 1))
        # Deleting a stream gives its shards back.
        c.delete_stream(StreamName="four")
        wait_gone(c, "four")
        self.assertEqual(c.describe_limits()["OpenShardCount"], 6)
        self.new_stream(4, name="four-again")
        self.assertEqual(c.describe_limits()["OpenShardCount"], 10)
        c.delete_stream(StreamName="four-again")
        c.delete_stream(StreamName="six")
        wait_gone(c, "four-again")
        wait_gone(c, "six")
        self.assert_error("LimitExceededException", c.create_stream, StreamName="eleven", ShardCount=11,
                          message=shard_limit_msg(0, 10, 11))


class OnDemandLimitTest(KinesisTestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = ShoalServer(on_demand_stream_limit=2)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_on_demand_stream_quota(self):
        c = self.client
        for name in ("od1", "od2"):
            c.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
            wait_active(c, name)
        limits = c.describe_limits()
        self.assertEqual(limits["OnDemandStreamCountLimit"], 2)
        self.assertEqual(limits["OnDemandStreamCount"], 2)
        self.assert_error("LimitExceededException", c.create_stream, StreamName="od3",
                          StreamModeDetails={"StreamMode": "ON_DEMAND"})
        self.assert_error("ResourceNotFoundException", c.describe_stream_summary, StreamName="od3")
        # Provisioned streams are not limited by the on-demand quota.
        self.new_stream(1, name="prov")
        c.delete_stream(StreamName="od1")
        wait_gone(c, "od1")
        self.assertEqual(c.describe_limits()["OnDemandStreamCount"], 1)
        c.create_stream(StreamName="od3", StreamModeDetails={"StreamMode": "ON_DEMAND"})
        wait_active(c, "od3")


# =================================================================================== CREATING / DELETING states

class SlowLifecycleTest(KinesisTestCase):
    """CREATING and DELETING last 2 s here, so the in-between states can be observed."""

    DELAY_MS = 2000

    @classmethod
    def setUpClass(cls):
        cls.server = ShoalServer(create_delay_ms=cls.DELAY_MS, delete_delay_ms=cls.DELAY_MS)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def creating_stream(self, shards: int = 2) -> str:
        name = uniq("slow")
        self.client.create_stream(StreamName=name, ShardCount=shards)
        return name

    def test_describe_while_creating(self):
        name = self.creating_stream(3)
        desc = self.client.describe_stream(StreamName=name)["StreamDescription"]
        self.assertEqual(desc["StreamStatus"], "CREATING")
        self.assertEqual(desc["Shards"], [])
        self.assertFalse(desc["HasMoreShards"])
        summary = self.client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        self.assertEqual(summary["StreamStatus"], "CREATING")
        listed = {s["StreamName"]: s for s in self.client.list_streams(Limit=10000)["StreamSummaries"]}
        self.assertEqual(listed[name]["StreamStatus"], "CREATING")
        # ... and later ACTIVE with its shards.
        wait_active(self.client, name)
        self.assert_hash_ranges(self.client.describe_stream(StreamName=name)["StreamDescription"]["Shards"], 3)

    def test_list_shards_while_creating(self):
        name = self.creating_stream()
        self.assert_error("ResourceInUseException", self.client.list_shards, StreamName=name)

    def test_tags_while_creating(self):
        name = self.creating_stream()
        self.assert_error("ResourceInUseException", self.client.add_tags_to_stream,
                          StreamName=name, Tags={"a": "b"})
        self.assert_error("ResourceInUseException", self.client.remove_tags_from_stream,
                          StreamName=name, TagKeys=["a"])
        self.assert_error("ResourceInUseException", self.client.tag_resource,
                          ResourceARN=arn(name), Tags={"a": "b"})
        self.assert_error("ResourceInUseException", self.client.untag_resource,
                          ResourceARN=arn(name), TagKeys=["a"])

    def test_duplicate_while_creating(self):
        name = self.creating_stream()
        self.assert_error("ResourceInUseException", self.client.create_stream, StreamName=name,
                          ShardCount=1, message=already_exists(name))

    def test_deleting_state(self):
        name = self.creating_stream(1)
        wait_active(self.client, name)
        self.client.delete_stream(StreamName=name)
        summary = self.client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        self.assertEqual(summary["StreamStatus"], "DELETING")
        self.assertEqual(self.client.describe_stream(StreamName=name)["StreamDescription"]["StreamStatus"],
                         "DELETING")
        listed = {s["StreamName"]: s for s in self.client.list_streams(Limit=10000)["StreamSummaries"]}
        if name in listed:
            self.assertEqual(listed[name]["StreamStatus"], "DELETING")
        self.assert_error("ResourceInUseException", self.client.create_stream, StreamName=name,
                          ShardCount=1, message=already_exists(name))
        wait_gone(self.client, name)
        self.client.create_stream(StreamName=name, ShardCount=1)
        wait_active(self.client, name)


# =================================================================================== persistence

class PersistenceTest(unittest.TestCase):
    """State survives kill -9 (and a clean stop) on the same data dir."""

    def setUp(self):
        self.server: Optional[ShoalServer] = None

    def tearDown(self):
        if self.server is not None:
            self.server.close()

    def start(self, **flags) -> Any:
        if self.server is None:
            self.server = ShoalServer(**flags)
        return make_client(self.server)

    def snapshot(self, client) -> Dict[str, Any]:
        state: Dict[str, Any] = {}
        names = client.get_paginator("list_streams").paginate().build_full_result()
        state["names"] = names["StreamNames"]
        state["summaries"] = names["StreamSummaries"]
        for name in names["StreamNames"]:
            desc = client.get_paginator("describe_stream").paginate(StreamName=name).build_full_result()
            summary = client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
            tags = client.list_tags_for_stream(StreamName=name)["Tags"]
            state[name] = {"describe": desc, "summary": summary, "tags": tags}
        limits = client.describe_limits()
        state["limits"] = body_of(limits)
        return state

    def populate(self, client) -> None:
        client.create_stream(StreamName="p-three", ShardCount=3, Tags={"team": "a"})
        client.create_stream(StreamName="p-ondemand", StreamModeDetails={"StreamMode": "ON_DEMAND"})
        client.create_stream(StreamName="p-recreated", ShardCount=5, Tags={"gen": "1"})
        client.create_stream(StreamName="p-deleted", ShardCount=1)
        for n in ("p-three", "p-ondemand", "p-recreated", "p-deleted"):
            wait_active(client, n)
        client.add_tags_to_stream(StreamName="p-three", Tags={"env": "prod", "x": "y"})
        client.remove_tags_from_stream(StreamName="p-three", TagKeys=["x"])
        client.increase_stream_retention_period(StreamName="p-three", RetentionPeriodHours=168)
        client.increase_stream_retention_period(StreamName="p-ondemand", RetentionPeriodHours=100)
        client.decrease_stream_retention_period(StreamName="p-ondemand", RetentionPeriodHours=48)
        client.tag_resource(ResourceARN=arn("p-ondemand"), Tags={"via": "arn"})
        client.delete_stream(StreamName="p-recreated")
        client.delete_stream(StreamName="p-deleted")
        wait_gone(client, "p-recreated")
        wait_gone(client, "p-deleted")
        client.create_stream(StreamName="p-recreated", ShardCount=2, Tags={"gen": "2"})
        wait_active(client, "p-recreated")

    def test_state_survives_kill9(self):
        client = self.start()
        self.populate(client)
        before = self.snapshot(client)
        self.assertEqual(before["names"], ["p-ondemand", "p-recreated", "p-three"])
        self.assertEqual(before["p-three"]["summary"]["RetentionPeriodHours"], 168)
        self.assertEqual(before["p-three"]["tags"], [{"Key": "env", "Value": "prod"},
                                                     {"Key": "team", "Value": "a"}])
        self.assertEqual(len(before["p-recreated"]["describe"]["StreamDescription"]["Shards"]), 2)

        for cycle in range(2):
            with self.subTest(cycle=cycle):
                self.server.kill9()
                self.server.restart()
                client = make_client(self.server)
                after = self.snapshot(client)
                self.assertEqual(after, before)

        # The recovered server keeps working: new streams, new shard ids, tags.
        client.create_stream(StreamName="p-new", ShardCount=2)
        wait_active(client, "p-new")
        self.assertEqual(len(client.list_shards(StreamName="p-new")["Shards"]), 2)
        client.add_tags_to_stream(StreamName="p-three", Tags={"after": "restart"})
        self.server.kill9()
        self.server.restart()
        client = make_client(self.server)
        self.assertEqual(client.list_streams()["StreamNames"], ["p-new", "p-ondemand", "p-recreated", "p-three"])
        tags = {t["Key"]: t["Value"] for t in client.list_tags_for_stream(StreamName="p-three")["Tags"]}
        self.assertEqual(tags, {"env": "prod", "team": "a", "after": "restart"})

    def test_state_survives_clean_stop(self):
        client = self.start()
        self.populate(client)
        before = self.snapshot(client)
        self.assertEqual(self.server.stop(), 0, "shoal should exit 0 on SIGTERM")
        self.server.restart()
        self.assertEqual(self.snapshot(make_client(self.server)), before)

    def test_stream_creating_at_crash_becomes_active(self):
        client = self.start(create_delay_ms=3000)
        client.create_stream(StreamName="mid-create", ShardCount=3, Tags={"k": "v"})
        self.assertEqual(client.describe_stream_summary(StreamName="mid-create")
                         ["StreamDescriptionSummary"]["StreamStatus"], "CREATING")
        self.server.kill9()
        self.server.restart()
        client = make_client(self.server)
        status = client.describe_stream_summary(StreamName="mid-create")["StreamDescriptionSummary"]["StreamStatus"]
        self.assertIn(status, ("CREATING", "ACTIVE"))
        wait_active(client, "mid-create", timeout=20)
        shards = client.list_shards(StreamName="mid-create")["Shards"]
        self.assertEqual(len(shards), 3)
        for i, (shard, (start, end)) in enumerate(zip(shards, expected_ranges(3))):
            self.assertEqual((shard["ShardId"], shard["HashKeyRange"]["StartingHashKey"],
                              shard["HashKeyRange"]["EndingHashKey"]), (shard_id(i), str(start), str(end)))
        self.assertEqual(client.list_tags_for_stream(StreamName="mid-create")["Tags"], [{"Key": "k", "Value": "v"}])
        # Still ACTIVE after another crash.
        self.server.kill9()
        self.server.restart()
        client = make_client(self.server)
        self.assertEqual(client.describe_stream_summary(StreamName="mid-create")
                         ["StreamDescriptionSummary"]["StreamStatus"], "ACTIVE")

    def test_stream_deleting_at_crash_goes_away(self):
        client = self.start(delete_delay_ms=3000)
        client.create_stream(StreamName="mid-delete", ShardCount=1)
        wait_active(client, "mid-delete")
        client.delete_stream(StreamName="mid-delete")
        self.server.kill9()
        self.server.restart()
        client = make_client(self.server)
        wait_gone(client, "mid-delete", timeout=20)
        client.create_stream(StreamName="mid-delete", ShardCount=2)
        wait_active(client, "mid-delete")
        self.assertEqual(len(client.list_shards(StreamName="mid-delete")["Shards"]), 2)


# =================================================================================== raw protocol

class ProtocolTest(KinesisTestCase):
    """Requests boto3 cannot produce: missing auth, unknown targets, broken bodies."""

    def assert_raw_error(self, resp, code: str, message: Optional[str] = None) -> None:
        self.assertEqual(resp.status, 400, resp)
        self.assertEqual(resp.headers.get("x-amzn-errortype"), code, resp)
        self.assertIn("x-amzn-requestid", resp.headers)
        self.assertIn("date", resp.headers)
        body = resp.json()
        self.assertEqual(body.get("__type"), code, resp)
        if message is not None:
            self.assertEqual(body.get("message", body.get("Message")), message, resp)

    def test_success_headers(self):
        resp = self.server.request("ListStreams", {})
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.headers.get("content-type"), "application/x-amz-json-1.1")
        self.assertTrue(resp.headers.get("x-amzn-requestid"))
        date = email.utils.parsedate_to_datetime(resp.headers["date"])
        self.assertLess(abs((date - datetime.datetime.now(datetime.timezone.utc)).total_seconds()), 120)
        self.assertIn("StreamNames", resp.json())
        other = self.server.request("ListStreams", {})
        self.assertNotEqual(resp.headers["x-amzn-requestid"], other.headers["x-amzn-requestid"])

    def test_empty_output_operation(self):
        name = uniq("raw")
        resp = self.server.request("CreateStream", {"StreamName": name, "ShardCount": 1})
        self.assertEqual(resp.status, 200, resp)
        self.assertIn(resp.body, (b"", b"{}"))
        wait_active(self.client, name)

    def test_missing_authentication(self):
        resp = self.server.request("ListStreams", {}, sign=False)
        self.assert_raw_error(resp, "MissingAuthenticationTokenException", "Missing Authentication Token")

    def test_unknown_operation(self):
        self.assert_raw_error(self.server.request("FlyToTheMoon", {}), "UnknownOperationException")
        self.assert_raw_error(self.server.request(None, {}, target="Kinesis_20990101.ListStreams"),
                              "UnknownOperationException")

    def test_missing_target(self):
        self.assert_raw_error(self.server.request(None, {}), "UnknownOperationException")

    def test_malformed_json(self):
        self.assert_raw_error(self.server.request("CreateStream", b'{"StreamName": "x", '),
                              "SerializationException")
        self.assert_raw_error(self.server.request("ListStreams", b"[1, 2]"), "SerializationException")

    def test_wrong_member_type(self):
        self.assert_raw_error(self.server.request("CreateStream", {"StreamName": "x", "ShardCount": "three"}),
                              "SerializationException")

    def test_empty_body_is_accepted(self):
        resp = self.server.request("ListStreams", b"")
        self.assertEqual(resp.status, 200, resp)
        self.assertIn("StreamNames", resp.json())

    def test_validation_error_shape(self):
        resp = self.server.request("DescribeStream", {"StreamName": "bad name"})
        self.assert_raw_error(resp, "ValidationException",
                              validation("bad name", "streamName",
                                         f"satisfy regular expression pattern: {NAME_PATTERN}"))

    def test_not_found_shape(self):
        resp = self.server.request("DescribeStreamSummary", {"StreamName": "nope-raw"})
        self.assert_raw_error(resp, "ResourceNotFoundException", not_found("nope-raw"))


if __name__ == "__main__":
    unittest.main()
