"""Child processes that never outlive the process that started them."""

from __future__ import annotations

import ctypes
import os
import signal

_PR_SET_PDEATHSIG = 1


def exit_with_parent(parent_pid: int) -> None:
    """Make this (forked) process die when ``parent_pid`` does: SIGTERM, SIGKILL or a crash.

    Linux's ``PR_SET_PDEATHSIG`` sends SIGKILL the moment the parent exits; a parent that died
    before the call is caught by the ``getppid`` check after it. Elsewhere this does nothing
    more: callers that must notice a lost parent check ``os.getppid()`` themselves.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):  # not Linux
        pass
    if os.getppid() != parent_pid:
        os._exit(1)
