"""``devkit logs trace ID --es``: the same events as a file trace, from a real search server."""

from __future__ import annotations

import json
import re

import pytest

from devkit.logs.es import connect, es_trace
from devkit.logs.es.query import id_query, search_hits
from devkit.logs.formats import parse_line
from devkit.logs.timestamps import Zone, format_utc
from devkit.logs.trace import trace

from .conftest import EXAMPLES, SHIPPED_INDEX

pytestmark = pytest.mark.service
UTC = Zone.parse("UTC")
DOCKER_LOG = EXAMPLES / "syslog" / "docker.log"
_STAMP = re.compile(r"<\d+>1 (\S+) ")


def same_event(e: dict) -> tuple:
    """What must not change between a file and the search server (source names do)."""
    return (e["timestamp"], e["line"], e["lines"], e["service"], e["level"], e["format"], e["message"],
            e["traceback"], json.dumps(e["fields"], sort_keys=True))


def test_shipped_examples_trace_like_the_files(shipped, es_url, expected, run_json):
    assert shipped["read"] == shipped["indexed"] > 1000 and shipped["failed"] == 0
    for case in expected["ids"]:
        files, want = run_json("logs", "trace", case["id"], str(EXAMPLES), "--tz", "UTC")
        es, got = run_json("logs", "trace", case["id"], "--es", es_url, "--tz", "UTC")
        assert files.exit_code == es.exit_code == 0, (case["name"], es.output)
        assert [same_event(e) for e in got] == [same_event(e) for e in want], case["name"]
        assert len(got) == len(case["events"]), case["name"]
        assert all(re.fullmatch(rf"{SHIPPED_INDEX}/[0-9a-f]{{40}}", e["source"]) for e in got)


def test_demo_request_through_the_library_has_the_rejoined_traceback(shipped, es_url, expected):
    demo = expected["ids"][0]
    result = es_trace(demo["id"], es_url, index=SHIPPED_INDEX, zone=UTC)
    syslog = [e for e in result.events if (e.wrapper or "").startswith("syslog") and e.traceback]
    assert [e.lines for e in syslog] == [e["lines"] for e in demo["events"] if e["source"] == "syslog/docker.log"
                                         and e["traceback"]]
    assert syslog[0].traceback.startswith("Traceback (most recent call last):")
    assert syslog[0].traceback.rstrip().endswith("TimeoutError: timed out")
    assert result.summary()["events"] == len(demo["events"])


def test_unknown_id_exits_1_and_plain_output_has_the_path_summary(shipped, es_url, expected, run):
    missing = run("logs", "trace", "0" * 32, "--es", es_url, "--index", SHIPPED_INDEX)
    assert missing.exit_code == 1, missing.output
    assert missing.stdout == ""
    demo = run("logs", "trace", expected["ids"][0]["id"], "--es", es_url, "--index", SHIPPED_INDEX, "--tz", "UTC")
    assert demo.exit_code == 0
    assert "+0.000s" in demo.stdout and "\n# " in demo.stdout


def _logspout_docs(path) -> list[dict]:
    """docker.log as Logstash stores it: one document per syslog record, offsets as Filebeat gives."""
    docs, offset = [], 0
    for raw in path.read_bytes().splitlines(keepends=True):
        line = raw.decode().rstrip("\n")
        rec = parse_line(line, UTC)
        assert rec is not None and rec.stream is not None, line
        m = _STAMP.match(line)
        stamp = m.group(1) if m else format_utc(rec.ts)
        docs.append({"@timestamp": stamp, "host": rec.fields["syslog.host"], "program": "/" + rec.fields["syslog.app"],
                     "pid": rec.fields["syslog.procid"], "syslog_pri": rec.fields.get("syslog.pri"),
                     "message": rec.stream_msg, "log": {"offset": offset}})
        offset += len(raw)
    return docs


def _bulk(es_url: str, index: str, docs: list[dict]) -> None:
    body = "".join(json.dumps({"index": {"_index": index, "_id": f"d{n}"}}) + "\n" + json.dumps(d) + "\n"
                   for n, d in docs)
    with connect(es_url) as conn:
        res = conn.request("POST", "/_bulk", body.encode(), ndjson=True, params={"refresh": "true"})
    assert res["errors"] is False


def test_split_records_stored_newest_first_come_out_as_one_event_in_time_order(es_url, index_name, expected):
    """A traceback that logspout split into one record per line, bulk-indexed newest first."""
    docs = list(enumerate(_logspout_docs(DOCKER_LOG)))
    _bulk(es_url, index_name, list(reversed(docs)))
    for case in expected["ids"]:
        want = [e for e in case["events"] if e["source"] == "syslog/docker.log"]
        if not want:
            continue
        files = trace(case["id"], [str(DOCKER_LOG)], zone=UTC).events
        got = es_trace(case["id"], es_url, index=index_name, zone=UTC).events
        assert [(e.ts, e.lines, e.service, e.level, e.message, e.traceback) for e in got] == \
               [(e.ts, e.lines, e.service, e.level, e.message, e.traceback) for e in files], case["name"]
        assert [e.lines for e in got] == [e["lines"] for e in want], case["name"]
        assert all(e.source.startswith(index_name + "/d") for e in got)


def test_equal_timestamps_across_page_boundaries_are_neither_dropped_nor_repeated(es_url, index_name):
    ident = "7f1c0de5a11e4c52b0c0ffee00000042"
    docs = [(n, {"@timestamp": "2026-11-20T09:16:33.413Z", "service.name": "orders", "log.level": "info",
                 "message": f"step {n:02d}", "corrId": ident}) for n in range(23)]
    docs += [(100 + n, {"@timestamp": "2026-11-20T09:16:33.413Z", "message": f"noise {n}", "corrId": "other"})
             for n in range(9)]
    _bulk(es_url, index_name, docs)
    with connect(es_url) as conn:
        hits = list(search_hits(conn, index_name, id_query(ident, ("corrId",)), page_size=4))
    assert sorted(h["_id"] for h in hits) == sorted(f"d{n}" for n in range(23))
    result = es_trace(ident, es_url, index=index_name, zone=UTC, page_size=5)
    assert sorted(e.message for e in result.events) == [f"step {n:02d}" for n in range(23)]
    assert {e.service for e in result.events} == {"orders"}


def test_id_is_a_whole_token_even_when_the_server_matches_a_phrase(es_url, index_name, run_json):
    docs = [(1, {"@timestamp": "2026-11-20T09:00:00Z", "message": "request 123 started"}),
            (2, {"@timestamp": "2026-11-20T09:00:01Z", "message": "request 1234 started"}),
            (3, {"@timestamp": "2026-11-20T09:00:02Z", "message": "request 123-4 started"}),
            (4, {"@timestamp": "2026-11-20T09:00:03Z", "message": "id=123, done"})]
    _bulk(es_url, index_name, docs)
    result, events = run_json("logs", "trace", "123", "--es", es_url, "--index", index_name)
    assert result.exit_code == 0
    assert [e["message"] for e in events] == ["request 123 started", "id=123, done"]
    assert [e["source"] for e in events] == [f"{index_name}/d1", f"{index_name}/d4"]


@pytest.mark.parametrize("field", ["corrId", "request_id", "trace.id", "corr"])
def test_field_restricts_the_match_as_for_files(shipped, es_url, expected, run_json, field):
    hits = 0
    for case in expected["ids"]:
        _, want = run_json("logs", "trace", case["id"], str(EXAMPLES), "--tz", "UTC", "--field", field)
        _, got = run_json("logs", "trace", case["id"], "--es", es_url, "--tz", "UTC", "--field", field)
        assert [same_event(e) for e in got] == [same_event(e) for e in want], (case["name"], field)
        hits += len(got)
    assert hits > 0
