"""Reading a log file without mapping it: reused buffers for the scan, cached blocks for windows.

A memory-mapped file that shrinks while it is read (logrotate's ``copytruncate``) kills the
reader with SIGBUS. ``pread`` into a buffer just comes back short, so a truncated file is noticed
and reported, and every byte read before stays. It is also faster here than mapping (no page
faults, no madvise), and the buffer is reused, so memory stays bounded whatever the size.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import Iterator

SEGMENT = 1 << 20  # bytes read and scanned at a time (8 MB cost more system time: the copy leaves the caches)
BLOCK = 256 << 10  # bytes cached per block for the windows around hits
CACHED_BLOCKS = 64


class Truncated(Exception):
    """The file ended before the size it had when it was opened."""


def segments(fd: int, start: int, end: int, size: int | None = None) -> Iterator[tuple[int, bytearray, int]]:
    """``(offset, buffer, length)``: ``buffer[:length]`` holds whole lines starting at ``offset``.

    The same buffer is reused (it is only valid until the next step); a line longer than a
    segment grows it. The last segment ends at ``end`` even without a newline. Raises
    ``Truncated`` (after yielding everything read) when the file ends before ``end``.
    """
    # no bigger than the range: zeroing 8 MB for a 64 KB file cost a small search 5-50 ms
    buf = bytearray(size if size is not None else max(1, min(SEGMENT, end - start)))
    carry, pos, base = 0, start, start
    while pos < end:
        if carry == len(buf):  # one line longer than the buffer: make room
            buf.extend(bytes(len(buf)))
        want = min(len(buf) - carry, end - pos)
        n = os.preadv(fd, [memoryview(buf)[carry:carry + want]], pos)
        if n <= 0:
            if carry:
                yield base, buf, carry
            raise Truncated(pos)
        pos += n
        filled = carry + n
        cut = filled if pos >= end else buf.rfind(b"\n", 0, filled) + 1
        if cut == 0:
            carry = filled
            continue
        yield base, buf, cut
        tail = filled - cut
        if tail:
            buf[:tail] = buf[cut:filled]
        carry, base = tail, base + cut


class FileView:
    """Random access to a file's bytes with ``find``/``rfind``/slices, through cached blocks.

    Enough of the ``bytes`` interface for the window walks in ``scan.py``. Reads past a point
    where the file turned out shorter see its end there (``truncated`` is then set).
    """

    def __init__(self, fd: int, size: int) -> None:
        self.fd = fd
        self.size = size
        self.truncated = False
        self._blocks: OrderedDict[int, bytes] = OrderedDict()

    def __len__(self) -> int:
        return self.size

    def _block(self, index: int) -> bytes:
        block = self._blocks.get(index)
        if block is not None:
            self._blocks.move_to_end(index)
            return block
        start = index * BLOCK
        block = os.pread(self.fd, min(BLOCK, max(0, self.size - start)), start) if start < self.size else b""
        if start + len(block) < min(self.size, start + BLOCK):
            self.size = start + len(block)  # shrank under us
            self.truncated = True
        self._blocks[index] = block
        if len(self._blocks) > CACHED_BLOCKS:
            self._blocks.popitem(last=False)
        return block

    def __getitem__(self, item: slice) -> bytes:
        start, stop, _ = item.indices(self.size)
        if start >= stop:
            return b""
        first, last = start // BLOCK, (stop - 1) // BLOCK
        if first == last:
            off = first * BLOCK
            return self._block(first)[start - off:stop - off]
        parts = [self._block(i) for i in range(first, last + 1)]
        data = b"".join(parts)
        off = first * BLOCK
        return data[start - off:stop - off]

    def find(self, sub: bytes, start: int = 0, end: int | None = None) -> int:
        end = self.size if end is None else min(end, self.size)
        pos = max(start, 0)
        if len(sub) != 1:  # (the walks only look for line ends; longer needles take the slow way)
            hit = self[pos:end].find(sub)
            return -1 if hit < 0 else pos + hit
        while pos < end:
            index = pos // BLOCK
            base = index * BLOCK
            block = self._block(index)
            hit = block.find(sub, pos - base, min(end, base + BLOCK) - base)
            if hit >= 0:
                return base + hit
            if not block or base + len(block) >= end:
                return -1
            pos = base + BLOCK
        return -1

    def rfind(self, sub: bytes, start: int = 0, end: int | None = None) -> int:
        end = self.size if end is None else min(end, self.size)
        start = max(start, 0)
        if len(sub) != 1:
            hit = self[start:end].rfind(sub)
            return -1 if hit < 0 else start + hit
        pos = end
        while pos > start:
            index = (pos - 1) // BLOCK
            base = index * BLOCK
            block = self._block(index)
            hit = block.rfind(sub, max(start, base) - base, pos - base)
            if hit >= 0:
                return base + hit
            pos = base
        return -1

    def line_at(self, start: int) -> tuple[bytes, int]:
        """The line at ``start`` (no line ending, no CR) and where the next one starts."""
        index = start // BLOCK
        base = index * BLOCK
        block = self._block(index)
        nl = block.find(b"\n", start - base)
        if nl >= 0:
            raw = block[start - base:nl]
            nxt = base + nl + 1
        else:  # the line runs past this block (or to the end of the file)
            end = self.find(b"\n", base + len(block))
            nxt = self.size if end < 0 else end + 1
            raw = self[start:self.size if end < 0 else end]
        return (raw[:-1] if raw.endswith(b"\r") else raw), nxt

    def count(self, sub: bytes, start: int, end: int) -> int:
        return self[start:end].count(sub)
