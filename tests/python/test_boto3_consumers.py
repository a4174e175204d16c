"""End-to-end tests of enhanced fan-out consumers through boto3 (HTTP/1.1 + JSON 1.1):
RegisterStreamConsumer, DescribeStreamConsumer, ListStreamConsumers, DeregisterStreamConsumer,
DeleteStream's EnforceConsumerDeletion, ConsumerCount, tags on consumer ARNs, persistence.

Run from tests/python with the pyenv python3:
    SHOAL_BIN=../../build/shoal python3 -m unittest -v test_boto3_consumers

Most tests share one server (unique stream names per test); tests that need other consumer
delays (instant, very long) or a crash start their own. Client-side parameter validation is
off so that out-of-range values reach the server.
"""

from __future__ import annotations

import datetime
import itertools
import os
import time
import unittest
from typing import Any, Dict, Optional

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from shoal_harness import (TEST_ACCOUNT, TEST_REGION, ShoalServer, wait_active, wait_gone,
                           wait_until)

ACCOUNT = TEST_ACCOUNT
REGION = TEST_REGION
CONSUMER_DELAY_MS = 300

SERVER: Optional[ShoalServer] = None
_names = itertools.count()


def setUpModule() -> None:
    global SERVER
    SERVER = ShoalServer(consumer_create_delay_ms=CONSUMER_DELAY_MS,
                         consumer_delete_delay_ms=CONSUMER_DELAY_MS)


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


def validation(value: Any, path: str, constraint: str) -> str:
    shown = "null" if value is None else f"'{value}'"
    return (f"1 validation error detected: Value {shown} at '{path}' failed to satisfy constraint: "
            f"Member must {constraint}")


CONSUMER_ARN_PATTERN = (r"^(arn):aws.*:kinesis:.*:\d{12}:.*stream\/[a-zA-Z0-9_.-]+\/consumer\/"
                        r"[a-zA-Z0-9_.-]+:[0-9]+")


class ConsumerTestCase(unittest.TestCase):
    server: Optional[ShoalServer] = None

    @classmethod
    def setUpClass(cls) -> None:
        if cls.server is None:
            cls.server = SERVER
        cls.client = make_client(cls.server)

    def new_stream(self, shards: int = 1) -> str:
        name = uniq(self._testMethodName.replace("test_", "")[:40].replace("_", "-"))
        self.client.create_stream(StreamName=name, ShardCount=shards)
        wait_active(self.client, name)
        return name

    def assert_error(self, code: str, fn, *args, message: Optional[str] = None,
                     contains: Optional[str] = None, **kwargs) -> Dict[str, Any]:
        with self.assertRaises(ClientError) as ctx:
            fn(*args, **kwargs)
        err = ctx.exception.response
        self.assertEqual(err["Error"]["Code"], code, err)
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertEqual(err["ResponseMetadata"]["HTTPHeaders"].get("x-amzn-errortype"), code)
        if message is not None:
            self.assertEqual(err["Error"]["Message"], message)
        if contains is not None:
            self.assertIn(contains, err["Error"]["Message"])
        return err

    def describe(self, **kwargs) -> Dict[str, Any]:
        return self.client.describe_stream_consumer(**kwargs)["ConsumerDescription"]

    def wait_consumer(self, consumer_arn: str, status: str) -> Dict[str, Any]:
        def check():
            d = self.describe(ConsumerARN=consumer_arn)
            return d if d["ConsumerStatus"] == status else None
        return wait_until(check, what=f"consumer {consumer_arn} to be {status}")

    def wait_consumer_gone(self, consumer_arn: str) -> None:
        def check():
            try:
                self.describe(ConsumerARN=consumer_arn)
            except ClientError as exc:
                return exc.response["Error"]["Code"] == "ResourceNotFoundException"
            return False
        wait_until(check, what=f"consumer {consumer_arn} to disappear")

    def register_active(self, stream: str, name: str, **kwargs) -> str:
        c = self.client.register_stream_consumer(StreamARN=arn(stream), ConsumerName=name,
                                                 **kwargs)["Consumer"]
        self.wait_consumer(c["ConsumerARN"], "ACTIVE")
        return c["ConsumerARN"]

    def consumer_count(self, stream: str) -> int:
        return self.client.describe_stream_summary(
            StreamName=stream)["StreamDescriptionSummary"]["ConsumerCount"]


class RegisterAndDescribeTest(ConsumerTestCase):
    def test_register_is_creating_then_active(self):
        s = self.new_stream()
        before = time.time()
        r = self.client.register_stream_consumer(StreamARN=arn(s), ConsumerName="app.1-x_Y")
        c = r["Consumer"]
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertEqual(set(c), {"ConsumerName", "ConsumerARN", "ConsumerStatus",
                                  "ConsumerCreationTimestamp"})
        self.assertEqual(c["ConsumerName"], "app.1-x_Y")
        self.assertEqual(c["ConsumerStatus"], "CREATING")
        created = c["ConsumerCreationTimestamp"]
        self.assertIsInstance(created, datetime.datetime)
        self.assertLessEqual(abs(created.timestamp() - before), 5)
        self.assertEqual(c["ConsumerARN"],
                         f"{arn(s)}/consumer/app.1-x_Y:{int(created.timestamp())}")
        d = self.describe(ConsumerARN=c["ConsumerARN"])
        self.assertEqual(d["StreamARN"], arn(s))
        self.assertIn(d["ConsumerStatus"], ("CREATING", "ACTIVE"))
        active = self.wait_consumer(c["ConsumerARN"], "ACTIVE")
        self.assertEqual(active["ConsumerCreationTimestamp"], created)
        by_name = self.describe(StreamARN=arn(s), ConsumerName="app.1-x_Y")
        self.assertEqual(by_name, active)
        both = self.describe(StreamARN=arn(s), ConsumerName="app.1-x_Y",
                             ConsumerARN=c["ConsumerARN"])
        self.assertEqual(both, active)
        self.assertEqual(self.consumer_count(s), 1)

    def test_register_errors(self):
        s = self.new_stream()
        self.register_active(s, "c")
        self.assert_error("ResourceInUseException", self.client.register_stream_consumer,
                          StreamARN=arn(s), ConsumerName="c",
                          message=f"Consumer c under stream {s} under account {ACCOUNT} "
                                  f"already exists.")
        self.assert_error("ResourceNotFoundException", self.client.register_stream_consumer,
                          StreamARN=arn("missing-" + s), ConsumerName="c",
                          message=f"Stream missing-{s} under account {ACCOUNT} not found.")
        self.assert_error("ValidationException", self.client.register_stream_consumer,
                          StreamARN=arn(s), ConsumerName="bad name",
                          message=validation("bad name", "consumerName",
                                             "satisfy regular expression pattern: "
                                             "[a-zA-Z0-9_.-]+"))
        self.assert_error("ValidationException", self.client.register_stream_consumer,
                          StreamARN=arn(s), ConsumerName="c" * 129,
                          message=validation("c" * 129, "consumerName",
                                             "have length less than or equal to 128"))
        self.assert_error("ValidationException", self.client.register_stream_consumer,
                          StreamARN=arn(s),
                          message=validation(None, "consumerName", "not be null"))
        self.assert_error("ValidationException", self.client.register_stream_consumer,
                          StreamARN="not-an-arn", ConsumerName="c",
                          message=validation("not-an-arn", "streamARN",
                                             r"satisfy regular expression pattern: "
                                             r"arn:aws.*:kinesis:.*:\d{12}:stream/\S+"))
        self.assert_error("InvalidArgumentException", self.client.register_stream_consumer,
                          StreamARN=arn(s), ConsumerName="t", Tags={"bad\tkey": "v"})
        # A 128-character name is fine.
        self.client.register_stream_consumer(StreamARN=arn(s), ConsumerName="n" * 128)

    def test_lookup_rules_and_errors(self):
        s = self.new_stream()
        other = self.new_stream()
        consumer_arn = self.register_active(s, "c")
        self.assert_error("InvalidArgumentException", self.client.describe_stream_consumer,
                          message="Either ConsumerARN or both StreamARN and ConsumerName must "
                                  "be provided.")
        self.assert_error("InvalidArgumentException", self.client.describe_stream_consumer,
                          StreamARN=arn(s))
        self.assert_error("InvalidArgumentException", self.client.describe_stream_consumer,
                          ConsumerName="c")
        self.assert_error("InvalidArgumentException", self.client.describe_stream_consumer,
                          StreamARN=arn(other), ConsumerARN=consumer_arn,
                          contains="do not refer to the same stream")
        self.assert_error("InvalidArgumentException", self.client.describe_stream_consumer,
                          ConsumerName="d", ConsumerARN=consumer_arn,
                          contains="do not refer to the same consumer")
        self.assert_error("ResourceNotFoundException", self.client.describe_stream_consumer,
                          StreamARN=arn(s), ConsumerName="d",
                          message=f"Consumer d under stream {s} under account {ACCOUNT} "
                                  f"not found.")
        stale = consumer_arn.rsplit(":", 1)[0] + ":12345"
        self.assert_error("ResourceNotFoundException", self.client.describe_stream_consumer,
                          ConsumerARN=stale, message=f"Consumer {stale} not found.")
        self.assert_error("ValidationException", self.client.describe_stream_consumer,
                          ConsumerARN=arn(s),
                          message=validation(arn(s), "consumerARN",
                                             "satisfy regular expression pattern: "
                                             + CONSUMER_ARN_PATTERN))
        self.assert_error("ValidationException", self.client.describe_stream_consumer,
                          StreamARN=arn(s), ConsumerName="",
                          contains="Member must have length greater than or equal to 1")


class DeregisterTest(ConsumerTestCase):
    def test_deregister_by_arn_and_by_name(self):
        s = self.new_stream()
        a = self.register_active(s, "a")
        b = self.register_active(s, "b")
        r = self.client.deregister_stream_consumer(ConsumerARN=a)
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertIn(self.describe(ConsumerARN=a)["ConsumerStatus"], ("DELETING",))
        self.client.deregister_stream_consumer(StreamARN=arn(s), ConsumerName="b")
        self.client.deregister_stream_consumer(ConsumerARN=a)  # DELETING: no change, no error
        self.wait_consumer_gone(a)
        self.wait_consumer_gone(b)
        self.assertEqual(self.consumer_count(s), 0)
        self.assert_error("ResourceNotFoundException", self.client.deregister_stream_consumer,
                          ConsumerARN=a)
        self.assert_error("InvalidArgumentException", self.client.deregister_stream_consumer,
                          StreamARN=arn(s))
        # The name is free again, under a new ARN; the old ARN names nothing.
        c = self.client.register_stream_consumer(StreamARN=arn(s), ConsumerName="a")["Consumer"]
        self.assertNotEqual(c["ConsumerARN"], a)
        self.assert_error("ResourceNotFoundException", self.client.describe_stream_consumer,
                          ConsumerARN=a)

    def test_deregister_while_creating(self):
        s = self.new_stream()
        c = self.client.register_stream_consumer(StreamARN=arn(s), ConsumerName="c")["Consumer"]
        self.client.deregister_stream_consumer(ConsumerARN=c["ConsumerARN"])
        self.wait_consumer_gone(c["ConsumerARN"])


class ListTest(ConsumerTestCase):
    def test_pagination(self):
        s = self.new_stream()
        names = ["g", "b", "e", "a", "f", "c", "d"]
        for n in names:
            self.register_active(s, n)
        seen = []
        token = None
        pages = 0
        while True:
            kwargs = {"StreamARN": arn(s), "MaxResults": 3}
            if token:
                kwargs["NextToken"] = token
            page = self.client.list_stream_consumers(**kwargs)
            pages += 1
            for c in page["Consumers"]:
                self.assertEqual(set(c), {"ConsumerName", "ConsumerARN", "ConsumerStatus",
                                          "ConsumerCreationTimestamp"})
                self.assertEqual(c["ConsumerStatus"], "ACTIVE")
                seen.append(c["ConsumerName"])
            token = page.get("NextToken")
            if not token:
                break
        self.assertEqual(pages, 3)
        self.assertEqual(seen, sorted(names))
        # boto3's paginator.
        paginator = self.client.get_paginator("list_stream_consumers")
        pages = list(paginator.paginate(StreamARN=arn(s), PaginationConfig={"PageSize": 2}))
        self.assertEqual(len(pages), 4)
        self.assertEqual([c["ConsumerName"] for p in pages for c in p["Consumers"]], sorted(names))
        everything = self.client.list_stream_consumers(StreamARN=arn(s))
        self.assertEqual(len(everything["Consumers"]), 7)
        self.assertNotIn("NextToken", everything)

    def test_list_errors_and_creation_timestamp(self):
        s = self.new_stream()
        other = self.new_stream()
        self.register_active(s, "c")
        self.assertEqual(self.client.list_stream_consumers(StreamARN=arn(other))["Consumers"], [])
        self.assert_error("ValidationException", self.client.list_stream_consumers,
                          StreamARN=arn(s), MaxResults=0,
                          message=validation(0, "maxResults",
                                             "have value greater than or equal to 1"))
        self.assert_error("ValidationException", self.client.list_stream_consumers,
                          StreamARN=arn(s), MaxResults=10001,
                          message=validation(10001, "maxResults",
                                             "have value less than or equal to 10000"))
        self.assert_error("ValidationException", self.client.list_stream_consumers,
                          message=validation(None, "streamARN", "not be null"))
        self.assert_error("InvalidArgumentException", self.client.list_stream_consumers,
                          StreamARN=arn(s), NextToken="garbage")
        self.register_active(s, "d")
        token = self.client.list_stream_consumers(StreamARN=arn(s), MaxResults=1)["NextToken"]
        self.assert_error("InvalidArgumentException", self.client.list_stream_consumers,
                          StreamARN=arn(other), NextToken=token)
        self.assert_error("ResourceNotFoundException", self.client.list_stream_consumers,
                          StreamARN=arn("missing-" + s))
        created = self.client.describe_stream_summary(
            StreamName=s)["StreamDescriptionSummary"]["StreamCreationTimestamp"]
        same = self.client.list_stream_consumers(StreamARN=arn(s), StreamCreationTimestamp=created)
        self.assertEqual(len(same["Consumers"]), 2)
        self.assert_error("ResourceNotFoundException", self.client.list_stream_consumers,
                          StreamARN=arn(s),
                          StreamCreationTimestamp=created - datetime.timedelta(hours=1))


class DeleteStreamTest(ConsumerTestCase):
    def test_delete_stream_needs_enforce_consumer_deletion(self):
        s = self.new_stream()
        c = self.register_active(s, "c")
        self.client.register_stream_consumer(StreamARN=arn(s), ConsumerName="d")
        self.assertEqual(self.consumer_count(s), 2)
        for enforce in (None, False):
            kwargs = {} if enforce is None else {"EnforceConsumerDeletion": enforce}
            self.assert_error("ResourceInUseException", self.client.delete_stream,
                              StreamName=s, contains="registered consumer", **kwargs)
        self.client.delete_stream(StreamARN=arn(s), EnforceConsumerDeletion=True)
        self.assertEqual(self.describe(ConsumerARN=c)["ConsumerStatus"], "DELETING")
        wait_gone(self.client, s)
        self.assert_error("ResourceNotFoundException", self.client.describe_stream_consumer,
                          ConsumerARN=c)
        # A stream recreated under the name has no consumers; the old ARN names nothing.
        self.client.create_stream(StreamName=s, ShardCount=1)
        wait_active(self.client, s)
        self.assertEqual(self.consumer_count(s), 0)
        self.assertEqual(self.client.list_stream_consumers(StreamARN=arn(s))["Consumers"], [])
        self.assert_error("ResourceNotFoundException", self.client.describe_stream_consumer,
                          ConsumerARN=c)

    def test_delete_stream_after_deregistering(self):
        s = self.new_stream()
        c = self.register_active(s, "c")
        self.client.deregister_stream_consumer(ConsumerARN=c)
        self.wait_consumer_gone(c)
        self.client.delete_stream(StreamName=s)
        wait_gone(self.client, s)


class TagsTest(ConsumerTestCase):
    def test_tags_on_consumer_arns(self):
        s = self.new_stream()
        c = self.client.register_stream_consumer(StreamARN=arn(s), ConsumerName="c",
                                                 Tags={"team": "data"})["Consumer"]
        consumer_arn = c["ConsumerARN"]
        self.assertEqual(self.client.list_tags_for_resource(ResourceARN=consumer_arn)["Tags"],
                         [{"Key": "team", "Value": "data"}])
        if self.describe(ConsumerARN=consumer_arn)["ConsumerStatus"] == "CREATING":
            self.assert_error("ResourceInUseException", self.client.tag_resource,
                              ResourceARN=consumer_arn, Tags={"k": "v"},
                              contains="is not in ACTIVE status.")
        self.wait_consumer(consumer_arn, "ACTIVE")
        self.client.tag_resource(ResourceARN=consumer_arn, Tags={"k": "v", "team": "ml"})
        self.client.untag_resource(ResourceARN=consumer_arn, TagKeys=["k"])
        self.assertEqual(self.client.list_tags_for_resource(ResourceARN=consumer_arn)["Tags"],
                         [{"Key": "team", "Value": "ml"}])
        self.assertEqual(self.client.list_tags_for_resource(ResourceARN=arn(s))["Tags"], [])


class InstantConsumersTest(ConsumerTestCase):
    """A server whose consumers are ACTIVE at once (so 20 register quickly)."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = ShoalServer(consumer_create_delay_ms=0, consumer_delete_delay_ms=0)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.close()

    def test_at_most_twenty_consumers_per_stream(self):
        s = self.new_stream()
        for i in range(20):
            c = self.client.register_stream_consumer(StreamARN=arn(s), ConsumerName=f"c{i}")
            self.assertEqual(c["Consumer"]["ConsumerStatus"], "ACTIVE")
        self.assert_error("LimitExceededException", self.client.register_stream_consumer,
                          StreamARN=arn(s), ConsumerName="c20",
                          contains="already has 20 registered consumers")
        self.assertEqual(self.consumer_count(s), 20)
        self.client.deregister_stream_consumer(StreamARN=arn(s), ConsumerName="c0")
        self.client.register_stream_consumer(StreamARN=arn(s), ConsumerName="c20")
        paginator = self.client.get_paginator("list_stream_consumers")
        names = [c["ConsumerName"] for p in paginator.paginate(StreamARN=arn(s))
                 for c in p["Consumers"]]
        self.assertEqual(sorted(names), sorted([f"c{i}" for i in range(1, 21)]))


class SlowTransitionsTest(ConsumerTestCase):
    """Streams CREATING for 2 s and consumers CREATING for 10 minutes."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = ShoalServer(create_delay_ms=2000, consumer_create_delay_ms=600000)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.close()

    def test_stream_must_be_active_and_five_consumers_creating_at_most(self):
        s = uniq("young")
        t = uniq("young")
        self.client.create_stream(StreamName=s, ShardCount=1)
        self.assert_error("ResourceInUseException", self.client.register_stream_consumer,
                          StreamARN=arn(s), ConsumerName="c",
                          message=f"Stream {s} under account {ACCOUNT} not ACTIVE or UPDATING, "
                                  f"instead in state CREATING")
        self.assert_error("ResourceInUseException", self.client.list_stream_consumers,
                          StreamARN=arn(s), contains="not ACTIVE or UPDATING")
        self.client.create_stream(StreamName=t, ShardCount=1)
        wait_active(self.client, s)
        wait_active(self.client, t)
        for i in range(3):
            self.client.register_stream_consumer(StreamARN=arn(s), ConsumerName=f"c{i}")
        for i in range(2):
            self.client.register_stream_consumer(StreamARN=arn(t), ConsumerName=f"c{i}")
        self.assert_error("LimitExceededException", self.client.register_stream_consumer,
                          StreamARN=arn(t), ConsumerName="c2",
                          message=f"Rate exceeded for account {ACCOUNT}: at most 5 consumers can "
                                  f"be CREATING at once.")
        # Deregistering one CREATING consumer makes room.
        self.client.deregister_stream_consumer(StreamARN=arn(s), ConsumerName="c0")
        self.client.register_stream_consumer(StreamARN=arn(t), ConsumerName="c2")


class RateLimitTest(ConsumerTestCase):
    """--limits aws: DescribeStreamConsumer is limited to 20/s per stream, also by ConsumerARN."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = ShoalServer(limits="aws", consumer_create_delay_ms=0)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.close()

    def test_describe_by_consumer_arn_is_limited_per_stream(self):
        s = self.new_stream()
        t = self.new_stream()
        a = self.client.register_stream_consumer(StreamARN=arn(s), ConsumerName="c")["Consumer"]
        b = self.client.register_stream_consumer(StreamARN=arn(t), ConsumerName="c")["Consumer"]
        throttled = None
        for _ in range(60):
            try:
                self.describe(ConsumerARN=a["ConsumerARN"])
            except ClientError as exc:
                throttled = exc.response["Error"]
                break
        self.assertIsNotNone(throttled, "60 quick calls were never throttled")
        self.assertEqual(throttled["Code"], "LimitExceededException")
        self.assertEqual(throttled["Message"],
                         f"Rate exceeded for stream {s} under account {ACCOUNT}.")
        # Another stream's consumer has its own budget.
        self.assertEqual(self.describe(ConsumerARN=b["ConsumerARN"])["ConsumerName"], "c")


class PersistenceTest(ConsumerTestCase):
    """Consumers survive kill -9; interrupted transitions complete after the restart."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = ShoalServer(consumer_create_delay_ms=CONSUMER_DELAY_MS,
                                 consumer_delete_delay_ms=CONSUMER_DELAY_MS)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.close()

    def test_consumers_survive_kill9(self):
        s = self.new_stream()
        active = self.register_active(s, "active", Tags={"k": "v"})
        gone = self.register_active(s, "gone")
        self.client.deregister_stream_consumer(ConsumerARN=gone)
        self.wait_consumer_gone(gone)
        before = self.describe(ConsumerARN=active)
        # A long CREATING, interrupted by the crash, must still complete afterwards.
        self.server.kill9()
        self.server.restart(consumer_create_delay_ms=1500)
        type(self).client = make_client(self.server)
        self.client = type(self).client
        young = self.client.register_stream_consumer(StreamARN=arn(s),
                                                     ConsumerName="young")["Consumer"]
        self.server.kill9()
        self.server.restart()
        type(self).client = make_client(self.server)
        self.client = type(self).client
        self.assertEqual(self.describe(ConsumerARN=active), before)
        self.assertEqual(self.client.list_tags_for_resource(ResourceARN=active)["Tags"],
                         [{"Key": "k", "Value": "v"}])
        self.assert_error("ResourceNotFoundException", self.client.describe_stream_consumer,
                          ConsumerARN=gone)
        self.wait_consumer(young["ConsumerARN"], "ACTIVE")
        names = [c["ConsumerName"] for c in
                 self.client.list_stream_consumers(StreamARN=arn(s))["Consumers"]]
        self.assertEqual(names, ["active", "young"])
        self.assertEqual(self.consumer_count(s), 2)


if __name__ == "__main__":
    unittest.main()
