"""``devkit logs trace ID --es URL``: the same events a file trace gives, read from a search server.

Two queries, both paged in time order:
1. the ID in the correlation fields and the message text;
2. for each stream (host, program, pid) whose line-per-document records hit, that stream's records
   from ``FOLLOW_SECONDS`` before its first hit to ``FOLLOW_SECONDS`` after its last, in one
   query for all streams (bounded by ``FOLLOW_LIMIT`` documents). Only the first line of a split
   traceback carries the ID; this finds the rest without reading whole indices.
Documents ``logs ship`` wrote are whole events already; the others go through the engine's
``Segmenter`` in time order (whatever order the server stored them in), and the ``IdMatcher``
keeps the events that carry the ID as a whole token, exactly as for files.
"""

from __future__ import annotations

import heapq
from typing import Callable, Sequence

from devkit.logs.es.client import EsConnection, connect
from devkit.logs.es.docs import (
    QUERY_FIELDS,
    doc_record,
    hit_source_name,
    is_devkit_doc,
    seq_of,
    shipped_event,
)
from devkit.logs.es.query import (
    DEFAULT_INDEX,
    field_mapping_types,
    id_query,
    search_hits,
    stream_query,
)
from devkit.logs.event import Event
from devkit.logs.fields import STREAM_APP_NAMES, STREAM_HOST_NAMES, STREAM_PID_NAMES
from devkit.logs.formats import flatten
from devkit.logs.match import IdMatcher
from devkit.logs.sources import Note
from devkit.logs.stitch import Segmenter
from devkit.logs.timestamps import Zone
from devkit.logs.trace import SearchResult

FOLLOW_SECONDS = 10.0
FOLLOW_LIMIT = 20000
_STREAM_FIELDS = (*STREAM_APP_NAMES, *STREAM_HOST_NAMES, *STREAM_PID_NAMES)  # the stream keys a query may use


def es_trace(ident: str, url: str, *, index: str | None = None, field: str | None = None,
             api_key: str | None = None, ca_certs: str | None = None, insecure: bool = False,
             zone: Zone | None = None, progress: Callable[[int, int], None] | None = None,
             page_size: int = 1000, conn: EsConnection | None = None) -> SearchResult:
    """Every event carrying ``ident``, from the indices matching ``index``, in time order."""
    matcher = IdMatcher(ident, field)
    zone = zone or Zone()
    index = index or DEFAULT_INDEX
    own = conn is None
    conn = conn or connect(url, api_key=api_key, ca_certs=ca_certs, insecure=insecure)
    problems: list[str] = []
    try:
        fields: tuple[str, ...] = QUERY_FIELDS
        if field:
            # the default fields too: a shipped event keeps its own fields unindexed, so the ID is
            # found through its message or ID fields and the matcher checks the named field
            fields = (field, f"{field}.keyword", *QUERY_FIELDS)
            types = field_mapping_types(conn, index, field)
            if types.get(field) == {"text"} and f"{field}.keyword" not in types:
                problems.append(Note(f"{index}: field {field!r} is mapped as text, so the server matches it as a "
                                     "phrase (wider, slower); devkit keeps exact hits only. Map it as keyword"))

        def tick(n: int) -> None:
            if progress:
                progress(n, 0)

        hits = list(search_hits(conn, index, id_query(ident, fields), page_size=page_size, progress=tick))
        extra = _stream_neighbours(conn, index, hits, zone, page_size)
        if len(extra) >= FOLLOW_LIMIT:
            problems.append(Note(f"{index}: read the first {FOLLOW_LIMIT} records around the hits only; a "
                                 "traceback split over many documents may be cut short"))
        events = _events(hits, extra, zone)
    finally:
        if own:
            conn.close()
    found = [ev for ev in events if matcher.matches(ev)]
    indices = {h.get("_index") for h in hits}
    return SearchResult(found, problems, len(indices), 0, ident)


def _stream_terms(src: dict) -> dict:
    flat = flatten(src)
    return {k: flat[k] for k in _STREAM_FIELDS if isinstance(flat.get(k), (str, int)) and flat.get(k) != ""}


def _stream_neighbours(conn: EsConnection, index: str, hits: list[dict], zone: Zone, page_size: int) -> list[dict]:
    """The other records of the streams that had a line-per-document hit (split tracebacks)."""
    windows: dict[tuple, list] = {}
    for hit in hits:
        src = hit.get("_source") or {}
        if is_devkit_doc(src):
            continue
        rec, _ = doc_record(src, zone)
        if rec.stream is None or rec.ts is None:
            continue
        terms = _stream_terms(src)
        if not terms:
            continue
        key = (hit.get("_index"), tuple(sorted(terms.items())))
        w = windows.get(key)
        if w is None:
            windows[key] = [terms, rec.ts, rec.ts, hit.get("_index")]
        else:
            w[1], w[2] = min(w[1], rec.ts), max(w[2], rec.ts)
    if not windows:
        return []
    streams = [(terms, first - FOLLOW_SECONDS, last + FOLLOW_SECONDS) for terms, first, last, _ in windows.values()]
    targets = ",".join(sorted({w[3] for w in windows.values() if w[3]})) or index
    return list(search_hits(conn, targets, stream_query(streams), page_size=page_size, limit=FOLLOW_LIMIT))


def _events(hits: list[dict], extra: list[dict], zone: Zone) -> list[Event]:
    """Shipped documents as they are; the others stitched in time order."""
    seen: set[tuple] = set()
    shipped: list[Event] = []
    foreign: list[tuple[float, float, int, dict, object, str]] = []
    for order, hit in enumerate([*hits, *extra]):
        key = (hit.get("_index"), hit.get("_id"))
        if key in seen:
            continue
        seen.add(key)
        src = hit.get("_source") or {}
        if is_devkit_doc(src):
            shipped.append(shipped_event(hit, zone, len(shipped)))
            continue
        rec, text = doc_record(src, zone)
        ts = rec.ts if rec.ts is not None else float("-inf")
        foreign.append((ts, seq_of(src), order, hit, rec, text))
    foreign.sort(key=lambda t: t[:3])  # time, then the shipper's offset, then the server's order
    seg = Segmenter("search", zone)
    stitched: list[Event] = []
    by_line: dict[int, dict] = {}
    for lineno, (_, _, _, hit, rec, text) in enumerate(foreign, 1):
        by_line[lineno] = hit
        raw = text.encode("utf-8", "replace")
        stitched.extend(seg.feed_record(lineno, raw, rec, text))  # type: ignore[arg-type]
    stitched.extend(seg.finish())
    for ev in stitched:
        hit = by_line[ev.line]
        ev.source = hit_source_name(hit)
        if not ev.service:
            ev.service = str(hit.get("_index"))
    shipped.sort(key=lambda e: (float("-inf") if e.ts is None else e.ts))
    key = (lambda e: float("-inf") if e.ts is None else e.ts)
    return list(heapq.merge(shipped, stitched, key=key))


def search_es(ident: str, url: str, _paths: Sequence[str] = (), *, zone: Zone | None = None,
              text_mode: bool = False, progress: Callable[[int, int], None] | None = None, **kw) -> SearchResult:
    """``es_trace`` in the shape ``devkit logs``' ``run_search`` calls (it passes paths; --es has none)."""
    return es_trace(ident, url, zone=zone, **kw)
