"""``devkit logs ship``: files stitched into events, one document per event, into one index.

Reading and stitching (CPU) overlap with the bulk requests (waiting on the server): sender
threads write batches while the next one is built. The queue between them holds one batch per
sender, so memory stays bounded.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Callable, Iterable, Iterator, Sequence

from devkit.logs.es.bulk import Aggregator, BulkWriter, Item, ShipStats, make_item
from devkit.logs.es.client import EsConnection, connect
from devkit.logs.es.docs import doc_id, event_to_doc
from devkit.logs.event import Event
from devkit.logs.scan import stitch_source
from devkit.logs.sources import expand_paths, iter_lines
from devkit.logs.timestamps import Zone

Progress = Callable[[ShipStats], None]


def file_events(paths: Sequence[str], zone: Zone, problems: list[str], text_mode: bool = False) -> Iterator[Event]:
    """Every stitched event of every file, source by source (the same events ``logs merge`` shows)."""
    for s in expand_paths(list(paths), problems):
        yield from stitch_source(s, zone, iter_lines(s, problems, text_mode))


class _Sender:
    """Runs ``write`` on ``workers`` threads, at most one batch queued per thread.

    Two requests in flight keep the server busy while the next batch is built (osmem and
    Elasticsearch index concurrent bulk requests in parallel). Errors come back to the caller.
    """

    def __init__(self, write: Callable[[list[Item]], None], workers: int = 2) -> None:
        self.write = write
        self.q: queue.Queue = queue.Queue(maxsize=workers)
        self.error: BaseException | None = None
        self.threads = [threading.Thread(target=self._run, name=f"devkit-bulk-{n}", daemon=True)
                        for n in range(workers)]
        for t in self.threads:
            t.start()

    def _run(self) -> None:
        while True:
            items = self.q.get()
            if items is None:
                return
            if self.error is None:
                try:
                    self.write(items)
                except BaseException as exc:  # handed to the main thread, raised there
                    self.error = exc

    def put(self, items: list[Item]) -> None:
        self._check()
        self.q.put(items)

    def close(self) -> None:
        for _ in self.threads:
            self.q.put(None)
        for t in self.threads:
            t.join()
        self._check()

    def _check(self) -> None:
        if self.error is not None:
            raise self.error


def ship_events(events: Iterable[Event], conn: EsConnection, index: str, *, batch: int = 1000,
                flush_interval: float = 5.0, dead_letter: str | None = None, max_retries: int = 5,
                backoff: float = 0.5, progress: Progress | None = None, stats: ShipStats | None = None,
                workers: int = 2) -> ShipStats:
    """Index every event (idempotent ids); returns the counts. Never drops a document silently."""
    stats = stats or ShipStats()
    stats.server, stats.index = str(conn.server), index

    def done(items: list[Item], ok: bool) -> None:
        if progress:
            progress(stats)

    writer = BulkWriter(conn, index, stats, max_retries=max_retries, backoff=backoff, dead_letter=dead_letter,
                        on_done=done)
    writer.ensure_index()
    sender = _Sender(writer.write, workers) if workers > 0 else None
    agg = Aggregator(sender.put if sender else writer.write, batch, flush_interval)
    try:
        for ev in events:
            stats.read += 1
            agg.add(make_item(index, doc_id(ev.source, ev.line), event_to_doc(ev)))
        agg.flush()
    finally:
        if sender is not None:
            sender.close()
        writer.close()
    writer.refresh()
    stats.seconds = time.monotonic() - stats.started
    return stats


def ship_files(paths: Sequence[str], url: str | None = None, index: str = "logs-devkit", *,
               conn: EsConnection | None = None, zone: Zone | None = None, text_mode: bool = False,
               api_key: str | None = None, ca_certs: str | None = None, insecure: bool = False,
               **kw) -> ShipStats:
    """Read, stitch and index files; problems reading them are in ``stats.problems``."""
    zone = zone or Zone()
    own = conn is None
    conn = conn or connect(url or "", api_key=api_key, ca_certs=ca_certs, insecure=insecure)
    stats = ShipStats()
    try:
        return ship_events(file_events(paths, zone, stats.problems, text_mode), conn, index, stats=stats, **kw)
    finally:
        if own:
            conn.close()
