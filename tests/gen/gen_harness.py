"""Helpers for tests/gen: free ports, an upstream that echoes headers, nginx in a temp prefix.

A plain module (not conftest) so test files import it by a name no other area uses."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from services import port_open

HEX32 = r"[0-9a-f]{32}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EchoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self) -> None:  # noqa: N802
        body = json.dumps({"path": self.path, "headers": [[k, v] for k, v in self.headers.items()]}).encode()
        self.server.seen.append(dict(self.headers.items()))  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        # An app that echoes its own idea of the ID: nginx must replace it, not add a second one.
        self.send_header("Correlation-Id", "from-upstream")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@dataclass
class Upstream:
    port: int
    seen: list = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


@dataclass
class RunningNginx:
    prefix: Path
    port: int
    process: subprocess.Popen

    @property
    def access_log(self) -> Path:
        return self.prefix / "access.log"

    def get(self, path: str = "/", headers: dict | None = None) -> tuple[int, dict, list, bytes]:
        """One request on a fresh connection: status, upstream's echo (or {}), response headers, body."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path, headers={"Connection": "close", **(headers or {})})
            resp = conn.getresponse()
            body = resp.read()
            echo = json.loads(body) if resp.getheader("Content-Type") == "application/json" else {}
            return resp.status, echo, resp.getheaders(), body
        finally:
            conn.close()

    def raw(self, request: bytes) -> bytes:
        """Send raw bytes (headers http.client refuses to build) and return the raw response."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(request)
            chunks = []
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                chunks.append(data)
        return b"".join(chunks)

    def log_lines(self, expect: int = 1) -> list[str]:
        """Access log lines; nginx writes each after the response, so wait (5 s at most) for *expect*."""
        lines: list[str] = []
        for _ in range(100):
            if self.access_log.exists():
                lines = self.access_log.read_text().splitlines()
                if len(lines) >= expect:
                    break
            time.sleep(0.05)
        return lines


def start_nginx(nginx_bin: str, prefix: Path, conf_text: str, port: int) -> RunningNginx:
    prefix.mkdir(parents=True, exist_ok=True)
    (prefix / "nginx.conf").write_text(conf_text)
    cmd = [nginx_bin, "-p", str(prefix), "-c", "nginx.conf", "-e", "error.log", "-g", "daemon off;"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            err = (prefix / "error.log").read_text() if (prefix / "error.log").exists() else ""
            pytest.fail(f"nginx exited with {proc.returncode}: {out}{err}")
        if port_open("127.0.0.1", port, timeout=0.2):
            return RunningNginx(prefix=prefix, port=port, process=proc)
        time.sleep(0.05)
    proc.kill()
    pytest.fail("nginx did not start listening within 10 s")


def stop_nginx(running: RunningNginx) -> None:
    proc = running.process
    if proc.poll() is None:
        proc.terminate()  # SIGTERM: fast shutdown of master and workers
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    if proc.stdout:
        proc.stdout.close()




@contextlib.contextmanager
def running_app(script: Path, port: int, logging_config: Path, logfile: Path) -> Iterator[subprocess.Popen]:
    """*script* ``PORT LOGGING_JSON`` in its own process, its stdout (the JSON log) into *logfile*."""
    with logfile.open("w") as out:
        proc = subprocess.Popen([sys.executable, str(script), str(port), str(logging_config)], stdout=out,
                                stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not port_open("127.0.0.1", port, timeout=0.2):
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode() if proc.poll() is not None else "timeout"  # type: ignore[union-attr]
                pytest.fail(f"{script.name} did not start: {err}")
            time.sleep(0.05)
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stderr.close()  # type: ignore[union-attr]


def wait_for_lines(path: Path, count: int, timeout: float = 5.0) -> list[str]:
    """The lines of *path* once it has at least *count* (or whatever it has after *timeout*)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)
