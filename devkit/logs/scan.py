"""Find matching events fast: search the raw bytes first, parse only the windows around hits.

A window starts at the record that owns the hit line (walking back over continuation lines and,
for syslog, over earlier records of the same stream) and ends where that event must end. The
window is stitched with the same ``Segmenter`` a full read uses, so the events are identical.
"""

from __future__ import annotations

import mmap
import os
import sys
from functools import partial
from typing import Iterator, Protocol

from devkit.logs.event import Event
from devkit.logs.formats import Record, looks_like_continuation
from devkit.logs.sources import (
    Source,
    describe_os_error,
    has_gap,
    iter_lines,
    open_for_scan,
    service_from_path,
)
from devkit.logs.stitch import CONT_CAP, INHERIT_GAP, STREAM_GAP, Segmenter, classify
from devkit.logs.timestamps import Zone

MAX_WALK_BYTES = 8 << 20
DENSE_WINDOWS = 2000  # past this many hit windows in one file, read it whole
DENSE_HITS = 50_000
_SEGMENT = 32 << 20
_RELEASE_MIN = 1 << 20


class Matcher(Protocol):
    needle: bytes | None  # a literal to search for in C, when the pattern is one

    def hits(self, buf, start: int = 0, end: int | None = None) -> Iterator[int]: ...
    def in_raw(self, raw: bytes) -> bool: ...
    def matches(self, event: Event) -> bool: ...


def _line_at(buf, start: int) -> tuple[bytes, int]:
    """The line starting at ``start`` (no line ending) and the start of the next line."""
    end = buf.find(b"\n", start)
    nxt = len(buf) if end < 0 else end + 1
    end = len(buf) if end < 0 else end
    raw = buf[start:end]
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    return raw, nxt


def _prev_start(buf, start: int) -> int:
    """Start of the line before the one at ``start`` (``start`` > 0)."""
    return buf.rfind(b"\n", 0, start - 1) + 1


def _opens_event(rec: Record) -> bool:
    return rec.opens or not looks_like_continuation(rec.stream_msg or "", True)


def _count_newlines_py(buf, start: int, end: int) -> int:
    return buf[start:end].count(b"\n")


try:  # the optional C accelerator (pyproject.toml: ext-modules)
    from devkit.logs._speedups import count_newlines
    from devkit.logs._speedups import scan as _c_scan
except ImportError:  # pragma: no cover - built wherever a C compiler is
    count_newlines, _c_scan = _count_newlines_py, None


def release(buf, start: int, end: int) -> None:
    """Drop a scanned range of a mapping from our resident set (the page cache keeps it).

    Without this, touching every page of a 1 GB mapping makes RSS 1 GB even though nothing is
    copied; with it, peak RSS stays near one segment whatever the input size.
    """
    if end - start < _RELEASE_MIN or not isinstance(buf, mmap.mmap):
        return
    start -= start % mmap.PAGESIZE
    try:
        buf.madvise(mmap.MADV_DONTNEED, start, end - start)
    except (OSError, ValueError, AttributeError):
        pass


_MADV_POPULATE_READ = getattr(mmap, "MADV_POPULATE_READ", 22)  # Linux 5.14+


def prefault(buf, start: int, end: int) -> None:
    """Map a segment's pages in one call instead of one page fault per page (about 10% faster)."""
    if not isinstance(buf, mmap.mmap) or sys.platform != "linux":
        return
    start -= start % mmap.PAGESIZE
    try:
        buf.madvise(_MADV_POPULATE_READ, start, end - start)
    except (OSError, ValueError, AttributeError):
        pass


def segment_hits(buf, matcher: Matcher, start: int, end: int, limit: int) -> tuple[list[tuple[int, int]], int] | None:
    """Hits in ``[start, end)`` as (offset, newlines before it), and the segment's newlines.

    One pass in C for a literal needle; the finder and a newline count otherwise. None past
    ``limit`` hits.
    """
    needle = matcher.needle
    if needle and _c_scan is not None:
        return _c_scan(buf, needle, start, end, limit)
    pairs: list[tuple[int, int]] = []
    counted, newlines = start, 0
    for off in matcher.hits(buf, start, end):
        if len(pairs) >= limit:
            return None
        newlines += count_newlines(buf, counted, off)
        counted = off
        pairs.append((off, newlines))
    return pairs, newlines + count_newlines(buf, counted, end)


def find_hits(buf, matcher: Matcher, limit: int) -> list[tuple[int, int]] | None:
    """(offset, line number) of every raw hit, segment by segment; None past ``limit`` hits."""
    hits: list[tuple[int, int]] = []
    size, pos, line = len(buf), 0, 1
    while pos < size:
        end = min(size, pos + _SEGMENT)
        if end < size:  # cut after a line end, so no match straddles two segments
            nl = buf.rfind(b"\n", pos, end)
            if nl < 0:
                nl = buf.find(b"\n", end)
            end = size if nl < 0 else nl + 1
        prefault(buf, pos, end)
        found = segment_hits(buf, matcher, pos, end, limit - len(hits))
        release(buf, pos, end)
        if found is None:
            return None
        pairs, newlines = found
        hits.extend((off, line + before) for off, before in pairs)
        line += newlines
        pos = end
    return hits


def window(buf, ls: int, zone: Zone) -> tuple[int, int]:
    """Byte range [start, end) that holds the whole event owning the line at ``ls``."""
    raw, nxt = _line_at(buf, ls)
    rec = classify(raw, zone)
    start, back = _walk_back(buf, ls, rec, zone)
    head = classify(_line_at(buf, start)[0], zone) if start != ls else rec
    return start, _walk_forward(buf, ls, nxt, head, back, zone)


def _walk_back(buf, ls: int, rec: Record | None, zone: Zone) -> tuple[int, int]:
    """Where the event owning line ``ls`` starts, and how many lines back that is (plain text)."""
    if rec is not None and rec.stream is not None and not _opens_event(rec):
        # a continuation record: back over its stream to the record that opened the event
        start, pos, gap = ls, ls, 0
        while pos > 0 and gap <= STREAM_GAP and ls - pos < MAX_WALK_BYTES:
            pos = _prev_start(buf, pos)
            gap += 1
            r = classify(_line_at(buf, pos)[0], zone)
            if r is not None and r.stream == rec.stream:
                start, gap = pos, 0
                if _opens_event(r):
                    break
        return start, 0
    if rec is None:  # a continuation line: back to the plain record it belongs to, if any
        pos = ls
        for steps in range(1, CONT_CAP):
            if pos == 0 or ls - pos > MAX_WALK_BYTES:
                break
            pos = _prev_start(buf, pos)
            r = classify(_line_at(buf, pos)[0], zone)
            if r is not None:
                return (pos, steps) if r.stream is None else (ls, 0)
    return ls, 0


def _walk_forward(buf, ls: int, pos: int, head: Record | None, back: int, zone: Zone) -> int:
    """Where the event whose first record is ``head`` ends, scanning on from ``pos``."""
    size = len(buf)
    if head is not None and head.stream is not None:
        gap = 0
        while pos < size and gap <= STREAM_GAP and pos - ls < MAX_WALK_BYTES:
            line, after = _line_at(buf, pos)
            r = classify(line, zone)
            gap += 1
            if r is not None and r.stream == head.stream:
                if _opens_event(r):
                    break
                gap = 0
            pos = after
        return pos
    count = 1 + back
    while pos < size and count < CONT_CAP and pos - ls < MAX_WALK_BYTES:
        line, after = _line_at(buf, pos)
        if classify(line, zone) is not None:
            break
        pos, count = after, count + 1
    return pos


def _earlier_ts(buf, start: int, first_line: int, zone: Zone) -> tuple[float, int] | None:
    """(time, line number) of the nearest line before ``start`` that has a time."""
    pos, lineno = start, first_line
    for _ in range(INHERIT_GAP):
        if pos == 0 or start - pos > MAX_WALK_BYTES:
            return None
        pos = _prev_start(buf, pos)
        lineno -= 1
        r = classify(_line_at(buf, pos)[0], zone)
        if r is not None and r.ts is not None:
            return r.ts, lineno
    return None


def _mapped_lines(buf) -> Iterator[tuple[int, bytes]]:
    pos, size, lineno, released = 0, len(buf), 0, 0
    while pos < size:
        raw, pos = _line_at(buf, pos)
        lineno += 1
        yield lineno, raw
        if pos - released >= _SEGMENT:
            release(buf, released, pos)
            released = pos


def scan_buffer(buf, source: Source, matcher: Matcher, zone: Zone, service: str | None) -> list[Event]:
    """Matching events of one in-memory/mapped source, in source order."""
    hits = find_hits(buf, matcher, DENSE_HITS)
    if hits is None:
        return _scan_sequential(buf, source, matcher, zone, service)
    found: dict[int, Event] = {}
    win_start = win_end = -1
    target: Event | None = None
    windows = 0
    for off, lineno in hits:
        ls = buf.rfind(b"\n", 0, off) + 1
        if win_start <= ls < win_end and target is not None and lineno in target.line_numbers:
            continue  # another hit inside the event we already have
        windows += 1
        if windows > DENSE_WINDOWS:
            return _scan_sequential(buf, source, matcher, zone, service)
        win_start, win_end = window(buf, ls, zone)
        first = lineno - count_newlines(buf, win_start, ls)
        seg = Segmenter(source.name, zone, service, source.index,
                        partial(_earlier_ts, buf, win_start, first, zone))
        pos, n = win_start, first
        events: list[Event] = []
        while pos < win_end:
            raw, pos = _line_at(buf, pos)
            events.extend(seg.feed(n, raw))
            n += 1
        events.extend(seg.finish())
        target = next((ev for ev in events if lineno in ev.line_numbers), None)
        if target is not None and target.line not in found and matcher.matches(target):
            found[target.line] = target
    return [found[k] for k in sorted(found)]


def _scan_sequential(buf, source: Source, matcher: Matcher, zone: Zone, service: str | None) -> list[Event]:
    """Hits everywhere: one full stitch of the file beats thousands of windows."""
    seg = Segmenter(source.name, zone, service, source.index)
    out: list[Event] = []
    in_raw, matches = matcher.in_raw, matcher.matches

    def keep(events: list[Event]) -> None:
        out.extend(ev for ev in events if any(in_raw(r) for r in ev.raw) and matches(ev))

    for lineno, raw in _mapped_lines(buf):
        keep(seg.feed(lineno, raw))
    keep(seg.finish())
    return out


def scan_source(source: Source, matcher: Matcher, zone: Zone, text_mode: bool = False) -> tuple[list[Event], list[str]]:
    """Matching events of one source and the problems met reading it (never raises for bad input)."""
    problems: list[str] = []
    service = service_from_path(source.name)
    if source.path is None:
        events = [ev for ev in _stitch_stream(source, zone, service, problems, text_mode) if any(
            matcher.in_raw(r) for r in ev.raw) and matcher.matches(ev)]
        return events, problems + _matcher_problems(matcher)
    fh = open_for_scan(source, problems, text_mode)
    if fh is None:
        return [], problems
    events = _scan_file(fh, source, matcher, zone, service, problems)
    if fh.name == source.path and any(has_gap(ev.raw) for ev in events):
        # NUL gaps in what we found: the full read drops them, so search a gap-free copy instead
        del problems[:]
        _matcher_problems(matcher)
        fh = open_for_scan(source, problems, text_mode, copy=True)
        events = [] if fh is None else _scan_file(fh, source, matcher, zone, service, problems)
    return events, problems + _matcher_problems(matcher)


def _matcher_problems(matcher: Matcher) -> list[str]:
    """What the matcher could not decide (a pattern's time limit), said once per source."""
    take = getattr(matcher, "take_problems", None)
    return take() if take else []


def _scan_file(fh, source: Source, matcher: Matcher, zone: Zone, service: str, problems: list[str]) -> list[Event]:
    with fh:
        try:
            if os.fstat(fh.fileno()).st_size == 0:
                return []
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
                return scan_buffer(buf, source, matcher, zone, service)
        except OSError as exc:
            problems.append(f"{source.name}: {describe_os_error(exc)}")
            return []


def _stitch_stream(source: Source, zone: Zone, service: str, problems: list[str], text_mode: bool):
    seg = Segmenter(source.name, zone, service, source.index)
    for lineno, raw in iter_lines(source, problems, text_mode):
        yield from seg.feed(lineno, raw)
    yield from seg.finish()

