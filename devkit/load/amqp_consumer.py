"""One consumer process per queue: drains it, matches this run's messages by correlation ID,
and measures end-to-end latency from the send timestamp header.

Manual acks with a prefetch window and ``multiple=True`` acks keep pika near the broker's
delivery rate; messages of other runs are drained too (that is what ``--consume`` means) but
counted apart as ``foreign``.
"""

from __future__ import annotations

import time

from devkit.load import amqp_shared as S
from devkit.load.amqp_config import SENT_HEADER, AmqpLoadConfig
from devkit.load.stats import SampleBuffer


class Consumer(S.ConnectionWorker):
    def __init__(self, cfg: AmqpLoadConfig, spec: S.ConsumerSpec, row, control, report_conn) -> None:
        self.cfg = cfg
        self.spec = spec
        self.row = row
        self.base = spec.index * S.ROW
        self.control = control
        self.report_conn = report_conn
        self.prefix = cfg.run_id + "."
        self.received: dict[int, bytearray] = {p: bytearray(1) for p in spec.producers}
        self.count = 0
        self.foreign = 0
        self.duplicates = 0
        self.unacked = 0
        self.pending: list[tuple[bytearray, int]] = []  # ours, delivered but not yet acked
        self.last_tag = 0
        self.last_message_at = time.monotonic()
        self.done_since: float | None = None
        self.latency = SampleBuffer()
        self.error: str | None = None
        self.error_kind: str | None = None
        self.stopping = False
        self.finished_at: float | None = None
        self.connection = None
        self.channel = None
        self.ack_every = max(1, cfg.prefetch // 4)

    def run(self) -> None:
        import pika

        params = S.connection_parameters(pika, self.cfg.connect_url, self.cfg.connect_timeout,
                                         f"devkit-load {self.cfg.run_id} consumer {self.spec.index}")
        self.connection = pika.SelectConnection(
            params,
            on_open_callback=lambda c: c.channel(on_open_callback=self._on_channel_open),
            on_open_error_callback=self._on_open_error,
            on_close_callback=self._on_closed,
        )
        self._run_and_report("consumer")

    def _report_extra(self) -> dict:
        return {"received_by_producer": {p: bytes(b) for p, b in self.received.items()}}

    def _on_closed(self, _connection, reason) -> None:
        if not self.stopping:
            self._fail("lost", f"consumer connection lost: {S.describe_reason(reason)}")
            self._forget_unacked()
        self.connection.ioloop.stop()

    def _on_channel_open(self, channel) -> None:
        self.channel = channel
        channel.add_on_close_callback(self._on_channel_closed)
        channel.basic_qos(prefetch_count=self.cfg.prefetch, callback=lambda _f: self._start())

    def _on_channel_closed(self, _channel, reason) -> None:
        from pika.exceptions import ConnectionClosed

        if not self.stopping:
            self._forget_unacked()
            if isinstance(reason, ConnectionClosed):
                self._fail("lost", f"consumer connection lost: {S.describe_reason(reason)}")
            else:
                self._fail("channel", f"consumer channel closed by the broker: {S.describe_reason(reason)}")
        self._close_connection()

    def _start(self) -> None:
        self.channel.basic_consume(self.spec.queue, self._on_message, auto_ack=False, callback=self._on_consume_ok)

    def _on_consume_ok(self, _frame) -> None:
        self.row[self.base + S.STATE] = S.READY
        self.connection.ioloop.call_later(0.05, self._tick)

    def _on_message(self, channel, method, properties, _body) -> None:
        now_ns = time.time_ns()
        cid = properties.correlation_id
        if cid and cid.startswith(self.prefix):
            producer, _, seq_text = cid[len(self.prefix):].partition(".")
            try:
                p, seq = int(producer), int(seq_text)
                bitmap = self.received[p]
            except (ValueError, KeyError):
                self.foreign += 1
            else:
                if seq >= len(bitmap):
                    bitmap.extend(bytes(seq + 1024 - len(bitmap)))
                if bitmap[seq]:
                    self.duplicates += 1
                else:
                    bitmap[seq] = 1
                    self.count += 1
                    self.pending.append((bitmap, seq))
                    sent_ns = (properties.headers or {}).get(SENT_HEADER)
                    if isinstance(sent_ns, int):
                        self.latency.add((now_ns - sent_ns) / 1e6)
        else:
            self.foreign += 1
        self.last_tag = method.delivery_tag
        self.unacked += 1
        if self.unacked >= self.ack_every:
            self._ack()
            self._flush_counts()

    def _ack(self) -> None:
        self.channel.basic_ack(self.last_tag, multiple=True)
        self.unacked = 0
        self.pending.clear()

    def _forget_unacked(self) -> None:
        """The connection died: the broker requeues unacked messages, so they were not received."""
        for bitmap, seq in self.pending:
            bitmap[seq] = 0
            self.count -= 1
        self.pending.clear()
        self._flush_counts()

    def _flush_counts(self) -> None:
        base = self.base
        self.row[base + S.RECEIVED] = self.count
        self.row[base + S.FOREIGN] = self.foreign
        self.row[base + S.DUPLICATES] = self.duplicates

    def _tick(self) -> None:
        """Ack stragglers, publish counts, and stop once this run's messages are all in."""
        if self.stopping:
            return
        if self.unacked and self.channel.is_open:
            self._ack()
        previous = self.row[self.base + S.RECEIVED] + self.row[self.base + S.FOREIGN]
        self._flush_counts()
        now = time.monotonic()
        if self.count + self.foreign != previous:
            self.last_message_at = now
            self.finished_at = now
        if self.control[S.STOP] >= S.STOP_NOW or self._orphaned():
            return self._stop()
        if self.control[S.PRODUCERS_DONE]:
            expected = sum(self.row[p * S.ROW + S.SENT] for p in self.spec.producers)
            if self.count >= expected:
                return self._stop()
            if self.done_since is None:
                self.done_since = now
            idle_from = max(self.done_since, self.last_message_at)
            if now - idle_from >= self.cfg.drain_timeout:
                return self._stop()
        self.connection.ioloop.call_later(0.05, self._tick)

    def _stop(self) -> None:
        self.stopping = True
        self._flush_counts()
        if self.unacked and self.channel is not None and self.channel.is_open:
            self._ack()
        self._close_connection()


def consumer_main(cfg: AmqpLoadConfig, spec: S.ConsumerSpec, row, control, report_conn) -> None:
    """Entry point of a consumer process."""
    Consumer(cfg, spec, row, control, report_conn).run()
