"""The Celery app the load-celery tests run a real worker with (``celery -A devkit_test_tasks``).

Everything that must be unique per test run (queue, control and event exchanges, result
backend) comes from the environment, so parallel runs on the shared broker never meet.
It is the blog's stack: ``task_track_started``, a custom state, an optional file backend.
"""

from __future__ import annotations

import os
import time

from celery import Celery

app = Celery("devkit_test", broker=os.environ.get("DEVKIT_TEST_BROKER", "amqp://guest:guest@127.0.0.1:5672//"))
app.conf.update(
    task_track_started=True,
    result_backend=os.environ.get("DEVKIT_TEST_BACKEND") or None,
    task_default_queue=os.environ.get("DEVKIT_TEST_QUEUE", "celery"),
    control_exchange=os.environ.get("DEVKIT_TEST_CONTROL", "celery"),
    event_exchange=os.environ.get("DEVKIT_TEST_EVENTS", "celeryev"),
    worker_prefetch_multiplier=int(os.environ.get("DEVKIT_TEST_PREFETCH", "4")),
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=True,
    result_expires=None,
)


@app.task
def add(x, y):
    return x + y


@app.task
def boom(message="boom"):
    raise ValueError(message)


@app.task(bind=True, max_retries=3)
def flaky(self, failures=2):
    """Fails ``failures`` times with a retry, then succeeds (retries past 3 fail for good)."""
    if self.request.retries < failures:
        raise self.retry(exc=ConnectionError(f"attempt {self.request.retries + 1} failed"), countdown=0.05)
    return self.request.retries


@app.task(bind=True)
def going_to_sleep(self, seconds=0.5):
    """The blog's custom state: visible in the result backend while the task sleeps."""
    self.update_state(state="GOING_TO_SLEEP", meta={"seconds": seconds})
    time.sleep(seconds)
    return seconds


@app.task(acks_late=True, reject_on_worker_lost=True)
def slow(seconds=0.2):
    """Acked only once done: a worker killed mid-run leaves it to be redelivered."""
    time.sleep(seconds)
    return seconds
