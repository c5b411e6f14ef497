"""Write a generated config to a file without leaving half a file behind or breaking what is there.

``-o /etc/nginx/sites-enabled/app`` is usually a symlink into ``sites-available``: the config goes
to the link's target (the link stays a link), through a temporary file renamed over it in the
target's directory, so a reader sees the old file or the new one, never a mix. What is not a
regular file (a device such as ``/dev/full``, a FIFO, a socket, a directory) is refused rather
than replaced; ``-o -`` is how to get stdout. An existing file keeps its permission bits (and, as
root, its owner).
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

from devkit.durable import fsync_directory
from devkit.errors import InputError

_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
}
DEFAULT_MODE = 0o644


def resolve_output(path: str | os.PathLike[str]) -> tuple[Path, os.stat_result | None]:
    """The file a write to *path* really changes (symlinks followed) and its stat, if it exists.

    Raises InputError for anything that is not, or would not become, a regular file.
    """
    shown = Path(path)
    try:
        st: os.stat_result | None = os.stat(shown)  # follows links, /proc's /dev/stdout ones too
    except FileNotFoundError:
        st = None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(f"cannot write {shown}: its symlinks loop") from None
        raise InputError(f"cannot write {shown}: {exc.strerror or exc}") from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        kind = _KINDS.get(stat.S_IFMT(st.st_mode), "not a regular file")
        via = " (through a symlink)" if shown.is_symlink() else ""
        raise InputError(f"refusing to write {shown}: it is {kind}{via}, not a regular file; use -o - for stdout")
    target = Path(os.path.realpath(shown))
    directory = target.parent
    if not directory.is_dir():
        raise InputError(f"cannot write {shown}: directory {directory} does not exist")
    return target, st


def write_config(text: str, path: str | os.PathLike[str]) -> Path:
    """Write *text* to *path* atomically (temp file + rename next to the real target)."""
    shown = Path(path)
    target, st = resolve_output(shown)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, stat.S_IMODE(st.st_mode) if st is not None else DEFAULT_MODE)
            if st is not None and os.geteuid() == 0 and (st.st_uid, st.st_gid) != (0, 0):
                os.chown(tmp, st.st_uid, st.st_gid)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        fsync_directory(target.parent)
    except OSError as exc:
        raise InputError(f"cannot write {shown}: {exc.strerror or exc}") from None
    return shown
