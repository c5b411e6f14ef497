"""A full read of many files on every core: each source is parsed by its own process, the parent
merges compact records.

Parsing is the cost of ``merge`` (and of any view that reads everything); one process per
source puts both cores to work. A worker stitches its source's events as a single-process read
would (the same ``stitch_source``), turns each into the bytes the caller's ``render`` gives, and
sends batches ``(time, bytes)`` down a pipe. The parent merges the sources by time, ties in
source order, never reordering a source, exactly as ``merge_events`` does. A pipe holds only a
few batches, so a source that is ahead waits: memory stays bounded whatever the sizes.
"""

from __future__ import annotations

import signal
import struct
from array import array
from heapq import merge as heap_merge
from typing import Callable, Iterator

from devkit.logs.event import Event
from devkit.logs.sources import Note, Source, iter_lines
from devkit.logs.timestamps import Zone

#: What a caller turns an event into: its text, and where in it an offset may be inserted (-1: nowhere).
Render = Callable[[Event], "tuple[str, int]"]
BATCH_BYTES = 256 << 10
MAX_WORKERS = 32
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


def _worker(source: Source, zone: Zone, text_mode: bool, render: Render, conn) -> None:
    """In the child: stitch one source, send its rendered events in batches, then its problems."""
    from devkit.logs.scan import stitch_source

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when a run ends
    problems: list[str] = []
    times, cuts, texts, size = array("d"), array("i"), [], 0
    try:
        for ev in stitch_source(source, zone, iter_lines(source, problems, text_mode)):
            text, cut = render(ev)
            data = text.encode("utf-8", "surrogateescape")
            times.append(_NO_TIME if ev.ts is None else ev.ts)
            cuts.append(cut)
            texts.append(data)
            size += len(data)
            if size >= BATCH_BYTES:
                conn.send_bytes(_encode(times, cuts, texts))
                times, cuts, texts, size = array("d"), array("i"), [], 0
        if texts:
            conn.send_bytes(_encode(times, cuts, texts))
    except Exception as exc:  # never a traceback from a worker: one line, like any other problem
        problems.append(f"{source.name}: internal error while reading: {type(exc).__name__}: {exc}")
    conn.send_bytes(b"")  # end of events
    conn.send([(str(p), isinstance(p, Note)) for p in problems])
    conn.close()


def worth_it(sources: list[Source], jobs: int) -> bool:
    """Processes pay off for several files of some size, all on disk (stdin cannot be shared)."""
    return (jobs > 1 and 1 < len(sources) <= MAX_WORKERS and all(s.path for s in sources)
            and sum(s.size for s in sources) >= 8 << 20)


def merge_rendered(sources: list[Source], zone: Zone, render: Render, *, text_mode: bool = False,
                   problems: list[str] | None = None) -> Iterator[tuple[float | None, bytes, int]]:
    """``(time, rendered bytes, offset position)`` of every event of every source, in time order.

    Workers are forked per source and reaped when the iterator ends or is closed (a closed pipe
    downstream, Ctrl-C); their problems are appended to ``problems`` at the end.
    """
    import multiprocessing

    problems = [] if problems is None else problems
    ctx = multiprocessing.get_context("fork")
    procs, conns = [], []
    try:
        for s in sources:
            parent, child = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_worker, args=(s, zone, text_mode, render, child), daemon=True)
            proc.start()
            child.close()
            procs.append(proc)
            conns.append(parent)
        streams = [_stream(conn, index, problems) for index, conn in enumerate(conns)]
        for key, _index, _seq, ts, data, cut in heap_merge(*streams):
            yield (None if key == _NO_TIME else ts), data, cut
    finally:
        for conn in conns:
            conn.close()
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        for proc in procs:
            proc.join(5)


def _stream(conn, index: int, problems: list[str]) -> Iterator[tuple]:
    seq = 0
    while True:
        data = conn.recv_bytes()
        if not data:
            break
        for ts, text, cut in _decode(data):
            yield ts, index, seq, ts, text, cut
            seq += 1
    for text, is_note in conn.recv():
        problems.append(Note(text) if is_note else text)


__all__ = ["merge_rendered", "worth_it", "Render"]
