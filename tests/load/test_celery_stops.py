"""How a ``load celery`` run ends when it cannot go on: a signal, a broker that is down or goes
away, bad options. Always one line of error, the exact counts so far, and no process left."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from celery_support import BROKER, close_connections, devkit, running, worker_world

TASKS = "devkit_test_tasks"


world = worker_world("stops", backend="rpc://")


def _gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_ends_the_run_with_its_exact_report_and_no_process_left(world, signum, code):
    args = ["load", "celery", f"{TASKS}.slow", "--args", "[0.01]", "--rate", "40", "--duration", "60s",
            *world.args(), "--json"]
    with running(*args, start_new_session=True) as proc:
        worker = world.workers[0]
        before = worker.count("] succeeded in")
        deadline = time.monotonic() + 30
        while worker.count("] succeeded in") < before + 10:
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        stopped_at = time.monotonic()
        os.kill(proc.pid, signum)
        out, err = proc.communicate(timeout=30)
        took = time.monotonic() - stopped_at
    assert proc.returncode == code, err
    assert took < 10
    doc = json.loads(out.strip().splitlines()[-1])
    assert doc["interrupted"] is True and doc["ok"] is False
    assert 10 <= doc["sent"] < 60 * 40 and doc["confirmed"] == doc["sent"] and doc["unconfirmed"] == 0
    assert doc["succeeded"] >= 10 and doc["succeeded"] + doc["unfinished"] == doc["sent"]
    name = signal.Signals(signum).name
    assert f"interrupted ({name}): the counts cover what happened before the stop" in err
    assert "Traceback" not in err and _gone(proc.pid)


def test_the_broker_going_away_mid_run_exits_2_with_the_counts_so_far(world):
    run_id = uuid.uuid4().hex[:12]
    args = ["load", "celery", f"{TASKS}.add", "--args", "[1, 1]", "--rate", "50", "--duration", "60s",
            "--run-id", run_id, *world.args(), "--json"]
    with running(*args) as proc:
        close_connections(run_id, ("tracker", "publisher 0"))
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    doc = json.loads(out.strip().splitlines()[-1])
    assert doc["sent"] == doc["confirmed"] + doc["nacked"] + doc["returned"] + doc["unconfirmed"]
    assert doc["succeeded"] + doc["failed"] + doc["unfinished"] == doc["sent"] and doc["ok"] is False
    assert any("connection lost" in e and "CONNECTION_FORCED" in e for e in doc["errors"]), doc["errors"]
    assert "Traceback" not in err


@pytest.mark.parametrize("args, message", [
    (["-b", "amqp://guest:s3cret@127.0.0.1:1//"],
     "cannot connect to RabbitMQ at amqp://guest:***@127.0.0.1:1//: Connection refused (no task was sent)"),
    (["-b", "amqp://guest:wrong-s3cret@127.0.0.1:5672//"],
     "RabbitMQ at amqp://guest:***@127.0.0.1:5672// refused the login (check user and password) (no task was sent)"),
    (["-b", "redis://:s3cret@127.0.0.1:6379/0"], "--broker must be a RabbitMQ URL such as amqp://localhost:5672//, got 'redis://:***@"),
    (["--args", "[1,"], "--args is not valid JSON"),
    (["--kwargs", "[1]"], "--kwargs must be an object"),
    (["--expires", "tomorrow"], "--expires must be an ISO 8601 time"),
    (["--no-events"], "--no-events needs --result-backend"),
    (["--result-backend", "redis://h/0"], "--result-backend must be rpc:// or file:///path"),
])
def test_bad_targets_and_options_exit_2_with_one_line(args, message):
    proc = devkit("load", "celery", f"{TASKS}.add", "-n", "1", *args)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert "s3cret" not in proc.stderr and proc.stdout == ""


def test_a_queue_no_worker_consumes_is_refused_with_a_hint(world):
    queue = world.new_queue("nobody")
    proc = devkit("load", "celery", f"{TASKS}.add", "-n", "1", "-b", BROKER, "-Q", queue)
    assert proc.returncode == 2
    assert f"queue {queue!r} does not exist" in proc.stderr and "--declare" in proc.stderr


def test_usage_errors():
    assert devkit("load", "celery", "-n", "1").returncode == 2  # no TASK_NAME
    proc = devkit("load", "celery", f"{TASKS}.add")
    assert proc.returncode == 2 and "-n/--count or --duration" in proc.stderr


def test_help_and_logs_never_import_celery_kombu_or_pika():
    code = ("import sys\nfrom devkit.cli import main\n"
            "for argv in (['devkit', '--help'], ['devkit', 'logs', '--help'], ['devkit', 'load', 'celery', '--help']):\n"
            "    sys.argv = argv\n"
            "    try: main()\n"
            "    except SystemExit: pass\n"
            "print('HEAVY', [m for m in ('celery', 'kombu', 'pika') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert "HEAVY []" in out and "devkit load celery tasks.add" in out
