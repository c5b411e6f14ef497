"""``devkit logs ship``: idempotent, retried, dead-lettered, exact counts when the server dies."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from devkit.errors import InputError
from devkit.logs.es import connect, ship_files
from devkit.logs.es.bulk import Aggregator, Item
from devkit.logs.es.docs import doc_id
from devkit.logs.es.ship import file_events
from devkit.logs.timestamps import Zone

from .conftest import EXAMPLES

pytestmark = pytest.mark.service
UTC = Zone.parse("UTC")


def count(url: str, index: str) -> int:
    with connect(url) as conn:
        conn.request("POST", f"/{index}/_refresh")
        return conn.request("GET", f"/{index}/_count")["count"]


def all_ids(url: str, index: str) -> set[str]:
    with connect(url) as conn:
        conn.request("POST", f"/{index}/_refresh")
        res = conn.request("POST", f"/{index}/_search", {"size": 10000, "_source": False,
                                                          "query": {"match_all": {}}})
    return {h["_id"] for h in res["hits"]["hits"]}


def expected_ids(paths: list[str]) -> list[str]:
    return [doc_id(ev.source, ev.line) for ev in file_events(paths, UTC, [])]


def test_shipping_twice_does_not_duplicate(es_url, index_name, run_json):
    path = str(EXAMPLES / "orders" / "orders.log")
    want = expected_ids([path])
    for _ in range(2):
        result, (summary,) = run_json("logs", "ship", path, "--es", es_url, "--index", index_name, "--tz", "UTC")
        assert result.exit_code == 0, result.output
        assert summary["read"] == summary["indexed"] == len(want) and summary["failed"] == 0
    assert count(es_url, index_name) == len(want)
    assert all_ids(es_url, index_name) == set(want)


def test_plain_summary_names_the_counts(es_url, index_name, run):
    path = str(EXAMPLES / "payments" / "payments.log")
    n = len(expected_ids([path]))
    result = run("logs", "ship", path, "--es", es_url, "--index", index_name, "--batch", "7")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{n} events read, {n} indexed, 0 failed into {index_name} (OpenSearch ")
    assert "docs/s" in result.stdout


def test_rejected_documents_go_to_the_dead_letter_file_and_exit_1(es_url, index_name, tmp_path, run_json):
    """The index maps corrId as a number: every event with a hex corrId is refused (400)."""
    with connect(es_url) as conn:
        conn.request("PUT", f"/{index_name}", {"mappings": {"properties": {"corrId": {"type": "long"}}}})
    paths = [str(EXAMPLES / "inventory" / "inventory.log"), str(EXAMPLES / "payments" / "payments.log")]
    events = list(file_events(paths, UTC, []))
    refused = [doc_id(e.source, e.line) for e in events if any(k.rsplit(".", 1)[-1] == "corrId" for k in e.fields)]
    assert 0 < len(refused) < len(events)
    dead = tmp_path / "dead.ndjson"
    result, (summary,) = run_json("logs", "ship", *paths, "--es", es_url, "--index", index_name,
                                  "--dead-letter", str(dead), "--batch", "50")
    assert result.exit_code == 1, result.output
    assert summary["failed"] == len(refused) and summary["indexed"] == len(events) - len(refused)
    lines = [json.loads(line) for line in dead.read_text().splitlines()]
    assert sorted(d["_id"] for d in lines) == sorted(refused)
    assert {d["status"] for d in lines} == {400} and "corrId" in lines[0]["error"]
    assert lines[0]["document"]["devkit"]["source"] == paths[0]
    assert summary["dead_letter"] == str(dead)


def test_server_dying_mid_ship_loses_nothing(own_server, tmp_path):
    """Kill the server after the first batch: the rest is dead-lettered, every count is exact."""
    paths = [str(EXAMPLES)]
    want = expected_ids(paths)
    seen_before_kill: set[str] = set()

    def progress(stats) -> None:
        if own_server.proc.poll() is None and stats.indexed >= 100:
            seen_before_kill.update(all_ids(own_server.url, "logs-dying"))
            own_server.kill()

    dead = tmp_path / "dead.ndjson"
    stats = ship_files(paths, own_server.url, "logs-dying", zone=UTC, batch=100, workers=0, dead_letter=str(dead),
                       max_retries=2, backoff=0.01, progress=progress)
    assert own_server.proc.poll() is not None
    lines = [json.loads(line) for line in dead.read_text().splitlines()]
    dead_ids = [d["_id"] for d in lines]
    assert stats.read == len(want)
    assert stats.indexed == len(seen_before_kill) == 100
    assert stats.failed == len(lines) == len(want) - 100
    assert len(set(dead_ids)) == len(dead_ids) and not set(dead_ids) & seen_before_kill
    assert set(dead_ids) | seen_before_kill == set(want)
    assert "cannot connect" in lines[0]["error"]


class _FlakyProxy(BaseHTTPRequestHandler):
    """A real HTTP hop in front of osmem that answers the first bulk requests 429, then 503."""

    protocol_version = "HTTP/1.1"
    upstream = ""
    faults: ClassVar[list] = []  # statuses (or "item429") for the next matching requests
    fault_paths: ClassVar[tuple[str, ...]] = ("/_bulk",)
    seen: ClassVar[list[dict]] = []  # request headers, for tests that check what the client sent
    lock = threading.Lock()

    def _handle(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.lock:
            self.seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
            fault = self.faults.pop(0) if self.path.startswith(self.fault_paths) and self.faults else None
        if fault == "item429":  # the server indexed the batch but says its first document was throttled
            self._forward(body, first_item_429=True)
            return
        if fault:
            self._send(fault, b'{"error":{"type":"es_rejected_execution_exception","reason":"queue full"},"status":%d}'
                       % fault, {"Content-Type": "application/json", "X-Elastic-Product": "Elasticsearch"})
            return
        self._forward(body)

    def _forward(self, body: bytes, first_item_429: bool = False) -> None:
        req = urllib.request.Request(self.upstream + self.path, data=body or None, method=self.command,
                                     headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                data = resp.read()
                if first_item_429:
                    answer = json.loads(data)
                    answer["errors"] = True
                    answer["items"][0]["index"].update(status=429, error={"type": "es_rejected_execution_exception",
                                                                          "reason": "rejected"})
                    data = json.dumps(answer).encode()
                self._send(resp.status, data, dict(resp.headers))
        except urllib.error.HTTPError as exc:
            self._send(exc.code, exc.read(), dict(exc.headers))

    def _send(self, status: int, data: bytes, headers: dict) -> None:
        self.send_response(status)
        for k, v in headers.items():
            if k.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

    def log_message(self, *args) -> None:
        pass


def start_proxy(upstream: str, faults: list, paths: tuple[str, ...] = ("/_bulk",)):
    handler = type("Flaky", (_FlakyProxy,), {"upstream": upstream, "faults": list(faults), "seen": [],
                                             "fault_paths": paths})
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    return proxy, handler


def test_429_and_503_are_retried_with_backoff(es_url, index_name):
    proxy, _ = start_proxy(es_url, [429, 429, 503])
    try:
        path = str(EXAMPLES / "search" / "search.log")
        stats = ship_files([path], f"http://127.0.0.1:{proxy.server_port}", index_name, zone=UTC, batch=10,
                           workers=0, backoff=0.01)
    finally:
        proxy.shutdown()
    n = len(expected_ids([path]))
    assert (stats.read, stats.indexed, stats.failed, stats.retries) == (n, n, 0, 3)
    assert count(es_url, index_name) == n


def test_a_batch_flushes_by_size_or_by_age():
    now = [0.0]
    sent: list[list[str]] = []
    agg = Aggregator(lambda items: sent.append([i.id for i in items]), batch=3, interval=2.0, clock=lambda: now[0])
    for n in range(4):
        agg.add(Item(str(n), b""))
    assert sent == [["0", "1", "2"]]
    now[0] = 1.9
    agg.tick()
    assert sent == [["0", "1", "2"]] and agg.due_in() == pytest.approx(0.1)
    now[0] = 2.0
    agg.tick()
    assert sent == [["0", "1", "2"], ["3"]] and agg.due_in() is None
    agg.flush()
    assert len(sent) == 2


def test_errors_are_one_line_and_say_what_to_do(es_url, run, tmp_path):
    down = run("logs", "ship", str(EXAMPLES), "--es", "http://elastic:s3cret@127.0.0.1:9", "--index", "x")
    assert down.exit_code == 2
    assert down.stderr.count("\n") == 1 and "cannot connect" in down.stderr and "s3cret" not in down.stderr
    assert "elastic:***@127.0.0.1:9" in down.stderr
    trace_down = run("logs", "trace", "abc", "--es", "https://u:pw@127.0.0.1:9")
    assert trace_down.exit_code == 2 and "u:***@" in trace_down.stderr and ":pw@" not in trace_down.stderr
    missing = run("logs", "trace", "abc", "--es", es_url, "--index", "no-such-index")
    assert missing.exit_code == 2 and "no index matches 'no-such-index'" in missing.stderr
    both = run("logs", "trace", "abc", str(EXAMPLES), "--es", es_url)
    assert both.exit_code == 2 and "not both" in both.stderr
    pattern = run("logs", "ship", str(EXAMPLES), "--es", es_url, "--index", "logs-*")
    assert pattern.exit_code == 2 and "plain name" in pattern.stderr
    with connect(es_url) as conn:
        conn.request("PUT", "/devkit-textstamp", {"mappings": {"properties": {"@timestamp": {"type": "text"}}}})
        conn.request("POST", "/devkit-textstamp/_doc", {"@timestamp": "2026-11-20T09:00:00Z", "message": "abc"},
                     params={"refresh": "true"})
    text = run("logs", "trace", "abc", "--es", es_url, "--index", "devkit-textstamp")
    assert text.exit_code == 2 and "mapped as text" in text.stderr and "date" in text.stderr


def test_a_text_mapped_field_still_gives_exact_hits_with_a_hint(es_url, index_name, run_json):
    with connect(es_url) as conn:
        conn.request("PUT", f"/{index_name}", {"mappings": {"properties": {"rid": {"type": "text"}}}})
        body = "".join(json.dumps({"index": {"_index": index_name}}) + "\n" + json.dumps(d) + "\n" for d in [
            {"@timestamp": "2026-11-20T09:00:00Z", "rid": "abc-1", "message": "first"},
            {"@timestamp": "2026-11-20T09:00:01Z", "rid": "abc", "message": "second"}])
        conn.request("POST", "/_bulk", body.encode(), ndjson=True, params={"refresh": "true"})
    result, events = run_json("logs", "trace", "abc", "--es", es_url, "--index", index_name, "--field", "rid")
    assert result.exit_code == 0
    assert [e["message"] for e in events] == ["second"]
    assert "mapped as text" in result.stderr and "keyword" in result.stderr


def test_ship_refuses_a_pattern_index_in_the_library_too(es_url):
    with pytest.raises(InputError):
        ship_files([str(EXAMPLES)], es_url, "logs-*")


def test_a_document_refused_with_429_inside_a_good_batch_is_retried_alone(es_url, index_name):
    proxy, handler = start_proxy(es_url, ["item429", "item429"])
    try:
        path = str(EXAMPLES / "payments" / "payments.log")
        stats = ship_files([path], f"http://127.0.0.1:{proxy.server_port}", index_name, zone=UTC, batch=20,
                           workers=0, backoff=0.01)
    finally:
        proxy.shutdown()
    n = len(expected_ids([path]))
    assert (stats.read, stats.indexed, stats.failed, stats.retries) == (n, n, 0, 2)
    bulk_sizes = [h["content-length"] for h in handler.seen if h["path"].startswith("/_bulk")]
    assert len(bulk_sizes) == -(-n // 20) + 2  # every batch once, plus two one-document retries
    assert count(es_url, index_name) == n


def test_wrong_credentials_say_so(es_url, run):
    proxy, _ = start_proxy(es_url, [401, 401], paths=("/",))
    try:
        result = run("logs", "trace", "abc", "--es", f"http://elastic:wrong@127.0.0.1:{proxy.server_port}")
    finally:
        proxy.shutdown()
    assert result.exit_code == 2
    assert "authentication failed (401)" in result.stderr and "wrong" not in result.stderr
