#!/usr/bin/env python
"""Benchmark: `devkit load celery` against Celery's own clients, same broker, same worker, same run.

Two measures, each client in its own process (so its peak RSS is its own):
  * publish: tasks/s put on a queue no worker consumes (devkit: confirmed by the broker)
  * track:   tasks/s from the first task sent to the last one known done, with one real worker
             (solo pool, rpc:// backend) consuming; devkit follows events + rpc replies, the
             Celery clients wait for all results with one ``ResultSet.join_native``
for three clients:
  * devkit load celery (windowed publisher confirms, one process), tracking by events + rpc, and
    with --no-events by rpc replies alone (what the Celery clients track by; a worker sending
    task events does more work per task)
  * a plain `app.send_task` loop (Celery's defaults: no publisher confirms)
  * `apply_async` on one held connection with `confirm_publish` (a blocking confirm per task,
    the Celery way to know the broker has every task)
Rounds are interleaved so background load hits all alike; the best round of each is printed
with the ratios.

    python benchmarks/bench_celery.py [--count 5000] [--rounds 2] [--broker URL]

Uses queues and exchanges named devkit-bench-celery-*, deleted afterwards; the worker is
stopped (its whole process group) whatever happens.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_DIR = ROOT / "tests" / "load" / "celery_app"
TASK = "devkit_test_tasks.add"
CLIENTS = ("devkit", "devkit --no-events", "send_task", "apply_async_confirm")
CELERY_CLIENTS = CLIENTS[2:]


def env_for(world: dict, backend: str | None) -> dict:
    return dict(os.environ, PYTHONPATH=f"{APP_DIR}:{ROOT}", DEVKIT_TEST_BROKER=world["broker"],
                DEVKIT_TEST_QUEUE=world["track"], DEVKIT_TEST_CONTROL=world["control"],
                DEVKIT_TEST_EVENTS=world["events"], DEVKIT_TEST_BACKEND=backend or "")


# ---- the clients (run as child processes) -------------------------------------------------------
def celery_client(kind: str, queue: str, count: int, track: bool) -> dict:
    import devkit_test_tasks as tasks

    app = tasks.app
    if kind == "apply_async_confirm":
        app.conf.broker_transport_options = {"confirm_publish": True}
    results = []
    start = time.perf_counter()
    if kind == "send_task":
        for _ in range(count):
            results.append(app.send_task(TASK, (1, 2), queue=queue))
    else:
        with app.connection_for_write() as connection:
            for _ in range(count):
                results.append(tasks.add.apply_async((1, 2), queue=queue, connection=connection))
    published = time.perf_counter() - start
    out = {"publish_rate": count / published}
    if track:  # the fastest Celery way to wait for many results: one native join over the rpc queue
        from celery.result import ResultSet

        ResultSet(results, app=app).join_native(timeout=300, propagate=False)
        out["track_rate"] = count / (time.perf_counter() - start)
    return out


def _rusage_run(cmd, env) -> tuple[int, bytes, bytes, float, float]:
    """Run *cmd*; its exit code, stdout, stderr, peak RSS in MB and CPU seconds (from wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=ROOT)
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return proc.returncode, out.read(), err.read(), usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def measure(world: dict, kind: str, queue: str, count: int, track: bool) -> dict:
    if kind.startswith("devkit"):
        cmd = [sys.executable, "-P", "-m", "devkit", "load", "celery", TASK, "--args", "[1, 2]", "-n", str(count),
               "-b", world["broker"], "-Q", queue, "--control-exchange", world["control"],
               "--events-exchange", world["events"], "--json", *kind.split()[1:]]
        cmd += ["--result-backend", "rpc://", "--wait", "300s"] if track else ["--wait", "0.1s", "--no-enable-events"]
    else:
        cmd = [sys.executable, __file__, "--client", kind, "--queue", queue, "--count", str(count)]
        cmd += ["--track"] if track else []
    code, out, err, rss, cpu = _rusage_run(cmd, env_for(world, "rpc://" if track else None))
    if not out.strip():
        raise SystemExit(f"{kind} failed ({code}): {err.decode()[-800:]}")
    doc = json.loads(out.decode().strip().splitlines()[-1])
    if kind.startswith("devkit"):
        if track and doc["succeeded"] != count:
            raise SystemExit(f"devkit tracked {doc['succeeded']} of {count}: {err.decode()[-800:]}")
        doc = {"publish_rate": doc["rate"], "track_rate": doc["completed_rate"] if track else None}
    doc["rss_mb"] = rss
    doc["cpu_ms_per_task"] = cpu * 1000 / count  # the client's own CPU, start-up included
    return doc


# ---- the broker side -----------------------------------------------------------------------------
def pika_channel(broker: str):
    import pika

    sys.path.insert(0, str(ROOT))
    from devkit.load.celery.broker import parameters

    connection = pika.BlockingConnection(parameters(broker, "devkit-bench-celery"))
    return connection, connection.channel()


def start_worker(world: dict, log: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "celery", "-A", "devkit_test_tasks", "worker", "--pool", "solo", "-n",
           f"bench-{world['run']}@%h", "-Q", world["track"], "--without-gossip", "--without-mingle",
           f"--logfile={log}", "--loglevel=WARNING"]
    proc = subprocess.Popen(cmd, cwd=APP_DIR, env=env_for(world, "rpc://"), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    sys.path.insert(0, str(ROOT))
    from devkit.load.celery import inspect_workers

    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the worker exited ({proc.returncode}); see {log}")
        with contextlib.suppress(Exception):
            if inspect_workers(world["broker"], world["control"], 0.3):
                return proc
        time.sleep(0.3)
    raise SystemExit("the worker did not answer within 60 s")


def stop_worker(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # whatever is left in its group
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--broker", default="amqp://guest:guest@127.0.0.1:5672//")
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--client", choices=CELERY_CLIENTS, help=argparse.SUPPRESS)
    parser.add_argument("--queue", help=argparse.SUPPRESS)
    parser.add_argument("--track", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        print(json.dumps(celery_client(args.client, args.queue, args.count, args.track)))
        return

    run = uuid.uuid4().hex[:8]
    world = {"run": run, "broker": args.broker, "track": f"devkit-bench-celery-{run}",
             "publish": f"devkit-bench-celery-pub-{run}", "control": f"devkit-bench-celery-ctl-{run}",
             "events": f"devkit-bench-celery-ev-{run}"}
    log = Path(f"/tmp/devkit-bench-celery-{run}.log")
    connection, channel = pika_channel(args.broker)
    channel.queue_declare(world["publish"], durable=True)  # as Celery declares it; nobody consumes it
    worker = start_worker(world, log)
    best: dict[tuple[str, str], dict] = {}
    try:
        for round_no in range(1, args.rounds + 1):
            for kind in CLIENTS:
                for mode, queue in (("publish", world["publish"]), ("track", world["track"])):
                    if mode == "publish" and kind == "devkit --no-events":
                        continue  # publishes exactly as devkit does
                    doc = measure(world, kind, queue, args.count, mode == "track")
                    rate = doc["track_rate" if mode == "track" else "publish_rate"]
                    print(f"round {round_no}: {kind:<20} {mode:<8} {rate:>9,.0f} tasks/s  peak RSS {doc['rss_mb']:.0f} MB"
                          f"  CPU {doc['cpu_ms_per_task']:.3f} ms/task", flush=True)
                    key = (kind, mode)
                    if key not in best or rate > best[key]["rate"]:
                        best[key] = {"rate": rate, "rss_mb": doc["rss_mb"], "cpu": doc["cpu_ms_per_task"]}
                    if mode == "publish":
                        channel.queue_purge(world["publish"])
    finally:
        stop_worker(worker)
        for queue in (world["publish"], world["track"]):
            with contextlib.suppress(Exception):
                channel.queue_delete(queue)
        for exchange in (world["track"], world["publish"], world["events"], f"{world['control']}.pidbox",
                         f"reply.{world['control']}.pidbox"):
            with contextlib.suppress(Exception):
                connection.channel().exchange_delete(exchange)
        connection.close()
        log.unlink(missing_ok=True)

    print(f"\n{args.count:,} tasks of {TASK}, best of {args.rounds} rounds, one solo-pool worker")
    print(f"{'client':<22}{'publish tasks/s':>16}{'tracked tasks/s':>17}{'peak RSS':>10}{'CPU ms/task (track)':>21}")
    for kind in CLIENTS:
        pub, trk = best.get((kind, "publish")), best[(kind, "track")]
        rss = max(pub["rss_mb"] if pub else 0, trk["rss_mb"])
        publish = f"{pub['rate']:,.0f}" if pub else "(as devkit)"
        print(f"{kind:<22}{publish:>16}{trk['rate']:>17,.0f}{rss:>8.0f} MB{trk['cpu']:>21.3f}")
    dk_pub = best[("devkit", "publish")]["rate"]
    for kind in CELERY_CLIENTS:
        print(f"devkit / {kind}: publish {dk_pub / best[(kind, 'publish')]['rate']:.2f}x, tracked "
              f"{best[('devkit', 'track')]['rate'] / best[(kind, 'track')]['rate']:.2f}x with events, "
              f"{best[('devkit --no-events', 'track')]['rate'] / best[(kind, 'track')]['rate']:.2f}x without")
    print("(the machine may be shared: compare the ratios, which come from interleaved rounds)")


if __name__ == "__main__":
    main()
