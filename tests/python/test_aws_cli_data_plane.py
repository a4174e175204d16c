"""End-to-end tests of the data plane through the AWS CLI v2 (/usr/bin/aws, a separate process):
put-record, put-records, get-shard-iterator and get-records, plus errors.

Run from tests/python:
    SHOAL_BIN=../../build/shoal python3 -m unittest -v test_aws_cli_data_plane

CLI v2 treats blob arguments as base64 unless `--cli-binary-format raw-in-base64-out` is given;
`fileb://` reads raw bytes. get-records prints Data as base64 and timestamps as ISO-8601 text.
Streams are created through boto3 (fast); every data-plane operation under test goes through the CLI.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import shutil
import tempfile
import time
import unittest
from typing import Any, Dict, List, Optional

from shoal_harness import ShoalServer, partition_key_hash, shard_for_hash
from test_aws_cli import AWS_CLI, CliTestCase, uniq

MiB = 1 << 20
SERVER: Optional[ShoalServer] = None


def setUpModule() -> None:
    global SERVER
    if not os.path.exists(AWS_CLI):
        raise unittest.SkipTest(f"AWS CLI not found at {AWS_CLI}")
    SERVER = ShoalServer(tmp_prefix="e2e-cli-dp-")


def tearDownModule() -> None:
    if SERVER is not None:
        SERVER.close()


def shard_id(i: int) -> str:
    return f"shardId-{i:012d}"


def parse_time(value: Any) -> float:
    """CLI v2 prints timestamps as ISO-8601 text (cli_timestamp_format=iso8601); accept epoch numbers too."""
    if isinstance(value, (int, float)):
        return float(value)
    return datetime.datetime.fromisoformat(value).timestamp()


class CliDataPlaneTest(CliTestCase):

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = SERVER
        cls.tmp = tempfile.mkdtemp(prefix="e2e-cli-dp-files-")

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def new_stream(self, shards: int = 1) -> str:
        name = uniq("clidp")
        self.boto3().create_stream(StreamName=name, ShardCount=shards)
        self.wait_active(name)
        return name

    def write_file(self, name: str, data: Any) -> str:
        path = os.path.join(self.tmp, name)
        with open(path, "wb" if isinstance(data, bytes) else "w") as fh:
            fh.write(data)
        return path

    def iterator(self, name: str, shard: str, kind: str = "TRIM_HORIZON", *extra: str) -> str:
        out = self.aws("get-shard-iterator", "--stream-name", name, "--shard-id", shard,
                       "--shard-iterator-type", kind, *extra)
        it = out["ShardIterator"]
        self.assertTrue(1 <= len(it) <= 512)
        return it

    def read(self, name: str, shard: str, kind: str = "TRIM_HORIZON", *extra: str) -> List[Dict[str, Any]]:
        it = self.iterator(name, shard, kind, *extra)
        records: List[Dict[str, Any]] = []
        for _ in range(50):
            out = self.aws("get-records", "--shard-iterator", it)
            self.assertIn("NextShardIterator", out)
            self.assertIn("MillisBehindLatest", out)
            records += out["Records"]
            it = out["NextShardIterator"]
            if not out["Records"] and out["MillisBehindLatest"] == 0:
                return records
        self.fail("get-records never caught up")

    def test_put_record_text_and_base64(self):
        name = self.new_stream()
        t0 = time.time()
        raw = self.aws("put-record", "--stream-name", name, "--partition-key", "pk",
                       "--data", "hello from the cli", "--cli-binary-format", "raw-in-base64-out")
        self.assertEqual(raw["ShardId"], shard_id(0))
        self.assertRegex(raw["SequenceNumber"], r"^[1-9]\d{55}$")
        # Without the flag, CLI v2 expects base64 and sends the decoded bytes.
        b64 = self.aws("put-record", "--stream-name", name, "--partition-key", "pk",
                       "--data", base64.b64encode(b"\x00\x01binary\xff").decode())
        self.assertGreater(int(b64["SequenceNumber"]), int(raw["SequenceNumber"]))
        t1 = time.time()
        records = self.read(name, shard_id(0))
        self.assertEqual([base64.b64decode(r["Data"]) for r in records],
                         [b"hello from the cli", b"\x00\x01binary\xff"])
        self.assertEqual([r["SequenceNumber"] for r in records], [raw["SequenceNumber"], b64["SequenceNumber"]])
        self.assertEqual([r["PartitionKey"] for r in records], ["pk", "pk"])
        for r in records:
            ts = parse_time(r["ApproximateArrivalTimestamp"])
            self.assertTrue(t0 - 2 <= ts <= t1 + 2, f"{r['ApproximateArrivalTimestamp']} not in [{t0}, {t1}]")

    def test_put_record_binary_file_and_explicit_hash_key(self):
        name = self.new_stream(2)
        data = bytes(range(256)) * 4
        path = self.write_file("all-bytes.bin", data)
        out = self.aws("put-record", "--stream-name", name, "--partition-key", "a",
                       "--data", f"fileb://{path}", "--explicit-hash-key", str((1 << 128) - 1))
        self.assertEqual(out["ShardId"], shard_id(1))  # "a" hashes to shard 0; the explicit key wins
        got = self.read(name, shard_id(1))
        self.assertEqual([base64.b64decode(r["Data"]) for r in got], [data])
        self.assertEqual(got[0]["PartitionKey"], "a")

    def test_put_records_and_routing(self):
        name = self.new_stream(3)
        shards = self.boto3().list_shards(StreamName=name)["Shards"]
        entries = [{"Data": base64.b64encode(f"rec-{i}".encode()).decode(), "PartitionKey": f"key-{i}"}
                   for i in range(50)]
        path = self.write_file("records.json", json.dumps(entries))
        out = self.aws("put-records", "--stream-name", name, "--records", f"file://{path}")
        self.assertEqual(out["FailedRecordCount"], 0)
        self.assertEqual(len(out["Records"]), 50)
        for i, r in enumerate(out["Records"]):
            self.assertEqual(r["ShardId"], shard_for_hash(shards, partition_key_hash(f"key-{i}")))
        got = {}
        for s in shards:
            for r in self.read(name, s["ShardId"]):
                got[r["SequenceNumber"]] = (s["ShardId"], base64.b64decode(r["Data"]), r["PartitionKey"])
        for i, r in enumerate(out["Records"]):
            self.assertEqual(got[r["SequenceNumber"]], (r["ShardId"], f"rec-{i}".encode(), f"key-{i}"))
        # Shorthand syntax with base64 Data, as the CLI documents it.
        out = self.aws("put-records", "--stream-name", name, "--records",
                       f"Data={base64.b64encode(b'short').decode()},PartitionKey=a")
        self.assertEqual(out["FailedRecordCount"], 0)

    def test_iterator_types(self):
        name = self.new_stream()
        seqs = []
        for i in range(4):
            seqs.append(self.aws("put-record", "--stream-name", name, "--partition-key", "k", "--data", f"r{i}",
                                 "--cli-binary-format", "raw-in-base64-out")["SequenceNumber"])
        data = lambda recs: [base64.b64decode(r["Data"]).decode() for r in recs]  # noqa: E731
        self.assertEqual(data(self.read(name, shard_id(0), "AT_SEQUENCE_NUMBER",
                                        "--starting-sequence-number", seqs[1])), ["r1", "r2", "r3"])
        self.assertEqual(data(self.read(name, shard_id(0), "AFTER_SEQUENCE_NUMBER",
                                        "--starting-sequence-number", seqs[1])), ["r2", "r3"])
        latest = self.iterator(name, shard_id(0), "LATEST")
        self.aws("put-record", "--stream-name", name, "--partition-key", "k", "--data", "r4",
                 "--cli-binary-format", "raw-in-base64-out")
        out = self.aws("get-records", "--shard-iterator", latest, "--limit", "10")
        self.assertEqual(data(out["Records"]), ["r4"])
        # AT_TIMESTAMP: the CLI sends whole seconds; an hour ago reads everything.
        self.assertEqual(len(self.read(name, shard_id(0), "AT_TIMESTAMP",
                                       "--timestamp", str(int(time.time()) - 3600))), 5)
        out = self.aws("get-records", "--shard-iterator", self.iterator(name, shard_id(0)), "--limit", "2")
        self.assertEqual(data(out["Records"]), ["r0", "r1"])

    def test_errors(self):
        missing = uniq("clidp-missing")
        self.aws_error("ResourceNotFoundException", "put-record", "--stream-name", missing, "--partition-key", "k",
                       "--data", "eA==", operation="PutRecord",
                       message=f"Stream {missing} under account 000000000000 not found.")
        name = self.new_stream()
        self.aws_error("InvalidArgumentException", "get-records", "--shard-iterator", "not-an-iterator",
                       operation="GetRecords")
        self.aws_error("InvalidArgumentException", "get-shard-iterator", "--stream-name", name,
                       "--shard-id", shard_id(0), "--shard-iterator-type", "AT_SEQUENCE_NUMBER",
                       operation="GetShardIterator")
        self.aws_error("ResourceNotFoundException", "get-shard-iterator", "--stream-name", name,
                       "--shard-id", shard_id(7), "--shard-iterator-type", "LATEST", operation="GetShardIterator")
        self.aws_error("InvalidArgumentException", "put-record", "--stream-name", name, "--partition-key", "k",
                       "--data", "eA==", "--explicit-hash-key", str(1 << 128), operation="PutRecord",
                       message=("Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
                                f"Specified value was {1 << 128}"))
        big = self.write_file("big.bin", b"\x01" * (MiB + 1))
        self.aws_error("ValidationException", "put-record", "--stream-name", name, "--partition-key", "k",
                       "--data", f"fileb://{big}", operation="PutRecord")


if __name__ == "__main__":
    unittest.main()
