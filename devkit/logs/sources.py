"""Where log lines come from: files, directories, globs, stdin, compressed files.

Expanding paths and reading never raise for one bad source: the problem is recorded as one line
that says what is wrong (permission denied, a symlink loop, a corrupt archive) and every other
source is read. Every source becomes the same thing, UTF-8 text split into physical lines:
compressed files are decoded (``compressed.py``), UTF-16/UTF-32/UTF-8 files with a byte-order
mark are transcoded, and runs of NUL bytes that an in-place truncation (logrotate
``copytruncate``) or a crash leaves are skipped as a gap, not taken for a binary file.
"""

from __future__ import annotations

import codecs
import errno
import os
import re
import stat
import sys
from typing import IO, Iterable, Iterator, NamedTuple

from devkit.lazyre import lazy
from devkit.logs.compressed import EXTENSIONS as COMPRESSED
from devkit.logs.compressed import Damaged, decode

BINARY_HEAD = 8192  # grep's rule: a NUL byte in the first 8 KiB of text means a binary file
GAP_MIN = 4096  # a run of NUL bytes this long inside a file is a gap (a page or a block lost)
_GAP = b"\0" * GAP_MIN
_READ = 1 << 20
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xef\xbb\xbf", "utf-8"),
         (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_GENERIC_STEMS = {"app", "application", "log", "logs", "current", "output", "out", "stdout", "stderr",
                  "error", "errors", "access", "messages", "syslog", "server", "service", "main", "debug"}
_ROTATION = lazy(r"(\.\d+|[-_.]\d{8}|\.log|\.txt|\.json|\.jsonl|\.ndjson)+$")


class Note(str):
    """A problem that is worth saying but is not an error (a skipped binary file)."""


class Source(NamedTuple):  # (not a dataclass: those cost start-up time)
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


def describe_os_error(exc: OSError) -> str:
    """``Permission denied`` -> ``permission denied``: the reason as the rest of a one-line message."""
    text = exc.strerror or str(exc)
    return text[:1].lower() + text[1:]


def path_problem(name: str, exc: OSError) -> str:
    """One true line for a path that cannot be used (a dangling link says where it points)."""
    if exc.errno == errno.ENOENT and os.path.islink(name):
        return f"{name}: broken symbolic link (its target {os.readlink(name)} does not exist)"
    return f"{name}: {describe_os_error(exc)}"


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
            continue
        try:
            mode = os.stat(p).st_mode
        except OSError as exc:
            if exc.errno == errno.ENOENT and not os.path.islink(p) and any(c in p for c in "*?["):
                import glob  # only for a pattern the shell left unexpanded

                files = [m for m in sorted(glob.glob(p, recursive=True)) if os.path.isfile(m)]
                if not files:
                    problems.append(f"{p}: no files match")
                for m in files:
                    add(m, m)
            else:
                problems.append(path_problem(p, exc))
            continue
        if stat.S_ISDIR(mode):
            for full in _walk(p, problems):
                add(full, full)
        elif stat.S_ISREG(mode):
            add(p, p)
        else:
            problems.append(f"{p}: not a regular file")
    return out


def _walk(top: str, problems: list[str]) -> Iterator[str]:
    """Regular files under ``top`` (sorted, hidden ones skipped); unreadable folders are problems."""
    failed = []

    def onerror(exc: OSError) -> None:
        failed.append(exc)
        problems.append(path_problem(exc.filename or top, exc))

    found = False
    for root, dirs, files in os.walk(top, onerror=onerror):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for f in sorted(files):
            if f.startswith("."):
                continue
            full = os.path.join(root, f)
            try:
                regular = stat.S_ISREG(os.stat(full).st_mode)
            except OSError as exc:  # a dangling or looping link is skipped, as grep -r does
                if exc.errno not in (errno.ENOENT, errno.ELOOP):
                    problems.append(path_problem(full, exc))
                continue
            if regular:
                found = True
                yield full
    if not found and not failed:
        problems.append(Note(f"{top}: directory holds no files"))


def looks_binary(head: bytes) -> bool:
    """grep's rule of thumb: a NUL byte near the start means it is not text."""
    return b"\x00" in head[:BINARY_HEAD]


def _binary_note(source: Source) -> Note:
    return Note(f"{source.name}: binary file skipped (NUL bytes in its first 8 KiB; --text reads it)")


def _raw_chunks(source: Source, problems: list[str]) -> Iterator[bytes]:
    """The bytes of a source as stored (compressed files decoded); problems end it, never raise."""
    if source.path is None:
        yield from _read_all(sys.stdin.buffer, source, problems)
        return
    try:
        fh = open(source.path, "rb")
    except OSError as exc:
        problems.append(path_problem(source.name, exc))
        return
    with fh:
        size = os.fstat(fh.fileno()).st_size
        kind = COMPRESSED.get(os.path.splitext(source.path)[1].lower())
        if kind is None:
            _skip_leading_hole(fh)
            yield from _read_all(fh, source, problems)
            return
        try:
            yield from decode(fh, kind, size)
        except Damaged as exc:
            problems.append((Note if exc.note else str)(f"{source.name}: {exc}"))
        except OSError as exc:
            problems.append(f"{source.name}: {describe_os_error(exc)}")


def _read_all(fh: IO[bytes], source: Source, problems: list[str]) -> Iterator[bytes]:
    read = getattr(fh, "read1", fh.read)
    while True:
        try:
            chunk = read(_READ)
        except OSError as exc:
            problems.append(f"{source.name}: {describe_os_error(exc)}")
            return
        if not chunk:
            return
        yield chunk


def _skip_leading_hole(fh: IO[bytes]) -> None:
    """A copytruncate'd file can start with gigabytes of hole: seek past it instead of reading zeros."""
    fd = fh.fileno()
    try:
        if os.pread(fd, 1, 0) != b"\0":
            return
        fh.seek(os.lseek(fd, 0, os.SEEK_DATA))
    except (OSError, AttributeError):  # ENXIO: all hole; no SEEK_DATA here
        return


def _head(chunks: Iterator[bytes], size: int) -> tuple[bytes, Iterator[bytes]]:
    """At least ``size`` bytes from the front of ``chunks`` (fewer at the end), and all the chunks."""
    parts, got = [], 0
    for chunk in chunks:
        parts.append(chunk)
        got += len(chunk)
        if got >= size:
            break
    head = b"".join(parts)

    def again() -> Iterator[bytes]:
        if head:
            yield head
        yield from chunks

    return head, again()


def _transcode(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Text with a byte-order mark (UTF-16/32 LE or BE, UTF-8) becomes plain UTF-8."""
    head, chunks = _head(chunks, 4)
    for bom, codec in _BOMS:
        if head.startswith(bom):
            break
    else:
        yield from chunks
        return
    decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    skip = len(bom)
    for chunk in chunks:
        if skip:
            chunk, skip = chunk[skip:], 0
        if codec == "utf-8":
            yield chunk
        else:
            yield decoder.decode(chunk).encode("utf-8")
    if codec != "utf-8":
        yield decoder.decode(b"", final=True).encode("utf-8")


class _Gaps:
    """Drops NUL runs: the one a file starts or ends with (any length), others of GAP_MIN or more.

    NUL runs hold no newline, so dropping them keeps every physical line number.
    """

    _nonnul = re.compile(rb"[^\0]")

    def __init__(self) -> None:
        self.dropped = self.gaps = 0
        self.first_line: int | None = None  # line of the first gap inside the text
        self._lines = 0  # newlines emitted so far (counted until the first gap)

    def strip(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        held = 0  # NULs at the end of what was read: a gap or data, we don't know yet
        leading = True
        for chunk in chunks:
            if leading:
                chunk = chunk.lstrip(b"\0")
                if not chunk:
                    continue
                leading = False
            elif held:
                body = chunk.lstrip(b"\0")
                run = held + len(chunk) - len(body)
                if not body:
                    held = run
                    continue
                if run >= GAP_MIN:
                    self._gap(run)
                    chunk = body
                else:
                    chunk = b"\0" * held + chunk
                held = 0
            body = chunk.rstrip(b"\0")
            held = len(chunk) - len(body)
            if _GAP in body:
                body = self._cut(body)
            if self.first_line is None:
                self._lines += body.count(b"\n")
            if body:
                yield body
        if 0 < held < GAP_MIN:
            yield b"\0" * held  # short NUL runs at the very end are data (a trailing run is padding)

    def _cut(self, body: bytes) -> bytes:
        parts, pos = [], 0
        gap = body.find(_GAP)
        while gap >= 0:
            end = self._nonnul.search(body, gap).start()  # body ends in a non-NUL byte
            parts.append(body[pos:gap])
            if self.first_line is None:
                self._lines += parts[-1].count(b"\n")
            self._gap(end - gap)
            pos = end
            gap = body.find(_GAP, pos)
        parts.append(body[pos:])
        return b"".join(parts)

    def _gap(self, run: int) -> None:
        if self.first_line is None:
            self.first_line = self._lines + 1
        self.gaps += 1
        self.dropped += run

    def note(self, name: str) -> Note | None:
        if not self.gaps:
            return None
        where = f"{self.gaps} gaps, the first in line {self.first_line:,}" if self.gaps > 1 else f"line {self.first_line:,}"
        return Note(f"{name}: skipped {self.dropped:,} NUL bytes ({where}): a crash or an in-place truncation "
                    "left them; the text around them was read")


def text_chunks(source: Source, problems: list[str], text_mode: bool = False) -> Iterator[bytes]:
    """The content of a source as UTF-8 text: decoded, transcoded, NUL gaps dropped.

    A binary file (a NUL byte in the first 8 KiB of text) yields nothing but a note, unless
    ``text_mode``.
    """
    gaps = _Gaps()
    head, chunks = _head(gaps.strip(_transcode(_raw_chunks(source, problems))), BINARY_HEAD)
    if not text_mode and looks_binary(head):
        problems.append(_binary_note(source))
        return
    yield from chunks
    note = gaps.note(source.name)
    if note:
        problems.append(note)


def iter_lines(source: Source, problems: list[str], text_mode: bool = False) -> Iterator[tuple[int, bytes]]:
    """Numbered physical lines (without the line ending, CR included) of one source.

    Linear in the input whatever the line length: the pieces of a long line are joined once.
    """
    lineno = 0
    pieces: list[bytes] = []  # the unfinished line
    for chunk in text_chunks(source, problems, text_mode):
        lines = chunk.split(b"\n")
        tail = lines.pop()
        if lines:
            if pieces:
                pieces.append(lines[0])
                lines[0] = b"".join(pieces)
                pieces = []
            if b"\r" not in chunk and lines[0][-1:] != b"\r":  # the usual chunk: numbered in C, no step per line
                yield from zip(range(lineno + 1, lineno + 1 + len(lines)), lines)
                lineno += len(lines)
            else:
                for line in lines:
                    lineno += 1
                    yield lineno, line[:-1] if line[-1:] == b"\r" else line
        if tail:
            pieces.append(tail)
    if pieces:
        rest = b"".join(pieces)
        yield lineno + 1, rest[:-1] if rest.endswith(b"\r") else rest


def has_gap(lines: Iterable[bytes]) -> bool:
    """True when raw lines hold a NUL run that a full read drops (see ``_Gaps``)."""
    return any(_GAP in line for line in lines)


def open_for_scan(source: Source, problems: list[str], text_mode: bool = False,
                  copy: bool = False) -> IO[bytes] | None:
    """A seekable file of the source's text, for a raw-bytes search; None when there is nothing to search.

    A plain text file is opened as it is; a compressed, transcoded or gapped one (or any, with
    ``copy``) is written to an anonymous temp file first, so it can be mapped like a file.
    """
    assert source.path is not None, "stdin is read with iter_lines"
    if not copy and not source.compressed:
        try:
            fh = open(source.path, "rb")
        except OSError as exc:
            problems.append(path_problem(source.name, exc))
            return None
        fd = fh.fileno()
        try:
            head = os.pread(fd, BINARY_HEAD, 0)
        except OSError as exc:  # EIO from a failing disk
            fh.close()
            problems.append(f"{source.name}: {describe_os_error(exc)}")
            return None
        if not head or (head[0] != 0 and not _has_bom(head) and not _has_hole(fd)
                        and (text_mode or not looks_binary(head))):
            return fh
        fh.close()  # a gap or a BOM, or binary (which the text reader tells after dropping gaps)
    import tempfile

    tmp = tempfile.TemporaryFile(prefix="devkit-")
    try:
        for chunk in text_chunks(source, problems, text_mode):
            tmp.write(chunk)
    except OSError as exc:  # the temp dir is full
        tmp.close()
        problems.append(f"{source.name}: cannot unpack to a temp file: {describe_os_error(exc)}")
        return None
    tmp.seek(0)
    return tmp


def _has_bom(head: bytes) -> bool:
    return any(head.startswith(bom) for bom, _ in _BOMS)


def _has_hole(fd: int) -> bool:
    """A sparse file holds NUL gaps that the mapping would show raw (checked without reading)."""
    try:
        size = os.fstat(fd).st_size  # first: a file that grows meanwhile must not look sparse
        return os.lseek(fd, 0, os.SEEK_HOLE) < size
    except (OSError, AttributeError):
        return False


__all__ = ["Source", "Note", "expand_paths", "iter_lines", "text_chunks", "open_for_scan", "service_from_path",
           "looks_binary", "has_gap", "describe_os_error", "path_problem"]
