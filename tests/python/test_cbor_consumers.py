"""End-to-end tests of the consumer operations and SubscribeToShard over CBOR, with requests shaped
like the AWS SDK for Java v2 (what KCL uses for enhanced fan-out): timestamps in responses are
integer epoch milliseconds, StreamCreationTimestamp in requests is tag 1 + milliseconds.

    SHOAL_BIN=build/shoal /usr/bin/python3 -m unittest -v test_cbor_consumers   (in tests/python)
"""

from __future__ import annotations

import base64
import json
import os
import struct
import sys
import time
import unittest
import zlib
from typing import Dict, List, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cbor_control_plane import (CborTestCase, Millis, assert_ms_near_now,  # noqa: E402
                                     jackson_cbor, send, timestamp_ms, unique, java_headers)

EVENT_STREAM = "application/vnd.amazon.eventstream"


def decode_event_stream(body: bytes) -> List[Tuple[Dict[str, str], bytes]]:
    """Splits an application/vnd.amazon.eventstream body into (string headers, payload) messages,
    checking both CRC32s of each (wire-protocol.md §4.4)."""
    out = []
    at = 0
    while at < len(body):
        total, headers_len = struct.unpack_from(">II", body, at)
        (prelude_crc,) = struct.unpack_from(">I", body, at + 8)
        assert zlib.crc32(body[at:at + 8]) == prelude_crc, "bad prelude CRC"
        (message_crc,) = struct.unpack_from(">I", body, at + total - 4)
        assert zlib.crc32(body[at:at + total - 4]) == message_crc, "bad message CRC"
        headers: Dict[str, str] = {}
        h = at + 12
        while h < at + 12 + headers_len:
            name_len = body[h]
            name = body[h + 1:h + 1 + name_len].decode()
            kind = body[h + 1 + name_len]
            assert kind == 7, f"header {name} is not a string (type {kind})"
            (value_len,) = struct.unpack_from(">H", body, h + 2 + name_len)
            start = h + 4 + name_len
            headers[name] = body[start:start + value_len].decode()
            h = start + value_len
        out.append((headers, body[at + 12 + headers_len:at + total - 4]))
        at += total
    return out


class CborConsumersTest(CborTestCase):
    server_flags = {"consumer_create_delay_ms": 200, "consumer_delete_delay_ms": 200}

    def wait_consumer(self, consumer_arn: str, status: str) -> dict:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            d = self.call("DescribeStreamConsumer", {"ConsumerARN": consumer_arn})["ConsumerDescription"]
            if d["ConsumerStatus"] == status:
                return d
            time.sleep(0.05)
        self.fail(f"consumer {consumer_arn} did not reach {status}")

    def test_register_describe_list_deregister(self) -> None:
        name = unique("cbor-consumers")
        summary = self.create_active(name, ShardCount=1)
        stream_arn = self.arn(name)
        lo = time.time() * 1000
        c = self.call("RegisterStreamConsumer",
                      {"StreamARN": stream_arn, "ConsumerName": "kcl-app"})["Consumer"]
        hi = time.time() * 1000
        created = assert_ms_near_now(self, c["ConsumerCreationTimestamp"], lo, hi,
                                     "ConsumerCreationTimestamp")
        self.assertEqual(c["ConsumerStatus"], "CREATING")
        self.assertEqual(c["ConsumerARN"], f"{stream_arn}/consumer/kcl-app:{created // 1000}")
        d = self.wait_consumer(c["ConsumerARN"], "ACTIVE")
        self.assertEqual(d["StreamARN"], stream_arn)
        self.assertEqual(timestamp_ms(d["ConsumerCreationTimestamp"]), created)
        by_name = self.call("DescribeStreamConsumer", {"StreamARN": stream_arn,
                                                       "ConsumerName": "kcl-app"})
        self.assertEqual(by_name["ConsumerDescription"]["ConsumerARN"], c["ConsumerARN"])

        stream_created = timestamp_ms(summary["StreamCreationTimestamp"])
        listed = self.call("ListStreamConsumers", {"StreamARN": stream_arn,
                                                   "StreamCreationTimestamp": Millis(stream_created)})
        self.assertEqual([x["ConsumerName"] for x in listed["Consumers"]], ["kcl-app"])
        self.assert_error("ListStreamConsumers",
                          {"StreamARN": stream_arn,
                           "StreamCreationTimestamp": Millis(stream_created - 3_600_000)},
                          "ResourceNotFoundException")
        self.assert_error("DeleteStream", {"StreamName": name}, "ResourceInUseException")
        self.assert_error("RegisterStreamConsumer",
                          {"StreamARN": stream_arn, "ConsumerName": "kcl-app"},
                          "ResourceInUseException")
        self.call("DeregisterStreamConsumer", {"ConsumerARN": c["ConsumerARN"]})
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if not self.call("ListStreamConsumers", {"StreamARN": stream_arn})["Consumers"]:
                break
            time.sleep(0.05)
        self.assert_error("DescribeStreamConsumer", {"ConsumerARN": c["ConsumerARN"]},
                          "ResourceNotFoundException")
        self.call("DeleteStream", {"StreamName": name})


class CborSubscribeToShardTest(CborTestCase):
    """SubscribeToShard as the Java SDK v2 (KCL's enhanced fan-out) sends it: a CBOR request.
    The events are the JSON ones every SDK parses; the initial-response carries an empty payload
    and no content type, since "{}" is not valid CBOR (wire-protocol.md §2.4)."""
    server_flags = {"consumer_create_delay_ms": 0, "subscription_lifetime_ms": 1500,
                    "subscription_heartbeat_ms": 500}

    def test_events_reach_a_cbor_subscriber(self) -> None:
        name = unique("cbor-subscribe")
        self.create_active(name, ShardCount=1)
        stream_arn = self.arn(name)
        data = bytes(range(256)) * 3
        put = self.call("PutRecord", {"StreamName": name, "PartitionKey": "k", "Data": data})
        consumer = self.call("RegisterStreamConsumer",
                             {"StreamARN": stream_arn, "ConsumerName": "kcl"})["Consumer"]
        deadline = time.monotonic() + 15
        while self.call("DescribeStreamConsumer", {"ConsumerARN": consumer["ConsumerARN"]})[
                "ConsumerDescription"]["ConsumerStatus"] != "ACTIVE":
            self.assertLess(time.monotonic(), deadline, "consumer never became ACTIVE")
            time.sleep(0.05)

        body = jackson_cbor({"ConsumerARN": consumer["ConsumerARN"], "ShardId": put["ShardId"],
                             "StartingPosition": {"Type": "TRIM_HORIZON"}})
        # The subscription ends after --subscription-lifetime-ms, so the whole body can be read.
        reply = send(self.server.port, java_headers(self.server.port, "SubscribeToShard", body), body)
        self.assertEqual(reply.status, 200, reply)
        self.assertEqual(reply.headers.get("content-type"), EVENT_STREAM, reply)
        messages = decode_event_stream(reply.body)
        self.assertGreaterEqual(len(messages), 2, messages)

        first_headers, first_payload = messages[0]
        self.assertEqual(first_headers, {":message-type": "event", ":event-type": "initial-response"})
        self.assertEqual(first_payload, b"")

        records = []
        for headers, payload in messages[1:]:
            self.assertEqual(headers.get(":message-type"), "event", headers)
            self.assertEqual(headers.get(":event-type"), "SubscribeToShardEvent", headers)
            self.assertEqual(headers.get(":content-type"), "application/json", headers)
            event = json.loads(payload)
            self.assertIn("ContinuationSequenceNumber", event)
            self.assertIn("MillisBehindLatest", event)
            records += event["Records"]
        self.assertEqual(len(records), 1, records)
        self.assertEqual(base64.b64decode(records[0]["Data"]), data)
        self.assertEqual(records[0]["SequenceNumber"], put["SequenceNumber"])
        self.assertEqual(records[0]["PartitionKey"], "k")


if __name__ == "__main__":
    unittest.main()
