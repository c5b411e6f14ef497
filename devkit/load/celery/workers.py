"""``devkit load celery --inspect``: which workers run, which tasks they know, which queues
they consume (``celery inspect registered`` and ``active_queues`` in one round trip)."""

from __future__ import annotations

from dataclasses import dataclass, field

from devkit.load.celery import broker, control
from devkit.load.celery.config import DEFAULT_CONTROL_EXCHANGE, broker_parts


@dataclass
class WorkerInfo:
    hostname: str
    registered: list[str] = field(default_factory=list)
    queues: list[dict] = field(default_factory=list)  # name, exchange, exchange_type, routing_key

    def to_dict(self) -> dict:
        return {"hostname": self.hostname, "registered": self.registered, "queues": self.queues}


def inspect_workers(url: str, control_exchange: str = DEFAULT_CONTROL_EXCHANGE,
                    timeout: float = 1.0) -> list[WorkerInfo]:
    """Every worker that answers within *timeout* seconds, sorted by hostname."""
    broker_parts(url)
    connection = broker.connect(url, "devkit-load-celery inspect")
    try:
        replies = control.broadcast(connection, control_exchange,
                                    [("registered", {"taskinfoitems": []}), ("active_queues", {})], timeout)
    finally:
        broker.close_quietly(connection)
    workers: dict[str, WorkerInfo] = {}
    for host, names in replies.of("registered").items():
        info = workers.setdefault(host, WorkerInfo(host))
        info.registered = sorted(str(n) for n in names) if isinstance(names, list) else []
    for host, queues in replies.of("active_queues").items():
        info = workers.setdefault(host, WorkerInfo(host))
        info.queues = [_queue(q) for q in queues if isinstance(q, dict)] if isinstance(queues, list) else []
    return [workers[h] for h in sorted(workers)]


def _queue(q: dict) -> dict:
    exchange = q.get("exchange") if isinstance(q.get("exchange"), dict) else {}
    return {key: value if isinstance(value, str) else "" for key, value in (
        ("name", q.get("name")), ("exchange", exchange.get("name")), ("exchange_type", exchange.get("type")),
        ("routing_key", q.get("routing_key")))}
