"""Celery's remote control (``app.control``) over pika: broadcast to ``<name>.pidbox`` and
collect the replies that come back on ``reply.<name>.pidbox`` under a ticket.

Used for ``enable_events`` / ``disable_events`` around a run and for ``--inspect``
(``registered``, ``active_queues``), exactly as ``celery control`` / ``celery inspect`` do.
"""

from __future__ import annotations

import contextlib
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from devkit.load.celery.protocol import JSON, control_message, decode_json


@dataclass
class Replies:
    """Answers per command: ``{command: {worker hostname: reply}}``; empty when nobody listens."""

    listening: bool  # the control exchange exists: some worker has (had) a control queue
    by_command: dict[str, dict[str, object]] = field(default_factory=dict)

    def of(self, command: str) -> dict[str, object]:
        return self.by_command.get(command, {})


def broadcast(connection, control_exchange: str, commands: list[tuple[str, dict]], timeout: float,
              destination: list[str] | None = None, stop: Callable[[], bool] | None = None) -> Replies:
    """Send each command to every worker (or *destination*) and gather replies for *timeout* s
    (none with 0); *stop* cuts the wait short (a signal arrived)."""
    import pika

    from devkit.load.celery.broker import exists

    exchange = f"{control_exchange}.pidbox"
    reply_exchange = f"reply.{control_exchange}.pidbox"
    if not exists(connection, "exchange", exchange):
        return Replies(listening=False)
    oid = str(uuid.uuid4())
    channel = connection.channel()
    channel.exchange_declare(reply_exchange, "direct", durable=False)  # as kombu's Mailbox does
    queue = channel.queue_declare(f"{oid}.{reply_exchange}", exclusive=True, auto_delete=True,
                                  arguments={"x-expires": 10_000}).method.queue
    channel.queue_bind(queue, reply_exchange, oid)
    tickets = {}
    for method, arguments in commands:
        ticket = str(uuid.uuid4())
        tickets[ticket] = method
        properties = pika.BasicProperties(
            content_type=JSON, content_encoding="utf-8", delivery_mode=1,
            headers={"clock": 0, "expires": math.ceil(time.time() + max(timeout, 1.0))},  # pika: no floats
        )
        body = control_message(method, arguments, ticket, reply_exchange, oid, destination)
        channel.basic_publish(exchange, "", body, properties)
    replies = Replies(listening=True, by_command={method: {} for method in tickets.values()})
    if timeout <= 0:
        channel.close()
        return replies
    expected = len(destination) if destination else None
    deadline = time.monotonic() + timeout
    try:
        for method_frame, props, body in channel.consume(queue, auto_ack=True, inactivity_timeout=0.05):
            if time.monotonic() >= deadline or (stop is not None and stop()):
                break
            if method_frame is None:
                continue
            command = tickets.get((props.headers or {}).get("ticket"))
            answer = decode_json(body)
            if command is None or not isinstance(answer, dict):
                continue
            replies.by_command[command].update(answer)
            if expected is not None and all(len(r) >= expected for r in replies.by_command.values()):
                break
    finally:
        with contextlib.suppress(Exception):
            channel.cancel()
            channel.close()
    return replies


ENABLED = "task events enabled"  # a worker's answer when this command switched its events on


def switch_events_on(connection, cfg, stop: Callable[[], bool] | None = None) -> tuple[dict, list[str]]:
    """Ask every worker to send task events (as Flower does) and whether it knows the task.

    Returns what to report (``{"sent", "replies": {worker: answer}}``) and notes for the user.
    """
    replies = broadcast(connection, cfg.control_exchange, [("enable_events", {}), ("registered", {"taskinfoitems": []})],
                        cfg.control_timeout, stop=stop)
    answers = {host: (reply.get("ok") or reply.get("error")) if isinstance(reply, dict) else str(reply)
               for host, reply in replies.of("enable_events").items()}
    info = {"sent": replies.listening, "replies": answers}
    if not replies.listening:
        return info, [f"no worker listens on control exchange {cfg.control_exchange}.pidbox: enable_events not "
                      "sent (start workers with -E, or they will send no events)"]
    notes = [f"sent enable_events on {cfg.control_exchange}.pidbox: " + (
        ", ".join(f"{host} ({answer})" for host, answer in sorted(answers.items()))
        or f"no worker answered within {cfg.control_timeout:g}s")]
    registered = [names for names in replies.of("registered").values() if isinstance(names, list)]
    if registered and not any(cfg.task in names for names in registered):
        notes.append(f"no worker that answered has {cfg.task!r} registered: expect NotRegistered failures "
                     "(devkit load celery --inspect lists the tasks)")
    return info, notes


def switch_events_off(cfg, info: dict) -> list[str]:
    """``disable_events`` to the workers that *switch_events_on* switched on; notes on failure.

    Records the workers in ``info["restored"]``.
    """
    from devkit.load.celery import broker

    answers = (info.get("enable_events") or {}).get("replies") or {}
    hosts = sorted(host for host, answer in answers.items() if answer == ENABLED)
    if not hosts:
        return []
    connection = None
    try:
        connection = broker.connect(cfg.broker, f"devkit-load-celery {cfg.run_id} control")
        broadcast(connection, cfg.control_exchange, [("disable_events", {})], 0.0, destination=hosts)
        info["restored"] = hosts
        return []
    except Exception as exc:  # the run's account matters more than this courtesy
        return [f"could not switch task events back off on {', '.join(hosts)}: {exc}"]
    finally:
        broker.close_quietly(connection)
