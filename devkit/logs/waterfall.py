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

from array import array
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
    _placed: Placed | None = field(default=None, repr=False)

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
        placed = self._placed
        i = None if placed is None else placed.index_of(event)
        if i is None or not placed.timed(i):  # type: ignore[union-attr]
            return None, None
        return placed.begins[i], placed.ends[i]  # type: ignore[union-attr]

    def when(self, event: Event) -> float | None:
        """The event's time as placed: its stamp, or the refined end of a whole-second one."""
        return self.span(event)[1]

    def hop_of(self, event: Event) -> Hop | None:
        placed = self._placed
        i = None if placed is None else placed.index_of(event)
        return None if i is None else self.hops[placed.rows[i]]  # type: ignore[union-attr]

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
    events = events if isinstance(events, list) else list(events)
    placed = _place(events)
    hops = _segment(events, placed, service)
    ordered = _nest(hops)
    _own_times(ordered)
    for hop in ordered:
        for i in placed.members.pop(id(hop)):
            placed.rows[i] = hop.row
    timed = [h for h in ordered if h.start is not None]
    start = min((h.start for h in timed), default=None)  # type: ignore[type-var]
    end = max((h.end for h in timed), default=None)  # type: ignore[type-var]
    return Waterfall(ordered, start, end, _root_cause(events, placed, ordered), placed)


# --- placing events in time -----------------------------------------------------------------------

_NAN = float("nan")


class Placed:
    """Every event's placed work span by its position in the events: two arrays of floats (NaN
    for an event with no time) rather than objects per event, so that the waterfall of 150,000
    events costs a few megabytes; and, once the hops are known, the row each event is in."""

    __slots__ = ("events", "begins", "ends", "uncertain", "rows", "members", "_index")

    def __init__(self, events: list[Event]) -> None:
        self.events = events
        self.begins, self.ends = array("d"), array("d")
        self.uncertain: dict[int, float] = {}  # position -> uncertainty of a refined whole-second end
        self.rows = array("l", bytes(array("l").itemsize * len(events)))
        self.members: dict[int, array] = {}  # id(hop) -> positions of its events (while building)
        self._index: dict[int, int] | None = None

    def timed(self, i: int) -> bool:
        return self.ends[i] == self.ends[i]  # (NaN is not equal to itself)

    def index_of(self, event: Event) -> int | None:
        """The event's position (an index by identity, built when a renderer first asks)."""
        if self._index is None:
            self._index = {id(ev): i for i, ev in enumerate(self.events)}
        return self._index.get(id(event))


def _place(events: list[Event]) -> Placed:
    """(begin, end) of every timed event, and the uncertainty of each refined whole-second end."""
    placed = Placed(events)
    begins, ends = placed.begins, placed.ends
    coarse = []
    for i, ev in enumerate(events):
        ts = ev.ts
        if ts is None:
            begins.append(_NAN)
            ends.append(_NAN)
            continue
        d = ev.duration
        if d and d > 0:
            if ev.ts_resolution >= COARSE:
                coarse.append(i)
        else:
            d = 0.0
        begins.append(ts - d)
        ends.append(ts)
    if not coarse:
        return placed
    points = sorted(t for i in range(len(events)) if placed.timed(i) for t in (begins[i], ends[i]))
    for i in coarse:
        ev = events[i]
        # the event's own two points are not work it contains
        end, placed.uncertain[i] = _refined_end(ev.ts, ev.ts_resolution, ev.duration, points,  # type: ignore
                                                (begins[i], ends[i]))
        begins[i], ends[i] = end - ev.duration, end  # type: ignore[operator]
    return placed


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

def _segment(events: list[Event], placed: Placed, service: Callable[[Event], str]) -> list[Hop]:
    """Cut each service's events into hops with a stack of open hops (see the module doc)."""
    hops: list[Hop] = []
    visits: dict[str, int] = {}
    stack: list[Hop] = []
    detached: dict[str, Hop] = {}  # callees left running when their caller logged an error
    begins, ends, uncertain, members = placed.begins, placed.ends, placed.uncertain, placed.members

    def join(hop: Hop, i: int) -> None:
        hop.events.append(events[i])
        members[id(hop)].append(i)

    def new_hop(name: str, visit: int) -> Hop:
        hop = Hop(len(hops), name, visit, None, None)
        hops.append(hop)
        members[id(hop)] = array("l")
        return hop

    timed = sorted(filter(placed.timed, range(len(events))), key=ends.__getitem__)  # stable: ties in order
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
                hop = new_hop(name, visits[name])
            stack.append(hop)
        join(hop, i)
    for hop in hops:
        own = members[id(hop)]
        hop.start, hop.end = min(map(begins.__getitem__, own)), max(map(ends.__getitem__, own))
        with_duration = [i for i in own if events[i].duration]
        if with_duration:
            hop.placed = "refined" if any(i in uncertain for i in with_duration) else "duration"
            hop.uncertainty = max(uncertain.get(i, 0.0) for i in with_duration)
            first = min(own, key=begins.__getitem__)
            hop.derived = begins[first] < ends[first]
    last = {hop.service: hop for hop in hops}
    for i, ev in enumerate(events):  # no time: the service's last hop, else a hop of their own at the end
        if placed.timed(i):
            continue
        name = service(ev)
        if name not in last:
            last[name] = new_hop(name, 1)
        join(last[name], i)
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


def _root_cause(events: list[Event], placed: Placed, hops: list[Hop]) -> RootCause | None:
    """The first error by placed time; at the same time the deeper hop (the callee) wins."""
    best: tuple | None = None
    for i, ev in enumerate(events):
        if ev.is_error:
            t = placed.ends[i] if placed.timed(i) else None
            key = (t is None, t or 0.0, -hops[placed.rows[i]].depth, i)
            if best is None or key < best:
                best = key
    if best is None:
        return None
    i = best[-1]
    return RootCause(events[i], placed.rows[i], placed.ends[i] if placed.timed(i) else None)
