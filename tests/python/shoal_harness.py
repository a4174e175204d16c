"""Test harness: runs a real `shoal serve` process for end-to-end tests.

Standard library only, so it imports from both the pyenv python3 (boto3 tests)
and /usr/bin/python3 (cbor2 tests).

    from shoal_harness import ShoalServer, wait_active

    with ShoalServer() as srv:                      # temp data dir, free port
        kinesis = srv.boto3_client()                # or boto3.client(..., endpoint_url=srv.endpoint)
        kinesis.create_stream(StreamName="s", ShardCount=1)
        wait_active(kinesis, "s")
        srv.kill9(); srv.restart()                  # crash + recover on the same data dir

Environment:
    SHOAL_BIN        server binary (default: <repo>/build/shoal)
    SHOAL_KEEP_DATA  if set, temporary data dirs and logs are kept (their paths are printed)
    SHOAL_LOG_LEVEL  passed as --log-level when set (default: the server's default)

Every server started here is stopped when the ShoalServer is stopped or garbage
collected, at interpreter exit (atexit), and -- on Linux -- by the kernel when
the test process dies (PR_SET_PDEATHSIG), so no server outlives a test run.
"""

from __future__ import annotations

import atexit
import ctypes
import datetime
import hashlib
import hmac
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO_ROOT / "build" / "shoal"

# Client-side defaults: AWS clients refuse to run without credentials and a region;
# shoal accepts any credentials.
TEST_ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
TEST_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TEST_REGION = "us-east-1"
TEST_ACCOUNT = "000000000000"

os.environ.setdefault("AWS_ACCESS_KEY_ID", TEST_ACCESS_KEY)
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", TEST_SECRET_KEY)
os.environ.setdefault("AWS_DEFAULT_REGION", TEST_REGION)
os.environ.setdefault("AWS_REGION", os.environ["AWS_DEFAULT_REGION"])
os.environ.setdefault("AWS_PAGER", "")
# Keep clients away from ~/.aws and instance metadata lookups.
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

STARTUP_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 15.0

_live_servers: "weakref.WeakSet[ShoalServer]" = weakref.WeakSet()


def shoal_bin() -> Path:
    return Path(os.environ.get("SHOAL_BIN") or DEFAULT_BIN)


def _pdeathsig_preexec() -> None:  # runs in the child between fork and exec
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except Exception:
        pass


class ServerError(RuntimeError):
    pass


class ShoalServer:
    """One `shoal serve` process on a free port of 127.0.0.1.

    ``tmp_prefix`` names the temporary data and run dirs (``<tmp_prefix>data-XXXX``).
    Keyword arguments other than the named ones become command-line flags:
    ``shard_limit=30000`` -> ``--shard-limit 30000``; a value of ``True`` gives a bare
    flag, ``None``/``False`` drops it. ``extra_args`` are appended verbatim.
    ``limits`` defaults to ``"off"`` (no throttling); pass ``limits="aws"`` to test it.
    """

    def __init__(
        self,
        data_dir: Optional[os.PathLike] = None,
        *,
        binary: Optional[os.PathLike] = None,
        create_delay_ms: Optional[int] = 100,
        delete_delay_ms: Optional[int] = 100,
        update_delay_ms: Optional[int] = 100,
        region: Optional[str] = None,
        account_id: Optional[str] = None,
        extra_args: Iterable[str] = (),
        start: bool = True,
        startup_timeout: float = STARTUP_TIMEOUT_S,
        tmp_prefix: str = "shoal-",
        **flags: Any,
    ) -> None:
        self.binary = Path(binary) if binary else shoal_bin()
        self._owns_data_dir = data_dir is None
        if data_dir is None:
            data_dir = tempfile.mkdtemp(prefix=tmp_prefix + "data-")
        self.data_dir = Path(data_dir)
        self._work_dir = Path(tempfile.mkdtemp(prefix=tmp_prefix + "run-"))
        self.port_file = self._work_dir / "port"
        self.log_path = self._work_dir / "server.log"
        self.region = region or TEST_REGION
        self.account_id = account_id or TEST_ACCOUNT
        self.startup_timeout = startup_timeout
        self.flags: Dict[str, Any] = {
            "create_delay_ms": create_delay_ms,
            "delete_delay_ms": delete_delay_ms,
            "update_delay_ms": update_delay_ms,
            "region": region,
            "account_id": account_id,
        }
        # Tests write fast from one client: no throughput limits unless a test asks for a
        # profile (limits="aws").
        flags.setdefault("limits", "off")
        if os.environ.get("SHOAL_LOG_LEVEL") and "log_level" not in flags:
            flags["log_level"] = os.environ["SHOAL_LOG_LEVEL"]
        self.flags.update(flags)
        self.extra_args = list(extra_args)
        self.proc: Optional[subprocess.Popen] = None
        self.port: Optional[int] = None
        self.starts = 0
        self._log_fh = None
        self._closed = False
        _live_servers.add(self)
        if start:
            self.start()

    # ---------------------------------------------------------------- lifecycle

    def command(self) -> List[str]:
        cmd = [str(self.binary), "serve", "--host", "127.0.0.1", "--port", "0",
               "--port-file", str(self.port_file), "--data-dir", str(self.data_dir)]
        for key, value in self.flags.items():
            if value is None or value is False:
                continue
            flag = "--" + key.replace("_", "-")
            if value is True:
                cmd.append(flag)
            else:
                cmd += [flag, str(value)]
        return cmd + self.extra_args

    def start(self) -> "ShoalServer":
        if self._closed:
            raise ServerError("server was closed")
        if self.running:
            return self
        if not self.binary.exists():
            raise ServerError(f"shoal binary not found at {self.binary} (set SHOAL_BIN or build it: ./scripts/build)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.port_file.unlink()
        except FileNotFoundError:
            pass
        self.port = None
        self.starts += 1
        self._log_fh = open(self.log_path, "ab")
        self._log_fh.write(f"\n==== start #{self.starts}: {' '.join(self.command())}\n".encode())
        self._log_fh.flush()
        self.proc = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=self._log_fh,
            stderr=subprocess.STDOUT,
            cwd=str(self._work_dir),
            preexec_fn=_pdeathsig_preexec if sys.platform.startswith("linux") else None,
        )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while True:
            code = self.proc.poll()
            if code is not None:
                self._reap()
                raise ServerError(f"shoal exited with status {code} during startup\n{self._log_tail()}")
            port = self._read_port()
            if port is not None:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                        self.port = port
                        return
                except OSError:
                    pass
            if time.monotonic() > deadline:
                self._kill_proc()
                raise ServerError(
                    f"shoal did not become ready within {self.startup_timeout:.0f} s "
                    f"(port file {'present' if self.port_file.exists() else 'missing'})\n{self._log_tail()}")
            time.sleep(0.02)

    def _read_port(self) -> Optional[int]:
        try:
            text = self.port_file.read_text().strip()
        except OSError:
            return None
        try:
            port = int(text)
        except ValueError:
            return None  # partially written
        return port if 0 < port < 65536 else None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> Optional[int]:
        return self.proc.pid if self.proc else None

    @property
    def endpoint(self) -> str:
        if self.port is None:
            raise ServerError("server is not running")
        return f"http://127.0.0.1:{self.port}"

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> Optional[int]:
        """SIGTERM, wait (SIGKILL after `timeout`). Returns the exit status (None if not started)."""
        if self.proc is None:
            return None
        proc = self.proc
        if proc.poll() is None:
            try:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                sys.stderr.write(f"shoal pid {proc.pid} ignored SIGTERM for {timeout} s; killing\n")
                proc.kill()
                proc.wait()
        code = proc.returncode
        self._reap()
        return code

    def kill9(self) -> None:
        """Crash the server (SIGKILL) and wait for it to be gone."""
        self._kill_proc()

    def restart(self, **flag_overrides: Any) -> "ShoalServer":
        """Start again on the same data dir (stops the running process first). New port."""
        if self.running:
            self.stop()
        self.flags.update(flag_overrides)
        return self.start()

    def close(self) -> None:
        """Stop the server and delete temporary directories (unless SHOAL_KEEP_DATA)."""
        if self._closed:
            return
        try:
            self.stop()
        finally:
            self._closed = True
            if os.environ.get("SHOAL_KEEP_DATA"):
                sys.stderr.write(f"shoal: kept data dir {self.data_dir} and log {self.log_path}\n")
            else:
                if self._owns_data_dir:
                    shutil.rmtree(self.data_dir, ignore_errors=True)
                shutil.rmtree(self._work_dir, ignore_errors=True)

    def _kill_proc(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._reap()

    def _reap(self) -> None:
        self.proc = None if self.proc is None or self.proc.poll() is not None else self.proc
        self.port = None
        if self._log_fh is not None:
            self._log_fh.close()
            self._log_fh = None

    def __enter__(self) -> "ShoalServer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    # ---------------------------------------------------------------- logs

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def _log_tail(self, lines: int = 60) -> str:
        text = self.log().splitlines()[-lines:]
        return "---- shoal log (" + str(self.log_path) + ") ----\n" + "\n".join(text)

    # ---------------------------------------------------------------- clients

    def boto3_client(self, service: str = "kinesis", retries: int = 0, **kwargs: Any):
        """A boto3 client for this server (imports boto3 lazily). `retries`=0 disables retries,
        so throttling-class errors such as LimitExceededException surface immediately."""
        import boto3
        from botocore.config import Config
        config = kwargs.pop("config", None) or Config(
            retries={"total_max_attempts": retries + 1, "mode": "standard"},
            connect_timeout=5, read_timeout=60)
        kwargs.setdefault("region_name", os.environ.get("AWS_DEFAULT_REGION", TEST_REGION))
        kwargs.setdefault("aws_access_key_id", os.environ.get("AWS_ACCESS_KEY_ID", TEST_ACCESS_KEY))
        kwargs.setdefault("aws_secret_access_key", os.environ.get("AWS_SECRET_ACCESS_KEY", TEST_SECRET_KEY))
        return boto3.client(service, endpoint_url=self.endpoint, config=config, **kwargs)

    def stream_arn(self, name: str) -> str:
        return f"arn:aws:kinesis:{self.region}:{self.account_id}:stream/{name}"

    def request(self, operation: Optional[str], body: Any = b"{}", *,
                content_type: str = "application/x-amz-json-1.1",
                headers: Optional[Dict[str, str]] = None, sign: bool = True,
                target: Optional[str] = None, method: str = "POST", path: str = "/",
                timeout: float = 30.0) -> "RawResponse":
        """Send one raw request (HTTP/1.1). `body` may be bytes, str, or a JSON-able object.
        The request is SigV4-signed with the test credentials unless sign=False.
        `target` overrides the X-Amz-Target header (default Kinesis_20131202.<operation>)."""
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        hdrs: Dict[str, str] = {"Content-Type": content_type}
        if target is None and operation is not None:
            target = f"Kinesis_20131202.{operation}"
        if target is not None:
            hdrs["X-Amz-Target"] = target
        hdrs["Host"] = f"127.0.0.1:{self.port}"
        if sign:
            hdrs.update(sigv4_headers(method, path, hdrs, body, region=self.region))
        if headers:
            hdrs.update(headers)
        return raw_request(self.port, method, path, body, hdrs, timeout=timeout)


class RawResponse:
    def __init__(self, status: int, reason: str, headers: List[Tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.reason = reason
        self.header_list = headers
        self.headers = {k.lower(): v for k, v in headers}  # lower-case keys
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def error_type(self) -> Optional[str]:
        try:
            data = self.json()
        except ValueError:
            return None
        return data.get("__type") if isinstance(data, dict) else None

    def __repr__(self) -> str:
        return f"<RawResponse {self.status} {self.headers} {self.body[:300]!r}>"


def raw_request(port: int, method: str, path: str, body: bytes, headers: Dict[str, str],
                timeout: float = 30.0) -> RawResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
        return RawResponse(resp.status, resp.reason, resp.getheaders(), data)
    finally:
        conn.close()


def sigv4_headers(method: str, path: str, headers: Dict[str, str], body: bytes, *,
                  region: str = TEST_REGION, service: str = "kinesis",
                  access_key: Optional[str] = None, secret_key: Optional[str] = None,
                  now: Optional[datetime.datetime] = None) -> Dict[str, str]:
    """SigV4 headers (X-Amz-Date, Authorization) signing every header in `headers` plus x-amz-date."""
    access_key = access_key or os.environ.get("AWS_ACCESS_KEY_ID", TEST_ACCESS_KEY)
    secret_key = secret_key or os.environ.get("AWS_SECRET_ACCESS_KEY", TEST_SECRET_KEY)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    to_sign = {k.lower(): " ".join(str(v).strip().split()) for k, v in headers.items()}
    to_sign["x-amz-date"] = amz_date
    names = sorted(to_sign)
    canonical = "\n".join([
        method, path, "",
        "".join(f"{n}:{to_sign[n]}\n" for n in names),
        ";".join(names),
        hashlib.sha256(body).hexdigest(),
    ])
    scope = f"{date}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                                hashlib.sha256(canonical.encode()).hexdigest()])

    def _h(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    key = _h(_h(_h(_h(("AWS4" + secret_key).encode(), date), region), service), "aws4_request")
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return {
        "X-Amz-Date": amz_date,
        "Authorization": (f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
                          f"SignedHeaders={';'.join(names)}, Signature={signature}"),
    }


# -------------------------------------------------------------------- hash keys

MAX_HASH_KEY = (1 << 128) - 1


def partition_key_hash(partition_key: str) -> int:
    """The 128-bit hash key of a partition key: MD5 of its UTF-8 bytes, big-endian (spec §4.1)."""
    return int.from_bytes(hashlib.md5(partition_key.encode("utf-8")).digest(), "big")


def shard_for_hash(shards: Iterable[Dict[str, Any]], hash_key: int) -> str:
    """The ShardId of the open shard (ListShards/DescribeStream entries) whose range holds hash_key."""
    for shard in shards:
        if "EndingSequenceNumber" in shard.get("SequenceNumberRange", {}):
            continue
        rng = shard["HashKeyRange"]
        if int(rng["StartingHashKey"]) <= hash_key <= int(rng["EndingHashKey"]):
            return shard["ShardId"]
    raise AssertionError(f"no open shard holds hash key {hash_key}")


# -------------------------------------------------------------------- polling helpers

def wait_until(predicate, timeout: float = 20.0, interval: float = 0.05, what: str = "condition"):
    """Poll predicate() until it returns a truthy value; return it. Raises AssertionError on timeout."""
    deadline = time.monotonic() + timeout
    last_exc: Optional[BaseException] = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except Exception as exc:  # keep polling; report the last error on timeout
            last_exc = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}"
                                 + (f" (last error: {last_exc!r})" if last_exc else ""))
        time.sleep(interval)


def wait_status(client, name: str, status: str, timeout: float = 20.0) -> Dict[str, Any]:
    """Poll describe_stream_summary until StreamStatus == status; returns the summary."""
    def check():
        summary = client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        return summary if summary["StreamStatus"] == status else None
    return wait_until(check, timeout=timeout, what=f"stream {name} to be {status}")


def wait_active(client, name: str, timeout: float = 20.0) -> Dict[str, Any]:
    """Poll describe_stream_summary until the stream is ACTIVE; returns the summary."""
    return wait_status(client, name, "ACTIVE", timeout=timeout)


def wait_gone(client, name: str, timeout: float = 20.0) -> None:
    """Poll until describe_stream_summary answers ResourceNotFoundException."""
    def check():
        try:
            client.describe_stream_summary(StreamName=name)
        except Exception as exc:  # botocore ClientError, without importing botocore here
            code = getattr(exc, "response", {}).get("Error", {}).get("Code")
            if code == "ResourceNotFoundException":
                return True
            raise
        return False
    wait_until(check, timeout=timeout, what=f"stream {name} to disappear")


def _cleanup_all() -> None:
    for srv in list(_live_servers):
        try:
            srv.close()
        except Exception:
            pass


atexit.register(_cleanup_all)


def _install_sigterm_handler() -> None:
    """Turn SIGTERM (e.g. from a test-runner timeout) into a normal exit so atexit cleanup runs."""
    try:
        if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
            signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    except ValueError:  # not in the main thread
        pass


_install_sigterm_handler()
