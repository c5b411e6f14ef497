"""A full read of many files on every core: each source is parsed by its own process, the parent
merges compact records.

Parsing is the cost of ``merge`` (and of any view that reads everything); one process per
source puts both cores to work. A worker stitches its source's events as a single-process read
would (the same ``stitch_source``), turns each into the bytes the caller's ``render`` gives, and
sends batches ``(time, bytes)`` down a pipe. The parent merges the sources by time, ties in
source order, never reordering a source, exactly as ``merge_events`` does. A pipe holds only a
few batches, so a source that is ahead waits: memory stays bounded whatever the sizes.

A search whose result is held whole (its summary follows the events) gathers instead: the
workers send their events themselves, pickled, and the parent keeps them per source.
"""

from __future__ import annotations

import math
import os
import signal
import struct
from array import array
from contextlib import contextmanager
from heapq import merge as heap_merge
from typing import Callable, Iterator

from devkit.logs.event import Event
from devkit.logs.sources import Note, Source, iter_lines
from devkit.logs.timestamps import Zone

#: What a caller turns an event into: its text, and where in it an offset may be inserted (-1: nowhere).
Render = Callable[[Event], "tuple[str, int]"]
#: The events a worker reads from its source (default: all of them): e.g. a time window and filters.
SourceEvents = Callable[[Source, list], Iterator[Event]]
#: How a worker packs its events for the pipe (one bytes object per batch).
Batches = Callable[[Iterator[Event]], Iterator[bytes]]
BATCH_BYTES = 256 << 10
BATCH_EVENTS = 512  # events per pickled batch of gather_events
_NO_TIME = float("-inf")
_HEADER = struct.Struct("<I")


def _encode(times: array, cuts: array, texts: list[bytes]) -> bytes:
    """One batch: count, times, offset positions, lengths, then the texts back to back."""
    lengths = array("I", map(len, texts))
    return b"".join((_HEADER.pack(len(texts)), times.tobytes(), cuts.tobytes(), lengths.tobytes(), *texts))


def _decode(data: bytes) -> Iterator[tuple[float, bytes, int]]:
    (n,) = _HEADER.unpack_from(data, 0)
    pos = _HEADER.size
    times = array("d")
    times.frombytes(data[pos:pos + 8 * n])
    pos += 8 * n
    cuts = array("i")
    cuts.frombytes(data[pos:pos + 4 * n])
    pos += 4 * n
    lengths = array("I")
    lengths.frombytes(data[pos:pos + 4 * n])
    pos += 4 * n
    view = memoryview(data)
    for ts, cut, length in zip(times, cuts, lengths):
        yield ts, bytes(view[pos:pos + length]), cut
        pos += length


def _rendered(render: Render) -> Batches:
    """Batches of ``(time, offset position, bytes)`` per event, as ``render`` turns them out."""

    def batches(read: Iterator[Event]) -> Iterator[bytes]:
        times, cuts, texts, size = array("d"), array("i"), [], 0
        for ev in read:
            text, cut = render(ev)
            data = text.encode("utf-8", "surrogateescape")
            times.append(_NO_TIME if ev.ts is None else ev.ts)
            cuts.append(cut)
            texts.append(data)
            size += len(data)
            if size >= BATCH_BYTES:
                yield _encode(times, cuts, texts)
                times, cuts, texts, size = array("d"), array("i"), [], 0
        if texts:
            yield _encode(times, cuts, texts)

    return batches


def _pickled(read: Iterator[Event]) -> Iterator[bytes]:
    """Batches of the events themselves (about 450 bytes and 11 µs each, both ends together)."""
    import pickle  # (not at the top: a small search never forks, and pickle is 1-2 ms of start-up)

    batch: list[Event] = []
    for ev in read:
        batch.append(ev)
        if len(batch) >= BATCH_EVENTS:
            yield pickle.dumps(batch, pickle.HIGHEST_PROTOCOL)
            batch = []
    if batch:
        yield pickle.dumps(batch, pickle.HIGHEST_PROTOCOL)


def _worker(source: Source, zone: Zone, text_mode: bool, batches: Batches, conn, events: SourceEvents | None,
            parent: int, inherited: list) -> None:
    """In the child: stitch one source, send its events in ``batches``, then its problems.

    It dies with ``parent`` (SIGTERM, a crash), and first closes the parent's ends of the pipes
    it inherited, its own included: a pipe with no reader left then fails the write at once,
    where a reader held here would leave the worker blocked on a full pipe, for ever."""
    from devkit.children import exit_with_parent
    from devkit.logs.scan import stitch_source

    exit_with_parent(parent)
    for end in inherited:
        end.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when a run ends
    problems: list[str] = []
    try:
        read = (stitch_source(source, zone, iter_lines(source, problems, text_mode)) if events is None
                else events(source, problems))
        for data in batches(read):
            conn.send_bytes(data)
    except Exception as exc:  # never a traceback from a worker: one line, like any other problem
        problems.append(f"{source.name}: internal error while reading: {type(exc).__name__}: {exc}")
    conn.send_bytes(b"")  # end of events
    conn.send([(str(p), isinstance(p, Note)) for p in problems])
    conn.close()


@contextmanager
def _forked(sources: list[Source], zone: Zone, text_mode: bool, batches: Batches,
            events: SourceEvents | None) -> Iterator[list]:
    """One worker per source and the pipes they send down; all reaped on the way out."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    procs, conns = [], []
    me = os.getpid()
    try:
        for s in sources:
            parent, child = ctx.Pipe(duplex=False)
            conns.append(parent)
            proc = ctx.Process(target=_worker, args=(s, zone, text_mode, batches, child, events, me, list(conns)),
                               daemon=True)
            proc.start()
            child.close()
            procs.append(proc)
        yield conns
    finally:
        for conn in conns:
            conn.close()
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        for proc in procs:
            proc.join(5)


def gather_events(sources: list[Source], zone: Zone, events: SourceEvents, problems: list[str], *,
                  text_mode: bool = False, done: Callable[[Source], None] | None = None) -> list[list[Event]]:
    """Each source's events (``events`` of it), read by its own process: a search that must hold
    all its events (a summary follows them) still parses on every core. Lists in source order;
    ``done(source)`` as each source is complete; problems appended in source order. A worker
    that dies (killed, out of memory) has its source read again here: the result is the same.
    Past ``spool.KEEP_WHOLE`` events, the bulk of each waits on disk (``devkit.logs.spool``)."""
    import pickle
    from multiprocessing.connection import wait

    from devkit.logs.spool import Spool

    spool = Spool()

    got: list[list[Event]] = [[] for _ in sources]
    said: list[list[str]] = [[] for _ in sources]
    lost: list[int] = []
    with _forked(sources, zone, text_mode, _pickled, events) as conns:
        open_ = dict(zip(conns, range(len(conns))))
        while open_:
            for conn in wait(list(open_)):
                k = open_[conn]  # type: ignore[index]
                try:
                    data = conn.recv_bytes()  # type: ignore[union-attr]
                    if data:
                        got[k].extend(spool.held_batch(data, pickle.loads(data), k))
                        continue
                    _take_problems(conn, said[k])
                except (EOFError, OSError):  # the worker is gone before its end
                    lost.append(k)
                del open_[conn]  # type: ignore[arg-type]
                if done and k not in lost:
                    done(sources[k])
    for k in lost:  # after the workers are reaped: this process has no other child then
        said[k] = []
        got[k] = spool.hold(events(sources[k], said[k]), k)
        if done:
            done(sources[k])
    for found in said:
        problems.extend(found)
    return got


try:  # the optional C accelerator (pyproject.toml: ext-modules)
    from devkit.logs._speedups import merge_batches
except ImportError:  # pragma: no cover - built wherever a C compiler is
    merge_batches = None


class Merged:
    """The rendered events of every source in time order, as the caller writes them: ``chunks``
    gives ready output bytes (each plain line's offset from the first time inserted), iterating
    gives ``(time, rendered bytes, offset position)`` per event. Workers are forked per source
    and reaped when the iteration ends or is closed (a closed pipe downstream, Ctrl-C); their
    problems are appended to ``problems`` at the end."""

    def __init__(self, sources: list[Source], zone: Zone, render: Render, text_mode: bool,
                 problems: list[str], events: SourceEvents | None) -> None:
        self.sources, self.zone, self.render, self.text_mode = sources, zone, render, text_mode
        self.problems, self.events = problems, events

    def __iter__(self) -> Iterator[tuple[float | None, bytes, int]]:
        with self._workers() as conns:
            streams = [_stream(conn, index, self.problems) for index, conn in enumerate(conns)]
            for key, _index, _seq, ts, data, cut in heap_merge(*streams):
                yield (None if key == _NO_TIME else ts), data, cut

    def _chunks(self, origin: float | None = None, limit: int = 1 << 18) -> Iterator[tuple[bytes, int]]:
        """``(output bytes, events in them)``, about ``limit`` bytes at a time, merged in C."""
        with self._workers() as conns:
            batches: list[bytes | None] = [_EMPTY] * len(conns)
            state = array("q", bytes(16 * len(conns)))
            at = math.nan if origin is None else origin
            while True:
                out, n, at, stalled = merge_batches(batches, state, at, limit)
                if n:
                    yield out, n
                if stalled == -1:
                    return
                if stalled >= 0:
                    data = conns[stalled].recv_bytes()
                    batches[stalled] = data or None
                    state[2 * stalled] = state[2 * stalled + 1] = 0
                    if not data:
                        _take_problems(conns[stalled], self.problems)

    #: None without the C accelerator: the caller then takes the events one by one (heap_merge)
    chunks = _chunks if merge_batches is not None else None

    def _workers(self):
        return _forked(self.sources, self.zone, self.text_mode, _rendered(self.render), self.events)


def merge_rendered(sources: list[Source], zone: Zone, render: Render, *, text_mode: bool = False,
                   problems: list[str] | None = None, events: SourceEvents | None = None) -> Merged:
    """Every event of every source rendered by ``render`` on one process per source, in time order."""
    return Merged(sources, zone, render, text_mode, [] if problems is None else problems, events)


def _stream(conn, index: int, problems: list[str]) -> Iterator[tuple]:
    seq = 0
    while True:
        data = conn.recv_bytes()
        if not data:
            break
        for ts, text, cut in _decode(data):
            yield ts, index, seq, ts, text, cut
            seq += 1
    _take_problems(conn, problems)


def _take_problems(conn, problems: list[str]) -> None:
    for text, is_note in conn.recv():
        problems.append(Note(text) if is_note else text)


def _merge_batches_py(batches: list[bytes | None], state: array, origin: float, limit: int
                      ) -> tuple[bytes, int, float, int]:
    """``_speedups.merge_batches`` in Python: the reference its test holds it to (too slow to
    stand in for it: without the accelerator ``Merged`` is taken event by event)."""
    views = {i: list(_decode(b)) for i, b in enumerate(batches) if b is not None}
    for i, items in views.items():
        if state[2 * i] >= len(items):
            return b"", 0, origin, i
    out: list[bytes] = []
    size = count = 0
    while views:
        best = min(views, key=lambda i: (views[i][state[2 * i]][0], i))
        ts, data, cut = views[best][state[2 * best]]
        if cut >= 0:
            if ts == _NO_TIME:
                off = "-"
            else:
                origin = ts if math.isnan(origin) else origin
                off = f"{ts - origin:+.3f}s"
            data = data[:cut] + off.encode() + data[cut:]
        out.append(data)
        size += len(data)
        count += 1
        state[2 * best] += 1
        state[2 * best + 1] += len(views[best][state[2 * best] - 1][1])
        if state[2 * best] >= len(views[best]):
            return b"".join(out), count, origin, best
        if size >= limit:
            return b"".join(out), count, origin, -2
    return b"".join(out), count, origin, -1


_EMPTY = _HEADER.pack(0)


__all__ = ["Merged", "merge_rendered", "gather_events", "Render"]
