"""``devkit logs trace``: the request's events from every service, checked against the examples'
ground truth (written by examples/make_examples.py from its own bookkeeping, not by devkit)."""

import gzip
import json
import subprocess
import sys

import pytest

from logs_support import EXAMPLES, write
from devkit.logs.match import IdMatcher
from devkit.logs.merge import merge_events
from devkit.logs.trace import merge, trace
from devkit.logs.timestamps import Zone

UTC = Zone.parse("UTC")


def shape(events):
    return sorted((e["source"], e["line"], e["lines"], e["service"], bool(e["traceback"])) for e in events)


def test_every_example_request_matches_the_ground_truth(run_json, expected):
    for case in expected["ids"]:
        result, events = run_json("logs", "trace", case["id"], str(EXAMPLES), "--tz", "UTC")
        assert result.exit_code == 0, (case["name"], result.output)
        got = [dict(e, source=e["source"].replace(str(EXAMPLES) + "/", "")) for e in events]
        want = [{"source": e["source"], "line": e["line"], "lines": e["lines"], "service": e["service"],
                 "traceback": e["traceback"]} for e in case["events"]]
        assert shape(got) == shape(want), case["name"]
        stamps = [e["timestamp"] for e in events]
        assert stamps == sorted(stamps), case["name"]


def test_trace_equals_the_filtered_full_merge(expected):
    """The fast path (raw search + windows) finds exactly the events a full read does."""
    files = sorted(str(p) for p in EXAMPLES.rglob("*") if p.is_file())
    per_source = [list(merge([f], zone=UTC).events) for f in files]
    for case in expected["ids"]:
        fast = trace(case["id"], files, zone=UTC).events
        matcher = IdMatcher(case["id"])
        slow = list(merge_events([e for e in events if matcher.matches(e)] for events in per_source))
        assert [(e.source, e.line_numbers, e.text) for e in fast] == \
               [(e.source, e.line_numbers, e.text) for e in slow], case["name"]


def test_demo_request_has_a_rejoined_syslog_traceback_and_a_summary(expected, run):
    demo = expected["ids"][0]
    result = trace(demo["id"], [str(EXAMPLES)], zone=UTC)
    services = [s.service for s in result.path]
    assert len(services) >= 5 and services[0] in {"nginx", "gateway"}
    syslog = [e for e in result.events if e.wrapper == "syslog-rfc5424" and e.traceback]
    assert syslog and syslog[0].lines > 3
    assert result.errors >= 3
    assert result.duration and result.duration > 0
    plain = run("logs", "trace", demo["id"], str(EXAMPLES), "--tz", "UTC")
    assert "+0.000s" in plain.stdout and "# " in plain.stdout  # timeline, then the path summary


def test_id_matches_only_as_a_whole_token(tmp_path, run_json):
    log = write(tmp_path / "svc.log",
                "2026-11-20 09:00:00,000 INFO request 123 started\n"
                "2026-11-20 09:00:01,000 INFO request 1234 started\n"
                "2026-11-20 09:00:02,000 INFO request x123 started\n"
                "2026-11-20 09:00:03,000 INFO request 123-4 started\n"
                "2026-11-20 09:00:04,000 INFO id=123, done\n")
    result, events = run_json("logs", "trace", "123", str(log))
    assert [e["line"] for e in events] == [1, 5]


def test_field_restricts_the_match(tmp_path, run_json):
    log = write(tmp_path / "svc.log",
                json.dumps({"message": "about abc", "timestamp": "2026-11-20T09:00:00Z", "request_id": "zzz"}) + "\n"
                + json.dumps({"message": "x", "timestamp": "2026-11-20T09:00:01Z", "request_id": "abc"}) + "\n")
    _, events = run_json("logs", "trace", "abc", str(log))
    assert [e["line"] for e in events] == [1, 2]
    _, events = run_json("logs", "trace", "abc", str(log), "--field", "request_id")
    assert [e["line"] for e in events] == [2]


def test_merge_order_ties_and_within_source_order(tmp_path, run_json):
    a = write(tmp_path / "a.log", "2026-11-20 09:00:01,000 INFO a1 ID\n2026-11-20 09:00:00,500 INFO a2 ID\n")
    b = write(tmp_path / "b.log", "2026-11-20 09:00:01,000 INFO b1 ID\n2026-11-20 09:00:00,000 INFO b0 ID\n")
    _, events = run_json("logs", "trace", "ID", str(a), str(b), "--tz", "UTC")
    # never reordered within a source; equal timestamps keep the order of the sources given
    assert [e["message"].split()[0] for e in events] == ["a1", "a2", "b1", "b0"]


def test_stdin_and_compressed_sources(tmp_path, run_json):
    text = "abc - 2026-11-20 09:00:00,000 - a.py - f - hello\nTraceback (most recent call last):\nValueError: abc\n"
    import bz2
    import lzma

    write(tmp_path / "one.log.gz", gzip.compress(text.encode()))
    write(tmp_path / "two.log.bz2", bz2.compress(text.encode()))
    write(tmp_path / "three.log.xz", lzma.compress(text.encode()))
    result, events = run_json("logs", "trace", "abc", str(tmp_path))
    assert result.exit_code == 0
    assert sorted((e["source"].rsplit("/", 1)[1], e["lines"]) for e in events) == [
        ("one.log.gz", 3), ("three.log.xz", 3), ("two.log.bz2", 3)]
    result, events = run_json("logs", "trace", "abc", "-", input=text)
    assert [(e["source"], e["line"], e["lines"]) for e in events] == [("-", 1, 3)]


def test_globs_and_exit_codes(tmp_path, run):
    write(tmp_path / "x" / "a.log", "2026-11-20 09:00:00,000 INFO hit abc\n")
    assert run("logs", "trace", "abc", str(tmp_path / "x" / "*.log")).exit_code == 0
    assert run("logs", "trace", "nothere", str(tmp_path)).exit_code == 1
    result = run("logs", "trace", "abc", str(tmp_path / "missing.log"), str(tmp_path / "x"))
    assert result.exit_code == 2
    assert "missing.log: no such file or directory" in result.stderr
    assert "hit abc" in result.stdout  # the other file was still read
    assert "Traceback" not in result.stderr


def test_json_event_shape(run_json, expected):
    _, events = run_json("logs", "trace", expected["ids"][0]["id"], str(EXAMPLES), "--tz", "UTC")
    for e in events:
        assert {"timestamp", "source", "line", "lines", "service", "level", "format", "message", "fields",
                "traceback"} <= set(e)
        assert e["timestamp"].endswith("+00:00")


def test_raw_prints_original_lines(tmp_path, run):
    text = "abc - 2026-11-20 09:00:00,000 - a.py - f - hello\r\nTraceback (most recent call last):\r\nValueError: x\r\n"
    log = write(tmp_path / "crlf.log", text.encode())
    result = run("logs", "trace", "abc", str(log), "--raw")
    assert result.stdout_bytes == text.replace("\r\n", "\n").encode()


def test_grep_finds_a_traceback_line_and_returns_the_whole_event(run_json, run):
    result, events = run_json("logs", "grep", r"PaymentDeclined: payment declined", str(EXAMPLES), "--tz", "UTC")
    assert result.exit_code == 0 and events
    assert all("Traceback" in e["message"] for e in events)
    result, fixed = run_json("logs", "grep", "-F", "smtplib.SMTP(", str(EXAMPLES))
    assert fixed and all(e["wrapper"] == "syslog-rfc5424" and e["lines"] > 3 for e in fixed)
    assert run("logs", "grep", "-i", "-F", "TRACEBACK (MOST", str(EXAMPLES)).exit_code == 0
    assert run("logs", "grep", "-F", "TRACEBACK (MOST", str(EXAMPLES)).exit_code == 1
    bad = run("logs", "grep", "(unclosed", str(EXAMPLES))
    assert bad.exit_code == 2 and "invalid pattern" in bad.stderr


def test_merge_lines_add_up_to_each_files_line_count(run_json, expected):
    result, events = run_json("logs", "merge", str(EXAMPLES), "--tz", "UTC")
    assert result.exit_code == 0
    per_source: dict[str, int] = {}
    for e in events:
        per_source[e["source"]] = per_source.get(e["source"], 0) + e["lines"]
    for name, info in expected["files"].items():
        assert per_source[str(EXAMPLES / name)] == info["lines"], name


def test_merge_into_a_closed_pipe_exits_quietly():
    proc = subprocess.run(
        f"{sys.executable} -m devkit logs merge {EXAMPLES} | head -n 2",
        shell=True, capture_output=True, text=True, timeout=60,
    )
    assert len(proc.stdout.splitlines()) == 2
    assert proc.stderr == ""


def test_terminal_output_has_header_waterfall_and_colours(run, expected):
    demo = expected["ids"][0]["id"]
    result = run("--color", "logs", "trace", demo, str(EXAMPLES), "--tz", "UTC")
    assert "Request path" in result.stdout and "\x1b[" in result.stdout
    assert "errors" in result.stdout
    plain = run("--no-color", "logs", "trace", demo, str(EXAMPLES), "--tz", "UTC")
    assert "\x1b[" not in plain.stdout


@pytest.mark.parametrize("command", [["trace", "x"], ["grep", "x"], ["merge"]])
def test_help_has_an_example(run, command):
    result = run("logs", *command[:1], "--help")
    assert result.exit_code == 0 and "Example" in result.stdout


def test_no_paths_and_an_interactive_stdin_is_a_usage_error(monkeypatch):
    import io

    from click.testing import CliRunner

    from devkit.cli import cli

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    def invoke(args):
        runner = CliRunner()
        with runner.isolation() as _:
            monkeypatch.setattr(sys, "stdin", Tty(""))
            try:
                cli.main(args=args, prog_name="devkit", standalone_mode=False)
            except Exception as exc:  # click.UsageError
                return exc
        return None

    for args in (["logs", "trace", "abc"], ["logs", "grep", "x"], ["logs", "merge"]):
        exc = invoke(args)
        assert exc is not None and "pipe logs in" in str(exc), args
