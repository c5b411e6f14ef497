"""devkit's own small exceptions; the CLI maps ``exit_code`` to the process exit status."""

from __future__ import annotations


class DevkitError(Exception):
    """A failure the user can act on; the message is one line that says what and where."""

    exit_code = 2


class InputError(DevkitError):
    """Bad or unreadable input: a missing file, a malformed config, a corrupt archive."""

    exit_code = 2


class ServiceError(DevkitError):
    """A service devkit talks to (broker, search server, git) is down or refused us."""

    exit_code = 2


class NothingFound(DevkitError):
    """The search ran fine but matched nothing (grep's exit 1)."""

    exit_code = 1


class CheckFailed(DevkitError):
    """A check ran fine and its verdict is "no" (a score under --min, a lost message)."""

    exit_code = 1
