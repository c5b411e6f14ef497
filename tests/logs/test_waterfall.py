"""The waterfall on logs with a known call structure: rows, nesting, own times, root cause, exactly."""

from __future__ import annotations

import json
import re

import pytest
from logs_support import EXAMPLES
from waterfall_support import CID, EXPECTED_ROWS, RT, START, write_checkout

from devkit.logs.event import Event
from devkit.logs.timestamps import Zone
from devkit.logs.trace import trace
from devkit.logs.waterfall import _refined_end, build_waterfall

UTC = Zone.parse("UTC")
S = START.timestamp()


def rows_of(wf) -> list[tuple]:
    return [(h.label, h.depth, h.parent, h.asynchronous, round(h.start - S, 6), round(h.end - S, 6),
             round(h.own, 6), len(h.events), h.errors) for h in wf.hops]


@pytest.mark.parametrize("msec", [False, True], ids=["time_local", "msec"])
def test_rows_nesting_own_times_and_root_cause(tmp_path, msec):
    write_checkout(tmp_path, msec=msec)
    result = trace(CID, [str(tmp_path)], zone=UTC)
    wf = result.waterfall
    assert rows_of(wf) == EXPECTED_ROWS
    nginx = wf.hops[0]
    assert nginx.placed == ("duration" if msec else "refined")
    assert nginx.uncertainty == pytest.approx(0.0 if msec else 0.002, abs=1e-6)
    assert nginx.status == 502
    assert wf.hops[6].after == 0 and wf.hops[6].gap == pytest.approx(0.370, abs=1e-6)
    assert [h.children for h in wf.hops] == [[1], [2], [3, 4, 5], [], [], [], []]
    rc = wf.root_cause
    assert (rc.row, rc.message, rc.exception) == (4, "psp_request_failed elapsed_ms=1399.0",
                                                   "httpx.ConnectTimeout: timed out")
    assert rc.time - S == pytest.approx(1.440, abs=1e-6)
    assert wf.start - S == pytest.approx(0.0, abs=1e-6) and wf.end - S == pytest.approx(1.950, abs=1e-6)


def test_whole_second_entry_stamp_would_otherwise_be_the_first_error(tmp_path):
    """$time_local says 12:00:01 (+0.900): before every error it answered for. Placed, it is last."""
    write_checkout(tmp_path)
    result = trace(CID, [str(tmp_path)], zone=UTC)
    wf = result.waterfall
    nginx_event = wf.hops[0].events[0]
    assert nginx_event.ts - S == pytest.approx(0.900, abs=1e-6)  # as logged
    errors = sorted((e for e in result.events if e.is_error), key=wf.when)
    assert [e.service or "nginx" for e in errors] == ["payments", "orders", "gateway", "nginx", "notifier"]
    assert wf.when(nginx_event) - S == pytest.approx(RT, abs=1e-6)
    assert wf.span(nginx_event)[0] - S == pytest.approx(0.0, abs=1e-6)


def test_plain_summary_states_the_rows_exactly(tmp_path, run):
    write_checkout(tmp_path)
    result = run("logs", "trace", CID, str(tmp_path), "--tz", "UTC")
    assert result.exit_code == 0, result.output
    summary = [line for line in result.stdout.splitlines() if line.startswith("# ")]
    assert summary == [
        f"# Request {CID}: 19 events, 6 services, 6 sources, 5 errors",
        "# first 2026-11-20T12:00:00.102+00:00, last 2026-11-20T12:00:02.050+00:00 (1.948s)",
        "# path from 2026-11-20T12:00:00.100+00:00 to 2026-11-20T12:00:02.050+00:00 (1.950s), "
        "offsets from its start:",
        "# nginx: +0.000s .. +1.500s, 1.500s, own 4.0ms, 1 event, 1 error, status 502",
        "#   gateway: +0.002s .. +1.498s, 1.496s, own 36ms, 4 events, 1 error",
        "#     orders: +0.010s .. +1.470s, 1.460s, own 50ms, 5 events, 1 error",
        "#       inventory: +0.015s .. +0.025s, 10ms, own 10ms, 3 events, 0 errors",
        "#       payments: +0.040s .. +1.440s, 1.400s, own 1.400s, 2 events, 1 error",
        "#       inventory #2: +1.460s .. +1.460s, 0ms, own 0ms, 1 event, 0 errors",
        "# notifier (async, 370ms after the request): +1.870s .. +1.950s, 80ms, own 80ms, 3 events, 1 error",
        f"# probable root cause: payments +1.440s ERROR psp_request_failed elapsed_ms=1399.0 — "
        f"httpx.ConnectTimeout: timed out ({tmp_path}/payments/payments.log:2)",
        "# nginx: whole-second stamp; placed by its logged duration around the records it must contain (±2.0ms)",
    ]
    timeline = [line for line in result.stdout.splitlines() if line[:4] == "2026"]
    assert len(timeline) == 19 and timeline[0].split()[1] == "+0.002s"  # offsets from the request's start


def test_summary_json_has_the_same_facts(tmp_path, run):
    write_checkout(tmp_path)
    result = run("logs", "trace", CID, str(tmp_path), "--tz", "UTC", "--summary-json")
    assert result.exit_code == 0, result.output
    [line] = result.stdout.splitlines()
    doc = json.loads(line)
    assert (doc["query"], doc["events"], doc["errors"]) == (CID, 19, 5)
    assert doc["first"] == "2026-11-20T12:00:00.102+00:00" and doc["last"] == "2026-11-20T12:00:02.050+00:00"
    wf = doc["waterfall"]
    assert wf["start"] == "2026-11-20T12:00:00.100+00:00" and wf["duration_s"] == pytest.approx(1.95)
    got = [(r["service"] if r["visit"] == 1 else f"{r['service']} #{r['visit']}", r["depth"], r["parent"], r["async"],
            r["start_s"], r["end_s"], r["own_s"], r["events"], r["errors"]) for r in wf["rows"]]
    assert got == [tuple(pytest.approx(v, abs=1e-6) if isinstance(v, float) else v for v in row)
                   for row in EXPECTED_ROWS]
    assert wf["rows"][0]["placed"] == "refined" and wf["rows"][0]["status"] == 502
    assert wf["rows"][6]["after"] == 0 and wf["rows"][6]["gap_s"] == pytest.approx(0.37)
    rc = wf["root_cause"]
    assert (rc["row"], rc["service"], rc["level"], rc["exception"]) == (4, "payments", "ERROR",
                                                                         "httpx.ConnectTimeout: timed out")
    assert rc["offset_s"] == pytest.approx(1.44) and rc["line"] == 2


def test_json_events_then_the_summary_object_last(tmp_path, run):
    write_checkout(tmp_path)
    result = run("logs", "trace", CID, str(tmp_path), "--tz", "UTC", "--json", "--summary-json")
    docs = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(docs) == 20 and all("timestamp" in d for d in docs[:19])
    assert docs[-1]["waterfall"]["rows"][0]["service"] == "nginx"
    plain_json = run("logs", "trace", CID, str(tmp_path), "--tz", "UTC", "--json")
    assert len(plain_json.stdout.splitlines()) == 19  # --json alone stays one event per line


def test_terminal_waterfall_rows_tree_axis_and_width(tmp_path):
    from click.testing import CliRunner

    from devkit.cli import cli

    write_checkout(tmp_path)
    for width in (120, 80, 60):
        result = CliRunner(env={"COLUMNS": str(width)}).invoke(
            cli, ["--color", "logs", "trace", CID, str(tmp_path), "--tz", "UTC"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        text = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
        lines = text.splitlines()
        assert all(len(line) <= width for line in lines), [line for line in lines if len(line) > width]
        start = lines.index("Request path")
        chart = lines[start + 1:start + 9]
        assert chart[0].startswith("service") and re.search(r"\s0\s+\S*\d(ms|s)\b", chart[0])  # the axis
        tree = ["nginx 502", "└─ gateway", "   └─ orders", "      ├─ inventory", "      ├─ payments",
                "      └─ inventory #2", "notifier async"]
        assert all(row.startswith(name + " ") for row, name in zip(chart[1:], tree)), chart
        if width == 120:
            assert re.split(r"\s+", chart[2].split("gateway", 1)[1].strip())[:5] == [
                "+0.002s", "1.496s", "36ms", "4", "1"]
            bars = [row[len(chart[0].split("0")[0]) - 1:] for row in chart[1:]]
            assert "×" in bars[4]  # the root cause on its bar
        cause = "× probable root cause: payments +1.440s ERROR psp_request_failed" if width > 80 else \
            "× probable root cause: payments +1.440s ERROR"
        assert any(line.startswith(cause) for line in lines)


def test_callee_that_outlives_its_timed_out_caller_stays_one_hop(run):
    """examples: gateway gives up on orders after 2 s (an error); orders logs again 0.4 s later."""
    result = trace("2acb754d65408462a48ea796e1de5dd4", [str(EXAMPLES)], zone=UTC)
    wf = result.waterfall
    assert [(h.label, h.depth, h.asynchronous) for h in wf.hops] == [
        ("nginx", 0, False), ("gateway", 1, False), ("orders", 2, False)]
    orders, gateway = wf.hops[2], wf.hops[1]
    assert len(orders.events) == 2 and orders.end > gateway.end
    assert gateway.own == pytest.approx(gateway.end - orders.start, abs=1e-3) or gateway.own < 0.02
    assert wf.root_cause.event.service == "gateway"
    assert "UpstreamTimeout" in wf.root_cause.exception


def test_example_demo_request_puts_nginx_first_and_payments_as_root_cause(run):
    result = trace("e5f011c3c08395f59280cb8e102d796b", [str(EXAMPLES)], zone=UTC)
    wf = result.waterfall
    assert [(h.label, h.depth, h.asynchronous) for h in wf.hops] == [
        ("nginx", 0, False), ("gateway", 1, False), ("orders", 2, False), ("inventory", 3, False),
        ("pricing", 3, False), ("payments", 3, False), ("inventory #2", 3, False), ("notifier", 0, True)]
    assert wf.hops[0].start <= wf.hops[1].start and wf.hops[0].end >= wf.hops[1].end  # rt=3.054 contains it
    assert wf.hops[0].duration == pytest.approx(3.054)
    assert wf.root_cause.event.service == "payments" and wf.root_cause.exception == "httpx.ConnectTimeout: timed out"


def _event(ts: float | None, service: str, level: str | None = None, duration: float | None = None,
           resolution: float = 0.001, line: int = 1) -> Event:
    return Event(f"{service}.log", [line], [b"x"], "test", ts=ts, level=level, service=service, message="m",
                 duration=duration, ts_resolution=resolution)


def test_refined_end_holds_the_most_records_and_takes_the_middle():
    # children at 10.2 .. 11.6; a 1.5 s hop stamped 11 (whole second): end in [11.6, 11.7]
    assert _refined_end(11.0, 1.0, 1.5, [10.2, 10.5, 11.6]) == pytest.approx((11.65, 0.05))
    # nothing to contain: the middle of the second, ±0.5
    assert _refined_end(11.0, 1.0, 0.2, []) == pytest.approx((11.5, 0.5))
    # a far-away record is given up for the many it would cost
    assert _refined_end(11.0, 1.0, 1.0, [10.1, 10.2, 10.3, 11.9])[0] == pytest.approx(11.05)


def test_untimed_events_and_a_lone_service():
    wf = build_waterfall([_event(None, "a"), _event(None, "b", "ERROR")])
    assert [(h.label, h.start, h.own) for h in wf.hops] == [("a", None, None), ("b", None, None)]
    assert wf.start is None and wf.root_cause.row == 1
    lone = build_waterfall([_event(5.0, "a"), _event(None, "a", line=2)])
    assert [(h.label, len(h.events), h.own) for h in lone.hops] == [("a", 2, 0.0)]


def test_no_timestamps_and_one_of_each_never_prints_none(tmp_path, run):
    log = tmp_path / "svc.log"
    log.write_text("request abc123 started without any time\n")
    result = run("logs", "trace", "abc123", str(log))
    assert result.exit_code == 0
    summary = [line for line in result.stdout.splitlines() if line.startswith("#")]
    assert summary[0] == "# Request abc123: 1 event, 1 service, 1 source, 0 errors"
    assert summary[1] == "# no timestamps"
    assert "None" not in result.stdout
