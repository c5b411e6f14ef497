"""Publishers: protocol-2 task messages with publisher confirms over a sliding window.

All publishers share one schedule of absolute deadlines (task *k* is due at
``start + k / rate``) and one ledger, and run on one pika IO loop in one process: a Celery
worker pool consumes far fewer tasks per second than one confirming connection publishes,
and one process means a signal can never leave a publisher behind.
"""

from __future__ import annotations

import time
from array import array

from devkit.load.celery import reasons
from devkit.load.celery.messages import FrameTemplate
from devkit.load.stats import SampleBuffer

_BURST = 1000  # most tasks published per IO-loop turn, so confirms, events and timers still run
EXHAUSTED = -1.0


class Schedule:
    """Hands out the right to publish the next task, for every publisher in turn."""

    def __init__(self, count: int | None, duration: float | None, rate: float | None) -> None:
        self.count, self.duration, self.rate = count, duration, rate
        self.start = 0.0
        self.end: float | None = None
        self.claimed = 0
        self.closed = False

    def begin(self, start: float) -> None:
        self.start = start
        self.end = start + self.duration if self.duration is not None else None

    def claim(self, now: float) -> float:
        """0 and the task is yours; > 0 seconds until the next is due; EXHAUSTED at the end."""
        if self.closed or (self.count is not None and self.claimed >= self.count):
            return EXHAUSTED
        if self.rate:
            due = self.start + self.claimed / self.rate
            if self.end is not None and due >= self.end:
                return EXHAUSTED
            if due > now:
                return due - now
        elif self.end is not None and now >= self.end:
            return EXHAUSTED
        self.claimed += 1
        return 0.0


class Publisher:
    """One connection and channel in confirm mode; reports to the run, counts in the ledger."""

    def __init__(self, run, index: int) -> None:
        self.run = run
        self.index = index
        self.cfg = run.cfg
        self.ledger = run.ledger
        self.connection = None
        self.channel = None
        self.tag_seq = array("q", [0])  # delivery tag -> task number
        self.status = bytearray(1)  # per tag: 0 pending, 1 settled
        self.low = 0  # every tag <= low is settled
        self.settled = 0
        self.sent = 0
        self.last_confirm = 0.0  # monotonic time of the last confirm: the end of publishing
        self.latency = SampleBuffer()
        self.publishing = False
        self.done = False
        self.closing = False
        self.blocked = False
        self.timer = None
        self.deadline = 0.0
        self.template: FrameTemplate | None = None

    # ---- connection ------------------------------------------------------------------------
    def open(self, params, ioloop) -> None:
        import pika

        self.connection = pika.SelectConnection(
            params, on_open_callback=self._on_open, on_open_error_callback=self._on_open_error,
            on_close_callback=self._on_closed, custom_ioloop=ioloop,
        )
        self.connection.add_on_connection_blocked_callback(self._on_blocked)
        self.connection.add_on_connection_unblocked_callback(self._on_unblocked)

    def _on_open(self, connection) -> None:
        connection.channel(on_open_callback=self._on_channel_open)

    def _on_open_error(self, _connection, exc) -> None:
        self.done = True
        self.run.connection_failed(f"publisher {self.index}: cannot connect: {reasons.describe_reason(exc)}")

    def _on_channel_open(self, channel) -> None:
        self.channel = channel
        self.template = self.run.message.frames_template(channel.channel_number, self.connection._body_max_length)
        channel.add_on_close_callback(self._on_channel_closed)
        channel.add_on_return_callback(self._on_return)
        channel.confirm_delivery(self._on_confirm, callback=lambda _frame: self.run.publisher_ready(self))

    def _on_closed(self, _connection, reason) -> None:
        if not self.closing:
            self.run.connection_failed(f"publisher {self.index}: connection lost: {reasons.describe_reason(reason)}")
        self.done = True
        self.run.publisher_closed(self)

    def _on_channel_closed(self, _channel, reason) -> None:
        if not self.closing:
            self.run.connection_failed(f"publisher {self.index}: {reasons.channel_closed_text(reason)}")
        self.close()

    def _on_blocked(self, _connection, _frame) -> None:
        self.blocked = True  # a resource alarm on the broker: publish nothing until it clears

    def _on_unblocked(self, _connection, _frame) -> None:
        self.blocked = False
        self.pump()

    # ---- publishing ------------------------------------------------------------------------
    def start(self) -> None:
        self.publishing = True
        self.pump()

    def pump(self) -> None:
        """Publish what is due and fits the window; re-arm a timer for the next deadline."""
        if not self.publishing or self.blocked or self.channel is None or not self.channel.is_open:
            return
        run, ledger, message = self.run, self.ledger, self.run.message
        schedule, template = run.schedule, self.template
        publish = self.channel.basic_publish
        exchange, rkey = self.cfg.exchange, self.cfg.publish_routing_key
        window = self.cfg.window
        wall, monotonic = time.time, time.monotonic
        frames: list[bytes] = []
        delay = None
        try:
            for _ in range(_BURST):
                if self.sent - self.settled >= window:
                    break  # confirms call pump() again
                wait = schedule.claim(monotonic())
                if wait == EXHAUSTED:
                    self.end_publishing()
                    break
                if wait > 0:
                    delay = wait
                    break
                now = wall()
                seq = ledger.add(now)
                due, expires = message.prepare(seq, now)
                if due or expires:
                    ledger.due_at[seq], ledger.expires_at[seq] = due, expires
                self.tag_seq.append(seq)
                self.status.append(0)
                data = template.render(message) if template is not None else None
                if data is not None:
                    frames.append(data)
                else:
                    if frames:  # keep the order of delivery tags
                        self.connection._output_marshaled_frames([b"".join(frames)])
                        frames.clear()
                    publish(exchange, rkey, message.body, message.properties, True)
                self.sent += 1
            else:
                delay = 0.0
        finally:
            if frames:  # one write per burst
                self.connection._output_marshaled_frames([b"".join(frames)])
        if delay is not None and self.publishing:
            self._schedule(delay)

    def _schedule(self, delay: float) -> None:
        if self.timer is None:
            self.timer = self.connection.ioloop.call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        self.timer = None
        self.pump()

    def end_publishing(self) -> None:
        """No more tasks: wait (up to the confirm timeout) for the broker to settle the rest."""
        if not self.publishing and self.deadline:
            return
        self.publishing = False
        self.deadline = time.monotonic() + self.cfg.confirm_timeout
        self._check_settled()

    def _check_settled(self) -> None:
        if self.settled >= self.sent or self.run.hurry:
            self.close()
        elif time.monotonic() >= self.deadline:
            self.run.note_error(f"publisher {self.index}: {self.sent - self.settled:,} tasks still unconfirmed "
                                f"after {self.cfg.confirm_timeout:g}s")
            self.close()
        elif not self.closing:
            self.connection.ioloop.call_later(0.05, self._check_settled)

    def close(self) -> None:
        if self.closing:
            return
        self.closing = True
        self.publishing = False
        if self.connection is not None and self.connection.is_open:
            self.connection.close()
        elif self.connection is None or self.connection.is_closed:
            self.done = True
            self.run.publisher_closed(self)

    # ---- confirms --------------------------------------------------------------------------
    def _on_return(self, _channel, _method, properties, _body) -> None:
        seq = self.ledger.ids.seq(properties.correlation_id)
        if 0 <= seq < len(self.ledger):
            self.ledger.returned(seq)  # unroutable: no queue is bound for it

    def _on_confirm(self, frame) -> None:
        method = frame.method
        positive = method.NAME == "Basic.Ack"
        tag = method.delivery_tag
        tags = range(self.low + 1, tag + 1) if method.multiple else (tag,)
        status, tag_seq, ledger = self.status, self.tag_seq, self.ledger
        now = time.time()
        add = self.latency.add
        for t in tags:
            if t >= len(status) or status[t]:
                continue
            status[t] = 1
            self.settled += 1
            seq = tag_seq[t]
            if positive:
                ledger.confirmed(seq)
            else:
                ledger.nacked(seq)
            add((now - ledger.sent_at[seq]) * 1000.0)
        self.last_confirm = time.monotonic()
        low, limit = self.low, len(status) - 1
        while low < limit and status[low + 1]:
            low += 1
        self.low = low
        if self.publishing:
            if self.timer is None:
                self.pump()
        elif not self.closing and self.settled >= self.sent:
            self.close()
