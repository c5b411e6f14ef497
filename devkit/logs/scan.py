"""Find matching events fast: search the raw bytes first, parse only the windows around hits.

A window starts at the record that owns the hit line (walking back over continuation lines and,
for streams such as syslog or a container's stderr, over earlier records of the same stream and
the partial pieces of a split record). From there the window's lines are fed to the forward
``Segmenter`` as they are read, until it says the event is settled (no later line can change it):
each line is read once, and the events are identical to a full read. What opens or continues an
event is asked of ``devkit.logs.rules``, the module the ``Segmenter`` asks too.
"""

from __future__ import annotations

import os
from functools import partial
from typing import TYPE_CHECKING, Iterator, Protocol

from devkit.logs.event import Event
from devkit.logs.fileview import FileView, Truncated, segments
from devkit.logs.formats.record import Record
from devkit.logs.naming import source_service
from devkit.logs.rules import CONT_CAP, INHERIT_GAP, STREAM_GAP, Classifier, certainly_opens, piece_key
from devkit.logs.sources import Source, describe_os_error, has_gap, iter_lines, open_for_scan
from devkit.logs.stitch import Segmenter
from devkit.logs.timestamps import Zone
from devkit.logs.wrappers import SNIFF_LINES, Peeled, Wrapper, sniff, stream_marker

if TYPE_CHECKING:
    from devkit.logs.threads import Threads

MAX_WALK_BYTES = 8 << 20
DENSE_WINDOWS = 2000  # past this many hit windows in one file, and...
DENSE_RATIO = 1 / 12  # ...past one window per this many of its lines, read it whole (windows hold ~10 lines)
DENSE_HITS = 50_000  # a raw search gives up past this many hits, or one per DENSE_BYTES of the range...
DENSE_BYTES = 2048  # ...whichever is more (a hit is ~70 bytes of memory until its window is read)
SPLIT_BYTES = 64 << 20  # a file's raw search is shared between threads in ranges this big
LONG_LINE = 1 << 20  # lines this long (or longer) make window walks reach further than streamscan assumes


class Matcher(Protocol):
    needle: bytes | None  # a literal to search for in C, when the pattern is one

    def hits(self, buf, start: int = 0, end: int | None = None) -> Iterator[int]: ...
    def in_raw(self, raw: bytes) -> bool: ...
    def matches(self, event: Event) -> bool: ...


def _line_at(buf, start: int) -> tuple[bytes, int]:
    """The line starting at ``start`` (no line ending) and the start of the next line."""
    line_at = getattr(buf, "line_at", None)
    if line_at is not None:
        return line_at(start)
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


def _count_newlines_py(buf, start: int, end: int) -> int:
    return buf[start:end].count(b"\n")


try:  # the optional C accelerator (pyproject.toml: ext-modules)
    from devkit.logs._speedups import count_newlines
    from devkit.logs._speedups import scan as _c_scan
except ImportError:  # pragma: no cover - built wherever a C compiler is
    count_newlines, _c_scan = _count_newlines_py, None


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


class Hits:
    """The raw search of a byte range of a file: hits (offset, line number from the range's start)."""

    __slots__ = ("hits", "newlines", "truncated_at", "dense", "odd")

    def __init__(self) -> None:
        self.hits: list[tuple[int, int]] = []
        self.newlines = 0
        self.truncated_at: int | None = None
        self.dense = False
        self.odd = False  # a NUL byte or a line of LONG_LINE or more (looked for when asked)


def find_hits(fd: int, start: int, end: int, matcher: Matcher, limit: int,
              splits: frozenset[str] = frozenset(), oddities: bool = False) -> Hits:
    """Every raw hit in ``[start, end)`` of a file, read through a reused buffer.

    ``start`` must be a line start. ``splits``: the runtimes in this source that split long lines;
    the starts of their partial pieces are candidates too (an ID cut in two by the split is in no
    piece whole), found while each segment is in the buffer. Past ``limit`` hits the search stops
    (``dense``): reading the file whole is then cheaper than windows. ``oddities``: also say
    (``odd``) whether the range holds a NUL byte or a very long line, while it is in the buffer.
    """
    out = Hits()
    line = 1
    try:
        for base, buf, length in segments(fd, start, end):
            if oddities and not out.odd:
                out.odd = buf.find(b"\0", 0, length) >= 0 or bool(_long_lines(buf, 0, length, LONG_LINE))
            found = segment_hits(buf, matcher, 0, length, limit - len(out.hits))
            if found is None:
                out.dense = True
                return out
            pairs, newlines = found
            seg_hits = [(base + off, line + before) for off, before in pairs]
            if splits:
                pieces = [(base + off, line + count_newlines(buf, 0, off))
                          for off in split_candidates(buf, splits, 0, length)]
                if pieces:
                    seg_hits = sorted({*seg_hits, *pieces})
            out.hits.extend(seg_hits)
            line += newlines
            out.newlines += newlines
    except Truncated as exc:
        out.truncated_at = exc.args[0]
    return out


def hit_limit(size: int) -> int:
    """How many raw hits a search of ``size`` bytes collects before it reads the range whole
    instead: windows are cheaper up to about one hit per dozen lines, and the hits are held."""
    return max(DENSE_HITS, size // DENSE_BYTES)


def line_start_at_or_after(fd: int, pos: int, end: int) -> int:
    """The first line start at or after ``pos`` (``end`` when there is none before it)."""
    if pos == 0:
        return 0
    while pos < end:
        chunk = os.pread(fd, min(1 << 16, end - pos + 1), pos - 1)
        if not chunk:
            return end
        nl = chunk.find(b"\n")
        if nl >= 0:
            return pos - 1 + nl + 1
        pos += len(chunk) - 1
    return end


def search_file(fd: int, size: int, matcher: Matcher, splits: frozenset[str], pool: Threads | None,
                limit: int | None = None, oddities: bool = False) -> Hits:
    """The raw search of a whole file, its ranges shared between ``pool``'s threads (GIL-free C)."""
    limit = hit_limit(size) if limit is None else limit
    if pool is None or size < 2 * SPLIT_BYTES:
        return find_hits(fd, 0, size, matcher, limit, splits, oddities)
    cuts = [0]
    for k in range(1, max(2, size // SPLIT_BYTES)):
        cut = line_start_at_or_after(fd, size * k // max(2, size // SPLIT_BYTES), size)
        if cut > cuts[-1]:
            cuts.append(cut)
    cuts.append(size)
    parts = list(pool.map(lambda ab: find_hits(fd, ab[0], ab[1], matcher, limit, splits, oddities),
                          zip(cuts, cuts[1:])))
    out = Hits()
    for part in parts:
        out.odd = out.odd or part.odd
        out.hits.extend((off, line + out.newlines) for off, line in part.hits)
        out.newlines += part.newlines
        if part.dense or len(out.hits) > limit:
            out.dense = True
            return out
        if part.truncated_at is not None:
            out.truncated_at = part.truncated_at
            break
    return out


def window_start(buf, ls: int, cls: Classifier) -> int:
    """Where the event owning the line at ``ls`` starts (a window's first byte)."""
    raw, nxt = _line_at(buf, ls)
    rec = cls(raw)
    if rec is not None and rec.stream is not None:
        first, _, joined = _logical_record(buf, ls, rec, cls, nxt)
        return _stream_start(buf, first, joined, cls)
    return _plain_start(buf, ls, rec, cls)


def _plain_start(buf, ls: int, rec: Record | None, cls: Classifier) -> int:
    """Start of the plain event owning line ``ls``."""
    if rec is not None:
        return ls
    pos = ls  # a continuation line: back to the plain record it belongs to, if any
    for _ in range(1, CONT_CAP):
        if pos == 0 or ls - pos > MAX_WALK_BYTES:
            break
        pos = _prev_start(buf, pos)
        r = cls(_line_at(buf, pos)[0])
        if r is not None:
            return pos if r.stream is None else ls  # after a stream record it stands alone
    return ls


def _same_frame(r: Record | None, rec: Record) -> bool:
    """Is ``r`` a line of the stream ``rec`` is on (its container, or its oslo process/logger)?"""
    if r is None or r.stream is None:
        return False
    key = piece_key(rec)
    return piece_key(r) == key if key is not None else r.stream == rec.stream


def _logical_record(buf, ls: int, rec: Record, cls: Classifier, end: int | None = None) -> tuple[int, int, Record]:
    """The record a (possibly partial) line belongs to: (first piece, after the last piece, joined).
    ``end``: where the next line starts, when the caller has read the line already."""
    if end is None:
        end = _line_at(buf, ls)[1]
    if piece_key(rec) is None or rec.wrapper not in SPLITTING:
        return ls, end, rec
    back: list[Record] = []
    first, pos, gap = ls, ls, 0
    while pos > 0 and gap <= STREAM_GAP and ls - pos < MAX_WALK_BYTES:
        pos = _prev_start(buf, pos)
        gap += 1
        r = cls(_line_at(buf, pos)[0])
        if _same_frame(r, rec):
            if not r.partial:  # type: ignore[union-attr]
                break  # the end of the record before this one
            back.append(r)  # type: ignore[arg-type]
            first, gap = pos, 0
    pieces = [*reversed(back), rec]
    size, pos, gap, last = len(buf), end, 0, rec
    while last.partial and pos < size and gap <= STREAM_GAP and pos - ls < MAX_WALK_BYTES:
        line, after = _line_at(buf, pos)
        r = cls(line)
        gap += 1
        if _same_frame(r, rec):
            pieces.append(r)  # type: ignore[arg-type]
            last, gap, end = r, 0, after  # type: ignore[assignment]
        pos = after
    return first, end, rec if len(pieces) == 1 else cls.join(pieces)


def _marker(rec: Record) -> bytes | None:
    """Bytes every line of this record's stream holds (``wrappers.stream_marker``)."""
    frame = rec.frame
    return stream_marker(frame.key if isinstance(frame, Peeled) else rec.stream)


def _stream_start(buf, first: int, joined: Record, cls: Classifier) -> int:
    """Back over the stream's earlier records to the one that surely opened this event."""
    if certainly_opens(joined):
        return first
    marker = _marker(joined)
    start, pos, gap = first, first, 0
    while pos > 0 and gap <= STREAM_GAP and first - pos < MAX_WALK_BYTES:
        pos = _prev_start(buf, pos)
        gap += 1
        line = _line_at(buf, pos)[0]
        if marker is not None and marker not in line:
            continue  # another stream's line
        r = cls(line)
        if not _same_frame(r, joined):
            continue
        p_first, _, p_joined = _logical_record(buf, pos, r, cls)  # type: ignore[arg-type]
        pos = p_first
        if p_joined.stream != joined.stream:
            continue
        start, gap = p_first, 0
        if certainly_opens(p_joined):
            break
    return start


def _earlier_ts(buf, start: int, first_line: int, cls: Classifier) -> tuple[float, int] | None:
    """(time, line number) of the nearest line before ``start`` that has a time."""
    pos, lineno = start, first_line
    for _ in range(INHERIT_GAP):
        if pos == 0 or start - pos > MAX_WALK_BYTES:
            return None
        pos = _prev_start(buf, pos)
        lineno -= 1
        r = cls(_line_at(buf, pos)[0])
        if r is not None and r.ts is not None:
            return r.ts, lineno
    return None


def lines_before(fd: int, offset: int) -> int:
    """How many lines end before ``offset`` (the number of the line before the one starting there)."""
    n = 0
    try:
        for _base, buf, length in segments(fd, 0, offset):
            n += count_newlines(buf, 0, length)
    except Truncated:
        pass
    return n


def file_lines(fd: int, size: int, start: int = 0, lineno: int = 0) -> Iterator[tuple[int, bytes]]:
    """Numbered lines of a file up to ``size`` (line endings stripped), read through a reused buffer;
    from ``start`` (a line start) when given, ``lineno`` being the number of the line before it."""
    try:
        for _base, buf, length in segments(fd, start, size):
            data = bytes(buf[:length])
            lines = data.split(b"\n")
            if lines and lines[-1] == b"":
                lines.pop()
            for raw in lines:
                lineno += 1
                yield lineno, raw[:-1] if raw.endswith(b"\r") else raw
    except Truncated:
        return


class Reading:
    """How one source is read: its zone (year-less stamps against its mtime) and its wrappers."""

    __slots__ = ("source", "zone", "wrappers", "service", "splits", "cls")

    def __init__(self, source: Source, zone: Zone, head: bytes) -> None:
        self.source = source
        mtime = None
        if source.path:
            try:
                mtime = os.stat(source.path).st_mtime
            except OSError:
                pass
        self.zone = zone.at(mtime)
        lines = head.split(b"\n", SNIFF_LINES)[:SNIFF_LINES]
        texts = [ln.decode("utf-8", "replace").rstrip("\r") for ln in lines]
        self.wrappers: tuple[Wrapper, ...] = sniff(texts, self.zone)
        self.service = source_service(source.name, source.path)
        self.splits = _split_kinds(texts, self.zone, self.wrappers)
        self.cls = Classifier(self.zone, self.wrappers)

    def segmenter(self, earlier=None, classify=None) -> Segmenter:
        s = self.source
        return Segmenter(s.name, self.zone, self.service, s.index, earlier, self.wrappers, classify)


def _split_kinds(texts: list[str], zone: Zone, wrappers: tuple[Wrapper, ...]) -> frozenset[str]:
    """The wrappers in a source's head that split long lines into partial records."""
    from devkit.logs.wrappers import peel

    seen = set()
    for text in texts:
        p = peel(text, zone, wrappers)
        if p is not None:
            seen.add(p.wrapper)
    return frozenset(seen & SPLITTING)


SPLITTING = frozenset({"docker-json", "cri", "journald-json"})  # runtimes that split long lines into pieces
SPLIT_LINE = 4 << 10  # docker and containerd split at 16 KiB, CRI-O's conmon at 8 KiB: lines this long may be pieces


def _is_piece(line: bytes, kind: str) -> bool:
    """Does this raw line say it is continued by the next one of its stream (cheap byte tests)?"""
    if kind == "docker-json":
        return line.startswith(b'{"log":') and b'\\n","stream":"' not in line
    if kind == "cri":
        head = line[:64]
        return b" stdout P " in head or b" stderr P " in head
    return b'"CONTAINER_PARTIAL_MESSAGE"' in line


def split_candidates(buf, kinds: frozenset[str], start: int = 0, end: int | None = None) -> list[int]:
    """Line starts of partial pieces in ``[start, end)``: where an ID may be cut in two by a split.

    Runtimes split only long lines, so the C long-line finder (one memchr per 2 KiB) proposes
    lines and a byte test on each keeps the pieces: no extra pass over the data.
    """
    end = len(buf) if end is None else end
    out = []
    for ls in _long_lines(buf, start, end, SPLIT_LINE):
        le = buf.find(b"\n", ls, end)
        line = buf[ls:end if le < 0 else le]
        if any(_is_piece(line, kind) for kind in kinds):
            out.append(ls)
    return out


def _long_lines_py(buf, start: int, end: int, min_len: int) -> list[int]:
    out, pos, chunk = [], start, max(64, min_len // 2)
    while pos < end:
        cend = min(end, pos + chunk)
        nl = buf.find(b"\n", pos, cend)
        if nl >= 0:
            pos = nl + 1
            continue
        if cend - pos < chunk:
            break
        out.append(buf.rfind(b"\n", start, pos) + 1)
        le = buf.find(b"\n", cend, end)
        pos = end if le < 0 else le + 1
    return out


try:
    from devkit.logs._speedups import long_lines as _long_lines
except ImportError:  # pragma: no cover
    _long_lines = _long_lines_py


class _CachedClassifier:
    """A source's classifier that remembers lines it has read: windows around nearby hits overlap,
    and the walks look at the same lines again (what a line is depends only on its bytes)."""

    __slots__ = ("cls", "seen", "join")

    def __init__(self, cls: Classifier) -> None:
        self.cls = cls
        self.seen: dict[bytes, Record | None] = {}
        self.join = cls.join

    def __call__(self, raw: bytes) -> Record | None:
        seen = self.seen
        if raw in seen:
            return seen[raw]
        if len(seen) > 4096:  # nearby windows share lines; far ones need not
            seen.clear()
        rec = seen[raw] = self.cls(raw)
        return rec


def window_limit(lines: int) -> int:
    """Past this many windows in a file of ``lines`` lines, reading it whole is cheaper."""
    return max(DENSE_WINDOWS, int(lines * DENSE_RATIO))


def scan_windows(buf, reading: Reading, matcher: Matcher, hits: list[tuple[int, int]],
                 lines: int = 0) -> list[Event] | None:
    """The matching events around raw hits, one window each; None when windows would cost more
    than reading the file whole: past ``DENSE_WINDOWS`` windows and one per ``1 / DENSE_RATIO``
    of its ``lines``."""
    found = _windows(buf, reading, matcher, hits, window_limit(lines))
    return None if found is None else [found[k] for k in sorted(found)]


def _windows(buf, reading: Reading, matcher: Matcher, hits: list[tuple[int, int]], limit: int
             ) -> dict[int, Event] | None:
    """The events around ``hits`` by first line (None past ``limit`` windows)."""
    found: dict[int, Event] = {}
    for windows, (target, _start, _ls) in enumerate(hit_events(buf, reading, matcher, hits), 1):
        if windows > limit:
            return None
        if target is not None and target.line not in found and matcher.matches(target):
            found[target.line] = target
    return found


def hit_events(buf, reading: Reading, matcher: Matcher, hits: list[tuple[int, int]]
               ) -> Iterator[tuple[Event | None, int, int]]:
    """Per window, the event that owns its hit, the byte its first line starts at and the start
    of the hit's line. A hit inside the event the window before it found is skipped. Each window
    is read on its own (the classifier only caches), so any share of the hits gives that share's
    events."""
    cls = _CachedClassifier(reading.cls)
    win_start = win_end = -1
    target: Event | None = None
    for off, lineno in hits:
        ls = buf.rfind(b"\n", 0, off) + 1
        if win_start <= ls < win_end and target is not None and lineno in target.line_numbers:
            continue  # another hit inside the event we already have
        win_start = window_start(buf, ls, cls)
        first = lineno - buf[win_start:ls].count(b"\n")
        seg = reading.segmenter(partial(_earlier_ts, buf, win_start, first, cls), cls)
        walk = _Window(buf, seg, win_start, first, ls, lineno)
        events = list(seg.feed_lines(walk.lines()))
        events.extend(seg.finish())
        win_end = walk.end
        target = next((ev for ev in events if lineno in ev.line_numbers), None)
        yield target, (ls if target is None else walk.starts.get(target.line, ls)), ls


class _Window:
    """The lines of one window, fed to its segmenter from the event's first line on, up to the
    line after which the event holding the hit is settled (``Segmenter.settled``): each line is
    read once, and no further than the event reaches."""

    __slots__ = ("buf", "seg", "start", "first", "ls", "lineno", "starts", "end")

    def __init__(self, buf, seg: Segmenter, start: int, first: int, ls: int, lineno: int) -> None:
        self.buf, self.seg, self.start, self.first, self.ls, self.lineno = buf, seg, start, first, ls, lineno
        self.starts: dict[int, int] = {}  # line number -> the byte it starts at
        self.end = start

    def lines(self) -> Iterator[tuple[int, bytes]]:
        """Once the hit's event is a stream's, lines without that stream's marker are not fed: no
        other stream's line (nor an unwrapped one) can change a stream's event, only events after
        it, which the window does not keep."""
        buf, seg, ls, lineno, starts = self.buf, self.seg, self.ls, self.lineno, self.starts
        pos, n, size, op, marker, hit = self.start, self.first, len(buf), None, None, b""
        while pos < size:
            raw, nxt = _line_at(buf, pos)
            if marker is None or marker in raw:
                starts[n] = pos
                yield n, raw  # (resumed once the segmenter has taken the line)
            pos = self.end = nxt
            if n >= lineno:
                if n == lineno:
                    hit = raw
                if op is None or op.pieces is not None:  # a partial record's lines may join another event
                    op = seg.holder(lineno)
                    marker = None if op is None or op.pieces is not None else self._marker(op, hit)
                if op is None or seg.settled(op, n) or pos - ls >= MAX_WALK_BYTES:
                    return
            n += 1

    def _marker(self, op, hit: bytes) -> bytes | None:
        """The bytes every line of the stream holds whose event ``op`` (the hit's) is, read off the
        hit's own line; None when that event is not a stream's."""
        rec = self.seg.classify(hit)  # (the cached record of the hit's line)
        return _marker(rec) if rec is not None and op.stream is not None and rec.stream == op.stream else None


def scan_buffer(buf, reading: Reading, matcher: Matcher) -> list[Event]:
    """Matching events of an in-memory source (bytes), in source order: the same rules as a file."""
    pairs = segment_hits(buf, matcher, 0, len(buf), DENSE_HITS)
    if pairs is not None:
        hits = [(off, 1 + before) for off, before in pairs[0]]
        if reading.splits:
            hits = sorted({*hits, *((o, 1 + count_newlines(buf, 0, o)) for o in split_candidates(buf, reading.splits))})
        events = scan_windows(buf, reading, matcher, hits)
        if events is not None:
            return events
    lines = buf.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return _read_whole(enumerate((r[:-1] if r.endswith(b"\r") else r for r in lines), 1), reading, matcher)


def keeps(matcher: Matcher, splits: bool):
    """The test a fully read event passes: raw prefilter first (not for records joined from pieces)."""
    in_raw, matches = matcher.in_raw, matcher.matches
    if splits:
        return lambda ev: (any(in_raw(r) for r in ev.raw) or len(ev.raw) > 1) and matches(ev)
    return lambda ev: any(in_raw(r) for r in ev.raw) and matches(ev)


def _read_whole(lines: Iterator[tuple[int, bytes]], reading: Reading, matcher: Matcher) -> list[Event]:
    """Hits everywhere: one full stitch of the file beats thousands of windows."""
    seg = reading.segmenter()
    keep = keeps(matcher, bool(reading.splits))
    out: list[Event] = []
    out.extend(ev for ev in seg.feed_lines(lines) if keep(ev))
    out.extend(ev for ev in seg.finish() if keep(ev))
    return out


def truncated_note(name: str, at: int, size: int) -> str:
    return f"{name}: was truncated while reading ({at} of {size} bytes read; the events before are kept)"


def scan_source(source: Source, matcher: Matcher, zone: Zone, text_mode: bool = False,
                pool: Threads | None = None, window: tuple[float | None, float | None] | None = None,
                ) -> tuple[list[Event], list[str]]:
    """Matching events of one source and the problems met reading it (never raises for bad input).

    ``pool``: threads to share one big file's raw search (the C scan releases the GIL). With a time
    ``window`` (since, until) only the byte range that can hold it is searched, when the file is in
    time order (``devkit.logs.timeseek``); the caller still filters the events.
    """
    problems: list[str] = []
    if source.path is None:
        lines = iter_lines(source, problems, text_mode)
        events = [ev for ev in stitch_source(source, zone, lines) if any(
            matcher.in_raw(r) for r in ev.raw) and matcher.matches(ev)]
        return events, problems + _matcher_problems(matcher)
    fh = open_for_scan(source, problems, text_mode)
    if fh is None:
        return [], problems
    events = _scan_file(fh, source, matcher, zone, problems, pool, window)
    if fh.name == source.path and any(has_gap(ev.raw) for ev in events):
        # NUL gaps in what we found: the full read drops them, so search a gap-free copy instead
        del problems[:]
        _matcher_problems(matcher)
        fh = open_for_scan(source, problems, text_mode, copy=True)
        events = [] if fh is None else _scan_file(fh, source, matcher, zone, problems, pool, window)
    return events, problems + _matcher_problems(matcher)


def estimated_hits(source: Source, matcher: Matcher, sample: int = 1 << 20) -> float:
    """About how many raw hits a plain file holds, from its first ``sample`` bytes (the C search
    on a slice: cheap). It only chooses how a search runs, never what it finds."""
    if source.path is None or source.compressed:
        return 0.0
    try:
        with open(source.path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            end = min(size, sample)
            found = find_hits(fh.fileno(), 0, end, matcher, DENSE_HITS)
    except OSError:
        return 0.0
    hits = DENSE_HITS if found.dense else len(found.hits)
    return hits * size / end if end else 0.0


def _matcher_problems(matcher: Matcher) -> list[str]:
    """What the matcher could not decide (a pattern's time limit), said once per source."""
    take = getattr(matcher, "take_problems", None)
    return take() if take else []


def _scan_file(fh, source: Source, matcher: Matcher, zone: Zone, problems: list[str],
               pool: Threads | None, window: tuple[float | None, float | None] | None = None) -> list[Event]:
    """The raw search of one opened file, windows around its hits (or a full read when dense)."""
    with fh:
        try:
            fd = fh.fileno()
            size = os.fstat(fd).st_size
            if size == 0:
                return []
            reading = Reading(source, zone, os.pread(fd, 1 << 16, 0))
            span = _time_span(fd, size, reading, window)
            if span is None:
                start, end, before = 0, size, 0
                found = search_file(fd, size, matcher, reading.splits, pool)
            else:
                (start, end), before = span, lines_before(fd, span[0])
                found = find_hits(fd, start, end, matcher, hit_limit(end - start), reading.splits)
                found.hits = [(off, line + before) for off, line in found.hits]
            view = FileView(fd, found.truncated_at if found.truncated_at is not None else size)
            events = None if found.dense else scan_windows(view, reading, matcher, found.hits, found.newlines)
            if events is None:
                events = _read_whole(file_lines(fd, min(len(view), end), start, before), reading, matcher)
            if found.truncated_at is not None or view.truncated or os.fstat(fd).st_size < size:
                problems.append(truncated_note(source.name, min(len(view), found.truncated_at or size), size))
            return events
        except OSError as exc:
            problems.append(f"{source.name}: {describe_os_error(exc)}")
            return []


def _time_span(fd: int, size: int, reading: Reading,
               window: tuple[float | None, float | None] | None) -> tuple[int, int] | None:
    """The byte range to search for a time window, or None: all of it (no window, or no seek)."""
    if window is None:
        return None
    from devkit.logs.timeseek import find_range

    return find_range(FileView(fd, size), reading.zone, *window, segmenter=reading.segmenter)


def stitch_source(source: Source, zone: Zone, lines: Iterator[tuple[int, bytes]]) -> Iterator[Event]:
    """Every event of a source read line by line (stdin, a merge), its wrappers sniffed from its head."""
    head: list[tuple[int, bytes]] = []
    for item in lines:
        head.append(item)
        if len(head) >= SNIFF_LINES:
            break
    reading = Reading(source, zone, b"\n".join(raw for _, raw in head))
    seg = reading.segmenter()
    yield from seg.feed_lines(head)
    yield from seg.feed_lines(lines)
    yield from seg.finish()
