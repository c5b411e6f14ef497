"""Stitch physical lines into events, one source at a time, in source order.

The rules (what opens an event, what continues it, which stream a line belongs to) live in
``devkit.logs.rules``; this module applies them forward. An event with no timestamp takes the
time of the nearest earlier line of its source that has one (within ``INHERIT_GAP`` lines), so
the fast windowed search agrees with a full read.
"""

from __future__ import annotations

from collections import deque
from functools import partial
from typing import Callable, Iterable, Iterator, Sequence

from devkit.logs.event import _UNSET, Event
from devkit.logs.formats.engine import json_record, load_json
from devkit.logs.formats.record import Record
from devkit.logs.rules import (
    CONT_CAP,
    INHERIT_GAP,
    STREAM_GAP,
    TB_START,
    Classifier,
    continues,
    piece_key,
    starts_traceback,
    traceback_after,
)
from devkit.logs.timestamps import Zone
from devkit.logs.wrappers import ALWAYS, Wrapper

__all__ = ["CONT_CAP", "INHERIT_GAP", "STREAM_GAP", "Segmenter", "stitch", "decode", "classify"]


def decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def classify(raw: bytes, zone: Zone) -> Record | None:
    """One line read with the always-on wrappers (callers without a source's sniffed set)."""
    return Classifier(zone).text(decode(raw))


def _event_of_py(rec: Record, source: str, linenos: list[int], raws: list[bytes], service: str | None,
                 index: int) -> Event:
    """The event a record opens (positional arguments cost less, once per event); the traits of
    its stamp wait in it until asked (``Event.stamp_from``)."""
    return Event(source, linenos, raws, rec.format, rec.ts, rec.level, rec.service or service, rec.message,
                 rec.traceback, rec.fields, index, False, None, rec.status, rec.duration, False, 0.0, rec.wrapper,
                 None if rec.ts is None else rec.ts_text or None)


try:  # the optional C accelerator: the same event, its slots filled without Event.__init__
    from devkit.logs._records import event_of as _event_of_c
except ImportError:  # pragma: no cover
    _event_of = _event_of_py
else:
    _event_of = partial(_event_of_c, _event_of_py, Event, _UNSET)


class _Open:
    __slots__ = ("event", "cont", "closed", "last_line", "in_tb", "in_block", "stream", "fallback", "pieces")

    def __init__(self, event: Event | None, last_line: int) -> None:
        self.event = event
        self.stream: tuple | None = None
        self.cont: list[str] = []
        self.closed = False
        self.last_line = last_line
        self.in_tb = False
        self.in_block = False
        self.fallback: str | None = None
        self.pieces: list[tuple[int, bytes, Record]] | None = None  # a partial record being joined

    def add(self, lines: list[tuple[int, bytes]], text: str) -> None:
        ev = self.event
        assert ev is not None
        for lineno, raw in lines:
            ev.line_numbers.append(lineno)
            ev.raw.append(raw)
        self.cont.append(text)
        self.last_line = lines[-1][0]


class Segmenter:
    """Feed ``(lineno, raw_line)`` in order; get finished events back in start order."""

    def __init__(self, source: str, zone: Zone, service: str | None = None, source_index: int = 0,
                 earlier_ts: Callable[[], tuple[float, int] | None] | None = None,
                 wrappers: tuple[Wrapper, ...] = ALWAYS, classify: Classifier | None = None) -> None:
        self.source = source
        self.zone = zone
        self.service = service
        self.source_index = source_index
        self.classify = classify if classify is not None else Classifier(zone, wrappers)
        self._line_ts: tuple[float, int] | None = None  # (ts, lineno) of the latest line with a time
        self._earlier_ts = earlier_ts  # for a window: finds that line before the window starts
        self._pending: deque[_Open] = deque()
        self._current: _Open | None = None
        self._streams: dict[tuple, _Open] = {}
        self._pieces: dict[tuple, _Open] = {}

    def _inherited_ts(self, lineno: int) -> float | None:
        found = self._line_ts
        if found is None and self._earlier_ts is not None:
            found = self._earlier_ts()
            self._earlier_ts = None
            self._line_ts = found
        if found is not None and lineno - found[1] <= INHERIT_GAP:
            return found[0]
        return None

    def _new(self, lines: list[tuple[int, bytes]], rec: Record | None, text: str,
             slot: _Open | None = None) -> _Open:
        if len(lines) == 1:  # nearly always: one line opens an event
            ((lineno, raw),) = lines
            linenos, raws = [lineno], [raw]
        else:
            lineno = lines[0][0]
            linenos = [ln for ln, _ in lines]
            raws = [raw for _, raw in lines]
        if rec is None or rec.ts is None:
            ts = self._inherited_ts(lineno)
        if rec is None:
            ev = Event(self.source, linenos, raws, "text", message=text, service=self.service,
                       source_index=self.source_index)
        else:
            ev = _event_of(rec, self.source, linenos, raws, self.service, self.source_index)
        if ev.ts is None:
            ev.ts, ev.ts_inherited = ts, ts is not None
        op = slot if slot is not None else _Open(ev, lineno)
        op.event = ev
        op.pieces = None
        op.last_line = linenos[-1]
        if rec is not None:
            op.fallback = rec.fallback_level
            op.in_block = rec.block
        if slot is None:
            self._pending.append(op)
        return op

    def feed(self, lineno: int, raw: bytes) -> Sequence[Event]:
        """One physical line; returns the events this line finished."""
        return self.feed_record(lineno, raw, self.classify(raw), None)

    def feed_lines(self, lines: Iterable[tuple[int, bytes]]) -> Iterator[Event]:
        """``feed`` line after line, the events they finish in order: the loop of a full read.

        The usual line (one that opens an unwrapped event, or continues one) takes its steps
        here, without ``feed``'s calls; every other line goes through ``feed_record``, so both
        give the same events (the randomized windowed == full read test holds them to it)."""
        classify, pending, new, finish = self.classify, self._pending, self._new, self._finish
        source, service, index = self.source, self.service, self.source_index
        for lineno, raw in lines:
            rec = classify(raw)
            cur = self._current
            if rec is None:
                if cur is not None and not cur.closed and pending[0] is cur:
                    ev = cur.event
                    if len(ev.line_numbers) < CONT_CAP:  # type: ignore[union-attr]
                        ev.line_numbers.append(lineno)  # type: ignore[union-attr]
                        ev.raw.append(raw)  # type: ignore[union-attr]
                        cur.cont.append(raw.decode("utf-8", "replace"))
                        cur.last_line = lineno
                        continue
            elif rec.stream is None:
                if cur is not None:
                    cur.closed = True
                ts = rec.ts
                if ts is None:
                    op = self._current = new([(lineno, raw)], rec, "")
                else:  # ``_new`` of a line with its own time, without the call
                    self._line_ts = (ts, lineno)
                    op = self._current = _Open(_event_of(rec, source, [lineno], [raw], service, index), lineno)
                    op.fallback, op.in_block = rec.fallback_level, rec.block
                    pending.append(op)
                if pending[0] is not op:
                    if cur is not None and len(pending) == 2 and pending[0] is cur and cur.pieces is None:
                        pending.popleft()  # ``_ready``'s usual answer: the event before this one is done
                        yield finish(cur)
                    else:
                        yield from self._ready(lineno)
                continue
            elif not rec.partial and not self._pieces:  # a whole stream record, no pieces waiting
                if rec.ts is not None:
                    self._line_ts = (rec.ts, lineno)
                self._feed_stream([(lineno, raw)], rec)
                yield from self._ready(lineno)
                continue
            yield from self.feed_record(lineno, raw, rec, None)

    def feed_record(self, lineno: int, raw: bytes, rec: Record | None, text: str | None) -> Sequence[Event]:
        """A line someone else parsed already (a search-server document, say)."""
        if rec is not None and rec.ts is not None:
            self._line_ts = (rec.ts, lineno)
        if rec is None:
            if text is None:
                text = decode(raw)
            cur = self._current
            if cur is not None and not cur.closed and len(cur.event.line_numbers) < CONT_CAP:  # type: ignore[union-attr]
                cur.add([(lineno, raw)], text)
            else:
                self._new([(lineno, raw)], None, text).closed = True
        elif rec.stream is None:
            if self._current is not None:
                self._current.closed = True
            self._current = self._new([(lineno, raw)], rec, "")
        else:
            self._feed_piece(lineno, raw, rec)
        return self._ready(lineno)

    def _feed_piece(self, lineno: int, raw: bytes, rec: Record) -> None:
        """A stream record, or a piece of one: pieces wait (in order) for the piece that ends them."""
        key = piece_key(rec)
        slot = self._pieces.get(key) if key is not None else None
        if rec.partial:
            if slot is None:
                slot = self._pieces[key] = _Open(None, lineno)  # type: ignore[index]
                slot.pieces = []
                self._pending.append(slot)
            slot.pieces.append((lineno, raw, rec))  # type: ignore[union-attr]
            slot.last_line = lineno
            return
        if slot is None:
            self._feed_stream([(lineno, raw)], rec)
            return
        del self._pieces[key]  # type: ignore[arg-type]
        slot.pieces.append((lineno, raw, rec))  # type: ignore[union-attr]
        self._complete(slot)

    def _complete(self, slot: _Open) -> None:
        pieces = slot.pieces or []
        joined = self.classify.join([r for _, _, r in pieces])
        self._feed_stream([(ln, raw) for ln, raw, _ in pieces], joined, slot)

    def _feed_stream(self, lines: list[tuple[int, bytes]], rec: Record, slot: _Open | None = None) -> None:
        if self._current is not None:
            self._current.closed = True
            self._current = None
        msg = rec.stream_msg or ""
        op = self._streams.get(rec.stream)  # type: ignore[arg-type]
        if (op is not None and not op.closed and lines[0][0] - op.last_line <= STREAM_GAP
                and continues(rec, op.in_tb, op.in_block)):
            op.add(lines, msg)
            op.in_tb = traceback_after(msg, op.in_tb)
            if slot is not None:
                self._pending.remove(slot)
            return
        if op is not None:
            op.closed = True
        new = self._new(lines, rec, msg, slot)
        new.in_tb = starts_traceback(msg)
        new.stream = rec.stream
        self._streams[rec.stream] = new  # type: ignore[index]

    def _ready(self, lineno: int | None) -> Sequence[Event]:
        """Pop finished events off the head; an open head holds back everything after it."""
        pending = self._pending
        if not pending or (pending[0] is self._current and lineno is not None and not self._current.closed):
            return ()  # the usual line: the event it opened or continued is the only one open
        out: list[Event] = []
        while pending:
            head = pending[0]
            if head.pieces is not None:  # a partial record still waiting for its last piece
                if lineno is not None and lineno - head.last_line <= STREAM_GAP:
                    break
                self._pieces = {k: v for k, v in self._pieces.items() if v is not head}
                self._complete(head)
                continue
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

    def holder(self, lineno: int) -> _Open | None:
        """What holds line ``lineno`` (fed already): its open event, or the partial record it is a
        piece of; None once its event is out (finished)."""
        for op in reversed(self._pending):
            pieces = op.pieces
            if pieces is not None:
                if any(ln == lineno for ln, _, _ in pieces):
                    return op
            elif op.event.line_numbers[0] <= lineno and lineno in op.event.line_numbers:  # type: ignore[union-attr]
                return op
        return None

    @staticmethod
    def settled(op: _Open, lineno: int) -> bool:
        """Can no line after ``lineno`` change ``op`` any more? A window ends where its event is
        settled: the same event a full read gives, read no further than it must be."""
        if op.closed:
            return True
        if op.pieces is not None:  # a partial record: once joined, it may still be continued
            return False
        if op.stream is not None:  # a stream continues within STREAM_GAP lines
            return lineno - op.last_line > STREAM_GAP
        return len(op.event.line_numbers) >= CONT_CAP  # type: ignore[union-attr]

    def finish(self) -> list[Event]:
        """End of input: everything still open is complete."""
        out = list(self._ready(None))
        self._streams.clear()
        self._pieces.clear()
        self._current = None
        return out

    def _finish(self, op: _Open) -> Event:
        ev = op.event
        assert ev is not None
        if op.cont:
            msg_lines, tb_lines = [], []
            for line in op.cont:
                if tb_lines or line.startswith(TB_START):
                    tb_lines.append(line)
                else:
                    msg_lines.append(line)
            if msg_lines:
                ev.message = "\n".join([ev.message, *msg_lines])
            if tb_lines:
                tb = "\n".join(tb_lines)
                ev.traceback = f"{ev.traceback}\n{tb}" if ev.traceback else tb
        if op.in_block:
            self._read_block(ev)
        if ev.level is None:
            ev.level = "ERROR" if ev.traceback else op.fallback
        return ev

    def _read_block(self, ev: Event) -> None:
        """A ``{`` ... ``}`` event: the multi-line JSON record it is (OpenTelemetry's console exporter)."""
        text = ev.message if ev.wrapper else "\n".join(decode(r) for r in ev.raw)
        obj = load_json(text)
        if obj is None:
            return
        rec = json_record(obj, text, self.zone)
        ev.format, ev.level, ev.message, ev.traceback = rec.format, rec.level, rec.message, rec.traceback
        ev.fields = {**ev.fields, **rec.fields}
        ev.service = rec.service or ev.service
        ev.normalise()
        ev.status, ev.duration = rec.status, rec.duration
        if rec.ts is not None:
            ev.ts, ev.ts_inherited = rec.ts, False
            ev.stamp_from(rec.ts_text)


def stitch(lines: Iterable[tuple[int, bytes]], source: str, zone: Zone, service: str | None = None,
           source_index: int = 0, wrappers: tuple[Wrapper, ...] = ALWAYS) -> Iterator[Event]:
    """All events of a sequence of numbered lines, in source order."""
    seg = Segmenter(source, zone, service, source_index, wrappers=wrappers)
    yield from seg.feed_lines(lines)
    yield from seg.finish()
