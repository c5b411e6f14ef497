"""Held searches past a few thousand events keep each event's bulk in a temporary file
(``devkit.logs.spool``): a spooled event must read exactly as the event it was, everywhere it is
shown, and a search's output must not change by a byte whether or not it spooled."""

import json
import os
import pickle
import subprocess
import sys

import pytest

from logs_support import write
from devkit.cli.logs.render import json_text, plain_text
from devkit.logs import spool as spool_module
from devkit.logs.event import Event
from devkit.logs.spool import Spool, SpooledEvent
from devkit.logs.timestamps import Zone
from devkit.logs.trace import merge, trace

UTC = Zone.parse("UTC")
CID = "5f0c1d2e3a4b5c6d7e8f901234567890"
KEEP_WHOLE = spool_module.KEEP_WHOLE  # (tests lower it)


def _mixed_events(tmp_path) -> list[Event]:
    """Events of every kind a search may hold: tracebacks, JSON fields, durations and statuses,
    container-wrapped records, one with no time, one whose line holds a control character."""
    app = ["stray text before any stamp",
           f"2026-11-20 09:15:00,001 INFO orders [{CID}] GET /orders/7",
           f"2026-11-20 09:15:00,120 ERROR orders [{CID}] charge failed",
           "Traceback (most recent call last):",
           '  File "orders/pay.py", line 12, in charge',
           "    raise PaymentDeclined(order)",
           "PaymentDeclined: order 7",
           "2026-11-20 09:15:01,000 INFO orders [-] tick \x1b[31m"]
    js = [json.dumps({"@timestamp": f"2026-11-20T09:15:00.{i:03d}Z", "message": f"step {i}", "level": "INFO",
                      "correlation_id": CID, "service": "payments", "duration_ms": i * 3, "status": 200 + i})
          for i in range(1, 40)]
    nginx = [f'10.0.0.1 - - [20/Nov/2026:09:15:0{i}+0000] "GET /api/orders/{i} HTTP/1.1" 502 17 "-" "curl" '
             f'rt=0.{i}00 cid={CID}' for i in range(1, 8)]
    docker = [json.dumps({"log": text + "\n", "stream": "stderr", "time": f"2026-11-20T09:15:02.{i:06d}Z"})
              for i, text in enumerate(["ERROR boom", "Traceback (most recent call last):",
                                        '  File "w.py", line 3, in run', "KeyError: 'x'"])]
    paths = [write(tmp_path / "orders.log", "\n".join(app) + "\n"),
             write(tmp_path / "payments.log", "\n".join(js) + "\n"),
             write(tmp_path / "nginx" / "access.log", "\n".join(nginx) + "\n"),
             write(tmp_path / "worker-json.log", "\n".join(docker) + "\n")]
    events = list(merge([str(p) for p in paths], zone=UTC).events)
    assert any(e.ts is None for e in events) and any(e.traceback for e in events)
    assert any(e.duration for e in events) and any(e.status for e in events) and any(e.wrapper for e in events)
    return events


def test_a_spooled_event_reads_as_the_event_it_was(tmp_path):
    originals = _mixed_events(tmp_path / "a")
    held = Spool(keep_whole=3).hold(_mixed_events(tmp_path / "a"))
    assert [type(e) for e in held[:3]] == [Event] * 3
    assert all(isinstance(e, SpooledEvent) for e in held[3:]) and len(held) == len(originals)
    for ev, orig in zip(held, originals):
        assert ev == orig and orig == ev
        assert json_text(ev) == json_text(orig) and plain_text(ev) == plain_text(orig)
        for name in ("line", "lines", "is_error", "text", "ts_naive", "ts_resolution", "ts_inherited", "source_index"):
            assert getattr(ev, name) == getattr(orig, name), name
        assert repr(ev) == repr(orig)
    spooled = held[-1]
    assert pickle.loads(pickle.dumps(spooled)) == spooled  # sent anywhere as the whole event
    assert type(spooled.whole()) is Event


def test_a_spooled_event_takes_a_correlation_id_and_refuses_other_changes(tmp_path):
    held = Spool(keep_whole=0).hold(_mixed_events(tmp_path))
    ev = next(e for e in held if e.correlation_id is None)
    ev.correlation_id = "req-1"
    assert ev.correlation_id == "req-1" and ev.whole().correlation_id == "req-1"
    assert json.loads(json_text(ev)[0])["correlation_id"] == "req-1"
    with pytest.raises(AttributeError):
        ev.message = "changed"


def test_events_read_back_in_any_order_from_several_streams(tmp_path):
    """Merged output alternates between the sources' batches; random access (the root cause,
    the HTML report) reads any one: every order gives the same events."""
    originals = _mixed_events(tmp_path / "a")
    spool = Spool(keep_whole=0)
    held = []
    for key, source in enumerate(sorted({e.source for e in originals})):
        batch = [e for e in _mixed_events(tmp_path / "a") if e.source == source]
        for k in range(0, len(batch), 5):
            part = batch[k:k + 5]
            held += spool.held_batch(pickle.dumps(part), part, key)
    assert spool.spooled == len(originals) and spool.bytes_written > 0
    by_line = {(e.source, e.line): e for e in originals}
    for ev in [*held[::-1], *held[::2], *held]:
        assert ev == by_line[(ev.source, ev.line)]


def test_a_spool_that_cannot_write_holds_its_events_whole(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))  # every temporary file fails
    originals = _mixed_events(tmp_path / "a")
    held = Spool(keep_whole=2).hold(_mixed_events(tmp_path / "a"))
    assert all(type(e) is Event for e in held) and held == originals


def _heavy_corpus(tmp_path, files=3, lines=30_000):
    paths = []
    for k in range(files):
        lines_out = []
        for i in range(lines):
            stamp = f"2026-11-20 09:{i // 3600 % 60:02d}:{i // 60 % 60:02d},{i % 1000:03d}"
            if i % 7 == 0:
                lines_out += [f"{stamp} ERROR svc{k}: order {i} failed for depot POZ-2",
                              "Traceback (most recent call last):", f'  File "svc/x.py", line {i}, in handle',
                              f"ValueError: order {i}"]
            else:
                lines_out.append(f"{stamp} INFO svc{k}: order {i} shipped {'x' * 60}")
        paths.append(str(write(tmp_path / f"svc{k}.log", "\n".join(lines_out) + "\n")))
    return paths


@pytest.mark.parametrize("args", [["logs", "trace", "POZ-2"], ["logs", "grep", "-F", "failed for depot"],
                                  ["logs", "trace", "POZ-2", "--summary-json"], ["logs", "trace", "POZ-2", "--html", "-"],
                                  ["logs", "trace", "POZ-2", "--svg", "-"],
                                  ["--color", "logs", "trace", "POZ-2", "--no-pager"]])
def test_a_heavy_held_search_writes_the_same_bytes_spooled_or_not(tmp_path, run, monkeypatch, args):
    """The plain timeline and its summary, --summary-json, the HTML and SVG reports and the
    terminal's waterfall and timeline, from a search gathered from processes: with most events
    spooled, and with none."""
    from devkit.logs import trace as trace_module

    paths = _heavy_corpus(tmp_path)
    assert sum(1 for p in paths for line in open(p) if "POZ-2" in line) > trace_module.HEAVY_HITS
    monkeypatch.setattr(spool_module, "KEEP_WHOLE", 100)
    spooled = run(*args, *paths, "--tz", "UTC")
    monkeypatch.setattr(spool_module, "KEEP_WHOLE", 10 ** 9)
    whole = run(*args, *paths, "--tz", "UTC")
    assert spooled.exit_code == whole.exit_code == 0
    assert spooled.stdout == whole.stdout
    if "--summary-json" in args:
        assert '"events": 12858' in spooled.stdout
    elif "--svg" in args:
        assert "12858 events" in spooled.stdout
    else:
        assert spooled.stdout.count("POZ-2") >= 12858


def test_a_heavy_trace_holds_spooled_events_and_leaves_no_file(tmp_path, monkeypatch):
    paths = _heavy_corpus(tmp_path)
    monkeypatch.setattr(spool_module, "KEEP_WHOLE", 100)
    result = trace("POZ-2", paths, zone=UTC, jobs=2)
    assert sum(isinstance(e, SpooledEvent) for e in result.events) > len(result.events) - 200
    assert "order 0 failed for depot POZ-2" in result.waterfall.root_cause.message
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp))
    proc = subprocess.run([sys.executable, "-m", "devkit", "logs", "trace", "POZ-2", *paths, "--tz", "UTC"],
                          capture_output=True, env=env)
    assert proc.returncode == 0 and proc.stdout.count(b"POZ-2") > KEEP_WHOLE
    assert list(tmp.iterdir()) == []  # the spool file is unlinked from the start


def test_a_search_in_this_process_spools_its_sources_one_by_one(tmp_path, monkeypatch):
    """One core (or stdin, or compressed files): each file's events are spooled as its search
    ends, so only one file's events are ever whole at once; the result is the same."""
    from devkit.logs.trace import grep

    paths = _heavy_corpus(tmp_path)
    monkeypatch.setattr(spool_module, "KEEP_WHOLE", 10 ** 9)
    whole = grep("failed for depot", paths, fixed=True, zone=UTC, jobs=1)
    monkeypatch.setattr(spool_module, "KEEP_WHOLE", 100)
    spooled = grep("failed for depot", paths, fixed=True, zone=UTC, jobs=1)
    assert not any(isinstance(e, SpooledEvent) for e in whole.events)
    assert sum(isinstance(e, SpooledEvent) for e in spooled.events) == len(spooled.events) - 100
    assert [json_text(e) for e in spooled.events] == [json_text(e) for e in whole.events]
    assert spooled.waterfall.to_json() == whole.waterfall.to_json()
