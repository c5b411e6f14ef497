"""One consumer process per queue: drains it, matches this run's messages by correlation ID,
and measures end-to-end latency from the send timestamp header.

Manual acks with a prefetch window and ``multiple=True`` acks keep pika near the broker's
delivery rate; messages of other runs are drained too (that is what ``--consume`` means) but
counted apart as ``foreign``.

An AMQP consumer ack has no reply, and RabbitMQ drops the frames it has not read yet when it
closes a connection (then requeues what they would have acked). So each ack batch is followed
by a ``basic.qos`` round trip on the same channel: the broker handles a channel's methods in
order, so its ``Basic.QosOk`` proves that the ack sent before it was applied. Only then are those
messages ``received``; the next batch waits for that answer. A batch whose answer never came (the
connection ended first) is ``ack_unsettled``: each of its messages is either consumed or back in
the queue, which no AMQP client can tell, and there is never more than one such batch (at most
``--prefetch`` messages).
"""

from __future__ import annotations

import time

from devkit.load import amqp_shared as S
from devkit.load.amqp_config import SENT_HEADER, AmqpLoadConfig
from devkit.load.stats import SampleBuffer

# Marks in the per-producer bitmaps (one byte per sequence number).
UNSEEN, SEEN, UNSETTLED = 0, 1, 2  # SEEN: delivered (received once settled); UNSETTLED: final only

Delivery = tuple[bytearray, int] | None  # (bitmap, seq) of one of this run's messages; None: foreign


class Consumer(S.ConnectionWorker):
    def __init__(self, cfg: AmqpLoadConfig, spec: S.ConsumerSpec, row, control, report_conn) -> None:
        self.cfg = cfg
        self.spec = spec
        self.row = row
        self.base = spec.index * S.ROW
        self.control = control
        self.report_conn = report_conn
        self.prefix = cfg.run_id + "."
        self.bitmaps: dict[int, bytearray] = {p: bytearray(1) for p in spec.producers}
        self.seen = 0  # this run's messages delivered (each once), settled or not
        self.seen_foreign = 0
        self.seen_at_tick = 0  # seen + seen_foreign at the last tick: no change means idle
        self.received = 0  # settled: the broker proved it applied their ack
        self.foreign = 0  # settled messages of other runs
        self.duplicates = 0
        self.unacked = 0  # deliveries since the last ack (ours, foreign and duplicates)
        self.pending: list[Delivery] = []  # delivered, not acked yet
        self.in_flight: list[Delivery] = []  # acked, waiting for the proof
        self.unsettled = 0  # this run's messages in in_flight
        self.syncing = False  # a proof (Basic.Qos) is outstanding
        self.last_tag = 0
        self.acked_tag = 0  # the delivery tag of the last ack sent
        self.final_tag: int | None = None  # stopping: everything delivered up to here gets settled
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
        return {"received_by_producer": {p: bytes(b) for p, b in self.bitmaps.items()}}

    def _after_loop(self) -> None:
        """The connection is gone: what was delivered but never acked is back in the queue (not
        received); what was acked without proof is unsettled, marked so in the bitmaps."""
        for item in self.pending:
            if item is not None:
                bitmap, seq = item
                bitmap[seq] = UNSEEN
                self.seen -= 1
        self.pending.clear()
        for item in self.in_flight:
            if item is not None:
                bitmap, seq = item
                bitmap[seq] = UNSETTLED

    def _on_closed(self, _connection, reason) -> None:
        if not self.stopping:
            self._fail("lost", f"consumer connection lost: {S.describe_reason(reason)}")
        self.connection.ioloop.stop()

    def _on_channel_open(self, channel) -> None:
        self.channel = channel
        channel.add_on_close_callback(self._on_channel_closed)
        channel.basic_qos(prefetch_count=self.cfg.prefetch, callback=lambda _f: self._start())

    def _on_channel_closed(self, _channel, reason) -> None:
        from pika.exceptions import AMQPConnectionError

        if not self.stopping:
            if isinstance(reason, AMQPConnectionError):  # the connection closed, or its TCP stream broke
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
        ours = self._ours(properties.correlation_id)
        if ours is None:
            self.seen_foreign += 1
            self.pending.append(None)
        else:
            bitmap, seq = ours
            if bitmap[seq]:
                self.duplicates += 1  # acked with the rest, counted nowhere else
            else:
                bitmap[seq] = SEEN
                self.seen += 1
                self.pending.append(ours)
                sent_ns = (properties.headers or {}).get(SENT_HEADER)
                if isinstance(sent_ns, int):
                    self.latency.add((now_ns - sent_ns) / 1e6)
        self.last_tag = method.delivery_tag
        self.unacked += 1
        if self.unacked >= self.ack_every and not (self.syncing or self.stopping):
            self._ack()

    def _ours(self, cid: str | None) -> Delivery:
        """(bitmap, seq) when *cid* is ``<run-id>.<producer>.<seq>`` of this run, else None."""
        if not cid or not cid.startswith(self.prefix):
            return None
        producer, _, seq_text = cid[len(self.prefix):].partition(".")
        try:
            p, seq = int(producer), int(seq_text)
            bitmap = self.bitmaps[p]
        except (ValueError, KeyError):
            return None
        if seq >= len(bitmap):
            bitmap.extend(bytes(seq + 1024 - len(bitmap)))
        return bitmap, seq

    def _ack(self) -> None:
        """Ack everything delivered so far, then ask for the proof that the broker applied it."""
        self.channel.basic_ack(self.last_tag, multiple=True)
        self.acked_tag = self.last_tag
        self.unacked = 0
        self.in_flight, self.pending = self.pending, []
        self.unsettled = sum(item is not None for item in self.in_flight)
        self.syncing = True
        self.channel.basic_qos(prefetch_count=self.cfg.prefetch, callback=self._on_settled)
        self._flush_counts()

    def _on_settled(self, _frame) -> None:
        """Basic.QosOk: the broker handled the ack sent before it, so those messages are gone."""
        self.syncing = False
        self.received += self.unsettled
        self.foreign += len(self.in_flight) - self.unsettled
        self.in_flight, self.unsettled = [], 0
        self._flush_counts()
        if self.stopping:
            if self.final_tag is not None and self.acked_tag < self.final_tag:
                self._ack()
            else:
                self._close_connection()
        elif self.unacked >= self.ack_every:
            self._ack()

    def _flush_counts(self) -> None:
        base = self.base
        self.row[base + S.RECEIVED] = self.received
        self.row[base + S.FOREIGN] = self.foreign
        self.row[base + S.DUPLICATES] = self.duplicates
        self.row[base + S.ACK_UNSETTLED] = self.unsettled

    def _tick(self) -> None:
        """Ack stragglers, publish counts, and stop once this run's messages are all in."""
        if self.stopping:
            return
        if self.unacked and not self.syncing and self.channel.is_open:
            self._ack()
        now = time.monotonic()
        if self.seen + self.seen_foreign != self.seen_at_tick:
            self.seen_at_tick = self.seen + self.seen_foreign
            self.last_message_at = now
            self.finished_at = now
        if self.control[S.STOP] >= S.STOP_NOW or self._orphaned():
            return self._stop()
        if self.control[S.PRODUCERS_DONE]:
            expected = sum(self.row[p * S.ROW + S.SENT] for p in self.spec.producers)
            if self.seen >= expected:
                return self._stop()
            if self.done_since is None:
                self.done_since = now
            idle_from = max(self.done_since, self.last_message_at)
            if now - idle_from >= self.cfg.drain_timeout:
                return self._stop()
        self.connection.ioloop.call_later(0.05, self._tick)

    def _stop(self) -> None:
        """Settle everything delivered until now, then close (later deliveries go back to the queue)."""
        self.stopping = True
        channel = self.channel
        if channel is None or not channel.is_open:
            return self._close_connection()
        self.final_tag = self.last_tag
        if not self.syncing:
            if self.acked_tag >= self.final_tag:
                return self._close_connection()
            self._ack()
        # a broker that never answers the proof: close anyway, the batch stays unsettled
        self.connection.ioloop.call_later(S.CLOSE_TIMEOUT, self._close_connection)


def consumer_main(cfg: AmqpLoadConfig, spec: S.ConsumerSpec, row, control, report_conn) -> None:
    """Entry point of a consumer process."""
    Consumer(cfg, spec, row, control, report_conn).run()
