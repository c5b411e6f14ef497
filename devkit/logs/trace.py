"""``trace`` / ``grep`` / ``merge``: the library behind ``devkit logs``.

Searching fans out over files (one process per core when there are several), each returning the
few matching events; the results are merged in time order and summarised per service.
"""

from __future__ import annotations

import os
from functools import cached_property
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Sequence

from devkit.logs.event import Event
from devkit.logs.filters import EventFilter
from devkit.logs.match import IdMatcher, PatternMatcher
from devkit.logs.merge import merge_events
from devkit.logs.scan import Matcher, scan_source, stitch_source
from devkit.logs.sources import Source, expand_paths, iter_lines, service_from_path
from devkit.logs.timeseek import lines_in_window
from devkit.logs.timestamps import Zone

if TYPE_CHECKING:
    from devkit.logs.parallel import Render, SourceEvents
    from devkit.logs.waterfall import Hop, Waterfall

Progress = Callable[[int, int], None]  # (bytes done, bytes total)
PARALLEL_MIN_BYTES = 16 << 20


class SearchResult:
    """The events a search found, in time order, and the facts its summary shows."""

    # (Plain classes here, not dataclasses: generating those is start-up time, paid by every run.)
    def __init__(self, events: list[Event], problems: list[str], sources_scanned: int, bytes_scanned: int,
                 query: str) -> None:
        self.events, self.problems, self.query = events, problems, query
        self.sources_scanned, self.bytes_scanned = sources_scanned, bytes_scanned

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

    @cached_property
    def waterfall(self) -> Waterfall:
        """The request's hops, nesting, own times and probable root cause (computed once)."""
        from devkit.logs.waterfall import build_waterfall  # only when a summary is shown

        return build_waterfall(self.events)

    @property
    def path(self) -> list[Hop]:
        """The request's path: the waterfall's hops, entry hop first, callees under callers."""
        return self.waterfall.hops

    def service_totals(self) -> list[dict]:
        """Per service, in order of first appearance: its first and last event, counts, files."""
        out: dict[str, dict] = {}
        for hop in self.path:
            totals = out.setdefault(hop.service, {"service": hop.service, "first": None, "last": None,
                                                  "events": 0, "errors": 0, "sources": []})
            times = [e.ts for e in hop.events if e.ts is not None]
            if times:
                totals["first"] = min([t for t in (totals["first"], min(times)) if t is not None])
                totals["last"] = max([t for t in (totals["last"], max(times)) if t is not None])
            totals["events"] += len(hop.events)
            totals["errors"] += hop.errors
            totals["sources"] += [s for s in hop.sources if s not in totals["sources"]]
        return list(out.values())

    def summary(self) -> dict:
        """The facts every renderer shows (terminal header, ``--summary-json``, HTML): one object."""
        from devkit.logs.timestamps import format_utc

        services = self.service_totals()
        for totals in services:
            totals["first"], totals["last"] = format_utc(totals["first"]), format_utc(totals["last"])
        return {
            "query": self.query,
            "events": len(self.events),
            "errors": self.errors,
            "first": format_utc(self.first),
            "last": format_utc(self.last),
            "duration_s": None if self.duration is None else round(self.duration, 6),
            "sources": self.sources,
            "services": services,
            "waterfall": self.waterfall.to_json(),
            "problems": [str(p) for p in self.problems],
        }


def _scan_all(sources: list[Source], matcher: Matcher, zone: Zone, text_mode: bool,
              jobs: int, window: tuple | None = None) -> Iterator[tuple[int, list[Event], list[str]]]:
    """Scan every source: files side by side on ``jobs`` threads, and a big file's raw search shared
    between threads in ranges (the C scan and ``pread`` release the GIL)."""
    total = sum(s.size for s in sources)
    if jobs < 2 or total < PARALLEL_MIN_BYTES:
        for s in sources:
            yield (s.index, *scan_source(s, matcher, zone, text_mode, None, window))
        return
    from contextlib import nullcontext

    from devkit.logs.threads import Threads

    biggest = max((s.size for s in sources), default=0)
    share = len(sources) < jobs or biggest * jobs > total * 1.5  # one file would keep a core idle
    # (the range threads outlive the file threads, whose tasks hand them work)
    with Threads(jobs, "devkit-range") if share else nullcontext() as pool, Threads(jobs, "devkit-scan") as files:
        order = sorted(sources, key=lambda s: -s.size)  # biggest first: balances the threads
        scan = lambda s: scan_source(s, matcher, zone, text_mode, pool, window)  # noqa: E731
        for source, (events, problems) in files.unordered(scan, order):
            yield source.index, events, problems


def search(paths: Sequence[str], matcher: Matcher, *, query: str, zone: Zone | None = None,
           text_mode: bool = False, progress: Progress | None = None, jobs: int | None = None,
           event_filter: EventFilter | None = None) -> SearchResult:
    """Every event matching ``matcher`` (and ``event_filter``) across ``paths``, merged in time order."""
    problems: list[str] = []
    sources = expand_paths(list(paths), problems)
    jobs = jobs or min(2, os.cpu_count() or 1)
    return _search_sources(sources, problems, matcher, _heavy_plan(sources, matcher, jobs), query=query, zone=zone,
                           text_mode=text_mode, progress=progress, jobs=jobs, event_filter=event_filter)


def _search_sources(sources: list[Source], problems: list[str], matcher: Matcher, plan: dict[int, int] | None, *,
                    query: str, zone: Zone | None = None, text_mode: bool = False, progress: Progress | None = None,
                    jobs: int = 1, event_filter: EventFilter | None = None) -> SearchResult:
    """``search`` of expanded sources; ``plan`` (``_heavy_plan``): processes per source, or None
    for windows on threads in this process."""
    event_filter = event_filter or EventFilter()
    zone = zone or Zone()
    total = sum(s.size for s in sources)
    done = 0

    def finished(size: int) -> None:
        nonlocal done
        done += size
        if progress:
            progress(done, total)

    if plan is not None:  # many hits: windows or whole reads on every core, one process per file
        from devkit.logs.parallel import gather_events

        read = _streamed(matcher, zone, text_mode, event_filter.window, plan)
        found = gather_events(sources, zone, lambda s, probs: event_filter.apply(read(s, probs)), problems,
                              text_mode=text_mode, done=lambda s: finished(s.size))
        return SearchResult(list(merge_events(found)), problems, len(sources), total, query)
    per_source: dict[int, list[Event]] = {}
    per_problems: dict[int, list[str]] = {}
    sizes = {s.index: s.size for s in sources}
    spool = None
    for index, events, probs in _scan_all(sources, matcher, zone, text_mode, jobs, event_filter.window):
        per_problems[index] = probs
        if spool is not None:
            events = spool.hold(events, index)  # each source as its search ends: one is whole at a time
        per_source[index] = events
        if spool is None and sum(map(len, per_source.values())) > 1000:  # (a few hits never import the spool)
            from devkit.logs.spool import Spool

            spool = Spool()
            per_source = {k: spool.hold(v, k) for k, v in per_source.items()}
        finished(sizes[index])
    for s in sources:
        problems.extend(per_problems.get(s.index, []))
    merged = list(event_filter.apply(merge_events(per_source[s.index] for s in sources)))
    return SearchResult(merged, problems, len(sources), total, query)


HEAVY_HITS = 3000  # past this many raw hits (estimated), a streamed search reads its sources on every core


class RenderedSearch:
    """A search whose events are rendered as they are found, never all held: ``lines`` yields
    ``(time, bytes, offset position)`` in time order (and, from a parallel read, has ready output
    ``chunks``); ``problems`` is complete once it is exhausted."""

    def __init__(self, sources: list[Source], problems: list[str], query: str,
                 lines: Iterable[tuple[float | None, bytes, int]] = ()) -> None:
        self.sources, self.problems, self.query, self._lines = sources, problems, query, lines

    @property
    def sources_scanned(self) -> int:
        return len(self.sources)

    @property
    def bytes_scanned(self) -> int:
        return sum(s.size for s in self.sources)

    def lines(self) -> Iterable[tuple[float | None, bytes, int]]:
        return self._lines


def search_rendered(paths: Sequence[str], matcher: Matcher, render: "Render", *, query: str,
                    zone: Zone | None = None, text_mode: bool = False, jobs: int | None = None,
                    event_filter: EventFilter | None = None, ident: str | None = None) -> RenderedSearch:
    """``search``, turned into bytes by ``render`` as events are found (``--json``): a search with
    many hits runs one process per source, each sending its rendered events to a merge by time,
    so memory stays bounded and both cores work; a few hits are answered by windows in-process."""
    event_filter = event_filter or EventFilter()
    zone = zone or Zone()
    jobs = jobs or min(2, os.cpu_count() or 1)
    problems: list[str] = []
    sources = expand_paths(list(paths), problems)

    def named(events: Iterator[Event]) -> Iterator[Event]:
        for ev in events:
            if ident is not None and ev.correlation_id is None:
                ev.correlation_id = ident
            yield ev

    plan = _heavy_plan(sources, matcher, jobs)

    def windows() -> Iterator[tuple[float | None, bytes, int]]:
        result = _search_sources(sources, problems, matcher, None, query=query, zone=zone, text_mode=text_mode,
                                 jobs=jobs, event_filter=event_filter)
        for ev in named(iter(result.events)):
            text, cut = render(ev)
            yield ev.ts, text.encode("utf-8", "surrogateescape"), cut

    if plan is not None:
        from devkit.logs.parallel import merge_rendered  # (only here: a few hits never fork)

        read = _streamed(matcher, zone, text_mode, event_filter.window, plan)
        return RenderedSearch(sources, problems, query, merge_rendered(
            sources, zone, render, text_mode=text_mode, problems=problems,
            events=lambda s, probs: named(event_filter.apply(read(s, probs)))))
    return RenderedSearch(sources, problems, query, windows())


def _heavy_plan(sources: list[Source], matcher: Matcher, jobs: int) -> dict[int, int] | None:
    """How many processes each source's windows get when a search has many hits (past
    ``HEAVY_HITS``, estimated from the files' heads): a file with most of them gets ``jobs``, the
    rest one each. None when a few hits are answered faster by windows in this process."""
    from devkit.logs.cores import worth_it

    if not worth_it(sources, jobs, least=1):
        return None
    estimates = _estimated_hits(sources, matcher)
    total = sum(estimates.values())
    if total <= HEAVY_HITS:
        return None
    return {s.index: jobs if estimates.get(s.index, 0) * 2 >= total else 1 for s in sources}


def _streamed(matcher: Matcher, zone: Zone, text_mode: bool, window: tuple | None,
              plan: dict[int, int]) -> "SourceEvents":
    """A worker's search of its source: events as they are found, its windows shared by ``plan``."""

    def read(s: Source, probs: list[str]) -> Iterator[Event]:
        from devkit.logs.streamscan import stream_source

        return stream_source(s, matcher, zone, probs, text_mode=text_mode, window=window, procs=plan.get(s.index, 1))

    return read


def _estimated_hits(sources: list[Source], matcher: Matcher) -> dict[int, float]:
    """About how many raw hits each file holds, from its head (1 MB): whether windows in one
    process would be slow, and which files deserve more than one process."""
    from devkit.logs.scan import estimated_hits

    return {s.index: estimated_hits(s, matcher) for s in sources}


def trace(ident: str, paths: Sequence[str], *, field: str | None = None, **kw) -> SearchResult:
    """Every event that carries the correlation ID ``ident`` (as a whole token).

    An event that names the ID only in its text (``charge failed for request <id>``) gets it as
    its ``correlation_id``: it is the ID that matched.
    """
    result = search(paths, IdMatcher(ident, field), query=ident, **kw)
    for ev in result.events:
        if ev.correlation_id is None:
            ev.correlation_id = ident
    return result


def grep(pattern: str, paths: Sequence[str], *, fixed: bool = False, ignore_case: bool = False,
         field: str | None = None, **kw) -> SearchResult:
    """Every event with ``pattern`` anywhere in it, its traceback included."""
    return search(paths, PatternMatcher(pattern, fixed, ignore_case, field), query=pattern, **kw)


class MergeRun:
    """A lazy merge: iterate ``events``; ``problems`` fills as sources are read."""

    def __init__(self, sources: list[Source], problems: list[str], zone: Zone, text_mode: bool = False,
                 event_filter: EventFilter | None = None) -> None:
        self.sources, self.problems, self.zone, self.text_mode = sources, problems, zone, text_mode
        self.event_filter = event_filter if event_filter is not None else EventFilter()

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

    def filtered_events(self, s: Source, problems: list[str]) -> Iterator[Event]:
        """One source's events that pass the filter (what a worker of ``rendered`` reads)."""
        run = MergeRun([s], problems, self.zone, self.text_mode, self.event_filter)
        return self.event_filter.apply(run.source_events(s))

    @property
    def bytes_total(self) -> int:
        return sum(s.size for s in self.sources)

    @property
    def events(self) -> Iterator[Event]:
        return self.event_filter.apply(merge_events(self.source_events(s) for s in self.sources))

    def rendered(self, render: "Render", jobs: int | None = None) -> Iterable[tuple[float | None, bytes, int]]:
        """``(time, bytes, offset position)`` per event, in the order of ``events``, each event turned
        into bytes by ``render``: on one process per source when there is enough to share, so a
        full read of several files uses every core (then also as ready output ``chunks``)."""
        from devkit.logs.cores import worth_it
        from devkit.logs.parallel import merge_rendered

        jobs = jobs or min(2, os.cpu_count() or 1)
        if worth_it(self.sources, jobs):
            return merge_rendered(self.sources, self.zone, render, text_mode=self.text_mode,
                                  problems=self.problems, events=self.filtered_events)
        return self._rendered_here(render)

    def _rendered_here(self, render: "Render") -> Iterator[tuple[float | None, bytes, int]]:
        for ev in self.events:
            text, cut = render(ev)
            yield ev.ts, text.encode("utf-8", "surrogateescape"), cut


def merge(paths: Sequence[str], *, zone: Zone | None = None, text_mode: bool = False,
          event_filter: EventFilter | None = None) -> MergeRun:
    """All events of all sources, stitched, in time order, read lazily (constant memory)."""
    problems: list[str] = []
    sources = expand_paths(list(paths), problems)
    return MergeRun(sources, problems, zone or Zone(), text_mode, event_filter or EventFilter())
