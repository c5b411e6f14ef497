"""Seek by time: the byte range of a file that can hold events in ``[since, until)``.

Logs are written in time order, so ``--since 09:15`` on a day of logs need not read the night:
bisection on the timestamps of a mapped file (as hl's index and lnav do) finds where the window
starts and ends. Bisection is only right on a file in time order, so the file is first sampled at
evenly spaced points; if the samples (or any probe of the bisection) go back in time by more than
``SLACK`` seconds, ``find_range`` says so (None) and the caller reads everything. The range is
widened by ``SLACK`` on both sides, so writers that are a little out of order (several workers
on one file) lose nothing; the event filter then cuts exactly.

A probe reads a few lines with the same ``Segmenter`` a full read uses and takes the first
event that has its own time, so probes agree with what the scan would see.
"""

from __future__ import annotations

import os
from typing import Callable, Iterator

from devkit.logs.sources import Source, iter_lines
from devkit.logs.stitch import Segmenter
from devkit.logs.timestamps import Zone

SLACK = 60.0  # seconds of disorder tolerated (and read on each side of the window)
SAMPLES = 32  # evenly spaced probes that check the file is in time order
MIN_SEEK_BYTES = 4 << 20  # below this, reading the whole file is as fast as seeking
_STOP = 64 << 10  # bisection stops when the bracket is this small
_PROBE_LINES = 64
_PROBE_BYTES = 1 << 20


def _line_start(buf, pos: int) -> int:
    """Start of the first line that begins at or after ``pos``."""
    if pos <= 0:
        return 0
    nl = buf.find(b"\n", pos - 1)
    return len(buf) if nl < 0 else nl + 1


SegmenterFactory = Callable[[], Segmenter]


def probe(buf, pos: int, zone: Zone, segmenter: SegmenterFactory | None = None) -> tuple[float, int] | None:
    """(time, offset) of the first event at or after ``pos`` that has a time of its own.

    ``segmenter`` makes the Segmenter the real read uses (the source's wrappers); a plain one
    otherwise.
    """
    size = len(buf)
    start = _line_start(buf, pos)
    seg = segmenter() if segmenter is not None else Segmenter("", zone)
    offsets: list[int] = []
    at = start
    while at < size and len(offsets) < _PROBE_LINES and at - start < _PROBE_BYTES:
        nl = buf.find(b"\n", at)
        end = size if nl < 0 else nl
        raw = buf[at:end]
        offsets.append(at)
        for ev in seg.feed(len(offsets), raw[:-1] if raw.endswith(b"\r") else raw):
            if ev.ts is not None and not ev.ts_inherited:
                return ev.ts, offsets[ev.line - 1]
        at = end + 1
    for ev in seg.finish():
        if ev.ts is not None and not ev.ts_inherited:
            return ev.ts, offsets[ev.line - 1]
    return None


class OutOfOrder(Exception):
    """The file goes back in time: bisection would be wrong."""


class _Bisect:
    def __init__(self, buf, zone: Zone, slack: float, segmenter: SegmenterFactory | None) -> None:
        self.buf, self.zone, self.slack, self.segmenter = buf, zone, slack, segmenter
        self.size = len(buf)

    def probe(self, pos: int) -> tuple[float, int] | None:
        return probe(self.buf, pos, self.zone, self.segmenter)

    def samples(self) -> list[tuple[float, int]]:
        """Evenly spaced (time, offset) points, checked to be in time order; [] without times."""
        seen: dict[int, float] = {}
        points = [i * self.size // SAMPLES for i in range(SAMPLES)] + [max(0, self.size - _STOP)]
        for pos in points:
            found = self.probe(pos)
            if found is not None:
                seen[found[1]] = found[0]
        out = sorted((off, ts) for off, ts in seen.items())
        for (_, a), (_, b) in zip(out, out[1:]):
            if b < a - self.slack:
                raise OutOfOrder
        return [(ts, off) for off, ts in out]

    def _check(self, ts: float, low: float | None, high: float | None) -> None:
        if (low is not None and ts < low - self.slack) or (high is not None and ts > high + self.slack):
            raise OutOfOrder

    def start(self, samples: list[tuple[float, int]], target: float) -> int:
        """A record before every record timed ``>= target``: the last one timed below it, or 0."""
        lo = hi = None
        for point in samples:
            if point[0] < target:
                lo = point
            elif hi is None:
                hi = point
        if lo is None:
            return 0
        (lo_ts, lo_off), (hi_ts, hi_off) = lo, hi if hi is not None else (None, self.size)
        while hi_off - lo_off > _STOP:
            mid = (lo_off + hi_off) // 2
            found = self.probe(mid)
            if found is not None and found[1] < hi_off:
                self._check(found[0], lo_ts, hi_ts)
                if found[0] < target:
                    lo_ts, lo_off = found
                    continue
                hi_ts = found[0]
            hi_off = mid  # the first record timed >= target is below mid (or is hi's)
        return lo_off

    def end(self, samples: list[tuple[float, int]], target: float) -> int:
        """A record after every record timed ``<= target``: the first one timed above it, or EOF."""
        lo = hi = None
        for point in samples:
            if point[0] <= target:
                lo = point
            elif hi is None:
                hi = point
        if hi is None:
            return self.size
        (lo_ts, lo_off), (hi_ts, hi_off) = lo if lo is not None else (None, 0), hi
        while hi_off - lo_off > _STOP:
            mid = (lo_off + hi_off) // 2
            found = self.probe(mid)
            if found is None or found[1] >= hi_off:
                lo_off = mid  # untimed lines up to hi: they belong to an event before it
                continue
            self._check(found[0], lo_ts, hi_ts)
            if found[0] <= target:
                lo_ts, lo_off = found[0], max(found[1], mid)
            else:
                hi_ts, hi_off = found
        return hi_off


def find_range(buf, zone: Zone, since: float | None, until: float | None, *, slack: float = SLACK,
               min_size: int = MIN_SEEK_BYTES, segmenter: SegmenterFactory | None = None) -> tuple[int, int] | None:
    """Byte range ``[start, end)`` (line starts) that holds every event of ``[since, until)``.

    None when seeking cannot be trusted or does not pay: a small file, no timestamps, or a file
    that is not in time order. Then read it all.
    """
    size = len(buf)
    if (since is None and until is None) or size < max(min_size, 1):
        return None
    seek = _Bisect(buf, zone, slack, segmenter)
    try:
        samples = seek.samples()
        if len(samples) < 2:
            return None
        start = 0 if since is None else seek.start(samples, since - slack)
        end = size if until is None else seek.end(samples, until + slack)
    except OutOfOrder:
        return None
    if end <= start:
        return start, start
    return start, end


def lines_in_window(source: Source, zone: Zone, since: float | None, until: float | None, problems: list[str],
                    text_mode: bool = False, min_size: int = MIN_SEEK_BYTES) -> Iterator[tuple[int, bytes]]:
    """The numbered lines of ``source`` that can hold events of the window: a seek where the file
    allows one, else every line (``iter_lines``). Line numbers are the file's own.

    The seek reads the text the full read would see: a plain file as it is, anything the text
    reader changes (a BOM, NUL gaps, another encoding) through ``open_for_scan``'s clean copy.
    """
    if source.path is None or source.compressed or (since is None and until is None) or source.size < min_size:
        yield from iter_lines(source, problems, text_mode)
        return
    found = _seekable(source, zone, since, until, text_mode, min_size)
    if found is None:
        yield from iter_lines(source, problems, text_mode)  # it reports unreadable and binary files
        return
    fh, (start, end), notes = found
    from devkit.logs.scan import file_lines, lines_before

    problems.extend(notes)
    with fh:
        fd = fh.fileno()
        yield from file_lines(fd, end, start, lines_before(fd, start))


def _seekable(source: Source, zone: Zone, since: float | None, until: float | None, text_mode: bool,
              min_size: int):
    """(open text file, byte range, notes) when the window can be sought in ``source``, else None."""
    from devkit.logs.fileview import FileView, Truncated, segments
    from devkit.logs.scan import Reading
    from devkit.logs.sources import has_gap, open_for_scan

    for copy in (False, True):
        notes: list[str] = []
        fh = open_for_scan(source, notes, text_mode, copy=copy)
        if fh is None:
            return None
        fd = fh.fileno()
        try:
            size = os.fstat(fd).st_size
            reading = Reading(source, zone, os.pread(fd, 1 << 16, 0))
            found = find_range(FileView(fd, size), reading.zone, since, until, min_size=min_size,
                               segmenter=reading.segmenter) if size else None
            if found is None:
                fh.close()
                return None
            if copy or fh.name != source.path or not any(
                    has_gap([bytes(buf[:n])]) for _, buf, n in segments(fd, found[0], found[1])):
                return fh, found, notes
        except (OSError, Truncated):
            fh.close()
            return None
        fh.close()  # NUL gaps in the window: the text reader drops them, so seek in its clean copy
    return None
