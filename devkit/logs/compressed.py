"""Decode .gz, .bz2 and .xz files, keeping every byte decoded before a damaged spot.

The stdlib file objects (``gzip.open``, ``lzma.open``) raise in the middle of a read and drop what
that read had decoded: a corrupt .xz gave 0 events where ``xzcat`` recovers 11,474 lines. Here the
decompressor objects are driven directly, in small steps; when one step fails, the member is
decoded again up to that step and the failing step is replayed one byte at a time, so what comes
out is what ``xzcat``/``zcat``/``bzcat`` print before their error (the text just before the
damage may be garbled, as theirs is: the checksum that finds the damage comes after it).

Concatenated members (``cat a.gz b.gz``, pbzip2, ``xz`` streams with padding) are read in turn.
An empty file (0 bytes) is an empty log, not an error.
"""

from __future__ import annotations

import zlib  # (also what gzip files need; bz2 and lzma are imported when such a file is read)
from typing import IO, Iterator

EXTENSIONS = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz"}
_MAGIC = {"gzip": (b"\x1f\x8b",), "bzip2": (b"BZh",), "xz": (b"\xfd7zXZ\x00", b"\x5d\x00\x00")}  # xz, legacy lzma
_IN_STEP = 64 << 10  # compressed bytes per step
_OUT_STEP = 256 << 10  # decoded bytes per step (bounds memory on a decompression bomb)
def _errors() -> tuple[type[BaseException], ...]:
    import lzma

    return (zlib.error, lzma.LZMAError, OSError, EOFError, ValueError)


class Damaged(Exception):
    """The compressed data ends early or is corrupt; everything decoded before was yielded."""

    def __init__(self, message: str, note: bool = False) -> None:
        super().__init__(message)
        self.note = note  # True: the data is complete, only trailing junk was ignored


class _Zlib:
    """zlib's decompressor with the needs_input/eof face of the lzma and bz2 ones."""

    def __init__(self) -> None:
        self._d = zlib.decompressobj(wbits=31)  # gzip header and trailer

    def decompress(self, data: bytes, limit: int) -> bytes:
        tail = self._d.unconsumed_tail
        return self._d.decompress(tail + data if tail else data, max(limit, 0))

    @property
    def eof(self) -> bool:
        return self._d.eof

    @property
    def needs_input(self) -> bool:
        return not self._d.unconsumed_tail

    @property
    def unused_data(self) -> bytes:
        return self._d.unused_data


def _decompressor(kind: str):
    if kind == "gzip":
        return _Zlib()
    if kind == "bzip2":
        import bz2

        return bz2.BZ2Decompressor()
    import lzma

    return lzma.LZMADecompressor()  # FORMAT_AUTO: .xz and legacy .lzma


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if text.startswith("Error -3 while decompressing data: "):
        text = text[len("Error -3 while decompressing data: "):]
    return text


class _Member:
    """One gzip member / bzip2 or xz stream, decoded in a replayable schedule of steps."""

    def __init__(self, fh: IO[bytes], kind: str, start: int) -> None:
        self.fh, self.kind, self.start = fh, kind, start
        self.limit = -1 if kind == "bzip2" else _OUT_STEP  # bzip2 decodes a whole block at once
        self.end: int | None = None  # offset just past the member, once it ended

    def has_magic(self) -> bool:
        self.fh.seek(self.start)
        return self.fh.read(6).startswith(_MAGIC[self.kind])

    def steps(self, exact_step: int = 0) -> Iterator[bytes]:
        """Decoded pieces, step by step; ``exact_step`` is replayed byte by byte."""
        fh, d = self.fh, _decompressor(self.kind)
        fh.seek(self.start)
        pos, step, data = self.start, 0, b""
        while not d.eof:
            if d.needs_input:
                data = fh.read(_IN_STEP)
                pos += len(data)
                if not data:
                    raise EOFError("compressed file is truncated")
            else:
                data = b""
            step += 1
            if step != exact_step:
                yield d.decompress(data, self.limit)
                continue
            for i in range(len(data)) if data else (None,):
                out = d.decompress(data[i:i + 1] if i is not None else b"", 1)
                while out:
                    yield out
                    out = b"" if d.eof else d.decompress(b"", 1)
            return
        self.end = pos - len(d.unused_data)


def _members(fh: IO[bytes], kind: str, size: int) -> Iterator[tuple[_Member, int]]:
    start = 0
    while start < size:
        fh.seek(start)
        head = fh.read(4096)
        skip = len(head) - len(head.lstrip(b"\0"))  # padding between members
        if skip == len(head):
            start += skip
            continue
        member = _Member(fh, kind, start + skip)
        yield member, start + skip
        if member.end is None:
            return
        start = member.end


def decode(fh: IO[bytes], kind: str, size: int) -> Iterator[bytes]:
    """Decoded bytes of a compressed file; raises ``Damaged`` after yielding all it could."""
    done = 0  # bytes yielded in all
    first = True
    for member, offset in _members(fh, kind, size):
        out = 0  # bytes yielded from this member
        steps = 0  # steps that succeeded
        try:
            for piece in member.steps():
                steps += 1
                if piece:
                    out += len(piece)
                    yield piece
        except _errors() as exc:
            if isinstance(exc, EOFError):
                raise Damaged("compressed file is truncated; read what was before the damage") from None
            if out == 0 and not first:
                raise Damaged(f"ignored {size - offset:,} bytes after the end of the {kind} data", note=True) from None
            if out == 0 and first and not member.has_magic():
                raise Damaged(f"not {kind} data ({_reason(exc)})") from None
            out = yield from _replay(member, steps + 1, out)  # the failing step again, byte by byte
            raise Damaged(f"corrupt compressed data ({_reason(exc)}) after {done + out:,} decoded bytes; "
                          "read what was before it") from None
        done += out
        first = False


def _replay(member: _Member, failed_step: int, already: int) -> Iterator[bytes]:
    """Yield what the failing step decoded before its error (past the ``already`` yielded bytes)."""
    seen = 0
    try:
        for piece in member.steps(exact_step=failed_step):
            if seen + len(piece) > already:
                yield piece[max(0, already - seen):]
            seen += len(piece)
    except _errors():
        pass
    return max(seen, already)
