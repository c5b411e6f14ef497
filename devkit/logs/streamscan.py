"""A search's events as they are found, in file order, with bounded memory and on every core.

``scan_source`` finds the windows around all hits of a file and sorts their events by first
line: a frequent ID in a 4 GB file is hundreds of thousands of events held at once. Here the
events go out as soon as no later window can find one before them, which is known from how far
back a window can reach: the walks in ``scan.window_start`` stop ``MAX_WALK_BYTES`` back, three times
at most, each overshooting by one line (a file is streamed only when the raw search saw no line
of ``LONG_LINE`` or more, and no NUL byte, whose gaps a full read drops). So an event whose
first line starts more than ``REACH`` bytes before the current hit's line can go.

A file with many hits has its hits cut in shares, each read by its own forked process (the file
is read with ``pread``, so they all read it); the children spool their events, pickled in
batches, to an unlinked temporary file, and the parent merges the shares by first line (a hit
each side of a cut finds one event: it goes out once). The parent reads the first share itself.
"""

from __future__ import annotations

import heapq
import os
import pickle
import signal
import struct
import tempfile
from typing import Iterator

from devkit.children import exit_with_parent
from devkit.logs.event import Event
from devkit.logs.fileview import FileView
from devkit.logs.scan import (
    LONG_LINE,
    MAX_WALK_BYTES,
    Matcher,
    Reading,
    hit_events,
    scan_source,
    search_file,
    truncated_note,
    window_limit,
)
from devkit.logs.sources import Source, describe_os_error, open_for_scan
from devkit.logs.timestamps import Zone

REACH = 3 * (MAX_WALK_BYTES + 2 * LONG_LINE)  # how far before its hit's line a window's event can start
SPLIT_HITS = 4000  # fewer hits than this are not worth a second process
BATCH = 512  # events per pickled batch a child spools
_LENGTH = struct.Struct("<Q")

Found = tuple[int, int, Event]  # (first line, byte it starts at, event)


def stream_source(source: Source, matcher: Matcher, zone: Zone, problems: list[str], *, text_mode: bool = False,
                  window: tuple[float | None, float | None] | None = None, procs: int = 1) -> Iterator[Event]:
    """``scan_source``'s events of one source, in its order, each as soon as it is certain;
    ``procs``: processes its windows may be shared between (forked: call it from a process with
    one thread). Files it cannot stream (a time window, stdin, NUL gaps, huge lines, hits dense
    enough for a full read) are read by ``scan_source``. Problems are appended at the end."""
    if source.path is None or source.compressed or window is not None:
        yield from _listed(source, matcher, zone, problems, text_mode, window)
        return
    said = len(problems)
    fh = open_for_scan(source, problems, text_mode)
    if fh is None:
        return
    with fh:
        try:
            fd = fh.fileno()
            size = os.fstat(fd).st_size
            if size == 0:
                return
            reading = Reading(source, zone, os.pread(fd, 1 << 16, 0))
            found = search_file(fd, size, matcher, reading.splits, None, oddities=True)
            if (found.dense or found.odd or found.truncated_at is not None
                    or len(found.hits) > window_limit(found.newlines)):
                streamed = False
            else:
                streamed = True
                view = FileView(fd, size)
                yield from _in_order(view, reading, matcher, found.hits, procs)
                if view.truncated or os.fstat(fd).st_size < size:
                    problems.append(truncated_note(source.name, len(view), size))
        except OSError as exc:
            problems.append(f"{source.name}: {describe_os_error(exc)}")
            return
    if streamed:
        take = getattr(matcher, "take_problems", None)
        problems.extend(take() if take else [])
    else:
        del problems[said:]  # scan_source opens it again and says it again
        yield from _listed(source, matcher, zone, problems, text_mode, None)


def _listed(source: Source, matcher: Matcher, zone: Zone, problems: list[str], text_mode: bool,
            window: tuple[float | None, float | None] | None) -> Iterator[Event]:
    events, found = scan_source(source, matcher, zone, text_mode, None, window)
    problems.extend(found)
    yield from events


def share_events(buf, reading: Reading, matcher: Matcher, hits: list[tuple[int, int]]) -> Iterator[Found]:
    """The matching events around ``hits`` (in file order), by first line, each once, each given
    as soon as no later hit's window can reach before it."""
    held: list[Found] = []  # a heap by first line
    lines: set[int] = set()
    for target, start, ls in hit_events(buf, reading, matcher, hits):
        if target is not None and target.line not in lines and matcher.matches(target):
            lines.add(target.line)
            heapq.heappush(held, (target.line, start, target))
        # later windows belong to hits at or after this one's line: what starts well before it is final
        while held and held[0][1] < ls - REACH:
            found = heapq.heappop(held)
            lines.discard(found[0])
            yield found
    while held:
        yield heapq.heappop(held)


def _in_order(buf, reading: Reading, matcher: Matcher, hits: list[tuple[int, int]], procs: int) -> Iterator[Event]:
    """The events of all shares of ``hits``, merged by first line, each once."""
    if procs < 2 or len(hits) < SPLIT_HITS:
        for _line, _start, ev in share_events(buf, reading, matcher, hits):
            yield ev
        return
    step = -(-len(hits) // procs)
    shares = [hits[i:i + step] for i in range(0, len(hits), step)]
    children = [_Child(buf, reading, matcher, share) for share in shares[1:]]
    try:
        streams = [share_events(buf, reading, matcher, shares[0]), *(c.events() for c in children)]
        # events of share k+1 and later start no earlier than REACH before its first hit's line
        opens = [buf.rfind(b"\n", 0, share[0][0]) + 1 - REACH for share in shares]
        yield from merge_shares(streams, opens)
    finally:
        for child in children:
            child.close()


def merge_shares(streams: list[Iterator[Found]], opens: list[int]) -> Iterator[Event]:
    """Shares' events (each share in first-line order) in first-line order, each line once.
    ``opens[k]``: no event of share k or later starts before it. Share k+1 is only read once
    share k's events reach its ``opens``: the children work while the parent reads share 0."""
    held: list[tuple[int, int, int, Event]] = []  # (line, start, share, event): may meet a later share's
    last = None
    for k, stream in enumerate(streams):
        bound = opens[k + 1] if k + 1 < len(streams) else None  # later shares start here or after
        for line, start, ev in stream:
            # held events before this one go first, unless a later share may still hold earlier ones
            while held and held[0][0] <= line and (bound is None or held[0][1] < bound):
                got = heapq.heappop(held)
                if got[0] != last:
                    last = got[0]
                    yield got[3]
            if (bound is not None and start >= bound) or (held and held[0][0] < line):
                heapq.heappush(held, (line, start, k, ev))
            elif line != last:
                last = line
                yield ev
    while held:
        got = heapq.heappop(held)
        if got[0] != last:
            last = got[0]
            yield got[3]


class _Child:
    """One share read by a forked child that spools batches of events to an unlinked file and
    says each batch's length down a pipe. If it fails, its share is read here instead, from
    where it stopped (a share's events are always the same)."""

    def __init__(self, buf, reading: Reading, matcher: Matcher, share: list[tuple[int, int]]) -> None:
        self.buf, self.reading, self.matcher, self.share = buf, reading, matcher, share
        self.spool = tempfile.TemporaryFile(prefix="devkit-share-")
        rfd, wfd = os.pipe()
        parent = os.getpid()
        self.pid = os.fork()
        if self.pid == 0:
            code = 1
            try:
                os.close(rfd)
                exit_with_parent(parent)
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when a run ends
                self._spool_share(wfd)
                code = 0
            finally:
                os._exit(code)
        os.close(wfd)
        self.notes = os.fdopen(rfd, "rb", buffering=0)

    def _spool_share(self, wfd: int) -> None:
        fd = self.spool.fileno()
        before = len(getattr(self.matcher, "gave_up", ()))

        def put(obj: object) -> None:
            data = pickle.dumps(obj, pickle.HIGHEST_PROTOCOL)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.write(wfd, _LENGTH.pack(len(data)))

        batch: list[Found] = []
        for found in share_events(self.buf, self.reading, self.matcher, self.share):
            batch.append(found)
            if len(batch) >= BATCH:
                put(("events", batch))
                batch = []
        if batch:
            put(("events", batch))
        put(("end", getattr(self.matcher, "gave_up", [])[before:], bool(getattr(self.buf, "truncated", False))))

    def events(self) -> Iterator[Found]:
        pos = given = 0
        try:
            while True:
                head = self.notes.read(_LENGTH.size)
                if len(head) < _LENGTH.size:
                    break  # the child died before its end
                (n,) = _LENGTH.unpack(head)
                data = os.pread(self.spool.fileno(), n, pos)
                pos += n
                kind, *rest = pickle.loads(data)
                if kind == "end":
                    gave_up, truncated = rest
                    if gave_up:
                        self.matcher.gave_up.extend(gave_up)  # type: ignore[attr-defined]
                    if truncated:
                        self.buf.truncated = True
                    return
                for found in rest[0]:
                    given += 1
                    yield found
        finally:
            self.close()
        for k, found in enumerate(share_events(self.buf, self.reading, self.matcher, self.share)):
            if k >= given:
                yield found

    def close(self) -> None:
        if self.pid > 0:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except OSError:
                pass
            try:
                os.waitpid(self.pid, 0)
            except OSError:
                pass
            self.pid = -1
        if not self.notes.closed:
            self.notes.close()
        self.spool.close()


__all__ = ["stream_source", "share_events", "merge_shares", "REACH", "SPLIT_HITS"]
