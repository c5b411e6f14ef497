#!/usr/bin/env python
"""Benchmark: `devkit load amqp` against plain pika scripts with the same settings, same run.

Compares, on the local broker, with persistent 100-byte messages and publisher confirms:
  * pika BlockingConnection, one blocking confirm per message (the usual tutorial code)
  * pika SelectConnection with a sliding window of unconfirmed messages (the best plain script),
    with devkit's message settings (correlation_id, send-time header, mandatory) and without
  * devkit, 1 producer on 1 queue, and 2 producers on 2 queues (plus plain pika 2x2 for reference)
and prints each figure and the ratios. Rounds are interleaved so background load hits all alike.

    python benchmarks/amqp_confirms.py [--url URL] [--count 50000] [--rounds 3]

Uses fresh queues named devkit-bench-* and deletes them afterwards.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import time
import uuid

import pika

sys.path.insert(0, __file__.rsplit("/benchmarks/", 1)[0])

from devkit.load import AmqpLoadConfig, run_amqp_load
from devkit.load.amqp_config import SENT_HEADER

BODY = b"x" * 100


def blocking_per_message(url: str, queue: str, count: int) -> float:
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.queue_declare(queue, durable=True)
    channel.confirm_delivery()
    props = pika.BasicProperties(delivery_mode=2)
    start = time.perf_counter()
    for _ in range(count):
        channel.basic_publish("", queue, BODY, props)  # raises if nacked
    elapsed = time.perf_counter() - start
    connection.close()
    return count / elapsed


def windowed(url: str, queue: str, count: int, window: int = 1000, devkit_settings: bool = True) -> float:
    """The best plain-pika publisher: async SelectConnection, window of unconfirmed messages."""
    state = {"sent": 0, "acked": 0, "t0": 0.0, "rate": 0.0}

    def on_open(connection):
        connection.channel(on_open_callback=on_channel)

    def on_channel(channel):
        state["ch"] = channel
        channel.confirm_delivery(on_ack)
        channel.queue_declare(queue, durable=True, callback=lambda _f: start())

    def start():
        state["t0"] = time.perf_counter()
        pump()

    props = pika.BasicProperties(delivery_mode=2)
    run = uuid.uuid4().hex[:8]

    def pump():
        channel = state["ch"]
        while state["sent"] < count and state["sent"] - state["acked"] < window:
            state["sent"] += 1
            if devkit_settings:
                p = pika.BasicProperties(delivery_mode=2, correlation_id=f"{run}.0.{state['sent']}",
                                         headers={SENT_HEADER: time.time_ns()})
                channel.basic_publish("", queue, BODY, p, mandatory=True)
            else:
                channel.basic_publish("", queue, BODY, props)

    def on_ack(frame):
        method = frame.method
        state["acked"] = method.delivery_tag if method.multiple else state["acked"] + 1
        if state["acked"] >= count:
            state["rate"] = count / (time.perf_counter() - state["t0"])
            connection.close()
        else:
            pump()

    connection = pika.SelectConnection(pika.URLParameters(url), on_open_callback=on_open,
                                       on_close_callback=lambda c, e: c.ioloop.stop())
    connection.ioloop.start()
    return state["rate"]


def _windowed_child(url, queue, count, out):
    out.put(windowed(url, queue, count))


def windowed_parallel(url: str, queues: list[str], count: int) -> float:
    """Plain pika, one windowed process per queue, count split between them (wall clock)."""
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    per = count // len(queues)
    procs = [ctx.Process(target=_windowed_child, args=(url, q, per, out)) for q in queues]
    start = time.perf_counter()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - start  # includes process start, unlike devkit's own figure
    rates = [out.get() for _ in procs]
    return min(rates) * len(queues) if all(rates) else per * len(queues) / elapsed


def devkit_rate(url: str, queues: list[str], count: int, producers: int) -> float:
    result = run_amqp_load(AmqpLoadConfig(url=url, queues=queues, count=count, producers=producers))
    if not result.ok:
        raise SystemExit(f"devkit run failed: {result.errors}")
    return result.rate


def delete(url: str, queues: list[str]) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    for q in queues:
        channel.queue_delete(q)
    connection.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="amqp://guest:guest@127.0.0.1:5672/%2F")
    ap.add_argument("--count", type=int, default=50000, help="messages per windowed/devkit run")
    ap.add_argument("--blocking-count", type=int, default=5000, help="messages for the blocking run")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    names = {
        "blocking": "pika blocking, confirm per message",
        "plain": "pika async window 1000 (devkit's settings)",
        "plain_min": "pika async window 1000 (bare properties)",
        "devkit1": "devkit, 1 producer, 1 queue",
        "plain2": "pika async, 2 processes, 2 queues",
        "devkit2": "devkit, 2 producers, 2 queues",
    }
    results: dict[str, list[float]] = {k: [] for k in names}
    tag = uuid.uuid4().hex[:8]
    created: list[str] = []

    def q(label: str) -> str:
        name = f"devkit-bench-{tag}-{label}-{len(created)}"
        created.append(name)
        return name

    try:
        for r in range(args.rounds):
            results["blocking"].append(blocking_per_message(args.url, q("blk"), args.blocking_count))
            results["plain"].append(windowed(args.url, q("win"), args.count))
            results["devkit1"].append(devkit_rate(args.url, [q("dk")], args.count, 1))
            results["plain_min"].append(windowed(args.url, q("winmin"), args.count, devkit_settings=False))
            two = [q("p2a"), q("p2b")]
            results["plain2"].append(windowed_parallel(args.url, two, args.count * 2))
            results["devkit2"].append(devkit_rate(args.url, [q("dk2a"), q("dk2b")], args.count * 2, 2))
            delete(args.url, created)
            print(f"round {r + 1}: " + "  ".join(f"{k}={v[-1]:,.0f}" for k, v in results.items()), flush=True)
    finally:
        delete(args.url, created)

    print(f"\n{'publisher':48} {'best':>10} {'median':>10}  msgs/s (persistent, 100 B, confirmed)")
    for key, label in names.items():
        values = results[key]
        print(f"{label:48} {max(values):>10,.0f} {statistics.median(values):>10,.0f}")

    def ratio(a: str, b: str) -> str:
        best = max(results[a]) / max(results[b])
        med = statistics.median(x / y for x, y in zip(results[a], results[b]))
        return f"best {best:.2f}x, per-round median {med:.2f}x"

    print()
    print(f"devkit 1x1 / plain windowed (same settings): {ratio('devkit1', 'plain')}   (goal >= 0.9x)")
    print(f"devkit 1x1 / plain windowed (bare props):    {ratio('devkit1', 'plain_min')}")
    print(f"devkit 1x1 / blocking per-message confirms:  {ratio('devkit1', 'blocking')}   (goal >= 8x)")
    print(f"devkit 2x2 / plain pika 2 processes:         {ratio('devkit2', 'plain2')}")
    print(f"devkit 1x1 best {max(results['devkit1']):,.0f}/s (goal >= 10k), "
          f"2x2 best {max(results['devkit2']):,.0f}/s (goal >= 15k)")


if __name__ == "__main__":
    main()
