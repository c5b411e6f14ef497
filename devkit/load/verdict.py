"""One rule for what a load run's exit status and one-line verdict mean, for AMQP, HTTP and Celery."""

from __future__ import annotations

from typing import ClassVar


class ExitVerdict:
    """Mixin for run results that have ``connection_error``, ``interrupted`` and ``ok``.

    A result names the counts that are 0 when everything is accounted for (``shortfall_counts``);
    ``shortfall()`` and ``verdict`` then say what went wrong in the same words for every generator.
    """

    connection_error: bool
    interrupted: bool
    ok: bool
    #: (attribute, label) of each count that is 0 in a run where everything is accounted for
    shortfall_counts: ClassVar[tuple[tuple[str, str], ...]] = ()
    #: how the one-line verdict of a run that is not ok starts
    verdict_lead: ClassVar[str] = "not everything was accounted for"

    @property
    def exit_code(self) -> int:
        """2 the target was unreachable or went away, 128 + the signal when stopped (130 Ctrl-C,
        143 SIGTERM, as shells and `load celery` and `pkg bump` report it), 0 all accounted for, else 1."""
        if self.connection_error:
            return 2
        if self.interrupted:
            return 143 if getattr(self, "stopped_by", None) == "SIGTERM" else 130
        return 0 if self.ok else 1

    def shortfall(self) -> list[str]:
        """What keeps the run from being all accounted for: "3 never sent", "2 nacked", ..."""
        parts = []
        requested, sent = getattr(self, "requested", None), getattr(self, "sent", 0)
        if requested is not None and sent < requested:
            parts.append(f"{requested - sent:,} never sent")
        for attr, label in self.shortfall_counts:
            value = getattr(self, attr)
            if value:
                parts.append(f"{value:,} {label}")
        if self.interrupted:
            parts.append("interrupted")
        return parts

    @property
    def verdict(self) -> str:
        """The one line a run that is not ok ends with."""
        return f"{self.verdict_lead}: " + (", ".join(self.shortfall()) or "see the summary")
