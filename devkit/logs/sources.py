"""Where log lines come from: files, directories, globs, stdin, compressed files.

Expanding paths never raises for one bad path: the problem is recorded and the rest are read.
"""

from __future__ import annotations

import bz2
import glob
import gzip
import lzma
import os
import re
import sys
import tempfile
import zlib
from dataclasses import dataclass
from typing import IO, Iterator

from devkit.errors import InputError

COMPRESSED = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
_GENERIC_STEMS = {"app", "application", "log", "logs", "current", "output", "out", "stdout", "stderr",
                  "error", "errors", "access", "messages", "syslog", "server", "service", "main", "debug"}
_ROTATION = re.compile(r"(\.\d+|[-_.]\d{8}|\.log|\.txt|\.json|\.jsonl|\.ndjson)+$")


class Note(str):
    """A problem that is worth saying but is not an error (a skipped binary file)."""


@dataclass
class Source:
    """One input: ``path`` is what we open, ``name`` what we show (as the user spelled it)."""

    name: str
    path: str | None  # None for stdin
    index: int = 0

    @property
    def compressed(self) -> bool:
        return self.path is not None and os.path.splitext(self.path)[1].lower() in COMPRESSED

    @property
    def size(self) -> int:
        try:
            return os.path.getsize(self.path) if self.path else 0
        except OSError:
            return 0


def service_from_path(name: str) -> str:
    """``logs/orders.log.1.gz`` -> ``orders``; ``nginx/access.log`` -> ``nginx``."""
    if name == "-":
        return "stdin"
    base = os.path.basename(name)
    for ext in COMPRESSED:
        if base.lower().endswith(ext):
            base = base[: -len(ext)]
    stem = _ROTATION.sub("", base) or base
    if stem.lower() in _GENERIC_STEMS:
        parent = os.path.basename(os.path.dirname(os.path.abspath(name)))
        if parent:
            return parent
    return stem


def expand_paths(paths: list[str], problems: list[str]) -> list[Source]:
    """Files in the order given; directories recursively (sorted); globs expanded; ``-`` is stdin."""
    out: list[Source] = []
    seen: set[str] = set()

    def add(name: str, path: str | None) -> None:
        key = os.path.realpath(path) if path else "-"
        if key in seen:
            return
        seen.add(key)
        out.append(Source(name, path, len(out)))

    for p in paths:
        if p == "-":
            add("-", None)
        elif os.path.isdir(p):
            found = False
            for root, dirs, files in os.walk(p, onerror=lambda e: problems.append(f"{e.filename}: {e.strerror}")):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    if f.startswith("."):
                        continue
                    full = os.path.join(root, f)
                    if os.path.isfile(full):
                        found = True
                        add(full, full)
            if not found:
                problems.append(Note(f"{p}: directory holds no files"))
        elif os.path.exists(p):
            if not os.path.isfile(p):
                problems.append(f"{p}: not a regular file")
            else:
                add(p, p)
        elif any(c in p for c in "*?["):
            matches = sorted(glob.glob(p, recursive=True))
            files = [m for m in matches if os.path.isfile(m)]
            if not files:
                problems.append(f"{p}: no files match")
            for m in files:
                add(m, m)
        else:
            problems.append(f"{p}: no such file or directory")
    return out


def looks_binary(head: bytes) -> bool:
    """grep's rule of thumb: a NUL byte near the start means it is not text."""
    return b"\x00" in head[:8192]


def open_binary(source: Source) -> IO[bytes]:
    """A byte stream of the (decompressed) content; raises InputError naming the file."""
    if source.path is None:
        return sys.stdin.buffer
    try:
        ext = os.path.splitext(source.path)[1].lower()
        if ext in COMPRESSED:
            return COMPRESSED[ext](source.path, "rb")  # type: ignore[operator]
        return open(source.path, "rb")
    except OSError as exc:
        raise InputError(f"{source.name}: {exc.strerror or exc}") from None


class Truncated(Exception):
    """A compressed stream ended early; what came before it was read."""


def read_chunks(stream: IO[bytes], name: str, size: int = 1 << 20) -> Iterator[bytes]:
    """Chunks of a stream; a damaged compressed file yields what it can, then raises Truncated."""
    read = getattr(stream, "read1", stream.read)  # read1 keeps what came before a damaged block
    while True:
        try:
            chunk = read(size)
        except EOFError:
            raise Truncated(f"{name}: compressed file is truncated; read what was before the damage") from None
        except (OSError, zlib.error, lzma.LZMAError, ValueError) as exc:
            raise Truncated(f"{name}: corrupt compressed data ({exc}); read what was before it") from None
        if not chunk:
            return
        yield chunk


def iter_lines(source: Source, problems: list[str], text_mode: bool = False) -> Iterator[tuple[int, bytes]]:
    """Numbered physical lines (without the line ending, CR included) of one source."""
    stream = open_binary(source)
    try:
        lineno = 0
        rest = b""
        first = True
        try:
            for chunk in read_chunks(stream, source.name):
                if first:
                    first = False
                    if not text_mode and looks_binary(chunk):
                        problems.append(Note(f"{source.name}: binary file skipped (NUL bytes in its first 8 KiB)"))
                        return
                buf = rest + chunk if rest else chunk
                start = 0
                while True:
                    nl = buf.find(b"\n", start)
                    if nl < 0:
                        break
                    lineno += 1
                    end = nl - 1 if nl > start and buf[nl - 1] == 13 else nl
                    yield lineno, buf[start:end]
                    start = nl + 1
                rest = buf[start:]
        except Truncated as exc:
            problems.append(str(exc))
        if rest:
            lineno += 1
            yield lineno, rest[:-1] if rest.endswith(b"\r") else rest
    finally:
        if source.path is not None:
            stream.close()


def decompress_to_tempfile(source: Source, problems: list[str]) -> IO[bytes]:
    """Unpack a compressed source into an anonymous temp file, so it can be searched like a file."""
    tmp = tempfile.TemporaryFile(prefix="devkit-")
    stream = open_binary(source)
    try:
        try:
            for chunk in read_chunks(stream, source.name, 4 << 20):
                tmp.write(chunk)
        except Truncated as exc:
            problems.append(str(exc))
    finally:
        stream.close()
    tmp.flush()
    tmp.seek(0)
    return tmp


__all__ = ["Source", "expand_paths", "iter_lines", "open_binary", "service_from_path", "looks_binary",
           "decompress_to_tempfile"]
