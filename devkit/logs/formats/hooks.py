"""The few steps a format definition cannot say as data, by name.

A hook gets the record being built and the regex match (None for JSON formats) and may fill
fields, message, level, status or duration. Keep them small: each is named in a definition.
"""

from __future__ import annotations

import re
from typing import Callable

from devkit.lazyre import lazy
from devkit.logs.formats.record import Record

Hook = Callable[[Record, "re.Match | None"], None]
HOOKS: dict[str, Hook] = {}

_KV = lazy(r'([A-Za-z_][\w.\-]*)=("[^"\\]*(?:\\.[^"\\]*)*"|\S*)')
_BARE_NUMBER = lazy(r"\d+(?:\.\d+)?\Z")
_BARE_ID = lazy(r"[0-9a-fA-F][0-9a-fA-F-]{15,}\Z")
_LEVEL_OPENING = lazy(r"\[?(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|FATAL|CRITICAL|CRIT|SEVERE)\b\]?")
_CELERY_TASK = lazy(r"(?:Task |Discarding revoked task: |Revoking task )?(?P<task>[\w.:-]+)\[(?P<task_id>[0-9A-Za-z-]{8,})\]"
                    r":? ?(?P<what>\w+)?")
_CELERY_STATES = {"received": "RECEIVED", "succeeded": "SUCCESS", "raised": "FAILURE", "retry": "RETRY",
                  "revoked": "REVOKED", "rejected": "REJECTED", "ignored": "IGNORED"}
_CELERY_DONE = lazy(r"succeeded in (?P<secs>\d+(?:\.\d+)?)s")
_OTEL_CTX = lazy(r"trace_id=(?P<trace_id>\w+) span_id=(?P<span_id>\w+)(?: resource\.service\.name=(?P<svc>[^\s\]]*))?")


def hook(name: str) -> Callable[[Hook], Hook]:
    def register(fn: Hook) -> Hook:
        HOOKS[name] = fn
        return fn
    return register


@hook("level-from-status")
def _level_from_status_py(rec: Record, m: re.Match | None) -> None:
    """Access logs: 5xx is an error, 4xx a warning."""
    if rec.status is not None and rec.level is None:
        rec.level = "ERROR" if rec.status >= 500 else "WARNING" if rec.status >= 400 else "INFO"


@hook("access-tail")
def _access_tail_py(rec: Record, m: re.Match | None) -> None:
    """``key=value`` fields after a combined log line, and bare trailing values.

    A bare decimal is a duration in seconds (gunicorn ``%(L)s``, nginx ``$request_time``), a bare
    integer microseconds (gunicorn/Apache ``%(D)s``/``%D``), a long hex/UUID token a request ID.
    """
    rest = (rec.fields.pop("rest", "") or "").strip()
    fields = rec.fields
    extras = []
    gaps = []  # the text between the pairs: what is left is bare values
    end = 0
    for kv in _KV.finditer(rest):
        key, value = kv.groups()
        fields[key] = value[1:-1] if value.startswith('"') else value
        extras.append(f"{key}={value}")
        gaps.append(rest[end:kv.start()])
        end = kv.end()
    gaps.append(rest[end:])
    for token in "".join(gaps).split():
        token = token.strip('"')
        if _BARE_NUMBER.match(token) and rec.duration is None:
            rec.duration = float(token) if "." in token else int(token) / 1e6
        elif _BARE_ID.match(token) and "request_id" not in fields:
            fields["request_id"] = token
    msec = fields.get("msec")  # nginx $msec: the end of the request to the millisecond
    if isinstance(msec, str) and msec.replace(".", "", 1).isdigit():
        rec.ts, rec.ts_text = float(msec), None
    request = fields.get("request", "")
    rec.message = f'{fields.get("remote_addr", "-")} "{request}" {rec.status} {fields.get("body_bytes_sent", "-")}'
    if extras:
        rec.message += " " + " ".join(extras)


@hook("level-in-message")
def _level_in_message(rec: Record, m: re.Match | None) -> None:
    if rec.level is None:
        lm = _LEVEL_OPENING.match(rec.message)
        if lm:
            from devkit.logs.formats.record import normalize_level

            rec.level = normalize_level(lm.group(1))


_LEVEL_ANYWHERE = lazy(r"\b(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|FATAL|CRITICAL|CRIT|SEVERE)\b")


@hook("level-near-start")
def _level_near_start(rec: Record, m: re.Match | None) -> None:
    """A level word in the first 60 characters of the message (``%(asctime)s %(name)s ERROR ...``)."""
    if rec.level is None:
        lm = _LEVEL_ANYWHERE.search(rec.message[:60])
        if lm:
            from devkit.logs.formats.record import normalize_level

            rec.level = normalize_level(lm.group(1))


@hook("oslo-context")
def _oslo_context_py(rec: Record, m: re.Match | None) -> None:
    """``[req-<uuid> user tenant - - -]``: the request ID travels across nova services."""
    ctx = rec.fields.pop("ctx", None)
    if ctx is None:
        return
    parts = ctx.split()
    if parts and parts[0].startswith("req-"):
        rec.fields["request_id"] = parts[0]
        if len(parts) > 1 and parts[1] != "-":
            rec.fields["user"] = parts[1]
        if len(parts) > 2 and parts[2] != "-":
            rec.fields["tenant"] = parts[2]
    else:
        rec.fields["context"] = ctx


@hook("celery-task")
def _celery_task(rec: Record, m: re.Match | None) -> None:
    """``Task tasks.add[<id>] succeeded in 0.01s``: the task ID is the task's correlation ID."""
    tm = _CELERY_TASK.search(rec.message)
    if tm is None:
        return
    rec.fields["task"] = tm["task"]
    rec.fields["task_id"] = tm["task_id"]
    state = _CELERY_STATES.get(tm["what"] or "")
    if rec.message.startswith(("Discarding revoked task", "Revoking task")):
        state = "REVOKED"
    if state:
        rec.fields["task_state"] = state
    done = _CELERY_DONE.search(rec.message, tm.start())
    if done:
        rec.duration = float(done["secs"])


@hook("otel-context")
def _otel_context(rec: Record, m: re.Match | None) -> None:
    """OpenTelemetry's logging instrumentation: ``[trace_id=... span_id=... resource.service.name=...]``."""
    ctx = rec.fields.pop("otel", None)
    if not ctx:
        return
    om = _OTEL_CTX.search(ctx)
    if om:
        rec.fields["trace_id"], rec.fields["span_id"] = om["trace_id"], om["span_id"]
        if om["svc"]:
            rec.service = rec.service or om["svc"]


_STRUCTLOG_QUIET = frozenset({"event", "level", "timestamp", "exception", "logger", "logger_name", "request_id",
                              "correlation_id", "corrId", "trace_id", "span_id", "exc_info", "stack", "stack_info"})


@hook("structlog-extras")
def _structlog_extras_py(rec: Record, m: re.Match | None) -> None:
    """As structlog's console renderer shows it: the event, then its bound key=value pairs."""
    extras = [f"{k}={v}" for k, v in rec.fields.items()
              if k not in _STRUCTLOG_QUIET and "." not in k and not isinstance(v, (dict, list))]
    if extras:
        rec.message = f"{rec.message} " + " ".join(extras)


@hook("json-block")
def _json_block(rec: Record, m: re.Match | None) -> None:
    """``{`` alone on a line: an indented JSON record follows (OpenTelemetry's console exporter)."""
    rec.block = True
    rec.opens = True


try:  # the optional C accelerator (pyproject.toml: ext-modules): the hooks of the busiest formats, held to
    # the definitions above (tests/logs/test_records_accel.py), which they ask where C does not go
    from devkit.logs._records import access_tail, level_from_status, oslo_context, structlog_extras
except ImportError:  # pragma: no cover - built wherever a C compiler is
    pass
else:
    HOOKS.update({"access-tail": access_tail, "level-from-status": level_from_status, "oslo-context": oslo_context,
                  "structlog-extras": structlog_extras})
