"""A bump that is killed at any point is rolled back (or found complete) by the next run.

Before its first change a bump copies the exact bytes (or absence) of everything it may change
(version files, ``index``, ``HEAD``, the branch and tag refs, ``packed-refs``, reflogs,
``COMMIT_EDITMSG``) into ``<git dir>/devkit-bump/`` and writes ``journal.json`` there (fsync'd,
renamed into place). Each step that changes the repository records itself first (the commit and
tag ids are known before their refs move). The journal is deleted only when the bump is complete.

SIGINT, SIGTERM and SIGHUP raise ``Interrupted`` in the main thread, so the in-process rollback
runs; SIGKILL (or a power cut) leaves the journal, and the next ``devkit pkg bump`` finds it:

- ``done`` recorded, or the tag ref already holds the recorded tag: the bump had finished, the
  journal goes;
- otherwise every recorded file is put back, but only if nothing moved on since: each file must
  hold its old or its planned bytes, the branch its old or the recorded commit, the tag nothing or
  the recorded tag; else the journal stays and the error says what changed. Stale ``*.lock`` and
  ``.*.devkit-tmp`` files from the dead run are removed.

A flock on ``devkit-bump.lock`` keeps two bumps in one repository from running at once.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devkit.durable import fsync_directory
from devkit.errors import DevkitError, InputError

DIRNAME = "devkit-bump"
PAUSE_ENV = "DEVKIT_PKG_BUMP_PAUSE"  # testing aid: "STEP:FILE" pauses at STEP after writing FILE


class Interrupted(DevkitError):
    """SIGINT/SIGTERM/SIGHUP during a bump: exit 128+N after the rollback."""

    def __init__(self, signum: int, message: str = "") -> None:
        self.signum = signum
        self.exit_code = 128 + signum
        super().__init__(message or f"interrupted by {signal.Signals(signum).name}")


@contextmanager
def signals_raise() -> Iterator[None]:
    """SIGTERM and SIGHUP behave like SIGINT; a second signal during the rollback is ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired: list[int] = []

    def handler(signum: int, frame: Any) -> None:
        if fired:
            return
        fired.append(signum)
        raise Interrupted(signum)

    saved = {}
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        try:
            saved[sig] = signal.signal(sig, handler)
        except (OSError, ValueError):
            continue
    try:
        yield
    finally:
        for sig, old in saved.items():
            signal.signal(sig, old)


def checkpoint(step: str) -> None:
    """Pause at ``step`` when DEVKIT_PKG_BUMP_PAUSE=STEP:FILE asks (tests kill the bump there)."""
    spec = os.environ.get(PAUSE_ENV)
    if not spec:
        return
    wanted, _, marker = spec.partition(":")
    if wanted != step:
        return
    Path(marker).write_text(f"{os.getpid()} {step}\n")
    time.sleep(60)


def _sha(data: bytes | None) -> str | None:
    return hashlib.sha256(data).hexdigest() if data is not None else None


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes() if path.is_file() else None
    except OSError:
        return None


def _write_durably(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_directory(path.parent)


@dataclass
class Journal:
    """One bump's undo record on disk, held under an exclusive lock."""

    directory: Path
    lock_fd: int
    state: dict[str, Any] = field(default_factory=dict)
    before: dict[Path, bytes | None] = field(default_factory=dict)
    made_dirs: list[Path] = field(default_factory=list)
    kinds: dict[Path, str] = field(default_factory=dict)
    planned_refs: dict[Path, bytes] = field(default_factory=dict)

    @classmethod
    def acquire(cls, home: Path, name: str = DIRNAME) -> Journal:
        """Lock ``home/NAME.lock``; a live bump holding it is a one-line error."""
        lock_path = home / f"{name}.lock"
        while True:
            try:
                fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise InputError(f"{lock_path}: cannot create the bump lock: {exc.strerror}") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno in (errno.EAGAIN, errno.EACCES):
                    raise InputError(f"another devkit pkg bump is running in this repository ({lock_path} is locked)") from None
                raise
            try:
                if os.stat(lock_path).st_ino == os.fstat(fd).st_ino:
                    return cls(home / name, fd)  # still the file at that path (not one a finished run removed)
            except FileNotFoundError:
                pass
            os.close(fd)

    def release(self) -> None:
        """Drop the lock and its file (a bump leaves nothing in the repository)."""
        try:
            os.unlink(self.directory.with_name(self.directory.name + ".lock"))
        except OSError:
            pass
        try:
            os.close(self.lock_fd)
        except OSError:
            pass

    @property
    def pending(self) -> dict[str, Any] | None:
        path = self.directory / "journal.json"
        if not path.is_file():
            return {"step": "unstarted"} if self.directory.exists() else None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"step": "unstarted"}  # died while writing the journal: nothing was changed yet

    # -- a run --------------------------------------------------------------------------------

    def begin(self, paths: dict[Path, str], info: dict[str, Any], planned: dict[Path, bytes]) -> None:
        """Copy every path's bytes aside, then write the journal: no change happens before this.
        ``paths`` maps each path to its kind: "file" (a version file: its planned bytes are
        known), "ref" (planned bytes known once the object id is) or "git" (index, reflogs)."""
        if self.directory.exists():
            shutil.rmtree(self.directory)
        self.directory.mkdir()
        entries = []
        for i, (path, kind) in enumerate(paths.items()):
            data = _read(path)
            self.before[path] = data
            self.kinds[path] = kind
            if data is not None:
                _write_durably(self.directory / str(i), data)
            parent, missing = path.parent, []
            while not parent.exists():
                missing.append(parent)
                parent = parent.parent
            self.made_dirs += missing
            entries.append({"path": os.fspath(path), "kind": kind, "copy": str(i) if data is not None else None,
                            "before": _sha(data), "planned": _sha(planned.get(path))})
        self.state = {"format": 1, "pid": os.getpid(), "started": time.time(), "step": "begun",
                      "files": entries, "dirs": [os.fspath(d) for d in self.made_dirs], **info}
        self._save()
        checkpoint("begun")

    def record(self, step: str, refs: dict[Path, bytes] | None = None, **info: Any) -> None:
        """Note the step (and the bytes refs will hold) before the repository changes for it."""
        self.planned_refs.update(refs or {})
        for entry in self.state["files"]:
            if refs and Path(entry["path"]) in refs:
                entry["planned"] = _sha(refs[Path(entry["path"])])
        self.state.update(info, step=step)
        self._save()
        checkpoint(step)

    def _save(self) -> None:
        _write_durably(self.directory / "journal.json", json.dumps(self.state, indent=1).encode())

    def finish(self) -> None:
        """The bump is complete: mark it, then drop the journal."""
        self.record("done")
        shutil.rmtree(self.directory, ignore_errors=True)
        fsync_directory(self.directory.parent)

    def discard(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    def restore_in_process(self) -> list[str]:
        """Put every file back from memory (the copies on disk stay until this succeeds). A ref is
        put back only if it holds what this run wrote: a tag a hook made is not ours to delete."""
        failed = []
        for path, data in self.before.items():
            if self.kinds.get(path) == "ref" and _read(path) != self.planned_refs.get(path):
                continue
            try:
                _put(path, data)
            except OSError as exc:
                failed.append(f"{path}: {exc.strerror}")
        _remove_dirs(self.made_dirs)
        _remove_leftovers([Path(e["path"]) for e in self.state.get("files", [])])
        if not failed:
            self.discard()
        return failed


def _put(path: Path, data: bytes | None) -> None:
    from devkit.pkg.gitops import write_bytes

    current = _read(path)
    if current == data:
        return
    if data is None:
        path.unlink()
    else:
        write_bytes(path, data)


def _remove_dirs(dirs: list[Path]) -> None:
    for directory in sorted(dirs, key=lambda p: len(p.parts), reverse=True):
        try:
            directory.rmdir()
        except OSError:
            pass


def _remove_leftovers(paths: list[Path]) -> list[str]:
    """Lock files git/dulwich leave when killed mid-write, and our own temporary files."""
    removed = []
    for path in paths:
        real = Path(os.path.realpath(path))
        for leftover in (path.with_name(path.name + ".lock"), real.with_name(f".{real.name}.devkit-tmp")):
            if leftover.exists():
                try:
                    leftover.unlink()
                    removed.append(leftover.name)
                except OSError:
                    pass
    return removed


def recover(journal: Journal) -> str | None:
    """Deal with what a killed bump left: roll it back or keep it complete; the message says
    which. Raises InputError (journal kept) when the repository moved on since."""
    state = journal.pending
    if state is None:
        return None
    what = f"the bump {state.get('old', '?')} -> {state.get('new', '?')} (pid {state.get('pid', '?')})"
    if state.get("step") == "unstarted":
        journal.discard()
        return None
    if state.get("step") == "done" or _tag_landed(state):
        _remove_leftovers([Path(e["path"]) for e in state.get("files", [])])
        journal.discard()
        return f"{what} was interrupted after it had finished; kept it"
    moved = []
    for entry in state.get("files", []):
        path = Path(entry["path"])
        now = _sha(_read(path))
        if entry.get("kind") != "git" and now not in (entry["before"], entry["planned"]):
            moved.append(path.name if "/.git/" not in os.fspath(path) else os.fspath(path))
    if moved:
        raise InputError(
            f"{what} was interrupted at '{state.get('step')}' and {', '.join(moved)} changed since; not rolling "
            f"back on top of that: check the repository and remove {journal.directory} to go on"
        )
    restored = []
    for entry in state.get("files", []):
        path = Path(entry["path"])
        data = (journal.directory / entry["copy"]).read_bytes() if entry["copy"] else None
        if _read(path) != data:
            _put(path, data)
            restored.append(path.name if entry.get("kind") == "file" else path.as_posix().split("/.git/")[-1])
    _remove_dirs([Path(d) for d in state.get("dirs", [])])
    _remove_leftovers([Path(e["path"]) for e in state.get("files", [])])
    journal.discard()
    shown = ", ".join(restored) or "nothing had changed yet"
    return f"{what} was interrupted at '{state.get('step')}'; rolled it back ({shown})"


def _tag_landed(state: dict[str, Any]) -> bool:
    tag_ref_path, tag_id = state.get("tag_ref_path"), state.get("tag_id")
    if not tag_ref_path or not tag_id:
        return False
    data = _read(Path(tag_ref_path))
    return data is not None and data.strip().decode("ascii", "replace") == tag_id


def warn_pending(home: Path) -> str | None:
    """For read-only commands: say that a killed bump is waiting to be rolled back."""
    path = home / DIRNAME / "journal.json"
    if not path.is_file():
        return None
    return (f"an interrupted devkit pkg bump left {path.parent}: the next `devkit pkg bump` (or "
            "`devkit pkg bump --recover`) rolls it back")


__all__ = ["Interrupted", "Journal", "checkpoint", "recover", "signals_raise", "warn_pending"]
