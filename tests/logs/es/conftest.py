"""A real OpenSearch-compatible server (osmem-server) on a free 127.0.0.1 port for the session.

Tests write to their own uniquely named indices, so they share the server safely. The examples
are shipped once per session (``shipped``) through the real CLI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from devkit.cli import cli

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples" / "logs"
EXPECTED = ROOT / "examples" / "expected.json"
SHIPPED_INDEX = "logs-examples"
AMQP = "amqp://guest:guest@127.0.0.1:5672/%2F"


def _osmem():
    try:
        from osmem_server import OsmemServer, resolve_binary

        resolve_binary()
    except Exception as exc:  # not installed: the test extra is missing
        from services import missing_service

        missing_service(f"osmem-server is not installed (pip install -e '.[test]'): {exc}")
    return OsmemServer


@pytest.fixture(scope="session")
def es_server():
    """One osmem-server process for the session (writable base, no freeze)."""
    server = _osmem().start(seed=[], freeze=False)
    yield server
    server.close()


@pytest.fixture(scope="session")
def es_url(es_server) -> str:
    return es_server.url


@pytest.fixture
def index_name() -> str:
    return f"devkit-t{uuid.uuid4().hex[:12]}"


@pytest.fixture
def run():
    def _run(*args: str, input: str | None = None):
        return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)

    return _run


@pytest.fixture
def run_json(run):
    def _run(*args: str):
        result = run(*args, "--json")
        return result, [json.loads(line) for line in result.stdout.splitlines() if line.strip()]

    return _run


@pytest.fixture(scope="session")
def expected() -> dict:
    return json.loads(EXPECTED.read_text())


@pytest.fixture(scope="session")
def shipped(es_url) -> dict:
    """The examples shipped once through ``devkit logs ship`` (a real subprocess)."""
    out = subprocess.run(
        [sys.executable, "-m", "devkit", "logs", "ship", str(EXAMPLES), "--es", es_url, "--index", SHIPPED_INDEX,
         "--batch", "250", "--tz", "UTC", "--json"],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


class OwnServer:
    """An osmem-server process this test may kill (the 'server dies mid-ship' case)."""

    def __init__(self) -> None:
        from osmem_server import resolve_binary

        self.proc = subprocess.Popen([resolve_binary(), "-addr", "127.0.0.1:0", "-no-stdin-watch",
                                      "-parent-pid", str(os.getpid())],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                info = json.loads(line)
            except ValueError:
                continue
            if isinstance(info, dict) and "url" in info:
                self.url = info["url"]
                break
        else:
            raise RuntimeError("osmem-server did not start")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def own_server():
    _osmem()
    server = OwnServer()
    yield server
    server.kill()


@pytest.fixture
def amqp_queue():
    """A fresh queue on the real broker: (name, publish(bodies), depth()); deleted afterwards."""
    from services import require_rabbitmq

    require_rabbitmq()
    import pika

    name = f"devkit-test-ship-{uuid.uuid4().hex[:10]}"
    conn = pika.BlockingConnection(pika.URLParameters(AMQP))
    ch = conn.channel()
    ch.queue_declare(name)

    def publish(bodies: list[bytes], message_ids: list[str] | None = None) -> None:
        for n, body in enumerate(bodies):
            props = pika.BasicProperties(message_id=message_ids[n]) if message_ids else None
            ch.basic_publish("", name, body, properties=props)

    def depth() -> int:
        return ch.queue_declare(name, passive=True).method.message_count

    yield name, publish, depth
    ch.queue_delete(name)
    conn.close()


