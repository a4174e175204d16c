"""The servers bench/compare measures: how to install, start (127.0.0.1 only, persistence on where
the server has it), check and stop each of them."""

from __future__ import annotations

import abc
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

from . import procs

BENCH = Path(__file__).resolve().parents[1]
PEERS = BENCH / "peers"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cache_dir() -> Path:
    return Path(os.environ.get("SHOAL_BENCH_CACHE", Path.home() / ".cache" / "shoal-bench"))


def install_npm_peers(log) -> Path:
    """npm-installs bench/peers/package.json into the cache folder (once per package.json
    change); returns its node_modules."""
    dest = cache_dir() / "peers"
    dest.mkdir(parents=True, exist_ok=True)
    want = (PEERS / "package.json").read_text()
    stamp = dest / "installed-package.json"
    modules = dest / "node_modules"
    if stamp.exists() and stamp.read_text() == want and (modules / "kinesis-local").is_dir() \
            and (modules / "kinesalite").is_dir():
        return modules
    if shutil.which("npm") is None:
        raise RuntimeError("npm not found (scripts/setup installs nodejs and npm)")
    log(f"installing kinesalite and kinesis-local with npm into {dest}")
    (dest / "package.json").write_text(want)
    r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=dest, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"npm install failed in {dest}:\n{r.stdout}")
    stamp.write_text(want)
    return modules


def kinesis_call(port: int, op: str, body: dict, timeout: float = 5.0):
    """One JSON 1.1 call; returns (status, parsed body or None)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/", json.dumps(body), {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"Kinesis_20131202.{op}",
            "X-Amz-Date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()),
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDCOMPARE/20260101/us-east-1/kinesis/"
                             "aws4_request, SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
        })
        r = conn.getresponse()
        data = r.read()
        try:
            return r.status, json.loads(data) if data else {}
        except ValueError:
            return r.status, None
    finally:
        conn.close()


def listening_addresses(pids: List[int]) -> List[str]:
    """Local addresses of the TCP sockets `pids` listen on (from `ss -ltnp`)."""
    r = subprocess.run(["ss", "-Hltnp"], stdout=subprocess.PIPE, text=True, check=True)
    out = []
    for line in r.stdout.splitlines():
        if any(f"pid={p}," in line for p in pids):
            out.append(line.split()[3])
    return out


class Target(abc.ABC):
    """One server; start() gives it a fresh data dir and a free port."""
    name = "?"
    persistence = ""  # how it keeps its data (shown in the report)

    def __init__(self, repo: Path, build: Path):
        self.repo, self.build = repo, build
        self.proc: Optional[subprocess.Popen] = None
        self.port = 0
        self.log_path: Optional[Path] = None

    def prepare(self, log) -> None:
        """Installs what the target needs (once per run)."""

    @abc.abstractmethod
    def command(self, data: Path) -> (List[str], Dict[str, str]):
        """The server's command line and extra environment, for a data dir `data`."""

    def start(self, workdir: Path, ready_timeout: float = 60.0) -> None:
        data = workdir / "data"
        data.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        cmd, env = self.command(data)
        self.log_path = workdir / "server.log"
        with open(self.log_path, "w") as logf:
            self.proc = procs.spawn(cmd, cwd=data, env={**os.environ, **env}, stdout=logf,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self._wait_ready(ready_timeout)
        self._check_loopback()

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode} while starting:\n"
                                   + self.log_tail())
            try:
                status, _ = kinesis_call(self.port, "ListStreams", {}, timeout=2)
                if status == 200:
                    return
                last = f"ListStreams answered {status}"
            except OSError as e:
                last = str(e)
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f} s ({last}):\n{self.log_tail()}")

    def _check_loopback(self) -> None:
        addrs = listening_addresses(self.pids())
        bad = [a for a in addrs if not a.startswith("127.0.0.1:")]
        if not addrs or bad:
            raise RuntimeError(f"{self.name} listens on {addrs or 'nothing'}: expected 127.0.0.1 only")

    def pids(self) -> List[int]:
        return procs.group_pids(self.proc.pid) if self.proc else []

    def stop(self) -> None:
        if self.proc:
            procs.stop(self.proc)
            self.proc = None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, n: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class Shoal(Target):
    name = "shoal"
    persistence = "data dir (log-structured, default durability)"

    def command(self, data):
        return ([str(self.build / "shoal"), "serve", "--host", "127.0.0.1", "--port", str(self.port),
                 "--data-dir", str(data), "--create-delay-ms", "0", "--delete-delay-ms", "0",
                 "--limits", "off", "--log-level", "warn"], {})


class ShoalFlush(Shoal):
    """Optional (--targets ...,shoal-flush): acknowledges once written to the OS, like the peers."""
    name = "shoal-flush"
    persistence = "data dir, --durability flush (no fdatasync before acknowledging)"

    def command(self, data):
        cmd, env = super().command(data)
        return cmd + ["--durability", "flush"], env


class Kinesalite(Target):
    name = "kinesalite"
    persistence = "LevelDB (--path)"

    def prepare(self, log):
        self.modules = install_npm_peers(log)

    def command(self, data):
        return (["node", str(PEERS / "kinesalite.js"), str(self.port), str(data / "leveldb")],
                {"NODE_PATH": str(self.modules)})


class KinesisMock(Target):
    name = "kinesis-mock"
    persistence = "JSON file every 5 s (SHOULD_PERSIST_DATA)"

    def prepare(self, log):
        self.modules = install_npm_peers(log)

    def command(self, data):
        pkg = self.modules / "kinesis-local"
        return (["node", "--require", str(PEERS / "loopback.js"), str(pkg / "main.js")], {
            "KINESIS_MOCK_PLAIN_PORT": str(self.port),
            "KINESIS_MOCK_TLS_PORT": str(free_port()),
            "KINESIS_MOCK_CERT_PATH": str(pkg / "server.json"),
            "SHOULD_PERSIST_DATA": "true",
            "PERSIST_PATH": str(data),
            "CREATE_STREAM_DURATION": "0ms",
            "DELETE_STREAM_DURATION": "0ms",
            "REGISTER_STREAM_CONSUMER_DURATION": "0ms",
            "SHARD_LIMIT": "20000",
            "LOG_LEVEL": "ERROR",
        })


class Moto(Target):
    name = "moto"
    persistence = "none (in memory; moto's server has no persistence)"

    def command(self, data):
        return ([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)], {})


ALL = {"shoal": Shoal, "kinesalite": Kinesalite, "kinesis-mock": KinesisMock, "moto": Moto}
OPTIONAL = {"shoal-flush": ShoalFlush}
