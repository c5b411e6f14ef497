"""devkit.correlation's middleware in a real Flask app (Werkzeug's server) and a real Django project
(Django's server), each with the logging config from `devkit gen logging`: the framework sees the
request's ID, every record carries it (the framework's own 500 log with its traceback, a streamed
body, a downstream call), concurrent requests keep theirs, and `devkit logs trace` finds them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from gen_harness import HEX32, free_port, running_app, wait_for_lines

from devkit.cli import cli

APPS = Path(__file__).resolve().parent / "apps"
#: The framework's own record of an unhandled exception, logged inside the request.
FRAMEWORK_500 = {"flask": ("shop", "Exception on /boom [GET]"),
                 "django": ("django.request", "Internal Server Error: /boom")}


@pytest.fixture(params=["flask", "django"])
def app(request, tmp_path):
    """(framework, base URL, log file) of the app running in its own process."""
    framework = request.param
    config = tmp_path / "logging.json"
    result = CliRunner().invoke(cli, ["gen", "logging", "--service", "shop", "-o", str(config)])
    assert result.exit_code == 0, result.output
    port = free_port()
    logfile = tmp_path / "shop.log"
    with running_app(APPS / f"{framework}_app.py", port, config, logfile):
        yield framework, f"http://127.0.0.1:{port}", logfile


def records(logfile: Path, count: int) -> list[dict]:
    return [json.loads(line) for line in wait_for_lines(logfile, count)]


def get(url: str, cid: str | None = None) -> requests.Response:
    return requests.get(url, headers={"Correlation-Id": cid} if cid else {}, timeout=10)


def test_the_framework_sees_the_id_and_the_response_echoes_it(app):
    _framework, base, _log = app
    resp = get(f"{base}/", "shop-7a1")
    assert resp.status_code == 200 and resp.text == "shop-7a1"
    assert resp.headers["Correlation-Id"] == "shop-7a1"
    for hostile in ['x"y', "<script>", "a" * 129]:
        resp = get(f"{base}/", hostile)
        assert re.fullmatch(HEX32, resp.text), hostile  # replaced before the framework saw it
        assert resp.headers["Correlation-Id"] == resp.text
    resp = get(f"{base}/")
    assert re.fullmatch(HEX32, resp.text) and resp.headers["Correlation-Id"] == resp.text


def test_every_record_of_a_request_carries_its_id(app):
    framework, base, logfile = app
    assert get(f"{base}/boom", "boom-1").status_code == 500
    assert get(f"{base}/stream", "stream-1").text == "0\n1\n2\n"
    assert get(f"{base}/downstream", "down-1").text == "down-1"
    got = [(r["logger"], r["message"], r["correlation_id"]) for r in records(logfile, 8)]
    logger_500, message_500 = FRAMEWORK_500[framework]
    assert got == [
        ("shop.views", f"shop starting on {base.rsplit(':', 1)[1]}", "Internal"),
        ("shop.views", "checkout started", "boom-1"),
        (logger_500, message_500, "boom-1"),
        ("shop.views", "chunk 0", "stream-1"),  # logged while the server iterated the body
        ("shop.views", "chunk 1", "stream-1"),
        ("shop.views", "chunk 2", "stream-1"),
        ("shop.views", "index n=down", "down-1"),  # the downstream request got the ID through requests
        ("shop.views", "downstream saw down-1", "down-1"),
    ]
    [failure] = [r for r in records(logfile, 8) if r["message"] == message_500]
    assert failure["level"] == "ERROR" and failure["service"] == "shop"
    assert failure["exception"].startswith("Traceback (most recent call last):")
    assert failure["exception"].rstrip().endswith("ZeroDivisionError: division by zero")


def test_concurrent_requests_keep_their_own_ids(app):
    _framework, base, logfile = app
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda n: get(f"{base}/?n={n}", f"req-{n}"), range(40)))
    assert [a.text for a in answers] == [f"req-{n}" for n in range(40)]
    logged = {r["message"]: r["correlation_id"] for r in records(logfile, 41) if r["message"].startswith("index")}
    assert logged == {f"index n={n}": f"req-{n}" for n in range(40)}


def test_trace_finds_the_request_with_its_traceback_as_one_event(app):
    framework, base, logfile = app
    get(f"{base}/boom", "trace-me-1")
    get(f"{base}/", "someone-else")
    records(logfile, 4)
    out = subprocess.run([sys.executable, "-m", "devkit", "logs", "trace", "trace-me-1", str(logfile), "--json"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    events = [json.loads(line) for line in out.stdout.splitlines()]
    assert [e["message"].splitlines()[0] for e in events] == ["checkout started", FRAMEWORK_500[framework][1]]
    assert events[1]["level"] == "ERROR" and "ZeroDivisionError: division by zero" in events[1]["traceback"]
    assert {e["service"] for e in events} == {"shop"}
