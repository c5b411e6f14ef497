"""Long output on a terminal goes through a pager, as git does: ``$DEVKIT_PAGER``, ``$PAGER``,
else ``less -FRX`` (``-F`` quits at once when it fits on one screen). Never when stdout is not a
terminal, never with ``--no-pager``; an empty pager or ``cat`` means none.

While paging, ``sys.stdout`` is the pager's input, marked as a terminal so colours and layout
stay as they would be on the screen (rich measures the width on the real terminal's fds).
"""

from __future__ import annotations

import io
import os
import sys
from contextlib import contextmanager
from typing import Iterator, Mapping

DEFAULT = "less -FRX"


def pager_command(stdout_is_terminal: bool, disabled: bool = False,
                  env: Mapping[str, str] | None = None) -> list[str] | None:
    """The pager to run, or None: only for a terminal, unless disabled, and only one that exists."""
    if disabled or not stdout_is_terminal:
        return None
    import shlex  # here, not at import: a piped run never pages (shutil alone imports bz2 and lzma)
    import shutil

    env = os.environ if env is None else env
    spec = env.get("DEVKIT_PAGER", env.get("PAGER", DEFAULT))
    try:
        argv = shlex.split(spec)
    except ValueError:
        return None
    if not argv or argv[0] == "cat" or shutil.which(argv[0]) is None:
        return None
    return argv


class _PagerStream(io.TextIOWrapper):
    """The pager's stdin; it shows on a terminal, so say so (colours, rich layout)."""

    def isatty(self) -> bool:
        return True


@contextmanager
def paged(argv: list[str] | None) -> Iterator[None]:
    """Run the block with stdout going to the pager ``argv`` (or unchanged when None)."""
    if argv is None:
        yield
        return
    import subprocess

    env = dict(os.environ)
    env.setdefault("LESS", "FRX")
    env.setdefault("LV", "-c")
    sys.stdout.flush()
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, env=env)
    except OSError:
        yield
        return
    assert proc.stdin is not None
    stream = _PagerStream(proc.stdin, encoding="utf-8", errors="replace", write_through=False)
    saved = sys.stdout
    sys.stdout = stream
    try:
        yield
    except BrokenPipeError:
        pass  # the reader quit the pager: nothing more to show
    finally:
        sys.stdout = saved
        try:
            stream.close()
        except (BrokenPipeError, OSError, ValueError):
            pass
        while True:
            try:
                proc.wait()
                break
            except KeyboardInterrupt:
                continue  # the pager handles Ctrl-C itself; wait until it is done with the terminal
