"""The search-server and queue paths against hostile input: a message nested 100,000 deep, text
messages in a JSON queue, a server that answers with 2 GB or never stops, an --index that would
escape its REST path (issue 16, "load and ship")."""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from devkit.logs.es import connect

from .conftest import AMQP, EXAMPLES

pytestmark = pytest.mark.service
PAYMENTS = EXAMPLES / "payments" / "payments.log"


# ---- --from-amqp: what a queue may hold --------------------------------------------------------
def _record(message: str, second: int) -> bytes:
    return json.dumps({"@timestamp": f"2026-11-20T09:00:0{second}.000Z", "level": "INFO", "message": message,
                       "correlation_id": f"hostile-{second}", "service": "orders"}).encode()


def test_a_message_nested_100000_deep_is_dead_lettered_and_text_messages_stand_alone(
        es_url, index_name, amqp_queue, run_json, tmp_path):
    name, publish, depth = amqp_queue
    bomb = b"[" * 100_000 + b"]" * 100_000
    publish([_record("first record", 1), bomb, b"hello from a plain producer", b"  File \"x.py\", line 1",
             _record("last record", 2)])
    dead = tmp_path / "dead.ndjson"
    result, (summary,) = run_json("logs", "ship", "--from-amqp", AMQP, "--queue", name, "--es", es_url, "--index",
                                  index_name, "--idle-exit", "1", "--flush-interval", "0.2", "--dead-letter", str(dead))
    assert result.exit_code == 1, result.output  # one message dead-lettered
    assert "RecursionError" not in result.stderr and "internal error" not in result.stderr
    assert (summary["read"], summary["indexed"], summary["failed"], summary["text_messages"]) == (4, 4, 1, 2)
    assert depth() == 0  # everything acked: a restart does not crash on the same message again
    [line] = [json.loads(x) for x in dead.read_text().splitlines()]
    assert line["message"] == bomb.decode() and "nested deeper" in line["error"]
    with connect(es_url) as conn:
        hits = conn.request("POST", f"/{index_name}/_search", {"size": 10, "sort": [{"@timestamp": "asc"}]})
    messages = sorted(h["_source"]["message"] for h in hits["hits"]["hits"])
    assert messages == sorted(["first record", "hello from a plain producer", "  File \"x.py\", line 1",
                               "last record"])  # each text message its own document, none glued on


# ---- a server that answers too much, or forever ------------------------------------------------
@pytest.fixture
def hostile_es():
    """Answers GET / like OpenSearch, then every other request per ``mode``: ``huge`` (Content-Length
    2 GiB), ``flood`` (chunked, as fast as read, no end) or ``endless`` (a byte every 0.1 s)."""
    state = {"mode": "huge", "paths": [], "sent": []}
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            state["paths"].append(self.path)
            if self.path == "/":
                body = json.dumps({"version": {"distribution": "opensearch", "number": "2.11.0"}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            mode = state["mode"]
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if mode == "huge":
                self.send_header("Content-Length", str(2 * 1024 ** 3))
            else:
                self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            sent = 0
            chunk = b" " * 65536
            try:
                while not stop.is_set() and sent < 2 * 1024 ** 3:
                    if mode == "endless":
                        self.wfile.write(b"1\r\n \r\n")
                        self.wfile.flush()
                        sent += 1
                        time.sleep(0.1)
                    elif mode == "flood":
                        self.wfile.write(b"10000\r\n" + chunk + b"\r\n")
                        sent += len(chunk)
                    else:
                        self.wfile.write(chunk)
                        sent += len(chunk)
            except OSError:
                pass
            state["sent"].append(sent)
            self.close_connection = True

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    stop.set()
    server.shutdown()
    server.server_close()


def test_a_2_gb_answer_is_refused_from_its_length(hostile_es, run):
    began = time.monotonic()
    result = run("logs", "trace", "abc", "--es", hostile_es["url"])
    assert result.exit_code == 2
    assert time.monotonic() - began < 10
    assert result.stderr.count("\n") == 1 and "2,147,483,648 bytes, more than devkit reads" in result.stderr


def test_an_answer_without_end_is_cut_at_the_cap(hostile_es, run, monkeypatch):
    hostile_es["mode"] = "flood"
    monkeypatch.setenv("DEVKIT_ES_MAX_RESPONSE", str(8 * 1024 ** 2))
    result = run("logs", "trace", "abc", "--es", hostile_es["url"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "passed 8,388,608 bytes" in result.stderr
    deadline = time.monotonic() + 5
    while not hostile_es["sent"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hostile_es["sent"] and max(hostile_es["sent"]) < 32 * 1024 ** 2  # read up to the cap, then hung up


def test_an_answer_that_trickles_forever_times_out(hostile_es, run, monkeypatch):
    hostile_es["mode"] = "endless"
    monkeypatch.setenv("DEVKIT_ES_TIMEOUT", "2")
    for args in (["logs", "trace", "abc"], ["logs", "ship", str(PAYMENTS), "--index", "logs-hostile"]):
        began = time.monotonic()
        result = run(*args, "--es", hostile_es["url"])
        assert result.exit_code == 2, args
        assert time.monotonic() - began < 10, args
        assert result.stderr.count("\n") == 1 and "did not end within 2 s" in result.stderr


# ---- --index never escapes its REST path -------------------------------------------------------
@pytest.mark.parametrize("index", ["../_cluster/settings", "logs?pretty", "Logs", "a b", "_all", "logs#x"])
def test_ship_refuses_a_bad_index_before_connecting(run, index):
    result = run("logs", "ship", str(PAYMENTS), "--es", "http://127.0.0.1:9", "--index", index)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"devkit: error: --index {index!r}: ") and "connect" not in result.stderr


@pytest.mark.parametrize("index", ["logs/../_cluster", "logs-*?x", "-x", "a\tb"])
def test_trace_refuses_a_bad_index_pattern_and_sends_no_request_with_it(hostile_es, run, index):
    result = run("logs", "trace", "abc", "--es", hostile_es["url"], "--index", index)
    assert result.exit_code == 2 and result.stderr.startswith(f"devkit: error: --index {index!r}: ")
    assert hostile_es["paths"] == ["/"]  # only the server detection; nothing with the index in it


def test_good_patterns_still_work(es_url, run):
    for index in ("logs-*,logstash-*", "logs-*,-logs-old", "*", f"devkit-none-{uuid.uuid4().hex[:6]}*"):
        result = run("logs", "trace", "abc", "--es", es_url, "--index", index)
        assert result.exit_code in (1, 2), result.stderr
        assert f"--index {index!r}" not in result.stderr
