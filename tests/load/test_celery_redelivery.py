"""A worker killed mid-run: its unacknowledged tasks are redelivered to the other worker,
and devkit counts every task exactly once: none twice, none lost."""

from __future__ import annotations

import json
import re
import time

from celery_support import running, worker_world

TASKS = "devkit_test_tasks"
COUNT = 24
_ID = r"\[([0-9a-f-]{36})\]"


world = worker_world("doomed", backend="rpc://", scope="function", workers=2, prefetch=4)


def _ids(worker, what: str) -> list[str]:
    return re.findall(_ID + " " + what, worker.text())


def test_killed_worker_tasks_are_redelivered_and_counted_once(world):
    doomed, survivor = world.workers
    args = ["load", "celery", f"{TASKS}.slow", "--args", "[0.15]", "-n", str(COUNT), "--result-backend", "rpc://",
            "--wait", "60s", *world.args(), "--json"]
    with running(*args) as proc:
        deadline = time.monotonic() + 60
        while doomed.count("] succeeded in") < 3:
            assert time.monotonic() < deadline, "the first worker never got going"
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.02)
        doomed.kill()  # mid-task: its running task and its prefetched ones were never acked
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    doc = json.loads(out.strip().splitlines()[-1])

    # What really happened, from the workers' own logs.
    doomed_got, doomed_done = set(_ids(doomed, "received")), set(_ids(doomed, "succeeded"))
    survivor_got, survivor_done = _ids(survivor, "received"), _ids(survivor, "succeeded")
    assert doomed_got & set(survivor_got), "nothing the doomed worker held came back: no redelivery happened"
    assert (doomed_got - doomed_done) <= set(survivor_done)  # everything it did not finish, the survivor did
    assert doomed_done | set(survivor_done) == {doc["first_task_id"][:24] + f"{i:012x}" for i in range(COUNT)}
    ran_twice = doomed_done & set(survivor_done)

    # devkit's account: each task once, although some were received (and maybe run) twice.
    assert (doc["sent"], doc["confirmed"], doc["received"], doc["started"], doc["succeeded"]) == (COUNT,) * 5
    assert (doc["failed"], doc["unfinished"], doc["ok"]) == (0, 0, True)
    assert doc["ran_again"] <= len(ran_twice) and doc["redelivered"] <= len(doomed_got)
    credited = doc["workers"]
    assert sum(w.get("succeeded", 0) for w in credited.values()) <= COUNT
    assert credited[survivor.hostname]["succeeded"] >= len(set(survivor_done) - doomed_got)
