"""End-to-end tests of HTTPS: boto3 and the AWS CLI v2 over TLS with the certificate shoal
generates in <data-dir>/tls/cert.pem, on the main port (TLS sniffed next to cleartext) and on
the TLS-only --tls-port; a user-supplied certificate; and clients that do not trust it.

Run from tests/python:
    SHOAL_BIN=../../build/shoal python3 -m unittest -v test_tls
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
from pathlib import Path
from typing import List, Optional

import boto3
import botocore.exceptions
from botocore.config import Config

from shoal_harness import TEST_REGION, ServerError, ShoalServer, wait_active
from test_aws_cli import AWS_CLI, CLI_TIMEOUT_S, cli_env

SERVER: Optional[ShoalServer] = None
TLS_PORT = 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setUpModule() -> None:
    global SERVER, TLS_PORT
    TLS_PORT = free_port()
    SERVER = ShoalServer(tmp_prefix="e2e-tls-", tls_port=TLS_PORT, consumer_create_delay_ms=100)


def tearDownModule() -> None:
    if SERVER is not None:
        SERVER.close()


def cert_path(server: ShoalServer) -> Path:
    return Path(server.data_dir) / "tls" / "cert.pem"


def kinesis(endpoint: str, verify, retries: int = 0):
    config = Config(retries={"total_max_attempts": retries + 1, "mode": "standard"},
                    connect_timeout=5, read_timeout=30)
    return boto3.client("kinesis", endpoint_url=endpoint, verify=verify, config=config,
                        region_name=TEST_REGION, aws_access_key_id="any",
                        aws_secret_access_key="any")


def uniq(prefix: str) -> str:
    return f"{prefix}-{time.monotonic_ns()}"


class Boto3TlsTest(unittest.TestCase):

    def setUp(self) -> None:
        self.server = SERVER
        self.cert = str(cert_path(SERVER))

    def test_certificate_is_generated_in_the_data_dir_and_logged(self) -> None:
        self.assertTrue(os.path.exists(self.cert))
        self.assertTrue((cert_path(self.server).parent / "key.pem").exists())
        log = Path(self.server.log_path).read_text()
        self.assertIn(self.cert, log)
        # The certificate carries the names clients connect to.
        info = ssl._ssl._test_decode_cert(self.cert)  # noqa: SLF001 (stdlib helper, no deps)
        sans = info.get("subjectAltName", ())
        self.assertIn(("DNS", "localhost"), sans)
        self.assertIn(("IP Address", "127.0.0.1"), sans)

    def check_data_plane(self, endpoint: str) -> None:
        client = kinesis(endpoint, verify=self.cert)
        name = uniq("tls")
        client.create_stream(StreamName=name, ShardCount=1)
        wait_active(client, name)
        put = client.put_record(StreamName=name, Data=b"over tls \x00\xff", PartitionKey="pk")
        self.assertEqual(put["ShardId"], "shardId-000000000000")
        iterator = client.get_shard_iterator(StreamName=name, ShardId=put["ShardId"],
                                             ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        records = client.get_records(ShardIterator=iterator)["Records"]
        self.assertEqual([r["Data"] for r in records], [b"over tls \x00\xff"])
        self.assertEqual(records[0]["SequenceNumber"], put["SequenceNumber"])
        client.delete_stream(StreamName=name)

    def test_boto3_data_plane_over_https_on_the_main_port(self) -> None:
        self.check_data_plane(f"https://127.0.0.1:{self.server.port}")

    def test_boto3_over_https_by_host_name(self) -> None:
        client = kinesis(f"https://localhost:{self.server.port}", verify=self.cert)
        self.assertIn("StreamNames", client.list_streams())

    def test_boto3_over_the_tls_only_port(self) -> None:
        self.check_data_plane(f"https://127.0.0.1:{TLS_PORT}")

    def test_cleartext_still_works_on_the_main_port(self) -> None:
        client = kinesis(f"http://127.0.0.1:{self.server.port}", verify=None)
        self.assertIn("StreamNames", client.list_streams())

    def test_cleartext_is_refused_on_the_tls_only_port(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", TLS_PORT, timeout=10)
        try:
            # Closed without an answer (RemoteDisconnected, a reset or a broken pipe).
            with self.assertRaises(ConnectionError):
                conn.request("POST", "/", body="{}", headers={
                    "Content-Type": "application/x-amz-json-1.1",
                    "X-Amz-Target": "Kinesis_20131202.ListStreams"})
                conn.getresponse()
        finally:
            conn.close()

    def test_a_client_that_does_not_trust_the_certificate_refuses_to_connect(self) -> None:
        client = kinesis(f"https://127.0.0.1:{self.server.port}", verify=True)
        with self.assertRaises(botocore.exceptions.SSLError):
            client.list_streams()

    def test_python_ssl_negotiates_http11_or_h2_by_alpn(self) -> None:
        for offered, expected in ((["h2", "http/1.1"], "h2"), (["http/1.1"], "http/1.1")):
            context = ssl.create_default_context(cafile=self.cert)
            context.set_alpn_protocols(offered)
            with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as raw:
                with context.wrap_socket(raw, server_hostname="localhost") as tls:
                    self.assertEqual(tls.selected_alpn_protocol(), expected)


class SubscribeOverTlsTest(unittest.TestCase):
    """boto3's SubscribeToShard (an HTTP/1.1 chunked event stream) over HTTPS."""

    def test_boto3_subscribe_to_shard_over_https(self) -> None:
        client = kinesis(f"https://127.0.0.1:{SERVER.port}", verify=str(cert_path(SERVER)))
        name = uniq("tls-sub")
        client.create_stream(StreamName=name, ShardCount=1)
        wait_active(client, name)
        arn = client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
        consumer_arn = client.register_stream_consumer(StreamARN=arn, ConsumerName="tls")[
            "Consumer"]["ConsumerARN"]
        deadline = time.monotonic() + 20
        while client.describe_stream_consumer(ConsumerARN=consumer_arn)[
                "ConsumerDescription"]["ConsumerStatus"] != "ACTIVE":
            self.assertLess(time.monotonic(), deadline, "consumer did not become ACTIVE")
            time.sleep(0.05)
        sent = [f"record-{i}".encode() for i in range(5)]
        for data in sent[:2]:
            client.put_record(StreamName=name, Data=data, PartitionKey="k")
        response = client.subscribe_to_shard(ConsumerARN=consumer_arn,
                                             ShardId="shardId-000000000000",
                                             StartingPosition={"Type": "TRIM_HORIZON"})
        stream = response["EventStream"]
        got: List[bytes] = []
        try:
            for event in stream:
                records = event.get("SubscribeToShardEvent", {}).get("Records", [])
                got.extend(r["Data"] for r in records)
                if len(got) == 2:  # the rest arrives pushed while we are subscribed
                    for data in sent[2:]:
                        client.put_record(StreamName=name, Data=data, PartitionKey="k")
                if len(got) >= len(sent):
                    break
        finally:
            stream.close()
        self.assertEqual(got, sent)


class UserCertificateTest(unittest.TestCase):

    def test_user_supplied_certificate_is_served_and_nothing_is_generated(self) -> None:
        # Any valid pair will do: take the one the module's server generated.
        tmp = Path(tempfile.mkdtemp(prefix="e2e-tls-user-"))
        try:
            shutil.copy(cert_path(SERVER), tmp / "mine.pem")
            shutil.copy(cert_path(SERVER).parent / "key.pem", tmp / "mine.key")
            with ShoalServer(tmp_prefix="e2e-tls-user-", tls_cert=str(tmp / "mine.pem"),
                             tls_key=str(tmp / "mine.key")) as server:
                self.assertFalse(cert_path(server).exists())
                client = kinesis(f"https://127.0.0.1:{server.port}", verify=str(tmp / "mine.pem"))
                self.assertIn("StreamNames", client.list_streams())
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_generated_certificate_is_reused_across_restarts(self) -> None:
        with ShoalServer(tmp_prefix="e2e-tls-restart-") as server:
            before = cert_path(server).read_bytes()
            server.restart()
            self.assertEqual(cert_path(server).read_bytes(), before)
            client = kinesis(f"https://127.0.0.1:{server.port}", verify=str(cert_path(server)))
            self.assertIn("StreamNames", client.list_streams())

    def test_a_key_without_a_certificate_is_a_startup_error(self) -> None:
        server = ShoalServer(tmp_prefix="e2e-tls-bad-", start=False, startup_timeout=10,
                             tls_key="/nonexistent.key")
        try:
            with self.assertRaises(ServerError):
                server.start()
            self.assertIn("--tls-cert and --tls-key must be given together",
                          Path(server.log_path).read_text())
        finally:
            server.close()


@unittest.skipUnless(os.path.exists(AWS_CLI), f"AWS CLI not found at {AWS_CLI}")
class AwsCliTlsTest(unittest.TestCase):

    def aws(self, *args: str) -> subprocess.CompletedProcess:
        cmd: List[str] = [AWS_CLI, "--endpoint-url", f"https://127.0.0.1:{SERVER.port}",
                          "--ca-bundle", str(cert_path(SERVER)), "--output", "json",
                          "--region", TEST_REGION, "kinesis", *args]
        return subprocess.run(cmd, env=cli_env(), capture_output=True, text=True,
                              timeout=CLI_TIMEOUT_S, stdin=subprocess.DEVNULL)

    def test_cli_with_ca_bundle(self) -> None:
        name = uniq("tls-cli")
        created = self.aws("create-stream", "--stream-name", name, "--shard-count", "1")
        self.assertEqual(created.returncode, 0, created.stderr)
        wait_active(kinesis(f"https://127.0.0.1:{SERVER.port}", verify=str(cert_path(SERVER))),
                    name)
        put = self.aws("put-record", "--stream-name", name, "--partition-key", "k",
                       "--cli-binary-format", "raw-in-base64-out", "--data", "hello")
        self.assertEqual(put.returncode, 0, put.stderr)
        summary = self.aws("describe-stream-summary", "--stream-name", name)
        self.assertEqual(summary.returncode, 0, summary.stderr)
        self.assertEqual(json.loads(summary.stdout)["StreamDescriptionSummary"]["StreamStatus"],
                         "ACTIVE")

    def test_cli_without_the_bundle_fails_verification(self) -> None:
        cmd = [AWS_CLI, "--endpoint-url", f"https://127.0.0.1:{SERVER.port}", "--output", "json",
               "--region", TEST_REGION, "kinesis", "list-streams"]
        proc = subprocess.run(cmd, env=cli_env(), capture_output=True, text=True,
                              timeout=CLI_TIMEOUT_S, stdin=subprocess.DEVNULL)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("SSL", proc.stderr)


if __name__ == "__main__":
    unittest.main()
