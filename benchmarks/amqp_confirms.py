#!/usr/bin/env python
"""Benchmark: `devkit load amqp` against plain pika scripts with the same settings, same run.

Compares, on the local broker, with persistent 100-byte messages and publisher confirms:
  * pika BlockingConnection, one blocking confirm per message (the usual tutorial code)
  * pika SelectConnection with a sliding window of unconfirmed messages (the best plain script),
    with devkit's message settings (correlation_id, send-time header, mandatory) and without
  * devkit, 1 producer on 1 queue, and 2 producers on 2 queues (plus plain pika 2x2 for reference)
and prints each figure and the ratios. Rounds are interleaved so background load hits all alike.

With --consume it measures consumers instead: a queue prefilled with --count confirmed messages
(devkit's properties) is drained by
  * pika SelectConnection, prefetch 1000, basic.ack(multiple) every 250 messages (the usual code)
  * the same plus a basic.qos round trip after each ack batch (what proves an ack was applied)
  * devkit's consumer process (the one `load amqp --consume` runs), until it reports all received

    python benchmarks/amqp_confirms.py [--url URL] [--count 50000] [--rounds 3] [--consume]

Uses fresh queues named devkit-bench-* and deletes them afterwards.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
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


def windowed(url: str, queue: str, count: int, window: int = 1000, devkit_settings: bool = True,
             run: str | None = None) -> float:
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
    run = run or uuid.uuid4().hex[:8]

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


def plain_consume(url: str, queue: str, count: int, prefetch: int = 1000, prove: bool = False) -> float:
    """Plain pika consumer, msgs/s from Consume-Ok to the last ack (with *prove*: to its QosOk).

    It acks with multiple=True every prefetch/4 messages; with *prove* each ack is followed by a
    basic.qos round trip and the next ack waits for its answer, as devkit's consumer does.
    """
    every = max(1, prefetch // 4)
    state = {"got": 0, "unacked": 0, "tag": 0, "t0": 0.0, "rate": 0.0, "syncing": False}

    def on_open(connection):
        connection.channel(on_open_callback=on_channel)

    def on_channel(channel):
        state["ch"] = channel
        channel.basic_qos(prefetch_count=prefetch, callback=lambda _f: channel.basic_consume(
            queue, on_message, callback=lambda _f: state.update(t0=time.perf_counter())))

    def ack():
        channel = state["ch"]
        channel.basic_ack(state["tag"], multiple=True)
        state["unacked"] = 0
        if prove:
            state["syncing"] = True
            channel.basic_qos(prefetch_count=prefetch, callback=on_proof)
        elif state["got"] >= count:
            done()

    def on_proof(_frame):
        state["syncing"] = False
        if state["unacked"] >= every or (state["unacked"] and state["got"] >= count):
            ack()
        elif state["got"] >= count:
            done()

    def done():
        state["rate"] = count / (time.perf_counter() - state["t0"])
        connection.close()

    def on_message(_channel, method, _props, _body):
        state["got"] += 1
        state["unacked"] += 1
        state["tag"] = method.delivery_tag
        if (state["unacked"] >= every or state["got"] >= count) and not state["syncing"]:
            ack()

    connection = pika.SelectConnection(pika.URLParameters(url), on_open_callback=on_open,
                                       on_close_callback=lambda c, e: c.ioloop.stop())
    connection.ioloop.start()
    return state["rate"]


def devkit_consume(url: str, queue: str, count: int, run: str) -> float:
    """devkit's consumer process on a prefilled queue: msgs/s from ready to all counted received."""
    from devkit.load import amqp_shared as S
    from devkit.load.amqp_consumer import consumer_main

    ctx = mp.get_context("fork")
    row = ctx.RawArray("q", 2 * S.ROW)  # row 0: the (finished) producer, row 1: the consumer
    control = ctx.RawArray("d", S.CONTROL_SIZE)
    row[S.SENT] = count
    control[S.PRODUCERS_DONE] = 1
    cfg = AmqpLoadConfig(url=url, queue=queue, count=count, consume=True, run_id=run)
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=consumer_main, args=(cfg, S.ConsumerSpec(1, queue, [0]), row, control, send))
    proc.start()
    send.close()
    base = S.ROW
    while row[base + S.STATE] == S.STARTING and proc.is_alive():
        time.sleep(0.0005)
    t0 = time.perf_counter()
    while row[base + S.RECEIVED] < count and proc.is_alive():
        time.sleep(0.0005)
    elapsed = time.perf_counter() - t0
    report = recv.recv()
    proc.join()
    if row[base + S.RECEIVED] < count or report.error:
        raise SystemExit(f"devkit consumer got {row[base + S.RECEIVED]} of {count}: {report.error}")
    return count / elapsed


def consume_main(args) -> None:
    names = {
        "plain": "pika async, ack every 250 (nothing proven)",
        "proven": "pika async, ack every 250 + basic.qos proof",
        "devkit": "devkit consumer (load amqp --consume)",
    }
    results: dict[str, list[float]] = {k: [] for k in names}
    tag = uuid.uuid4().hex[:8]
    created: list[str] = []
    try:
        for r in range(args.rounds):
            for key in names:
                queue = f"devkit-bench-{tag}-consume-{key}-{r}"
                created.append(queue)
                run = uuid.uuid4().hex[:12]
                windowed(args.url, queue, args.count, run=run)
                if key == "devkit":
                    results[key].append(devkit_consume(args.url, queue, args.count, run))
                else:
                    results[key].append(plain_consume(args.url, queue, args.count, prove=key == "proven"))
            delete(args.url, created)
            print(f"round {r + 1}: " + "  ".join(f"{k}={v[-1]:,.0f}" for k, v in results.items()), flush=True)
    finally:
        delete(args.url, created)
    print_table("consumer", f"msgs/s drained ({args.count:,} persistent, 100 B)", names, results)
    for a, b in (("proven", "plain"), ("devkit", "plain"), ("devkit", "proven")):
        print(f"{names[a]} / {names[b]}: {ratio(results, a, b)}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS of a devkit consumer process: {peak:.1f} MiB")


def print_table(kind: str, unit: str, names: dict[str, str], results: dict[str, list[float]]) -> None:
    print(f"\n{kind:48} {'best':>10} {'median':>10}  {unit}")
    for key, label in names.items():
        print(f"{label:48} {max(results[key]):>10,.0f} {statistics.median(results[key]):>10,.0f}")


def ratio(results: dict[str, list[float]], a: str, b: str) -> str:
    """a against b, best of each and the median of the per-round ratios (rounds share background load)."""
    best = max(results[a]) / max(results[b])
    med = statistics.median(x / y for x, y in zip(results[a], results[b]))
    return f"best {best:.2f}x, per-round median {med:.2f}x"


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
    ap.add_argument("--consume", action="store_true", help="measure consumers on a prefilled queue instead")
    args = ap.parse_args()
    if args.consume:
        return consume_main(args)

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

    print_table("publisher", "msgs/s (persistent, 100 B, confirmed)", names, results)
    print()
    print(f"devkit 1x1 / plain windowed (same settings): {ratio(results, 'devkit1', 'plain')}   (goal >= 0.9x)")
    print(f"devkit 1x1 / plain windowed (bare props):    {ratio(results, 'devkit1', 'plain_min')}")
    print(f"devkit 1x1 / blocking per-message confirms:  {ratio(results, 'devkit1', 'blocking')}   (goal >= 8x)")
    print(f"devkit 2x2 / plain pika 2 processes:         {ratio(results, 'devkit2', 'plain2')}")
    print(f"devkit 1x1 best {max(results['devkit1']):,.0f}/s (goal >= 10k), "
          f"2x2 best {max(results['devkit2']):,.0f}/s (goal >= 15k)")


if __name__ == "__main__":
    main()
