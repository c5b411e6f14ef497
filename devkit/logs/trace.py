"""``trace`` / ``grep`` / ``merge``: the library behind ``devkit logs``.

Searching fans out over files (one process per core when there are several), each returning the
few matching events; the results are merged in time order and summarised per service.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

from devkit.logs.event import Event
from devkit.logs.filters import EventFilter
from devkit.logs.match import IdMatcher, PatternMatcher
from devkit.logs.merge import merge_events
from devkit.logs.scan import Matcher, scan_source, stitch_source
from devkit.logs.sources import Source, expand_paths, iter_lines, service_from_path
from devkit.logs.timeseek import lines_in_window
from devkit.logs.timestamps import Zone

Progress = Callable[[int, int], None]  # (bytes done, bytes total)
PARALLEL_MIN_BYTES = 16 << 20


@dataclass
class ServiceSpan:
    """When one service first and last saw the request."""

    service: str
    first: float | None
    last: float | None
    events: int = 0
    errors: int = 0
    sources: list[str] = field(default_factory=list)


@dataclass
class SearchResult:
    events: list[Event]
    problems: list[str]
    sources_scanned: int
    bytes_scanned: int
    query: str

    @property
    def first(self) -> float | None:
        times = [e.ts for e in self.events if e.ts is not None]
        return min(times) if times else None

    @property
    def last(self) -> float | None:
        times = [e.ts for e in self.events if e.ts is not None]
        return max(times) if times else None

    @property
    def duration(self) -> float | None:
        if self.first is None or self.last is None:
            return None
        return self.last - self.first

    @property
    def errors(self) -> int:
        return sum(1 for e in self.events if e.is_error)

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(e.source for e in sorted(self.events, key=lambda e: e.source_index)))

    @property
    def path(self) -> list[ServiceSpan]:
        """The request's path: services in the order they first saw it."""
        spans: dict[str, ServiceSpan] = {}
        for ev in self.events:
            name = ev.service or service_from_path(ev.source)
            span = spans.get(name)
            if span is None:
                span = spans[name] = ServiceSpan(name, ev.ts, ev.ts)
            if ev.ts is not None:
                span.first = ev.ts if span.first is None else min(span.first, ev.ts)
                span.last = ev.ts if span.last is None else max(span.last, ev.ts)
            span.events += 1
            span.errors += ev.is_error
            if ev.source not in span.sources:
                span.sources.append(ev.source)
        return sorted(spans.values(), key=lambda s: float("inf") if s.first is None else s.first)

    def summary(self) -> dict:
        from devkit.logs.timestamps import format_utc

        return {
            "query": self.query,
            "events": len(self.events),
            "errors": self.errors,
            "first": format_utc(self.first),
            "last": format_utc(self.last),
            "duration_s": None if self.duration is None else round(self.duration, 6),
            "sources": self.sources,
            "services": [
                {"service": s.service, "first": format_utc(s.first), "last": format_utc(s.last),
                 "events": s.events, "errors": s.errors, "sources": s.sources}
                for s in self.path
            ],
            "problems": self.problems,
        }


def _scan_job(args: tuple) -> tuple[int, list[Event], list[str]]:
    source, matcher, zone, text_mode, window = args
    events, problems = scan_source(source, matcher, zone, text_mode, window)
    return source.index, events, problems


def _scan_all(sources: list[Source], matcher: Matcher, zone: Zone, text_mode: bool,
              jobs: int, window: tuple | None = None) -> Iterator[tuple[int, list[Event], list[str]]]:
    """Scan every source, on ``jobs`` processes when there is enough work to share."""
    work = [(s, matcher, zone, text_mode, window) for s in sources]
    total = sum(s.size for s in sources)
    if jobs < 2 or len(sources) < 2 or total < PARALLEL_MIN_BYTES or not all(s.path for s in sources):
        yield from map(_scan_job, work)
        return
    import multiprocessing

    work.sort(key=lambda w: -w[0].size)  # biggest first: balances the cores
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        yield from pool.map(_scan_job, work)


def search(paths: Sequence[str], matcher: Matcher, *, query: str, zone: Zone | None = None,
           text_mode: bool = False, progress: Progress | None = None, jobs: int | None = None,
           event_filter: EventFilter | None = None) -> SearchResult:
    """Every event matching ``matcher`` (and ``event_filter``) across ``paths``, merged in time order."""
    event_filter = event_filter or EventFilter()
    zone = zone or Zone()
    problems: list[str] = []
    sources = expand_paths(list(paths), problems)
    total = sum(s.size for s in sources)
    per_source: dict[int, list[Event]] = {}
    per_problems: dict[int, list[str]] = {}
    sizes = {s.index: s.size for s in sources}
    done = 0
    for index, events, probs in _scan_all(sources, matcher, zone, text_mode, jobs or min(2, os.cpu_count() or 1),
                                          event_filter.window):
        per_source[index], per_problems[index] = events, probs
        done += sizes[index]
        if progress:
            progress(done, total)
    for s in sources:
        problems.extend(per_problems.get(s.index, []))
    merged = list(event_filter.apply(merge_events(per_source[s.index] for s in sources)))
    return SearchResult(merged, problems, len(sources), total, query)


def trace(ident: str, paths: Sequence[str], *, field: str | None = None, **kw) -> SearchResult:
    """Every event that carries the correlation ID ``ident`` (as a whole token)."""
    return search(paths, IdMatcher(ident, field), query=ident, **kw)


def grep(pattern: str, paths: Sequence[str], *, fixed: bool = False, ignore_case: bool = False,
         field: str | None = None, **kw) -> SearchResult:
    """Every event with ``pattern`` anywhere in it, its traceback included."""
    return search(paths, PatternMatcher(pattern, fixed, ignore_case, field), query=pattern, **kw)


@dataclass
class MergeRun:
    """A lazy merge: iterate ``events``; ``problems`` fills as sources are read."""

    sources: list[Source]
    problems: list[str]
    zone: Zone
    text_mode: bool = False
    event_filter: EventFilter = field(default_factory=EventFilter)

    def source_events(self, s: Source) -> Iterator[Event]:
        """One source's events in its own order: seeking to the time window where the file allows,
        and from a pipe as they arrive (an event is out as soon as the pipe pauses)."""
        if s.path is None:
            from devkit.logs.follow import stdin_events

            return stdin_events(s, self.zone, self.problems, self.text_mode)
        window = self.event_filter.window
        lines = (iter_lines(s, self.problems, self.text_mode) if window is None else
                 lines_in_window(s, self.zone, *window, self.problems, self.text_mode))
        return stitch_source(s, self.zone, lines)

    @property
    def bytes_total(self) -> int:
        return sum(s.size for s in self.sources)

    @property
    def events(self) -> Iterator[Event]:
        return self.event_filter.apply(merge_events(self.source_events(s) for s in self.sources))


def merge(paths: Sequence[str], *, zone: Zone | None = None, text_mode: bool = False,
          event_filter: EventFilter | None = None) -> MergeRun:
    """All events of all sources, stitched, in time order, read lazily (constant memory)."""
    problems: list[str] = []
    sources = expand_paths(list(paths), problems)
    return MergeRun(sources, problems, zone or Zone(), text_mode, event_filter or EventFilter())
