"""A held search result that stays small however many events it has.

``trace`` and ``grep`` without ``--json`` hold their events: the summary and waterfall follow the
timeline and need all of them. An event's lines, message, traceback and fields are most of its
memory (about 2 KB of 2.5), and only rendering reads them; the summary reads time, service, level,
status, duration. So past ``KEEP_WHOLE`` events, each further event is held as a
``SpooledEvent``: those small facts in memory, the rest in a temporary file, in the pickled
batches the search's workers sent (no extra pickling), read back a batch at a time as the events
are rendered in time order. Reading stays lazy and exact: a spooled event reads as the event it
was, attribute for attribute.

The file is unlinked when it is created (``tempfile.TemporaryFile``), so nothing is left behind
whatever ends the run. If it cannot be written (a full disk), events are simply held whole.
"""

from __future__ import annotations

import os
import pickle
from array import array
from typing import Iterable

from devkit.logs.event import Event, event_json, same_event

KEEP_WHOLE = 2000  # events held whole before the spool is used (a small search never writes a file)
BATCH_EVENTS = 512  # events per batch the spool writes itself (``hold``)

_NONE_TS = float("nan")  # a spooled event's ``ts`` of None (no stamp is NaN)


class _Coded:
    """A column of values that repeat (service, level, source, ...): one small code per event."""

    __slots__ = ("codes", "values", "_code")

    def __init__(self) -> None:
        self.codes = array("I")
        self.values: list = []
        self._code: dict = {}

    def append(self, value) -> None:
        code = self._code.get(value)
        if code is None:
            code = self._code[value] = len(self.values)
            self.values.append(value)
        self.codes.append(code)

    def __getitem__(self, n: int):
        return self.values[self.codes[n]]


_CODED = ("source", "format", "level", "service", "wrapper", "ts_resolution")


class Spool:
    """Batches of pickled events in a temporary file, and the columns of what its spooled events
    answer without it (time, service, level, status, ...: what summaries and merges read)."""

    def __init__(self, keep_whole: int | None = None) -> None:
        self.keep_whole = KEEP_WHOLE if keep_whole is None else keep_whole
        self.held = 0  # events handed out, whole or spooled
        self._file = None
        self._end = 0
        self._broken = False  # the file could not be written: hold whole from then on
        self._offsets, self._lengths, self._keys = array("q"), array("q"), array("q")  # per batch
        self._batch, self._index = array("I"), array("I")  # per spooled event: where it is in the file
        # ... and its light facts, a column each
        self.coded = {name: _Coded() for name in _CODED}
        self.ts, self.source_index, self.line = array("d"), array("q"), array("q")
        self.lines, self.flags = array("I"), bytearray()  # flags: error, inherited time, naive stamp
        self.correlation_id: list[str | None] = []
        self.status: list[int | None] = []
        self.duration: list[float | None] = []
        self._cache: dict[int, tuple[int, list[Event]]] = {}  # key -> (batch, its events): one per stream

    def held_batch(self, blob: bytes, events: list[Event], key: int = 0) -> list:
        """``events`` (unpickled from ``blob``) as they are held: whole until ``keep_whole``, then
        spooled. ``key``: the stream the batch belongs to (one batch per stream is kept in memory
        while reading back, so streams merged by time read each batch once)."""
        if self.held + len(events) <= self.keep_whole or self._broken or not self._write(blob):
            self.held += len(events)
            return events
        batch = len(self._offsets) - 1
        self._keys.append(key)
        out = [self._spooled(ev, batch, i) for i, ev in enumerate(events)]
        self.held += len(events)
        return out

    def hold(self, events: Iterable[Event], key: int = 0) -> list:
        """All of ``events`` as they are held (``held_batch``, in batches pickled here)."""
        out: list = []
        batch: list[Event] = []
        for ev in events:
            if self.held + len(batch) < self.keep_whole:
                out.append(ev)
                self.held += 1
                continue
            batch.append(ev)
            if len(batch) >= BATCH_EVENTS:
                out += self.held_batch(pickle.dumps(batch, pickle.HIGHEST_PROTOCOL), batch, key)
                batch = []
        if batch:
            out += self.held_batch(pickle.dumps(batch, pickle.HIGHEST_PROTOCOL), batch, key)
        return out

    @property
    def spooled(self) -> int:
        return len(self._batch)

    @property
    def bytes_written(self) -> int:
        return self._end

    def _write(self, blob: bytes) -> bool:
        try:
            if self._file is None:
                import tempfile

                self._file = tempfile.TemporaryFile(prefix="devkit-held-")
            fd = self._file.fileno()
            view = memoryview(blob)
            while view:
                view = view[os.pwrite(fd, view, self._end + len(blob) - len(view)):]
        except OSError:
            self._broken = True
            return False
        self._offsets.append(self._end)
        self._lengths.append(len(blob))
        self._end += len(blob)
        return True

    def _spooled(self, ev: Event, batch: int, index: int) -> SpooledEvent:
        for name, column in self.coded.items():
            column.append(getattr(ev, name))
        self.ts.append(_NONE_TS if ev.ts is None else ev.ts)
        self.source_index.append(ev.source_index)
        self.line.append(ev.line_numbers[0])
        self.lines.append(len(ev.line_numbers))
        self.flags.append(ev.is_error | ev.ts_inherited << 1 | ev.ts_naive << 2)
        self.correlation_id.append(ev.correlation_id)  # (normalised now, while the fields are here)
        self.status.append(ev.status)
        self.duration.append(ev.duration)
        self._batch.append(batch)
        self._index.append(index)
        return SpooledEvent(self, len(self._batch) - 1)

    def event(self, n: int) -> Event:
        """The whole event spooled as number ``n``, as it was found."""
        batch = self._batch[n]
        key = self._keys[batch]
        cached = self._cache.get(key)
        if cached is None or cached[0] != batch:
            assert self._file is not None
            data = os.pread(self._file.fileno(), self._lengths[batch], self._offsets[batch])
            cached = self._cache[key] = (batch, pickle.loads(data))
        return cached[1][self._index[n]]


def _coded(name: str) -> property:
    return property(lambda self: self._spool.coded[name][self._n], doc=f"``{name}``, from the spool's column")


def _bulky(name: str) -> property:
    return property(lambda self: getattr(self._spool.event(self._n), name), doc=f"``{name}``, read back from the file")


def _flag(bit: int) -> property:
    return property(lambda self: bool(self._spool.flags[self._n] & bit))


class SpooledEvent:
    """An event held by a ``Spool``: it reads as the ``Event`` it was, attribute for attribute
    (read-only, but for ``correlation_id``): an object of 48 bytes and a row of the spool's columns."""

    __slots__ = ("_spool", "_n")

    def __init__(self, spool: Spool, n: int) -> None:
        self._spool, self._n = spool, n

    source, format, level, service, wrapper, ts_resolution = map(_coded, _CODED)
    line_numbers, raw, message, traceback, fields = map(_bulky, ("line_numbers", "raw", "message", "traceback",
                                                                 "fields"))
    is_error, ts_inherited, ts_naive = _flag(1), _flag(2), _flag(4)

    @property
    def ts(self) -> float | None:
        ts = self._spool.ts[self._n]
        return None if ts != ts else ts  # (NaN is not equal to itself)

    @property
    def source_index(self) -> int:
        return self._spool.source_index[self._n]

    @property
    def line(self) -> int:
        return self._spool.line[self._n]

    @property
    def lines(self) -> int:
        return self._spool.lines[self._n]

    @property
    def status(self) -> int | None:
        return self._spool.status[self._n]

    @property
    def duration(self) -> float | None:
        return self._spool.duration[self._n]

    @property
    def correlation_id(self) -> str | None:
        return self._spool.correlation_id[self._n]

    @correlation_id.setter
    def correlation_id(self, value: str | None) -> None:
        self._spool.correlation_id[self._n] = value

    text, __repr__ = Event.text, Event.__repr__

    def to_json(self) -> dict:
        return event_json(self, self.line, self.lines, self.correlation_id, self.status, self.duration)

    reads_as_event = True
    __eq__ = same_event
    __hash__ = None  # type: ignore[assignment]

    def whole(self) -> Event:
        """The event as an ``Event`` again (its ``correlation_id`` as it is now)."""
        ev = self._spool.event(self._n)
        ev.correlation_id = self.correlation_id
        return ev

    def __reduce__(self):  # pickled (sent to a process, copied) as the whole event
        return _unpickled, (self.whole(),)


def _unpickled(event: Event) -> Event:
    return event
