"""What an AMQP load run should do: validated once, then handed to every worker process."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from devkit.errors import InputError
from devkit.load.bounds import check_run_bounds, check_workers
from devkit.secrets import mask_url_passwords, normalize_url

DEFAULT_URL = "amqp://guest:guest@localhost:5672/%2F"
#: With no --queue/--queues/--exchange a run publishes to a queue of its own, never to a shared
#: name such as task_queue where real work may wait: ``devkit-load-<run-id>``.
RUN_QUEUE_PREFIX = "devkit-load-"
SENT_HEADER = "devkit-sent-ns"  # epoch nanoseconds at publish: end-to-end latency, custom bodies intact
MAX_PRODUCERS = 64  # one OS process and one connection each
MAX_QUEUES = 1000  # each producer publishes to one queue, so at most --producers are used anyway
MAX_QUEUE_NAME = 255  # AMQP short string


@dataclass
class AmqpLoadConfig:
    """Options of ``devkit load amqp``; ``count`` or ``duration`` bounds the run."""

    url: str = DEFAULT_URL
    queue: str | None = None  # None: the run's own queue (unless an --exchange is named)
    queues: list[str] = field(default_factory=list)  # expanded --queues; overrides ``queue``
    exchange: str = ""
    routing_key: str | None = None
    count: int | None = None
    duration: float | None = None
    rate: float | None = None
    producers: int = 1
    body: bytes = b"x" * 100
    persistent: bool = True
    confirm: bool = True
    window: int = 1000
    mandatory: bool = True
    passive: bool = False
    consume: bool = False
    prefetch: int = 1000
    drain_timeout: float = 5.0
    confirm_timeout: float = 30.0
    connect_timeout: float = 10.0  # TCP connect plus the AMQP handshake, per connection
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def safe_url(self) -> str:
        """The URL fit to show: the password masked, even when it was not %-encoded."""
        return mask_url_passwords(self.url)

    @property
    def connect_url(self) -> str:
        """The URL for pika: user and password %-encoded, so ``guest:pa/ss@host`` works as typed."""
        return normalize_url(self.url)

    @property
    def run_queue(self) -> str:
        """The queue of this run alone, used when no queue or exchange is named."""
        return RUN_QUEUE_PREFIX + self.run_id

    def target_queues(self) -> list[str]:
        """Queues the producers publish to (round-robin), empty when only an exchange is named."""
        if self.queues:
            return list(self.queues)
        if self.queue is not None:
            return [self.queue]
        return [] if self.exchange else [self.run_queue]

    def validate(self) -> None:
        """Reject contradictory options with one line, before any connection is opened."""
        parts = urlsplit(self.connect_url)
        if parts.scheme not in {"amqp", "amqps"} or not parts.hostname:
            raise InputError(f"--url must look like amqp://user:password@host:5672/vhost, got {self.safe_url!r}")
        try:
            _ = parts.port
        except ValueError:
            raise InputError(f"--url has a bad port: {self.safe_url!r}") from None
        check_run_bounds(self.count, self.duration, self.rate)
        check_workers("--producers", self.producers, self.count, most=MAX_PRODUCERS)  # one process each
        if self.window < 1:
            raise InputError(f"--window must be at least 1, got {self.window}")
        for name in ([self.queue] if self.queue is not None else []) + list(self.queues):
            if not name.strip():
                raise InputError("--queue must name a queue; an empty name would publish to whatever the "
                                 "routing key names (leave --queue out for a queue of this run's own)")
            if len(name.encode("utf-8")) > MAX_QUEUE_NAME:
                raise InputError(f"queue name {name[:40]!r}... is longer than {MAX_QUEUE_NAME} bytes")
        if len(self.queues) > min(MAX_QUEUES, self.producers):
            raise InputError(f"{len(self.queues)} queues for {self.producers} producer(s): each producer publishes "
                             "to one queue, so give at most --producers queues")
        if self.consume and not self.target_queues():
            raise InputError("--consume needs the queue(s) to drain: give --queue or --queues")
        if self.drain_timeout <= 0 or self.confirm_timeout <= 0 or self.connect_timeout <= 0:
            raise InputError("--drain-timeout, --confirm-timeout and --connect-timeout must be positive")

    def routing_key_for(self, queue: str | None) -> str:
        if self.routing_key is not None:
            return self.routing_key
        return queue or ""


def expand_queue_pattern(pattern: str, count: int) -> list[str]:
    """``orders-%d`` with count 3 -> orders-1..orders-3; ``a,b,c`` -> those names."""
    if "%d" in pattern:
        if not 1 <= count <= MAX_QUEUES:
            raise InputError(f"--queue-count must be 1 to {MAX_QUEUES}, got {count}")
        return [pattern.replace("%d", str(i)) for i in range(1, count + 1)]
    names = [name.strip() for name in pattern.split(",", MAX_QUEUES + 1) if name.strip()]
    if len(names) > MAX_QUEUES:
        raise InputError(f"--queues names more than {MAX_QUEUES} queues")
    if not names:
        raise InputError(f"--queues {pattern!r} names no queue (use 'name-%d' or 'a,b,c')")
    if len(set(names)) != len(names):
        raise InputError(f"--queues {pattern!r} names a queue twice")
    return names


def make_body(size: int | None, text: str | None, path: str | None) -> bytes:
    """The message body from --size, --body or --body-file (at most one of them)."""
    given = [name for name, value in (("--size", size), ("--body", text), ("--body-file", path)) if value is not None]
    if len(given) > 1:
        raise InputError(f"use only one of {', '.join(given)}")
    if text is not None:
        return text.encode("utf-8")
    if path is not None:
        try:
            return Path(path).read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read --body-file {path}: {exc.strerror}") from None
    if size is not None and size < 0:
        raise InputError(f"--size must be 0 or more, got {size}")
    return b"x" * (100 if size is None else size)
