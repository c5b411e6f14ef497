"""A request's waterfall rebuilt from plain logs: who worked when, inside whom, and what broke first.

Logs say when each record was written, not who called whom, so the call structure is read from
time alone, with rules a person can check:

* **Work spans.** An event that logs a duration (nginx ``rt``, gunicorn ``%(D)s``, uwsgi ``in N
  msecs``, Celery ``succeeded in Xs``: ``Event.duration``) reports work over [ts - duration, ts].
  A whole-second stamp (nginx ``$time_local``, written when the request *ends*) only says that
  the end lies in [ts, ts + 1); it is placed where its span holds the most other records (the work
  it must contain), in the middle of the places that do, and its uncertainty is kept.
* **Hops.** A hop is one stretch of a service's work. Events are read in time order with a stack
  of open hops: an event of a service that is open closes every hop opened above it (its callees
  returned) and joins it; an event of a service that is not open starts a new hop. So a service
  called twice (reserve, then release, with its caller logging in between) gives two hops. An
  *error* of the caller does not close its callees (a timeout leaves them running): their later
  records still join the hop they began, which then outlasts its caller.
* **Nesting.** A hop is nested under the innermost hop that was active when it began (the entry
  hop first). A hop that began when nothing of the request was active any more is asynchronous
  (a queue consumer after its producer finished): shown at the top level, marked, never nested.
* **Own time** is a hop's time not covered by its callees (their whole subtrees).
* **Probable root cause:** the first error event by (placed) time; later errors cascade from it.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import Callable, Sequence

from devkit.logs.event import Event
from devkit.logs.sources import service_from_path
from devkit.logs.timestamps import format_utc

#: Seconds of slack when a hop's start is derived from a logged duration: both the stamp and the
#: duration are truncated to the millisecond, so such a start may sit a little after its callee's.
DERIVED_SLACK = 0.002
#: Stamps coarser than this (whole seconds) are placed from the records their span must contain.
COARSE = 0.01
#: At most this many candidate end times are tried when placing one coarse stamp.
MAX_CANDIDATES = 4096


def _length(start: float | None, end: float | None) -> float | None:
    return None if start is None or end is None else end - start


def service_of(event: Event) -> str:
    """The service an event belongs to: its own, else the one its file name says."""
    return event.service or service_from_path(event.source)


@dataclass
class Hop:
    """One stretch of one service's work for the request: a row of the waterfall."""

    row: int
    service: str
    visit: int  # 1 for the service's first hop, 2 for the second, ...
    start: float | None
    end: float | None
    events: list[Event] = field(default_factory=list)
    parent: int | None = None  # row of the hop it is nested under
    depth: int = 0
    children: list[int] = field(default_factory=list)
    asynchronous: bool = False  # began after everything before it had ended
    after: int | None = None  # asynchronous: row of the tree that ended before it began
    gap: float | None = None  # asynchronous: seconds between that end and this start
    own: float | None = None  # seconds not covered by its callees
    subtree_end: float | None = None  # latest end of this hop and everything nested under it
    placed: str = "events"  # "events", "duration" (start = end - logged duration), "refined"
    uncertainty: float = 0.0  # seconds either way, for a refined whole-second stamp
    derived: bool = False  # its start comes from a logged duration

    @property
    def duration(self) -> float | None:
        return _length(self.start, self.end)

    @property
    def error_events(self) -> list[Event]:
        return [e for e in self.events if e.is_error]

    @property
    def errors(self) -> int:
        return sum(1 for e in self.events if e.is_error)

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(e.source for e in self.events))

    @property
    def status(self) -> int | None:
        """The HTTP status the hop answered, where one of its events logs it (the last one wins)."""
        for ev in reversed(self.events):
            if ev.status is not None:
                return ev.status
        return None

    @property
    def label(self) -> str:
        return self.service if self.visit == 1 else f"{self.service} #{self.visit}"

    def to_json(self, origin: float | None) -> dict:
        def offset(t: float | None) -> float | None:
            return None if t is None or origin is None else round(t - origin, 6)

        return {
            "row": self.row,
            "service": self.service,
            "visit": self.visit,
            "parent": self.parent,
            "depth": self.depth,
            "async": self.asynchronous,
            "after": self.after,
            "gap_s": None if self.gap is None else round(self.gap, 6),
            "start": format_utc(self.start),
            "end": format_utc(self.end),
            "start_s": offset(self.start),
            "end_s": offset(self.end),
            "duration_s": None if self.duration is None else round(self.duration, 6),
            "own_s": None if self.own is None else round(self.own, 6),
            "events": len(self.events),
            "errors": self.errors,
            "status": self.status,
            "placed": self.placed,
            "uncertainty_s": round(self.uncertainty, 6),
            "sources": self.sources,
        }


@dataclass
class RootCause:
    """The first error of the request: where to start reading."""

    event: Event
    row: int
    time: float | None

    @property
    def message(self) -> str:
        return self.event.message.split("\n", 1)[0].strip()

    @property
    def exception(self) -> str | None:
        """The exception line of its traceback (``httpx.ConnectTimeout: timed out``), if any."""
        return exception_line(self.event.traceback)

    def to_json(self, origin: float | None) -> dict:
        return {
            "row": self.row,
            "service": service_of(self.event),
            "time": format_utc(self.time),
            "offset_s": None if self.time is None or origin is None else round(self.time - origin, 6),
            "level": self.event.level,
            "message": self.message,
            "exception": self.exception,
            "source": self.event.source,
            "line": self.event.line,
        }


def exception_line(traceback: str | None) -> str | None:
    """The last line of a Python traceback that is not indented (the exception), else the first."""
    if not traceback:
        return None
    lines = [ln for ln in traceback.split("\n") if ln.strip()]
    if not lines:
        return None
    if lines[0].startswith("Traceback"):
        for ln in reversed(lines):
            if not ln[0].isspace():
                return ln.strip()
    return lines[0].strip()


@dataclass
class Waterfall:
    """The hops of one request in display order (each parent before its callees)."""

    hops: list[Hop]
    start: float | None
    end: float | None
    root_cause: RootCause | None
    _spans: dict[int, tuple[float, float]] = field(default_factory=dict, repr=False)
    _rows: dict[int, int] = field(default_factory=dict, repr=False)

    @property
    def duration(self) -> float | None:
        return _length(self.start, self.end)

    @property
    def services(self) -> list[str]:
        """Services in the order of their first hop."""
        return list(dict.fromkeys(h.service for h in self.hops))

    @property
    def errors(self) -> int:
        return sum(h.errors for h in self.hops)

    def span(self, event: Event) -> tuple[float | None, float | None]:
        """When the event's work began and ended, as placed (refined for coarse stamps)."""
        got = self._spans.get(id(event))
        return (None, None) if got is None else got

    def when(self, event: Event) -> float | None:
        """The event's time as placed: its stamp, or the refined end of a whole-second one."""
        return self.span(event)[1]

    def hop_of(self, event: Event) -> Hop | None:
        row = self._rows.get(id(event))
        return None if row is None else self.hops[row]

    def to_json(self) -> dict:
        return {
            "start": format_utc(self.start),
            "end": format_utc(self.end),
            "duration_s": None if self.duration is None else round(self.duration, 6),
            "rows": [h.to_json(self.start) for h in self.hops],
            "root_cause": None if self.root_cause is None else self.root_cause.to_json(self.start),
        }


def build_waterfall(events: Sequence[Event], service: Callable[[Event], str] = service_of) -> Waterfall:
    """The waterfall of one request's events (any order; usually a trace result)."""
    spans, uncertain = _place(events)
    hops = _segment(events, spans, uncertain, service)
    ordered = _nest(hops)
    _own_times(ordered)
    rows = {id(ev): h.row for h in ordered for ev in h.events}
    timed = [h for h in ordered if h.start is not None]
    start = min((h.start for h in timed), default=None)  # type: ignore[type-var]
    end = max((h.end for h in timed), default=None)  # type: ignore[type-var]
    return Waterfall(ordered, start, end, _root_cause(events, spans, rows, ordered), spans, rows)


# --- placing events in time -----------------------------------------------------------------------

Spans = dict[int, tuple[float, float]]  # id(event) -> (begin, end)


def _place(events: Sequence[Event]) -> tuple[Spans, dict[int, float]]:
    """(begin, end) of every timed event, and the uncertainty of each refined whole-second end."""
    spans: Spans = {}
    for ev in events:
        if ev.ts is None:
            continue
        d = ev.duration if ev.duration and ev.duration > 0 else 0.0
        spans[id(ev)] = (ev.ts - d, ev.ts)
    uncertain: dict[int, float] = {}
    coarse = [ev for ev in events if id(ev) in spans and ev.duration and ev.duration > 0
              and ev.ts_resolution >= COARSE]
    if not coarse:
        return spans, uncertain
    points = sorted(t for span in spans.values() for t in span)
    for ev in coarse:
        # the event's own two points are not work it contains
        end, uncertain[id(ev)] = _refined_end(ev.ts, ev.ts_resolution, ev.duration, points,  # type: ignore
                                              spans[id(ev)])
        spans[id(ev)] = (end - ev.duration, end)  # type: ignore[operator]
    return spans, uncertain


def _refined_end(ts: float, resolution: float, duration: float, points: list[float],
                 own: tuple[float, ...] = ()) -> tuple[float, float]:
    """(end, uncertainty): where in [ts, ts + resolution) the end lies so that [end - duration, end]
    holds the most other records (``points``, sorted, less ``own``), in the middle of the ends
    that do."""
    lo, hi = ts, ts + resolution
    near = points[bisect_left(points, lo - duration):bisect_right(points, hi)]
    for t in own:
        i = bisect_left(near, t)
        if i < len(near) and near[i] == t:
            del near[i]

    def held(e: float) -> int:
        return bisect_right(near, e) - bisect_left(near, e - duration)

    marks = {lo, hi}
    for t in near:
        for m in (t, t + duration):
            if lo <= m <= hi:
                marks.add(m)
    cuts = sorted(marks)
    if len(cuts) > MAX_CANDIDATES:
        step = len(cuts) / MAX_CANDIDATES
        cuts = sorted({cuts[int(i * step)] for i in range(MAX_CANDIDATES)} | {lo, hi})
    candidates = cuts + [(a + b) / 2 for a, b in zip(cuts, cuts[1:])]
    best = max(candidates, key=lambda e: (held(e), -e))
    inside = near[bisect_left(near, best - duration):bisect_right(near, best)]
    if inside:
        lo, hi = max(lo, inside[-1]), min(hi, inside[0] + duration)
    if hi < lo:  # cannot happen for a best place; kept safe against rounding
        lo = hi = best
    return (lo + hi) / 2, (hi - lo) / 2


# --- hops ---------------------------------------------------------------------------------------------

def _segment(events: Sequence[Event], spans: Spans, uncertain: dict[int, float],
             service: Callable[[Event], str]) -> list[Hop]:
    """Cut each service's events into hops with a stack of open hops (see the module doc)."""
    hops: list[Hop] = []
    visits: dict[str, int] = {}
    stack: list[Hop] = []
    detached: dict[str, Hop] = {}  # callees left running when their caller logged an error
    timed = sorted((i for i, ev in enumerate(events) if id(ev) in spans),
                   key=lambda i: (spans[id(events[i])][1], i))
    for i in timed:
        ev = events[i]
        name = service(ev)
        for depth in range(len(stack) - 1, -1, -1):
            if stack[depth].service == name:
                if ev.is_error:  # a caller's error (a timeout?) does not end what it called
                    detached.update((h.service, h) for h in stack[depth + 1:])
                del stack[depth + 1:]
                hop = stack[depth]
                break
        else:
            hop = detached.pop(name, None)  # type: ignore[assignment]
            if hop is None:
                visits[name] = visits.get(name, 0) + 1
                hop = Hop(len(hops), name, visits[name], None, None)
                hops.append(hop)
            stack.append(hop)
        hop.events.append(ev)
    for hop in hops:
        begins = [spans[id(e)][0] for e in hop.events]
        hop.start, hop.end = min(begins), max(spans[id(e)][1] for e in hop.events)
        with_duration = [e for e in hop.events if e.duration]
        if with_duration:
            hop.placed = "refined" if any(id(e) in uncertain for e in with_duration) else "duration"
            hop.uncertainty = max(uncertain.get(id(e), 0.0) for e in with_duration)
            first = min(hop.events, key=lambda e: spans[id(e)][0])
            hop.derived = spans[id(first)][0] < spans[id(first)][1]
    last = {hop.service: hop for hop in hops}
    for ev in events:  # no time: the service's last hop, else a hop of their own at the end
        if id(ev) in spans:
            continue
        name = service(ev)
        if name not in last:
            last[name] = Hop(len(hops), name, 1, None, None)
            hops.append(last[name])
        last[name].events.append(ev)
    return hops


def _nest(hops: list[Hop]) -> list[Hop]:
    """Parents, depths and asynchronous marks; returns the hops in display order, rows renumbered."""
    timed = sorted((h for h in hops if h.start is not None), key=lambda h: (h.start, -h.end, h.row))
    _derived_first(timed)
    roots: list[Hop] = []
    active: list[Hop] = []  # hops that may still contain a later start
    children: dict[int, list[Hop]] = {}
    for hop in timed:
        active = [p for p in active if p.end + DERIVED_SLACK >= hop.start]  # type: ignore[operator]
        best: Hop | None = None
        for p in active:
            slack = DERIVED_SLACK if (p.derived or hop.derived) else 0.0
            if p.start - slack <= hop.start <= p.end and (  # type: ignore[operator]
                    best is None or (p.depth, p.start) > (best.depth, best.start)):
                best = p
        if best is None:
            roots.append(hop)
        else:
            hop.parent, hop.depth = best.row, best.depth + 1
            children.setdefault(best.row, []).append(hop)
        active.append(hop)
    ordered: list[Hop] = []
    todo = list(reversed(roots))
    while todo:  # depth first, callees in order of start (no recursion: chains can be deep)
        hop = todo.pop()
        ordered.append(hop)
        todo.extend(reversed(children.get(hop.row, [])))
    ordered += [h for h in hops if h.start is None]
    renumber = {h.row: i for i, h in enumerate(ordered)}
    for h in ordered:
        h.row = renumber[h.row]
        h.parent = None if h.parent is None else renumber[h.parent]
    for h in ordered:
        if h.parent is not None:
            ordered[h.parent].children.append(h.row)
    _subtree_ends(ordered)
    _mark_asynchronous(ordered)
    return ordered


def _derived_first(order: list[Hop]) -> None:
    """A hop whose start is derived from a duration and falls within the slack after another
    hop's start, but ends later, goes first: it is the caller (nginx before the app it fronts)."""
    i = 1
    while i < len(order):
        a, b = order[i - 1], order[i]
        if b.derived and b.start - a.start <= DERIVED_SLACK and b.end > a.end:  # type: ignore[operator]
            order[i - 1], order[i] = b, a
            i = max(1, i - 1)
        else:
            i += 1


def _subtree_ends(ordered: list[Hop]) -> None:
    for hop in reversed(ordered):  # children come after their parent
        if hop.end is None:
            continue
        hop.subtree_end = max([hop.end] + [ordered[c].subtree_end for c in hop.children  # type: ignore[misc]
                                           if ordered[c].subtree_end is not None])


def _mark_asynchronous(ordered: list[Hop]) -> None:
    """Every top-level timed hop after the first began when nothing before it was active."""
    seen: list[Hop] = []
    for hop in ordered:
        if hop.parent is not None or hop.start is None:
            continue
        if seen:
            before = [r for r in seen if r.subtree_end is not None and r.subtree_end <= hop.start]
            if before:
                prev = max(before, key=lambda r: r.subtree_end)  # type: ignore[arg-type,return-value]
                hop.after, hop.gap = prev.row, hop.start - prev.subtree_end  # type: ignore[operator]
            hop.asynchronous = True
        seen.append(hop)


def _own_times(ordered: list[Hop]) -> None:
    """A hop's duration minus the union of its callees' subtrees (clipped to the hop)."""
    for hop in ordered:
        if hop.start is None or hop.end is None:
            continue
        pieces = sorted((max(hop.start, ordered[c].start), min(hop.end, ordered[c].subtree_end))  # type: ignore
                        for c in hop.children if ordered[c].start is not None)
        covered, reach = 0.0, hop.start
        for a, b in pieces:
            a = max(a, reach)
            if b > a:
                covered += b - a
                reach = b
        hop.own = max(0.0, (hop.end - hop.start) - covered)


def _root_cause(events: Sequence[Event], spans: Spans, rows: dict[int, int],
                hops: list[Hop]) -> RootCause | None:
    """The first error by placed time; at the same time the deeper hop (the callee) wins."""
    errors = [(i, ev) for i, ev in enumerate(events) if ev.is_error]
    if not errors:
        return None

    def key(item: tuple[int, Event]) -> tuple:
        i, ev = item
        t = spans.get(id(ev), (None, None))[1]
        return (t is None, t or 0.0, -hops[rows[id(ev)]].depth, i)

    i, ev = min(errors, key=key)
    return RootCause(ev, rows[id(ev)], spans.get(id(ev), (None, None))[1])
