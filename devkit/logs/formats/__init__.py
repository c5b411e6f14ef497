"""Log formats as data (``text.py``, ``jsonlines.py``) and the engine that reads lines with them.

A line is first offered to the wrappers (``devkit.logs.wrappers``), then its payload to the JSON
and text format definitions, in order. Lines no definition claims are continuation lines
(tracebacks, stack traces) or plain text; they are never dropped. Layouts follow
``shared/reference/formats.md``.
"""

from __future__ import annotations

from devkit.logs.formats.engine import flatten, parse_json, parse_payload, traceback_text
from devkit.logs.formats.record import LEVELS, SYSLOG_SEVERITY, Record, normalize_level
from devkit.logs.timestamps import Zone


def parse_line(line: str, zone: Zone) -> Record | None:
    """The record this line starts (wrappers peeled), or None for a continuation/unknown line."""
    from devkit.logs.rules import Classifier

    return Classifier(zone).text(line)


def parse_inner(msg: str, zone: Zone) -> Record | None:
    """The application record inside a wrapper's payload, if it is one devkit knows."""
    return parse_payload(msg, zone)


def syslog_record(pri: str | None, ts: float | None, host: str, app: str, procid: str, msg: str,
                  fmt: str, zone: Zone, extra: dict, ts_text: str | None = None) -> Record:
    """A syslog record from its parts (a search-server document's fields), as a file line gives it."""
    from devkit.logs.rules import combine
    from devkit.logs.wrappers import syslog_peeled

    return combine(syslog_peeled(pri, ts, ts_text, host, app, procid, msg, fmt, extra), parse_payload(msg, zone))


def looks_like_continuation(msg: str, in_traceback: bool) -> bool:
    from devkit.logs.rules import looks_like_continuation as rule

    return rule(msg, in_traceback)


__all__ = ["LEVELS", "SYSLOG_SEVERITY", "Record", "normalize_level", "flatten", "parse_json", "parse_line",
           "parse_inner", "parse_payload", "syslog_record", "looks_like_continuation", "traceback_text"]
