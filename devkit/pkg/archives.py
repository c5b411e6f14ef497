"""Read sdists and wheels with caps: a hostile archive costs milliseconds, never GiBs.

A 1 MB wheel can hold a 1 GiB METADATA and a 2 MB sdist a 2 GiB member (both compress ~1000:1).
So only what rating needs is read, each file through a bounded read: ``METADATA``/``PKG-INFO`` and
the project files the hygiene rules look at. A full extraction (an sdist without PKG-INFO, whose
backend must run) refuses any member declared larger than ``MEMBER_CAP`` before reading it, stops
at ``TOTAL_CAP`` written, and never follows links or writes outside the destination.
"""

from __future__ import annotations

import shutil
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from devkit.errors import InputError

METADATA_CAP = 16 * 1024 * 1024  # a real METADATA/PKG-INFO is at most a few hundred kB
FILE_CAP = 4 * 1024 * 1024  # pyproject.toml, setup.py, setup.cfg, requirements files
MEMBER_CAP = 256 * 1024 * 1024
TOTAL_CAP = 512 * 1024 * 1024
MAX_MEMBERS = 100_000
SDIST_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".tar", ".zip")
PROJECT_FILES = ("PKG-INFO", "pyproject.toml", "setup.py", "setup.cfg")


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MiB" if n < 1024 ** 3 else f"{n / 1024 ** 3:.1f} GiB"


def read_capped(fh, cap: int, what: str) -> bytes:  # type: ignore[no-untyped-def]
    data = fh.read(cap + 1)
    if len(data) > cap:
        raise InputError(f"{what} is larger than {_mib(cap)}: not rated (a real one is a few hundred kB)")
    return data


def wheel_metadata_text(path: Path) -> str:
    """``*.dist-info/METADATA`` of a wheel, read through a capped stream."""
    try:
        with zipfile.ZipFile(path) as whl:
            names = [n for n in whl.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
            if not names:
                raise InputError(f"{path}: no *.dist-info/METADATA in the wheel")
            info = whl.getinfo(names[0])
            if info.file_size > METADATA_CAP:
                raise InputError(f"{path}: {names[0]} is {_mib(info.file_size)}, larger than {_mib(METADATA_CAP)}: not rated")
            with whl.open(info) as fh:
                raw = read_capped(fh, METADATA_CAP, f"{path}: {names[0]}")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise InputError(f"{path}: not a readable wheel: {exc}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: METADATA is not UTF-8 (byte {exc.start})") from None


@dataclass(frozen=True)
class Member:
    name: str  # path inside the top directory
    size: int
    kind: str  # "file", "dir", "link"
    link: str = ""


class Sdist:
    """An open sdist (tar or zip): its members one by one, each readable with a cap."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip = path.name.lower().endswith(".zip")
        try:
            self.handle = zipfile.ZipFile(path) if self.zip else tarfile.open(path, "r:*")
        except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError) as exc:
            raise InputError(f"{path}: not a readable sdist: {exc}") from None

    def close(self) -> None:
        self.handle.close()

    def members(self) -> Iterator[tuple[Member, Callable[[int], bytes] | None, object]]:
        """(member, capped reader or None, raw handle); a member declared larger than MEMBER_CAP
        stops everything before a byte of it is decompressed."""
        count = 0
        try:
            if self.zip:
                for info in self.handle.infolist():  # type: ignore[union-attr]
                    count += 1
                    yield self._check(Member(info.filename, info.file_size, "dir" if info.is_dir() else "file"), count), \
                        (lambda cap, info=info: read_capped(self.handle.open(info), cap, f"{self.path}: {info.filename}")), info  # type: ignore[union-attr]
            else:
                tf: tarfile.TarFile = self.handle  # type: ignore[assignment]
                while True:
                    info = tf.next()
                    if info is None:
                        break
                    count += 1
                    kind = "file" if info.isreg() else "dir" if info.isdir() else "link" if (info.issym() or info.islnk()) else "other"
                    member = self._check(Member(info.name, info.size if info.isreg() else 0, kind, info.linkname), count)
                    reader = (lambda cap, info=info: read_capped(tf.extractfile(info), cap, f"{self.path}: {info.name}")) \
                        if info.isreg() else None
                    yield member, reader, info
        except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError, zlib_error()) as exc:
            raise InputError(f"{self.path}: not a readable sdist: {exc}") from None

    def _check(self, member: Member, count: int) -> Member:
        if count > MAX_MEMBERS:
            raise InputError(f"{self.path}: more than {MAX_MEMBERS} members: not rated")
        if member.size > MEMBER_CAP:
            raise InputError(f"{self.path}: member {member.name!r} is {_mib(member.size)}, larger than the "
                             f"{_mib(MEMBER_CAP)} devkit reads from an sdist: not rated")
        parts = PurePosixPath(member.name).parts
        if member.name.startswith("/") or ".." in parts:
            raise InputError(f"{self.path}: member {member.name!r} escapes the archive: not rated")
        return member


def zlib_error() -> type[Exception]:
    import zlib

    return zlib.error


def _top(name: str) -> tuple[str, str]:
    parts = PurePosixPath(name).parts
    return (parts[0], "/".join(parts[1:])) if parts else ("", "")


def project_files(archive: Path, dest: Path) -> Path:
    """Write the sdist's PKG-INFO and project files (each capped) under ``dest/TOP``; returns it."""
    sdist = Sdist(archive)
    tops: set[str] = set()
    try:
        for member, reader, _ in sdist.members():
            top, rest = _top(member.name)
            tops.add(top)
            wanted = rest in PROJECT_FILES or (rest.startswith("requirements") and rest.endswith(".txt")
                                                and rest.count("/") <= 1)
            if member.kind == "file" and wanted and reader is not None:
                data = reader(METADATA_CAP if rest == "PKG-INFO" else FILE_CAP)
                target = dest / top / rest
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
    finally:
        sdist.close()
    tops.discard("")
    if len(tops) != 1:
        raise InputError(f"{archive}: expected one top-level directory in the sdist, found {len(tops)}")
    root = dest / tops.pop()
    root.mkdir(parents=True, exist_ok=True)
    return root


def extract(archive: Path, dest: Path) -> Path:
    """Unpack a whole sdist (for its build backend) under the caps; regular files and dirs only."""
    sdist = Sdist(archive)
    written = 0
    tops: set[str] = set()
    try:
        for member, _, info in sdist.members():
            top, _rest = _top(member.name)
            tops.add(top)
            target = dest / member.name
            if member.kind == "dir":
                target.mkdir(parents=True, exist_ok=True)
                continue
            if member.kind != "file":
                continue  # links and devices are never written
            written += member.size
            if written > TOTAL_CAP:
                raise InputError(f"{archive}: unpacks to more than {_mib(TOTAL_CAP)}: not rated")
            target.parent.mkdir(parents=True, exist_ok=True)
            source = sdist.handle.open(info) if sdist.zip else sdist.handle.extractfile(info)  # type: ignore[union-attr, arg-type]
            with source as src, open(target, "wb") as out:
                copied = _copy_capped(src, out, member.size)
            if copied > member.size:
                raise InputError(f"{archive}: member {member.name!r} is larger than it declares: not rated")
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    finally:
        sdist.close()
    tops.discard("")
    if len(tops) != 1:
        raise InputError(f"{archive}: expected one top-level directory in the sdist, found {len(tops)}")
    return dest / tops.pop()


def _copy_capped(src, out, declared: int) -> int:  # type: ignore[no-untyped-def]
    copied = 0
    while True:
        chunk = src.read(min(1 << 20, declared + 1 - copied) or 1)
        if not chunk:
            return copied
        copied += len(chunk)
        if copied > declared:
            return copied
        out.write(chunk)


def is_sdist(path: Path) -> bool:
    return path.name.lower().endswith(SDIST_SUFFIXES)


__all__ = ["SDIST_SUFFIXES", "Sdist", "extract", "is_sdist", "project_files", "wheel_metadata_text"]
