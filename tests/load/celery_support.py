"""Real Celery workers for the ``load celery`` tests (a uniquely named helper module).

Every test run gets its own queue, control exchange, events exchange and worker names, so
runs never meet on the shared broker; all of them are deleted afterwards. Workers run in
their own session with a parent-death signal, and are killed by process group when the
fixture ends, so none outlives the tests, even when a test fails or pytest is killed.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from load_support import close_broker_connections
from services import missing_service, require_rabbitmq

APP_DIR = Path(__file__).resolve().parent / "celery_app"
BROKER = "amqp://guest:guest@127.0.0.1:5672//"
READY_TIMEOUT = 60.0


def _die_with_parent() -> None:
    """In the worker (before exec): SIGKILL it if the test process dies first."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Worker:
    def __init__(self, world: "World", name: str, backend: str | None, prefetch: int) -> None:
        self.world = world
        self.hostname_prefix = f"{name}-{world.run}"
        self.log = world.tmp / f"{name}.log"
        env = dict(os.environ, PYTHONPATH=str(APP_DIR), DEVKIT_TEST_BROKER=BROKER, DEVKIT_TEST_QUEUE=world.queue,
                   DEVKIT_TEST_CONTROL=world.control, DEVKIT_TEST_EVENTS=world.events,
                   DEVKIT_TEST_BACKEND=backend or "", DEVKIT_TEST_PREFETCH=str(prefetch))
        env.pop("CELERY_BROKER_URL", None)
        env.pop("CELERY_RESULT_BACKEND", None)
        cmd = [sys.executable, "-m", "celery", "-A", "devkit_test_tasks", "worker", "--pool", "solo",
               "-n", f"{self.hostname_prefix}@%h", "-Q", world.queue, "--without-gossip", "--without-mingle",
               f"--logfile={self.log}", "--loglevel=INFO"]
        self.out = open(world.tmp / f"{name}.out", "wb")
        self.proc = subprocess.Popen(cmd, cwd=APP_DIR, env=env, stdout=self.out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=_die_with_parent)
        self.hostname: str | None = None

    def wait_ready(self) -> "Worker":
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            for line in self.text().splitlines():
                if line.endswith(" ready.") and self.hostname_prefix in line:
                    self.hostname = line.rsplit(" ", 2)[-2]
                    return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        output = (self.world.tmp / f"{Path(self.log).stem}.out").read_text(errors="replace")[-2000:]
        pytest.fail(f"celery worker did not start (exit {self.proc.returncode}):\n{output}", pytrace=False)

    def text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def count(self, needle: str) -> int:
        return self.text().count(needle)

    def kill(self) -> None:
        """SIGKILL the whole process group: nothing acks, nothing flushes."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # anything left in its group
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=15)
        self.out.close()


class World:
    """One test module's private corner of the broker, and the workers in it."""

    def __init__(self, tmp: Path) -> None:
        self.run = uuid.uuid4().hex[:8]
        self.tmp = tmp
        self.queue = f"devkit-test-celery-{self.run}"
        self.control = f"devkit-test-ctl-{self.run}"
        self.events = f"devkit-test-ev-{self.run}"
        self.workers: list[Worker] = []
        self.extra_queues: list[str] = []

    def start(self, name: str = "w", backend: str | None = "rpc://", prefetch: int = 4) -> Worker:
        worker = Worker(self, name, backend, prefetch)
        self.workers.append(worker)
        return worker.wait_ready()

    def new_queue(self, label: str) -> str:
        name = f"devkit-test-celery-{label}-{self.run}-{uuid.uuid4().hex[:6]}"
        self.extra_queues.append(name)
        return name

    def args(self, *more: str) -> list[str]:
        """The CLI options that point devkit at this world."""
        return ["-b", BROKER, "-Q", self.queue, "--control-exchange", self.control,
                "--events-exchange", self.events, "--control-timeout", "0.5s", *more]

    def cleanup(self) -> None:
        for worker in self.workers:
            worker.stop()
        import pika

        connection = pika.BlockingConnection(pika.URLParameters("amqp://guest:guest@127.0.0.1:5672/%2F"))
        try:
            for queue in [self.queue, *self.extra_queues]:
                with contextlib.suppress(Exception):
                    connection.channel().queue_delete(queue)
            for exchange in [self.queue, *self.extra_queues, self.events, f"{self.control}.pidbox",
                             f"reply.{self.control}.pidbox"]:
                with contextlib.suppress(Exception):
                    connection.channel().exchange_delete(exchange)
        finally:
            connection.close()


def make_world(tmp_path_factory) -> World:
    require_rabbitmq()
    try:
        import celery  # noqa: F401
    except ImportError:
        missing_service("celery is not installed (pip install -e '.[test]')")
    return World(tmp_path_factory.mktemp("celery"))


def worker_world(name: str, backend: str | None = "rpc://", scope: str = "module", workers: int = 1, **options):
    """A fixture: a private world with *workers* running workers (``name``, ``name-2``, ...)."""

    @pytest.fixture(scope=scope)
    def world(tmp_path_factory):
        w = make_world(tmp_path_factory)
        try:
            for k in range(workers):
                w.start(name if k == 0 else f"{name}-{k + 1}", backend=backend, **options)
            yield w
        finally:
            w.cleanup()

    return world


@contextlib.contextmanager
def running(*args: str, **kwargs):
    """``devkit ARGS`` in the background (pipes for stdout/stderr); killed if still there after."""
    proc = subprocess.Popen([sys.executable, "-m", "devkit", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, stdin=subprocess.DEVNULL, **kwargs)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                if kwargs.get("start_new_session"):
                    os.killpg(proc.pid, signal.SIGKILL)
                else:
                    proc.kill()
            proc.wait()


def devkit(*args: str, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    """``devkit ARGS`` as a real process (signals, exit codes, stdout/stderr apart)."""
    return subprocess.run([sys.executable, "-m", "devkit", *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, **kwargs)


def report(proc) -> dict:
    """The --json report a run printed."""
    assert proc.stdout.strip(), proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def close_connections(run_id: str, roles: tuple[str, ...], timeout: float = 20.0) -> int:
    """Close, server side, only the connections of one devkit run (named after its run ID and
    their role: control, tracker, publisher N), once one of each role is up."""
    return close_broker_connections([f"devkit-load-celery {run_id} {role}" for role in roles], len(roles), timeout)
