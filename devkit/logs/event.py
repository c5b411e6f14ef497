"""The unit devkit shows: one record with all the lines that belong to it."""

from __future__ import annotations

from copyreg import __newobj__ as _newobj  # (pickle writes it as NEWOBJ: no call by name)
from operator import attrgetter

from devkit.logs.timestamps import format_utc, stamp_traits

class _Unset:
    """"Not normalised yet": one object, also after pickling (events cross process boundaries)."""

    __slots__ = ()

    def __reduce__(self) -> str:
        return "_UNSET"


_UNSET = _Unset()
_SLOTS = ("source", "line_numbers", "raw", "format", "ts", "level", "service", "message", "traceback", "fields",
          "source_index", "ts_inherited", "correlation_id", "status", "duration", "ts_naive", "ts_resolution",
          "wrapper")


def _names():
    """The field registry (imported on first use: an event that is never asked costs nothing)."""
    global _registry
    if _registry is None:
        from devkit.logs import fields

        _registry = fields
    return _registry


_registry = None


class Event:
    """A stitched record. ``line_numbers`` are 1-based physical lines of ``source``.

    Syslog- or container-stitched events own non-contiguous lines (other containers' records
    interleave), so ``line_numbers`` is a list, not a range.

    ``correlation_id``, ``status`` and ``duration`` are normalised across formats from the field
    registry (``devkit.logs.fields``) the first time they are read, unless the format set them:
    a full read of a gigabyte never pays for what nobody looks at.
    """

    __slots__ = ("source", "line_numbers", "raw", "format", "ts", "level", "service", "message", "traceback",
                 "fields", "source_index", "ts_inherited", "_correlation_id", "_status", "_duration", "_naive",
                 "_resolution", "_stamp", "wrapper")

    def __init__(self, source: str, line_numbers: list[int], raw: list[bytes], format: str,
                 ts: float | None = None, level: str | None = None, service: str | None = None, message: str = "",
                 traceback: str | None = None, fields: dict | None = None, source_index: int = 0,
                 ts_inherited: bool = False, correlation_id: str | None = None, status: int | None = None,
                 duration: float | None = None, ts_naive: bool = False, ts_resolution: float = 0.0,
                 wrapper: str | None = None, stamp: str | None = None) -> None:
        self.source = source
        self.line_numbers = line_numbers
        self.raw = raw
        self.format = format
        self.ts = ts
        self.level = level
        self.service = service
        self.message = message
        self.traceback = traceback
        self.fields = {} if fields is None else fields
        self.source_index = source_index
        self.ts_inherited = ts_inherited
        self._correlation_id = _UNSET if correlation_id is None else correlation_id
        self._status = _UNSET if status is None else status
        self._duration = _UNSET if duration is None else duration
        self._naive = ts_naive
        self._resolution = ts_resolution
        self._stamp = stamp  # a stamp whose traits are worked out when first asked (stamp_from)
        self.wrapper = wrapper

    # -- pickled as a tuple of its slots: events cross processes by the ten thousand (streamscan) ---
    def __reduce__(self):
        return _newobj, (Event,), _slot_values(self)

    def __setstate__(self, state: tuple) -> None:
        (self.source, self.line_numbers, self.raw, self.format, self.ts, self.level, self.service, self.message,
         self.traceback, self.fields, self.source_index, self.ts_inherited, self._correlation_id, self._status,
         self._duration, self._naive, self._resolution, self._stamp, self.wrapper) = state

    # -- normalised on first read ------------------------------------------------------------------
    @property
    def correlation_id(self) -> str | None:
        value = self._correlation_id
        if value is _UNSET:
            value = self._correlation_id = _names().correlation_id(self.fields)
        return value  # type: ignore[return-value]

    @correlation_id.setter
    def correlation_id(self, value: str | None) -> None:
        self._correlation_id = value

    @property
    def status(self) -> int | None:
        value = self._status
        if value is _UNSET:
            value = self._status = _names().status(self.fields)
        return value  # type: ignore[return-value]

    @status.setter
    def status(self, value: int | None) -> None:
        self._status = value

    @property
    def duration(self) -> float | None:
        value = self._duration
        if value is _UNSET:
            value = self._duration = _names().duration(self.fields)
        return value  # type: ignore[return-value]

    @duration.setter
    def duration(self, value: float | None) -> None:
        self._duration = value

    # -- what the stamp as written says (naive? whole seconds?), worked out on first read -------------
    def stamp_from(self, text: str | None) -> None:
        """``ts_naive`` and ``ts_resolution`` are those of this stamp as written (None: unknown):
        only requests, the waterfall and the zone check ask, so a merge never works them out."""
        self._stamp = text
        if text is None:
            self._naive, self._resolution = False, 0.0

    def _known(self) -> None:
        """The stamp's traits, if they are still owed."""
        if self._stamp is not None:
            self._naive, self._resolution = stamp_traits(self._stamp)
            self._stamp = None

    @property
    def ts_naive(self) -> bool:
        self._known()
        return self._naive

    @ts_naive.setter
    def ts_naive(self, value: bool) -> None:
        self._known()
        self._naive = value

    @property
    def ts_resolution(self) -> float:
        self._known()
        return self._resolution

    @ts_resolution.setter
    def ts_resolution(self, value: float) -> None:
        self._known()
        self._resolution = value

    def normalise(self) -> None:
        """Forget normalised values the fields no longer back (after the fields were replaced)."""
        self._correlation_id = self._status = self._duration = _UNSET

    # -- derived -------------------------------------------------------------------------------------
    @property
    def line(self) -> int:
        return self.line_numbers[0]

    @property
    def lines(self) -> int:
        return len(self.line_numbers)

    @property
    def is_error(self) -> bool:
        return self.level in ("ERROR", "CRITICAL") or bool(self.traceback)

    @property
    def text(self) -> str:
        """Everything a person would read: the message and its traceback."""
        return f"{self.message}\n{self.traceback}" if self.traceback else self.message

    reads_as_event = True  # (and so does ``devkit.logs.spool.SpooledEvent``, which equals the event it holds)

    def __eq__(self, other: object) -> bool:
        return same_event(self, other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"Event(source={self.source!r}, line_numbers={self.line_numbers!r}, format={self.format!r}, "
                f"ts={self.ts!r}, level={self.level!r}, service={self.service!r}, message={self.message[:60]!r})")

    def to_json(self) -> dict:
        """The event as ``--json`` writes it (one per event of a full read: no property is asked)."""
        cid, status, duration = self._correlation_id, self._status, self._duration
        if cid is _UNSET or status is _UNSET or duration is _UNSET:
            found = _names().normalised(self.fields)
            if cid is _UNSET:
                cid = self._correlation_id = found[0]
            if status is _UNSET:
                status = self._status = found[1]
            if duration is _UNSET:
                duration = self._duration = found[2]
        return event_json(self, self.line_numbers[0], len(self.line_numbers), cid, status, duration)


def event_json(ev, line: int, lines: int, cid: str | None, status: int | None, duration: float | None) -> dict:
    """What ``to_json`` gives, from an event (or what reads as one) and the facts it worked out."""
    tb = ev.traceback
    return {
        "timestamp": format_utc(ev.ts),
        "source": ev.source,
        "line": line,
        "lines": lines,
        "service": ev.service,
        "level": ev.level,
        "format": ev.format,
        "wrapper": ev.wrapper,
        "message": f"{ev.message}\n{tb}" if tb else ev.message,
        "traceback": tb,
        "correlation_id": cid,
        "status": status,
        "duration": duration,
        "fields": ev.fields,
    }


def same_event(a: object, b: object) -> bool:
    """``a == b`` for events: every fact the same (NotImplemented if ``b`` is no event)."""
    if not getattr(b, "reads_as_event", False):
        return NotImplemented
    return all(getattr(a, name) == getattr(b, name) for name in _SLOTS)


_slot_values = attrgetter(*Event.__slots__)  # the state ``Event.__reduce__`` gives, in slot order
