"""Write documents with the bulk API: batched (Aggregator), retried, never dropped.

The Aggregator collects documents and flushes a batch when it holds ``batch`` documents or when
``interval`` seconds have passed since its first document, whichever comes first; a quiet stream
still flushes (the caller ticks it while waiting). The writer retries a batch that failed as a
whole (server down, 429, 5xx) and the single documents the server answered 429/5xx for, with
exponential backoff; what still fails goes to a dead-letter file, one JSON line per document,
and is counted. Every document ends indexed or dead-lettered, and the caller is told which.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from typing import IO, Any, Callable

from devkit.errors import ServiceError
from devkit.logs.es.client import (
    EsConnection,
    EsRequestError,
    EsUnavailable,
    error_reason,
    index_path,
)
from devkit.logs.es.docs import index_mapping

_FILTER = "errors,items.*.status,items.*.error.type,items.*.error.reason"
_RETRY_STATUS = frozenset({429, 502, 503, 504})


@dataclass
class Item:
    """One document ready to send; ``tag`` is the caller's (AMQP delivery tags, say)."""

    id: str
    payload: bytes  # action line + document line, newline-terminated
    tag: Any = None


@dataclass
class ShipStats:
    read: int = 0
    indexed: int = 0
    failed: int = 0
    retries: int = 0
    batches: int = 0
    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0
    dead_letter: str | None = None
    problems: list[str] = field(default_factory=list)
    server: str = ""
    index: str = ""
    text_messages: int = 0  # --from-amqp: messages that were not JSON objects (each its own document)

    @property
    def docs_per_s(self) -> float:
        return self.indexed / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict:
        return {"server": self.server, "index": self.index, "read": self.read, "indexed": self.indexed,
                "failed": self.failed, "retries": self.retries, "batches": self.batches,
                "seconds": round(self.seconds, 3), "docs_per_s": round(self.docs_per_s, 1),
                "dead_letter": self.dead_letter, "text_messages": self.text_messages,
                "problems": list(self.problems)}


def make_item(index: str, doc_id: str, doc: dict, tag: Any = None) -> Item:
    action = '{"index":{"_index":%s,"_id":"%s"}}\n' % (json.dumps(index), doc_id)
    return Item(doc_id, action.encode() + _dumps(doc) + b"\n", tag)


def _json_dumps(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


try:  # orjson (elasticsearch[orjson]) serializes 5x faster; the output is the same JSON
    import orjson

    _OPTS = orjson.OPT_NON_STR_KEYS

    def _dumps(doc: Any) -> bytes:
        try:
            return orjson.dumps(doc, default=str, option=_OPTS)
        except (TypeError, orjson.JSONEncodeError):  # e.g. integers past 64 bits
            return _json_dumps(doc)
except ImportError:  # pragma: no cover - depends on the environment
    _dumps = _json_dumps


class BulkWriter:
    """Sends batches; ``on_done(items, indexed: bool)`` hears the fate of every document."""

    def __init__(self, conn: EsConnection, index: str, stats: ShipStats, *, max_retries: int = 5,
                 backoff: float = 0.5, backoff_cap: float = 30.0, dead_letter: str | None = None,
                 on_done: Callable[[list[Item], bool], None] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.conn = conn
        self.index = index
        self.path = index_path(index)  # ship writes one index: a checked, plain name
        self.stats = stats
        self.max_retries = max_retries
        self.backoff = backoff
        self.backoff_cap = backoff_cap
        self.dead_letter_path = dead_letter
        self.on_done = on_done
        self.sleep = sleep
        self.down = False  # the server stopped answering: try each later batch once, no backoff
        self._dl: IO[str] | None = None
        self._lock = threading.Lock()  # sender threads share the counts and the dead-letter file

    def ensure_index(self) -> None:
        """Create the index with devkit's mapping unless it exists (then its mapping is kept)."""
        try:
            self.conn.request("PUT", f"/{self.path}", {"mappings": index_mapping()})
        except EsRequestError as exc:
            if exc.error_type == "resource_already_exists_exception":
                return
            if "data stream" in str(exc.body):
                from devkit.errors import InputError

                raise InputError(f"--index {self.index}: the server turns this name into a data stream "
                                 "(template logs-*-*); pick a name like logs-devkit or logs-myapp") from None
            raise

    def write(self, items: list[Item]) -> None:
        if not items:
            return
        with self._lock:
            self.stats.batches += 1
        pending = items
        attempt = 0
        while pending:
            failed_whole: str | None = None
            retry: list[Item] = []
            try:
                res = self.conn.request("POST", "/_bulk", b"".join(i.payload for i in pending), ndjson=True,
                                        params={"filter_path": _FILTER})
            except EsUnavailable as exc:
                failed_whole = str(exc)
            except EsRequestError as exc:
                if exc.status in _RETRY_STATUS or exc.status >= 500:
                    failed_whole = str(exc)
                elif exc.status in (401, 403):
                    raise
                else:  # the request itself was refused (400/413): nothing will make it pass
                    self._dead(pending, exc.status, error_reason(exc.body))
                    return
            if failed_whole is not None:
                retry = pending
            else:
                self.down = False
                retry = self._outcome(pending, res)
            if not retry:
                return
            limit = 0 if self.down else self.max_retries
            if attempt >= limit:
                if failed_whole is not None:
                    self.down = True
                    self._dead(retry, 0, failed_whole)
                else:
                    self._dead(retry, 429, "still refused after retries (429/5xx)")
                return
            with self._lock:
                self.stats.retries += 1
            self.sleep(min(self.backoff_cap, self.backoff * (2 ** attempt)))
            attempt += 1
            pending = retry

    def _outcome(self, pending: list[Item], res: Any) -> list[Item]:
        """Count what was indexed, dead-letter what never will be; return what to retry."""
        if isinstance(res, dict) and res.get("errors") is False and "items" not in res:
            self._indexed(pending)
            return []
        results = res.get("items") if isinstance(res, dict) else None
        if not isinstance(results, list) or len(results) != len(pending):
            if isinstance(res, dict) and res.get("errors") is False:
                self._indexed(pending)
                return []
            self._dead(pending, 0, "the server's bulk answer did not list every document")
            return []
        ok: list[Item] = []
        retry: list[Item] = []
        for item, result in zip(pending, results):
            info = next(iter(result.values())) if isinstance(result, dict) and result else {}
            status = int(info.get("status", 0) or 0)
            if 200 <= status < 300:
                ok.append(item)
            elif status in _RETRY_STATUS or status >= 500:
                retry.append(item)
            else:
                self._dead([item], status, error_reason({"error": info.get("error")}))
        self._indexed(ok)
        return retry

    def _indexed(self, items: list[Item]) -> None:
        if not items:
            return
        with self._lock:
            self.stats.indexed += len(items)
            if self.on_done:
                self.on_done(items, True)

    def _dead(self, items: list[Item], status: int, reason: str) -> None:
        if not items:
            return
        with self._lock:
            self._dead_locked(items, status, reason)

    def _dead_locked(self, items: list[Item], status: int, reason: str) -> None:
        lines = []
        for item in items:
            _action, _, doc = item.payload.decode("utf-8").partition("\n")
            lines.append({"_index": self.index, "_id": item.id, "status": status, "error": reason,
                          "document": json.loads(doc)})
        self._write_dead(lines, items)

    def dead_letter_message(self, body: bytes, reason: str, tag: Any = None) -> None:
        """A message that cannot become a document at all (nested too deep, say): kept whole in the
        dead-letter file (``message``, or ``message_base64`` when it is not UTF-8), counted as failed."""
        line: dict = {"_index": self.index, "_id": None, "status": 0, "error": reason}
        try:
            line["message"] = body.decode("utf-8")
        except UnicodeDecodeError:
            line["message_base64"] = base64.b64encode(body).decode("ascii")
        with self._lock:
            self._write_dead([line], [Item("", b"", tag)])

    def _write_dead(self, lines: list[dict], items: list[Item]) -> None:
        fh = self._dead_letter_file()
        for line in lines:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())  # acked AMQP messages must really be on disk
        self.stats.failed += len(items)
        if self.on_done:
            self.on_done(items, False)

    def _dead_letter_file(self) -> IO[str]:
        if self._dl is None:
            path = self.dead_letter_path or f"{self.index}.dead-letter.ndjson"
            try:
                self._dl = open(path, "a", encoding="utf-8")
            except OSError as exc:
                raise ServiceError(f"dead-letter file {path}: {exc.strerror or exc}; documents could not be "
                                   "indexed nor saved") from None
            self.stats.dead_letter = path
        return self._dl

    def refresh(self) -> None:
        """Make what was written searchable now (a trace right after a ship sees it)."""
        if self.stats.indexed:
            try:
                self.conn.request("POST", f"/{self.path}/_refresh")
            except ServiceError:
                pass  # the documents are written; they become visible at the next refresh

    def close(self) -> None:
        if self._dl is not None:
            self._dl.close()
            self._dl = None


class Aggregator:
    """Collects items; flushes at ``batch`` items or ``interval`` seconds after the first one."""

    def __init__(self, flush: Callable[[list[Item]], None], batch: int, interval: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if batch < 1:
            raise ValueError("batch must be at least 1")
        self._flush = flush
        self.batch = batch
        self.interval = interval
        self.clock = clock
        self.items: list[Item] = []
        self.since: float | None = None

    def add(self, item: Item) -> None:
        if not self.items:
            self.since = self.clock()
        self.items.append(item)
        if len(self.items) >= self.batch or self.interval >= 0 and self.clock() - (self.since or 0) >= self.interval:
            self.flush()

    def tick(self) -> None:
        """Call while waiting for input: a batch that is old enough goes out."""
        if self.items and self.clock() - (self.since or 0) >= self.interval:
            self.flush()

    def due_in(self) -> float | None:
        """Seconds until the current batch is due by time (None when empty)."""
        if not self.items:
            return None
        return max(0.0, self.interval - (self.clock() - (self.since or 0)))

    def flush(self) -> None:
        items, self.items, self.since = self.items, [], None
        if items:
            self._flush(items)
