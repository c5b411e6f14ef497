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

SEGMENT = 8 << 20  # bytes read and scanned at a time
BLOCK = 256 << 10  # bytes cached per block for the windows around hits
CACHED_BLOCKS = 64


class Truncated(Exception):
    """The file ended before the size it had when it was opened."""


def segments(fd: int, start: int, end: int, size: int = SEGMENT) -> Iterator[tuple[int, bytearray, int]]:
    """``(offset, buffer, length)``: ``buffer[:length]`` holds whole lines starting at ``offset``.

    The same buffer is reused (it is only valid until the next step); a line longer than a
    segment grows it. The last segment ends at ``end`` even without a newline. Raises
    ``Truncated`` (after yielding everything read) when the file ends before ``end``.
    """
    buf = bytearray(size)
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
        step = len(sub) - 1
        pos = max(start, 0)
        while pos < end:
            index = pos // BLOCK
            block_end = min(end, (index + 1) * BLOCK)
            chunk = self[pos:min(end, block_end + step)]
            hit = chunk.find(sub)
            if hit >= 0:
                return pos + hit
            if block_end >= end:
                return -1
            pos = block_end
        return -1

    def rfind(self, sub: bytes, start: int = 0, end: int | None = None) -> int:
        end = self.size if end is None else min(end, self.size)
        start = max(start, 0)
        step = len(sub) - 1
        pos = end
        while pos > start:
            block_start = max(start, ((pos - 1) // BLOCK) * BLOCK)
            chunk = self[block_start:min(end, pos + step)]
            hit = chunk.rfind(sub)
            if hit >= 0:
                return block_start + hit
            pos = block_start
        return -1

    def count(self, sub: bytes, start: int, end: int) -> int:
        return self[start:end].count(sub)
