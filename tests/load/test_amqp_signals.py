"""``devkit load amqp`` stopped from outside: SIGTERM, a killed parent, a black-holed connection,
and the queue options that used to write where nobody asked (issue 16, "load and ship")."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from click.testing import CliRunner
from load_support import BlackHoleProxy, alive, children_of, run_json

from devkit.cli import cli


def invoke(*args: str):
    return CliRunner().invoke(cli, ["load", "amqp", *args])


def start(repo_root, *args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(repo_root))
    return subprocess.Popen([sys.executable, "-m", "devkit", "load", "amqp", "--json", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def finish(proc: subprocess.Popen, timeout: float) -> tuple[int, dict | None, str, float]:
    """(exit code, --json report or None, stderr, seconds it took) once *proc* ends."""
    began = time.monotonic()
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    took = time.monotonic() - began
    return proc.returncode, (json.loads(out) if out.strip() else None), err, took


def assert_queue_still(broker, queue: str, seconds: float = 3.0) -> int:
    """The depth stops moving and stays put: nobody publishes after devkit exited."""
    settled = broker.settled_depth(queue)
    time.sleep(seconds)
    assert broker.depth(queue) == settled, "messages were published after devkit exited"
    return settled


def test_sigterm_stops_like_ctrl_c_with_an_exact_report_and_no_producer_left(broker, repo_root):
    queue = broker.new_queue("sigterm")
    proc = start(repo_root, "--duration", "40s", "--rate", "2000", "--producers", "2", "--queues", f"{queue}-%d",
                 "--consume")
    queues = [broker.track(f"{queue}-1"), broker.track(f"{queue}-2")]
    workers = wait_until(lambda: len(children_of(proc.pid)) >= 3 and children_of(proc.pid), 20, "3 workers")
    wait_until(lambda: proc.poll() is not None or len(children_of(proc.pid)) >= 3 and time.sleep(1.0) is None,
               5, "a second of traffic")
    proc.send_signal(signal.SIGTERM)  # the parent only, as `timeout` and `docker stop` do
    code, doc, err, took = finish(proc, 30)
    assert code == 143, err
    assert took < 10
    assert doc["interrupted"] is True and doc["stopped_by"] == "SIGTERM" and doc["ok"] is False
    assert doc["sent"] > 0 and doc["confirmed"] + doc["unconfirmed"] + doc["nacked"] == doc["sent"]
    assert "interrupted (SIGTERM)" in err and "Traceback" not in err
    assert not [pid for pid in workers if alive(pid)]
    left = sum(assert_queue_still(broker, q) for q in queues)
    assert doc["received"] + left >= doc["confirmed"]  # every confirmed message is received or still queued
    assert doc["left_in_queues"] == {q: broker.depth(q) for q in queues}


def test_workers_die_with_a_killed_parent(broker, repo_root):
    queue = broker.new_queue("orphan")
    proc = start(repo_root, "--duration", "40s", "--rate", "2000", "--queue", queue)
    [worker] = wait_until(lambda: children_of(proc.pid), 20, "the producer")
    wait_until(lambda: broker.depth_if_any(queue) > 0, 20, "first messages")
    proc.kill()  # SIGKILL: no handler runs; the kernel must take the producer down too
    proc.communicate(timeout=10)
    wait_until(lambda: not alive(worker), 5, "the orphaned producer to die")
    assert_queue_still(broker, queue)


def test_black_hole_at_connect_honours_the_connect_timeout():
    hole = BlackHoleProxy(forward=False)
    try:
        began = time.monotonic()
        result = invoke("-n", "10", "--connect-timeout", "1s", "--url", hole.url())
        took = time.monotonic() - began
    finally:
        hole.close()
    assert result.exit_code == 2
    assert took < 5
    assert result.stderr == (f"devkit: error: no AMQP handshake from amqp://guest:***@127.0.0.1:{hole.port}/%2F "
                             "within 1s: something accepts connections there but does not answer "
                             "(see --connect-timeout)\n")


def test_ctrl_c_during_a_black_holed_handshake_exits_at_once(repo_root):
    hole = BlackHoleProxy(forward=False)
    try:
        proc = start(repo_root, "-n", "10", "--url", hole.url())
        wait_until(lambda: hole.sockets, 10, "the connection")
        proc.send_signal(signal.SIGINT)
        code, doc, err, took = finish(proc, 10)
    finally:
        hole.close()
    assert code == 130 and took < 3 and "Traceback" not in err


def _run_into_a_black_hole(broker, repo_root, *args: str):
    queue = broker.new_queue("hole")
    hole = BlackHoleProxy()
    try:
        proc = start(repo_root, "--duration", "60s", "--rate", "1000", "--queue", queue, "--url", hole.url(), *args)
        wait_until(lambda: broker.depth_if_any(queue) > 200, 20, "first messages")
        hole.black_hole()
        return queue, hole, proc
    except BaseException:
        hole.close()
        raise


def test_a_black_hole_mid_run_honours_the_confirm_timeout(broker, repo_root):
    queue, hole, proc = _run_into_a_black_hole(broker, repo_root, "--confirm-timeout", "2s")
    try:
        code, doc, err, took = finish(proc, 30)
    finally:
        hole.close()
    assert code == 1, err
    assert took < 10  # not the ~2 minutes until a heartbeat fires
    assert doc["unconfirmed"] > 0 and doc["confirmed"] + doc["unconfirmed"] + doc["nacked"] == doc["sent"]
    assert "no confirm for 2s" in err
    in_queue = assert_queue_still(broker, queue, 1.0)
    assert doc["confirmed"] <= in_queue <= doc["sent"]


def test_ctrl_c_during_a_black_holed_run_ends_within_the_stop_grace(broker, repo_root):
    queue, hole, proc = _run_into_a_black_hole(broker, repo_root)  # default --confirm-timeout 30s
    try:
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        code, doc, err, took = finish(proc, 30)
    finally:
        hole.close()
    assert code == 130, err
    assert took < 10
    assert doc["interrupted"] is True and doc["stopped_by"] == "Ctrl-C" and doc["unconfirmed"] > 0
    assert doc["confirmed"] <= broker.settled_depth(queue) <= doc["sent"]


# ---- queues: never someone else's by default, never unbounded --------------------------------
def test_an_empty_queue_name_is_refused():
    result = invoke("-n", "1", "-q", "")
    assert result.exit_code == 2 and "--queue must name a queue" in result.stderr


@pytest.mark.parametrize("args", [["--queues", "perf-%d", "--queue-count", "29155"],
                                  ["--queues", "perf-%d", "--queue-count", "3", "--producers", "2"],
                                  ["--queues", "a,b,c"],
                                  ["--producers", "100000"]])
def test_queue_and_producer_counts_are_bounded(args):
    result = invoke("-n", "1", *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output + result.stderr


def test_default_queue_is_the_runs_own_and_the_report_says_what_is_left(broker):
    run_id = "own" + uuid.uuid4().hex[:8]
    queue = broker.track(f"devkit-load-{run_id}")
    result = invoke("-n", "120", "--run-id", run_id)
    assert result.exit_code == 0, result.output + result.stderr
    assert f"devkit load amqp → {queue} (" in result.stdout
    assert [line.split()[3:] for line in result.stdout.splitlines() if line.startswith("left in queue")] == \
           [["120", queue]]
    assert f"120 messages are left in this run's queue {queue}" in result.stderr
    assert broker.depth(queue) == 120
    doc = run_json(invoke("-n", "5", "--run-id", run_id, "--json"))
    assert doc["queues"] == [queue] and doc["left_in_queues"] == {queue: 125}
