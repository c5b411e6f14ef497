"""``devkit load http`` against hostile input and servers: a bad method is one usage error, a 2 GB
body is read only up to --max-body, a body that never ends times out (issue 16, "load and ship")."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner
from load_support import run_json

from devkit.cli import cli
from devkit.load import HttpLoadConfig, run_http_load
from devkit.load import http as http_load

CHUNK = b"\0" * 65536


def invoke(*args: str):
    return CliRunner().invoke(cli, ["load", "http", *args])


@pytest.fixture
def hostile_server():
    """/huge: Content-Length 2 GiB, streamed as fast as the client reads; /endless: a chunked body
    that trickles forever. ``sent`` counts the body bytes that got out before the client hung up."""
    sent: list[int] = []
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802
            endless = self.path.startswith("/endless")
            self.send_response(200)
            self.send_header("Correlation-Id", self.headers.get("Correlation-Id", ""))
            if endless:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(2 * 1024 ** 3))
            self.end_headers()
            total = 0
            try:
                while not stop.is_set() and total < 2 * 1024 ** 3:
                    if endless:
                        self.wfile.write(b"1\r\nx\r\n")
                        self.wfile.flush()
                        total += 1
                        time.sleep(0.1)
                    else:
                        self.wfile.write(CHUNK)
                        total += len(CHUNK)
            except OSError:
                pass
            sent.append(total)
            self.close_connection = True

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", sent
    stop.set()
    server.shutdown()
    server.server_close()


def test_a_method_with_a_space_is_one_usage_error_and_nothing_is_sent(http_server):
    base, recorder = http_server
    result = invoke(f"{base}/echo", "-X", "GE T", "-n", "5", "-c", "4")
    assert result.exit_code == 2
    assert result.stderr == "devkit: error: -X 'GE T' is not an HTTP method (letters such as GET or POST, no spaces)\n"
    assert "Traceback" not in result.output and recorder.requests == []


@pytest.mark.parametrize("header", ["X-Name: Ωmega", "Bad Name: x"])
def test_headers_that_cannot_be_sent_are_one_usage_error(http_server, header):
    base, recorder = http_server
    result = invoke(f"{base}/echo", "-H", header, "-n", "2", "-c", "2")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "-H" in result.stderr
    assert recorder.requests == []


def test_a_2_gb_body_is_read_only_up_to_max_body(hostile_server):
    base, sent = hostile_server
    result = invoke(f"{base}/huge", "-n", "3", "--max-body", "256K", "--json")
    assert result.exit_code == 0, result.output + result.stderr
    doc = run_json(result)
    assert (doc["completed"], doc["id_matched"], doc["bodies_capped"]) == (3, 3, 3)
    deadline = time.monotonic() + 10
    while len(sent) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    # what left the server: the cap plus what fits in the socket buffers, never the 2 GiB
    assert len(sent) == 3 and max(sent) < 16 * 1024 ** 2, sent


def test_a_body_that_never_ends_times_out(hostile_server):
    base, _sent = hostile_server
    began = time.monotonic()
    result = invoke(f"{base}/endless", "-n", "1", "--timeout", "1s", "--json")
    assert time.monotonic() - began < 6
    assert result.exit_code == 2  # nothing answered in full
    doc = run_json(result)
    assert doc["failed"] == 1 and doc["completed"] == 0
    assert doc["error_examples"] == ["Timeout: timed out"]


def test_an_unexpected_worker_error_stops_the_run_with_one_line(http_server, monkeypatch):
    base, _ = http_server

    def broken(self, session, requests):
        raise RuntimeError("worker exploded")

    monkeypatch.setattr(http_load._Worker, "_one", broken)
    result = invoke(f"{base}/echo", "-n", "20", "-c", "4")
    assert result.exit_code == 2
    assert result.stderr == "devkit: error: the run stopped: RuntimeError: worker exploded\n"
    lib = run_http_load(HttpLoadConfig(url=f"{base}/echo", count=5, concurrency=2))
    assert lib.fatal == "RuntimeError: worker exploded" and lib.exit_code == 2
