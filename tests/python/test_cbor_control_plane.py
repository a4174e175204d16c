"""End-to-end tests of the control plane over CBOR, with requests shaped like the AWS SDK for Java v2.

The Java SDK (and so KCL) talks to Kinesis in `application/x-amz-cbor-1.1` by default. Its Jackson
CBOR generator writes maps and arrays with indefinite length (0xBF ... 0xFF, 0x9F ... 0xFF) and
timestamps as tag 1 + an integer of epoch *milliseconds*; responses must be CBOR with integer
millisecond timestamps (tag 1 optional) and errors must be CBOR maps {__type, message} plus the
x-amzn-ErrorType header (docs: wire-protocol.md §2, kinesis-api-spec.md §1.3).

Runs under Debian's /usr/bin/python3 (python3-cbor2), stdlib unittest + http.client + cbor2 only:

    SHOAL_BIN=build/shoal /usr/bin/python3 -m unittest -v test_cbor_control_plane   (in tests/python)

Server processes come from shoal_harness.ShoalServer.
"""

from __future__ import annotations

import datetime
import email.utils
import http.client
import io
import os
import struct
import sys
import time
import unittest
import uuid
from typing import Any, Dict, Iterable, List, Optional, Tuple

import cbor2
from cbor2 import CBORTag

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from shoal_harness import TEST_ACCOUNT, TEST_REGION, ShoalServer, sigv4_headers  # noqa: E402

CBOR = "application/x-amz-cbor-1.1"
TARGET_PREFIX = "Kinesis_20131202."
JAVA_USER_AGENT = ("aws-sdk-java/2.25.60 Linux/6.1 OpenJDK_64-Bit_Server_VM/17.0.11+9 Java/17.0.11 "
                   "vendor/Eclipse_Adoptium io/sync http/Apache cfg/retry-mode/legacy")
MAX_HASH = (1 << 128) - 1


# ============================================================================ request encoding

class Millis:
    """A request timestamp: Java writes CBOR tag 1 followed by an integer of epoch milliseconds."""

    def __init__(self, ms: int) -> None:
        self.ms = int(ms)

    @classmethod
    def now(cls) -> "Millis":
        return cls(time.time() * 1000)


class Chunked(str):
    """A text string written as an indefinite-length (chunked) string: 0x7F <chunks> 0xFF."""


class WideInt(int):
    """An unsigned integer written with a fixed-size argument (1, 2, 4 or 8 bytes), not the shortest."""

    def __new__(cls, value: int, width: int) -> "WideInt":
        obj = super().__new__(cls, value)
        obj.width = width
        return obj


class Definite(dict):
    """A map written with definite length (0xA0 + n) inside an otherwise Jackson-style body."""


def _head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([major << 5 | value])
    if value < 1 << 8:
        return bytes([major << 5 | 24, value])
    if value < 1 << 16:
        return bytes([major << 5 | 25]) + struct.pack(">H", value)
    if value < 1 << 32:
        return bytes([major << 5 | 26]) + struct.pack(">I", value)
    return bytes([major << 5 | 27]) + struct.pack(">Q", value)


def jackson_cbor(value: Any) -> bytes:
    """Encodes like Jackson's CBORGenerator as used by the Java SDK: indefinite-length maps and
    arrays, definite-length strings, shortest integers, tag 1 + integer milliseconds for timestamps."""
    if value is True:
        return b"\xf5"
    if value is False:
        return b"\xf4"
    if value is None:
        return b"\xf6"
    if isinstance(value, Millis):
        return b"\xc1" + jackson_cbor(value.ms)
    if isinstance(value, WideInt):
        code = {1: 24, 2: 25, 4: 26, 8: 27}[value.width]
        fmt = {1: ">B", 2: ">H", 4: ">I", 8: ">Q"}[value.width]
        return bytes([code]) + struct.pack(fmt, int(value))
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, Chunked):
        raw = str(value)
        parts = [raw[i:i + 3] for i in range(0, len(raw), 3)] or [""]
        return b"\x7f" + b"".join(_head(3, len(p.encode())) + p.encode() for p in parts) + b"\xff"
    if isinstance(value, str):
        data = value.encode("utf-8")
        return _head(3, len(data)) + data
    if isinstance(value, (bytes, bytearray)):
        return _head(2, len(value)) + bytes(value)
    if isinstance(value, Definite):
        return _head(5, len(value)) + b"".join(jackson_cbor(k) + jackson_cbor(v) for k, v in value.items())
    if isinstance(value, dict):
        return b"\xbf" + b"".join(jackson_cbor(k) + jackson_cbor(v) for k, v in value.items()) + b"\xff"
    if isinstance(value, (list, tuple)):
        return b"\x9f" + b"".join(jackson_cbor(v) for v in value) + b"\xff"
    raise TypeError(f"cannot encode {type(value)}")


# ============================================================================ response decoding

# cbor2 turns tag 1 into a datetime, reading the number as *seconds*; Java's tag-1 values are
# milliseconds (year ~55000 as seconds: cbor2 raises "year 55972 is out of range"). The pure-Python
# decoder that ships with cbor2 looks tag handlers up in a module-level table, so we point tag 1 at a
# handler that keeps the raw CBORTag(1, value). cbor2.loads (the C decoder) is not affected.
try:  # cbor2 >= 5.5
    from cbor2 import _decoder as _cbor2_pure  # type: ignore[attr-defined]
except ImportError:  # cbor2 5.4 (Debian bookworm)
    from cbor2 import decoder as _cbor2_pure  # type: ignore[no-redef]

_RAW_TAG1 = hasattr(_cbor2_pure, "semantic_decoders")
if _RAW_TAG1:
    def _keep_tag1(decoder):  # noqa: ANN001
        return decoder.set_shareable(CBORTag(1, decoder._decode()))
    _cbor2_pure.semantic_decoders[1] = _keep_tag1


def decode_cbor(data: bytes) -> Any:
    """Decodes exactly one CBOR item with cbor2 (tag 1 kept as CBORTag); rejects trailing bytes."""
    if _RAW_TAG1:
        fp = io.BytesIO(data)
        value = _cbor2_pure.CBORDecoder(fp).decode()
        rest = fp.read()
    else:
        value = cbor2.loads(data)
        rest = b""
    if rest:
        raise ValueError(f"{len(rest)} trailing bytes after the CBOR item")
    return value


def timestamp_ms(value: Any) -> int:
    """A response timestamp as epoch milliseconds. Accepts an integer or CBORTag(1, integer);
    a float (Java fails on it: '1.721130739938E12') or a datetime decoded from seconds is an error."""
    if isinstance(value, CBORTag):
        assert value.tag == 1, f"timestamp tagged {value.tag}, expected tag 1 or none"
        value = value.value
    if isinstance(value, datetime.datetime):
        # Only reachable when cbor2 decoded tag 1 itself: the server sent seconds, not milliseconds.
        raise AssertionError(f"timestamp decoded as a datetime from seconds ({value}); Java expects milliseconds")
    assert not isinstance(value, bool) and isinstance(value, int), \
        f"timestamp must be an integer of milliseconds, got {type(value).__name__} {value!r}"
    return value


def assert_ms_near_now(testcase: unittest.TestCase, value: Any, lo_ms: float, hi_ms: float, what: str) -> int:
    ms = timestamp_ms(value)
    testcase.assertTrue(lo_ms - 1000 <= ms <= hi_ms + 1000,
                        f"{what} = {ms} is not epoch milliseconds within [{lo_ms:.0f}, {hi_ms:.0f}] "
                        f"(seconds would be ~{hi_ms / 1000:.0f})")
    return ms


# ============================================================================ HTTP

class Reply:
    def __init__(self, status: int, headers: List[Tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.header_list = headers
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body
        self._decoded: Any = None
        self._did_decode = False

    @property
    def data(self) -> Any:
        if not self._did_decode:
            self._decoded = decode_cbor(self.body) if self.body else None
            self._did_decode = True
        return self._decoded

    def __repr__(self) -> str:
        return f"<Reply {self.status} {self.headers} {self.body[:400]!r}>"


def java_headers(port: int, operation_or_target: Optional[str], body: bytes, *,
                 sign: bool = True, content_type: str = CBOR) -> List[Tuple[str, str]]:
    """Headers as the Java SDK v2 sync client (Apache HTTP client) sends them, SigV4-signed."""
    signed: Dict[str, str] = {
        "Host": f"127.0.0.1:{port}",
        "amz-sdk-invocation-id": str(uuid.uuid4()),
        "amz-sdk-request": "attempt=1; max=4",
        "Content-Type": content_type,
        "Content-Length": str(len(body)),
    }
    if operation_or_target is not None:
        target = operation_or_target if "." in operation_or_target else TARGET_PREFIX + operation_or_target
        signed["X-Amz-Target"] = target
    out = list(signed.items())
    if sign:
        auth = sigv4_headers("POST", "/", signed, body, region=TEST_REGION)
        out += [("X-Amz-Date", auth["X-Amz-Date"]), ("Authorization", auth["Authorization"])]
    else:
        out.append(("X-Amz-Date", datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")))
    out.append(("User-Agent", JAVA_USER_AGENT))
    return out


def send(port: int, headers: Iterable[Tuple[str, str]], body: bytes,
         conn: Optional[http.client.HTTPConnection] = None) -> Reply:
    own = conn is None
    if own:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest("POST", "/", skip_host=True, skip_accept_encoding=True)
        for k, v in headers:
            conn.putheader(k, v)
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
        return Reply(resp.status, resp.getheaders(), data)
    finally:
        if own:
            conn.close()


# ============================================================================ base test case

_counter = 0


def unique(prefix: str) -> str:
    global _counter
    _counter += 1
    return f"{prefix}-{os.getpid()}-{_counter}"


class CborTestCase(unittest.TestCase):
    server_flags: Dict[str, Any] = {}
    server: ShoalServer

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = ShoalServer(**cls.server_flags)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.close()

    # -- requests

    def raw(self, operation: Optional[str], body: bytes, *, sign: bool = True, content_type: str = CBOR,
            conn: Optional[http.client.HTTPConnection] = None) -> Reply:
        headers = java_headers(self.server.port, operation, body, sign=sign, content_type=content_type)
        reply = send(self.server.port, headers, body, conn=conn)
        self.check_common_headers(reply)
        return reply

    def call(self, operation: str, params: Any = None, *, definite: bool = False,
             conn: Optional[http.client.HTTPConnection] = None) -> Any:
        """Sends a CBOR request (Jackson-style indefinite maps unless definite=True, which uses
        cbor2.dumps) and returns the decoded result ({} for an empty body). Fails on non-200."""
        params = {} if params is None else params
        body = cbor2.dumps(params) if definite else jackson_cbor(params)
        reply = self.raw(operation, body, conn=conn)
        self.assertEqual(reply.status, 200, f"{operation} failed: {reply!r}")
        self.assertEqual(reply.headers.get("content-type"), CBOR, f"{operation}: {reply!r}")
        if not reply.body:
            return {}
        data = reply.data
        self.assertIsInstance(data, dict, f"{operation}: the response must be a CBOR map")
        return data

    def call_error(self, operation: Optional[str], params: Any = None, *, body: Optional[bytes] = None,
                   sign: bool = True, content_type: str = CBOR) -> Tuple[str, Optional[str], Reply]:
        """Sends a request that must fail with HTTP 400 and a CBOR {__type, message} body plus the
        matching x-amzn-ErrorType header. Returns (type, message, reply)."""
        if body is None:
            body = jackson_cbor({} if params is None else params)
        reply = self.raw(operation, body, sign=sign, content_type=content_type)
        self.assertEqual(reply.status, 400, f"{operation}: expected 400, got {reply!r}")
        self.assertEqual(reply.headers.get("content-type"), CBOR,
                         f"{operation}: a CBOR request must get a CBOR error: {reply!r}")
        data = cbor2.loads(reply.body)  # error bodies carry no timestamps: the plain C decoder works
        self.assertIsInstance(data, dict, f"error body must be a CBOR map: {reply!r}")
        error_type = data.get("__type")
        self.assertIsInstance(error_type, str, f"__type missing: {data!r}")
        self.assertEqual(reply.headers.get("x-amzn-errortype"), error_type,
                         f"x-amzn-ErrorType must equal __type: {reply!r}")
        message = data.get("message", data.get("Message"))
        if message is not None:
            self.assertIsInstance(message, str)
        return error_type, message, reply

    def assert_error(self, operation: str, params: Any, error_type: str, message: Optional[str] = None,
                     message_regex: Optional[str] = None, **kwargs: Any) -> Optional[str]:
        got_type, got_message, reply = self.call_error(operation, params, **kwargs)
        self.assertEqual(got_type, error_type, f"{operation}: {reply!r}")
        if message is not None:
            self.assertEqual(got_message, message)
        if message_regex is not None:
            self.assertRegex(got_message or "", message_regex)
        return got_message

    def check_common_headers(self, reply: Reply) -> None:
        self.assertTrue(reply.headers.get("x-amzn-requestid"), f"x-amzn-RequestId missing: {reply!r}")
        date = reply.headers.get("date")
        self.assertTrue(date, f"Date missing: {reply!r}")
        parsed = email.utils.parsedate_to_datetime(date)
        self.assertLess(abs(parsed.timestamp() - time.time()), 60, f"Date header {date} is off")
        if "content-length" in reply.headers:
            self.assertEqual(int(reply.headers["content-length"]), len(reply.body))
        self.assertNotIn("x-amz-crc32", reply.headers, "Java validates x-amz-crc32 when present")

    # -- helpers

    def wait_status(self, name: str, status: str = "ACTIVE", timeout: float = 15.0) -> Dict[str, Any]:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            body = jackson_cbor({"StreamName": name})
            reply = self.raw("DescribeStreamSummary", body)
            if reply.status == 200:
                summary = reply.data["StreamDescriptionSummary"]
                last = summary["StreamStatus"]
                if last == status:
                    return summary
            else:
                last = reply.data.get("__type") if isinstance(reply.data, dict) else reply
            time.sleep(0.025)
        self.fail(f"stream {name} did not reach {status} within {timeout} s (last: {last})")

    def wait_gone(self, name: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = self.raw("DescribeStreamSummary", jackson_cbor({"StreamName": name}))
            if reply.status == 400 and reply.data.get("__type") == "ResourceNotFoundException":
                return
            time.sleep(0.025)
        self.fail(f"stream {name} still exists after {timeout} s")

    def create_active(self, name: str, **params: Any) -> Dict[str, Any]:
        self.call("CreateStream", {"StreamName": name, **params})
        return self.wait_status(name)

    def arn(self, name: str) -> str:
        return f"arn:aws:kinesis:{TEST_REGION}:{TEST_ACCOUNT}:stream/{name}"

    def expected_layout(self, n: int) -> List[Tuple[str, str, str]]:
        step = (1 << 128) // n
        return [(f"shardId-{i:012d}", str(i * step), str(MAX_HASH if i == n - 1 else (i + 1) * step - 1))
                for i in range(n)]

    def assert_layout(self, shards: List[Dict[str, Any]], n: int) -> None:
        self.assertEqual([(s["ShardId"], s["HashKeyRange"]["StartingHashKey"], s["HashKeyRange"]["EndingHashKey"])
                          for s in shards], self.expected_layout(n))
        for s in shards:
            self.assertRegex(s["SequenceNumberRange"]["StartingSequenceNumber"], r"^(0|[1-9]\d{0,128})$")
            self.assertNotIn("EndingSequenceNumber", s["SequenceNumberRange"])
            self.assertNotIn("ParentShardId", s)


# ============================================================================ the encoder itself

class JacksonEncoderTest(unittest.TestCase):
    """The hand-written encoder reproduces the bytes of wire-protocol.md §2.3 and round-trips through cbor2."""

    def test_put_record_bytes_from_the_doc(self) -> None:
        body = jackson_cbor({"StreamName": "s1", "Data": b"\x00\x01hi", "PartitionKey": "pk"})
        self.assertEqual(body.hex(), "bf6a53747265616d4e616d6562733164446174614400016869"
                                     "6c506172746974696f6e4b657962706bff")

    def test_timestamp_bytes_from_the_doc(self) -> None:
        # 2024-01-02T03:04:05.678Z
        self.assertEqual(jackson_cbor({"Timestamp": Millis(1704164645678)}).hex(),
                         "bf6954696d657374616d70c11b0000018cc820db2eff")

    def test_round_trip(self) -> None:
        value = {"A": [1, -2, "x", {"B": True}], "C": Chunked("hello world"), "D": WideInt(3, 4),
                 "E": Definite({"F": 0})}
        self.assertEqual(cbor2.loads(jackson_cbor(value)),
                         {"A": [1, -2, "x", {"B": True}], "C": "hello world", "D": 3, "E": {"F": 0}})
        self.assertEqual(decode_cbor(jackson_cbor({"T": Millis(1704164645678)})), {"T": CBORTag(1, 1704164645678)})


# ============================================================================ main suite

class CborControlPlaneTest(CborTestCase):
    """Every control-plane operation in CBOR against one server with fast transitions."""

    def test_create_and_describe_stream(self) -> None:
        name = unique("cbor-three")
        t0 = time.time() * 1000
        reply = self.raw("CreateStream", jackson_cbor({"StreamName": name, "ShardCount": 3}))
        self.assertEqual(reply.status, 200, reply)
        self.assertEqual(reply.headers.get("content-type"), CBOR)
        if reply.body:  # empty body, or an empty map
            self.assertEqual(reply.data, {})
        self.wait_status(name)
        t1 = time.time() * 1000

        d = self.call("DescribeStream", {"StreamName": name})["StreamDescription"]
        self.assertEqual(d["StreamName"], name)
        self.assertEqual(d["StreamARN"], self.arn(name))
        self.assertEqual(d["StreamStatus"], "ACTIVE")
        self.assertIs(d["HasMoreShards"], False)
        self.assertEqual(d["RetentionPeriodHours"], 24)
        self.assertEqual(d["EnhancedMonitoring"], [{"ShardLevelMetrics": []}])
        self.assertEqual(d["EncryptionType"], "NONE")
        self.assertEqual(d["StreamModeDetails"], {"StreamMode": "PROVISIONED"})
        assert_ms_near_now(self, d["StreamCreationTimestamp"], t0, t1, "StreamCreationTimestamp")
        self.assert_layout(d["Shards"], 3)
        self.assertEqual([s["HashKeyRange"]["EndingHashKey"] for s in d["Shards"]],
                         ["113427455640312821154458202477256070484",
                          "226854911280625642308916404954512140969",
                          "340282366920938463463374607431768211455"])

    def test_describe_stream_summary(self) -> None:
        name = unique("cbor-summary")
        t0 = time.time() * 1000
        self.create_active(name, ShardCount=2)
        t1 = time.time() * 1000
        s = self.call("DescribeStreamSummary", {"StreamName": name})["StreamDescriptionSummary"]
        self.assertEqual(s["StreamName"], name)
        self.assertEqual(s["StreamARN"], self.arn(name))
        self.assertEqual(s["StreamStatus"], "ACTIVE")
        self.assertEqual(s["OpenShardCount"], 2)
        self.assertEqual(s["RetentionPeriodHours"], 24)
        self.assertEqual(s["EnhancedMonitoring"], [{"ShardLevelMetrics": []}])
        self.assertEqual(s["EncryptionType"], "NONE")
        self.assertEqual(s["StreamModeDetails"], {"StreamMode": "PROVISIONED"})
        self.assertEqual(s.get("ConsumerCount"), 0)
        self.assertNotIn("StreamId", s)
        ms = assert_ms_near_now(self, s["StreamCreationTimestamp"], t0, t1, "StreamCreationTimestamp")
        d = self.call("DescribeStream", {"StreamName": name})["StreamDescription"]
        self.assertEqual(timestamp_ms(d["StreamCreationTimestamp"]), ms)

    def test_timestamps_are_integer_milliseconds(self) -> None:
        values = []
        for _ in range(3):
            name = unique("cbor-ts")
            t0 = time.time() * 1000
            self.call("CreateStream", {"StreamName": name, "ShardCount": 1})
            summary = self.wait_status(name)
            t1 = time.time() * 1000
            raw_value = summary["StreamCreationTimestamp"]
            self.assertNotIsInstance(raw_value, float, "a float timestamp breaks Java ('Unable to parse date')")
            values.append(assert_ms_near_now(self, raw_value, t0, t1, "StreamCreationTimestamp"))
        self.assertTrue(any(v % 1000 for v in values), f"milliseconds look truncated: {values}")

    def test_create_stream_on_demand_nested_indefinite_map(self) -> None:
        name = unique("cbor-od")
        self.create_active(name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
        d = self.call("DescribeStream", {"StreamName": name})["StreamDescription"]
        self.assertEqual(d["StreamModeDetails"], {"StreamMode": "ON_DEMAND"})
        self.assert_layout(d["Shards"], 4)

    def test_definite_length_requests_from_cbor2(self) -> None:
        name = unique("cbor-def")
        self.call("CreateStream", {"StreamName": name, "ShardCount": 2}, definite=True)
        self.wait_status(name)
        s = self.call("DescribeStreamSummary", {"StreamName": name}, definite=True)["StreamDescriptionSummary"]
        self.assertEqual(s["OpenShardCount"], 2)
        out = self.call("ListShards", {"StreamName": name, "ShardFilter": {"Type": "AT_TIMESTAMP",
                                                                            "Timestamp": CBORTag(1, int(time.time() * 1000))}},
                        definite=True)
        self.assert_layout(out["Shards"], 2)
        self.assertIn("StreamNames", self.call("ListStreams", {}, definite=True))

    def test_encoding_variants_chunked_strings_wide_ints_mixed_maps(self) -> None:
        name = unique("cbor-chunked")
        self.call("CreateStream", {Chunked("StreamName"): Chunked(name), "ShardCount": WideInt(2, 4)})
        self.wait_status(name)
        self.call("AddTagsToStream", {"StreamName": name, "Tags": Definite({Chunked("key"): Chunked("a longer value")})})
        tags = self.call("ListTagsForStream", Definite({"StreamName": name, "Limit": WideInt(10, 8)}))
        self.assertEqual(tags["Tags"], [{"Key": "key", "Value": "a longer value"}])
        d = self.call("DescribeStream", {"StreamName": name, "Limit": WideInt(1, 1)})["StreamDescription"]
        self.assertEqual(len(d["Shards"]), 1)
        self.assertIs(d["HasMoreShards"], True)

    def test_keep_alive_connection_reuse(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        try:
            for _ in range(3):
                self.assertIn("ShardLimit", self.call("DescribeLimits", {}, conn=conn))
            self.call("DescribeAccountSettings", {}, conn=conn)
        finally:
            conn.close()

    def test_describe_limits_and_account_settings(self) -> None:
        limits = self.call("DescribeLimits", {})
        self.assertEqual(limits["ShardLimit"], 20000)
        for key in ("OpenShardCount", "OnDemandStreamCount"):
            self.assertIsInstance(limits[key], int)
        self.assertEqual(limits["OnDemandStreamCountLimit"], 50)
        # Definite empty map too.
        self.assertEqual(self.call("DescribeLimits", {}, definite=True)["ShardLimit"], 20000)
        settings = self.call("DescribeAccountSettings", {})
        self.assertEqual(settings["MinimumThroughputBillingCommitment"]["Status"], "DISABLED")

    def test_describe_stream_paging(self) -> None:
        name = unique("cbor-dpage")
        self.create_active(name, ShardCount=5)
        seen: List[Dict[str, Any]] = []
        params: Dict[str, Any] = {"StreamName": name, "Limit": 2}
        for _ in range(10):
            d = self.call("DescribeStream", params)["StreamDescription"]
            seen += d["Shards"]
            if not d["HasMoreShards"]:
                break
            params["ExclusiveStartShardId"] = d["Shards"][-1]["ShardId"]
        self.assert_layout(seen, 5)
        self.assert_error("DescribeStream", {"StreamName": name, "Limit": 0}, "ValidationException",
                          message="1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
                                  "Member must have value greater than or equal to 1")

    def test_list_shards_paging_and_filters(self) -> None:
        name = unique("cbor-lshards")
        summary = self.create_active(name, ShardCount=5)
        created_ms = timestamp_ms(summary["StreamCreationTimestamp"])

        ids: List[str] = []
        out = self.call("ListShards", {"StreamName": name, "MaxResults": 2})
        ids += [s["ShardId"] for s in out["Shards"]]
        for _ in range(10):
            if "NextToken" not in out:
                break
            self.assertIsInstance(out["NextToken"], str)
            out = self.call("ListShards", {"NextToken": out["NextToken"], "MaxResults": 2})
            ids += [s["ShardId"] for s in out["Shards"]]
        self.assertEqual(ids, [f"shardId-{i:012d}" for i in range(5)])

        def filtered(shard_filter: Dict[str, Any], **extra: Any) -> List[str]:
            res = self.call("ListShards", {"StreamName": name, "ShardFilter": shard_filter, **extra})
            return [s["ShardId"] for s in res["Shards"]]

        everything = [f"shardId-{i:012d}" for i in range(5)]
        self.assertEqual(filtered({"Type": "AT_TIMESTAMP", "Timestamp": Millis.now()}), everything)
        self.assertEqual(filtered({"Type": "FROM_TIMESTAMP", "Timestamp": Millis(created_ms - 3_600_000)}), everything)
        self.assertEqual(filtered({"Type": "AT_LATEST"}), everything)
        self.assertEqual(filtered({"Type": "AT_TRIM_HORIZON"}), everything)
        self.assertEqual(filtered({"Type": "FROM_TRIM_HORIZON"}), everything)
        self.assertEqual(filtered({"Type": "AFTER_SHARD_ID", "ShardId": "shardId-000000000002"}), everything[3:])
        # The stream's own creation time (tag 1 + ms, as Java sends it) identifies the stream.
        self.assertEqual(filtered({"Type": "AT_LATEST"}, StreamCreationTimestamp=Millis(created_ms)), everything)
        out = self.call("ListShards", {"StreamName": name, "ExclusiveStartShardId": "shardId-000000000003"})
        self.assertEqual([s["ShardId"] for s in out["Shards"]], everything[4:])
        self.assert_error("ListShards", {"StreamName": name, "ShardFilter": {"Type": "AT_TIMESTAMP"}},
                          "InvalidArgumentException")
        self.assert_error("ListShards", {"StreamName": name, "MaxResults": 0}, "ValidationException",
                          message="1 validation error detected: Value '0' at 'maxResults' failed to satisfy "
                                  "constraint: Member must have value greater than or equal to 1")

    def test_list_streams(self) -> None:
        prefix = f"lsq{os.getpid()}"
        names = [f"{prefix}-{i}" for i in range(3)]
        for n in names:
            self.call("CreateStream", {"StreamName": n, "ShardCount": 1})
        for n in names:
            self.wait_status(n)
        out = self.call("ListStreams", {"ExclusiveStartStreamName": prefix, "Limit": 2})
        self.assertEqual(out["StreamNames"], names[:2])
        self.assertIs(out["HasMoreStreams"], True)
        self.assertIsInstance(out["NextToken"], str)
        self.assertEqual([s["StreamName"] for s in out["StreamSummaries"]], names[:2])
        for s in out["StreamSummaries"]:
            self.assertEqual(s["StreamARN"], self.arn(s["StreamName"]))
            self.assertEqual(s["StreamStatus"], "ACTIVE")
            self.assertEqual(s["StreamModeDetails"], {"StreamMode": "PROVISIONED"})
            assert_ms_near_now(self, s["StreamCreationTimestamp"], time.time() * 1000 - 60_000, time.time() * 1000,
                               "StreamSummaries[].StreamCreationTimestamp")
        nxt = self.call("ListStreams", {"NextToken": out["NextToken"], "Limit": 1})
        self.assertEqual(nxt["StreamNames"], names[2:3])
        self.assert_error("ListStreams", {"Limit": 0}, "ValidationException",
                          message_regex=r"^1 validation error detected: Value '0' at 'limit' failed to satisfy")

    def test_retention(self) -> None:
        name = unique("cbor-ret")
        self.create_active(name, ShardCount=1)
        self.call("IncreaseStreamRetentionPeriod", {"StreamName": name, "RetentionPeriodHours": 48})
        self.assertEqual(self.call("DescribeStreamSummary", {"StreamName": name})
                         ["StreamDescriptionSummary"]["RetentionPeriodHours"], 48)
        self.assert_error("DecreaseStreamRetentionPeriod", {"StreamName": name, "RetentionPeriodHours": 12},
                          "InvalidArgumentException",
                          message="Minimum allowed retention period is 24 hours. Requested retention period (12 hours) "
                                  "is too short.")
        self.assert_error("IncreaseStreamRetentionPeriod", {"StreamName": name, "RetentionPeriodHours": 30},
                          "InvalidArgumentException",
                          message=f"Requested retention period (30 hours) for stream {name} can not be shorter than "
                                  "existing retention period (48 hours). Use DecreaseRetentionPeriod API.")
        self.call("DecreaseStreamRetentionPeriod", {"StreamARN": self.arn(name), "RetentionPeriodHours": 36})
        self.assertEqual(self.call("DescribeStream", {"StreamName": name})
                         ["StreamDescription"]["RetentionPeriodHours"], 36)

    def test_stream_tags(self) -> None:
        name = unique("cbor-tags")
        self.create_active(name, ShardCount=1, Tags={"created": "yes"})
        self.call("AddTagsToStream", {"StreamName": name, "Tags": {"b": "2", "a": "1"}})
        self.call("RemoveTagsFromStream", {"StreamName": name, "TagKeys": ["created", "missing"]})
        out = self.call("ListTagsForStream", {"StreamName": name})
        self.assertEqual(out["Tags"], [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
        self.assertIs(out["HasMoreTags"], False)
        page = self.call("ListTagsForStream", {"StreamName": name, "Limit": 1})
        self.assertEqual(page["Tags"], [{"Key": "a", "Value": "1"}])
        self.assertIs(page["HasMoreTags"], True)
        page = self.call("ListTagsForStream", {"StreamARN": self.arn(name), "ExclusiveStartTagKey": "a"})
        self.assertEqual(page["Tags"], [{"Key": "b", "Value": "2"}])

    def test_resource_tags(self) -> None:
        name = unique("cbor-rtags")
        arn = self.arn(name)
        self.create_active(name, ShardCount=1)
        self.call("TagResource", {"ResourceARN": arn, "Tags": {"x": "1", "y": "2"}})
        self.call("UntagResource", {"ResourceARN": arn, "TagKeys": ["x"]})
        out = self.call("ListTagsForResource", {"ResourceARN": arn})
        self.assertEqual(out["Tags"], [{"Key": "y", "Value": "2"}])
        self.assertEqual(self.call("ListTagsForStream", {"StreamName": name})["Tags"], [{"Key": "y", "Value": "2"}])

    def test_stream_arn_addressing_and_delete_recreate(self) -> None:
        name = unique("cbor-arn")
        arn = self.arn(name)
        first = self.create_active(name, ShardCount=2)
        s = self.call("DescribeStreamSummary", {"StreamARN": arn})["StreamDescriptionSummary"]
        self.assertEqual(s["StreamName"], name)
        shards = self.call("ListShards", {"StreamARN": arn})["Shards"]
        self.assert_layout(shards, 2)
        self.call("DeleteStream", {"StreamARN": arn, "EnforceConsumerDeletion": True})
        self.wait_gone(name)
        self.assert_error("DescribeStream", {"StreamName": name}, "ResourceNotFoundException",
                          message=f"Stream {name} under account {TEST_ACCOUNT} not found.")
        time.sleep(0.005)
        second = self.create_active(name, ShardCount=1)
        self.assertGreater(timestamp_ms(second["StreamCreationTimestamp"]), timestamp_ms(first["StreamCreationTimestamp"]))
        self.assertEqual(second["OpenShardCount"], 1)
        self.call("DeleteStream", {"StreamName": name})
        self.wait_gone(name)

    # -- errors

    def test_resource_not_found_in_cbor(self) -> None:
        name = unique("cbor-missing")
        arn = self.arn(name)
        message = f"Stream {name} under account {TEST_ACCOUNT} not found."
        for op, params in [
            ("DescribeStream", {"StreamName": name}),
            ("DescribeStreamSummary", {"StreamARN": arn}),
            ("ListShards", {"StreamName": name}),
            ("DeleteStream", {"StreamName": name}),
            ("IncreaseStreamRetentionPeriod", {"StreamName": name, "RetentionPeriodHours": 48}),
            ("DecreaseStreamRetentionPeriod", {"StreamName": name, "RetentionPeriodHours": 24}),
            ("AddTagsToStream", {"StreamName": name, "Tags": {"a": "b"}}),
            ("RemoveTagsFromStream", {"StreamName": name, "TagKeys": ["a"]}),
            ("ListTagsForStream", {"StreamName": name}),
        ]:
            with self.subTest(op=op):
                self.assert_error(op, params, "ResourceNotFoundException", message=message)
        for op, params in [
            ("TagResource", {"ResourceARN": arn, "Tags": {"a": "b"}}),
            ("UntagResource", {"ResourceARN": arn, "TagKeys": ["a"]}),
            ("ListTagsForResource", {"ResourceARN": arn}),
        ]:
            with self.subTest(op=op):
                self.assert_error(op, params, "ResourceNotFoundException", message_regex=f"{name}.*not found")

    def test_error_body_bytes_are_a_cbor_map(self) -> None:
        name = unique("cbor-bytes")
        _, _, reply = self.call_error("DescribeStream", {"StreamName": name})
        first = reply.body[0]
        self.assertIn(first >> 5, (5,), f"error body must start with a CBOR map, got 0x{first:02x}")
        self.assertEqual(cbor2.loads(reply.body),
                         {"__type": "ResourceNotFoundException",
                          "message": f"Stream {name} under account {TEST_ACCOUNT} not found."})

    def test_duplicate_create_and_validation(self) -> None:
        name = unique("cbor-dup")
        self.create_active(name, ShardCount=1)
        self.assert_error("CreateStream", {"StreamName": name, "ShardCount": 1}, "ResourceInUseException",
                          message=f"Stream {name} under account {TEST_ACCOUNT} already exists.")
        self.assert_error("CreateStream", {"StreamName": "bad name!", "ShardCount": 1}, "ValidationException",
                          message="1 validation error detected: Value 'bad name!' at 'streamName' failed to satisfy "
                                  "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
        self.assert_error("CreateStream", {"StreamName": unique("cbor-zero"), "ShardCount": 0}, "ValidationException",
                          message="1 validation error detected: Value '0' at 'shardCount' failed to satisfy "
                                  "constraint: Member must have value greater than or equal to 1")
        self.assert_error("CreateStream", {"ShardCount": 1}, "ValidationException",
                          message="1 validation error detected: Value null at 'streamName' failed to satisfy "
                                  "constraint: Member must not be null")
        self.assert_error("DescribeStreamSummary", {"StreamARN": "not-an-arn"}, "ValidationException",
                          message_regex=r"at 'streamARN' failed to satisfy constraint: Member must satisfy regular "
                                        r"expression pattern")

    def test_serialization_errors_in_cbor(self) -> None:
        cases = {
            "truncated map": b"\xbf\x6aStreamName",
            "truncated text": b"\xbf\x6aStream",
            "reserved additional info": b"\x1c",
            "break outside indefinite item": b"\xff",
            "JSON sent as CBOR": b'{"StreamName":"x"}',
            "top level array": jackson_cbor(["StreamName", "x"]),
            "top level integer": b"\x01",
            "text where an integer is expected": jackson_cbor({"StreamName": "x", "ShardCount": "3"}),
            "map where a string is expected": jackson_cbor({"StreamName": {"a": 1}, "ShardCount": 1}),
        }
        for what, body in cases.items():
            with self.subTest(what=what):
                error_type, _, reply = self.call_error("CreateStream", body=body)
                self.assertEqual(error_type, "SerializationException", f"{what}: {reply!r}")

    def test_protocol_errors_in_cbor(self) -> None:
        error_type, message, _ = self.call_error("ListStreams", {}, sign=False)
        self.assertEqual(error_type, "MissingAuthenticationTokenException")
        self.assertEqual(message, "Missing Authentication Token")
        for target in ("NoSuchOperation", "Kinesis_20131202.", "DynamoDB_20120810.ListTables"):
            with self.subTest(target=target):
                error_type, _, _ = self.call_error(target, {})
                self.assertEqual(error_type, "UnknownOperationException")

    def test_permissive_signature(self) -> None:
        """Any well-formed Authorization is accepted (permissive mode, wire-protocol.md §3.4)."""
        body = jackson_cbor({})
        headers = [
            ("Host", f"127.0.0.1:{self.server.port}"),
            ("Content-Type", CBOR),
            ("X-Amz-Target", TARGET_PREFIX + "ListStreams"),
            ("X-Amz-Date", "20240102T030405Z"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/kinesis/aws4_request, "
                              "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + "ab" * 32),
            ("Content-Length", str(len(body))),
        ]
        reply = send(self.server.port, headers, body)
        self.check_common_headers(reply)
        self.assertEqual(reply.status, 200, reply)
        self.assertIn("StreamNames", reply.data)


class CborCreatingStateTest(CborTestCase):
    server_flags = {"create_delay_ms": 3000}

    def test_list_shards_while_creating(self) -> None:
        name = unique("cbor-creating")
        t0 = time.monotonic()
        self.call("CreateStream", {"StreamName": name, "ShardCount": 2})
        d = self.call("DescribeStream", {"StreamName": name})["StreamDescription"]
        self.assertEqual(d["StreamStatus"], "CREATING")
        self.assertEqual(d["Shards"], [])
        self.assertIs(d["HasMoreShards"], False)
        self.assert_error("ListShards", {"StreamName": name}, "ResourceInUseException")
        self.assertLess(time.monotonic() - t0, 2.5, "the checks above must run while the stream is CREATING")
        self.wait_status(name)
        self.assert_layout(self.call("ListShards", {"StreamName": name})["Shards"], 2)


class CborNextTokenExpiryTest(CborTestCase):
    server_flags = {"next_token_ttl_seconds": 1}

    def test_expired_next_token(self) -> None:
        name = unique("cbor-ttl")
        self.create_active(name, ShardCount=3)
        token = self.call("ListShards", {"StreamName": name, "MaxResults": 1})["NextToken"]
        streams_token = self.call("ListStreams", {"Limit": 1}).get("NextToken")
        time.sleep(2.5)
        self.assert_error("ListShards", {"NextToken": token}, "ExpiredNextTokenException")
        if streams_token is not None:
            self.assert_error("ListStreams", {"NextToken": streams_token}, "ExpiredNextTokenException")


class CborPersistenceTest(CborTestCase):
    def snapshot(self, names: List[str]) -> Dict[str, Any]:
        out: Dict[str, Any] = {}
        for n in names:
            out[n] = {
                "describe": self.call("DescribeStream", {"StreamName": n}),
                "summary": self.call("DescribeStreamSummary", {"StreamName": n}),
                "tags": self.call("ListTagsForStream", {"StreamName": n}),
                "resource_tags": self.call("ListTagsForResource", {"ResourceARN": self.arn(n)}),
                "shards": self.call("ListShards", {"StreamName": n}),
            }
        out["streams"] = self.call("ListStreams", {})
        out["limits"] = self.call("DescribeLimits", {})
        return out

    def test_state_survives_kill9(self) -> None:
        self.create_active("cp-a", ShardCount=3, Tags={"t": "1"})
        self.call("IncreaseStreamRetentionPeriod", {"StreamName": "cp-a", "RetentionPeriodHours": 96})
        self.call("TagResource", {"ResourceARN": self.arn("cp-a"), "Tags": {"r": "2"}})
        self.create_active("cp-b", StreamModeDetails={"StreamMode": "ON_DEMAND"})
        self.create_active("cp-gone", ShardCount=1)
        self.call("DeleteStream", {"StreamName": "cp-gone"})
        self.wait_gone("cp-gone")
        before = self.snapshot(["cp-a", "cp-b"])
        self.assertEqual(before["cp-a"]["summary"]["StreamDescriptionSummary"]["RetentionPeriodHours"], 96)

        self.server.kill9()
        self.server.restart()

        after = self.snapshot(["cp-a", "cp-b"])
        self.assertEqual(after, before)
        self.assert_error("DescribeStreamSummary", {"StreamName": "cp-gone"}, "ResourceNotFoundException")

        # An acknowledged change right before SIGKILL is durable.
        self.call("RemoveTagsFromStream", {"StreamName": "cp-a", "TagKeys": ["t"]})
        self.call("DecreaseStreamRetentionPeriod", {"StreamName": "cp-a", "RetentionPeriodHours": 24})
        self.server.kill9()
        self.server.restart()
        self.assertEqual(self.call("ListTagsForStream", {"StreamName": "cp-a"})["Tags"], [{"Key": "r", "Value": "2"}])
        self.assertEqual(self.call("DescribeStreamSummary", {"StreamName": "cp-a"})
                         ["StreamDescriptionSummary"]["RetentionPeriodHours"], 24)


if __name__ == "__main__":
    unittest.main()
