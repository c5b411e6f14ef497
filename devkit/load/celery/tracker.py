"""The tracker connection: task events from the events exchange and ``rpc://`` results.

Its queues are exclusive to this connection (the broker deletes them when it closes, even if
devkit is killed) and are bound before the first task is published, so no event is missed.
"""

from __future__ import annotations

import time

from devkit.load.celery import reasons
from devkit.load.celery import backends, events
from devkit.load.celery.protocol import decode_json


class Tracker:
    def __init__(self, run) -> None:
        self.run = run
        self.cfg = run.cfg
        self.ledger = run.ledger
        self.connection = None
        self.channel = None
        self.closing = False
        self.done = False
        self.reply_queue = f"devkit.load.celery.{self.cfg.run_id}.results" if run.backend == "rpc" else None
        self.events_queue = f"devkit.load.celery.{self.cfg.run_id}.events" if self.cfg.events else None
        self._steps: list = []

    def open(self, params, ioloop) -> None:
        import pika

        self.connection = pika.SelectConnection(
            params, on_open_callback=lambda c: c.channel(on_open_callback=self._on_channel_open),
            on_open_error_callback=self._on_open_error, on_close_callback=self._on_closed, custom_ioloop=ioloop,
        )

    def _on_open_error(self, _connection, exc) -> None:
        self.done = True
        self.run.connection_failed(f"tracker: cannot connect: {reasons.describe_reason(exc)}")

    def _on_closed(self, _connection, reason) -> None:
        if not self.closing:
            self.run.connection_failed(f"tracker: connection lost: {reasons.describe_reason(reason)}")
        self.done = True
        self.run.tracker_closed()

    def _on_channel_closed(self, _channel, reason) -> None:
        if not self.closing:
            self.run.connection_failed(f"tracker: {reasons.channel_closed_text(reason)}")
        self.close()

    def _on_channel_open(self, channel) -> None:
        self.channel = channel
        channel.add_on_close_callback(self._on_channel_closed)
        steps = self._steps
        if self.events_queue:
            steps += self._consume_steps(channel, self.events_queue, self._on_event, events.BINDINGS)
        if self.reply_queue:
            steps += self._consume_steps(channel, self.reply_queue, self._on_result, ())
        self._next_step(None)

    def _consume_steps(self, channel, queue: str, on_message, bindings) -> list:
        """Declare an exclusive queue, bind it to the events exchange, consume it (in order)."""
        steps = [lambda cb: channel.queue_declare(queue, exclusive=True, auto_delete=True, callback=cb)]
        steps += [lambda cb, key=key: channel.queue_bind(queue, self.cfg.events_exchange, key, callback=cb)
                  for key in bindings]
        steps.append(lambda cb: channel.basic_consume(queue, on_message, auto_ack=True, callback=cb))
        return steps

    def _next_step(self, _frame) -> None:
        if self._steps:
            self._steps.pop(0)(self._next_step)
        else:
            self.run.tracker_ready()

    def _on_event(self, _channel, _method, _properties, body) -> None:
        events.apply_body(self.ledger, body)

    def _on_result(self, _channel, _method, properties, body) -> None:
        backends.apply_meta(self.ledger, decode_json(body), time.time(), properties.correlation_id)

    def close(self) -> None:
        if self.closing:
            return
        self.closing = True
        if self.connection is not None and self.connection.is_open:
            self.connection.close()
        elif self.connection is None or self.connection.is_closed:
            self.done = True
            self.run.tracker_closed()
