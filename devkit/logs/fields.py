"""One registry of the field names that mean the same thing across log formats.

Formats spell a request's ID ``corrId``, ``@fields.corrId``, ``request_id``, ``trace.id``, ...;
an HTTP status ``status`` or ``http.response.status_code``; a duration ``rt`` (seconds) or
``duration_ms``. Everything that needs "the correlation ID" or "the status" of an event asks here,
so `--json`, `requests`, the waterfall and the search-server documents agree.
"""

from __future__ import annotations

#: Field names that carry a correlation ID, in order of preference (last dotted component or the
#: whole key). The first one present is the event's ``correlation_id``.
ID_NAMES: tuple[str, ...] = (
    "correlation_id", "corrId", "corr_id", "correlationId", "correlation-id", "corr", "request_id",
    "requestId", "x_request_id", "req_id", "http.request.id", "trace.id", "trace_id", "traceId",
    "transaction.id", "task_id",
)
#: HTTP status of the response an event reports.
STATUS_NAMES: tuple[str, ...] = ("status", "status_code", "http.response.status_code", "response_status",
                                 "http_status")
#: Duration of the work an event reports the end of, with the factor that makes seconds.
DURATION_NAMES: tuple[tuple[str, float], ...] = (
    ("rt", 1.0), ("request_time", 1.0), ("duration", 1.0), ("duration_s", 1.0), ("elapsed", 1.0),
    ("duration_ms", 1e-3), ("elapsed_ms", 1e-3), ("response_time_ms", 1e-3), ("event.duration", 1e-9),
    ("duration_us", 1e-6),
)
#: Where documents from other shippers (Logstash, Filebeat, logspout via syslog) keep a line's
#: stream: records that may continue each other share app/container, host and process.
STREAM_APP_NAMES: tuple[str, ...] = ("syslog.appname", "syslog_program", "program", "container.name", "container_name",
                                     "appname", "ident", "log.file.path")
STREAM_HOST_NAMES: tuple[str, ...] = ("host.name", "host.hostname", "syslog_hostname", "hostname", "logsource", "host",
                                      "containerid")
STREAM_PID_NAMES: tuple[str, ...] = ("syslog.procid", "procid", "syslog_pid", "process.pid", "pid", "proc")
STREAM_PRI_NAMES: tuple[str, ...] = ("syslog_pri", "syslog.pri", "log.syslog.priority", "priority")
#: The line's text in such a document, and an order within one timestamp (Filebeat's log.offset).
MESSAGE_NAMES: tuple[str, ...] = ("message", "@message", "msg", "log")
SEQ_NAMES: tuple[str, ...] = ("log.offset", "offset", "devkit.line", "seq", "sequence")
#: Values of an ID field that do not name a request.
NOT_AN_ID = frozenset({"", "-", "Internal", "internal", "none", "None", "null", "NULL", "0"})

_ID_SET = frozenset(ID_NAMES)
_ID_RANK = {name: i for i, name in enumerate(ID_NAMES)}


def id_name(key: str) -> str | None:
    """The registry name a field key stands for (``@fields.corrId`` -> ``corrId``), or None."""
    if key in _ID_SET:
        return key
    tail = key.rpartition(".")[2]
    if tail in _ID_SET:
        return tail
    return None


def id_fields(fields: dict) -> dict[str, str]:
    """Every ID-like field of an event by its registry name; the first value of a name wins."""
    out: dict[str, str] = {}
    for key, value in fields.items():
        name = id_name(key)
        if name is None or name in out or isinstance(value, bool) or not isinstance(value, (str, int)):
            continue
        text = str(value)
        if text != "":
            out[name] = text
    return out


def _plain_hex(value: str) -> str:
    """OpenTelemetry's console exporter writes IDs as ``0x<hex>``; the ID is the hex digits."""
    if value[:2] in ("0x", "0X") and len(value) > 2 and all(c in "0123456789abcdefABCDEF" for c in value[2:]):
        return value[2:]
    return value


class KeyPlan:
    """Which of an event's keys the registry cares about, worked out once per key set: a log's
    records share their keys, and looking at every key of every event was the cost of a full read."""

    __slots__ = ("ids", "status", "duration")

    def __init__(self, keys: tuple) -> None:
        present = set(keys)
        self.ids = tuple((k, n, _ID_RANK[n]) for k in keys if (n := id_name(k)) is not None)
        self.status = tuple(n for n in STATUS_NAMES if n in present)
        self.duration = tuple((n, f) for n, f in DURATION_NAMES if n in present)


_PLANS: dict[tuple, KeyPlan] = {}


def key_plan(fields: dict) -> KeyPlan:
    keys = tuple(fields)
    plan = _PLANS.get(keys)
    if plan is None:
        if len(_PLANS) > 2048:
            _PLANS.clear()
        plan = _PLANS[keys] = KeyPlan(keys)
    return plan


def correlation_id(fields: dict, ids: tuple[tuple[str, str, int], ...] | None = None) -> str | None:
    """The event's correlation ID: the most specific ID field that holds a real ID.

    Of several keys with one registry name the first with a value counts (as ``id_fields``).
    ``ids``: the key plan's ID keys, when the caller has the plan already.
    """
    seen: set[str] = set()
    best_rank, best = len(ID_NAMES), None
    for key, name, rank in key_plan(fields).ids if ids is None else ids:
        if name in seen:
            continue
        value = fields[key]
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            continue
        text = str(value)
        if text == "":
            continue
        seen.add(name)
        if rank < best_rank and text not in NOT_AN_ID:
            best_rank, best = rank, text
    return None if best is None else _plain_hex(best)


def normalised(fields: dict) -> tuple[str | None, int | None, float | None]:
    """(correlation ID, status, duration) from one look at the keys: what a JSON line shows."""
    plan = key_plan(fields)
    return (correlation_id(fields, plan.ids) if plan.ids else None, status(fields, plan.status) if plan.status else None,
            duration(fields, plan.duration) if plan.duration else None)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def status(fields: dict, names: tuple[str, ...] | None = None) -> int | None:
    """The HTTP status an event logs (100-599), if any (``names``: the candidates to look at)."""
    for name in key_plan(fields).status if names is None else names:
        value = _number(fields.get(name))
        if value is not None and 100 <= value < 600 and value == int(value):
            return int(value)
    return None


def duration(fields: dict, names: tuple[tuple[str, float], ...] | None = None) -> float | None:
    """Seconds of work that ended at the event's time, if its format logs it."""
    for name, factor in key_plan(fields).duration if names is None else names:
        value = _number(fields.get(name))
        if value is not None and value >= 0:
            return value * factor
    return None
