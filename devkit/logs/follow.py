"""Live logs: follow files, directories and stdin, and merge their events in time order as they come.

A followed source feeds its own ``Segmenter``; an event is out as soon as it is finished (the
next record arrived) or its source paused for ``IDLE`` seconds (a traceback written at once is
whole by then), or, on a busy source whose first event is held open (a syslog record waiting for
its traceback), after ``IDLE`` seconds of nothing coming out. Events then wait ``HOLD`` seconds so
that one written a moment later in another file, with an earlier time, still goes first; each
source keeps its own order.

Files are followed by inode: a rename-and-create rotation is read to its end and the new file
from its start; a truncated file (copytruncate) is read again from its start; files that appear
in a followed directory are picked up, except rotated copies of files already followed
(``app.log.1``, ``app.log-20261120``, compressed ones), whose lines were seen already. Stdin is
read on a thread, so a pause in a pipe is seen as one, not waited out.
"""

from __future__ import annotations

import heapq
import itertools
import os
import re
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

from devkit.logs.event import Event
from devkit.logs.filters import EventFilter
from devkit.logs.merge import merge_events
from devkit.logs.sources import COMPRESSED, Note, Source, looks_binary
from devkit.logs.stitch import Segmenter
from devkit.logs.timestamps import Zone

HOLD = 0.5  # seconds an event waits for earlier events from other sources
IDLE = 0.2  # seconds of quiet after which a source's open events are complete
POLL = 0.05  # seconds between looks at files
RESCAN = 0.5  # seconds between looks for new files in followed directories
CHUNK = 1 << 20
MAX_LINE = 64 << 20  # a line longer than this without a newline is cut (memory stays bounded)
_ROTATED = re.compile(r"[.\-_](?:\d+|\d{4}-?\d{2}-?\d{2}(?:[-_T]?\d{2,6})?)(?:\.(?:gz|bz2|xz|zst))?\Z")


class Lines:
    """Bytes in, complete lines out; the unfinished tail waits for its newline (its pieces are joined
    once, so a 50 MB line read 4 KiB at a time costs 50 MB, not 300 GB of copying)."""

    def __init__(self) -> None:
        self.pieces: list[bytes] = []
        self.held = 0

    def split(self, data: bytes) -> list[bytes]:
        lines = data.split(b"\n")
        tail = lines.pop()
        if lines and self.pieces:
            self.pieces.append(lines[0])
            lines[0] = b"".join(self.pieces)
            self.pieces, self.held = [], 0
        if tail:
            self.pieces.append(tail)
            self.held += len(tail)
            if self.held > MAX_LINE:  # a line without end: out it goes, memory stays bounded
                lines.append(b"".join(self.pieces))
                self.pieces, self.held = [], 0
        return [ln[:-1] if ln.endswith(b"\r") else ln for ln in lines]

    def tail(self) -> list[bytes]:
        """The unfinished line, at the end of the input."""
        rest = b"".join(self.pieces)
        self.pieces, self.held = [], 0
        return [rest[:-1] if rest.endswith(b"\r") else rest] if rest else []


class Feed:
    """One source's lines -> its events, flushed when the source pauses or holds events too long.

    The source's wrappers are sniffed from the first data it gives (a file that is created empty
    by a rotation is sniffed when its first lines come), as a full read sniffs its head.
    """

    def __init__(self, source: Source, zone: Zone, idle: float = IDLE, lineno: int = 0) -> None:
        self.source, self.zone = source, zone
        self._reading = None  # devkit.logs.scan.Reading, once the first data is seen
        self._seg: Segmenter | None = None
        self.lines = Lines()
        self.lineno = lineno
        self.idle = idle
        self.last_data = 0.0
        self.waiting_since: float | None = None  # first line fed since events last came out

    def reading(self, head: bytes = b""):
        """How this source is read (zone, wrappers), sniffed from ``head`` the first time."""
        if self._reading is None:
            from devkit.logs.scan import Reading

            self._reading = Reading(self.source, self.zone, head)
        return self._reading

    def segmenter(self, head: bytes = b"") -> Segmenter:
        if self._seg is None:
            self._seg = self.reading(head).segmenter()
        return self._seg

    def data(self, chunk: bytes, now: float) -> list[Event]:
        self.last_data = now
        self.segmenter(chunk[:1 << 16])
        return self._feed(self.lines.split(chunk), now)

    def _feed(self, lines: list[bytes], now: float) -> list[Event]:
        out: list[Event] = []
        seg = self.segmenter(b"\n".join(lines)[:1 << 16])
        for raw in lines:
            self.lineno += 1
            done = seg.feed(self.lineno, raw)
            if done:
                out.extend(done)
                self.waiting_since = None
            if self.waiting_since is None:
                self.waiting_since = now
        if out and not lines:
            self.waiting_since = None
        return out

    def due(self, now: float) -> bool:
        """Open events should come out: the source is quiet, or nothing came out for a while."""
        return self.waiting_since is not None and (now - self.last_data >= self.idle
                                                   or now - self.waiting_since >= self.idle)

    def flush(self) -> list[Event]:
        """Everything open is complete (feeding may go on afterwards)."""
        self.waiting_since = None
        return self._seg.finish() if self._seg is not None else []

    def close(self) -> list[Event]:
        """End of this input: the unfinished line too."""
        out = self._feed(self.lines.tail(), self.last_data)
        return out + self.flush()


class StdinReader:
    """Stdin's text as it arrives: ``read(timeout)`` gives a chunk, None when nothing came in time,
    b"" at the end.

    A thread reads through the stages of ``sources.text_chunks`` (byte-order marks and other
    encodings, NUL gaps dropped, the binary check) and hands chunks over a queue, so a pause in the
    pipe is seen as one instead of being waited out in a blocking read. Unlike ``text_chunks`` it
    does not wait for 8 KiB before the first chunk: the binary check looks at what came so far.
    """

    def __init__(self, source: Source | None = None, problems: list[str] | None = None,
                 text_mode: bool = False) -> None:
        import queue
        import threading

        from devkit.logs import sources as text

        self.source = source or Source("-", None)
        self.problems = [] if problems is None else problems
        self.eof = False
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=64)  # bounded: a fast pipe waits for us

        def pump() -> None:
            gaps = text._Gaps()
            head = 0 if text_mode else text.BINARY_HEAD  # bytes still to check for NULs
            try:
                for chunk in gaps.strip(text._transcode(text._raw_chunks(self.source, self.problems))):
                    if head > 0:
                        if text.looks_binary(chunk[:head]):
                            self.problems.append(text._binary_note(self.source))
                            return
                        head -= len(chunk)
                    self._queue.put(chunk)
                note = gaps.note(self.source.name)
                if note:
                    self.problems.append(note)
            finally:
                self._queue.put(None)

        threading.Thread(target=pump, name="devkit-stdin", daemon=True).start()

    def read(self, timeout: float) -> bytes | None:
        import queue

        if self.eof:
            return b""
        try:
            chunk = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        if chunk is None:
            self.eof = True
            return b""
        return chunk


def stdin_events(source: Source, zone: Zone, problems: list[str], text_mode: bool = False,
                 idle: float = IDLE, reader: StdinReader | None = None) -> Iterator[Event]:
    """Events of stdin in order, each as soon as it is finished or the pipe pauses for ``idle`` s."""
    reader = reader or StdinReader(source, problems, text_mode)
    feed = Feed(source, zone, idle)
    while True:
        data = reader.read(idle)
        now = time.monotonic()
        if data is None:
            if feed.due(now):
                yield from feed.flush()
            continue
        if not data:
            break
        yield from feed.data(data, now)
    yield from feed.close()


# --- files -----------------------------------------------------------------------------------------

Ident = tuple[int, int]  # (st_dev, st_ino)


class Tail:
    """One followed file, by inode: reads what was appended, notices truncation."""

    def __init__(self, name: str, path: str, index: int, zone: Zone, fh, ident: Ident, offset: int = 0,
                 lineno: int = 0, idle: float = IDLE) -> None:
        self.name, self.path, self.index, self.fh, self.ident = name, path, index, fh, ident
        self.source = Source(name, path, index)
        self.pos = offset
        self.feed = Feed(self.source, zone, idle, lineno)
        self.zone = zone
        self.idle = idle
        self.closed = False
        self.mark = b""  # the last bytes read, to notice a file rewritten from the start behind our back

    def read(self, now: float, limit: int = CHUNK) -> tuple[list[Event], bool]:
        """New events, and whether more data is waiting."""
        if self.closed:
            return [], False
        out: list[Event] = []
        try:
            size = os.fstat(self.fh.fileno()).st_size
            if size < self.pos or (size > self.pos and self.mark and self._rewritten()):
                out.extend(self._restart())  # truncated in place (copytruncate): read it again from the start
            if size == self.pos:
                return out, False
            self.fh.seek(self.pos)
            data = self.fh.read(limit)
        except OSError:
            return out + self.stop(), False
        at_start = self.pos == 0
        self.pos += len(data)
        self.mark = (self.mark + data)[-64:]
        if at_start and data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]  # a UTF-8 byte-order mark is not text (as the full read drops it)
        out.extend(self.feed.data(data, now))
        return out, len(data) == limit

    def _rewritten(self) -> bool:
        """Truncated and written past our position again between two looks: the bytes before it changed."""
        n = len(self.mark)
        return os.pread(self.fh.fileno(), n, self.pos - n) != self.mark

    def _restart(self) -> list[Event]:
        out = self.feed.close()
        self.feed = Feed(self.source, self.zone, self.idle)
        self.pos, self.mark = 0, b""
        return out

    def backlog(self, end: int, stop: Callable[[], bool]) -> Iterator[Event]:
        """The content that was there when following began, in order (merged by the caller)."""
        while self.pos < end and not stop():
            events, _ = self.read(time.monotonic(), min(CHUNK, end - self.pos))
            yield from events
        yield from self.feed.flush()  # what was there is complete: in its place, not after the backlog

    def stop(self) -> list[Event]:
        if self.closed:
            return []
        self.closed = True
        try:
            self.fh.close()
        except OSError:
            pass
        return self.feed.close()


def _ident(path: str) -> tuple[Ident, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not os.path.isfile(path):
        return None
    return (st.st_dev, st.st_ino), st.st_size


def _files_under(directory: str) -> list[str]:
    out = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        out.extend(os.path.join(root, f) for f in sorted(files) if not f.startswith("."))
    return out


def is_rotated_copy(path: str, followed: Sequence[str]) -> bool:
    """``app.log.1``, ``app.log-20261120.gz``: a rotation of a file we follow (its lines were read)."""
    base = os.path.basename(path)
    for name in followed:
        stem = os.path.basename(name)
        if base != stem and base.startswith(stem) and _ROTATED.match(base[len(stem):]):
            return True
    return False


@dataclass
class _Watch:
    """A path we keep looking at: a file given by the user or found in a followed directory."""

    path: str
    name: str
    index: int
    ident: Ident | None = None


@dataclass
class Follow:
    """``tail -F`` for many files and stdin at once, merged in time order; iterate ``events(stop)``."""

    paths: Sequence[str]
    zone: Zone = field(default_factory=Zone)
    text_mode: bool = False
    event_filter: EventFilter = field(default_factory=EventFilter)
    keep: Callable[[Event], bool] | None = None  # e.g. a matcher: only these events come out
    hold: float = HOLD
    idle: float = IDLE
    poll: float = POLL
    rescan: float = RESCAN
    stdin: StdinReader | None = None
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._tails: dict[Ident, Tail] = {}
        self._seen: set[Ident] = set()
        self._watches: list[_Watch] = []
        self._dirs: list[str] = []
        self._next_index = 0
        self._stdin_feed: Feed | None = None
        self._backlog_compressed: list[Source] = []

    @property
    def sources(self) -> list[str]:
        """What was followed: each file by its name (a rotated file counts once), and stdin."""
        names = list(dict.fromkeys(t.name for t in self._tails.values()))
        names += [s.name for s in self._backlog_compressed]
        return names + (["-"] if self._stdin_feed is not None else [])

    # -- discovery ------------------------------------------------------------------------------

    def _index(self) -> int:
        self._next_index += 1
        return self._next_index - 1

    def _open(self, watch: _Watch, ident: Ident, offset: int, lineno: int = 0) -> Tail | None:
        try:
            fh = open(watch.path, "rb", buffering=0)
        except OSError as exc:
            self.problems.append(f"{watch.name}: {exc.strerror or exc}")
            return None
        if not self.text_mode:
            head = fh.read(8192)
            if looks_binary(head):
                fh.close()
                self._seen.add(ident)
                self.problems.append(Note(f"{watch.name}: binary file skipped (NUL bytes in its first 8 KiB)"))
                return None
        tail = Tail(watch.name, watch.path, watch.index, self.zone, fh, ident, offset, lineno, self.idle)
        self._tails[ident] = tail
        self._seen.add(ident)
        return tail

    def _watch_file(self, path: str, name: str, index: int | None = None) -> None:
        """Start following one file; existing content is the backlog at start, new files are read whole.
        A compressed file is read once, at the start (``index`` given), never followed."""
        at_start = index is not None
        watch = _Watch(path, name, self._index() if index is None else index)
        self._watches.append(watch)
        found = _ident(path)
        if found is None:
            return
        ident, _ = found
        watch.ident = ident
        if ident in self._seen:
            return
        if os.path.splitext(path)[1].lower() in COMPRESSED:
            self._seen.add(ident)
            if at_start:
                self._backlog_compressed.append(Source(name, path, watch.index))
            return
        self._open(watch, ident, 0)

    def _discover(self) -> None:
        """Files that appeared in the followed directories since the last look."""
        known = {w.path for w in self._watches}
        followed = [w.path for w in self._watches]
        for directory in self._dirs:
            for path in _files_under(directory):
                if path in known:
                    continue
                if is_rotated_copy(path, followed) or os.path.splitext(path)[1].lower() in COMPRESSED:
                    found = _ident(path)
                    if found:
                        self._seen.add(found[0])
                    known.add(path)  # a rotated copy: its lines were read under the original name
                    self._watches.append(_Watch(path, path, -1, found[0] if found else None))
                    continue
                self._watch_file(path, path)
                known.add(path)

    def _check_watches(self) -> None:
        """Rotation: a path that now names another file gets that file, read from its start."""
        for watch in self._watches:
            found = _ident(watch.path)
            if found is None or found[0] == watch.ident:
                continue
            ident = found[0]
            watch.ident = ident
            if ident in self._seen or watch.index < 0:
                continue
            self._open(watch, ident, 0)

    # -- the run --------------------------------------------------------------------------------

    def _start(self) -> None:
        """The sources as ``merge`` would read them (same order, so ties break the same way)."""
        from devkit.logs.sources import expand_paths

        missing = [p for p in self.paths if p != "-" and not os.path.exists(p) and not any(c in p for c in "*?[")]
        problems: list[str] = []
        sources = expand_paths([p for p in self.paths if p not in missing], problems)
        self.problems.extend(problems)
        self._next_index = len(sources)
        self._dirs = [p for p in self.paths if p != "-" and os.path.isdir(p)]
        for s in sources:
            if s.path is None:
                self._stdin_feed = Feed(s, self.zone, self.idle)
                self.stdin = self.stdin or StdinReader(s, self.problems, self.text_mode)
            else:
                self._watch_file(s.path, s.name, s.index)
        for p in missing:
            self.problems.append(Note(f"{p}: no such file yet; following it when it appears"))
            self._watch_file(p, p)

    def _seek(self, tail: Tail, end: int) -> None:
        """With --since, start where the time window starts (bisection on a file in time order)."""
        window = self.event_filter.window
        if window is None or window[0] is None or end == 0:
            return
        from devkit.logs.fileview import FileView
        from devkit.logs.scan import lines_before
        from devkit.logs.timeseek import find_range

        try:
            fd = tail.fh.fileno()
            reading = tail.feed.reading(os.pread(fd, 1 << 16, 0))
            found = find_range(FileView(fd, end), reading.zone, window[0], None, segmenter=reading.segmenter)
            if found is not None and found[0] > 0:
                tail.pos = found[0]
                tail.feed.lineno = lines_before(fd, found[0])
        except OSError:
            pass

    def _backlog(self, stop: Callable[[], bool]) -> Iterator[Event]:
        from devkit.logs.scan import stitch_source
        from devkit.logs.sources import iter_lines

        streams: list[tuple[int, Iterator[Event]]] = []
        for tail in list(self._tails.values()):
            try:
                end = os.fstat(tail.fh.fileno()).st_size
            except OSError:
                continue
            self._seek(tail, end)
            streams.append((tail.index, tail.backlog(end, stop)))
        for s in self._backlog_compressed:  # read once: compressed files do not grow
            streams.append((s.index, stitch_source(s, self.zone, iter_lines(s, self.problems, self.text_mode))))
        return merge_events(stream for _, stream in sorted(streams, key=lambda pair: pair[0]))

    def _wanted(self, ev: Event) -> bool:
        return self.event_filter.matches(ev) and (self.keep is None or self.keep(ev))

    def events(self, stop: Callable[[], bool] = lambda: False) -> Iterator[Event]:
        """Events in time order until ``stop()`` (or the end of stdin when it is the only source)."""
        self._start()
        for ev in self._backlog(stop):
            if self._wanted(ev):
                yield ev
        heap: list = []
        seq = itertools.count()
        last_key: dict[int, float] = {}  # per feed: a file (by inode) or stdin never reorders itself

        def push(events: list[Event], now: float, feed: Feed) -> None:
            stream = id(feed)
            for ev in events:
                if not self._wanted(ev):
                    continue
                key = max(ev.ts if ev.ts is not None else float("-inf"), last_key.get(stream, float("-inf")))
                last_key[stream] = key
                heapq.heappush(heap, (key, ev.source_index, next(seq), now, ev))

        last_scan = time.monotonic()
        while not stop():
            now = time.monotonic()
            busy = False
            if self._dirs and now - last_scan >= self.rescan:
                self._discover()
                last_scan = now
            self._check_watches()
            for tail in list(self._tails.values()):
                events, more = tail.read(now)
                busy |= more
                if tail.feed.due(now):
                    events += tail.feed.flush()
                push(events, now, tail.feed)
            if self._stdin_feed is not None and self.stdin is not None and self.stdin.eof and not self._watches \
                    and not self._dirs:
                break
            while heap and heap[0][3] + self.hold <= now:
                yield heapq.heappop(heap)[4]
            if not busy:
                self._wait(push)
        for tail in self._tails.values():
            feed = tail.feed
            push(tail.stop(), time.monotonic(), feed)
        if self._stdin_feed is not None:
            push(self._stdin_feed.close(), time.monotonic(), self._stdin_feed)
        while heap:
            yield heapq.heappop(heap)[4]

    def _wait(self, push: Callable[[list[Event], float, Feed], None]) -> None:
        """Sleep until the next poll, waking early when stdin has data."""
        feed, reader = self._stdin_feed, self.stdin
        if feed is None or reader is None or reader.eof:
            time.sleep(self.poll)
            return
        data = reader.read(self.poll)
        now = time.monotonic()
        if data:
            push(feed.data(data, now), now, feed)
        elif data == b"":
            push(feed.close(), now, feed)
        if feed.due(now):
            push(feed.flush(), now, feed)
