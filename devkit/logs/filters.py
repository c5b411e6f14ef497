"""Which events a view keeps: a time window, a minimum level, a set of services.

Filters act on whole events (a traceback is kept or dropped with its record, never cut) and are
the same for ``trace``, ``grep``, ``merge``, ``requests`` and ``--follow``. Times are read as the
user writes them: ISO (``2026-11-20T09:15``, with or without an offset), a time of day
(``09:15``), relative (``10m``, ``2h``, ``1d``), ``today``, ``yesterday`` or ``@EPOCH``. The
window is half-open: ``--since`` is included, ``--until`` is not.
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Iterable, Iterator, NamedTuple

from devkit.errors import InputError
from devkit.lazyre import lazy
from devkit.logs.event import Event
from devkit.logs.formats import normalize_level
from devkit.logs.sources import service_from_path
from devkit.logs.timestamps import Zone, timegm

#: Severity order; an event that states no level counts as INFO.
LEVEL_RANK = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}
_UNSTATED = LEVEL_RANK["INFO"]

_UNITS = {"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "m": 60, "min": 60, "mins": 60, "minute": 60,
          "minutes": 60, "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600, "d": 86400,
          "day": 86400, "days": 86400, "w": 604800, "week": 604800, "weeks": 604800}
_RELATIVE = lazy(r"-?(\d+(?:\.\d+)?)\s*([a-z]+)(?:\s+ago)?")
_OFFSET = r"\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}:?\d{2})?"
_CLOCK = r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<frac>\d{1,9}))?)?"
_DATE_TIME = lazy(r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})(?:[T ]" + _CLOCK + r")?" + _OFFSET)
_TIME_OF_DAY = lazy(_CLOCK + _OFFSET)
TIME_HELP = "ISO (2026-11-20T09:15), a time of day in --tz (09:15), relative (10m, 2h, 1d), today, yesterday"


def level_rank(event: Event) -> int:
    return LEVEL_RANK.get(event.level or "", _UNSTATED)


def parse_level(text: str) -> str:
    """``warn`` -> ``WARNING``; raises InputError naming the levels devkit knows."""
    level = normalize_level(text)
    if level is None:
        raise InputError(f"--level: unknown level {text!r} (use one of {', '.join(LEVEL_RANK)})")
    return level


def _offset_seconds(tz: str) -> int:
    if tz in ("Z", "UTC", "GMT"):
        return 0
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    return sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)


def _day_in_zone(ts: float, zone: Zone) -> tuple[int, int, int]:
    if zone.tz is None:
        t = time.localtime(ts)
        return t.tm_year, t.tm_mon, t.tm_mday
    d = datetime.fromtimestamp(ts, zone.tz)
    return d.year, d.month, d.day


def _epoch(y: int, mo: int, d: int, m: re.Match, zone: Zone) -> float:
    h, mi = int(m["h"] or 0), int(m["mi"] or 0)
    s = int(m["s"] or 0)
    frac = int(m["frac"]) / 10 ** len(m["frac"]) if m["frac"] else 0.0
    if not (1 <= mo <= 12 and 1 <= d <= 31 and h < 24 and mi < 60 and s < 61):
        raise ValueError("out of range")
    if m["tz"]:
        return timegm((y, mo, d, h, mi, s)) + frac - _offset_seconds(m["tz"])
    return zone.naive_to_epoch(y, mo, d, h, mi, s, frac)


def parse_when(text: str, zone: Zone, now: float | None = None, day: tuple[int, int, int] | None = None,
               option: str = "--since") -> float:
    """Epoch seconds for a time as a person writes it; ``day`` is the date of a bare time of day."""
    now = time.time() if now is None else now
    value = text.strip()
    low = value.lower()
    try:
        if low == "now":
            return now
        if low in ("today", "yesterday"):
            y, mo, d = _day_in_zone(now, zone)
            midnight = zone.naive_to_epoch(y, mo, d, 0, 0, 0, 0.0)
            if low == "today":
                return midnight
            y, mo, d = _day_in_zone(midnight - 43200, zone)
            return zone.naive_to_epoch(y, mo, d, 0, 0, 0, 0.0)
        if low.startswith("@"):
            return float(low[1:])
        m = _RELATIVE.fullmatch(low)
        if m and m[2] in _UNITS:
            return now - float(m[1]) * _UNITS[m[2]]
        m = _DATE_TIME.fullmatch(value)
        if m:
            return _epoch(int(m["y"]), int(m["mo"]), int(m["d"]), m, zone)
        m = _TIME_OF_DAY.fullmatch(value)
        if m:
            y, mo, d = day or _day_in_zone(now, zone)
            return _epoch(y, mo, d, m, zone)
    except (ValueError, OverflowError):
        pass
    raise InputError(f"{option}: cannot read the time {text!r} (use {TIME_HELP})")


def _is_time_of_day(text: str) -> bool:
    return _TIME_OF_DAY.fullmatch(text.strip()) is not None


class EventFilter(NamedTuple):  # (not a dataclass: those cost start-up time)
    """Keep events in ``[since, until)`` at ``level`` or above from services matching a glob."""

    since: float | None = None
    until: float | None = None
    level: str | None = None
    services: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.since is not None or self.until is not None or self.level is not None or bool(self.services)

    @property
    def window(self) -> tuple[float | None, float | None] | None:
        """The time bounds, or None when there are none (no seek needed)."""
        if self.since is None and self.until is None:
            return None
        return self.since, self.until

    def time_ok(self, ts: float | None) -> bool:
        if self.since is None and self.until is None:
            return True
        if ts is None:
            return False
        return (self.since is None or ts >= self.since) and (self.until is None or ts < self.until)

    def level_ok(self, event: Event) -> bool:
        return self.level is None or level_rank(event) >= LEVEL_RANK[self.level]

    def service_ok(self, service: str) -> bool:
        if not self.services:
            return True
        name = service.lower()
        return any(fnmatchcase(name, pattern.lower()) for pattern in self.services)

    def matches(self, event: Event) -> bool:
        return (self.time_ok(event.ts) and self.level_ok(event)
                and self.service_ok(event.service or service_from_path(event.source)))

    def apply(self, events: Iterable[Event]) -> Iterator[Event]:
        if not self:
            return iter(events)
        return (ev for ev in events if self.matches(ev))

    def describe(self, zone_name: str | None = None) -> str:
        """``since 09:16, level ERROR+, service orders`` for messages; empty when nothing is set."""
        from devkit.logs.timestamps import format_utc

        parts = []
        if self.since is not None:
            parts.append(f"since {format_utc(self.since)}")
        if self.until is not None:
            parts.append(f"until {format_utc(self.until)}")
        if self.level:
            parts.append(f"level {self.level} and above")
        if self.services:
            parts.append("service " + "|".join(self.services))
        return ", ".join(parts)


def build_filter(since: str | None = None, until: str | None = None, level: str | None = None,
                 services: Iterable[str] = (), zone: Zone | None = None, now: float | None = None) -> EventFilter:
    """The filter for the options as typed; a bare ``--until`` time of day takes ``--since``'s date."""
    zone = zone or Zone()
    now = time.time() if now is None else now
    start = parse_when(since, zone, now, option="--since") if since else None
    end = None
    if until:
        day = _day_in_zone(start, zone) if start is not None and _is_time_of_day(until) else None
        end = parse_when(until, zone, now, day, option="--until")
        if day is not None and start is not None and end <= start:
            end = parse_when(until, zone, now, _day_in_zone(start + 86400, zone), option="--until")
    if start is not None and end is not None and end <= start:
        raise InputError("--until must be later than --since")
    return EventFilter(start, end, parse_level(level) if level else None, tuple(services))
