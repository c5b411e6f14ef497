"""``devkit load celery``: publish real Celery tasks, then account for every one of them.

A run is one process on one pika IO loop: a tracker connection (events queue and ``rpc://``
replies, bound before anything is sent) and ``concurrency`` publisher connections. Before it,
a blocking connection checks the target and asks the workers to send task events; after it,
workers that devkit switched on are switched back off. SIGINT and SIGTERM stop publishing and
end the run with the exact account of what happened so far.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable

from devkit.errors import ServiceError
from devkit.load.celery import broker, control
from devkit.load.celery import ledger as L
from devkit.load.celery.backends import FilePoller
from devkit.load.celery.config import CeleryLoadConfig, parse_backend
from devkit.load.celery.protocol import TaskIds
from devkit.load.celery.messages import TaskMessage
from devkit.load.celery.publisher import Publisher, Schedule
from devkit.load.celery.report import CeleryLoadResult, CeleryProgress, latencies
from devkit.load.celery.tracker import Tracker
from devkit.load.stats import percentiles_ms, samples_from_bytes

TICK = 0.05
PROGRESS_INTERVAL = 0.1
CLOSE_GRACE = 5.0  # seconds the connections get to close before the loop is stopped anyway
EVENTS_GRACE = 2.5  # seconds to wait for trailing events once the backend reported every end: an
# idle worker flushes its buffered task events on its next loop turn, up to its 2 s heartbeat later


class _Run:
    def __init__(self, cfg: CeleryLoadConfig, progress: Callable[[CeleryProgress], None] | None) -> None:
        self.cfg = cfg
        self.progress = progress
        self.backend, self.backend_path = parse_backend(cfg.result_backend) if cfg.result_backend else (None, None)
        self.ids = TaskIds(cfg.run_id)
        self.ledger = L.Ledger(self.ids, retry_source=L.EVENTS if cfg.events else L.BACKEND)
        self.schedule = Schedule(cfg.count, cfg.duration, cfg.rate)
        self.poller = FilePoller(self.ledger, self.backend_path) if self.backend == "file" else None
        self.message: TaskMessage | None = None
        self.publishers: list[Publisher] = []
        self.tracker: Tracker | None = None
        self.ioloop = None
        self.notes: list[str] = []
        self.errors: list[str] = []
        self.connection_error = False
        self.signal: int | None = None
        self.hurry = False  # a second signal: stop waiting for anything
        self.phase = "connecting"
        self.t0 = 0.0
        self.published_at: float | None = None
        self.ended_at: float | None = None
        self.ready = 0
        self.all_done_at: float | None = None
        self.next_poll = 0.0
        self.last_progress = 0.0
        self.events_info: dict = {"exchange": cfg.events_exchange if cfg.events else None,
                                  "enable_events": None, "restored": []}

    # ---- signals -----------------------------------------------------------------------------
    def on_signal(self, signum, _frame) -> None:
        """Only flags here: the IO loop's tick does the work (pika is not re-entrant)."""
        if self.signal is None:
            self.signal = signum
        else:
            self.hurry = True
            self.schedule.closed = True

    @contextlib.contextmanager
    def signals(self):
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    # ---- before the run ----------------------------------------------------------------------
    def prepare(self) -> None:
        cfg = self.cfg
        connection = broker.connect(cfg.broker, f"devkit-load-celery {cfg.run_id} control")
        try:
            self.notes += broker.prepare_run(connection, cfg)
            if cfg.events and cfg.enable_events and self.signal is None:
                info, notes = control.switch_events_on(connection, cfg, stop=lambda: self.signal is not None)
                self.events_info["enable_events"] = info
                self.notes += notes
        finally:
            broker.close_quietly(connection)

    def restore_events(self) -> None:
        """Switch task events back off on the workers that had them off before this run."""
        self.notes += control.switch_events_off(self.cfg, self.events_info)

    # ---- the IO loop -------------------------------------------------------------------------
    def loop(self) -> None:
        from pika.adapters.select_connection import IOLoop

        self.ioloop = IOLoop()
        self.t0 = time.monotonic()
        self.tracker = Tracker(self)
        self.tracker.open(broker.parameters(self.cfg.broker, f"devkit-load-celery {self.cfg.run_id} tracker"), self.ioloop)
        self.ioloop.call_later(TICK, self._tick)
        self.ioloop.start()

    def tracker_ready(self) -> None:
        if self.phase != "connecting":
            return
        self.message = TaskMessage(self.cfg, self.ids)
        if self.tracker.reply_queue:
            self.message.reply_to(self.tracker.reply_queue)
        for index in range(self.cfg.concurrency):
            publisher = Publisher(self, index)
            self.publishers.append(publisher)
            params = broker.parameters(self.cfg.broker, f"devkit-load-celery {self.cfg.run_id} publisher {index}")
            publisher.open(params, self.ioloop)

    def publisher_ready(self, _publisher) -> None:
        self.ready += 1
        if self.ready == len(self.publishers) and self.phase == "connecting":
            self.phase = "publishing"
            self.t0 = time.monotonic()
            self.schedule.begin(self.t0)
            for publisher in self.publishers:
                publisher.start()

    def publisher_closed(self, _publisher) -> None:
        if all(p.done for p in self.publishers) and self.published_at is None:
            self.published_at = time.monotonic()
            if self.phase == "publishing":
                self.phase = "waiting"
        self._maybe_stop_loop()

    def tracker_closed(self) -> None:
        self._maybe_stop_loop()

    def connection_failed(self, message: str) -> None:
        self.connection_error = True
        self.note_error(message)
        self.finish()

    def note_error(self, message: str) -> None:
        if message not in self.errors:
            self.errors.append(message)

    def _tick(self) -> None:
        now = time.monotonic()
        if self.phase == "closing":
            if self.ended_at is not None and now - self.ended_at > CLOSE_GRACE:
                self.ioloop.stop()
                return
        else:
            if self.signal is not None:
                self.schedule.closed = True
                for publisher in self.publishers:
                    publisher.end_publishing()
                if self.hurry or self.phase in ("waiting", "connecting"):
                    self.finish()
            if self.poller is not None and now >= self.next_poll:
                self.poller.poll()
                self.next_poll = now + max(0.1, 4 * self.poller.cost)
            if self.phase == "waiting":
                if now >= self.published_at + self.cfg.wait or self._all_in(now):
                    self.finish()
            if self.progress is not None and now - self.last_progress >= PROGRESS_INTERVAL:
                self.last_progress = now
                self.progress(self.snapshot(now))
        self.ioloop.call_later(TICK, self._tick)

    def _all_in(self, now: float) -> bool:
        """Every task has ended; with events, also wait (briefly) for the events of the last
        ones, which workers send in batches after the backend already has the result."""
        ledger = self.ledger
        if ledger.open():
            return False
        if self.all_done_at is None:
            self.all_done_at = now
        return not self.cfg.events or ledger.events_final >= ledger.finished or now - self.all_done_at >= EVENTS_GRACE

    def finish(self) -> None:
        if self.phase == "closing":
            return
        self.phase = "closing"
        self.ended_at = time.monotonic()
        if self.published_at is None:
            self.published_at = self.ended_at
        self.schedule.closed = True
        self.hurry = True
        for publisher in self.publishers:
            publisher.close()
        if self.tracker is not None:
            self.tracker.close()
        self._maybe_stop_loop()

    def _maybe_stop_loop(self) -> None:
        if self.phase != "closing":
            return
        if all(p.done for p in self.publishers) and (self.tracker is None or self.tracker.done):
            self.ioloop.stop()

    def snapshot(self, now: float) -> CeleryProgress:
        ledger = self.ledger
        counts = ledger.counts
        wait_left = None
        if self.phase == "waiting" and self.published_at is not None:
            wait_left = max(0.0, self.published_at + self.cfg.wait - now)
        return CeleryProgress(
            phase=self.phase, elapsed_s=max(0.0, now - self.t0), sent=len(ledger), confirmed=counts["confirmed"],
            received=counts["received"], started=counts["started"], succeeded=ledger.final_counts[L.SUCCESS],
            failed=ledger.final_counts[L.FAILURE], finished=ledger.finished, target=self.cfg.count,
            duration=self.cfg.duration, wait_left_s=wait_left, notes=list(self.notes),
        )

    # ---- the account -------------------------------------------------------------------------
    def result(self) -> CeleryLoadResult:
        cfg, ledger = self.cfg, self.ledger
        if self.poller is not None:
            self.poller.poll()
            if self.poller.error:
                self.note_error(self.poller.error)
        counts, finals = ledger.counts, ledger.final_counts
        sent = len(ledger)
        unsettled = sent - counts["confirmed"] - counts["nacked"] - counts["returned"]
        publish_end = max([p.last_confirm for p in self.publishers if p.last_confirm] or [self.published_at or self.t0])
        elapsed = max(publish_end - self.t0, 1e-9) if sent else 0.0
        first_sent = ledger.sent_at[0] if sent else 0.0
        tracked = max(ledger.last_done - first_sent, 0.0) if ledger.last_done else 0.0
        wait, run, e2e = latencies(ledger)
        unfinished = ledger.unfinished(time.time())
        if self.signal is not None:
            name = signal.Signals(self.signal).name
            self.note_error(f"interrupted ({name}): the counts cover what happened before the stop")
        if ledger.undecodable:
            self.notes.append(f"{ledger.undecodable:,} event or result messages were not JSON and were skipped")
        if ledger.foreign:
            self.notes.append(f"{ledger.foreign:,} events or results were about other clients' tasks (ignored)")
        return CeleryLoadResult(
            task=cfg.task, queue=cfg.queue or cfg.exchange, broker=cfg.safe_broker, run_id=cfg.run_id,
            requested=cfg.count, sent=sent, confirmed=counts["confirmed"], nacked=counts["nacked"],
            returned=counts["returned"], unconfirmed=unsettled,
            received=counts["received"] if cfg.events else None, started=counts["started"],
            succeeded=finals[L.SUCCESS], failed=finals[L.FAILURE], failures=ledger.failures,
            retried=counts["retried"], retries=ledger.retries, revoked=finals[L.REVOKED], expired=finals[L.EXPIRED],
            rejected=finals[L.REJECTED],
            custom_states={name: sum(seen) for name, seen in sorted(ledger.custom_seen.items())},
            unfinished=sum(unfinished.values()), unfinished_by_state=unfinished,
            redelivered=counts["redelivered"], ran_again=counts["ran_again"],
            elapsed_s=elapsed, rate=counts["confirmed"] / elapsed if elapsed else 0.0,
            completed_rate=ledger.finished / tracked if tracked else 0.0, tracked_s=tracked,
            confirm_latency_ms=percentiles_ms(samples_from_bytes(p.latency.tobytes() for p in self.publishers)),
            queue_wait_ms=wait, run_time_ms=run, e2e_latency_ms=e2e,
            workers={host: ledger.workers[host] for host in sorted(ledger.workers)},
            tracking={"events": self.events_info, "result_backend": cfg.result_backend},
            first_task_id=self.ids.make(0) if sent else None, last_task_id=self.ids.make(sent - 1) if sent else None,
            notes=self.notes, errors=self.errors, connection_error=self.connection_error,
            interrupted=self.signal is not None, signal=self.signal,
        )


def run_celery_load(cfg: CeleryLoadConfig, progress: Callable[[CeleryProgress], None] | None = None) -> CeleryLoadResult:
    """Publish the tasks *cfg* describes and follow each to its end; raise ServiceError only
    when the broker cannot be used at all (nothing was sent then).

    A broker that goes away mid-run does not raise: the result has ``connection_error`` set
    and the exact counts of what was confirmed and finished before that.
    """
    cfg.validate()
    run = _Run(cfg, progress)
    with run.signals():
        try:
            run.prepare()
        except ServiceError as exc:
            raise ServiceError(f"{exc} (no task was sent)") from None
        if run.signal is None:
            run.loop()
        run.restore_events()
    return run.result()
