"""Write a generated config to a file without leaving half a file behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from devkit.errors import InputError


def write_config(text: str, path: str | os.PathLike[str]) -> Path:
    """Write *text* to *path* atomically (temp file + rename in the same directory)."""
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise InputError(f"cannot write {target}: directory {directory} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror or exc}") from None
    return target
