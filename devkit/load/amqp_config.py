"""What an AMQP load run should do: validated once, then handed to every worker process."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from devkit.errors import InputError
from devkit.secrets import mask_url_passwords, normalize_url

DEFAULT_URL = "amqp://guest:guest@localhost:5672/%2F"
DEFAULT_QUEUE = "task_queue"
SENT_HEADER = "devkit-sent-ns"  # epoch nanoseconds at publish: end-to-end latency, custom bodies intact


@dataclass
class AmqpLoadConfig:
    """Options of ``devkit load amqp``; ``count`` or ``duration`` bounds the run."""

    url: str = DEFAULT_URL
    queue: str | None = DEFAULT_QUEUE
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
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def safe_url(self) -> str:
        """The URL fit to show: the password masked, even when it was not %-encoded."""
        return mask_url_passwords(self.url)

    @property
    def connect_url(self) -> str:
        """The URL for pika: user and password %-encoded, so ``guest:pa/ss@host`` works as typed."""
        return normalize_url(self.url)

    def target_queues(self) -> list[str]:
        """Queues the producers publish to (round-robin), empty when only an exchange is named."""
        if self.queues:
            return list(self.queues)
        return [self.queue] if self.queue else []

    def validate(self) -> None:
        """Reject contradictory options with one line, before any connection is opened."""
        parts = urlsplit(self.connect_url)
        if parts.scheme not in {"amqp", "amqps"} or not parts.hostname:
            raise InputError(f"--url must look like amqp://user:password@host:5672/vhost, got {self.safe_url!r}")
        try:
            _ = parts.port
        except ValueError:
            raise InputError(f"--url has a bad port: {self.safe_url!r}") from None
        if self.count is None and self.duration is None:
            raise InputError("give -n/--count or --duration to bound the run")
        if self.count is not None and self.count < 1:
            raise InputError(f"--count must be at least 1, got {self.count}")
        if self.duration is not None and self.duration <= 0:
            raise InputError(f"--duration must be positive, got {self.duration}")
        if self.rate is not None and self.rate <= 0:
            raise InputError(f"--rate must be positive, got {self.rate}")
        if self.producers < 1:
            raise InputError(f"--producers must be at least 1, got {self.producers}")
        if self.count is not None and self.producers > self.count:
            raise InputError(f"--producers {self.producers} is more than --count {self.count}")
        if self.window < 1:
            raise InputError(f"--window must be at least 1, got {self.window}")
        if not self.target_queues() and not self.exchange:
            raise InputError("give a --queue, --queues or an --exchange to publish to")
        if self.consume and not self.target_queues():
            raise InputError("--consume needs the queue(s) to drain: give --queue or --queues")
        if self.drain_timeout <= 0 or self.confirm_timeout <= 0:
            raise InputError("--drain-timeout and the confirm timeout must be positive")

    def routing_key_for(self, queue: str | None) -> str:
        if self.routing_key is not None:
            return self.routing_key
        return queue or ""


def expand_queue_pattern(pattern: str, count: int) -> list[str]:
    """``orders-%d`` with count 3 -> orders-1..orders-3; ``a,b,c`` -> those names."""
    if "%d" in pattern:
        if count < 1:
            raise InputError(f"--queue-count must be at least 1, got {count}")
        return [pattern.replace("%d", str(i)) for i in range(1, count + 1)]
    names = [name.strip() for name in pattern.split(",") if name.strip()]
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
