"""``devkit load amqp``: fire persistent messages at RabbitMQ like PerfTest, count every one.

The parent process checks the broker and declares the queues, then runs one OS process per
producer (each with its own connection) and, with ``consume``, one per queue. Workers write
their counts into a shared array as acks arrive, so the totals here are exact even if a worker
dies, and a message is only ever counted as confirmed after the broker said so.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import wait as mp_wait

from devkit.errors import InputError, ServiceError
from devkit.load import amqp_shared as S
from devkit.load.amqp_config import AmqpLoadConfig
from devkit.load.stats import percentiles_ms, samples_from_bytes
from devkit.load.verdict import ExitVerdict

READY_TIMEOUT = 30.0
PROGRESS_INTERVAL = 0.1  # the progress callback runs at most 10 times a second


@dataclass
class AmqpProgress:
    """A live snapshot handed to the progress callback."""

    elapsed_s: float
    sent: int
    confirmed: int
    nacked: int
    returned: int
    received: int
    target: int | None  # total messages in count mode
    duration: float | None
    rate: float  # recent messages/s (confirmed with confirms, else sent)
    confirm: bool
    consume: bool


@dataclass
class AmqpLoadResult(ExitVerdict):
    """The exact account of a run; ``to_dict()`` is the ``--json`` document."""

    requested: int | None
    sent: int
    confirmed: int | None
    nacked: int
    returned: int
    unconfirmed: int | None
    elapsed_s: float
    rate: float
    confirm_latency_ms: dict
    confirm: bool
    consume: bool
    queues: list[str]
    producers: list[dict]
    received: int | None = None  # the broker proved it applied their acks: gone from the queue
    ack_unsettled: int | None = None  # acked as the connection ended, unproven: consumed or requeued
    lost: int | None = None
    foreign: int | None = None
    duplicates: int | None = None
    e2e_latency_ms: dict | None = None
    errors: list[str] = field(default_factory=list)
    connection_error: bool = False
    interrupted: bool = False
    stopped_by: str | None = None  # "Ctrl-C" or "SIGTERM" when interrupted
    left_in_queues: dict[str, int] | None = None  # messages waiting in each queue after the run

    shortfall_counts = (("nacked", "nacked"), ("returned", "returned"), ("unconfirmed", "unconfirmed"),
                        ("lost", "lost"))
    verdict_lead = "not every message made it"

    @property
    def ok(self) -> bool:
        """True when every message was confirmed (and received with ``consume``)."""
        if self.errors or self.interrupted:
            return False
        if self.requested is not None and self.sent < self.requested:
            return False
        if self.confirm and (self.nacked or self.returned or self.unconfirmed):
            return False
        return not (self.consume and (self.lost or (self.received or 0) < (self.confirmed if self.confirm else self.sent)))

    def to_dict(self) -> dict:
        out = {
            "sent": self.sent,
            "confirmed": self.confirmed,
            "nacked": self.nacked,
            "returned": self.returned,
            "unconfirmed": self.unconfirmed,
            "elapsed_s": round(self.elapsed_s, 3),
            "rate": round(self.rate, 1),
            "confirm_latency_ms": self.confirm_latency_ms,
        }
        if self.consume:
            out["received"] = self.received
            out["ack_unsettled"] = self.ack_unsettled
            out["lost"] = self.lost
            out["e2e_latency_ms"] = self.e2e_latency_ms
            out["foreign"] = self.foreign
            out["duplicates"] = self.duplicates
        out.update(
            {
                "requested": self.requested,
                "confirm": self.confirm,
                "queues": self.queues,
                "producers": self.producers,
                "errors": self.errors,
                "interrupted": self.interrupted,
                "stopped_by": self.stopped_by,
                "left_in_queues": self.left_in_queues,
                "ok": self.ok,
            }
        )
        return out


# ---- preflight ---------------------------------------------------------------------------------
def _blocking_connection(cfg: AmqpLoadConfig, name: str):
    """One blocking connection from the parent, or a one-line ServiceError (exit 2)."""
    import pika

    try:
        params = S.connection_parameters(pika, cfg.connect_url, cfg.connect_timeout, name)
    except (ValueError, TypeError) as exc:
        raise InputError(f"bad --url {cfg.safe_url}: {exc}") from None
    params.blocked_connection_timeout = 10
    return S.connect_blocking(params, cfg.safe_url, cfg.connect_timeout)


def _preflight(cfg: AmqpLoadConfig) -> None:
    """Connect once in the parent: clear errors (exit 2) before any worker is started."""
    import pika.exceptions as pex

    from devkit.load.amqp_shared import describe_reason as _describe

    connection = _blocking_connection(cfg, f"devkit-load {cfg.run_id} preflight")
    try:
        channel = connection.channel()
        if cfg.exchange:
            try:
                channel.exchange_declare(cfg.exchange, passive=True)
            except pex.ChannelClosedByBroker as exc:
                raise ServiceError(f"exchange {cfg.exchange!r} on {cfg.safe_url}: {_describe(exc)}") from None
        for queue in cfg.target_queues():
            try:
                channel.queue_declare(queue, durable=True, passive=cfg.passive)
            except pex.ChannelClosedByBroker as exc:
                hint = " (drop --passive to declare it)" if cfg.passive and exc.reply_code == 404 else ""
                raise ServiceError(f"queue {queue!r} on {cfg.safe_url}: {_describe(exc)}{hint}") from None
            if channel.is_closed:
                channel = connection.channel()
    except pex.AMQPError as exc:
        raise ServiceError(f"RabbitMQ at {cfg.safe_url}: {_describe(exc)}") from None
    finally:
        with contextlib.suppress(pex.AMQPError, OSError):
            if connection.is_open:
                connection.close()


# ---- planning ----------------------------------------------------------------------------------
def plan(cfg: AmqpLoadConfig) -> tuple[list[S.ProducerSpec], list[S.ConsumerSpec]]:
    """Split the run over producers (interleaved deadlines) and one consumer per used queue."""
    queues = cfg.target_queues()
    n = cfg.producers
    producers = []
    for k in range(n):
        queue = queues[k % len(queues)] if queues else None
        producers.append(
            S.ProducerSpec(
                index=k,
                queue=queue,
                routing_key=cfg.routing_key_for(queue),
                count=len(range(k, cfg.count, n)) if cfg.count is not None else None,
                rate=cfg.rate / n if cfg.rate else None,
                offset=k / cfg.rate if cfg.rate else 0.0,
            )
        )
    consumers = []
    if cfg.consume:
        for queue in queues:
            mine = [p.index for p in producers if p.queue == queue]
            if mine:
                consumers.append(S.ConsumerSpec(index=n + len(consumers), queue=queue, producers=mine))
    return producers, consumers


# ---- running -----------------------------------------------------------------------------------
def queue_depths(cfg: AmqpLoadConfig) -> dict[str, int] | None:
    """Messages waiting in each target queue now (None if the broker cannot be asked)."""
    import pika.exceptions as pex

    queues = cfg.target_queues()
    if not queues:
        return None
    try:
        connection = _blocking_connection(cfg, f"devkit-load {cfg.run_id} report")
    except ServiceError:
        return None
    depths: dict[str, int] = {}
    try:
        channel = connection.channel()
        for queue in queues:
            try:
                depths[queue] = channel.queue_declare(queue, passive=True).method.message_count
            except pex.ChannelClosedByBroker:  # deleted meanwhile
                channel = connection.channel()
    except pex.AMQPError:
        return depths or None
    finally:
        with contextlib.suppress(pex.AMQPError, OSError):
            if connection.is_open:
                connection.close()
    return depths


def _child(parent_pid: int, target, args, others) -> None:
    S.die_with_parent(parent_pid)
    for conn in others:  # drop inherited pipe ends, so a dead worker shows up as EOF at once
        try:
            conn.close()
        except OSError:
            pass
    target(*args)


class _Run:
    def __init__(self, cfg: AmqpLoadConfig, progress: Callable[[AmqpProgress], None] | None) -> None:
        self.cfg = cfg
        self.progress = progress
        self.producers, self.consumers = plan(cfg)
        self.n_workers = len(self.producers) + len(self.consumers)
        ctx = mp.get_context("fork")
        self.ctx = ctx
        self.row = ctx.RawArray("q", self.n_workers * S.ROW)
        self.control = ctx.RawArray("d", S.CONTROL_SIZE)
        self.go = ctx.Event()
        self.procs: dict[int, mp.process.BaseProcess] = {}
        self.pipes: dict = {}
        self.reports: dict[int, S.WorkerReport | None] = {}
        self.interrupted = False
        self.stopped_by: str | None = None  # "Ctrl-C" or "SIGTERM"
        self.interrupts = 0

    def start(self) -> None:
        from devkit.load.amqp_consumer import consumer_main
        from devkit.load.amqp_producer import producer_main

        pairs = {w: self.ctx.Pipe(duplex=False) for w in range(self.n_workers)}
        all_ends = [end for pair in pairs.values() for end in pair]
        for spec in self.consumers:
            recv, send = pairs[spec.index]
            args = (self.cfg, spec, self.row, self.control, send)
            self._spawn(spec.index, consumer_main, args, [e for e in all_ends if e is not send], recv)
        for spec in self.producers:
            recv, send = pairs[spec.index]
            args = (self.cfg, spec, self.row, self.control, self.go, send)
            self._spawn(spec.index, producer_main, args, [e for e in all_ends if e is not send], recv)
        for _recv, send in pairs.values():
            send.close()

    def _spawn(self, index, target, args, others, recv) -> None:
        proc = self.ctx.Process(target=_child, args=(os.getpid(), target, args, others), daemon=True,
                                name=f"devkit-load-{index}")
        proc.start()
        self.procs[index] = proc
        self.pipes[recv] = index

    def state(self, index: int) -> int:
        return self.row[index * S.ROW + S.STATE]

    def wait_ready(self) -> None:
        """Block until every worker is connected; any failure stops the run before it starts."""
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            self._collect(0.02)
            states = [self.state(i) for i in range(self.n_workers)]
            failed = [i for i in range(self.n_workers) if i in self.reports or not self.procs[i].is_alive()]
            if failed:
                self.abort()
                raise ServiceError(self._first_error() or f"a load worker exited before the start ({self.cfg.safe_url})")
            if all(s == S.READY for s in states):
                return
            if time.monotonic() > deadline:
                self.abort()
                raise ServiceError(f"load workers did not connect to {self.cfg.safe_url} within {READY_TIMEOUT:g}s")

    def abort(self) -> None:
        self.control[S.STOP] = S.STOP_NOW
        self.go.set()
        end = time.monotonic() + 10
        while self.pipes and time.monotonic() < end:
            self._collect(0.1)
        self.reap(0)

    def reap(self, grace: float) -> None:
        """Wait *grace* seconds for the workers, then kill what is left: no worker outlives the run.

        Workers ignore SIGTERM (the parent stops them through the control block), so it is SIGKILL.
        """
        end = time.monotonic() + grace
        for proc in self.procs.values():
            proc.join(timeout=max(0.0, end - time.monotonic()))
        for proc in self.procs.values():
            if proc.is_alive():
                proc.kill()
            proc.join(timeout=5)

    def _first_error(self) -> str | None:
        for index in sorted(self.reports):
            rep = self.reports[index]
            if rep is not None and rep.error:
                return f"{self.cfg.safe_url}: {rep.error}"
        return None

    def _collect(self, timeout: float) -> None:
        if not self.pipes:
            time.sleep(timeout)
            return
        for conn in mp_wait(list(self.pipes), timeout=timeout):
            index = self.pipes.pop(conn)
            try:
                self.reports[index] = conn.recv()
            except (EOFError, OSError):
                self.reports[index] = None  # died without a word: its shared counts still stand
            conn.close()

    def run(self) -> AmqpLoadResult:
        self.control[S.START_AT] = time.monotonic() + 0.02
        self.go.set()
        start = self.control[S.START_AT]
        producer_ids = {p.index for p in self.producers}
        last_progress = 0.0
        history: list[tuple[float, int]] = []
        while self.pipes:
            try:
                self._collect(PROGRESS_INTERVAL / 2)
                if not self.control[S.PRODUCERS_DONE] and producer_ids <= set(self.reports):
                    self.control[S.PRODUCERS_DONE] = 1
                now = time.monotonic()
                if self.progress is not None and now - last_progress >= PROGRESS_INTERVAL:
                    last_progress = now
                    self.progress(self._snapshot(now - start, history))
            except KeyboardInterrupt as exc:
                self.interrupts += 1
                self.interrupted = True
                self.stopped_by = self.stopped_by or getattr(exc, "signal_name", "Ctrl-C")
                self.control[S.STOP] = min(self.interrupts, S.STOP_NOW)
                if self.interrupts >= 3:
                    for proc in self.procs.values():
                        proc.kill()
        self.reap(10)
        return self._result(start)

    def unresponsive(self) -> bool:
        """Some confirms never came (a stalled broker or network): asking it for depths would hang too."""
        return any(rep is not None and rep.error_kind == "timeout" for rep in self.reports.values())

    def _totals(self, slot: int, indices) -> int:
        return sum(self.row[i * S.ROW + slot] for i in indices)

    def _snapshot(self, elapsed: float, history: list[tuple[float, int]]) -> AmqpProgress:
        pids = [p.index for p in self.producers]
        cids = [c.index for c in self.consumers]
        sent = self._totals(S.SENT, pids)
        confirmed = self._totals(S.CONFIRMED, pids)
        done = confirmed if self.cfg.confirm else sent
        history.append((elapsed, done))
        while len(history) > 2 and elapsed - history[0][0] > 1.0:
            history.pop(0)
        t0, d0 = history[0]
        rate = (done - d0) / (elapsed - t0) if elapsed > t0 else 0.0
        return AmqpProgress(
            elapsed_s=max(0.0, elapsed),
            sent=sent,
            confirmed=confirmed,
            nacked=self._totals(S.NACKED, pids),
            returned=self._totals(S.RETURNED, pids),
            received=self._totals(S.RECEIVED, cids),
            target=self.cfg.count,
            duration=self.cfg.duration,
            rate=rate,
            confirm=self.cfg.confirm,
            consume=self.cfg.consume,
        )

    def _result(self, start: float) -> AmqpLoadResult:
        cfg = self.cfg
        errors: list[str] = []
        connection_error = False
        producers = []
        finished = []
        latencies = []
        sent_total = confirmed_total = nacked_total = returned_total = 0
        for spec in self.producers:
            base = spec.index * S.ROW
            sent, confirmed, nacked, returned = (self.row[base + s] for s in (S.SENT, S.CONFIRMED, S.NACKED, S.RETURNED))
            rep = self.reports.get(spec.index)
            error = None
            if rep is None:
                code = self.procs[spec.index].exitcode
                error = f"producer {spec.index} died (exit code {code}); counts are those it recorded"
                connection_error = True
            else:
                latencies.append(rep.latencies)
                if rep.finished_at:
                    finished.append(rep.finished_at)
                if rep.error:
                    error = f"producer {spec.index}: {rep.error}"
                    if cfg.confirm:
                        error += f"; {confirmed:,} of its {sent:,} sent messages were confirmed before that"
                    connection_error = connection_error or rep.error_kind in {"connect", "lost", "channel"}
            if error:
                errors.append(error)
            sent_total += sent
            confirmed_total += confirmed
            nacked_total += nacked
            returned_total += returned
            producers.append(
                {
                    "index": spec.index,
                    "queue": spec.queue,
                    "sent": sent,
                    "confirmed": confirmed if cfg.confirm else None,
                    "nacked": nacked,
                    "returned": returned,
                    "error": error,
                }
            )
        end = max(finished) if finished else time.monotonic()
        elapsed = max(end - start, 1e-9)
        done = confirmed_total if cfg.confirm else sent_total
        result = AmqpLoadResult(
            requested=cfg.count,
            sent=sent_total,
            confirmed=confirmed_total if cfg.confirm else None,
            nacked=nacked_total,
            returned=returned_total,
            unconfirmed=(sent_total - confirmed_total - nacked_total - returned_total) if cfg.confirm else None,
            elapsed_s=elapsed,
            rate=done / elapsed,
            confirm_latency_ms=percentiles_ms(samples_from_bytes(latencies)) if cfg.confirm else percentiles_ms([]),
            confirm=cfg.confirm,
            consume=cfg.consume,
            queues=cfg.target_queues(),
            producers=producers,
            interrupted=self.interrupted,
        )
        if cfg.consume:
            self._add_consumed(result, errors)
            connection_error = connection_error or any(
                (rep is None) or (rep.error_kind in {"connect", "lost", "channel"})
                for i, rep in self.reports.items()
                if i >= len(self.producers)
            )
        if self.interrupted:
            errors.append(f"interrupted ({self.stopped_by or 'Ctrl-C'}): counts cover what was sent before the stop")
        result.errors = errors
        result.connection_error = connection_error
        return result

    def _add_consumed(self, result: AmqpLoadResult, errors: list[str]) -> None:
        received = unsettled_total = foreign = duplicates = lost = 0
        e2e = []
        status_of = {}
        for spec in self.producers:
            rep = self.reports.get(spec.index)
            status_of[spec.index] = rep.confirmed_bitmap if rep is not None else None
        for spec in self.consumers:
            base = spec.index * S.ROW
            received += self.row[base + S.RECEIVED]
            unsettled = self.row[base + S.ACK_UNSETTLED]
            unsettled_total += unsettled
            foreign += self.row[base + S.FOREIGN]
            duplicates += self.row[base + S.DUPLICATES]
            rep = self.reports.get(spec.index)
            if rep is None:
                errors.append(f"consumer of {spec.queue!r} died; counts are those it recorded" + _unsettled_note(unsettled))
            elif rep.error:
                errors.append(f"consumer of {spec.queue!r}: {rep.error}; confirmed messages it did not "
                              "receive count as lost (they may still be in the queue)" + _unsettled_note(unsettled))
            if rep is not None:
                e2e.append(rep.latencies)
            slot = S.CONFIRMED if self.cfg.confirm else S.SENT
            maps = [(status_of.get(p), (rep.received_by_producer or {}).get(p) if rep else None, p)
                    for p in spec.producers]
            if all(st is not None and got is not None for st, got, _p in maps):
                lost += sum(_lost(st, got, self.row[p * S.ROW + S.SENT], self.cfg.confirm) for st, got, p in maps)
            else:  # a worker died: the counters still bound what is missing
                expected = sum(self.row[p * S.ROW + slot] for p in spec.producers)
                lost += max(0, expected - self.row[base + S.RECEIVED] - unsettled)
        result.received = received
        result.ack_unsettled = unsettled_total
        result.foreign = foreign
        result.duplicates = duplicates
        result.lost = lost
        result.e2e_latency_ms = percentiles_ms(samples_from_bytes(e2e))


def _unsettled_note(unsettled: int) -> str:
    """What a failed consumer's error adds when its last ack batch was never proven applied."""
    if not unsettled:
        return ""
    return (f"; {unsettled:,} messages it acked were not settled (the connection ended before the broker "
            "proved it applied the ack): each is either consumed or back in the queue")


_CONFIRMED_ONLY = bytes([0, 1, 0, 0]) + bytes(252)
_ANY_MARK = bytes([0]) + bytes([1]) * 255


def _lost(status: bytes, received: bytes, sent: int, confirm: bool) -> int:
    """Confirmed (without confirms: sent) messages of one producer the consumer never got
    (neither received nor acked unsettled)."""
    wanted = status.translate(_CONFIRMED_ONLY) if confirm else b"\x00" + b"\x01" * sent
    got = received[: len(wanted)].ljust(len(wanted), b"\x00").translate(_ANY_MARK)
    return (int.from_bytes(wanted, "big") & ~int.from_bytes(got, "big")).bit_count()


def run_amqp_load(cfg: AmqpLoadConfig, progress: Callable[[AmqpProgress], None] | None = None) -> AmqpLoadResult:
    """Run the load described by *cfg*; raise ServiceError if the broker cannot be used at all.

    A broker that goes away mid-run does not raise: the result says exactly how many messages
    were confirmed before that, with ``connection_error`` set.
    """
    cfg.validate()
    with sigterm_as_interrupt():
        _preflight(cfg)
        run = _Run(cfg, progress)
        run.start()
        try:
            run.wait_ready()
        except KeyboardInterrupt:
            run.abort()
            raise
        result = run.run()
        if not (result.connection_error or run.unresponsive()):
            try:
                result.left_in_queues = queue_depths(cfg)
            except KeyboardInterrupt:  # a second Ctrl-C while counting: the report goes without it
                pass
    result.stopped_by = run.stopped_by
    return result


class Interrupted(KeyboardInterrupt):
    """SIGTERM (what ``timeout``, CI cancellation and ``docker stop`` send), handled as Ctrl-C."""

    signal_name = "SIGTERM"


@contextlib.contextmanager
def sigterm_as_interrupt():
    """While the run lasts, SIGTERM stops it like Ctrl-C: producers stop, the report is exact."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(_signum, _frame):
        raise Interrupted()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
