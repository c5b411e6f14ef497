"""The unit devkit shows: one record with all the lines that belong to it."""

from __future__ import annotations

from dataclasses import dataclass, field

from devkit.logs.timestamps import format_utc


@dataclass
class Event:
    """A stitched record. ``line_numbers`` are 1-based physical lines of ``source``.

    Syslog-stitched events own non-contiguous lines (other containers' records interleave),
    so ``line_numbers`` is a list, not a range.
    """

    source: str
    line_numbers: list[int]
    raw: list[bytes]
    format: str
    ts: float | None = None
    level: str | None = None
    service: str | None = None
    message: str = ""
    traceback: str | None = None
    fields: dict = field(default_factory=dict)
    source_index: int = 0
    ts_inherited: bool = False
    correlation_id: str | None = None  # normalised across formats (devkit.logs.fields)
    status: int | None = None  # HTTP status, where the format logs one
    duration: float | None = None  # seconds of work that ended at ``ts``, where logged
    ts_naive: bool = False  # the stamp had no offset: it was read in --tz
    ts_resolution: float = 0.0  # 1.0 for whole-second stamps, 0.001 for milliseconds; 0.0 unknown
    wrapper: str | None = None  # the runtime framing its lines had (docker-json, cri, compose, ...)

    @property
    def line(self) -> int:
        return self.line_numbers[0]

    @property
    def lines(self) -> int:
        return len(self.line_numbers)

    @property
    def is_error(self) -> bool:
        return self.level in ("ERROR", "CRITICAL") or bool(self.traceback)

    @property
    def text(self) -> str:
        """Everything a person would read: the message and its traceback."""
        return f"{self.message}\n{self.traceback}" if self.traceback else self.message

    def normalise(self) -> None:
        """Fill ``correlation_id``, ``status`` and ``duration`` from the fields, where unset."""
        from devkit.logs import fields as names

        if self.correlation_id is None:
            self.correlation_id = names.correlation_id(self.fields)
        if self.status is None:
            self.status = names.status(self.fields)
        if self.duration is None:
            self.duration = names.duration(self.fields)

    def to_json(self) -> dict:
        return {
            "timestamp": format_utc(self.ts),
            "source": self.source,
            "line": self.line,
            "lines": self.lines,
            "service": self.service,
            "level": self.level,
            "format": self.format,
            "wrapper": self.wrapper,
            "message": self.text,
            "traceback": self.traceback,
            "correlation_id": self.correlation_id,
            "status": self.status,
            "duration": self.duration,
            "fields": self.fields,
        }
