"""End-to-end tests of the data plane over CBOR, with requests shaped like the AWS SDK for Java v2
(and so KCL): indefinite-length maps and arrays, Data as CBOR byte strings, request timestamps as
tag 1 + integer epoch milliseconds. Responses must be CBOR with Data as a byte string (base64 text is
accepted too: Java reads both) and ApproximateArrivalTimestamp as integer milliseconds (tag 1 optional)
(wire-protocol.md §1.2, §2; kinesis-api-spec.md §1.3).

Runs under Debian's /usr/bin/python3 (python3-cbor2):

    SHOAL_BIN=build/shoal /usr/bin/python3 -m unittest -v test_cbor_data_plane   (in tests/python)

The encoder, decoder and request helpers come from test_cbor_control_plane.
"""

from __future__ import annotations

import base64
import hashlib
import os
import random
import sys
import time
import unittest
from typing import Any, Dict, List, Optional

import cbor2
from cbor2 import CBORTag

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_cbor_control_plane as cp  # noqa: E402
from shoal_harness import partition_key_hash, shard_for_hash  # noqa: E402

MiB = 1 << 20
MAX_HASH = (1 << 128) - 1
SEQ_RE = r"^[1-9]\d{55}$"


class ChunkedBytes(bytes):
    """A byte string written as an indefinite-length (chunked) byte string: 0x5F <chunks> 0xFF."""


def java_cbor(value: Any) -> bytes:
    """cp.jackson_cbor plus chunked byte strings (recursing through maps and lists)."""
    if isinstance(value, ChunkedBytes):
        raw = bytes(value)
        step = max(1, len(raw) // 3 or 1)
        parts = [raw[i:i + step] for i in range(0, len(raw), step)] or [b""]
        return b"\x5f" + b"".join(cp._head(2, len(p)) + p for p in parts) + b"\xff"
    if isinstance(value, cp.Definite):
        return cp._head(5, len(value)) + b"".join(java_cbor(k) + java_cbor(v) for k, v in value.items())
    if isinstance(value, dict):
        return b"\xbf" + b"".join(java_cbor(k) + java_cbor(v) for k, v in value.items()) + b"\xff"
    if isinstance(value, (list, tuple)):
        return b"\x9f" + b"".join(java_cbor(v) for v in value) + b"\xff"
    return cp.jackson_cbor(value)


def blob(value: Any) -> bytes:
    """A response blob: a CBOR byte string, or base64 text (the Java SDK accepts both)."""
    if isinstance(value, bytes):
        return value
    assert isinstance(value, str), f"Data must be a byte string (or base64 text), got {type(value).__name__}"
    return base64.b64decode(value, validate=True)


def shard_id(i: int) -> str:
    return f"shardId-{i:012d}"


class CborDataPlaneCase(cp.CborTestCase):
    server_flags: Dict[str, Any] = {"tmp_prefix": "e2e-cbor-dp-"}

    def call_java(self, operation: str, params: Any) -> Dict[str, Any]:
        """Like cp.CborTestCase.call but with java_cbor (chunked byte strings)."""
        reply = self.raw(operation, java_cbor(params))
        self.assertEqual(reply.status, 200, f"{operation} failed: {reply!r}")
        self.assertEqual(reply.headers.get("content-type"), cp.CBOR)
        return reply.data if reply.body else {}

    def new_stream(self, shards: int = 1) -> str:
        name = cp.unique("cbor-dp")
        self.create_active(name, ShardCount=shards)
        return name

    def put(self, name: str, data: bytes, key: str, **extra: Any) -> Dict[str, Any]:
        out = self.call("PutRecord", {"StreamName": name, "Data": data, "PartitionKey": key, **extra})
        self.assertRegex(out["ShardId"], r"^shardId-\d{12}$")
        self.assertIsInstance(out["SequenceNumber"], str)
        self.assertRegex(out["SequenceNumber"], SEQ_RE)
        if "EncryptionType" in out:
            self.assertEqual(out["EncryptionType"], "NONE")
        return out

    def iterator(self, name: str, shard: str, kind: str = "TRIM_HORIZON", **extra: Any) -> str:
        out = self.call("GetShardIterator", {"StreamName": name, "ShardId": shard, "ShardIteratorType": kind, **extra})
        it = out["ShardIterator"]
        self.assertIsInstance(it, str)
        self.assertTrue(1 <= len(it) <= 512)
        return it

    def get_records(self, it: str, limit: Optional[int] = None) -> Dict[str, Any]:
        params: Dict[str, Any] = {"ShardIterator": it}
        if limit is not None:
            params["Limit"] = limit
        out = self.call("GetRecords", params)
        self.assertIsInstance(out["Records"], list)
        self.assertIsInstance(out.get("NextShardIterator"), str, f"NextShardIterator: {out!r}"[:500])
        mbl = out.get("MillisBehindLatest")
        self.assertTrue(isinstance(mbl, int) and not isinstance(mbl, bool) and mbl >= 0,
                        f"MillisBehindLatest must be a non-negative integer: {mbl!r}")
        self.assertFalse(out.get("ChildShards"))
        last = None
        for r in out["Records"]:
            self.assertIsInstance(r["SequenceNumber"], str)
            self.assertRegex(r["SequenceNumber"], SEQ_RE)
            self.assertIsInstance(r["PartitionKey"], str)
            r["Data"] = blob(r["Data"])
            r["_arrival_ms"] = cp.timestamp_ms(r["ApproximateArrivalTimestamp"])
            if last is not None:
                self.assertGreater(int(r["SequenceNumber"]), last)
            last = int(r["SequenceNumber"])
        return out

    def read_all(self, it: str, limit: Optional[int] = None) -> List[Dict[str, Any]]:
        out: List[Dict[str, Any]] = []
        for _ in range(1000):
            res = self.get_records(it, limit)
            out += res["Records"]
            it = res["NextShardIterator"]
            if not res["Records"] and res["MillisBehindLatest"] == 0:
                return out
        self.fail("GetRecords never caught up")

    def read_shard(self, name: str, shard: str, kind: str = "TRIM_HORIZON", **extra: Any) -> List[Dict[str, Any]]:
        return self.read_all(self.iterator(name, shard, kind, **extra))


class CborRoundTripTest(CborDataPlaneCase):

    def test_byte_strings_round_trip(self) -> None:
        name = self.new_stream()
        payloads = [b"", b"\x00", b"\xff", bytes(range(256)), os.urandom(1000), os.urandom(70000)]
        t0 = time.time() * 1000
        puts = [self.put(name, data, f"k{i}") for i, data in enumerate(payloads)]
        t1 = time.time() * 1000
        records = self.read_shard(name, shard_id(0))
        self.assertEqual([r["Data"] for r in records], payloads)
        self.assertEqual([r["SequenceNumber"] for r in records], [p["SequenceNumber"] for p in puts])
        self.assertEqual([r["PartitionKey"] for r in records], [f"k{i}" for i in range(len(payloads))])
        for r in records:
            raw_ts = r["ApproximateArrivalTimestamp"]
            self.assertNotIsInstance(raw_ts, float, "a float timestamp breaks Java ('Unable to parse date')")
            cp.assert_ms_near_now(self, raw_ts, t0, t1, "ApproximateArrivalTimestamp")
        nums = [int(p["SequenceNumber"]) for p in puts]
        self.assertEqual(nums, sorted(nums))
        self.assertEqual(len(set(nums)), len(nums))

    def test_raw_response_encoding(self) -> None:
        # Data must come back as a CBOR byte string (major type 2) or base64 text; check the raw bytes
        # of a response too: the record's data appears verbatim when it is a byte string.
        name = self.new_stream()
        self.put(name, b"\x00\x01hello\xff", "pk")
        it = self.iterator(name, shard_id(0))
        reply = self.raw("GetRecords", cp.jackson_cbor({"ShardIterator": it}))
        self.assertEqual(reply.status, 200, reply)
        rec = reply.data["Records"][0]
        if isinstance(rec["Data"], bytes):
            self.assertIn(b"\x48\x00\x01hello\xff", reply.body, "an 8-byte byte string: 0x48 ...")
        else:
            self.assertEqual(base64.b64decode(rec["Data"]), b"\x00\x01hello\xff")
        ts = rec["ApproximateArrivalTimestamp"]
        self.assertTrue(isinstance(ts, int) or (isinstance(ts, CBORTag) and ts.tag == 1 and isinstance(ts.value, int)),
                        f"ApproximateArrivalTimestamp must be integer milliseconds, got {ts!r}")

    def test_one_mib_record_at_the_limit(self) -> None:
        name = self.new_stream()
        key = "m" * 32
        data = os.urandom(MiB - len(key))
        out = self.put(name, data, key)
        got = self.read_shard(name, shard_id(0), "AT_SEQUENCE_NUMBER", StartingSequenceNumber=out["SequenceNumber"])
        self.assertEqual(len(got), 1)
        self.assertTrue(got[0]["Data"] == data, "1 MiB record differs")
        self.assertEqual(got[0]["PartitionKey"], key)

    def test_chunked_and_definite_encodings(self) -> None:
        name = self.new_stream()
        data = bytes(range(256)) * 3
        self.call_java("PutRecord", {cp.Chunked("StreamName"): cp.Chunked(name), "Data": ChunkedBytes(data),
                                     "PartitionKey": cp.Chunked("chunked-key")})
        self.call("PutRecord", {"StreamName": name, "Data": b"definite", "PartitionKey": "d"}, definite=True)
        self.call_java("PutRecords", {"StreamName": name, "Records": [
            {"Data": ChunkedBytes(b"in-a-batch"), "PartitionKey": "b"},
            cp.Definite({"Data": b"", "PartitionKey": "e"}),
        ]})
        got = self.read_shard(name, shard_id(0))
        self.assertEqual([(r["PartitionKey"], r["Data"]) for r in got],
                         [("chunked-key", data), ("d", b"definite"), ("b", b"in-a-batch"), ("e", b"")])

    def test_put_records_500_across_shards(self) -> None:
        name = self.new_stream(4)
        shards = self.call("ListShards", {"StreamName": name})["Shards"]
        rnd = random.Random(4)
        entries = [{"Data": rnd.randbytes(rnd.randrange(0, 300)), "PartitionKey": f"k-{i}-{rnd.random()}"}
                   for i in range(500)]
        out = self.call("PutRecords", {"StreamName": name, "Records": entries})
        self.assertEqual(out.get("FailedRecordCount", 0), 0)
        self.assertEqual(len(out["Records"]), 500)
        expect: Dict[tuple, Dict[str, Any]] = {}
        for e, r in zip(entries, out["Records"]):
            self.assertNotIn("ErrorCode", r)
            self.assertEqual(r["ShardId"], shard_for_hash(shards, partition_key_hash(e["PartitionKey"])))
            expect[(r["ShardId"], r["SequenceNumber"])] = e
        got = {}
        for s in shards:
            for r in self.read_shard(name, s["ShardId"]):
                got[(s["ShardId"], r["SequenceNumber"])] = {"Data": r["Data"], "PartitionKey": r["PartitionKey"]}
        self.assertEqual(got, expect)

    def test_explicit_hash_key_and_ordering(self) -> None:
        name = self.new_stream(2)
        out = self.put(name, b"x", "a", ExplicitHashKey=str(MAX_HASH))
        self.assertEqual(out["ShardId"], shard_id(1))
        nxt = self.put(name, b"y", "a", ExplicitHashKey=str(MAX_HASH), SequenceNumberForOrdering=out["SequenceNumber"])
        self.assertGreater(int(nxt["SequenceNumber"]), int(out["SequenceNumber"]))


class CborIteratorTest(CborDataPlaneCase):

    def test_iterator_types_and_at_timestamp_in_milliseconds(self) -> None:
        name = self.new_stream()
        puts = []
        for i in range(8):
            puts.append(self.put(name, f"r{i}".encode(), "k"))
            time.sleep(0.012)
        all_records = self.read_shard(name, shard_id(0))
        data = [r["Data"] for r in all_records]
        self.assertEqual(data, [f"r{i}".encode() for i in range(8)])
        self.assertEqual([r["Data"] for r in self.read_shard(name, shard_id(0), "AT_SEQUENCE_NUMBER",
                                                              StartingSequenceNumber=puts[2]["SequenceNumber"])],
                         data[2:])
        self.assertEqual([r["Data"] for r in self.read_shard(name, shard_id(0), "AFTER_SEQUENCE_NUMBER",
                                                              StartingSequenceNumber=puts[2]["SequenceNumber"])],
                         data[3:])
        arrivals = [r["_arrival_ms"] for r in all_records]
        self.assertTrue(any(a % 1000 for a in arrivals), f"arrival timestamps look truncated to seconds: {arrivals}")
        for k in (1, 4, 7):
            first = next(i for i, a in enumerate(arrivals) if a >= arrivals[k])
            got = self.read_shard(name, shard_id(0), "AT_TIMESTAMP", Timestamp=cp.Millis(arrivals[k]))
            self.assertEqual([r["Data"] for r in got], data[first:], f"AT_TIMESTAMP {arrivals[k]} ms")
            after = [i for i, a in enumerate(arrivals) if a >= arrivals[k] + 1]
            got = self.read_shard(name, shard_id(0), "AT_TIMESTAMP", Timestamp=cp.Millis(arrivals[k] + 1))
            self.assertEqual([r["Data"] for r in got], data[after[0]:] if after else [])
        got = self.read_shard(name, shard_id(0), "AT_TIMESTAMP", Timestamp=cp.Millis(time.time() * 1000 - 3_600_000))
        self.assertEqual(len(got), 8)
        # The same with a definite-length request body (cbor2), tag 1 + integer milliseconds.
        it = self.call("GetShardIterator", {"StreamName": name, "ShardId": shard_id(0), "ShardIteratorType": "AT_TIMESTAMP",
                                            "Timestamp": CBORTag(1, arrivals[4])}, definite=True)["ShardIterator"]
        first = next(i for i, a in enumerate(arrivals) if a >= arrivals[4])
        self.assertEqual([r["Data"] for r in self.read_all(it)], data[first:])

        latest = self.iterator(name, shard_id(0), "LATEST")
        res = self.get_records(latest)
        self.assertEqual(res["Records"], [])
        self.assertEqual(res["MillisBehindLatest"], 0)
        self.put(name, b"late", "k")
        self.assertEqual([r["Data"] for r in self.read_all(res["NextShardIterator"])], [b"late"])
        self.assertEqual([r["Data"] for r in self.read_all(latest, limit=1)], [b"late"])

    def test_record_over_one_mib(self) -> None:
        name = self.new_stream()
        self.assert_error("PutRecord", {"StreamName": name, "Data": b"\x01" * (MiB + 1), "PartitionKey": "k"},
                          "ValidationException",
                          message_regex=r"at 'data' failed to satisfy constraint: Member must have length less than "
                                        r"or equal to 1048576$")

    def test_errors_in_cbor(self) -> None:
        name = self.new_stream(2)
        self.assert_error("PutRecord", {"StreamName": name, "Data": b"x", "PartitionKey": "k" * 257},
                          "ValidationException", message_regex="partitionKey")
        self.assert_error("PutRecords", {"StreamName": name, "Records": []}, "ValidationException",
                          message_regex="records")
        too_big = str(MAX_HASH + 1)
        self.assert_error("PutRecord", {"StreamName": name, "Data": b"x", "PartitionKey": "k", "ExplicitHashKey": too_big},
                          "InvalidArgumentException",
                          message="Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
                                  f"Specified value was {too_big}")
        missing = cp.unique("cbor-missing")
        self.assert_error("PutRecord", {"StreamName": missing, "Data": b"x", "PartitionKey": "k"},
                          "ResourceNotFoundException", message=f"Stream {missing} under account 000000000000 not found.")
        self.assert_error("GetShardIterator", {"StreamName": name, "ShardId": shard_id(9), "ShardIteratorType": "LATEST"},
                          "ResourceNotFoundException")
        self.assert_error("GetShardIterator", {"StreamName": name, "ShardId": shard_id(0),
                                               "ShardIteratorType": "AT_TIMESTAMP"}, "InvalidArgumentException")
        self.assert_error("GetRecords", {"ShardIterator": "definitely-not-an-iterator"}, "InvalidArgumentException")
        it = self.iterator(name, shard_id(0))
        got_type, _, _ = self.call_error("GetRecords", {"ShardIterator": it, "Limit": 10001})
        self.assertIn(got_type, ("ValidationException", "InvalidArgumentException"))
        # A blob that is neither a byte string nor text is a serialization error.
        got_type, _, _ = self.call_error("PutRecord", {"StreamName": name, "Data": 5, "PartitionKey": "k"})
        self.assertEqual(got_type, "SerializationException")
        self.assertEqual(self.read_all(it), [])


class CborExpiredIteratorTest(CborDataPlaneCase):
    server_flags = {"tmp_prefix": "e2e-cbor-dp-", "iterator_ttl_seconds": 2}

    def test_expired_iterator(self) -> None:
        name = self.new_stream()
        self.put(name, b"x", "k")
        it = self.iterator(name, shard_id(0))
        self.assertEqual(len(self.get_records(it)["Records"]), 1)
        time.sleep(3.2)
        self.assert_error("GetRecords", {"ShardIterator": it}, "ExpiredIteratorException")


if __name__ == "__main__":
    unittest.main()
