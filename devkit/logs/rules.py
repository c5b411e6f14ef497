"""The stitching rules, in one place: what opens an event, what continues it, which stream it is.

Both directions ask this module: the forward ``Segmenter`` (stitch.py) that reads a source
line by line, and the backward walk of the raw search (scan.py) that finds where the event
owning a hit starts and ends. The randomized "windowed == full read" test is its specification.

- A line is classified once: a wrapper (docker, CRI, syslog, compose, ...) is peeled off if one
  recognises it, then the payload is read by the format definitions. Wrapped lines always give
  a record with a stream key (container + stdout/stderr, syslog host+app+pid, ...).
- An unwrapped line that no format claims continues the current plain event (a traceback under
  a Python logging line), up to ``CONT_CAP`` lines.
- A stream record continues the open event of its stream when its payload looks like the next
  line of a traceback (``continues``), within ``STREAM_GAP`` lines; otherwise it opens one.
- A partial piece (a line over 16 KiB split by the runtime) is joined with the next records of
  its stream up to the last piece, and the joined text is classified as one line.
"""

from __future__ import annotations

import re

from devkit.lazyre import lazy
from devkit.logs.formats.engine import parse_payload
from devkit.logs.formats.record import Record
from devkit.logs.timestamps import Zone, stamp_traits
from devkit.logs.wrappers import ALWAYS, Peeled, Wrapper, peel

CONT_CAP = 1000  # continuation lines one plain event may take
STREAM_GAP = 1000  # lines between two records of one stream that still continue each other
INHERIT_GAP = 1000  # how far back an event without a time looks for one
_CLOSE_ENOUGH = 1.5  # seconds: a naive payload stamp this close to the wrapper's is the finer one

TB_START = ("Traceback (most recent call last)", "Exception in thread ")
_EXC_LINE = lazy(r"[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning|Fault|Failure|Timeout)\b(?::.*)?\Z"
                 r"|[a-z_][\w]*(?:\.[\w]+)+(?::.*)?\Z", re.S)
_CONT_PREFIXES = ("Traceback (most recent call last)", "During handling of the above exception",
                  "The above exception was the direct cause", "Caused by:", "Stack trace:",
                  "Exception in thread", "  File ", "    ", "\t", "... ")


def looks_like_continuation(msg: str, in_traceback: bool, in_block: bool = False) -> bool:
    """Would this stream record's payload be the next line of a split traceback/stack trace?

    ``in_block``: the open event is a multi-line JSON block, which a ``}`` line closes.
    """
    if msg == "" or msg[0] in " \t":
        return True
    if in_block and msg[0] in "}]":
        return True
    if msg.startswith(_CONT_PREFIXES):
        return True
    if in_traceback and _EXC_LINE.match(msg):
        return True
    return False


def starts_traceback(msg: str) -> bool:
    return msg.startswith(("Traceback (most recent call last)", "Exception in thread", "Caused by:"))


def certainly_opens(rec: Record) -> bool:
    """A stream record that starts an event whatever came before it (where a backward walk stops)."""
    return rec.opens or not looks_like_continuation(rec.stream_msg or "", True, True)


def continues(rec: Record, in_traceback: bool, in_block: bool = False) -> bool:
    """Does this stream record join the open event of its stream?"""
    return not rec.opens and looks_like_continuation(rec.stream_msg or "", in_traceback, in_block)


def traceback_after(msg: str, in_traceback: bool) -> bool:
    """Is the event inside a traceback after this continuation line?"""
    if msg.startswith(TB_START):
        return True
    if in_traceback and msg and msg[0] not in " \t" and not looks_like_continuation(msg, False):
        return False  # the exception line ends this traceback
    return in_traceback


def piece_key(rec: Record) -> tuple | None:
    """The stream whose pieces this record joins (partial records and the record that ends them)."""
    frame = rec.frame
    return frame.key if isinstance(frame, Peeled) else None


def _payload_time_wins(inner: Record, p: Peeled) -> bool:
    """The application's own stamp, unless the wrapper's is finer and says the same second.

    An aware payload stamp is the application's word; a naive one is trusted only close to the
    wrapper's (otherwise it was read in the wrong zone). But a whole-second payload stamp (an
    access log's ``[20/Nov/2026:09:14:03 +0000]``) inside the wrapper's precise second is less
    exact than the wrapper's nanoseconds.
    """
    if p.ts is None:
        return True
    naive, resolution = stamp_traits(inner.ts_text) if inner.ts_text else (False, 0.0)
    if resolution >= 1.0 and p.ts_text and stamp_traits(p.ts_text)[1] < resolution \
            and inner.ts <= p.ts < inner.ts + resolution + _CLOSE_ENOUGH:  # type: ignore[operator]
        return False
    return not naive or abs(inner.ts - p.ts) < _CLOSE_ENOUGH  # type: ignore[operator]


def combine(p: Peeled, inner: Record | None) -> Record:
    """A wrapped line as one record: the payload's facts first, the wrapper's where it has none.

    ``p`` and ``inner`` are fresh for this line (they are not kept elsewhere), so the payload's
    record is completed in place rather than copied.
    """
    fields = p.fields
    if inner is None:
        return Record("text", p.ts, None, p.text, fields, p.service, None, p.key, p.text, False, p.ts_text,
                      p.wrapper, False, fallback_level=p.fallback_level, frame=p)
    fields.update(inner.fields)
    inner.fields = fields
    if p.ts is not None and (inner.ts is None or not _payload_time_wins(inner, p)):
        inner.ts, inner.ts_text = p.ts, p.ts_text
    if inner.stream is None:
        inner.stream, inner.stream_msg, inner.opens = p.key, p.text, True
    else:  # oslo inside a container: its own stream rule applies within the container's stream
        inner.stream = p.key + inner.stream
    if not inner.service:
        inner.service = p.service
    inner.wrapper, inner.fallback_level, inner.frame = p.wrapper, p.fallback_level, p
    return inner


class Classifier:
    """How one source's lines are read: the zone, and the wrappers its head showed."""

    __slots__ = ("zone", "wrappers", "_peelers")

    def __init__(self, zone: Zone, wrappers: tuple[Wrapper, ...] = ALWAYS) -> None:
        self.zone = zone
        self.wrappers = wrappers
        self._peelers: dict[str, tuple] = {}  # first character -> the wrappers a line may be (wrappers.peel)

    def text(self, line: str) -> Record | None:
        """The record this line starts (never None for a wrapped line), or None for a continuation."""
        p = peel(line, self.zone, self.wrappers, self._peelers)
        if p is None:
            return parse_payload(line, self.zone)
        if p.partial:
            return Record("text", p.ts, None, p.text, dict(p.fields), p.service, None, p.key, p.text, False,
                          p.ts_text, p.wrapper, True, fallback_level=p.fallback_level, frame=p)
        return combine(p, parse_payload(p.text, self.zone))

    def __call__(self, raw: bytes) -> Record | None:
        return self.text(raw.decode("utf-8", "replace"))

    def join(self, pieces: list[Record]) -> Record:
        """Partial pieces and the piece that ends them, as the one record they were written as."""
        first = pieces[0].frame
        assert isinstance(first, Peeled)
        text = "".join(p.frame.text for p in pieces)  # type: ignore[union-attr]
        joined = Peeled(first.wrapper, text, first.ts, first.ts_text, first.key, first.service, False,
                        dict(first.fields), first.fallback_level)
        return combine(joined, parse_payload(text, self.zone))
