"""End to end: generated nginx -> a WSGI app with the middleware and the generated logging config
-> JSON log lines -> `devkit logs trace ID` finds the request's records, traceback as one event."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from gen_harness import HEX32, free_port, running_app, wait_for_lines

from devkit.cli import cli


pytestmark = [pytest.mark.service]

APP = Path(__file__).resolve().parent / "apps" / "orders_app.py"


def gen(*args: str) -> str:
    result = CliRunner().invoke(cli, ["gen", *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def orders_app(tmp_path):
    """The app in its own process, stdout (its JSON log) going to app/orders.log."""
    port = free_port()
    config = tmp_path / "logging.json"
    config.write_text(gen("logging", "--service", "orders"))
    logdir = tmp_path / "app"
    logdir.mkdir()
    logfile = logdir / "orders.log"
    with running_app(APP, port, config, logfile):
        yield port, logfile


def trace(cid: str, *paths: Path) -> tuple[int, list[dict]]:
    proc = subprocess.run([sys.executable, "-m", "devkit", "logs", "trace", cid, *map(str, paths), "--json"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def generated_nginx(app_port: int, nginx_runner, workers: int):
    """The generated standalone config in front of the app, run by a real nginx."""
    port = free_port()
    conf = gen("nginx", "--standalone", "--upstream", f"127.0.0.1:{app_port}", "--listen", f"127.0.0.1:{port}",
               "--workers", str(workers))
    return nginx_runner(conf, port, name="nginx")


def test_one_request_followed_from_nginx_through_the_app_logs(orders_app, nginx_runner, tmp_path):
    app_port, app_log = orders_app
    ngx = generated_nginx(app_port, nginx_runner, workers=2)

    status, _, headers, body = ngx.get("/boom", headers={"Correlation-Id": "e2e-7f3a"})
    assert status == 500 and body == b"failed"
    assert [v for k, v in headers if k.lower() == "correlation-id"] == ["e2e-7f3a"]
    status, _, headers, _ = ngx.get("/", headers={"Correlation-Id": "bad id\"<x>"})
    assert status == 200
    [fresh] = [v for k, v in headers if k.lower() == "correlation-id"]
    assert re.fullmatch(HEX32, fresh)

    ngx.log_lines(expect=2)
    records = [json.loads(line) for line in wait_for_lines(app_log, 6)]
    # One JSON object per record; the failure's traceback is inside its record, not on extra lines.
    assert [(r["message"], r["correlation_id"]) for r in records] == [
        (f"orders starting on {app_port}", "Internal"),
        ("checkout started", "e2e-7f3a"),
        ("inventory checked", "e2e-7f3a"),  # the downstream call carried the ID (requests helper)
        ("inventory says in stock", "e2e-7f3a"),
        ("checkout failed", "e2e-7f3a"),
        ("orders listed", fresh),
    ]

    code, events = trace("e2e-7f3a", app_log.parent, ngx.access_log)
    assert code == 0
    by_source = {}
    for event in events:
        by_source.setdefault(Path(event["source"]).name, []).append(event)
    assert set(by_source) == {"orders.log", "access.log"}
    app_events = by_source["orders.log"]
    assert [e["message"].splitlines()[0] for e in app_events] == [
        "checkout started", "inventory checked", "inventory says in stock", "checkout failed"]
    assert {e["service"] for e in app_events} == {"orders"}
    [failed] = [e for e in app_events if e["traceback"]]
    assert failed["level"] == "ERROR"
    assert failed["traceback"].startswith("Traceback (most recent call last):")
    assert "ZeroDivisionError: division by zero" in failed["traceback"]
    assert "ZeroDivisionError" in failed["message"]  # message holds the whole text, traceback joined
    [access] = by_source["access.log"]
    assert "GET /boom" in access["message"] and "corr=e2e-7f3a" in access["message"]
    assert all(fresh not in e["message"] for e in events)

    code, events = trace(fresh, app_log.parent, ngx.access_log)
    assert code == 0
    assert sorted(Path(e["source"]).name for e in events) == ["access.log", "orders.log"]

    code, events = trace("never-seen-id", app_log.parent, ngx.access_log)
    assert code == 1 and events == []


def test_access_log_end_is_exact_and_the_waterfall_nests_the_app_under_nginx(orders_app, nginx_runner):
    """The generated log_format has $msec: nginx's hop is [msec - rt, msec], around the app's records."""
    app_port, app_log = orders_app
    ngx = generated_nginx(app_port, nginx_runner, workers=1)
    status, _, _, _ = ngx.get("/boom", headers={"Correlation-Id": "msec-4d2e"})
    assert status == 500
    [line] = ngx.log_lines(expect=1)
    msec = float(re.search(r" msec=(\d+\.\d{3})$", line).group(1))
    rt = float(re.search(r" rt=(\d+\.\d{3}) ", line).group(1))
    wait_for_lines(app_log, 5)

    proc = subprocess.run([sys.executable, "-m", "devkit", "logs", "trace", "msec-4d2e", str(app_log.parent),
                           str(ngx.access_log), "--summary-json", "--json"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    *events, summary = [json.loads(x) for x in proc.stdout.splitlines()]
    [access] = [e for e in events if e["source"] == str(ngx.access_log)]
    assert access["duration"] == pytest.approx(rt)
    from datetime import datetime

    assert datetime.fromisoformat(access["timestamp"]).timestamp() == pytest.approx(msec, abs=1e-6)  # not whole s
    rows = summary["waterfall"]["rows"]
    assert [(r["service"], r["depth"], r["parent"], r["placed"]) for r in rows] == [
        ("nginx", 0, None, "duration"), ("orders", 1, 0, "events")]
    nginx, app = rows
    assert nginx["start_s"] <= app["start_s"] and app["end_s"] <= nginx["end_s"] + 0.001
    assert nginx["duration_s"] == pytest.approx(rt)
    assert summary["waterfall"]["root_cause"]["service"] == "orders"
