"""Task events from the workers' ``celeryev`` exchange, as Flower reads them, into the ledger.

Workers with an event loop send task events in batches (routing key ``task.multi``, the body a
JSON list), others one by one; both arrive here. Times are the workers' own timestamps, so a
batch that arrives late does not stretch the latencies.
"""

from __future__ import annotations

import time

from devkit.load.celery import ledger as L
from devkit.load.celery.protocol import decode_json, exception_name

#: What the tracker binds its queue to: every task event, and worker heartbeats (who is alive).
BINDINGS = ("task.#", "worker.#")


def apply_body(ledger: L.Ledger, body: bytes) -> None:
    """One message from the events exchange: a single event or a batch of them."""
    events = decode_json(body)
    if isinstance(events, dict):
        apply_event(ledger, events)
    elif isinstance(events, list):
        for event in events:
            if isinstance(event, dict):
                apply_event(ledger, event)
    else:
        ledger.undecodable += 1


def apply_event(ledger: L.Ledger, event: dict) -> None:
    kind = event.get("type")
    host = event.get("hostname") if isinstance(event.get("hostname"), str) else None
    if not isinstance(kind, str) or not kind.startswith("task-"):
        ledger.worker_seen(host)
        return
    seq = ledger.ids.seq(event.get("uuid"))
    if seq < 0 or seq >= len(ledger):
        ledger.foreign += 1  # another client's task on the same workers
        return
    ts = event.get("timestamp")
    if not isinstance(ts, (int, float)):
        ts = time.time()
    handler = _HANDLERS.get(kind)
    if handler is not None:
        handler(ledger, seq, host, float(ts), event)


def _received(ledger, seq, host, ts, event) -> None:
    ledger.received(seq, host, event.get("retries"))


def _started(ledger, seq, host, ts, event) -> None:
    ledger.started(seq, host, ts)


def _succeeded(ledger, seq, host, ts, event) -> None:
    ledger.finish(seq, L.SUCCESS, host, ts, L.EVENTS, event.get("runtime"))


def _failed(ledger, seq, host, ts, event) -> None:
    exception = event.get("exception") if isinstance(event.get("exception"), str) else ""
    traceback = event.get("traceback") if isinstance(event.get("traceback"), str) else None
    ledger.failed(seq, host, ts, L.EVENTS, exception_name(exception), exception, traceback)


def _retried(ledger, seq, host, ts, event) -> None:
    ledger.retried(seq, host, L.EVENTS)


def _revoked(ledger, seq, host, ts, event) -> None:
    ledger.finish(seq, L.EXPIRED if event.get("expired") else L.REVOKED, host, ts, L.EVENTS)


def _rejected(ledger, seq, host, ts, event) -> None:
    if event.get("requeue"):
        ledger.requeued_rejections += 1  # back in the queue: not an end
    else:
        ledger.finish(seq, L.REJECTED, host, ts, L.EVENTS)


_HANDLERS = {
    "task-received": _received,
    "task-started": _started,
    "task-succeeded": _succeeded,
    "task-failed": _failed,
    "task-retried": _retried,
    "task-revoked": _revoked,
    "task-rejected": _rejected,
}
