"""``requests``: one row per correlation ID, so the failing and the slow ones can be found first.

Each event adds to its request's row: first and last time, services in order of first appearance,
events, errors (ERROR/CRITICAL, a traceback, or a 5xx), the first error. The request's status
and duration come from its **entry hop**: the outermost access-log-like record (nginx, gunicorn
access, uwsgi, ...: an event with an HTTP status and a request line or an access format), i.e.
the one whose work started first. An event that logs a duration spans ``[ts - duration, ts]``;
when the entry hop's stamp has whole seconds (nginx ``$time_local``) its end is only known to the
second, so its start is placed no later than the first finely stamped event of the request (the
hop that it called cannot start before it). A status logged deep in a service (a payment
provider's ``http_status``) is never the request's status. Without an entry hop, the duration is
last - first and the status the one the first service logged, if any.

Files are aggregated independently (on both cores when there is enough to read) and the partial
rows merged, so memory is one small record per request, not per event.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Sequence

from devkit.logs.event import Event
from devkit.logs.fields import NOT_AN_ID
from devkit.logs.filters import LEVEL_RANK, EventFilter, level_rank
from devkit.logs.sources import Source, expand_paths, service_from_path
from devkit.logs.timestamps import Zone, format_utc

Progress = Callable[[int, int], None]
SORTS = ("time", "duration", "errors")
PARALLEL_MIN_BYTES = 16 << 20
_ACCESS_FORMATS = ("access", "uwsgi", "werkzeug", "django.server")
_REQUEST_LINE = re.compile(r"[A-Z]{3,10} \S+ HTTP/\d")
_INF = float("inf")


def is_access(ev: Event, status: int | None = None) -> bool:
    """An access-log-like record: an HTTP status, and an access format or a request line."""
    if (ev.status if status is None else status) is None:
        return False
    if any(name in ev.format for name in _ACCESS_FORMATS):
        return True
    request = ev.fields.get("request")
    return isinstance(request, str) and _REQUEST_LINE.match(request) is not None


@dataclass(slots=True)
class RequestRow:
    """One request as all services saw it."""

    correlation_id: str
    first: float | None
    last: float | None
    duration: float | None
    services: list[str]
    status: int | None
    events: int
    errors: int
    first_error: str | None = None
    first_error_service: str | None = None
    first_error_ts: float | None = None
    first_error_exception: str | None = None  # the exception line of its traceback
    entry: str | None = None  # the service of the entry hop, when one logged the request
    naive_skew: float | None = None  # naive minus offset-aware first times, when the row mixes them
    max_level: int = 0

    @property
    def failed(self) -> bool:
        return self.errors > 0 or (self.status is not None and self.status >= 500)

    def to_json(self) -> dict:
        return {
            "correlation_id": self.correlation_id,
            "first": format_utc(self.first),
            "last": format_utc(self.last),
            "duration_s": None if self.duration is None else round(self.duration, 6),
            "services": self.services,
            "entry": self.entry,
            "status": self.status,
            "events": self.events,
            "errors": self.errors,
            "failed": self.failed,
            "first_error": self.first_error,
            "first_error_service": self.first_error_service,
            "first_error_time": format_utc(self.first_error_ts),
            "first_error_exception": self.first_error_exception,
        }


# A partial row, as a list (cheap to build, pickle and merge); a million requests must fit. Indices:
_FIRST, _LAST, _COUNT, _ERRORS, _SERVICES, _ENTRY, _STATUS, _ERROR, _FINE, _NAIVE, _AWARE, _LEVEL, _START = range(13)
# _SERVICES is the one service's name while there is one (its start is _START), else {name: start}
_NAMES: dict[str, str] = {}  # one string object per service name, however many requests name it


def _new() -> list:
    return [_INF, -_INF, 0, 0, None, None, None, None, _INF, _INF, _INF, 0, _INF]


def _see_service(acc: list, service: str, start: float) -> None:
    services = acc[_SERVICES]
    if services is None:
        acc[_SERVICES] = service
    elif isinstance(services, str):
        if services != service:
            acc[_SERVICES] = {services: acc[_START], service: start}
    elif start < services.get(service, _INF) or service not in services:
        services[service] = start
    if start < acc[_START]:
        acc[_START] = start


def _services(acc: list) -> dict[str, float]:
    services = acc[_SERVICES]
    if services is None:
        return {}
    return {services: acc[_START]} if isinstance(services, str) else services


def _exception_line(tb: str | None) -> str | None:
    if not tb:
        return None
    for line in reversed(tb.split("\n")):
        if line.strip():
            return line.strip()
    return None


def add_event(acc: list, ev: Event) -> None:
    """Count one event into its request's partial row."""
    acc[_COUNT] += 1
    service = ev.service or service_from_path(ev.source)
    service = _NAMES.setdefault(service, service)
    rank = level_rank(ev)
    if rank > acc[_LEVEL]:
        acc[_LEVEL] = rank
    ts, status = ev.ts, ev.status
    access = status is not None and is_access(ev, status)
    # an error: ERROR/CRITICAL, a traceback, or a 5xx of an access log (not a status a service mentions)
    failure = ev.is_error or (access and status >= 500)
    if failure:
        acc[_ERRORS] += 1
    if ts is None:
        _see_service(acc, service, _INF)
        if failure and acc[_ERROR] is None:
            acc[_ERROR] = (1, _INF, ev.message.split("\n", 1)[0], service, None, _exception_line(ev.traceback))
        return
    duration = ev.duration or 0.0
    start = ts - duration
    if ts > acc[_LAST]:
        acc[_LAST] = ts
    _see_service(acc, service, start)
    if access:  # its start is placed when the row is finished (see finish_row)
        entry = (start, -duration, status, service, ev.ts_resolution)
        if acc[_ENTRY] is None or entry[:2] < acc[_ENTRY][:2]:
            acc[_ENTRY] = entry
    else:
        if start < acc[_FIRST]:
            acc[_FIRST] = start
        if ev.ts_resolution < 1.0 and not ev.ts_inherited and ts < acc[_FINE]:
            acc[_FINE] = ts
        if status is not None and (acc[_STATUS] is None or start < acc[_STATUS][0]):
            acc[_STATUS] = (start, service, status)  # a status without an entry hop: used only then
    if failure:
        error = (1 if access else 0, ts, ev.message.split("\n", 1)[0], service, ts, _exception_line(ev.traceback))
        if acc[_ERROR] is None or error[:2] < acc[_ERROR][:2]:
            acc[_ERROR] = error
    if not ev.ts_inherited:
        slot = _NAIVE if ev.ts_naive else _AWARE
        if ts < acc[slot]:
            acc[slot] = ts


def merge_partial(into: list, other: list) -> None:
    """Fold the partial row of the same request from another source into ``into``."""
    into[_FIRST] = min(into[_FIRST], other[_FIRST])
    into[_LAST] = max(into[_LAST], other[_LAST])
    into[_COUNT] += other[_COUNT]
    into[_ERRORS] += other[_ERRORS]
    services = _services(into)
    for name, start in _services(other).items():
        if name not in services or start < services[name]:
            services[name] = start
    into[_SERVICES] = services
    into[_START] = min(into[_START], other[_START])
    for slot in (_ENTRY, _STATUS, _ERROR):
        mine, theirs = into[slot], other[slot]
        if theirs is not None and (mine is None or theirs[:2] < mine[:2]):
            into[slot] = theirs
    for slot in (_FINE, _NAIVE, _AWARE):
        into[slot] = min(into[slot], other[slot])
    into[_LEVEL] = max(into[_LEVEL], other[_LEVEL])


def _finite(value: float) -> float | None:
    return None if value in (_INF, -_INF) else value


def entry_span(entry: tuple, fine_first: float) -> tuple[float, float]:
    """(start, end) of the entry hop; a whole-second end is pulled towards the first finer stamp."""
    start, neg_duration, _, _, resolution = entry
    duration = -neg_duration
    end = start + duration
    if resolution >= 1.0 and duration and fine_first < _INF:
        # its end is known to the second only; it cannot start after the first hop it called
        start = max(start, min(start + resolution, fine_first))
        end = start + duration
    return start, end


def finish_row(ident: str, acc: list) -> RequestRow:
    """The row of a request from its (merged) partial: entry hop, duration, order of services."""
    first, last = acc[_FIRST], acc[_LAST]
    services = dict(_services(acc))
    entry = acc[_ENTRY]
    status = duration = entry_service = None
    if entry is not None:
        start, end = entry_span(entry, acc[_FINE])
        duration, status, entry_service = -entry[1], entry[2], entry[3]
        first, last = min(first, start), max(last, end)
    first_ts, last_ts = _finite(first), _finite(last)
    if entry is None and first_ts is not None and last_ts is not None:
        duration = last_ts - first_ts
    order = sorted(services, key=lambda name: (name != entry_service, services[name]))
    if entry is None:
        fallback = acc[_STATUS]
        if fallback is not None and order and fallback[1] == order[0]:
            status = fallback[2]
    skew = acc[_NAIVE] - acc[_AWARE] if acc[_NAIVE] < _INF and acc[_AWARE] < _INF else None
    row = RequestRow(ident, first_ts, last_ts, duration, order, status, acc[_COUNT], acc[_ERRORS],
                     entry=entry_service, naive_skew=skew, max_level=acc[_LEVEL])
    error = acc[_ERROR]
    if error is not None:
        _, _, row.first_error, row.first_error_service, row.first_error_ts, row.first_error_exception = error
    return row


def aggregate(events: Iterable[Event], into: dict[str, list] | None = None,
              event_filter: EventFilter | None = None) -> dict[str, list]:
    """Partial rows by correlation ID of the events that carry one (``Internal``, ``-`` do not)."""
    rows: dict[str, list] = {} if into is None else into
    keep = event_filter.time_ok if event_filter is not None and event_filter.window else None
    for ev in events:
        ident = ev.correlation_id
        if not ident or ident in NOT_AN_ID:
            continue
        if keep is not None and not keep(ev.ts):
            continue
        acc = rows.get(ident)
        if acc is None:
            acc = rows[ident] = _new()
        add_event(acc, ev)
    return rows


def _source_events(source: Source, zone: Zone, text_mode: bool, window, problems: list[str]) -> Iterator[Event]:
    from devkit.logs.scan import stitch_source
    from devkit.logs.sources import iter_lines
    from devkit.logs.timeseek import lines_in_window

    if source.path is None:
        from devkit.logs.follow import stdin_events

        return stdin_events(source, zone, problems, text_mode)
    lines = (iter_lines(source, problems, text_mode) if window is None
             else lines_in_window(source, zone, *window, problems, text_mode))
    return stitch_source(source, zone, lines)


def _aggregate_job(args: tuple) -> tuple[int, dict[str, list], list[str]]:
    source, zone, text_mode, event_filter = args
    problems: list[str] = []
    events = _source_events(source, zone, text_mode, event_filter.window, problems)
    return source.index, aggregate(events, event_filter=event_filter), problems


@dataclass
class RequestsResult:
    """Every request's row (unsorted until ``select``), and what was read."""

    rows: list[RequestRow]
    problems: list[str]
    sources_scanned: int
    bytes_scanned: int
    zone: Zone = field(default_factory=Zone)

    def select(self, *, failed: bool = False, services: Sequence[str] = (), level: str | None = None,
               sort: str = "time", limit: int | None = None) -> list[RequestRow]:
        """The rows asked for: failed ones, through a service (glob), reaching a level; sorted, cut."""
        wanted = EventFilter(services=tuple(services))
        min_rank = LEVEL_RANK[level] if level else 0
        rows = [r for r in self.rows if (not failed or r.failed) and r.max_level >= min_rank
                and (not services or any(wanted.service_ok(s) for s in r.services))]
        rows.sort(key=_SORT_KEYS[sort])
        return rows if limit is None else rows[:limit]


_SORT_KEYS: dict[str, Callable[[RequestRow], tuple]] = {
    "time": lambda r: (r.first is None, r.first or 0.0, r.correlation_id),
    "duration": lambda r: (r.duration is None, -(r.duration or 0.0), r.first or 0.0, r.correlation_id),
    "errors": lambda r: (-r.errors, r.first is None, r.first or 0.0, r.correlation_id),
}


def requests(paths: Sequence[str], *, zone: Zone | None = None, text_mode: bool = False,
             event_filter: EventFilter | None = None, progress: Progress | None = None,
             jobs: int | None = None) -> RequestsResult:
    """Rows of every request in ``paths``; events outside ``event_filter``'s time window do not count."""
    zone = zone or Zone()
    event_filter = EventFilter(event_filter.since, event_filter.until) if event_filter else EventFilter()
    problems: list[str] = []
    sources = expand_paths(list(paths), problems)
    total = sum(s.size for s in sources)
    jobs = jobs or min(2, os.cpu_count() or 1)
    work = [(s, zone, text_mode, event_filter) for s in sources]
    merged: dict[str, list] = {}
    per_problems: dict[int, list[str]] = {}
    done = 0
    sizes = {s.index: s.size for s in sources}
    for index, partial, probs in _run(work, jobs, total):
        per_problems[index] = probs
        if not merged:
            merged = partial
        else:
            for ident, acc in partial.items():
                mine = merged.get(ident)
                if mine is None:
                    merged[ident] = acc
                else:
                    merge_partial(mine, acc)
        done += sizes[index]
        if progress:
            progress(done, total)
    for s in sources:
        problems.extend(per_problems.get(s.index, []))
    rows = []
    while merged:  # a partial goes as soon as its row is made: memory holds one of the two
        ident, acc = merged.popitem()
        rows.append(finish_row(ident, acc))
    return RequestsResult(rows, problems, len(sources), total, zone)


def _run(work: list[tuple], jobs: int, total: int) -> Iterator[tuple[int, dict[str, list], list[str]]]:
    if jobs < 2 or len(work) < 2 or total < PARALLEL_MIN_BYTES or not all(w[0].path for w in work):
        yield from map(_aggregate_job, work)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    work = sorted(work, key=lambda w: -w[0].size)  # biggest first: balances the cores
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        yield from pool.map(_aggregate_job, work)
