"""What one record-starting line says about itself, and the level names devkit uses."""

from __future__ import annotations

from devkit.slots import Slotted

LEVELS = {
    "TRACE": "DEBUG", "DEBUG": "DEBUG", "VERBOSE": "DEBUG", "INFO": "INFO", "INFORMATION": "INFO",
    "NOTICE": "INFO", "WARN": "WARNING", "WARNING": "WARNING", "ERROR": "ERROR", "ERR": "ERROR",
    "EXCEPTION": "ERROR", "FAILURE": "ERROR", "SEVERE": "ERROR", "FATAL": "CRITICAL", "CRITICAL": "CRITICAL",
    "CRIT": "CRITICAL", "ALERT": "CRITICAL", "EMERG": "CRITICAL", "EMERGENCY": "CRITICAL", "PANIC": "CRITICAL",
}
#: syslog / journald severities 0-7
SYSLOG_SEVERITY = ["CRITICAL", "CRITICAL", "CRITICAL", "ERROR", "WARNING", "INFO", "INFO", "DEBUG"]
_NUMERIC = {10: "DEBUG", 20: "INFO", 30: "WARNING", 40: "ERROR", 50: "CRITICAL"}


def normalize_level(value: object, table: dict | None = None) -> str | None:
    """``warn``, ``WARNING``, ``30``, ``W`` (with a table) -> ``WARNING``; None when unknown."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return _NUMERIC.get(value)
    text = str(value).strip()
    if table is not None:
        hit = table.get(text)
        if hit is not None:
            return hit
    return LEVELS.get(text.upper())


class Record(Slotted):
    """A parsed record start. Wrapped lines (docker, CRI, syslog, ...) always give one.

    Written out by hand rather than as a dataclass: one is made per line (by the C record builder
    too, positionally), and generating a dataclass costs about 1 ms of every command's start-up.
    """

    __slots__ = ("format", "ts", "level", "message", "fields", "service", "traceback", "stream", "stream_msg",
                 "opens", "ts_text", "wrapper", "partial", "status", "duration", "block", "fallback_level", "frame")

    def __init__(self, format: str, ts: float | None = None, level: str | None = None, message: str = "",
                 fields: dict | None = None, service: str | None = None, traceback: str | None = None,
                 stream: tuple | None = None, stream_msg: str | None = None, opens: bool = False,
                 ts_text: str | None = None, wrapper: str | None = None, partial: bool = False,
                 status: int | None = None, duration: float | None = None, block: bool = False,
                 fallback_level: str | None = None, frame: object = None) -> None:
        self.format = format
        self.ts = ts
        self.level = level
        self.message = message
        self.fields = {} if fields is None else fields
        self.service = service
        self.traceback = traceback
        self.stream = stream  # lines with the same stream key may continue each other's event
        self.stream_msg = stream_msg  # the text a continuation test looks at (the payload of a wrapper)
        self.opens = opens  # certainly starts an event (never a continuation)
        self.ts_text = ts_text  # the timestamp as written (naive? whole seconds?), None for epoch numbers
        self.wrapper = wrapper  # the framing peeled off (docker-json, cri, syslog-rfc5424, ...)
        self.partial = partial  # a piece that the next record of its stream continues (16 KiB splits)
        self.status = status
        self.duration = duration
        self.block = block  # opens a multi-line JSON block (``{`` alone on a line)
        self.fallback_level = fallback_level  # the wrapper's guess (syslog severity), used last
        self.frame = frame  # the wrapper's ``Peeled`` view of the line, when it was wrapped
