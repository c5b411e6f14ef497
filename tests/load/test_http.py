"""``devkit load http`` against a small real HTTP server on 127.0.0.1."""

from __future__ import annotations

import re

from click.testing import CliRunner
from load_support import run_json

from devkit.cli import cli
from devkit.load import HttpLoadConfig, run_http_load


def invoke(*args: str):
    return CliRunner().invoke(cli, ["load", "http", *args])


def test_every_request_gets_a_fresh_id_that_comes_back(http_server):
    base, recorder = http_server
    result = invoke(f"{base}/echo", "-n", "200", "--concurrency", "4", "--json")
    assert result.exit_code == 0, result.output + result.stderr
    doc = run_json(result)
    assert (doc["sent"], doc["completed"], doc["id_matched"], doc["id_mismatched"], doc["id_missing"]) == (200, 200, 200, 0, 0)
    assert doc["status"] == {"200": 200}
    assert set(doc["latency_ms"]) == {"p50", "p95", "p99", "max"}
    ids = [r["cid"] for r in recorder.requests]
    assert len(ids) == 200 and len(set(ids)) == 200
    assert len({r["client"] for r in recorder.requests}) <= 4  # keep-alive: one connection per session
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)


def test_missing_ids_are_counted_and_exit_1(http_server):
    base, _recorder = http_server
    result = invoke(f"{base}/drop", "-n", "40", "--json")
    assert result.exit_code == 1, result.output
    doc = run_json(result)
    assert doc["id_missing"] == 10 and doc["id_matched"] == 30 and doc["id_mismatched"] == 0
    assert all(ex["received"] is None for ex in doc["mismatch_examples"])
    assert "10 without the ID header" in result.stderr


def test_other_ids_are_mismatches_with_examples(http_server):
    base, _ = http_server
    result = invoke(f"{base}/wrong", "-n", "25", "-c", "2")
    assert result.exit_code == 1, result.output
    assert re.search(r"id mismatched\s+5\b", result.stdout)
    examples = [line for line in result.stdout.splitlines() if line.startswith("example: status 200, sent ")]
    assert examples and all(re.fullmatch(r"example: status 200, sent (\w+), got not-\1", line) for line in examples)
    assert "5 with another ID" in result.stderr


def test_error_statuses_are_reported(http_server):
    base, _ = http_server
    result = invoke(f"{base}/error", "-n", "12", "--json")
    assert result.exit_code == 1
    doc = run_json(result)
    assert doc["status"] == {"500": 12} and doc["id_matched"] == 12
    assert "12 with status >= 400" in result.stderr


def test_given_id_method_headers_and_body_are_sent(http_server, tmp_path):
    base, recorder = http_server
    payload = tmp_path / "order.json"
    payload.write_text('{"order": 7}')
    result = invoke(f"{base}/orders", "-n", "6", "-X", "post", "--data-file", str(payload),
                    "-H", "Content-Type: application/json", "-H", "Correlation-Id: order-7-check", "--json")
    assert result.exit_code == 0, result.output + result.stderr
    assert {(r["method"], r["cid"], r["body"], r["content_type"]) for r in recorder.requests} == {
        ("POST", "order-7-check", b'{"order": 7}', "application/json")}
    assert len(recorder.requests) == 6


def test_custom_header_name(http_server):
    base, recorder = http_server
    # The server only echoes Correlation-Id, so a run using X-Request-Id finds every ID missing.
    result = invoke(f"{base}/echo", "-n", "3", "--header", "X-Request-Id", "--json")
    assert result.exit_code == 1
    assert run_json(result)["id_missing"] == 3
    assert [r["cid"] for r in recorder.requests] == [None, None, None]


def test_rate_is_paced(http_server):
    base, _ = http_server
    calls = []
    result = run_http_load(HttpLoadConfig(url=f"{base}/echo", count=60, rate=30.0, concurrency=2), calls.append)
    assert result.ok and result.completed == 60
    assert 30 * 0.9 <= result.rate <= 30 * 1.05, result.rate
    assert calls


def test_nothing_listening_exits_2_masked():
    result = invoke("http://user:pa55word@127.0.0.1:1/", "-n", "3")
    assert result.exit_code == 2
    assert "pa55word" not in result.output + result.stderr
    assert "nothing answered at http://user:***@127.0.0.1:1/" in result.stderr


def test_usage_errors():
    assert invoke("ftp://127.0.0.1/", "-n", "1").exit_code == 2
    assert invoke("http://127.0.0.1:1/", "-n", "0").exit_code == 2
    assert invoke("http://127.0.0.1:1/", "-H", "no-colon").exit_code == 2
    assert invoke("http://127.0.0.1:1/", "-n", "1", "--duration", "1s").exit_code == 2
