"""Connections to the broker, and the checks made before a run: clear errors, exit 2."""

from __future__ import annotations

import contextlib

from devkit.errors import ServiceError
from devkit.load.celery.config import broker_parts
from devkit.secrets import mask_url_passwords


def parameters(url: str, name: str, heartbeat: int | None = None):
    """pika parameters for a Celery broker URL (kombu's reading of the vhost and defaults)."""
    import ssl

    import pika

    parts = broker_parts(url)
    params = pika.ConnectionParameters(
        host=parts["host"], port=parts["port"], virtual_host=parts["vhost"],
        credentials=pika.PlainCredentials(parts["user"], parts["password"]),
        connection_attempts=1, socket_timeout=10, blocked_connection_timeout=None,
        client_properties={"connection_name": name},
    )
    if heartbeat is not None:
        params.heartbeat = heartbeat
    if parts["tls"]:
        params.ssl_options = pika.SSLOptions(ssl.create_default_context(), parts["host"])
    return params


def connect(url: str, name: str):
    """A blocking connection to a Celery broker URL (see *connect_blocking*)."""
    return connect_blocking(parameters(url, name), mask_url_passwords(url))


def connect_blocking(params, safe_url: str):
    """A blocking connection, or ServiceError saying why not (refused, login, vhost)."""
    from devkit.load.amqp_shared import connect_blocking as connect_amqp

    params.socket_timeout = 5
    return connect_amqp(params, safe_url)


def close_quietly(connection) -> None:
    import pika.exceptions as pex

    with contextlib.suppress(pex.AMQPError, OSError, AttributeError):
        if connection is not None and connection.is_open:
            connection.close()


def exists(connection, kind: str, name: str) -> bool:
    """Whether an exchange or queue exists (a passive declare; a 404 closes only its channel)."""
    import pika.exceptions as pex

    channel = connection.channel()
    try:
        if kind == "exchange":
            channel.exchange_declare(name, passive=True)
        else:
            channel.queue_declare(name, passive=True)
    except pex.ChannelClosedByBroker as exc:
        if exc.reply_code == 404:
            return False
        raise
    with contextlib.suppress(pex.AMQPError):
        channel.close()
    return True


def prepare_run(connection, cfg) -> list[str]:
    """Check (or declare, like Celery does) what the run publishes to and listens on.

    Returns notes for the user, e.g. that the events exchange had to be declared.
    """
    import pika.exceptions as pex

    notes: list[str] = []
    safe = cfg.safe_broker
    try:
        if cfg.exchange and not exists(connection, "exchange", cfg.exchange):
            raise ServiceError(f"exchange {cfg.exchange!r} does not exist on {safe}")
        if cfg.queue and not exists(connection, "queue", cfg.queue):
            if not cfg.declare:
                raise ServiceError(f"queue {cfg.queue!r} does not exist on {safe}: no worker consumes it "
                                   f"(start one with -Q {cfg.queue}, or pass --declare to queue tasks for later)")
            channel = connection.channel()  # as Celery declares a task queue: Queue(name, Exchange(name), name)
            channel.exchange_declare(cfg.queue, "direct", durable=True)
            channel.queue_declare(cfg.queue, durable=True)
            channel.queue_bind(cfg.queue, cfg.queue, cfg.queue)
            channel.close()
            notes.append(f"declared queue {cfg.queue!r} (durable, as Celery does)")
        if cfg.events and not exists(connection, "exchange", cfg.events_exchange):
            channel = connection.channel()  # as Celery's event dispatcher declares it
            channel.exchange_declare(cfg.events_exchange, "topic", durable=True)
            channel.close()
            notes.append(f"declared the events exchange {cfg.events_exchange!r}: no worker had sent events yet")
    except pex.ChannelClosedByBroker as exc:
        raise ServiceError(f"RabbitMQ at {safe}: ({exc.reply_code}) {exc.reply_text}") from None
    except pex.AMQPError as exc:
        raise ServiceError(f"RabbitMQ at {safe}: {type(exc).__name__} {exc}") from None
    return notes
