"""Celery's wire format, written and read without Celery: task messages (protocol 2),
events, result metadata and remote-control (pidbox) messages, all JSON.

devkit speaks this with pika instead of importing celery/kombu, so it loads a team's workers
without their app, their settings or their Celery version (protocol 2 is what every worker
since Celery 4 reads).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

#: States Celery defines; anything else a task reports (``update_state``) is a custom state.
STANDARD_STATES = frozenset({"PENDING", "RECEIVED", "STARTED", "SUCCESS", "FAILURE", "RETRY", "REVOKED", "REJECTED"})
JSON = "application/json"
_EXC_NAME = re.compile(r"^\s*([A-Za-z_][\w.]*)")


class TaskIds:
    """Task IDs of one run: UUID-shaped (version-4 layout), unique per run, and numbered.

    ``<12 random hex digits of the run>-4000-8000-<sequence in hex>``: events and results
    are matched to a task by parsing its ID, with no table of a million UUIDs to look up.
    """

    def __init__(self, run_id: str) -> None:
        digits = (re.sub(r"[^0-9a-f]", "", run_id.lower()) + "0" * 12)[:12]
        self.prefix = f"{digits[:8]}-{digits[8:12]}-"

    def make(self, seq: int) -> str:
        return f"{self.prefix}4000-8000-{seq:012x}"

    def seq(self, task_id) -> int:
        """The sequence number of one of this run's IDs, else -1 (another client's task)."""
        if not isinstance(task_id, str) or len(task_id) != 36 or not task_id.startswith(self.prefix):
            return -1
        try:
            return int(task_id[24:], 16)
        except ValueError:
            return -1


def iso_utc(epoch: float) -> str:
    """``2026-11-20T09:13:21.734000+00:00``: what Celery writes for eta/expires."""
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="microseconds")


def task_headers(task: str, args: list, kwargs: dict, origin: str) -> dict:
    """Protocol-2 headers, as ``app.amqp.as_task_v2`` builds them; the ID fields are set per task."""
    return {
        "lang": "py",
        "task": task,
        "id": "",
        "shadow": None,
        "eta": None,
        "expires": None,
        "group": None,
        "group_index": None,
        "retries": 0,
        "timelimit": [None, None],
        "root_id": "",
        "parent_id": None,
        "argsrepr": _saferepr(tuple(args)),
        "kwargsrepr": _saferepr(kwargs),
        "origin": origin,
        "ignore_result": False,
        "replaced_task_nesting": 0,
        "stamped_headers": None,
        "stamps": {},
    }


def task_body(args: list, kwargs: dict) -> bytes:
    """``[args, kwargs, embed]``, the body every protocol-2 worker decodes."""
    embed = {"callbacks": None, "errbacks": None, "chain": None, "chord": None}
    return json.dumps([args, kwargs, embed]).encode("utf-8")


def _saferepr(value, limit: int = 1024) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def exception_name(text) -> str:
    """``ValueError('boom')`` -> ``ValueError``; the type Celery puts first in its repr."""
    match = _EXC_NAME.match(text) if isinstance(text, str) else None
    return match.group(1) if match else "unknown"


def decode_json(body: bytes):
    """A JSON message body, or None when it is not JSON (pickle or msgpack serializers)."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def meta_time(meta: dict) -> float | None:
    """Epoch seconds of a result's ``date_done`` when it carries a zone, else None."""
    text = meta.get("date_done")
    if not isinstance(text, str):
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.timestamp() if when.tzinfo is not None else None


def control_message(method: str, arguments: dict, ticket: str, reply_exchange: str, reply_key: str,
                    destination: list[str] | None = None) -> bytes:
    """A pidbox broadcast, as ``app.control`` sends it, asking for replies under *ticket*."""
    return json.dumps({
        "method": method,
        "arguments": arguments,
        "destination": destination,
        "pattern": None,
        "matcher": None,
        "ticket": ticket,
        "reply_to": {"exchange": reply_exchange, "routing_key": reply_key},
    }).encode("utf-8")
