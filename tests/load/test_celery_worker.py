"""``devkit load celery`` against a real Celery worker (solo pool, rpc:// backend) on the local
RabbitMQ: each task's fate, counted exactly, through the CLI and the library."""

from __future__ import annotations

import pika
from celery_support import BROKER, devkit, report, worker_world

from devkit.load.celery import CeleryLoadConfig, inspect_workers, run_celery_load

TASKS = "devkit_test_tasks"


world = worker_world("solo", backend="rpc://")


def run(world, *args: str, timeout: float = 120):
    return devkit("load", "celery", *args, *world.args(), "--json", timeout=timeout)


def test_tasks_that_succeed_are_all_accounted_for(world):
    proc = run(world, f"{TASKS}.add", "--args", "[2, 3]", "-n", "300", "--result-backend", "rpc://")
    assert proc.returncode == 0, proc.stderr
    doc = report(proc)
    assert (doc["sent"], doc["confirmed"], doc["received"], doc["started"], doc["succeeded"]) == (300, 300, 300, 300, 300)
    assert (doc["failed"], doc["unfinished"], doc["redelivered"], doc["ran_again"], doc["ok"]) == (0, 0, 0, 0, True)
    worker = world.workers[0].hostname
    assert doc["workers"] == {worker: {"received": 300, "succeeded": 300}}
    for key in ("queue_wait_ms", "run_time_ms", "e2e_latency_ms", "confirm_latency_ms"):
        assert doc[key]["p50"] is not None and doc[key]["p50"] <= doc[key]["p99"] <= doc[key]["max"], key
    assert doc["rate"] > 0 and doc["completed_rate"] > 0
    assert doc["tracking"]["events"]["enable_events"] == {"sent": True, "replies": {worker: "task events enabled"}}
    assert doc["tracking"]["events"]["restored"] == [worker]  # switched back off: it had them off
    assert f"sent enable_events on {world.control}.pidbox: {worker} (task events enabled)" in proc.stderr
    log = world.workers[0].text()
    assert log.count(f"[{doc['first_task_id']}] succeeded") == 1 and f"[{doc['last_task_id']}] received" in log


def test_a_task_that_raises_is_counted_by_exception_type_with_a_traceback(world):
    proc = run(world, f"{TASKS}.boom", "--kwargs", '{"message": "no stock"}', "-n", "4")
    assert proc.returncode == 1, proc.stderr
    doc = report(proc)
    assert (doc["succeeded"], doc["failed"], doc["unfinished"]) == (0, 4, 0)
    failure = doc["failures"]["ValueError"]
    assert failure["count"] == 4 and failure["exception"] == "ValueError('no stock')"
    assert failure["traceback"].startswith("Traceback (most recent call last):")
    assert failure["traceback"].rstrip().endswith("ValueError: no stock")
    assert "not every task succeeded: 4 failed" in proc.stderr


def test_the_human_report_shows_the_failure_and_its_traceback(world):
    proc = devkit("load", "celery", f"{TASKS}.boom", "-n", "2", *world.args())
    assert proc.returncode == 1, proc.stderr
    rows = {line.split()[0]: line.split()[1] for line in proc.stdout.splitlines()[1:] if line[:1].isalpha()}
    assert rows["sent"] == "2" and rows["failed"] == "2" and rows["succeeded"] == "0"
    assert "ValueError 2" in proc.stdout and "    ValueError: boom" in proc.stdout
    assert "amqp://guest:***@127.0.0.1:5672//" in proc.stdout and "guest:guest" not in proc.stdout + proc.stderr


def test_a_task_that_retries_then_succeeds(world):
    proc = run(world, f"{TASKS}.flaky", "--args", "[2]", "-n", "3", "--result-backend", "rpc://")
    assert proc.returncode == 0, proc.stderr
    doc = report(proc)
    assert (doc["succeeded"], doc["retried"], doc["retries"], doc["failed"], doc["redelivered"]) == (3, 3, 6, 0, 0)
    assert doc["workers"][world.workers[0].hostname]["retried"] == 6


def test_retried_past_its_limit_is_a_failure(world):
    proc = run(world, f"{TASKS}.flaky", "--args", "[9]", "-n", "1")
    assert proc.returncode == 1, proc.stderr
    doc = report(proc)
    assert (doc["succeeded"], doc["failed"], doc["retried"], doc["retries"]) == (0, 1, 1, 3)
    assert doc["failures"]["ConnectionError"]["exception"] == "ConnectionError('attempt 4 failed')"


def test_custom_states_are_counted_by_name_from_the_rpc_backend(world):
    proc = run(world, f"{TASKS}.going_to_sleep", "--args", "[0.05]", "-n", "3", "--result-backend", "rpc://")
    assert proc.returncode == 0, proc.stderr
    doc = report(proc)
    assert doc["custom_states"] == {"GOING_TO_SLEEP": 3} and doc["succeeded"] == 3


def test_events_alone_do_not_see_custom_states(world):
    doc = report(run(world, f"{TASKS}.going_to_sleep", "--args", "[0.01]", "-n", "2"))
    assert doc["custom_states"] == {} and doc["succeeded"] == 2 and doc["tracking"]["result_backend"] is None


def test_expired_tasks_are_reported_and_fail_the_run(world):
    proc = run(world, f"{TASKS}.add", "--args", "[1, 1]", "-n", "3", "--countdown", "1.5s", "--expires", "0.5s",
               "--wait", "20s")
    assert proc.returncode == 1, proc.stderr
    doc = report(proc)
    assert (doc["expired"], doc["succeeded"], doc["unfinished"], doc["revoked"]) == (3, 0, 0, 0)
    assert "3 expired" in proc.stderr


def test_a_task_no_worker_knows_fails_as_not_registered_and_says_so(world):
    proc = run(world, "devkit_test_tasks.nope", "-n", "2")
    assert proc.returncode == 1, proc.stderr
    doc = report(proc)
    assert doc["failed"] == 2 and list(doc["failures"]) == ["NotRegistered"]
    assert "no worker that answered has 'devkit_test_tasks.nope' registered" in proc.stderr


def test_results_alone_without_events(world):
    proc = run(world, f"{TASKS}.add", "--args", "[1, 2]", "-n", "50", "--no-events", "--result-backend", "rpc://")
    assert proc.returncode == 0, proc.stderr
    doc = report(proc)
    assert (doc["succeeded"], doc["received"], doc["workers"]) == (50, None, {})
    assert doc["tracking"]["events"]["enable_events"] is None and "enable_events" not in proc.stderr


def test_duration_and_rate_pace_the_tasks(world):
    proc = run(world, f"{TASKS}.add", "--args", "[1, 2]", "--duration", "1s", "--rate", "40")
    assert proc.returncode == 0, proc.stderr
    doc = report(proc)
    assert doc["sent"] == 40 and doc["succeeded"] == 40 and doc["requested"] is None


def test_concurrent_publishers_share_one_count(world):
    proc = run(world, f"{TASKS}.add", "--args", "[1, 2]", "-n", "301", "-c", "3", "--window", "7")
    assert proc.returncode == 0, proc.stderr
    doc = report(proc)
    assert (doc["sent"], doc["confirmed"], doc["succeeded"], doc["unfinished"]) == (301, 301, 301, 0)


def test_the_messages_are_celery_protocol_2_with_the_task_id_as_correlation_id(world):
    queue = world.new_queue("wire")
    proc = devkit("load", "celery", f"{TASKS}.add", "--args", "[2, 3]", "--kwargs", '{"z": 1}', "-n", "3",
                  "-b", BROKER, "-Q", queue, "--declare", "--countdown", "60", "--expires", "120", "--priority", "5",
                  "--wait", "0.3s", "--events-exchange", world.events, "--control-exchange", world.control, "--json")
    assert proc.returncode == 1, proc.stderr  # nobody consumes this queue: the tasks never finish
    doc = report(proc)
    assert (doc["sent"], doc["confirmed"], doc["unfinished"]) == (3, 3, 3)
    assert doc["unfinished_by_state"] == {"never received": 3}
    assert f"declared queue {queue!r}" in proc.stderr
    connection = pika.BlockingConnection(pika.URLParameters("amqp://guest:guest@127.0.0.1:5672/%2F"))
    try:
        channel = connection.channel()
        messages = [channel.basic_get(queue, auto_ack=True) for _ in range(3)]
    finally:
        connection.close()
    ids = []
    for method, props, body in messages:
        headers = props.headers
        assert headers["task"] == f"{TASKS}.add" and headers["lang"] == "py" and headers["retries"] == 0
        assert props.correlation_id == headers["id"] == headers["root_id"] and headers["parent_id"] is None
        assert headers["argsrepr"] == "(2, 3)" and headers["kwargsrepr"] == "{'z': 1}"
        assert headers["eta"].endswith("+00:00") and headers["expires"] > headers["eta"]
        assert props.content_type == "application/json" and props.delivery_mode == 2 and props.priority == 5
        assert props.expiration == "120000"
        assert body == b'[[2, 3], {"z": 1}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]'
        ids.append(headers["id"])
    assert ids[0] == doc["first_task_id"] and ids[-1] == doc["last_task_id"] and len(set(ids)) == 3


def test_inspect_lists_registered_tasks_and_queues(world):
    proc = devkit("load", "celery", "--inspect", "-b", BROKER, "--control-exchange", world.control,
                  "--control-timeout", "0.5s", "--json")
    assert proc.returncode == 0, proc.stderr
    workers = report(proc)["workers"]
    assert [w["hostname"] for w in workers] == [world.workers[0].hostname]
    assert f"{TASKS}.going_to_sleep" in workers[0]["registered"]
    assert workers[0]["queues"] == [{"name": world.queue, "exchange": world.queue, "exchange_type": "direct",
                                     "routing_key": world.queue}]
    text = devkit("load", "celery", "--inspect", "-b", BROKER, "--control-exchange", world.control)
    assert text.returncode == 0 and f"    {TASKS}.add" in text.stdout and f"queue {world.queue}" in text.stdout
    nobody = devkit("load", "celery", "--inspect", "-b", BROKER, "--control-exchange", world.control + "-none")
    assert nobody.returncode == 1 and "no Celery worker answered" in nobody.stderr


def test_library_api(world):
    cfg = CeleryLoadConfig(task=f"{TASKS}.add", args=[4, 5], broker=BROKER, queue=world.queue, count=20,
                           events_exchange=world.events, control_exchange=world.control, control_timeout=0.5)
    seen = []
    result = run_celery_load(cfg, seen.append)
    assert result.exit_code == 0 and result.succeeded == 20 and result.ok
    assert seen and seen[-1].sent == 20 and seen[0].notes  # progress carries the enable_events note
    info = inspect_workers(BROKER, world.control, 0.5)
    assert [w.hostname for w in info] == [world.workers[0].hostname]


def test_logs_trace_finds_a_task_in_the_worker_log_by_its_id(world):
    import json

    from click.testing import CliRunner

    from devkit.cli import cli

    ok = report(run(world, f"{TASKS}.add", "--args", "[20, 22]", "-n", "2"))
    bad = report(run(world, f"{TASKS}.boom", "-n", "2"))
    log = str(world.workers[0].log)
    trace = CliRunner().invoke(cli, ["logs", "trace", ok["last_task_id"], log, "--tz", "UTC", "--json"])
    assert trace.exit_code == 0, trace.output
    events = [json.loads(line) for line in trace.stdout.splitlines() if line.startswith("{")]
    assert [e["message"].split("] ", 1)[1] for e in events] == ["received", events[1]["message"].split("] ", 1)[1]]
    assert events[1]["message"].endswith(": 42") and " succeeded in " in events[1]["message"]
    assert all(e["correlation_id"] == ok["last_task_id"] for e in events)
    trace = CliRunner().invoke(cli, ["logs", "trace", bad["first_task_id"], log, "--tz", "UTC", "--json"])
    assert trace.exit_code == 0, trace.output
    events = [json.loads(line) for line in trace.stdout.splitlines() if line.startswith("{")]
    assert len(events) == 2 and "raised unexpected: ValueError('boom')" in events[1]["message"]
    traceback = events[1]["traceback"]
    assert traceback.startswith("Traceback (most recent call last):") and traceback.rstrip().endswith("ValueError: boom")
    assert "devkit_test_tasks.py" in traceback and events[1]["level"] == "ERROR"
