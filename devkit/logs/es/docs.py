"""Events to search-server documents and back.

A shipped event is one document: the ``--json`` event shape (``@timestamp``, ``service``, ``level``,
``message``, ``traceback``, ``format``), its fields kept whole but unindexed under ``fields``
(fields of different log formats would clash in one mapping), the correlation-ID-like fields
copied to the top level as keywords so a query finds them, and ``devkit.*`` to rebuild the event
exactly (source, line numbers, the precise time).

Documents devkit did not write (Logstash, logspout, Filebeat: often one line per document) become
``Record``s for the engine's ``Segmenter``, with a stream key (host, program, pid) so a traceback
split over many documents is joined again.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from devkit.logs.event import Event
from devkit.logs.fields import (
    ID_NAMES,
    MESSAGE_NAMES,
    SEQ_NAMES,
    STREAM_APP_NAMES,
    STREAM_HOST_NAMES,
    STREAM_PID_NAMES,
    STREAM_PRI_NAMES,
    id_fields,
)
from devkit.logs.formats import Record, flatten, parse_json, parse_line
from devkit.logs.timestamps import Zone, format_utc, parse_timestamp

#: Where the trace query looks for an ID when ``--field`` is not given.
QUERY_FIELDS = (*ID_NAMES, *(f"@fields.{n}" for n in ID_NAMES if "." not in n), *(f"fields.{n}" for n in ID_NAMES
                if "." not in n), "message", "traceback", "@message", "msg", "log", "event", "error.stack_trace",
                "exception", "@fields.exception")

_STREAM_APP, _STREAM_HOST, _STREAM_PID, _STREAM_PRI = STREAM_APP_NAMES, STREAM_HOST_NAMES, STREAM_PID_NAMES, STREAM_PRI_NAMES
_MESSAGE = MESSAGE_NAMES
SEQ_FIELDS = SEQ_NAMES


def doc_id(source: str, first_line: int) -> str:
    """Stable id from the source as given and the event's first line: re-shipping overwrites."""
    return hashlib.sha1(f"{source}\0{first_line}".encode("utf-8", "replace")).hexdigest()


def event_to_doc(ev: Event) -> dict:
    """The document ``logs ship`` writes for one stitched event."""
    doc: dict[str, Any] = {
        "@timestamp": format_utc(ev.ts),  # milliseconds, as a date field keeps; devkit.ts has the rest
        "service": ev.service,
        "level": ev.level,
        "format": ev.format,
        "wrapper": ev.wrapper,
        "message": ev.message,
        "traceback": ev.traceback,
        "fields": ev.fields,
        "devkit": {"source": ev.source, "line": ev.line, "lines": ev.lines, "line_numbers": ev.line_numbers,
                   "ts": ev.ts, "ts_inherited": ev.ts_inherited},
    }
    doc.update(id_fields(ev.fields))
    if ev.correlation_id:
        doc["correlation_id"] = ev.correlation_id
    return doc


def index_mapping() -> dict:
    """Mapping for an index ``logs ship`` creates: IDs exact, text searchable, fields stored only."""
    return {
        "dynamic_templates": [
            {"ids": {"match_mapping_type": "string", "mapping": {"type": "keyword", "ignore_above": 1024}}},
        ],
        "properties": {
            "@timestamp": {"type": "date"},
            "message": {"type": "text"},
            "traceback": {"type": "text"},
            "service": {"type": "keyword"},
            "level": {"type": "keyword"},
            "format": {"type": "keyword"},
            "wrapper": {"type": "keyword"},
            "fields": {"type": "object", "enabled": False},
            # read back from _source only: indexing it (numbers especially) tripled osmem's CPU per document
            "devkit": {"type": "object", "enabled": False},
        },
    }


def hit_source_name(hit: dict) -> str:
    return f"{hit.get('_index', '?')}/{hit.get('_id', '?')}"


def is_devkit_doc(src: dict) -> bool:
    dk = src.get("devkit")
    return isinstance(dk, dict) and isinstance(dk.get("line_numbers"), list) and bool(dk["line_numbers"])


def shipped_event(hit: dict, zone: Zone, index: int = 0) -> Event:
    """A document ``logs ship`` wrote, back as the event it came from."""
    src = hit.get("_source") or {}
    dk = src["devkit"]
    ts = dk.get("ts")
    if not isinstance(ts, (int, float)) or isinstance(ts, bool):
        ts = parse_timestamp(src.get("@timestamp"), zone)
    fields = src.get("fields") if isinstance(src.get("fields"), dict) else {}
    raw = json.dumps(src, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    ev = Event(hit_source_name(hit), [int(n) for n in dk["line_numbers"]], [raw], str(src.get("format") or "json"),
               ts, src.get("level"), src.get("service"), str(src.get("message") or ""), src.get("traceback") or None,
               fields, index, bool(dk.get("ts_inherited")),
               wrapper=src.get("wrapper") if isinstance(src.get("wrapper"), str) else None)
    ev.normalise()
    return ev


def _first(flat: dict, keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = flat.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


def doc_record(src: dict, zone: Zone) -> tuple[Record, str]:
    """A foreign document as the record the engine would have parsed, and its line text.

    Never None: a document is always a record of its own unless it carries a stream key
    (host/program/pid), in which case a traceback line may join the open event of that stream.
    """
    from devkit.logs.formats import (
        syslog_record,  # the same rules a syslog line gets in a file
    )

    flat = flatten(src)
    message = _first(flat, _MESSAGE)
    text = message if isinstance(message, str) else json.dumps(src, ensure_ascii=False, default=str)
    first_line = text.split("\n", 1)[0]
    if isinstance(message, str) and message[:1] == "<":
        rec = parse_line(message, zone)
        if rec is not None and rec.stream is not None:
            return rec, message
    app = _first(flat, _STREAM_APP)
    if isinstance(message, str) and app is not None:
        host = str(_first(flat, _STREAM_HOST) or "-")
        pid = str(_first(flat, _STREAM_PID) or "-")
        ts = parse_timestamp(flat.get("@timestamp", flat.get("timestamp")), zone)
        extra = {k: v for k, v in flat.items() if k not in _MESSAGE}
        pri = _first(flat, _STREAM_PRI)
        pri = str(pri) if isinstance(pri, int) or (isinstance(pri, str) and pri.isdigit()) else None
        rec = syslog_record(pri, ts, host, str(app), pid, message, "syslog", zone, extra)
        return rec, message
    rec = parse_json(json.dumps(src, ensure_ascii=False, default=str), zone)
    if rec is None:  # not reachable for a dict, but never drop a document
        rec = Record("json", parse_timestamp(flat.get("@timestamp"), zone), message=first_line, fields=flat)
    if rec.ts is None:
        rec.ts = parse_timestamp(flat.get("@timestamp"), zone)
    rec.opens = True
    return rec, text


def seq_of(src: dict) -> float:
    """An order within one timestamp, where the shipper recorded one (Filebeat's log.offset)."""
    flat = flatten(src) if any(isinstance(v, dict) for v in src.values()) else src
    for key in SEQ_FIELDS:
        value = flat.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return 0.0
