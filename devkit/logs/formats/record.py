"""What one record-starting line says about itself, and the level names devkit uses."""

from __future__ import annotations

from dataclasses import dataclass, field

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


@dataclass(slots=True)
class Record:
    """A parsed record start. Wrapped lines (docker, CRI, syslog, ...) always give one."""

    format: str
    ts: float | None = None
    level: str | None = None
    message: str = ""
    fields: dict = field(default_factory=dict)
    service: str | None = None
    traceback: str | None = None
    stream: tuple | None = None  # lines with the same stream key may continue each other's event
    stream_msg: str | None = None  # the text a continuation test looks at (the payload of a wrapper)
    opens: bool = False  # certainly starts an event (never a continuation)
    ts_text: str | None = None  # the timestamp as written (naive? whole seconds?), None for epoch numbers
    wrapper: str | None = None  # the framing peeled off (docker-json, cri, syslog-rfc5424, ...)
    partial: bool = False  # a piece that the next record of its stream continues (16 KiB splits)
    status: int | None = None
    duration: float | None = None
    block: bool = False  # opens a multi-line JSON block (``{`` alone on a line)
    fallback_level: str | None = None  # the wrapper's guess (syslog severity), used last
    frame: object = None  # the wrapper's ``Peeled`` view of the line, when it was wrapped
