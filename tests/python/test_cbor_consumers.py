"""End-to-end tests of the consumer operations over CBOR, with requests shaped like the AWS SDK
for Java v2 (what KCL uses to register its enhanced fan-out consumer): timestamps in responses are
integer epoch milliseconds, StreamCreationTimestamp in requests is tag 1 + milliseconds.

    SHOAL_BIN=build/shoal /usr/bin/python3 -m unittest -v test_cbor_consumers   (in tests/python)
"""

from __future__ import annotations

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cbor_control_plane import (CborTestCase, Millis, assert_ms_near_now,  # noqa: E402
                                     timestamp_ms, unique)


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


if __name__ == "__main__":
    unittest.main()
