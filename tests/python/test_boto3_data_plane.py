"""End-to-end tests of the Kinesis data plane through boto3 (HTTP/1.1 + JSON 1.1):
PutRecord, PutRecords, GetShardIterator and GetRecords (kinesis-api-spec.md §2.2, §3.1, §3.5-3.7,
§4, §5, §6 items 1-14, Appendix A).

Run from tests/python with the pyenv python3 (boto3 1.43):
    SHOAL_BIN=../../build/shoal python3 -m unittest -v test_boto3_data_plane

Most tests share one server (unique stream names per test); tests that need special server flags
(short iterator TTL, long CREATING, crashes) start their own. Client-side parameter validation is off
so that out-of-range values reach the server. Sequence numbers are compared as big integers.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import itertools
import json
import os
import random
import threading
import time
import unittest
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from shoal_harness import (MAX_HASH_KEY, TEST_ACCOUNT, TEST_REGION, ShoalServer, partition_key_hash,
                           shard_for_hash, wait_active, wait_gone, wait_until)

ACCOUNT = TEST_ACCOUNT
REGION = TEST_REGION
MiB = 1 << 20
MAX_RECORD = MiB  # data + partition key, default MaxRecordSizeInKiB
TMP_PREFIX = "e2e-dp-"

SERVER: Optional[ShoalServer] = None
_names = itertools.count()


def setUpModule() -> None:
    global SERVER
    SERVER = ShoalServer(tmp_prefix=TMP_PREFIX)


def tearDownModule() -> None:
    if SERVER is not None:
        SERVER.close()


def make_client(server: ShoalServer, read_timeout: int = 120):
    return boto3.client(
        "kinesis", endpoint_url=server.endpoint, region_name=REGION,
        config=Config(parameter_validation=False, retries={"total_max_attempts": 1},
                      connect_timeout=5, read_timeout=read_timeout,
                      max_pool_connections=32))


def uniq(prefix: str = "s") -> str:
    return f"{prefix}-{os.getpid()}-{next(_names)}"


def not_found(name: str) -> str:
    return f"Stream {name} under account {ACCOUNT} not found."


def validation(value: Any, path: str, constraint: str) -> str:
    shown = "null" if value is None else f"'{value}'"
    return (f"1 validation error detected: Value {shown} at '{path}' failed to satisfy constraint: "
            f"Member must {constraint}")


def shard_id(i: int) -> str:
    return f"shardId-{i:012d}"


def seq(value: str) -> int:
    """A sequence number as a big integer (they exceed 64 bits; never compare them as strings)."""
    assert isinstance(value, str) and value.isdigit(), f"sequence number must be a decimal string: {value!r}"
    return int(value)


def body_of(response: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def utc(ts: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)


MUST_SPECIFY = ("Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber "
                "or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified {t} and {what}.")


class DataPlaneTestCase(unittest.TestCase):
    server: Optional[ShoalServer] = None

    @classmethod
    def setUpClass(cls) -> None:
        if cls.server is None:
            cls.server = SERVER
        cls.client = make_client(cls.server)

    # -------------------------------------------------------------- streams

    def new_stream(self, shards: int = 1, client=None) -> str:
        client = client or self.client
        name = uniq(self._testMethodName.replace("test_", "")[:40].replace("_", "-"))
        client.create_stream(StreamName=name, ShardCount=shards)
        wait_active(client, name)
        return name

    def list_shards(self, name: str, client=None) -> List[Dict[str, Any]]:
        return (client or self.client).list_shards(StreamName=name)["Shards"]

    # -------------------------------------------------------------- writes

    def put(self, name: str, data: bytes, key: str, client=None, **kwargs) -> Dict[str, Any]:
        resp = (client or self.client).put_record(StreamName=name, Data=data, PartitionKey=key, **kwargs)
        self.assert_put_result(resp)
        return resp

    def assert_put_result(self, resp: Dict[str, Any]) -> None:
        self.assertEqual(resp["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertRegex(resp["ShardId"], r"^shardId-\d{12}$")
        self.assert_seq_format(resp["SequenceNumber"])
        if "EncryptionType" in resp:
            self.assertEqual(resp["EncryptionType"], "NONE")
        self.assertEqual(set(body_of(resp)) - {"ShardId", "SequenceNumber", "EncryptionType"}, set(),
                         f"unexpected PutRecord output members: {body_of(resp)!r}")

    def assert_seq_format(self, value: str) -> None:
        self.assertIsInstance(value, str)
        self.assertRegex(value, r"^[1-9]\d{55}$", "sequence numbers are 56-digit decimal strings")

    def put_records(self, name: str, entries: Sequence[Dict[str, Any]], client=None) -> List[Dict[str, Any]]:
        resp = (client or self.client).put_records(StreamName=name, Records=list(entries))
        self.assertEqual(resp["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertEqual(resp.get("FailedRecordCount"), 0, f"FailedRecordCount: {body_of(resp)!r}"[:2000])
        if "EncryptionType" in resp:
            self.assertEqual(resp["EncryptionType"], "NONE")
        results = resp["Records"]
        self.assertEqual(len(results), len(entries))
        for r in results:
            self.assertNotIn("ErrorCode", r)
            self.assertNotIn("ErrorMessage", r)
            self.assertRegex(r["ShardId"], r"^shardId-\d{12}$")
            self.assert_seq_format(r["SequenceNumber"])
        return results

    # -------------------------------------------------------------- reads

    def iterator(self, name: str, shard: str, kind: str = "TRIM_HORIZON", client=None, **kwargs) -> str:
        resp = (client or self.client).get_shard_iterator(
            StreamName=name, ShardId=shard, ShardIteratorType=kind, **kwargs)
        it = resp["ShardIterator"]
        self.assertIsInstance(it, str)
        self.assertTrue(1 <= len(it) <= 512, f"iterator length {len(it)} must be 1-512")
        self.assertEqual(set(body_of(resp)), {"ShardIterator"})
        return it

    def get_records(self, iterator: str, client=None, **kwargs) -> Dict[str, Any]:
        resp = (client or self.client).get_records(ShardIterator=iterator, **kwargs)
        self.assertEqual(resp["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertIsInstance(resp["Records"], list)
        # Open shard: NextShardIterator always present, even when Records is empty (spec §3.6, §6.1).
        self.assertIn("NextShardIterator", resp, f"NextShardIterator missing: {body_of(resp)!r}"[:2000])
        nxt = resp["NextShardIterator"]
        self.assertIsInstance(nxt, str)
        self.assertTrue(1 <= len(nxt) <= 512)
        self.assertFalse(resp.get("ChildShards"), "no ChildShards on an open shard")
        # MillisBehindLatest is required in every successful response (§6.7).
        self.assertIn("MillisBehindLatest", resp)
        self.assertIsInstance(resp["MillisBehindLatest"], int)
        self.assertGreaterEqual(resp["MillisBehindLatest"], 0)
        last = None
        for r in resp["Records"]:
            self.assertEqual(set(r) - {"SequenceNumber", "ApproximateArrivalTimestamp", "Data", "PartitionKey",
                                       "EncryptionType"}, set(), f"unexpected Record members {set(r)}")
            self.assert_seq_format(r["SequenceNumber"])
            self.assertIsInstance(r["Data"], bytes)
            self.assertIsInstance(r["PartitionKey"], str)
            self.assertIsInstance(r["ApproximateArrivalTimestamp"], datetime.datetime)
            self.assertIsNotNone(r["ApproximateArrivalTimestamp"].tzinfo)
            if "EncryptionType" in r:
                self.assertEqual(r["EncryptionType"], "NONE")
            if last is not None:
                self.assertGreater(seq(r["SequenceNumber"]), last, "records of a shard in sequence order")
            last = seq(r["SequenceNumber"])
        return resp

    def read_all(self, name: Optional[str] = None, shard: Optional[str] = None, kind: str = "TRIM_HORIZON",
                 iterator: Optional[str] = None, limit: Optional[int] = None, client=None,
                 max_calls: int = 2000, **kwargs) -> List[Dict[str, Any]]:
        """Reads from an iterator (or a new one of `kind`) until a call returns no records and
        MillisBehindLatest == 0. Checks the ordering across calls too."""
        if iterator is None:
            iterator = self.iterator(name, shard, kind, client=client, **kwargs)
        out: List[Dict[str, Any]] = []
        extra = {} if limit is None else {"Limit": limit}
        for _ in range(max_calls):
            resp = self.get_records(iterator, client=client, **extra)
            if out and resp["Records"]:
                self.assertGreater(seq(resp["Records"][0]["SequenceNumber"]), seq(out[-1]["SequenceNumber"]))
            out.extend(resp["Records"])
            iterator = resp["NextShardIterator"]
            if not resp["Records"] and resp["MillisBehindLatest"] == 0:
                return out
        self.fail(f"still reading after {max_calls} GetRecords calls ({len(out)} records)")

    def read_stream(self, name: str, client=None) -> Dict[str, List[Dict[str, Any]]]:
        return {s["ShardId"]: self.read_all(name, s["ShardId"], client=client)
                for s in self.list_shards(name, client=client)}

    # -------------------------------------------------------------- errors

    def assert_error(self, code: Union[str, Sequence[str]], fn, *args,
                     message: Optional[str] = None, contains: Optional[Union[str, Sequence[str]]] = None,
                     **kwargs) -> Dict[str, Any]:
        """Call fn(*args, **kwargs); assert HTTP 400 with `code` (or one of several), x-amzn-ErrorType == code,
        a request id; optionally the exact message or substrings of it."""
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
        self.assertEqual(headers.get("x-amzn-errortype"), err.get("Code"), f"x-amzn-ErrorType for {err!r}")
        self.assertIn("x-amzn-requestid", headers)
        if message is not None:
            self.assertEqual(err.get("Message"), message)
        if contains is not None:
            for part in ([contains] if isinstance(contains, str) else contains):
                self.assertIn(part, err.get("Message") or "")
        return err


# =================================================================================== round trips

class RoundTripTest(DataPlaneTestCase):

    def round_trip(self, name: str, data: bytes, key: str = "pk", **kwargs) -> Dict[str, Any]:
        t0 = time.time()
        put = self.put(name, data, key, **kwargs)
        t1 = time.time()
        records = self.read_all(iterator=self.iterator(name, put["ShardId"], "AT_SEQUENCE_NUMBER",
                                                       StartingSequenceNumber=put["SequenceNumber"]))
        self.assertGreaterEqual(len(records), 1)
        rec = records[0]
        self.assertEqual(rec["SequenceNumber"], put["SequenceNumber"])
        self.assertEqual(rec["PartitionKey"], key)
        self.assertEqual(len(rec["Data"]), len(data))
        self.assertTrue(rec["Data"] == data, "data must come back byte for byte")
        arrival = rec["ApproximateArrivalTimestamp"].timestamp()
        self.assertTrue(t0 - 2 <= arrival <= t1 + 2, f"ApproximateArrivalTimestamp {arrival} not in [{t0}, {t1}]")
        return rec

    def test_empty_data(self):
        name = self.new_stream()
        self.round_trip(name, b"")

    def test_one_byte(self):
        name = self.new_stream()
        for b in (b"\x00", b"x", b"\xff"):
            self.round_trip(name, b)

    def test_all_256_byte_values(self):
        name = self.new_stream()
        data = bytes(range(256)) + bytes(reversed(range(256)))
        self.round_trip(name, data, key="binary")
        rnd = random.Random(7)
        for n in (1, 2, 3, 4, 5, 63, 64, 65, 1000, 4097):
            self.round_trip(name, bytes(rnd.getrandbits(8) for _ in range(n)), key=f"rand-{n}")

    def test_one_mib_record_at_the_limit(self):
        # data + partition key == 1 MiB exactly is accepted and comes back intact.
        name = self.new_stream()
        key = "k" * 17
        data = random.Random(1).randbytes(MAX_RECORD - len(key))
        self.round_trip(name, data, key=key)
        # Also with a 256-character key (the largest allowed) and a record of exactly 1 MiB of data minus it.
        key = "q" * 256
        self.round_trip(name, os.urandom(MAX_RECORD - len(key)), key=key)

    def test_partition_keys_unicode_and_limits(self):
        name = self.new_stream(2)
        for key in ("a", "ü", "キー", "k" * 256, "ü" * 256, "emoji-\U0001F600", " spaces and\ttabs "):
            rec = self.round_trip(name, key.encode("utf-8"), key=key)
            self.assertEqual(rec["PartitionKey"], key)

    def test_text_data_from_a_str(self):
        # boto3 accepts str for a blob (UTF-8 encoded) and base64-encodes it on the wire.
        name = self.new_stream()
        put = self.client.put_record(StreamName=name, Data="héllo wörld", PartitionKey="t")
        rec = self.read_all(name, put["ShardId"])[0]
        self.assertEqual(rec["Data"], "héllo wörld".encode("utf-8"))

    def test_put_record_by_stream_arn(self):
        name = self.new_stream()
        arn = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{name}"
        put = self.client.put_record(StreamARN=arn, Data=b"by-arn", PartitionKey="a")
        self.assert_put_result(put)
        res = self.client.put_records(StreamARN=arn, Records=[{"Data": b"x", "PartitionKey": "b"}])
        self.assertEqual(res["FailedRecordCount"], 0)
        it = self.client.get_shard_iterator(StreamARN=arn, ShardId=shard_id(0),
                                            ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        got = self.client.get_records(ShardIterator=it, StreamARN=arn)["Records"]
        self.assertEqual([r["Data"] for r in got], [b"by-arn", b"x"])

    def test_raw_wire_format(self):
        # The JSON on the wire: Data base64, sequence numbers and iterators are strings, the timestamp a
        # plain JSON number of seconds (not a string, not exponent notation).
        name = self.new_stream()
        srv = self.server
        r = srv.request("PutRecord", {"StreamName": name, "Data": base64.b64encode(b"\x00\x01hello\xff").decode(),
                                      "PartitionKey": "pk"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers.get("content-type"), "application/x-amz-json-1.1")
        put = r.json()
        self.assertIsInstance(put["SequenceNumber"], str)
        r = srv.request("GetShardIterator", {"StreamName": name, "ShardId": "shardId-000000000000",
                                             "ShardIteratorType": "TRIM_HORIZON"})
        self.assertEqual(r.status, 200, r)
        it = r.json()["ShardIterator"]
        r = srv.request("GetRecords", {"ShardIterator": it})
        self.assertEqual(r.status, 200, r)
        text = r.body.decode()
        body = r.json()
        rec = body["Records"][0]
        self.assertEqual(rec["Data"], base64.b64encode(b"\x00\x01hello\xff").decode())
        self.assertEqual(rec["SequenceNumber"], put["SequenceNumber"])
        ts = rec["ApproximateArrivalTimestamp"]
        self.assertIsInstance(ts, (int, float))
        self.assertNotIsInstance(ts, bool)
        self.assertLess(abs(ts - time.time()), 60, "ApproximateArrivalTimestamp is epoch seconds")
        self.assertNotRegex(text, r'"ApproximateArrivalTimestamp"\s*:\s*-?[0-9.]+[eE]',
                            "timestamps must not use exponent notation")
        self.assertIsInstance(body["MillisBehindLatest"], int)
        self.assertIsInstance(body["NextShardIterator"], str)


# =================================================================================== routing

# Spec §4.2 table: partition key -> shard index for N = 1..4.
ROUTING_TABLE = {"a": (0, 0, 0, 0), "b": (0, 1, 1, 2), "e": (0, 1, 2, 3), "f": (0, 1, 1, 2),
                 "123": (0, 0, 0, 0), "ü": (0, 1, 2, 3)}


class RoutingTest(DataPlaneTestCase):

    def test_md5_routing_matches_the_spec_table(self):
        for n in (1, 2, 3, 4):
            name = self.new_stream(n)
            for key, shards in ROUTING_TABLE.items():
                put = self.put(name, key.encode(), key)
                self.assertEqual(put["ShardId"], shard_id(shards[n - 1]), f"key {key!r} with {n} shards")

    def test_put_records_500_across_shards(self):
        name = self.new_stream(5)
        shards = self.list_shards(name)
        rnd = random.Random(500)
        entries = []
        for i in range(500):
            key = f"key-{i}-{rnd.getrandbits(32):08x}"
            data = rnd.randbytes(rnd.choice([0, 1, 10, 100, 1000]))
            entries.append({"Data": data, "PartitionKey": key})
        results = self.put_records(name, entries)
        per_shard: Dict[str, List[Tuple[int, Dict[str, Any]]]] = {}
        for i, (entry, result) in enumerate(zip(entries, results)):
            expected = shard_for_hash(shards, partition_key_hash(entry["PartitionKey"]))
            self.assertEqual(result["ShardId"], expected, f"entry {i} ({entry['PartitionKey']}) routed wrongly")
            per_shard.setdefault(result["ShardId"], []).append((i, result))
        self.assertEqual(len(per_shard), 5, "500 random keys land on every one of 5 shards")
        # Sequence numbers are unique per shard.
        for sid, items in per_shard.items():
            seqs = [seq(r["SequenceNumber"]) for _, r in items]
            self.assertEqual(len(set(seqs)), len(seqs), f"duplicate sequence numbers in {sid}")
        # Read everything back: each shard holds exactly its entries, with the acknowledged numbers.
        got = self.read_stream(name)
        self.assertEqual(sum(len(v) for v in got.values()), 500)
        for sid, items in per_shard.items():
            by_seq = {r["SequenceNumber"]: entries[i] for i, r in items}
            records = got[sid]
            self.assertEqual(sorted(r["SequenceNumber"] for r in records), sorted(by_seq),
                             f"records of {sid}")
            for rec in records:
                entry = by_seq[rec["SequenceNumber"]]
                self.assertEqual(rec["PartitionKey"], entry["PartitionKey"])
                self.assertEqual(rec["Data"], entry["Data"])

    def test_explicit_hash_key_routes_instead_of_md5(self):
        name = self.new_stream(4)
        shards = self.list_shards(name)
        key = "a"  # MD5 routes "a" to shard 0
        for s in shards:
            lo, hi = int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"])
            for ehk in (lo, hi, (lo + hi) // 2):
                put = self.put(name, b"ehk", key, ExplicitHashKey=str(ehk))
                self.assertEqual(put["ShardId"], s["ShardId"], f"ExplicitHashKey {ehk}")
        self.assertEqual(self.put(name, b"", key, ExplicitHashKey="0")["ShardId"], shard_id(0))
        self.assertEqual(self.put(name, b"", key, ExplicitHashKey=str(MAX_HASH_KEY))["ShardId"], shard_id(3))
        # The partition key is still stored and returned (§6.14).
        records = self.read_all(name, shard_id(3))
        self.assertTrue(records)
        self.assertTrue(all(r["PartitionKey"] == key for r in records))
        # PutRecords entries honour it too.
        results = self.put_records(name, [
            {"Data": b"1", "PartitionKey": "a", "ExplicitHashKey": str(MAX_HASH_KEY)},
            {"Data": b"2", "PartitionKey": "e", "ExplicitHashKey": "0"},
            {"Data": b"3", "PartitionKey": "e"},
        ])
        self.assertEqual([r["ShardId"] for r in results], [shard_id(3), shard_id(0), shard_id(3)])

    def test_explicit_hash_key_out_of_range(self):
        name = self.new_stream(2)
        too_big = str(MAX_HASH_KEY + 1)
        msg = (f"Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
               f"Specified value was {too_big}")
        self.assert_error("InvalidArgumentException", self.client.put_record, StreamName=name, Data=b"x",
                          PartitionKey="k", ExplicitHashKey=too_big, message=msg)
        biggest = "9" * 39
        self.assert_error("InvalidArgumentException", self.client.put_record, StreamName=name, Data=b"x",
                          PartitionKey="k", ExplicitHashKey=biggest,
                          message=msg.replace(too_big, biggest))
        # One bad entry fails the whole PutRecords request; nothing is written.
        entries = [{"Data": b"good", "PartitionKey": f"k{i}"} for i in range(5)]
        entries.insert(3, {"Data": b"bad", "PartitionKey": "k", "ExplicitHashKey": too_big})
        self.assert_error("InvalidArgumentException", self.client.put_records, StreamName=name, Records=entries,
                          contains="ExplicitHashKey")
        self.assertEqual(self.read_stream(name), {shard_id(0): [], shard_id(1): []})

    def test_explicit_hash_key_pattern(self):
        name = self.new_stream()
        for bad in ("abc", "-1", "01", "1" + "0" * 39, "1.5", ""):
            self.assert_error("ValidationException", self.client.put_record, StreamName=name, Data=b"x",
                              PartitionKey="k", ExplicitHashKey=bad,
                              contains=["explicitHashKey", "failed to satisfy constraint"])


# =================================================================================== sequence numbers

class SequenceNumberTest(DataPlaneTestCase):

    def test_increasing_per_shard_and_above_the_starting_number(self):
        name = self.new_stream(2)
        shards = {s["ShardId"]: s for s in self.list_shards(name)}
        last: Dict[str, int] = {sid: seq(s["SequenceNumberRange"]["StartingSequenceNumber"])
                                for sid, s in shards.items()}
        for i in range(60):
            put = self.put(name, str(i).encode(), f"key-{i % 7}")
            n = seq(put["SequenceNumber"])
            self.assertGreater(n, last[put["ShardId"]], f"put {i} on {put['ShardId']}")
            last[put["ShardId"]] = n
        for i in range(5):
            results = self.put_records(name, [{"Data": b"b", "PartitionKey": f"key-{j}"} for j in range(20)])
            # every number of this batch is above everything acknowledged before it on that shard
            for sid in shards:
                nums = [seq(r["SequenceNumber"]) for r in results if r["ShardId"] == sid]
                if nums:
                    self.assertGreater(min(nums), last[sid])
                    last[sid] = max(nums)

    def test_sequence_number_for_ordering(self):
        name = self.new_stream(1)
        prev = self.put(name, b"first", "k")["SequenceNumber"]
        for i in range(20):
            put = self.put(name, f"next-{i}".encode(), "k", SequenceNumberForOrdering=prev)
            self.assertGreater(seq(put["SequenceNumber"]), seq(prev))
            prev = put["SequenceNumber"]
        # With an older number than the latest, the result is still above both.
        first = self.read_all(name, shard_id(0))[0]["SequenceNumber"]
        put = self.put(name, b"older", "k", SequenceNumberForOrdering=first)
        self.assertGreater(seq(put["SequenceNumber"]), seq(prev))
        self.assert_error("ValidationException", self.client.put_record, StreamName=name, Data=b"x",
                          PartitionKey="k", SequenceNumberForOrdering="not-a-number",
                          contains="sequenceNumberForOrdering")

    def test_sequence_number_for_ordering_ahead_of_the_shard(self):
        # A valid number of this shard that is above its tip (counter bumped): the new record must still get a
        # larger number -- or the server refuses the value as invalid (InvalidArgumentException).
        name = self.new_stream(1)
        base = seq(self.put(name, b"base", "k")["SequenceNumber"])
        for bump in (1 << 80, 1 << 90):  # the 63-bit counter sits at bits 80-143 (spec §5.2)
            supplied = base + bump
            try:
                put = self.client.put_record(StreamName=name, Data=b"after", PartitionKey="k",
                                             SequenceNumberForOrdering=str(supplied))
            except ClientError as exc:
                self.assertEqual(exc.response["Error"]["Code"], "InvalidArgumentException")
                continue
            self.assertGreater(seq(put["SequenceNumber"]), supplied)
            base = seq(put["SequenceNumber"])
            nxt = self.put(name, b"plain", "k")
            self.assertGreater(seq(nxt["SequenceNumber"]), base, "numbering continues above it")
            base = seq(nxt["SequenceNumber"])
        self.assert_error("InvalidArgumentException", self.client.put_record, StreamName=name, Data=b"x",
                          PartitionKey="k", SequenceNumberForOrdering="1",
                          message=(f"ExclusiveMinimumSequenceNumber 1 used in PutRecord on stream {name} "
                                   f"under account {ACCOUNT} is invalid."))

    def test_records_carry_the_acknowledged_numbers(self):
        name = self.new_stream(3)
        acked: Dict[str, List[str]] = {}
        for i in range(30):
            put = self.put(name, f"r{i}".encode(), f"k{i}")
            acked.setdefault(put["ShardId"], []).append(put["SequenceNumber"])
        got = self.read_stream(name)
        for sid, numbers in acked.items():
            self.assertEqual([r["SequenceNumber"] for r in got[sid]], numbers)


# =================================================================================== iterators

class IteratorTest(DataPlaneTestCase):

    def fill(self, name: str, n: int, key: str = "k", prefix: str = "r") -> List[Dict[str, Any]]:
        return [self.put(name, f"{prefix}{i}".encode(), key) for i in range(n)]

    def test_trim_horizon(self):
        name = self.new_stream()
        puts = self.fill(name, 10)
        records = self.read_all(name, shard_id(0), "TRIM_HORIZON")
        self.assertEqual([r["Data"] for r in records], [f"r{i}".encode() for i in range(10)])
        self.assertEqual([r["SequenceNumber"] for r in records], [p["SequenceNumber"] for p in puts])
        # An iterator is a position: reading it again returns the same records (§6.5).
        it = self.iterator(name, shard_id(0), "TRIM_HORIZON")
        a = self.get_records(it)["Records"]
        b = self.get_records(it)["Records"]
        self.assertEqual([r["SequenceNumber"] for r in a], [r["SequenceNumber"] for r in b])
        self.assertEqual(len(a), 10)

    def test_trim_horizon_on_an_empty_shard(self):
        name = self.new_stream()
        resp = self.get_records(self.iterator(name, shard_id(0), "TRIM_HORIZON"))
        self.assertEqual(resp["Records"], [])
        self.assertEqual(resp["MillisBehindLatest"], 0)
        self.put(name, b"later", "k")
        resp = self.get_records(resp["NextShardIterator"])
        self.assertEqual([r["Data"] for r in resp["Records"]], [b"later"])

    def test_latest_is_pinned_at_creation(self):
        name = self.new_stream()
        self.fill(name, 5, prefix="old")
        it = self.iterator(name, shard_id(0), "LATEST")
        first = self.get_records(it)
        self.assertEqual(first["Records"], [])
        self.assertEqual(first["MillisBehindLatest"], 0)
        self.fill(name, 3, prefix="new")
        # The same LATEST iterator, and the NextShardIterator of the empty read, both see the new records.
        self.assertEqual([r["Data"] for r in self.read_all(iterator=it)], [b"new0", b"new1", b"new2"])
        self.assertEqual([r["Data"] for r in self.read_all(iterator=first["NextShardIterator"])],
                         [b"new0", b"new1", b"new2"])
        # A LATEST iterator taken now sees nothing of that.
        self.assertEqual(self.read_all(name, shard_id(0), "LATEST"), [])

    def test_latest_on_an_empty_shard(self):
        name = self.new_stream()
        it = self.iterator(name, shard_id(0), "LATEST")
        self.fill(name, 2)
        self.assertEqual([r["Data"] for r in self.read_all(iterator=it)], [b"r0", b"r1"])

    def test_at_and_after_sequence_number(self):
        name = self.new_stream()
        puts = self.fill(name, 10)
        data = [f"r{i}".encode() for i in range(10)]
        for k in (0, 4, 9):
            sn = puts[k]["SequenceNumber"]
            at = self.read_all(name, shard_id(0), "AT_SEQUENCE_NUMBER", StartingSequenceNumber=sn)
            self.assertEqual([r["Data"] for r in at], data[k:], f"AT_SEQUENCE_NUMBER of record {k}")
            after = self.read_all(name, shard_id(0), "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=sn)
            self.assertEqual([r["Data"] for r in after], data[k + 1:], f"AFTER_SEQUENCE_NUMBER of record {k}")
        # The shard's StartingSequenceNumber: AT and AFTER it both start at the first record.
        start = self.list_shards(name)[0]["SequenceNumberRange"]["StartingSequenceNumber"]
        for kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
            got = self.read_all(name, shard_id(0), kind, StartingSequenceNumber=start)
            self.assertEqual([r["Data"] for r in got], data, kind)
        # AFTER the last record: nothing yet, then the next record.
        it = self.iterator(name, shard_id(0), "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=puts[-1]["SequenceNumber"])
        self.assertEqual(self.get_records(it)["Records"], [])
        self.put(name, b"r10", "k")
        self.assertEqual([r["Data"] for r in self.read_all(iterator=it)], [b"r10"])

    def test_sequence_number_iterator_errors(self):
        name = self.new_stream(2)
        for kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
            self.assert_error("InvalidArgumentException", self.client.get_shard_iterator, StreamName=name,
                              ShardId=shard_id(0), ShardIteratorType=kind,
                              message=MUST_SPECIFY.format(t=kind, what="no StartingSequenceNumber"))
        start = self.list_shards(name)[0]["SequenceNumberRange"]["StartingSequenceNumber"]
        for kind in ("TRIM_HORIZON", "LATEST"):
            self.assert_error("InvalidArgumentException", self.client.get_shard_iterator, StreamName=name,
                              ShardId=shard_id(0), ShardIteratorType=kind, StartingSequenceNumber=start,
                              message=MUST_SPECIFY.format(t=kind, what="also a StartingSequenceNumber"))
        self.assert_error("ValidationException", self.client.get_shard_iterator, StreamName=name,
                          ShardId=shard_id(0), ShardIteratorType="AT_SEQUENCE_NUMBER",
                          StartingSequenceNumber="12abc", contains="startingSequenceNumber")
        # Well-formed decimals that are no sequence number of this shard (version nibble 0 or 15).
        for bogus in ("0", "1", "9" * 129):
            for kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
                self.assert_error("InvalidArgumentException", self.client.get_shard_iterator, StreamName=name,
                                  ShardId=shard_id(0), ShardIteratorType=kind, StartingSequenceNumber=bogus,
                                  contains="StartingSequenceNumber")

    def test_sequence_number_of_another_shard(self):
        name = self.new_stream(2)
        on0 = self.put(name, b"x", "a")   # "a" -> shard 0 of 2
        on1 = self.put(name, b"y", "b")   # "b" -> shard 1 of 2
        self.assertEqual((on0["ShardId"], on1["ShardId"]), (shard_id(0), shard_id(1)))
        for kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
            err = self.assert_error("InvalidArgumentException", self.client.get_shard_iterator, StreamName=name,
                                    ShardId=shard_id(1), ShardIteratorType=kind,
                                    StartingSequenceNumber=on0["SequenceNumber"])
            self.assertIn("StartingSequenceNumber", err["Message"])
            self.assert_error("InvalidArgumentException", self.client.get_shard_iterator, StreamName=name,
                              ShardId=shard_id(0), ShardIteratorType=kind,
                              StartingSequenceNumber=on1["SequenceNumber"])
        # A shard's own StartingSequenceNumber cannot be used on the other shard either.
        start1 = self.list_shards(name)[1]["SequenceNumberRange"]["StartingSequenceNumber"]
        self.assert_error("InvalidArgumentException", self.client.get_shard_iterator, StreamName=name,
                          ShardId=shard_id(0), ShardIteratorType="AT_SEQUENCE_NUMBER",
                          StartingSequenceNumber=start1)

    def test_unknown_shard_and_stream(self):
        name = self.new_stream(2)
        for sid in (shard_id(2), shard_id(999), "shardId-999999999999"):
            err = self.assert_error("ResourceNotFoundException", self.client.get_shard_iterator, StreamName=name,
                                    ShardId=sid, ShardIteratorType="TRIM_HORIZON")
            self.assertIn(name, err["Message"])
            self.assertIn(ACCOUNT, err["Message"])
        self.assert_error("ResourceNotFoundException", self.client.get_shard_iterator, StreamName=uniq("nope"),
                          ShardId=shard_id(0), ShardIteratorType="TRIM_HORIZON")

    def test_lenient_shard_ids(self):
        # AWS accepts shardId-1 for shardId-000000000001 (§6.9).
        name = self.new_stream(2)
        self.put(name, b"on-1", "b")
        got = self.read_all(name, "shardId-1")
        self.assertEqual([r["Data"] for r in got], [b"on-1"])

    def test_iterator_type_and_shard_id_validation(self):
        name = self.new_stream()
        self.assert_error("ValidationException", self.client.get_shard_iterator, StreamName=name,
                          ShardId=shard_id(0), ShardIteratorType="OLDEST",
                          contains=["shardIteratorType", "Member must satisfy enum value set"])
        self.assert_error("ValidationException", self.client.get_shard_iterator, StreamName=name,
                          ShardId="bad shard!", ShardIteratorType="LATEST", contains="shardId")
        self.assert_error("ValidationException", self.client.get_shard_iterator, StreamName=name,
                          ShardIteratorType="LATEST",
                          message=validation(None, "shardId", "not be null"))

    def test_at_timestamp_whole_seconds(self):
        # boto3 sends whole seconds: write batch A, wait for the next whole second T, write batch B;
        # AT_TIMESTAMP T returns exactly batch B.
        name = self.new_stream()
        self.fill(name, 5, prefix="a")
        t_after_a = time.time()
        boundary = int(t_after_a) + 1
        time.sleep(max(0.0, boundary + 0.05 - time.time()))
        self.fill(name, 5, prefix="b")
        got = self.read_all(name, shard_id(0), "AT_TIMESTAMP", Timestamp=utc(boundary))
        self.assertEqual([r["Data"] for r in got], [f"b{i}".encode() for i in range(5)])
        for r in got:
            self.assertGreaterEqual(r["ApproximateArrivalTimestamp"].timestamp(), boundary)
        # A timestamp before every record behaves like TRIM_HORIZON.
        for past in (utc(boundary - 3600), utc(0)):
            got = self.read_all(name, shard_id(0), "AT_TIMESTAMP", Timestamp=past)
            self.assertEqual(len(got), 10)
        self.assert_error("InvalidArgumentException", self.client.get_shard_iterator, StreamName=name,
                          ShardId=shard_id(0), ShardIteratorType="AT_TIMESTAMP",
                          message="Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. "
                                  "Current request has no timestamp parameter.")

    def test_at_timestamp_milliseconds(self):
        # A fractional-second Timestamp (as JS/Go/Java send it): the first record with
        # ApproximateArrivalTimestamp >= Timestamp, at millisecond precision.
        name = self.new_stream()
        for i in range(6):
            self.put(name, f"m{i}".encode(), "k")
            time.sleep(0.012)
        records = self.read_all(name, shard_id(0))
        arrivals = [round(r["ApproximateArrivalTimestamp"].timestamp() * 1000) for r in records]
        self.assertEqual(arrivals, sorted(arrivals))
        for k in (1, 3, 5):
            ts_ms = arrivals[k]
            r = self.server.request("GetShardIterator", {
                "StreamName": name, "ShardId": shard_id(0), "ShardIteratorType": "AT_TIMESTAMP",
                "Timestamp": ts_ms / 1000.0})
            self.assertEqual(r.status, 200, r)
            got = self.read_all(iterator=r.json()["ShardIterator"])
            first = next(i for i, a in enumerate(arrivals) if a >= ts_ms)
            self.assertEqual([x["Data"] for x in got], [x["Data"] for x in records[first:]], f"k={k}")

    def test_at_timestamp_in_the_future(self):
        # AWS (2018) answered InvalidArgumentException; whether it still does is unconfirmed, so an
        # iterator that returns nothing yet is accepted too.
        name = self.new_stream()
        self.put(name, b"now", "k")
        future = utc(time.time() + 3600)
        try:
            it = self.client.get_shard_iterator(StreamName=name, ShardId=shard_id(0), ShardIteratorType="AT_TIMESTAMP",
                                                Timestamp=future)["ShardIterator"]
        except ClientError as exc:
            self.assertEqual(exc.response["Error"]["Code"], "InvalidArgumentException")
        else:
            self.assertEqual(self.get_records(it)["Records"], [])

    def test_iterator_of_a_deleted_stream(self):
        name = self.new_stream(1)
        self.put(name, b"x", "k")
        it = self.iterator(name, shard_id(0))
        self.client.delete_stream(StreamName=name)
        wait_gone(self.client, name)
        self.assert_error("ResourceNotFoundException", self.client.get_records, ShardIterator=it)
        self.assert_error("ResourceNotFoundException", self.client.get_shard_iterator, StreamName=name,
                          ShardId=shard_id(0), ShardIteratorType="TRIM_HORIZON")

    def test_iterator_of_a_deleted_and_recreated_stream(self):
        name = self.new_stream(1)
        created = time.time()
        olds = [self.put(name, f"old{i}".encode(), "k") for i in range(5)]
        it_old = self.iterator(name, shard_id(0), "TRIM_HORIZON")
        it_mid = self.iterator(name, shard_id(0), "AT_SEQUENCE_NUMBER", StartingSequenceNumber=olds[2]["SequenceNumber"])
        it_latest = self.iterator(name, shard_id(0), "LATEST")
        self.client.delete_stream(StreamName=name)
        wait_gone(self.client, name)
        # AWS tells streams apart by the creation second embedded in sequence numbers: re-create in a later second.
        time.sleep(max(0.0, int(created) + 1.1 - time.time()))
        self.client.create_stream(StreamName=name, ShardCount=1)
        wait_active(self.client, name)
        news = [self.put(name, f"new{i}".encode(), "k") for i in range(8)]
        new_data = {f"new{i}".encode() for i in range(8)}
        for label, it in (("TRIM_HORIZON", it_old), ("AT_SEQUENCE_NUMBER", it_mid), ("LATEST", it_latest)):
            try:
                resp = self.client.get_records(ShardIterator=it)
            except ClientError as exc:
                self.assertIn(exc.response["Error"]["Code"],
                              ("ResourceNotFoundException", "InvalidArgumentException", "ExpiredIteratorException"),
                              label)
            else:
                leaked = [r["Data"] for r in resp["Records"] if r["Data"] in new_data]
                self.assertEqual(leaked, [], f"an old {label} iterator read the new stream's records")
        # An old sequence number does not position into the new stream either.
        for kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
            try:
                it = self.iterator(name, shard_id(0), kind, StartingSequenceNumber=olds[1]["SequenceNumber"])
            except ClientError as exc:
                self.assertEqual(exc.response["Error"]["Code"], "InvalidArgumentException", kind)
            else:
                got = [r["SequenceNumber"] for r in self.read_all(iterator=it)]
                self.assertEqual(got, [p["SequenceNumber"] for p in news], f"{kind}: must not skip into the new stream")
        # The new stream reads normally.
        self.assertEqual([r["Data"] for r in self.read_all(name, shard_id(0))], [f"new{i}".encode() for i in range(8)])


# =================================================================================== GetRecords

class GetRecordsTest(DataPlaneTestCase):

    def test_limit(self):
        name = self.new_stream()
        self.put_records(name, [{"Data": f"d{i}".encode(), "PartitionKey": "k"} for i in range(25)])
        it = self.iterator(name, shard_id(0))
        resp = self.get_records(it, Limit=1)
        self.assertEqual(len(resp["Records"]), 1)
        self.assertGreater(resp["MillisBehindLatest"], -1)
        one_by_one = self.read_all(iterator=it, limit=1)
        self.assertEqual(len(one_by_one), 25)
        resp = self.get_records(it, Limit=10)
        self.assertEqual(len(resp["Records"]), 10)
        resp2 = self.get_records(resp["NextShardIterator"], Limit=10000)
        self.assertEqual(len(resp2["Records"]), 15)
        self.assertEqual(resp2["MillisBehindLatest"], 0)
        self.assertEqual([r["SequenceNumber"] for r in resp["Records"] + resp2["Records"]],
                         [r["SequenceNumber"] for r in one_by_one])

    def test_limit_validation(self):
        name = self.new_stream()
        it = self.iterator(name, shard_id(0))
        # The model range check gives ValidationException; the docs say InvalidArgumentException (§2.2).
        self.assert_error(("ValidationException", "InvalidArgumentException"), self.client.get_records,
                          ShardIterator=it, Limit=10001)
        self.assert_error("ValidationException", self.client.get_records, ShardIterator=it, Limit=0,
                          message=validation(0, "limit", "have value greater than or equal to 1"))
        self.assert_error("ValidationException", self.client.get_records,
                          message=validation(None, "shardIterator", "not be null"))

    def test_caught_up_reads_are_empty_with_a_next_iterator(self):
        name = self.new_stream()
        self.put(name, b"one", "k")
        resp = self.get_records(self.iterator(name, shard_id(0)))
        self.assertEqual(len(resp["Records"]), 1)
        it = resp["NextShardIterator"]
        for _ in range(3):
            resp = self.get_records(it)
            self.assertEqual(resp["Records"], [])
            self.assertEqual(resp["MillisBehindLatest"], 0)
            it = resp["NextShardIterator"]
        self.put(name, b"two", "k")
        self.assertEqual([r["Data"] for r in self.get_records(it)["Records"]], [b"two"])

    def test_millis_behind_latest(self):
        name = self.new_stream()
        self.put(name, b"old", "k")
        time.sleep(0.3)
        self.put(name, b"new", "k")
        resp = self.get_records(self.iterator(name, shard_id(0)), Limit=1)
        self.assertEqual([r["Data"] for r in resp["Records"]], [b"old"])
        # 300 ms between the record read and the tip; AWS's value is approximate, so only bound it loosely.
        self.assertGreater(resp["MillisBehindLatest"], 0, "behind the tip: not 0")
        self.assertLess(resp["MillisBehindLatest"], 60_000)
        resp = self.get_records(resp["NextShardIterator"])
        self.assertEqual([r["Data"] for r in resp["Records"]], [b"new"])
        self.assertEqual(resp["MillisBehindLatest"], 0)

    def test_arrival_timestamps(self):
        name = self.new_stream()
        stamps = []
        for i in range(5):
            t0 = time.time()
            self.put(name, b"t", "k")
            stamps.append((t0, time.time()))
            time.sleep(0.02)
        records = self.read_all(name, shard_id(0))
        for (t0, t1), r in zip(stamps, records):
            ts = r["ApproximateArrivalTimestamp"].timestamp()
            self.assertTrue(t0 - 1 <= ts <= t1 + 1, f"{ts} not within [{t0}, {t1}]")
        # millisecond precision, not whole seconds
        self.assertTrue(any(r["ApproximateArrivalTimestamp"].microsecond for r in records),
                        "ApproximateArrivalTimestamp should carry milliseconds")

    def test_response_size_is_capped_at_10_mib(self):
        name = self.new_stream()
        key = "big"
        size = MAX_RECORD - len(key)
        for i in range(11):
            self.put(name, bytes([i]) * size, key)
        resp = self.get_records(self.iterator(name, shard_id(0)))
        first = resp["Records"]
        self.assertTrue(1 <= len(first) <= 10, f"{len(first)} records of 1 MiB in one response")
        self.assertLessEqual(sum(len(r["Data"]) for r in first), 10 * MiB)
        rest = self.read_all(iterator=resp["NextShardIterator"])
        self.assertEqual([r["Data"][0] for r in first + rest], list(range(11)))
        self.assertTrue(all(len(r["Data"]) == size for r in first + rest))

    def test_garbage_and_tampered_iterators(self):
        name = self.new_stream()
        self.put(name, b"secret", "k")
        for garbage in ("garbage", "A" * 100, "AAAAAAAAAAE=", "x" * 512, "=" * 8):
            self.assert_error("InvalidArgumentException", self.client.get_records, ShardIterator=garbage)
        it = self.iterator(name, shard_id(0))
        self.assertEqual(len(self.get_records(it)["Records"]), 1)
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        for pos in sorted({len(it) // 4, len(it) // 3, len(it) // 2, (2 * len(it)) // 3, 3 * len(it) // 4}):
            c = it[pos]
            repl = alphabet[(alphabet.index(c) + 17) % len(alphabet)] if c in alphabet else "A"
            tampered = it[:pos] + repl + it[pos + 1:]
            self.assertNotEqual(tampered, it)
            self.assert_error("InvalidArgumentException", self.client.get_records, ShardIterator=tampered)
        self.assert_error("InvalidArgumentException", self.client.get_records, ShardIterator=it[: len(it) // 2])
        self.assert_error("ValidationException", self.client.get_records, ShardIterator="x" * 513,
                          contains="shardIterator")

    def test_iterator_of_another_stream_name_is_not_confused(self):
        # Two streams with the same shard ids: each iterator reads its own stream.
        a, b = self.new_stream(), self.new_stream()
        self.put(a, b"in-a", "k")
        self.put(b, b"in-b", "k")
        self.assertEqual([r["Data"] for r in self.read_all(a, shard_id(0))], [b"in-a"])
        self.assertEqual([r["Data"] for r in self.read_all(b, shard_id(0))], [b"in-b"])


# =================================================================================== validation of writes

class WriteValidationTest(DataPlaneTestCase):

    def test_missing_stream(self):
        name = uniq("missing")
        self.assert_error("ResourceNotFoundException", self.client.put_record, StreamName=name, Data=b"x",
                          PartitionKey="k", message=not_found(name))
        self.assert_error("ResourceNotFoundException", self.client.put_records, StreamName=name,
                          Records=[{"Data": b"x", "PartitionKey": "k"}], message=not_found(name))

    def test_data_over_one_mib(self):
        name = self.new_stream()
        n = MAX_RECORD + 1
        self.assert_error("ValidationException", self.client.put_record, StreamName=name,
                          Data=b"x" * n, PartitionKey="k",
                          message=validation(f"java.nio.HeapByteBuffer[pos=0 lim={n} cap={n}]", "data",
                                             "have length less than or equal to 1048576"))
        self.assertEqual(self.read_all(name, shard_id(0)), [])

    def test_record_over_one_mib_with_the_key_and_in_batches(self):
        name = self.new_stream()
        n = MAX_RECORD + 1
        # Data plus partition key over 1 MiB (data alone within it) is refused as well.
        key = "k" * 10
        self.assert_error(("ValidationException", "InvalidArgumentException"), self.client.put_record,
                          StreamName=name, Data=b"y" * (MAX_RECORD - len(key) + 1), PartitionKey=key)
        # An oversized PutRecords entry fails the whole request.
        self.assert_error(("ValidationException", "InvalidArgumentException"), self.client.put_records,
                          StreamName=name, Records=[{"Data": b"ok", "PartitionKey": "k"},
                                                    {"Data": b"z" * n, "PartitionKey": "k"}])
        self.assertEqual(self.read_all(name, shard_id(0)), [])

    def test_partition_key_length(self):
        name = self.new_stream()
        self.assert_error("ValidationException", self.client.put_record, StreamName=name, Data=b"x",
                          PartitionKey="",
                          message=validation("", "partitionKey", "have length greater than or equal to 1"))
        long_key = "k" * 257
        self.assert_error("ValidationException", self.client.put_record, StreamName=name, Data=b"x",
                          PartitionKey=long_key,
                          message=validation(long_key, "partitionKey", "have length less than or equal to 256"))
        self.assert_error("ValidationException", self.client.put_record, StreamName=name, Data=b"x",
                          message=validation(None, "partitionKey", "not be null"))
        self.assert_error("ValidationException", self.client.put_record, StreamName=name, PartitionKey="k",
                          message=validation(None, "data", "not be null"))
        self.assert_error("ValidationException", self.client.put_records, StreamName=name,
                          Records=[{"Data": b"x", "PartitionKey": "ok"}, {"Data": b"x", "PartitionKey": long_key}],
                          contains=["records.2.member.partitionKey",
                                    "Member must have length less than or equal to 256"])
        self.assert_error("ValidationException", self.client.put_records, StreamName=name,
                          Records=[{"Data": b"x", "PartitionKey": ""}],
                          contains="records.1.member.partitionKey")
        self.assertEqual(self.read_all(name, shard_id(0)), [])

    def test_put_records_entry_count(self):
        name = self.new_stream()
        self.assert_error("ValidationException", self.client.put_records, StreamName=name, Records=[],
                          contains=["'records'", "Member must have length greater than or equal to 1"])
        self.assert_error("ValidationException", self.client.put_records, StreamName=name,
                          Records=[{"Data": b"x", "PartitionKey": "k"}] * 501,
                          contains=["'records'", "Member must have length less than or equal to 500"])
        self.assert_error("ValidationException", self.client.put_records, StreamName=name,
                          message=validation(None, "records", "not be null"))
        self.assertEqual(len(self.put_records(name, [{"Data": b"x", "PartitionKey": "k"}] * 500)), 500)
        self.assertEqual(len(self.read_all(name, shard_id(0))), 500)

    def test_put_records_request_size(self):
        name = self.new_stream(2)
        # 500 x 10 KiB (5,000 KiB plus keys) is within every version of the limit.
        entries = [{"Data": os.urandom(10 * 1024), "PartitionKey": f"k{i}"} for i in range(500)]
        results = self.put_records(name, entries)
        self.assertEqual(len(results), 500)
        # Over 10 MiB in one request fails as a whole (InvalidArgumentException "Records size exceeds ... limit",
        # or a validation/serialization error).
        big = [{"Data": bytes([i]) * 1_000_000, "PartitionKey": f"b{i}"} for i in range(11)]
        self.assert_error(("InvalidArgumentException", "ValidationException", "SerializationException"),
                          self.client.put_records, StreamName=name, Records=big)
        total = sum(len(v) for v in self.read_stream(name).values())
        self.assertEqual(total, 500)

    def test_invalid_base64(self):
        name = self.new_stream()
        srv = self.server
        for bad in ("!!!!", "ab$d", "aGVsbG8=aGVsbG8=#", "a===", "@@@@@@@@"):
            r = srv.request("PutRecord", {"StreamName": name, "Data": bad, "PartitionKey": "k"})
            self.assertEqual(r.status, 400, f"{bad!r}: {r!r}")
            self.assertEqual(r.error_type, "SerializationException", f"{bad!r}: {r!r}")
            self.assertEqual(r.headers.get("x-amzn-errortype"), "SerializationException")
            r = srv.request("PutRecords", {"StreamName": name,
                                           "Records": [{"Data": "aGk=", "PartitionKey": "k"},
                                                       {"Data": bad, "PartitionKey": "k"}]})
            self.assertEqual(r.status, 400, f"{bad!r}: {r!r}")
            self.assertEqual(r.error_type, "SerializationException", f"{bad!r}: {r!r}")
        # Wrong JSON types are serialization errors too.
        r = srv.request("PutRecord", {"StreamName": name, "Data": 12, "PartitionKey": "k"})
        self.assertEqual((r.status, r.error_type), (400, "SerializationException"), r)
        r = srv.request("PutRecords", {"StreamName": name, "Records": {"Data": "aGk=", "PartitionKey": "k"}})
        self.assertEqual((r.status, r.error_type), (400, "SerializationException"), r)
        self.assertEqual(self.read_all(name, shard_id(0)), [])

    def test_stream_name_validation(self):
        self.assert_error("ValidationException", self.client.put_record, StreamName="bad name!", Data=b"x",
                          PartitionKey="k", contains="streamName")


class CreatingStreamTest(DataPlaneTestCase):
    """Writes and reads while the stream is CREATING fail as if it did not exist (spec §3.4, §6.13)."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = ShoalServer(tmp_prefix=TMP_PREFIX, create_delay_ms=20_000)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.close()

    def test_put_and_get_while_creating(self):
        name = uniq("creating")
        self.client.create_stream(StreamName=name, ShardCount=2)
        self.assertEqual(self.client.describe_stream_summary(StreamName=name)
                         ["StreamDescriptionSummary"]["StreamStatus"], "CREATING")
        self.assert_error("ResourceNotFoundException", self.client.put_record, StreamName=name, Data=b"x",
                          PartitionKey="k", message=not_found(name))
        self.assert_error("ResourceNotFoundException", self.client.put_records, StreamName=name,
                          Records=[{"Data": b"x", "PartitionKey": "k"}], message=not_found(name))
        self.assert_error("ResourceNotFoundException", self.client.get_shard_iterator, StreamName=name,
                          ShardId=shard_id(0), ShardIteratorType="TRIM_HORIZON")


# =================================================================================== concurrency

class ConcurrentWritersTest(DataPlaneTestCase):

    def test_per_key_ordering_under_concurrent_writers(self):
        name = self.new_stream(3)
        writers, keys_per_writer, per_key = 8, 3, 40
        clients = [make_client(self.server) for _ in range(writers)]
        acked: Dict[str, List[Tuple[int, str, str]]] = {}  # key -> [(n, shard, seq)] in write order
        errors: List[BaseException] = []
        lock = threading.Lock()
        start = threading.Barrier(writers)

        def writer(w: int) -> None:
            client = clients[w]
            keys = [f"w{w}-k{j}" for j in range(keys_per_writer)]
            prev: Dict[str, str] = {}
            mine: Dict[str, List[Tuple[int, str, str]]] = {k: [] for k in keys}
            try:
                start.wait()
                for n in range(per_key):
                    if w % 2 == 0:
                        # PutRecord, one key after the other; odd n with SequenceNumberForOrdering.
                        for k in keys:
                            extra = {"SequenceNumberForOrdering": prev[k]} if (n % 2 and k in prev) else {}
                            r = client.put_record(StreamName=name, Data=f"{k}:{n}".encode(), PartitionKey=k, **extra)
                            prev[k] = r["SequenceNumber"]
                            mine[k].append((n, r["ShardId"], r["SequenceNumber"]))
                    else:
                        # PutRecords with one entry per key (ordering within one request is not promised).
                        r = client.put_records(StreamName=name, Records=[
                            {"Data": f"{k}:{n}".encode(), "PartitionKey": k} for k in keys])
                        if r["FailedRecordCount"]:
                            raise AssertionError(f"PutRecords failed entries: {r['Records']}")
                        for k, res in zip(keys, r["Records"]):
                            mine[k].append((n, res["ShardId"], res["SequenceNumber"]))
            except BaseException as exc:  # reported by the main thread
                errors.append(exc)
            with lock:
                acked.update(mine)

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        self.assertFalse(any(t.is_alive() for t in threads), "writers hung")
        if errors:
            raise errors[0]

        got = self.read_stream(name)
        shards = self.list_shards(name)
        seen: Dict[str, List[Tuple[int, str]]] = {}
        for sid, records in got.items():
            for r in records:
                k, n = r["Data"].decode().rsplit(":", 1)
                self.assertEqual(r["PartitionKey"], k)
                self.assertEqual(sid, shard_for_hash(shards, partition_key_hash(k)))
                seen.setdefault(k, []).append((int(n), r["SequenceNumber"]))
        self.assertEqual(set(seen), set(acked))
        for k, items in acked.items():
            # Read back in the order the writer wrote them, with the acknowledged sequence numbers.
            self.assertEqual(seen[k], [(n, s) for n, _, s in items], f"key {k}")
            nums = [seq(s) for _, _, s in items]
            self.assertEqual(nums, sorted(nums), f"acknowledged numbers of {k} increase")
        self.assertEqual(sum(len(v) for v in got.values()), writers * keys_per_writer * per_key)


    def test_tailing_reader_sees_every_record_once_in_order(self):
        # A reader follows the shard with NextShardIterator while writers append to it: it sees every
        # acknowledged record exactly once, in sequence order, and never a partial batch out of order.
        name = self.new_stream(1)
        writer_clients = [make_client(self.server) for _ in range(3)]
        acked: List[str] = []
        lock = threading.Lock()
        errors: List[BaseException] = []
        done = threading.Event()

        def writer(w: int) -> None:
            try:
                for b in range(15):
                    r = writer_clients[w].put_records(StreamName=name, Records=[
                        {"Data": f"{w}:{b}:{i}".encode(), "PartitionKey": f"k{w}"} for i in range(40)])
                    if r["FailedRecordCount"]:
                        raise AssertionError(f"failed entries: {r['Records']}")
                    with lock:
                        acked.extend(x["SequenceNumber"] for x in r["Records"])
            except BaseException as exc:
                errors.append(exc)

        it = self.iterator(name, shard_id(0), "LATEST")
        threads = [threading.Thread(target=writer, args=(w,)) for w in range(3)]
        for t in threads:
            t.start()
        seen: List[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            # Sampled before the read: an empty read that started after every writer had its
            # last acknowledgement proves nothing is left to see.
            writers_done = not any(t.is_alive() for t in threads)
            resp = self.get_records(it)
            if seen and resp["Records"]:
                self.assertGreater(seq(resp["Records"][0]["SequenceNumber"]), seq(seen[-1]))
            seen += [r["SequenceNumber"] for r in resp["Records"]]
            it = resp["NextShardIterator"]
            if writers_done and not resp["Records"] and resp["MillisBehindLatest"] == 0:
                break
        for t in threads:
            t.join(timeout=60)
        if errors:
            raise errors[0]
        self.assertEqual(len(seen), len(set(seen)), "a record was returned twice")
        self.assertEqual(sorted(seen, key=int), seen)
        self.assertEqual(set(seen), set(acked))
        self.assertEqual(len(seen), 3 * 15 * 40)


# =================================================================================== expiry

class ExpiredIteratorTest(DataPlaneTestCase):
    """Iterators expire a fixed time after issue (--iterator-ttl-seconds 2 here; AWS: 300 s)."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = ShoalServer(tmp_prefix=TMP_PREFIX, iterator_ttl_seconds=2)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.close()

    def test_expiry_by_issue_time(self):
        name = self.new_stream()
        self.put(name, b"r0", "k")
        t0 = time.monotonic()
        it1 = self.iterator(name, shard_id(0))
        # Reusable within its lifetime; every use hands out a fresh NextShardIterator.
        self.assertEqual([r["Data"] for r in self.get_records(it1)["Records"]], [b"r0"])
        chain = it1
        for _ in range(4):
            time.sleep(0.85)
            chain = self.get_records(chain)["NextShardIterator"]
        elapsed = time.monotonic() - t0
        self.assertGreater(elapsed, 3.0)
        # it1 is older than 3 s (TTL 2 s): expired. The freshest link of the chain still works.
        err = self.assert_error("ExpiredIteratorException", self.client.get_records, ShardIterator=it1)
        self.assertTrue(err.get("Message"), "ExpiredIteratorException carries a message")
        self.assertEqual(self.get_records(chain)["Records"], [])
        # A new iterator works again.
        self.assertEqual([r["Data"] for r in self.get_records(self.iterator(name, shard_id(0)))["Records"]], [b"r0"])

    def test_unused_iterator_expires(self):
        name = self.new_stream()
        it = self.iterator(name, shard_id(0), "LATEST")
        time.sleep(3.2)
        self.assert_error("ExpiredIteratorException", self.client.get_records, ShardIterator=it)


# =================================================================================== persistence

class PersistenceTest(DataPlaneTestCase):
    """Acknowledged records survive kill -9 byte for byte; numbering continues upwards."""

    durability: Optional[str] = None

    @classmethod
    def setUpClass(cls) -> None:
        flags = {} if cls.durability is None else {"durability": cls.durability}
        cls.server = ShoalServer(tmp_prefix=TMP_PREFIX, **flags)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.close()

    def test_records_survive_kill9(self):
        name = self.new_stream(3)
        rnd = random.Random(9)
        written: List[Tuple[str, str, bytes, str]] = []  # (shard, seq, data, key)
        for i in range(40):
            data = rnd.randbytes(rnd.choice([0, 1, 100, 5000]))
            r = self.put(name, data, f"p{i}")
            written.append((r["ShardId"], r["SequenceNumber"], data, f"p{i}"))
        entries = [{"Data": rnd.randbytes(rnd.randrange(0, 2000)), "PartitionKey": f"b{i}"} for i in range(300)]
        for e, r in zip(entries, self.put_records(name, entries)):
            written.append((r["ShardId"], r["SequenceNumber"], e["Data"], e["PartitionKey"]))
        big = os.urandom(MAX_RECORD - 3)
        r = self.put(name, big, "big")
        written.append((r["ShardId"], r["SequenceNumber"], big, "big"))
        before = self.read_stream(name)

        self.server.kill9()
        self.server.start()
        self.client = make_client(self.server)

        after = self.read_stream(name)
        self.assertEqual(set(after), set(before))
        for sid in before:
            self.assertEqual([(r["SequenceNumber"], r["Data"], r["PartitionKey"], r["ApproximateArrivalTimestamp"])
                              for r in after[sid]],
                             [(r["SequenceNumber"], r["Data"], r["PartitionKey"], r["ApproximateArrivalTimestamp"])
                              for r in before[sid]], f"{sid} after kill -9")
        index = {(sid, r["SequenceNumber"]): r for sid, recs in after.items() for r in recs}
        for sid, sn, data, key in written:
            rec = index.get((sid, sn))
            self.assertIsNotNone(rec, f"acknowledged record {sid}/{sn} lost")
            self.assertEqual(rec["Data"], data)
            self.assertEqual(rec["PartitionKey"], key)

        # Numbering continues above every number from before the crash, per shard.
        top = {sid: max((seq(r["SequenceNumber"]) for r in recs), default=0) for sid, recs in after.items()}
        for i in range(30):
            r = self.put(name, b"post", f"p{i}")
            self.assertGreater(seq(r["SequenceNumber"]), top[r["ShardId"]])
            top[r["ShardId"]] = seq(r["SequenceNumber"])
        # Old sequence numbers still position iterators; LATEST is after the last record.
        sid, sn, data, _ = written[5]
        got = self.read_all(name, sid, "AT_SEQUENCE_NUMBER", StartingSequenceNumber=sn)
        self.assertEqual(got[0]["Data"], data)
        self.assertEqual(self.read_all(name, shard_id(0), "LATEST"), [])

        # A second crash right after writes, then a clean restart: still everything.
        self.server.kill9()
        self.server.start()
        self.client = make_client(self.server)
        total = sum(len(v) for v in self.read_stream(name).values())
        self.assertEqual(total, len(written) + 30)
        self.server.restart()
        self.client = make_client(self.server)
        self.assertEqual(sum(len(v) for v in self.read_stream(name).values()), len(written) + 30)


class FlushDurabilityPersistenceTest(PersistenceTest):
    """--durability flush acknowledges once the OS has the data: a process crash (kill -9) loses nothing."""
    durability = "flush"


if __name__ == "__main__":
    unittest.main()
