"""Naive times that disagree: a request whose naive stamps sit whole hours away from its
offset-aware ones was almost surely read in the wrong zone (``--tz``).

A request's events happen within seconds; if the naive sources' first time differs from the
offset-aware sources' first time by close to a whole number of hours, the naive stamps were
written in another zone than the one they were read in. The suggested zone is the one that
closes the gap.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from devkit.logs.event import Event
from devkit.logs.timestamps import Zone

TOLERANCE = 120.0  # seconds off a whole hour that still counts as "a whole number of hours"
MAX_HOURS = 26


@dataclass
class Skew:
    """Naive stamps are ``hours`` ahead (negative: behind) of the offset-aware ones."""

    hours: int
    suggested: str  # a --tz value that would close the gap
    naive: list[str]  # services with naive stamps (when known)
    aware: list[str]

    def message(self) -> str:
        direction = "ahead of" if self.hours > 0 else "behind"
        who = f" ({', '.join(self.naive)})" if self.naive else ""
        against = f" ({', '.join(self.aware)})" if self.aware else ""
        n = abs(self.hours)
        return (f"naive timestamps{who} are {n} hour{'s' if n != 1 else ''} {direction} the timestamps with an "
                f"offset{against}: they were probably written in another zone; try --tz {self.suggested}")


def whole_hours(delta: float, tolerance: float = TOLERANCE) -> int | None:
    """The number of hours ``delta`` seconds is close to, when that is not zero."""
    hours = round(delta / 3600)
    if hours == 0 or abs(hours) > MAX_HOURS or abs(delta - hours * 3600) > tolerance:
        return None
    return hours


def _offset(zone: Zone, at: float) -> int:
    if zone.tz is None:
        return time.localtime(at).tm_gmtoff
    offset = datetime.fromtimestamp(at, zone.tz).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def suggest_zone(zone: Zone, at: float, hours: int) -> str:
    """The ``--tz`` value under which naive stamps read ``hours`` later line up: UTC or +HH:MM."""
    # read with offset o, wall time w became w - o; it was true at w - o_true, ``hours`` earlier
    total = _offset(zone, at) + hours * 3600
    if total == 0:
        return "UTC"
    sign = "+" if total > 0 else "-"
    h, m = divmod(abs(total) // 60, 60)
    return f"{sign}{h:02d}:{m:02d}"


def vote(deltas: Iterable[float]) -> int | None:
    """The hour offset most requests that mix naive and aware stamps agree on (a majority of them)."""
    counts: Counter[int | None] = Counter(whole_hours(d) for d in deltas)
    total = sum(counts.values())
    best = max((h for h in counts if h is not None), key=lambda h: counts[h], default=None)
    if best is None or counts[best] * 2 <= total:
        return None
    return best


def event_skew(events: Iterable[Event], zone: Zone) -> Skew | None:
    """The skew between one request's naive and offset-aware events, if it is whole hours."""
    naive: dict[str, float] = {}
    aware: dict[str, float] = {}
    for ev in events:
        if ev.ts is None or ev.ts_inherited:
            continue
        side = naive if ev.ts_naive else aware
        name = ev.service or "-"
        side[name] = min(side.get(name, ev.ts), ev.ts)
    if not naive or not aware:
        return None
    first_naive, first_aware = min(naive.values()), min(aware.values())
    hours = whole_hours(first_naive - first_aware)
    if hours is None:
        return None
    return Skew(hours, suggest_zone(zone, first_naive, hours), sorted(naive), sorted(aware))


def rows_skew(deltas: list[tuple[float, float]], zone: Zone) -> Skew | None:
    """Across requests: ``deltas`` are (naive - aware first time, a naive time) per mixed row."""
    hours = vote(d for d, _ in deltas)
    if hours is None:
        return None
    at = next(t for d, t in deltas if whole_hours(d) == hours)
    return Skew(hours, suggest_zone(zone, at, hours), [], [])
