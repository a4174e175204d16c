"""End-to-end tests of the control plane through the AWS CLI v2 (/usr/bin/aws, a separate process).

Run from tests/python:
    SHOAL_BIN=../../build/shoal python3 -m unittest -v test_aws_cli

The CLI is driven exactly as a user would: `aws --endpoint-url http://127.0.0.1:PORT kinesis ...`
with credentials and region from the environment. Operations that the installed CLI v2 (2.9.x) does
not know yet (TagResource, UntagResource, ListTagsForResource, DescribeAccountSettings) are run with
AWS CLI v1 (`python3 -m awscli`, botocore 1.43) when that is installed, and skipped otherwise.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import subprocess
import sys
import time
import unittest
from typing import Any, Dict, List, Optional, Sequence, Tuple

from shoal_harness import TEST_ACCOUNT, TEST_REGION, ShoalServer
from shoal_harness import wait_active as harness_wait_active
from shoal_harness import wait_gone as harness_wait_gone

AWS_CLI = os.environ.get("SHOAL_AWS_CLI", "/usr/bin/aws")
ACCOUNT = TEST_ACCOUNT
REGION = TEST_REGION
M = 2 ** 128
CLI_TIMEOUT_S = 60

SERVER: Optional[ShoalServer] = None
_names = itertools.count()


def setUpModule() -> None:
    global SERVER
    if not os.path.exists(AWS_CLI):
        raise unittest.SkipTest(f"AWS CLI not found at {AWS_CLI} (install the awscli package: ./scripts/setup)")
    SERVER = ShoalServer()


def tearDownModule() -> None:
    if SERVER is not None:
        SERVER.close()


def uniq(prefix: str = "cli") -> str:
    return f"{prefix}-{os.getpid()}-{next(_names)}"


def arn(name: str) -> str:
    return f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{name}"


def cli_env() -> Dict[str, str]:
    env = dict(os.environ)
    # Python settings of the test interpreter must not leak into the CLI's own Python.
    for key in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(key, None)
    env.update({
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "secret"),
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_PAGER": "",
        "AWS_DEFAULT_OUTPUT": "json",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
    })
    env.pop("AWS_PROFILE", None)
    return env


class CliResult:
    def __init__(self, args: Sequence[str], proc: subprocess.CompletedProcess) -> None:
        self.args = list(args)
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    @property
    def json(self) -> Any:
        return json.loads(self.stdout) if self.stdout.strip() else None

    def __repr__(self) -> str:
        return (f"<aws {' '.join(self.args)} -> rc={self.returncode}\n stdout={self.stdout[:1500]!r}\n"
                f" stderr={self.stderr[:1500]!r}>")


@functools.lru_cache(maxsize=None)
def v2_supports(operation: str) -> bool:
    proc = subprocess.run([AWS_CLI, "kinesis", operation, "help"], env=cli_env(), capture_output=True,
                          text=True, timeout=CLI_TIMEOUT_S)
    return proc.returncode == 0


@functools.lru_cache(maxsize=None)
def v1_cli() -> Optional[List[str]]:
    cmd = [sys.executable, "-m", "awscli"]
    try:
        proc = subprocess.run(cmd + ["--version"], env=cli_env(), capture_output=True, text=True,
                              timeout=CLI_TIMEOUT_S)
    except OSError:
        return None
    return cmd if proc.returncode == 0 else None


class CliTestCase(unittest.TestCase):
    server: ShoalServer

    @classmethod
    def setUpClass(cls) -> None:
        if getattr(cls, "server", None) is None:
            cls.server = SERVER

    def run_cli(self, *args: str, cli: Optional[List[str]] = None) -> CliResult:
        cmd = (cli or [AWS_CLI]) + ["--endpoint-url", self.server.endpoint, "--output", "json",
                                    "--region", REGION, "kinesis", *args]
        proc = subprocess.run(cmd, env=cli_env(), capture_output=True, text=True, timeout=CLI_TIMEOUT_S,
                              stdin=subprocess.DEVNULL)
        return CliResult(args, proc)

    def aws(self, *args: str, cli: Optional[List[str]] = None) -> Any:
        """Run a kinesis command that must succeed; returns its parsed JSON output (None if empty)."""
        result = self.run_cli(*args, cli=cli)
        self.assertEqual(result.returncode, 0, result)
        return result.json

    def aws_any(self, operation: str, *args: str) -> Any:
        """Like aws(), but falls back to CLI v1 for operations the installed CLI v2 lacks."""
        if v2_supports(operation):
            return self.aws(operation, *args)
        v1 = v1_cli()
        if v1 is None:
            self.skipTest(f"neither {AWS_CLI} nor AWS CLI v1 supports kinesis {operation}")
        return self.aws(operation, *args, cli=v1)

    def aws_error(self, code: str, *args: str, message: Optional[str] = None,
                  operation: Optional[str] = None, cli: Optional[List[str]] = None) -> CliResult:
        """Run a command that must fail with a service error `code` (exit status 254)."""
        result = self.run_cli(*args, cli=cli)
        self.assertEqual(result.returncode, 254 if cli is None else 255, result)
        self.assertIn(f"An error occurred ({code})", result.stderr, result)
        if operation is not None:
            self.assertIn(f"when calling the {operation} operation", result.stderr, result)
        if message is not None:
            self.assertIn(f": {message}", result.stderr, result)
        self.assertEqual(result.stdout.strip(), "", result)
        return result

    def boto3(self):
        # Polling for state changes goes through boto3 (in-process, fast); every operation under
        # test goes through the CLI.
        if getattr(self.server, "_cli_test_boto3", None) is None or \
                self.server._cli_test_boto3[0] != self.server.endpoint:
            self.server._cli_test_boto3 = (self.server.endpoint, self.server.boto3_client())
        return self.server._cli_test_boto3[1]

    def wait_active(self, name: str, timeout: float = 20.0, cli_waiter: bool = False) -> None:
        harness_wait_active(self.boto3(), name, timeout=timeout)
        if cli_waiter:  # the CLI's own waiter (10 s between polls) now succeeds on its first poll
            self.assertIsNone(self.aws("wait", "stream-exists", "--stream-name", name))

    def wait_gone(self, name: str, timeout: float = 20.0, cli_waiter: bool = False) -> None:
        harness_wait_gone(self.boto3(), name, timeout=timeout)
        if cli_waiter:
            self.assertIsNone(self.aws("wait", "stream-not-exists", "--stream-name", name))

    def create(self, name: str, shards: Optional[int] = 1, *extra: str, cli_waiter: bool = False) -> None:
        args = ["create-stream", "--stream-name", name]
        if shards is not None:
            args += ["--shard-count", str(shards)]
        self.assertIsNone(self.aws(*args, *extra))
        self.wait_active(name, cli_waiter=cli_waiter)

    def assert_ranges(self, shards: List[Dict[str, Any]], n: int) -> None:
        step = M // n
        got = [(s["ShardId"], s["HashKeyRange"]["StartingHashKey"], s["HashKeyRange"]["EndingHashKey"])
               for s in shards]
        want = [(f"shardId-{i:012d}", str(i * step), str((i + 1) * step - 1 if i < n - 1 else M - 1))
                for i in range(n)]
        self.assertEqual(got, want)


class StreamLifecycleTest(CliTestCase):

    def test_create_describe_delete(self):
        name = uniq("life")
        self.create(name, 3, cli_waiter=True)
        desc = self.aws("describe-stream", "--stream-name", name)["StreamDescription"]
        self.assertEqual(desc["StreamName"], name)
        self.assertEqual(desc["StreamARN"], arn(name))
        self.assertEqual(desc["StreamStatus"], "ACTIVE")
        self.assertEqual(desc["RetentionPeriodHours"], 24)
        self.assertEqual(desc["EncryptionType"], "NONE")
        self.assert_ranges(desc["Shards"], 3)
        # The CLI's merged (paginated) output keeps only some top-level keys; look at one raw page.
        raw = self.aws("describe-stream", "--stream-name", name, "--no-paginate")["StreamDescription"]
        self.assertEqual(raw["StreamModeDetails"], {"StreamMode": "PROVISIONED"})
        self.assertFalse(raw["HasMoreShards"])
        self.assert_ranges(raw["Shards"], 3)

        summary = self.aws("describe-stream-summary", "--stream-name", name)["StreamDescriptionSummary"]
        self.assertEqual(summary["OpenShardCount"], 3)
        self.assertEqual(summary["StreamARN"], arn(name))
        self.assertNotIn("StreamId", summary)

        self.assertIsNone(self.aws("delete-stream", "--stream-name", name, "--enforce-consumer-deletion"))
        self.wait_gone(name, cli_waiter=True)
        self.aws_error("ResourceNotFoundException", "describe-stream", "--stream-name", name,
                       operation="DescribeStream",
                       message=f"Stream {name} under account {ACCOUNT} not found.")

    def test_on_demand(self):
        name = uniq("od")
        self.create(name, None, "--stream-mode-details", "StreamMode=ON_DEMAND")
        summary = self.aws("describe-stream-summary", "--stream-name", name)["StreamDescriptionSummary"]
        self.assertEqual(summary["StreamModeDetails"], {"StreamMode": "ON_DEMAND"})
        self.assertEqual(summary["OpenShardCount"], 4)
        self.assert_ranges(self.aws("list-shards", "--stream-name", name)["Shards"], 4)

    def test_by_arn(self):
        name = uniq("arn")
        self.create(name, 2)
        a = arn(name)
        self.assertEqual(self.aws("describe-stream-summary", "--stream-arn", a)
                         ["StreamDescriptionSummary"]["StreamName"], name)
        self.assertEqual(self.aws("describe-stream", "--stream-arn", a)["StreamDescription"]["StreamName"], name)
        self.assertEqual(len(self.aws("list-shards", "--stream-arn", a)["Shards"]), 2)
        self.aws("add-tags-to-stream", "--stream-arn", a, "--tags", "k=v")
        self.assertEqual(self.aws("list-tags-for-stream", "--stream-arn", a)["Tags"], [{"Key": "k", "Value": "v"}])
        self.aws("remove-tags-from-stream", "--stream-arn", a, "--tag-keys", "k")
        self.aws("increase-stream-retention-period", "--stream-arn", a, "--retention-period-hours", "30")
        self.aws("decrease-stream-retention-period", "--stream-arn", a, "--retention-period-hours", "26")
        self.assertEqual(self.aws("describe-stream-summary", "--stream-arn", a)
                         ["StreamDescriptionSummary"]["RetentionPeriodHours"], 26)
        self.aws("delete-stream", "--stream-arn", a)
        self.wait_gone(name)

    def test_duplicate(self):
        name = uniq("dup")
        self.create(name, 1)
        self.aws_error("ResourceInUseException", "create-stream", "--stream-name", name, "--shard-count", "1",
                       operation="CreateStream",
                       message=f"Stream {name} under account {ACCOUNT} already exists.")

    def test_recreate_same_name(self):
        name = uniq("again")
        self.create(name, 3)
        self.aws("add-tags-to-stream", "--stream-name", name, "--tags", "gen=1")
        self.aws("delete-stream", "--stream-name", name)
        self.wait_gone(name)
        self.create(name, 1)
        self.assert_ranges(self.aws("describe-stream", "--stream-name", name)["StreamDescription"]["Shards"], 1)
        self.assertEqual(self.aws("list-tags-for-stream", "--stream-name", name)["Tags"], [])


class ErrorTest(CliTestCase):

    def test_missing_stream(self):
        name = uniq("missing")
        msg = f"Stream {name} under account {ACCOUNT} not found."
        for op, operation, extra in (
                ("describe-stream", "DescribeStream", []),
                ("describe-stream-summary", "DescribeStreamSummary", []),
                ("list-shards", "ListShards", []),
                ("delete-stream", "DeleteStream", []),
                ("list-tags-for-stream", "ListTagsForStream", []),
                ("add-tags-to-stream", "AddTagsToStream", ["--tags", "a=b"]),
                ("increase-stream-retention-period", "IncreaseStreamRetentionPeriod",
                 ["--retention-period-hours", "48"])):
            with self.subTest(op=op):
                self.aws_error("ResourceNotFoundException", op, "--stream-name", name, *extra,
                               operation=operation, message=msg)

    def test_bad_name(self):
        msg = ("1 validation error detected: Value 'bad name!' at 'streamName' failed to satisfy constraint: "
               "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
        self.aws_error("ValidationException", "create-stream", "--stream-name", "bad name!", "--shard-count", "1",
                       operation="CreateStream", message=msg)
        self.aws_error("ValidationException", "describe-stream-summary", "--stream-name", "bad name!",
                       operation="DescribeStreamSummary", message=msg)

    def test_name_too_long(self):
        name = "n" * 129
        self.aws_error("ValidationException", "describe-stream-summary", "--stream-name", name,
                       message=(f"1 validation error detected: Value '{name}' at 'streamName' failed to satisfy "
                                f"constraint: Member must have length less than or equal to 128"))

    def test_retention_out_of_range(self):
        name = uniq("ret")
        self.create(name, 1)
        self.aws_error("InvalidArgumentException", "decrease-stream-retention-period", "--stream-name", name,
                       "--retention-period-hours", "23", operation="DecreaseStreamRetentionPeriod",
                       message=("Minimum allowed retention period is 24 hours. "
                                "Requested retention period (23 hours) is too short."))
        self.aws_error("InvalidArgumentException", "increase-stream-retention-period", "--stream-name", name,
                       "--retention-period-hours", "8761", operation="IncreaseStreamRetentionPeriod")


class ListingTest(CliTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.prefix = uniq("listing")
        cls.names = [f"{cls.prefix}-{i}" for i in range(4)]

    def test_list_streams_paginates(self):
        for n in self.names:
            self.create(n, 1)
        result = self.aws("list-streams", "--page-size", "1")
        for n in self.names:
            self.assertIn(n, result["StreamNames"])
        self.assertEqual(len(result["StreamNames"]), len(set(result["StreamNames"])))
        self.assertEqual(result["StreamNames"], sorted(result["StreamNames"]))
        summaries = {s["StreamName"]: s for s in result["StreamSummaries"]}
        self.assertEqual(summaries[self.names[0]]["StreamARN"], arn(self.names[0]))
        self.assertEqual(summaries[self.names[0]]["StreamStatus"], "ACTIVE")
        one = self.aws("list-streams", "--max-items", "1")
        self.assertEqual(len(one["StreamNames"]), 1)
        self.assertIn("NextToken", one)
        # (CLI 2.9 treats ExclusiveStartStreamName as its paging token: one page, no --max-items)
        start = self.aws("list-streams", "--exclusive-start-stream-name", self.names[1])
        self.assertEqual(start["StreamNames"][:2], self.names[2:4])

    def test_list_and_describe_shards_paginate(self):
        name = uniq("many")
        self.create(name, 150)
        # CLI v2 pages DescribeStream with ExclusiveStartShardId (100 per page) and merges the result.
        self.assert_ranges(self.aws("describe-stream", "--stream-name", name)["StreamDescription"]["Shards"], 150)
        # ListShards page 2+ carries StreamName and NextToken together (CLI paginator behaviour).
        self.assert_ranges(self.aws("list-shards", "--stream-name", name, "--page-size", "40")["Shards"], 150)
        page = self.aws("list-shards", "--stream-name", name, "--max-items", "10")
        self.assertEqual(len(page["Shards"]), 10)
        self.assertIn("NextToken", page)
        after = self.aws("list-shards", "--stream-name", name, "--exclusive-start-shard-id", "shardId-000000000147")
        self.assertEqual([s["ShardId"] for s in after["Shards"]], ["shardId-000000000148", "shardId-000000000149"])
        latest = self.aws("list-shards", "--stream-name", name, "--shard-filter", "Type=AT_LATEST")
        self.assertEqual(len(latest["Shards"]), 150)


class TagsAndRetentionTest(CliTestCase):

    def test_stream_tags(self):
        name = uniq("tags")
        self.create(name, 1)
        self.assertIsNone(self.aws("add-tags-to-stream", "--stream-name", name, "--tags", "b=2,a=1,c="))
        result = self.aws("list-tags-for-stream", "--stream-name", name)
        self.assertEqual(result["Tags"], [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"},
                                          {"Key": "c", "Value": ""}])
        self.assertFalse(result["HasMoreTags"])
        page = self.aws("list-tags-for-stream", "--stream-name", name, "--limit", "1", "--exclusive-start-tag-key", "a")
        self.assertEqual(page["Tags"], [{"Key": "b", "Value": "2"}])
        self.assertTrue(page["HasMoreTags"])
        self.assertIsNone(self.aws("remove-tags-from-stream", "--stream-name", name, "--tag-keys", "a", "zzz"))
        self.assertEqual([t["Key"] for t in self.aws("list-tags-for-stream", "--stream-name", name)["Tags"]],
                         ["b", "c"])

    def test_resource_tags(self):
        name = uniq("rtags")
        self.create(name, 1)
        a = arn(name)
        self.assertIsNone(self.aws_any("tag-resource", "--resource-arn", a, "--tags", "x=1,y=2"))
        tags = self.aws_any("list-tags-for-resource", "--resource-arn", a)["Tags"]
        self.assertEqual(sorted((t["Key"], t["Value"]) for t in tags), [("x", "1"), ("y", "2")])
        self.assertIsNone(self.aws_any("untag-resource", "--resource-arn", a, "--tag-keys", "x"))
        tags = self.aws_any("list-tags-for-resource", "--resource-arn", a)["Tags"]
        self.assertEqual([(t["Key"], t["Value"]) for t in tags], [("y", "2")])
        self.assertEqual(self.aws("list-tags-for-stream", "--stream-name", name)["Tags"], [{"Key": "y", "Value": "2"}])

    def test_retention(self):
        name = uniq("ret")
        self.create(name, 1)
        self.assertIsNone(self.aws("increase-stream-retention-period", "--stream-name", name,
                                   "--retention-period-hours", "72"))
        self.assertEqual(self.aws("describe-stream-summary", "--stream-name", name)
                         ["StreamDescriptionSummary"]["RetentionPeriodHours"], 72)
        self.assertIsNone(self.aws("decrease-stream-retention-period", "--stream-name", name,
                                   "--retention-period-hours", "48"))
        self.assertEqual(self.aws("describe-stream", "--stream-name", name)
                         ["StreamDescription"]["RetentionPeriodHours"], 48)
        self.aws_error("InvalidArgumentException", "increase-stream-retention-period", "--stream-name", name,
                       "--retention-period-hours", "36",
                       message=(f"Requested retention period (36 hours) for stream {name} can not be shorter "
                                f"than existing retention period (48 hours). Use DecreaseRetentionPeriod API."))


class AccountTest(CliTestCase):

    def test_describe_limits(self):
        limits = self.aws("describe-limits")
        self.assertEqual(limits["ShardLimit"], 20000)
        self.assertEqual(limits["OnDemandStreamCountLimit"], 50)
        self.assertGreaterEqual(limits["OpenShardCount"], 0)
        self.assertGreaterEqual(limits["OnDemandStreamCount"], 0)

    def test_describe_account_settings(self):
        settings = self.aws_any("describe-account-settings")
        self.assertEqual(settings.get("MinimumThroughputBillingCommitment", {"Status": "DISABLED"})["Status"],
                         "DISABLED")


class PersistenceTest(CliTestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = ShoalServer(create_delay_ms=3000)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def snapshot(self) -> Dict[str, Any]:
        names = self.aws("list-streams")["StreamNames"]
        state: Dict[str, Any] = {"list": self.aws("list-streams")}
        for n in names:
            state[n] = (self.aws("describe-stream", "--stream-name", n),
                        self.aws("list-tags-for-stream", "--stream-name", n))
        state["limits"] = self.aws("describe-limits")
        return state

    def test_kill9_and_restart(self):
        self.create("keep", 3)
        self.aws("add-tags-to-stream", "--stream-name", "keep", "--tags", "owner=cli")
        self.aws("increase-stream-retention-period", "--stream-name", "keep", "--retention-period-hours", "96")
        self.create("ondemand", None, "--stream-mode-details", "StreamMode=ON_DEMAND")
        before = self.snapshot()
        self.assertEqual(before["list"]["StreamNames"], ["keep", "ondemand"])

        # A stream still CREATING when the server dies must come back and finish creating.
        self.aws("create-stream", "--stream-name", "midway", "--shard-count", "2")
        self.server.kill9()
        self.server.restart()
        self.wait_active("midway")
        self.assert_ranges(self.aws("list-shards", "--stream-name", "midway")["Shards"], 2)

        self.aws("delete-stream", "--stream-name", "midway")
        self.wait_gone("midway")
        self.server.kill9()
        self.server.restart()
        self.assertEqual(self.snapshot(), before)


if __name__ == "__main__":
    unittest.main()
