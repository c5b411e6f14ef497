"""What a ``devkit load celery`` run should do, checked once before any connection is opened."""

from __future__ import annotations

import json
import math
import os
import re
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import unquote, urlsplit

from devkit.errors import InputError
from devkit.load.bounds import check_run_bounds, check_workers
from devkit.secrets import mask_url_passwords

DEFAULT_BROKER = "amqp://guest:guest@localhost:5672//"
DEFAULT_QUEUE = "celery"
DEFAULT_EVENTS_EXCHANGE = "celeryev"
DEFAULT_CONTROL_EXCHANGE = "celery"
_AMQP_SCHEMES = {"amqp": 5672, "pyamqp": 5672, "librabbitmq": 5672, "amqps": 5671}


@dataclass
class CeleryLoadConfig:
    """Options of ``devkit load celery``; ``count`` or ``duration`` bounds the run."""

    task: str
    args: list = field(default_factory=list)
    kwargs: dict = field(default_factory=dict)
    broker: str = DEFAULT_BROKER
    queue: str = DEFAULT_QUEUE
    exchange: str = ""  # "" is the default exchange, as Celery uses for direct queues
    routing_key: str | None = None
    declare: bool = False
    count: int | None = None
    duration: float | None = None
    rate: float | None = None
    concurrency: int = 1
    window: int = 1000
    countdown: float | None = None
    eta: datetime | None = None
    expires: float | datetime | None = None  # seconds after publishing, or an absolute time
    priority: int | None = None
    result_backend: str | None = None
    events: bool = True
    enable_events: bool = True
    events_exchange: str = DEFAULT_EVENTS_EXCHANGE
    control_exchange: str = DEFAULT_CONTROL_EXCHANGE
    control_timeout: float = 1.0
    wait: float = 60.0
    confirm_timeout: float = 30.0
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    origin: str = field(default_factory=lambda: f"devkit-load-{os.getpid()}@{socket.gethostname()}")

    @property
    def safe_broker(self) -> str:
        return mask_url_passwords(self.broker)

    @property
    def publish_routing_key(self) -> str:
        return self.routing_key if self.routing_key is not None else self.queue

    def validate(self) -> None:
        """Reject contradictory options with one line each, before touching the broker."""
        broker_parts(self.broker)
        if not re.fullmatch(r"[0-9a-f]{12}", self.run_id or ""):
            raise InputError(f"--run-id must be 12 lowercase hex digits (the start of every task ID), got {self.run_id!r}")
        if not self.task or not self.task.strip():
            raise InputError("give the TASK_NAME to send (devkit load celery --inspect lists them)")
        if not isinstance(self.args, list):
            raise InputError(f"--args must be a JSON list, got {type(self.args).__name__}")
        if not isinstance(self.kwargs, dict):
            raise InputError(f"--kwargs must be a JSON object, got {type(self.kwargs).__name__}")
        check_run_bounds(self.count, self.duration, self.rate)
        check_workers("--concurrency", self.concurrency, self.count)
        if self.window < 1:
            raise InputError(f"--window must be at least 1, got {self.window}")
        if self.countdown is not None and self.eta is not None:
            raise InputError("use either --countdown or --eta, not both")
        if self.countdown is not None and not (self.countdown >= 0 and math.isfinite(self.countdown)):
            raise InputError(f"--countdown must be 0 or more seconds, got {self.countdown}")
        if isinstance(self.expires, (int, float)) and not (self.expires > 0 and math.isfinite(self.expires)):
            raise InputError(f"--expires must be a positive number of seconds or a time, got {self.expires}")
        if self.priority is not None and not 0 <= self.priority <= 255:
            raise InputError(f"--priority must be 0..255, got {self.priority}")
        if not self.queue and not self.exchange:
            raise InputError("give a --queue or an --exchange to publish to")
        if self.result_backend is not None:
            parse_backend(self.result_backend)
        if not self.events and self.result_backend is None:
            raise InputError("--no-events needs --result-backend: nothing else tells what became of the tasks")
        for name, value in (("--wait", self.wait), ("--control-timeout", self.control_timeout),
                            ("the confirm timeout", self.confirm_timeout)):
            if not value > 0:
                raise InputError(f"{name} must be positive, got {value}")


def broker_parts(url: str) -> dict:
    """host, port, vhost, user, password and TLS of a Celery broker URL, read as kombu reads it.

    kombu takes everything after the first ``/`` as the vhost, so Celery's usual
    ``amqp://...:5672//`` means vhost ``/`` (pika alone would read it as the empty vhost).
    """
    safe = mask_url_passwords(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InputError(f"--broker has a bad host or port: {safe!r}") from None
    scheme = parts.scheme.lower()
    if scheme not in _AMQP_SCHEMES:
        hint = " (devkit load celery speaks AMQP: RabbitMQ brokers only)" if scheme else ""
        raise InputError(f"--broker must be a RabbitMQ URL such as amqp://localhost:5672//, got {safe!r}{hint}")
    return {
        "host": parts.hostname or "localhost",
        "port": port or _AMQP_SCHEMES[scheme],
        "vhost": unquote(parts.path[1:]) or "/",
        "user": unquote(parts.username) if parts.username is not None else "guest",
        "password": unquote(parts.password) if parts.password is not None else "guest",
        "tls": scheme == "amqps",
    }


def parse_backend(url: str) -> tuple[str, str | None]:
    """``("rpc", None)`` or ``("file", directory)`` for the result backends devkit can read."""
    text = url.strip()
    if text.startswith("rpc://"):
        return "rpc", None
    if text.startswith("file://"):
        # The same rule as Celery's FilesystemBackend: file://localhost/x or file:///x.
        path = text[16:] if text.startswith("file://localhost/") else text[7:]
        if not path:
            raise InputError(f"--result-backend {url!r} names no directory (file:///var/celery/results)")
        if not os.path.isdir(path):
            raise InputError(f"--result-backend directory {path} does not exist")
        return "file", path
    raise InputError(f"--result-backend must be rpc:// or file:///path, got {mask_url_passwords(url)!r} "
                     "(other backends: track with the events alone)")


def parse_json_arg(text: str | None, name: str, kind: type):
    """``--args '[2, 3]'`` / ``--kwargs '{"x": 1}'`` as Python values, with a one-line error."""
    if text is None:
        return kind()
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name} is not valid JSON ({exc.msg} at column {exc.colno}): {text!r}") from None
    if not isinstance(value, kind):
        want = "a list like [2, 3]" if kind is list else 'an object like {"x": 1}'
        raise InputError(f"{name} must be {want}, got {text!r}")
    return value


def parse_when(text: str, name: str) -> datetime:
    """An ISO 8601 time; without a zone it is local time (as ``date`` shows it)."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{name} must be an ISO 8601 time like 2026-11-20T09:13:21+00:00, got {text!r}") from None
    if value.tzinfo is None:
        value = value.astimezone()
    return value.astimezone(timezone.utc)


def parse_expires(text: str | None) -> float | datetime | None:
    """``--expires 30`` (seconds after each task is sent) or ``--expires 2026-11-20T10:00:00Z``."""
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return parse_when(text, "--expires")
