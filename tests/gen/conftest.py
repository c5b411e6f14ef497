"""Fixtures for tests/gen: a real nginx in a temporary prefix and an upstream that echoes headers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from gen_harness import EchoHandler, RunningNginx, Upstream, start_nginx, stop_nginx
from services import require_binary


@pytest.fixture
def echo_upstream() -> Iterator[Upstream]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoHandler)
    server.daemon_threads = True
    server.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Upstream(port=server.server_address[1], seen=server.seen)  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def nginx_bin() -> str:
    return require_binary("nginx", "apt-get install nginx-extras; .ci/run installs it")


@pytest.fixture
def nginx_runner(nginx_bin: str, tmp_path: Path) -> Iterator:
    """``run(conf_text, port, name)`` starts nginx in a fresh prefix; all are stopped at teardown."""
    started: list[RunningNginx] = []

    def run(conf_text: str, port: int, name: str = "prefix") -> RunningNginx:
        running = start_nginx(nginx_bin, tmp_path / name, conf_text, port)
        started.append(running)
        return running

    try:
        yield run
    finally:
        for running in started:
            stop_nginx(running)
