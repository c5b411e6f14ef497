"""One rule for what a load run's exit status means, for AMQP and HTTP alike."""

from __future__ import annotations


class ExitVerdict:
    """Mixin for run results that have ``connection_error``, ``interrupted`` and ``ok``."""

    connection_error: bool
    interrupted: bool
    ok: bool

    @property
    def exit_code(self) -> int:
        """2 the target was unreachable or went away, 128 + the signal when stopped (130 Ctrl-C,
        143 SIGTERM, as shells and `load celery` and `pkg bump` report it), 0 all accounted for, else 1."""
        if self.connection_error:
            return 2
        if self.interrupted:
            return 143 if getattr(self, "stopped_by", None) == "SIGTERM" else 130
        return 0 if self.ok else 1
