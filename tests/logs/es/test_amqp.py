"""``devkit logs ship --from-amqp``: a queue of JSON log records, stitched, indexed, acked after."""

from __future__ import annotations

import json
import time

import pytest

from devkit.logs.es import connect, es_trace
from devkit.logs.es.amqp import ship_amqp
from devkit.logs.timestamps import Zone
from devkit.logs.trace import merge, trace

from .conftest import AMQP, EXAMPLES
from .test_trace_es import DOCKER_LOG, _logspout_docs

pytestmark = pytest.mark.service
UTC = Zone.parse("UTC")


def _records() -> list[bytes]:
    """docker.log as a logspout-to-AMQP bridge would publish it: one JSON record per line."""
    return [json.dumps(doc).encode() for doc in _logspout_docs(DOCKER_LOG)]


def test_queue_records_are_stitched_like_the_file_and_all_acked(es_url, index_name, amqp_queue, expected):
    name, publish, depth = amqp_queue
    publish(_records())
    with connect(es_url) as conn:
        stats = ship_amqp(AMQP, name, conn, index_name, batch=50, flush_interval=0.2, idle_exit=1.0, zone=UTC)
    file_events = list(merge([str(DOCKER_LOG)], zone=UTC).events)
    assert (stats.read, stats.indexed, stats.failed) == (len(file_events), len(file_events), 0)
    assert depth() == 0  # every message acked (unacked ones would be back after the consumer left)
    for case in expected["ids"]:
        files = trace(case["id"], [str(DOCKER_LOG)], zone=UTC).events
        if not files:
            continue
        got = es_trace(case["id"], es_url, index=index_name, zone=UTC).events
        assert [(e.ts, e.lines, e.service, e.level, e.message, e.traceback) for e in got] == \
               [(e.ts, e.lines, e.service, e.level, e.message, e.traceback) for e in files], case["name"]


def test_a_quiet_queue_still_flushes_by_time(es_url, index_name, amqp_queue):
    name, publish, depth = amqp_queue
    payments = (EXAMPLES / "payments" / "payments.log").read_bytes().splitlines()[:5]
    publish(payments)
    flushed_by_time = []
    deadline = time.monotonic() + 20
    seen = {}

    def progress(stats) -> None:
        seen["stats"] = stats

    def should_stop() -> bool:
        stats = seen.get("stats")
        if stats is not None and stats.indexed == len(payments):
            flushed_by_time.append(True)
            return True
        return time.monotonic() > deadline

    with connect(es_url) as conn:
        stats = ship_amqp(AMQP, name, conn, index_name, batch=10000, flush_interval=0.3, zone=UTC,
                          progress=progress, should_stop=should_stop)
    assert flushed_by_time == [True]  # the batch of 5 (far below --batch) went out while the queue was quiet
    assert (stats.read, stats.indexed, stats.batches) == (5, 5, 1)
    assert depth() == 0


def test_refused_documents_are_dead_lettered_then_acked(es_url, index_name, amqp_queue, tmp_path):
    """corrId mapped as a number: the notifier's records (hex corrId) are refused, none is lost."""
    name, publish, depth = amqp_queue
    with connect(es_url) as conn:
        conn.request("PUT", f"/{index_name}", {"mappings": {"properties": {"corrId": {"type": "long"}}}})
    publish(_records())
    dead = tmp_path / "dead.ndjson"
    with connect(es_url) as conn:
        stats = ship_amqp(AMQP, name, conn, index_name, batch=40, flush_interval=0.2, idle_exit=1.0,
                          dead_letter=str(dead), zone=UTC)
    lines = dead.read_text().splitlines()
    assert stats.failed == len(lines) > 0
    assert stats.indexed + stats.failed == stats.read == len(list(merge([str(DOCKER_LOG)], zone=UTC).events))
    assert depth() == 0


def test_cli_consumes_until_idle_and_prints_the_summary(es_url, index_name, amqp_queue, run_json, run):
    name, publish, depth = amqp_queue
    publish((EXAMPLES / "payments" / "payments.log").read_bytes().splitlines())
    result, (summary,) = run_json("logs", "ship", "--from-amqp", AMQP,
                                  "--queue", name, "--es", es_url, "--index", index_name, "--idle-exit", "1",
                                  "--flush-interval", "0.2")
    assert result.exit_code == 0, result.output
    n = len((EXAMPLES / "payments" / "payments.log").read_bytes().splitlines())
    assert summary["read"] == summary["indexed"] == n and depth() == 0
    missing = run("logs", "ship", "--from-amqp", AMQP, "--queue", name + "-nope", "--es", es_url)
    assert missing.exit_code == 2 and "does not exist" in missing.stderr
    no_queue = run("logs", "ship", "--from-amqp", AMQP, "--es", es_url)
    assert no_queue.exit_code == 2 and "--queue" in no_queue.stderr


def test_a_redelivered_record_overwrites_its_document(es_url, index_name, amqp_queue):
    """Same record twice (a redelivery): one document; the publisher's message_id wins over content."""
    name, publish, depth = amqp_queue
    lines = (EXAMPLES / "payments" / "payments.log").read_bytes().splitlines()[:10]
    publish(lines + lines)
    publish(lines[:3], message_ids=["m-1", "m-2", "m-3"])
    with connect(es_url) as conn:
        stats = ship_amqp(AMQP, name, conn, index_name, batch=7, flush_interval=0.2, idle_exit=1.0, zone=UTC)
        conn.request("POST", f"/{index_name}/_refresh")
        stored = conn.request("GET", f"/{index_name}/_count")["count"]
    assert (stats.read, stats.indexed, stats.failed) == (23, 23, 0)
    assert stored == 13 and depth() == 0
