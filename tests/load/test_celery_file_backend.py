"""The blog's stack: a worker with the file result backend and task_track_started, a task
with a custom state; devkit reads the result files (with or without events)."""

from __future__ import annotations

import json

import pytest
from celery_support import devkit, make_world, report

TASKS = "devkit_test_tasks"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = make_world(tmp_path_factory)
    w.results = w.tmp / "results"
    w.results.mkdir()
    try:
        w.start("files", backend=f"file://{w.results}")
        yield w
    finally:
        w.cleanup()


def test_custom_states_and_results_from_the_file_backend_alone(world):
    backend = f"file://{world.results}"
    proc = devkit("load", "celery", f"{TASKS}.going_to_sleep", "--args", "[0.4]", "-n", "3", "--no-events",
                  "--result-backend", backend, *world.args(), "--json")
    assert proc.returncode == 0, proc.stderr
    doc = report(proc)
    assert (doc["sent"], doc["succeeded"], doc["started"], doc["unfinished"]) == (3, 3, 3, 0)
    assert doc["custom_states"] == {"GOING_TO_SLEEP": 3}
    assert doc["run_time_ms"]["p50"] is not None and doc["e2e_latency_ms"]["p50"] >= 400
    meta = json.loads((world.results / f"celery-task-meta-{doc['first_task_id']}").read_text())
    assert meta["status"] == "SUCCESS" and meta["result"] == 0.4


def test_failures_from_the_file_backend_with_events_too(world):
    proc = devkit("load", "celery", f"{TASKS}.boom", "-n", "2", "--result-backend", f"file://{world.results}",
                  *world.args(), "--json")
    assert proc.returncode == 1, proc.stderr
    doc = report(proc)
    assert doc["failed"] == 2 and doc["failures"]["ValueError"]["count"] == 2
    assert "ValueError: boom" in doc["failures"]["ValueError"]["traceback"]
    assert doc["workers"] == {world.workers[0].hostname: {"received": 2, "failed": 2}}


def test_a_missing_result_folder_is_a_usage_error(world):
    proc = devkit("load", "celery", f"{TASKS}.add", "-n", "1", "--result-backend", f"file://{world.results}/nope",
                  *world.args())
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"devkit: error: --result-backend directory {world.results}/nope does not exist"
