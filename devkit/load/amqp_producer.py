"""One producer process: pika's asynchronous API with a sliding window of unconfirmed messages.

Blocking per-message confirms wait a full round trip per message (~1.1k msgs/s here); keeping up
to ``window`` messages in flight and settling them from the broker's (multiple) acks lets one
connection run at the broker's pace. Publishing is paced against absolute deadlines
(``start + k / rate``), so late wake-ups are caught up instead of accumulating as drift.
"""

from __future__ import annotations

import time
from array import array

from devkit.load import amqp_shared as S
from devkit.load.amqp_config import SENT_HEADER, AmqpLoadConfig
from devkit.load.stats import SampleBuffer

_MAX_TX_BUFFER = 4 * 1024 * 1024  # without confirms: stop feeding pika when this much is unsent
_BURST = 2000  # most messages published per ioloop turn, so acks and timers still run


class Producer(S.ConnectionWorker):
    """Publishes its share of the run and keeps exact counts in its row of the shared array."""

    def __init__(self, cfg: AmqpLoadConfig, spec: S.ProducerSpec, row, control, go, report_conn) -> None:
        self.cfg = cfg
        self.spec = spec
        self.row = row  # shared int64 array, our slice starts at spec.index * ROW
        self.base = spec.index * S.ROW
        self.control = control
        self.go = go
        self.report_conn = report_conn
        self.connection = None
        self.channel = None
        self.error: str | None = None
        self.error_kind: str | None = None
        self.sent = 0
        self.acked = 0  # settled positively (confirmed + returned)
        self.confirmed = 0
        self.nacked = 0
        self.returned = 0
        self.low = 0  # every tag <= low is settled
        self.status = bytearray(1)  # per tag: 0 pending, 1 confirmed, 2 nacked, 3 returned
        self.send_times = array("d", [0.0])
        self.returned_tags: set[int] = set()
        self.latency = SampleBuffer()
        self.publishing_done = False
        self.finished_at: float | None = None
        self.t0 = 0.0
        self.t_end: float | None = None
        self.blocked = False
        self.timer = None
        self.deadline = 0.0  # for the outstanding confirms, once publishing is done
        self.stop_seen: float | None = None  # when the parent asked us to stop
        self.prefix = f"{cfg.run_id}.{spec.index}."

    # ---- lifecycle -------------------------------------------------------------------------
    def run(self) -> None:
        import pika

        self._set(S.STATE, S.STARTING)
        params = S.connection_parameters(pika, self.cfg.connect_url, self.cfg.connect_timeout,
                                         f"devkit-load {self.cfg.run_id} producer {self.spec.index}")
        params.blocked_connection_timeout = None
        self.properties = pika.BasicProperties(
            delivery_mode=2 if self.cfg.persistent else 1, correlation_id="", headers={SENT_HEADER: 0}
        )
        self.connection = _batching_connection_class(pika)(
            params,
            on_open_callback=self._on_open,
            on_open_error_callback=self._on_open_error,
            on_close_callback=self._on_closed,
        )
        self.connection.add_on_connection_blocked_callback(self._on_blocked)
        self.connection.add_on_connection_unblocked_callback(self._on_unblocked)
        self._run_and_report("producer")

    def _report_extra(self) -> dict:
        return {"confirmed_bitmap": bytes(self.status)}

    def _set(self, slot: int, value: int) -> None:
        self.row[self.base + slot] = value

    def _flush_counts(self) -> None:
        base = self.base
        self.row[base + S.SENT] = self.sent
        self.row[base + S.CONFIRMED] = self.confirmed
        self.row[base + S.NACKED] = self.nacked
        self.row[base + S.RETURNED] = self.returned

    def _on_closed(self, _connection, reason) -> None:
        if not self._finished_cleanly():
            self._fail("lost", f"connection lost: {S.describe_reason(reason)}")
        self.connection.ioloop.stop()

    def _on_blocked(self, _connection, _frame) -> None:
        self.blocked = True  # resource alarm on the broker: stop publishing until unblocked

    def _on_unblocked(self, _connection, _frame) -> None:
        self.blocked = False
        self._schedule(0)

    def _on_open(self, connection) -> None:
        connection.channel(on_open_callback=self._on_channel_open)

    def _on_channel_open(self, channel) -> None:
        self.channel = channel
        channel.add_on_close_callback(self._on_channel_closed)
        channel.add_on_return_callback(self._on_return)
        if self.cfg.confirm:
            channel.confirm_delivery(self._on_confirm, callback=lambda _frame: self._ready())
        else:
            self._ready()

    def _on_channel_closed(self, _channel, reason) -> None:
        from pika.exceptions import ConnectionClosed

        if not self._finished_cleanly():
            if isinstance(reason, ConnectionClosed):
                self._fail("lost", f"connection lost: {S.describe_reason(reason)}")
            else:
                self._fail("channel", f"channel closed by the broker: {S.describe_reason(reason)}")
        self._close_connection()

    def _ready(self) -> None:
        self._set(S.STATE, S.READY)
        # The parent starts everyone together; a few seconds of blocking here is harmless.
        if not self.go.wait(timeout=60) or self.control[S.STOP]:
            self._fail("connect", "never told to start (parent gone?)")
            self._close_connection()
            return
        self._set(S.STATE, S.RUNNING)
        self.t0 = self.control[S.START_AT]
        if self.cfg.duration is not None:
            self.t_end = self.t0 + self.cfg.duration
        delay = self.t0 + self.spec.offset - time.monotonic()
        self._schedule(max(0.0, delay))
        self.connection.ioloop.call_later(0.1, self._tick)

    def _tick(self) -> None:
        """Watchdog: honours Ctrl-C, --duration and --confirm-timeout even while the broker is silent."""
        if self.publishing_done:
            return
        if self._orphaned():
            self.publishing_done = True
            self._close()
            return
        now = time.monotonic()
        late = 1.0 if self.spec.rate else 0.0  # paced runs end in _pump once the last due message is out
        if self.control[S.STOP] or (self.t_end is not None and now >= self.t_end + late):
            self._end_publishing()
            return
        oldest = self.low + 1  # the oldest message still waiting for its confirm
        if self.cfg.confirm and oldest <= self.sent and now - self.send_times[oldest] > self.cfg.confirm_timeout:
            self._fail("timeout", f"no confirm for {self.cfg.confirm_timeout:g}s (is the broker or the network "
                                  f"stalled?); {self.sent - self.acked - self.nacked:,} messages unconfirmed")
            self.publishing_done = True
            self._close()
            return
        self.connection.ioloop.call_later(0.1, self._tick)

    # ---- publishing ------------------------------------------------------------------------
    def _schedule(self, delay: float) -> None:
        if self.timer is not None:
            return
        self.timer = self.connection.ioloop.call_later(delay, self._pump_timer)

    def _pump_timer(self) -> None:
        self.timer = None
        self._pump()

    def _pump(self) -> None:
        """Publish what is due and fits the window; re-arm a timer for the next deadline."""
        if self.publishing_done or self.channel is None or not self.channel.is_open:
            return
        cfg, spec = self.cfg, self.spec
        if self.control[S.STOP]:
            self._end_publishing()
            return
        if self.blocked:
            return
        limit = spec.count
        window = cfg.window if cfg.confirm else None
        rate = spec.rate
        step = 1.0 / rate if rate else 0.0
        first_deadline = self.t0 + spec.offset
        t_end = self.t_end
        publish = self.channel.basic_publish
        exchange = cfg.exchange
        rkey = spec.routing_key
        body = self.body
        props = self.properties
        headers = props.headers
        prefix = self.prefix
        mandatory = cfg.mandatory
        send_times = self.send_times
        status = self.status
        monotonic = time.monotonic
        time_ns = time.time_ns
        sent = self.sent
        burst_end = sent + _BURST
        self.connection.start_batch()
        now = monotonic()
        next_delay: float | None = None
        over = False
        try:
            while True:
                if limit is not None and sent >= limit:
                    break
                if rate:
                    due = first_deadline + sent * step
                    if t_end is not None and due >= t_end:
                        over = True  # every message due within --duration has been sent
                        break
                elif t_end is not None and now >= t_end:
                    over = True
                    break
                if window is not None and sent - self.acked - self.nacked >= window:
                    break  # acks re-enter _pump
                if sent >= burst_end:
                    next_delay = 0.0
                    break
                if rate and due > now:
                    now = monotonic()
                    if due > now:
                        next_delay = due - now
                        break
                seq = sent + 1
                props.correlation_id = prefix + str(seq)
                headers[SENT_HEADER] = time_ns()
                send_times.append(now)
                status.append(0)
                publish(exchange, rkey, body, props, mandatory)
                sent = seq
                now = monotonic()
        finally:
            self.sent = sent
            self.row[self.base + S.SENT] = sent
            self.connection.flush_batch()
        if over or (limit is not None and sent >= limit):
            self._end_publishing()
            return
        if window is None and self.connection._get_write_buffer_size() > _MAX_TX_BUFFER:
            next_delay = 0.001 if next_delay is None else max(next_delay, 0.001)
        if next_delay is not None:
            self._schedule(next_delay)

    @property
    def body(self) -> bytes:
        return self.cfg.body

    def _end_publishing(self) -> None:
        if self.publishing_done:
            return
        self.publishing_done = True
        self.row[self.base + S.SENT] = self.sent
        if not self.cfg.confirm:
            self.finished_at = time.monotonic()
            self._close()
            return
        self.deadline = time.monotonic() + self.cfg.confirm_timeout
        self._check_settled()

    def _check_settled(self) -> None:
        stop = self.control[S.STOP]
        if stop and self.stop_seen is None:  # Ctrl-C / SIGTERM: a healthy broker confirms within milliseconds
            self.stop_seen = time.monotonic()
            self.deadline = min(self.deadline, self.stop_seen + S.STOP_GRACE)
        if self.acked + self.nacked >= self.sent:
            self._close()
        elif time.monotonic() >= self.deadline or stop >= S.STOP_NOW or self._orphaned():
            waited = min(self.cfg.confirm_timeout, S.STOP_GRACE) if stop else self.cfg.confirm_timeout
            self._fail("timeout", f"{self.sent - self.acked - self.nacked} messages still unconfirmed "
                                  f"after {waited:g}s")
            self._close()
        else:
            self.connection.ioloop.call_later(0.05, self._check_settled)

    def _finished_cleanly(self) -> bool:
        return self.publishing_done and (not self.cfg.confirm or self.acked + self.nacked >= self.sent)

    def _close(self) -> None:
        self._flush_counts()
        self._close_connection()

    # ---- confirms --------------------------------------------------------------------------
    def _on_return(self, _channel, _method, properties, _body) -> None:
        cid = properties.correlation_id or ""
        if cid.startswith(self.prefix):
            self.returned_tags.add(int(cid[len(self.prefix):]))

    def _on_confirm(self, frame) -> None:
        method = frame.method
        positive = method.NAME == "Basic.Ack"
        tag = method.delivery_tag
        now = time.monotonic()
        if method.multiple:
            tags = range(self.low + 1, tag + 1)
        else:
            tags = (tag,)
        status = self.status
        send_times = self.send_times
        add = self.latency.add
        returned = self.returned_tags
        for t in tags:
            if status[t]:
                continue
            if not positive:
                status[t] = 2
                self.nacked += 1
            elif returned and t in returned:
                returned.discard(t)
                status[t] = 3
                self.returned += 1
                self.acked += 1
            else:
                status[t] = 1
                self.confirmed += 1
                self.acked += 1
            add((now - send_times[t]) * 1000.0)
        low = self.low
        limit = len(status) - 1
        while low < limit and status[low + 1]:
            low += 1
        self.low = low
        self.finished_at = now
        base = self.base
        row = self.row
        row[base + S.CONFIRMED] = self.confirmed
        row[base + S.NACKED] = self.nacked
        row[base + S.RETURNED] = self.returned
        if self.publishing_done:
            if self.acked + self.nacked >= self.sent:
                self._close()
        elif self.timer is None:
            self._pump()


def _batching_connection_class(pika):
    """SelectConnection that hands a whole burst of frames to the socket as one write.

    Stock pika queues each frame (method, header, body: three per message) as its own buffer
    and sends them with one ``send()`` call each; joining a burst cuts those syscalls from
    three per message to one per burst. Outside a burst (acks, heartbeats) nothing changes.
    """

    class BatchingSelectConnection(pika.SelectConnection):
        _batch: list | None = None

        def start_batch(self) -> None:
            self._batch = []

        def flush_batch(self) -> None:
            batch, self._batch = self._batch, None
            if batch and not self.is_closed:
                self._adapter_emit_data(b"".join(batch))

        def _output_marshaled_frames(self, marshaled_frames) -> None:
            batch = self._batch
            if batch is None:
                super()._output_marshaled_frames(marshaled_frames)
                return
            for marshaled_frame in marshaled_frames:
                self.bytes_sent += len(marshaled_frame)
                self.frames_sent += 1
                batch.append(marshaled_frame)

    return BatchingSelectConnection


def producer_main(cfg: AmqpLoadConfig, spec: S.ProducerSpec, row, control, go, report_conn) -> None:
    """Entry point of a producer process."""
    Producer(cfg, spec, row, control, go, report_conn).run()
