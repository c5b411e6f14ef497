"""``devkit load http`` through the nginx that ``devkit gen nginx`` writes: the seed's setup."""

from __future__ import annotations

import re
import socket
import subprocess
import time

import pytest
from click.testing import CliRunner
from load_support import run_json
from services import require_binary

from devkit.cli import cli


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def nginx_front(http_server, tmp_path):
    """nginx (generated config, 2 workers) on 127.0.0.1 in front of the test server."""
    nginx = require_binary("nginx", "apt-get install nginx-extras; .ci/run installs it")
    base, recorder = http_server
    port = _free_port()
    upstream = base.removeprefix("http://")
    conf = CliRunner().invoke(cli, ["gen", "nginx", "--standalone", "--upstream", upstream,
                                    "--listen", f"127.0.0.1:{port}", "--workers", "2"])
    assert conf.exit_code == 0, conf.output
    (tmp_path / "nginx.conf").write_text(conf.stdout)
    proc = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", "nginx.conf", "-e", "error.log", "-g", "daemon off;"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"nginx did not start: {proc.communicate()[1].decode(errors='replace')}")
            time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", recorder, tmp_path
    proc.terminate()
    proc.wait(timeout=10)


def test_ids_round_trip_through_generated_nginx(nginx_front):
    url, recorder, prefix = nginx_front
    result = CliRunner().invoke(cli, ["load", "http", f"{url}/echo", "-n", "300", "--concurrency", "4", "--json"])
    assert result.exit_code == 0, result.output + result.stderr
    doc = run_json(result)
    assert (doc["completed"], doc["id_matched"], doc["id_mismatched"], doc["id_missing"]) == (300, 300, 0, 0)
    seen_by_app = [r["cid"] for r in recorder.requests]
    assert len(seen_by_app) == 300 and len(set(seen_by_app)) == 300  # nginx kept every ID devkit sent
    deadline = time.monotonic() + 10  # nginx writes the access line after the response: on a busy machine, later
    while True:
        logged = re.findall(r"corr=(\S+) ", (prefix / "access.log").read_text())
        if len(logged) >= 300 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert sorted(logged) == sorted(seen_by_app)


def test_nginx_hands_back_its_id_even_when_the_app_mangles_it(nginx_front):
    """The app answers every 5th request with another ID; nginx hides it and returns the right one."""
    url, recorder, _ = nginx_front
    result = CliRunner().invoke(cli, ["load", "http", f"{url}/wrong", "-n", "50", "--json"])
    assert result.exit_code == 0, result.output + result.stderr
    assert run_json(result)["id_matched"] == 50
    assert len(recorder.requests) == 50
