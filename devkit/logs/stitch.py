"""Stitch physical lines into events, one source at a time, in source order.

Rules (the same whether a whole file is read or only a window around a search hit):
- A line that starts a record (see ``formats.parse_line``) starts an event. A line that does not
  continues the current event, up to ``CONT_CAP`` lines; lines before any record, after a stream
  record, or past the cap stand alone.
- A stream record (syslog: same host, app-name and procid; oslo.log: same pid and logger) whose
  message looks like the next line of a traceback joins the open event of its stream, even with
  other records in between, as long as the stream continues within ``STREAM_GAP`` lines.
- An event with no timestamp takes the time of the nearest earlier line of its source that has
  one (within ``INHERIT_GAP`` lines), so the fast windowed search agrees with a full read.
"""

from __future__ import annotations

from collections import deque
from typing import Callable, Iterable, Iterator

from devkit.logs.event import Event
from devkit.logs.formats import (
    Record,
    looks_like_continuation,
    parse_line,
    starts_traceback,
)
from devkit.logs.timestamps import Zone, stamp_traits

CONT_CAP = 1000
STREAM_GAP = 1000
INHERIT_GAP = 1000
_TB_START = ("Traceback (most recent call last)", "Exception in thread ")


def decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def classify(raw: bytes, zone: Zone) -> Record | None:
    return parse_line(decode(raw), zone)


class _Open:
    __slots__ = ("event", "cont", "closed", "last_line", "in_tb", "stream")

    def __init__(self, event: Event, in_tb: bool = False, stream: tuple | None = None) -> None:
        self.event = event
        self.stream = stream
        self.cont: list[str] = []
        self.closed = False
        self.last_line = event.line_numbers[0]
        self.in_tb = in_tb

    def add(self, lineno: int, raw: bytes, text: str) -> None:
        self.event.line_numbers.append(lineno)
        self.event.raw.append(raw)
        self.cont.append(text)
        self.last_line = lineno


class Segmenter:
    """Feed ``(lineno, raw_line)`` in order; get finished events back in start order."""

    def __init__(self, source: str, zone: Zone, service: str | None = None, source_index: int = 0,
                 earlier_ts: Callable[[], tuple[float, int] | None] | None = None) -> None:
        self.source = source
        self.zone = zone
        self.service = service
        self.source_index = source_index
        self._line_ts: tuple[float, int] | None = None  # (ts, lineno) of the latest line with a time
        self._earlier_ts = earlier_ts  # for a window: finds that line before the window starts
        self._pending: deque[_Open] = deque()
        self._current: _Open | None = None
        self._streams: dict[tuple, _Open] = {}

    def _inherited_ts(self, lineno: int) -> float | None:
        found = self._line_ts
        if found is None and self._earlier_ts is not None:
            found = self._earlier_ts()
            self._earlier_ts = None
            self._line_ts = found
        if found is not None and lineno - found[1] <= INHERIT_GAP:
            return found[0]
        return None

    def _new(self, lineno: int, raw: bytes, rec: Record | None, text: str) -> _Open:
        if rec is None or rec.ts is None:
            ts = self._inherited_ts(lineno)
        if rec is None:
            ev = Event(self.source, [lineno], [raw], "text", message=text, service=self.service,
                       source_index=self.source_index)
        else:
            ev = Event(self.source, [lineno], [raw], rec.format, rec.ts, rec.level,
                       rec.service or self.service, rec.message, rec.traceback, rec.fields,
                       self.source_index)
        if ev.ts is None:
            ev.ts, ev.ts_inherited = ts, ts is not None
        elif rec is not None and rec.ts_text:
            ev.ts_naive, ev.ts_resolution = stamp_traits(rec.ts_text)
        op = _Open(ev)
        self._pending.append(op)
        return op

    def feed(self, lineno: int, raw: bytes) -> list[Event]:
        """One physical line; returns the events this line finished."""
        text = decode(raw)
        return self.feed_record(lineno, raw, parse_line(text, self.zone), text)

    def feed_record(self, lineno: int, raw: bytes, rec: Record | None, text: str) -> list[Event]:
        """A line someone else parsed already (a search-server document, say)."""
        if rec is not None and rec.ts is not None:
            self._line_ts = (rec.ts, lineno)
        if rec is None:
            cur = self._current
            if cur is not None and not cur.closed and len(cur.event.line_numbers) < CONT_CAP:
                cur.add(lineno, raw, text)
            else:
                self._new(lineno, raw, None, text).closed = True
        elif rec.stream is None:
            if self._current is not None:
                self._current.closed = True
            self._current = self._new(lineno, raw, rec, text)
        else:
            self._feed_stream(lineno, raw, rec)
        return self._ready(lineno)

    def _feed_stream(self, lineno: int, raw: bytes, rec: Record) -> None:
        if self._current is not None:
            self._current.closed = True
            self._current = None
        msg = rec.stream_msg or ""
        op = self._streams.get(rec.stream)  # type: ignore[arg-type]
        if (op is not None and not op.closed and lineno - op.last_line <= STREAM_GAP
                and not rec.opens and looks_like_continuation(msg, op.in_tb)):
            op.add(lineno, raw, msg)
            if msg.startswith(_TB_START):
                op.in_tb = True
            elif op.in_tb and msg and msg[0] not in " \t" and not looks_like_continuation(msg, False):
                op.in_tb = False  # the exception line ends this traceback
            return
        if op is not None:
            op.closed = True
        new = self._new(lineno, raw, rec, msg)
        new.in_tb = starts_traceback(msg)
        new.stream = rec.stream
        self._streams[rec.stream] = new  # type: ignore[index]

    def _ready(self, lineno: int | None) -> list[Event]:
        """Pop finished events off the head; an open head holds back everything after it."""
        out: list[Event] = []
        pending = self._pending
        while pending:
            head = pending[0]
            if not head.closed:
                if lineno is None:
                    head.closed = True
                elif head.stream and lineno - head.last_line > STREAM_GAP:
                    head.closed = True
                else:
                    break
            pending.popleft()
            out.append(self._finish(head))
        return out

    def finish(self) -> list[Event]:
        """End of input: everything still open is complete."""
        out = self._ready(None)
        self._streams.clear()
        self._current = None
        return out

    def _finish(self, op: _Open) -> Event:
        ev = op.event
        if op.cont:
            msg_lines, tb_lines = [], []
            for line in op.cont:
                if tb_lines or line.startswith(_TB_START):
                    tb_lines.append(line)
                else:
                    msg_lines.append(line)
            if msg_lines:
                ev.message = "\n".join([ev.message, *msg_lines])
            if tb_lines:
                tb = "\n".join(tb_lines)
                ev.traceback = f"{ev.traceback}\n{tb}" if ev.traceback else tb
        if ev.level is None:
            ev.level = "ERROR" if ev.traceback else ev.fields.get("syslog.severity")
        ev.normalise()
        return ev


def stitch(lines: Iterable[tuple[int, bytes]], source: str, zone: Zone, service: str | None = None,
           source_index: int = 0) -> Iterator[Event]:
    """All events of a sequence of numbered lines, in source order."""
    seg = Segmenter(source, zone, service, source_index)
    for lineno, raw in lines:
        yield from seg.feed(lineno, raw)
    yield from seg.finish()
