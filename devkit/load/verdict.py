"""One rule for what a load run's exit status means, for AMQP and HTTP alike."""

from __future__ import annotations


class ExitVerdict:
    """Mixin for run results that have ``connection_error``, ``interrupted`` and ``ok``."""

    connection_error: bool
    interrupted: bool
    ok: bool

    @property
    def exit_code(self) -> int:
        """2 the target was unreachable or went away, 130 Ctrl-C, 0 all accounted for, else 1."""
        if self.connection_error:
            return 2
        if self.interrupted:
            return 130
        return 0 if self.ok else 1
