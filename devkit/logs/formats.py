"""Per-line format detection: each format is a small parser tried in order.

A parser takes one decoded line and returns a ``Record`` when the line *starts* a record of its
format, else None. Lines no parser claims are continuation lines (tracebacks, stack traces) or
plain text; they are never dropped. Layouts follow ``shared/reference/formats.md``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Callable

from devkit.logs.timestamps import (
    ISO_PATTERN,
    Zone,
    bsd_to_epoch,
    clf_to_epoch,
    iso_match_to_epoch,
    parse_timestamp,
)

LEVELS = {
    "TRACE": "DEBUG", "DEBUG": "DEBUG", "INFO": "INFO", "NOTICE": "INFO", "WARN": "WARNING",
    "WARNING": "WARNING", "ERROR": "ERROR", "ERR": "ERROR", "EXCEPTION": "ERROR", "FATAL": "CRITICAL",
    "CRITICAL": "CRITICAL", "CRIT": "CRITICAL", "ALERT": "CRITICAL", "EMERG": "CRITICAL",
    "EMERGENCY": "CRITICAL", "SEVERE": "ERROR",
}
_SYSLOG_SEVERITY = ["CRITICAL", "CRITICAL", "CRITICAL", "ERROR", "WARNING", "INFO", "INFO", "DEBUG"]


@dataclass
class Record:
    """What one record-starting line says about itself."""

    format: str
    ts: float | None = None
    level: str | None = None
    message: str = ""
    fields: dict = field(default_factory=dict)
    service: str | None = None
    traceback: str | None = None
    stream: tuple | None = None  # syslog (host, app, procid): records that may continue each other
    stream_msg: str | None = None  # the message inside a syslog record
    opens: bool = False  # certainly starts an event (never a continuation)
    ts_text: str | None = None  # the timestamp as written (naive? whole seconds?), None for epoch numbers


def normalize_level(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, int):
        return {10: "DEBUG", 20: "INFO", 30: "WARNING", 40: "ERROR", 50: "CRITICAL"}.get(value)
    return LEVELS.get(str(value).strip().upper())


# --- JSON ------------------------------------------------------------------------------------

_JSON_TS_KEYS = ("@timestamp", "timestamp", "time", "ts", "asctime", "datetime", "date", "t")
_JSON_MSG_KEYS = ("message", "@message", "msg", "event", "log")
_JSON_LEVEL_KEYS = ("level", "levelname", "log.level", "severity", "loglevel", "lvl",
                    "@fields.levelname", "log_level")
_JSON_SERVICE_KEYS = ("service.name", "service", "@fields.service", "app", "application",
                      "service_name", "syslog.appname", "program", "container_name")
_STRUCTLOG_QUIET = {"event", "level", "timestamp", "exception", "logger", "logger_name", "request_id",
                    "correlation_id", "corrId", "trace_id", "span_id", "exc_info", "stack", "stack_info"}
_JSON_TB_KEYS = ("exception", "@fields.exception", "exc_info", "exc_text", "stack_info",
                 "@fields.stack_info", "error.stack_trace", "stack_trace", "stacktrace",
                 "error.stack", "traceback")


def flatten(obj: dict, prefix: str = "", out: dict | None = None) -> dict:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; lists stay values."""
    out = {} if out is None else out
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flatten(value, name + ".", out)
        else:
            out[name] = value
    return out


def _traceback_text(value: object) -> str | None:
    if value in (None, "", [], False, True):
        return None
    if isinstance(value, list):
        text = "".join(str(v) for v in value)
    else:
        text = str(value)
    text = text.rstrip("\n")
    return text or None


def parse_json(line: str, zone: Zone) -> Record | None:
    if not line.startswith("{"):
        return None
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(obj, dict):
        return None
    flat = flatten(obj)
    ts = None
    created = flat.get("@fields.created", flat.get("created"))
    if isinstance(created, (int, float)) and not isinstance(created, bool):
        ts = float(created)  # logstash_formatter v0: the real record time, not formatting time
    ts_text = None
    if ts is None:
        for key in _JSON_TS_KEYS:
            if key in flat:
                ts = parse_timestamp(flat[key], zone)
                if ts is not None:
                    ts_text = flat[key] if isinstance(flat[key], str) else None
                    break
    message = next((flat[k] for k in _JSON_MSG_KEYS if isinstance(flat.get(k), str)), None)
    level = next((normalize_level(flat[k]) for k in _JSON_LEVEL_KEYS if k in flat), None)
    service = next((str(flat[k]) for k in _JSON_SERVICE_KEYS if isinstance(flat.get(k), str) and flat[k]), None)
    tb = None
    for key in _JSON_TB_KEYS:
        tb = _traceback_text(flat.get(key))
        if tb:
            break
    if message is None:
        message = line
    fmt = "json"
    if "@fields" in obj or "@message" in obj:
        fmt = "logstash-v0"
    elif obj.get("@version") in (1, "1"):
        fmt = "logstash-v1"
    elif "ecs.version" in flat or "log.level" in flat:
        fmt = "ecs"
    elif "event" in obj and "message" not in obj:
        fmt = "structlog"
        # as structlog's console renderer shows it: the event, then its bound key=value pairs
        extras = [f"{k}={v}" for k, v in obj.items() if k not in _STRUCTLOG_QUIET and not isinstance(v, (dict, list))]
        if isinstance(message, str) and extras:
            message = f"{message} " + " ".join(extras)
    if level is None and tb:
        level = "ERROR"
    return Record(fmt, ts, level, message, flat, service.lstrip("/") if service else None, tb, ts_text=ts_text)


# --- syslog ------------------------------------------------------------------------------------

_RFC5424 = re.compile(
    r"<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[(?:[^\]\\]|\\.)*\])+) ?(.*)\Z", re.S
)
_RFC3164 = re.compile(
    r"(?:<(\d{1,3})>)?([A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}(?:\.\d+)?) (\S+) ([^\s\[:]+)(?:\[([^\]]*)\])?: ?(.*)\Z",
    re.S,
)
_BSD_TS = re.compile(r"([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?")
_ISO_FULL = re.compile(ISO_PATTERN)


def syslog_record(pri: str | None, ts: float | None, host: str, app: str, procid: str, msg: str,
                  fmt: str, zone: Zone, extra: dict, ts_text: str | None = None) -> Record:
    """A syslog record from its parts (a file line, or a search-server document's fields)."""
    app = app.lstrip("/")
    inner = parse_inner(msg, zone)
    level = None  # logspout's PRI only says stdout/stderr; the stitcher falls back to it last
    fields = {"syslog.host": host, "syslog.app": app, "syslog.procid": procid, **extra}
    if pri:
        fields["syslog.pri"] = int(pri)
        fields["syslog.severity"] = _SYSLOG_SEVERITY[int(pri) % 8]
    message, tb, service = msg, None, app or None
    if inner is not None:
        fields.update(inner.fields)
        message = inner.message
        tb = inner.traceback
        level = inner.level or level
        service = inner.service or service
        if inner.ts is not None and (ts is None or abs(inner.ts - ts) < 1.5):
            ts = inner.ts  # stock logspout sends whole seconds; the app's own stamp is finer
            ts_text = inner.ts_text
    return Record(fmt, ts, level, message, fields, service, tb, (host, app, procid), msg, inner is not None,
                  ts_text)


def parse_rfc5424(line: str, zone: Zone) -> Record | None:
    if not line.startswith("<"):
        return None
    m = _RFC5424.match(line)
    if not m:
        return None
    pri, stamp, host, app, procid, msgid, sd, msg = m.groups()
    tsm = _ISO_FULL.match(stamp)
    ts = iso_match_to_epoch(tsm, zone) if tsm else None
    extra = {"syslog.msgid": msgid} if msgid != "-" else {}
    if sd != "-":
        extra["syslog.sd"] = sd
    return syslog_record(pri, ts, host, app, procid, msg, "syslog-rfc5424", zone, extra, stamp)


def parse_rfc3164(line: str, zone: Zone) -> Record | None:
    c = line[:1]
    if not (c == "<" or ("A" <= c <= "Z")):
        return None
    m = _RFC3164.match(line)
    if not m:
        return None
    pri, stamp, host, tag, pid, msg = m.groups()
    bm = _BSD_TS.match(stamp)
    ts = bsd_to_epoch(bm, zone) if bm else None
    return syslog_record(pri, ts, host, tag, pid or "-", msg, "syslog-rfc3164", zone, {}, stamp)


# --- text formats ------------------------------------------------------------------------------

_LEVEL_WORD = r"(?P<level>TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|FATAL|CRITICAL|CRIT|SEVERE)"
_CORRID_FIRST = re.compile(
    r"(?P<corr>[^\s]+) - " + ISO_PATTERN + r" - (?P<file>[^ ]+) - (?P<func>[^ ]+) - (?P<msg>.*)\Z", re.S
)
_OSLO = re.compile(
    ISO_PATTERN + r" (?P<pid>\d+) " + _LEVEL_WORD + r" (?P<logger>\S+) (?:\[(?P<ctx>[^\]]*)\] ?)?(?P<msg>.*)\Z",
    re.S,
)
_TS_FIRST = re.compile(
    r"\[?" + ISO_PATTERN + r"\]?(?P<sep>[ :|,\-\]]+)(?:\[?" + _LEVEL_WORD + r"\]?(?:[ :|\-\]]+|\Z))?(?P<msg>.*)\Z",
    re.S,
)
_ACCESS = re.compile(
    r'(?P<remote>\S+) (?P<ident>\S+) (?P<user>\S+) \[(?P<time>[^\]]+)\] "(?P<request>(?:[^"\\]|\\.)*)" '
    r'(?P<status>\d{3}) (?P<bytes>\S+)(?: "(?P<referer>(?:[^"\\]|\\.)*)" "(?P<agent>(?:[^"\\]|\\.)*)")?(?P<rest>.*)\Z',
    re.S,
)
_KV = re.compile(r'([A-Za-z_][\w.\-]*)=("(?:[^"\\]|\\.)*"|\S*)')
_CLF_TS = re.compile(r"(\d{2})/([A-Z][a-z]{2})/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?: ([+-]\d{4}))?")
_LEVEL_SEARCH = re.compile(r"\b" + _LEVEL_WORD + r"\b")


def _stamp(m: re.Match) -> str:
    """The text of the ``ISO_PATTERN`` part of a match."""
    return m.string[m.start("y"):m.end("tz") if m["tz"] else m.end("frac") if m["frac"] else m.end("s")]


def _timed_match(regex: re.Pattern, line: str, zone: Zone) -> tuple[re.Match, float] | None:
    """A match of a layout that embeds ``ISO_PATTERN``, and its time; None if either fails."""
    m = regex.match(line)
    if not m:
        return None
    ts = iso_match_to_epoch(m, zone)
    return None if ts is None else (m, ts)


def parse_corrid_first(line: str, zone: Zone) -> Record | None:
    """The seed's ``%(corrId)s - %(asctime)s - %(filename)s - %(funcName)s - %(message)s``."""
    if " - " not in line[:200]:
        return None
    found = _timed_match(_CORRID_FIRST, line, zone)
    if found is None:
        return None
    m, ts = found
    msg = m["msg"]
    lm = _LEVEL_SEARCH.match(msg)
    fields = {"corrId": m["corr"], "filename": m["file"], "funcName": m["func"]}
    return Record("python-corrid", ts, normalize_level(lm["level"]) if lm else None, msg, fields,
                  ts_text=_stamp(m))


def parse_oslo(line: str, zone: Zone) -> Record | None:
    """OpenStack oslo.log: ``date time.ms PID LEVEL logger [req-... user tenant - - -] message``."""
    found = _timed_match(_OSLO, line, zone)
    if found is None:
        return None
    m, ts = found
    fields: dict = {"pid": int(m["pid"]), "logger": m["logger"]}
    ctx = m["ctx"]
    msg = m["msg"]
    # oslo repeats "ts pid ERROR logger" before every traceback line, without the [context]:
    # those lines continue the record of the same process and logger.
    stream = ("oslo", fields["pid"], m["logger"])
    if ctx:
        parts = ctx.split()
        if parts and parts[0].startswith("req-"):
            fields["request_id"] = parts[0]
            if len(parts) > 1 and parts[1] != "-":
                fields["user"] = parts[1]
            if len(parts) > 2 and parts[2] != "-":
                fields["tenant"] = parts[2]
        else:
            fields["context"] = ctx
    return Record("oslo", ts, normalize_level(m["level"]), msg, fields, stream=stream, stream_msg=msg,
                  opens=ctx is not None, ts_text=_stamp(m))


def parse_timestamp_first(line: str, zone: Zone) -> Record | None:
    """Any line that begins with an ISO-like timestamp (Python logging ``%(asctime)s ...`` etc.)."""
    found = _timed_match(_TS_FIRST, line, zone)
    if found is None:
        return None
    m, ts = found
    msg = m["msg"]
    level = normalize_level(m["level"]) if m["level"] else None
    if level is None:
        lm = _LEVEL_SEARCH.search(msg[:60])
        if lm:
            level = normalize_level(lm["level"])
    return Record("timestamped", ts, level, msg, {}, ts_text=_stamp(m))


def parse_access(line: str, zone: Zone) -> Record | None:
    """nginx/Apache combined log, with any ``key=value`` fields after it."""
    if " [" not in line[:120]:
        return None
    m = _ACCESS.match(line)
    if not m:
        return None
    tm = _CLF_TS.match(m["time"])
    ts = clf_to_epoch(tm, zone) if tm else None
    status = int(m["status"])
    fields: dict = {"remote_addr": m["remote"], "request": m["request"], "status": status,
                    "body_bytes_sent": m["bytes"]}
    if m["user"] != "-":
        fields["remote_user"] = m["user"]
    if m["referer"] is not None:
        fields["http_referer"] = m["referer"]
        fields["http_user_agent"] = m["agent"]
    rest = m["rest"] or ""
    for key, value in _KV.findall(rest):
        fields[key] = value[1:-1] if value.startswith('"') else value
    level = "ERROR" if status >= 500 else "WARNING" if status >= 400 else "INFO"
    ts_text = m["time"]
    msec = fields.get("msec")  # nginx $msec: the end of the request to the millisecond (devkit gen nginx logs it)
    if isinstance(msec, str) and msec.replace(".", "", 1).isdigit():
        ts, ts_text = float(msec), None
    extras = " ".join(f"{k}={v}" for k, v in _KV.findall(rest))
    message = f'{m["remote"]} "{m["request"]}" {status} {m["bytes"]}' + (f" {extras}" if extras else "")
    return Record("access", ts, level, message, fields, ts_text=ts_text)


Parser = Callable[[str, Zone], "Record | None"]

#: Tried in order; the first that claims a line wins. Cheap prefix checks come first in each.
PARSERS: list[tuple[str, Parser]] = [
    ("json", parse_json),
    ("syslog-rfc5424", parse_rfc5424),
    ("python-corrid", parse_corrid_first),
    ("oslo", parse_oslo),
    ("timestamped", parse_timestamp_first),
    ("access", parse_access),
    ("syslog-rfc3164", parse_rfc3164),
]
_INNER = [p for name, p in PARSERS if not name.startswith("syslog")]


def parse_line(line: str, zone: Zone) -> Record | None:
    """The record this line starts, or None for a continuation/unknown line."""
    if not line or line[0] in " \t":
        return None
    for _, parser in PARSERS:
        rec = parser(line, zone)
        if rec is not None:
            return rec
    return None


def parse_inner(msg: str, zone: Zone) -> Record | None:
    """The application record inside a syslog message, if it is one devkit knows."""
    if not msg or msg[0] in " \t":
        return None
    for parser in _INNER:
        rec = parser(msg, zone)
        if rec is not None:
            return rec
    return None


# --- continuation of split tracebacks -------------------------------------------------------------

_EXC_LINE = re.compile(r"[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning|Fault|Failure|Timeout)\b(?::.*)?\Z"
                       r"|[a-z_][\w]*(?:\.[\w]+)+(?::.*)?\Z", re.S)
_CONT_PREFIXES = ("Traceback (most recent call last)", "During handling of the above exception",
                  "The above exception was the direct cause", "Caused by:", "Stack trace:",
                  "Exception in thread", "  File ", "    ", "\t", "... ")


def looks_like_continuation(msg: str, in_traceback: bool) -> bool:
    """Would this syslog message be the next line of a split traceback/stack trace?"""
    if msg == "" or msg[0] in " \t":
        return True
    if msg.startswith(_CONT_PREFIXES):
        return True
    if in_traceback and _EXC_LINE.match(msg):
        return True
    return False


def starts_traceback(msg: str) -> bool:
    return msg.startswith(("Traceback (most recent call last)", "Exception in thread", "Caused by:"))
