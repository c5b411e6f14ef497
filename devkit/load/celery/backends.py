"""Result-backend metadata into the ledger: ``rpc://`` replies and ``file://`` result files.

Both hold the same document Celery stores for a task (``status``, ``result``, ``traceback``,
``date_done``, ``task_id``); ``update_state`` writes custom states such as ``GOING_TO_SLEEP``
there too, which no event carries.
"""

from __future__ import annotations

import os
import time

from devkit.load.celery import ledger as L
from devkit.load.celery.protocol import STANDARD_STATES, decode_json, meta_time

FILE_PREFIX = "celery-task-meta-"


def apply_meta(ledger: L.Ledger, meta, arrival: float, task_id: str | None = None) -> None:
    """One task's state as the backend reports it (*arrival*: when devkit saw it)."""
    if not isinstance(meta, dict):
        ledger.undecodable += 1
        return
    seq = ledger.ids.seq(meta.get("task_id") or task_id)
    if seq < 0 or seq >= len(ledger):
        ledger.foreign += 1
        return
    status = meta.get("status")
    result = meta.get("result")
    when = meta_time(meta) or arrival
    if status == "SUCCESS":
        ledger.finish(seq, L.SUCCESS, None, when, L.BACKEND)
    elif status == "FAILURE":
        kind, text = _exception(result)
        ledger.failed(seq, None, when, L.BACKEND, kind, text, meta.get("traceback"))
    elif status == "REVOKED":
        _kind, text = _exception(result)
        ledger.finish(seq, L.EXPIRED if "expired" in text else L.REVOKED, None, when, L.BACKEND)
    elif status == "STARTED":
        ledger.started(seq, None, arrival)
    elif status == "RETRY":
        ledger.retried(seq, None, L.BACKEND)
    elif isinstance(status, str) and status not in STANDARD_STATES:
        ledger.started(seq, None, arrival)  # only running task code sets a custom state
        ledger.custom(seq, status)


def _exception(result) -> tuple[str, str]:
    """(type, text) of an exception as backends serialise it: ``{"exc_type", "exc_message"}``."""
    if isinstance(result, dict) and isinstance(result.get("exc_type"), str):
        message = result.get("exc_message")
        if isinstance(message, (list, tuple)):
            message = ", ".join(repr(m) for m in message)
        return result["exc_type"], f"{result['exc_type']}({message if message is not None else ''})"
    return "unknown", str(result)


class FilePoller:
    """Reads the result files of this run's tasks that changed since the last look.

    Celery's file backend rewrites ``celery-task-meta-<id>`` in place (not atomically), so a
    file caught half-written is read again at the next poll. Finished tasks are not re-read.
    """

    def __init__(self, ledger: L.Ledger, path: str) -> None:
        self.ledger = ledger
        self.path = path
        self.prefix = FILE_PREFIX + ledger.ids.prefix
        self.seen: dict[str, tuple[int, int]] = {}
        self.unreadable: dict[str, tuple[int, int]] = {}
        self.error: str | None = None
        self.cost = 0.0  # seconds the last scan took: callers poll less often on huge folders

    def poll(self) -> None:
        started = time.monotonic()
        ledger = self.ledger
        try:
            entries = os.scandir(self.path)
        except OSError as exc:
            self.error = f"cannot read the result folder {self.path}: {exc.strerror}"
            return
        with entries:
            for entry in entries:
                name = entry.name
                if not name.startswith(self.prefix):
                    continue
                seq = ledger.ids.seq(name[len(FILE_PREFIX):])
                if seq < 0 or seq >= len(ledger) or ledger.final[seq]:
                    continue
                try:
                    st = entry.stat()
                    key = (st.st_mtime_ns, st.st_size)
                    if self.seen.get(name) == key:
                        continue
                    with open(entry.path, "rb") as fh:
                        data = fh.read()
                except OSError:
                    continue  # removed or unreadable right now: next poll
                meta = decode_json(data)
                if meta is None:  # half-written: read it again; the same bytes twice: not JSON
                    if self.unreadable.get(name) == key:
                        self.seen[name] = key
                        ledger.undecodable += 1
                    self.unreadable[name] = key
                    continue
                self.seen[name] = key
                apply_meta(ledger, meta, st.st_mtime_ns / 1e9, name[len(FILE_PREFIX):])
        self.cost = time.monotonic() - started
