"""``devkit logs ship --from-amqp``: the seed's "consumer with cache", done right.

One consumer on one thread (pika's BlockingConnection is not thread-safe), a prefetch window
wider than the stitcher's stream gap plus two batches, messages stitched in delivery order (a
traceback sent one line per message is joined again), and the Aggregator flushing by size or
by time, ticked while the queue is quiet. A message is acked only when the document it went
into was indexed or written to the dead-letter file; if devkit or the broker connection dies
first, the broker redelivers it, and the document id (the publisher's message_id, else a hash
of the event's lines) makes the second write overwrite the first.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Callable

from devkit.errors import InputError, ServiceError
from devkit.logs.es.bulk import Aggregator, BulkWriter, Item, ShipStats, make_item
from devkit.logs.es.client import EsConnection
from devkit.logs.es.docs import doc_record, event_to_doc
from devkit.logs.event import Event
from devkit.logs.formats import Record, parse_line
from devkit.logs.sources import Note
from devkit.logs.stitch import STREAM_GAP, Segmenter, decode
from devkit.logs.timestamps import Zone
from devkit.secrets import mask_url_passwords, normalize_url

_POLL = 0.1  # seconds between ticks while the queue is quiet
MAX_DEPTH = 100  # deepest nesting of a record kept: deeper ones are dead-lettered, not a RecursionError


class Unshippable(Exception):
    """A message that can never become a document; it goes to the dead-letter file and is acked."""


def content_id(source: str, raw_lines: list[bytes], message_id: str | None = None) -> str:
    """The same id when a message is redelivered: its document is overwritten, not duplicated.

    The publisher's ``message_id`` when it set one; else a hash of every line of the event (a
    queue has no stable position to use, unlike a file's line number).
    """
    h = hashlib.sha1(source.encode() + b"\0")
    if message_id:
        h.update(b"id\0" + message_id.encode())
    else:
        for raw in raw_lines:
            h.update(raw + b"\n")
    return h.hexdigest()


def ship_amqp(amqp_url: str, queue_name: str, conn: EsConnection, index: str, *, batch: int = 1000,
              flush_interval: float = 5.0, dead_letter: str | None = None, max_retries: int = 5,
              backoff: float = 0.5, zone: Zone | None = None, idle_exit: float | None = None,
              max_messages: int | None = None, progress: Callable[[ShipStats], None] | None = None,
              should_stop: Callable[[], bool] | None = None) -> ShipStats:
    """Consume ``queue_name`` until ``idle_exit`` seconds pass without a message (None: forever)."""
    import pika
    from pika.exceptions import AMQPError, ChannelClosedByBroker

    zone = zone or Zone()
    shown = mask_url_passwords(amqp_url)
    source = f"amqp:{queue_name}"
    stats = ShipStats(server=str(conn.server), index=index)
    try:
        params = pika.URLParameters(normalize_url(amqp_url))
    except Exception as exc:
        raise InputError(f"--from-amqp {shown}: {exc}") from None
    try:
        connection = pika.BlockingConnection(params)
    except AMQPError as exc:
        raise ServiceError(f"{shown}: cannot connect to the broker ({type(exc).__name__}); is RabbitMQ running "
                           "there and are the credentials right?") from None
    channel = connection.channel()
    try:
        channel.queue_declare(queue_name, passive=True)
    except ChannelClosedByBroker:
        connection.close()
        raise InputError(f"{shown}: queue {queue_name!r} does not exist; check --queue") from None
    channel = connection.channel() if channel.is_closed else channel
    # An open syslog-style event holds back the events after it for up to STREAM_GAP records: the
    # window must be wider, or a quiet spell would be faked and a traceback cut in two.
    channel.basic_qos(prefetch_count=min(65535, STREAM_GAP + 2 * batch))

    def done(items: list[Item], ok: bool) -> None:
        for item in items:
            for tag in item.tag:
                channel.basic_ack(tag)
        if progress:
            progress(stats)

    writer = BulkWriter(conn, index, stats, max_retries=max_retries, backoff=backoff, dead_letter=dead_letter,
                        on_done=done)
    writer.ensure_index()
    agg = Aggregator(writer.write, batch, flush_interval)
    seg = Segmenter(source, zone)
    tags: dict[int, int] = {}
    message_ids: dict[int, str] = {}

    def emit(events: list[Event]) -> None:
        for ev in events:
            stats.read += 1
            doc_id = content_id(source, ev.raw, message_ids.pop(ev.line, None))
            item = make_item(index, doc_id, event_to_doc(ev), [tags.pop(n) for n in ev.line_numbers if n in tags])
            agg.add(item)

    state = {"idle_since": time.monotonic(), "drained": True, "lineno": 0, "unshippable": 0}

    def consume() -> None:
        for method, props, body in channel.consume(queue_name, inactivity_timeout=_POLL):
            now = time.monotonic()
            if method is None:
                if not state["drained"] and now - state["idle_since"] >= min(flush_interval, 1.0):
                    emit(seg.finish())  # a quiet queue: the open events are complete
                    state["drained"] = True
                agg.tick()
                if should_stop and should_stop():
                    return
                if idle_exit is not None and now - state["idle_since"] >= idle_exit and not agg.items:
                    return
                continue
            state["idle_since"], state["drained"] = now, False
            state["lineno"] = lineno = state["lineno"] + 1
            try:
                events = _feed(seg, lineno, body, zone, stats)
            except Unshippable as exc:  # acked once it is safe in the dead-letter file
                writer.dead_letter_message(body, str(exc), [method.delivery_tag])
                state["unshippable"] += 1
                continue
            tags[lineno] = method.delivery_tag
            if props is not None and props.message_id:
                message_ids[lineno] = str(props.message_id)
            emit(events)
            if max_messages is not None and lineno >= max_messages:
                return

    try:
        try:
            consume()
        except KeyboardInterrupt:
            stats.problems.append(Note("interrupted: what was read is shipped and acked, the rest stays queued"))
        emit(seg.finish())
        agg.flush()
        try:
            channel.cancel()  # prefetched, unread messages go back to the queue
        except AMQPError:
            pass
    except AMQPError as exc:
        raise ServiceError(f"{shown}: lost the broker connection ({type(exc).__name__}); unacked messages "
                           "will be redelivered") from None
    finally:
        writer.close()
        try:
            if connection.is_open:
                connection.close()
        except AMQPError:
            pass
    writer.refresh()
    if state["unshippable"]:
        stats.problems.append(Note(f"{state['unshippable']} message(s) could not become documents (nested deeper "
                                   f"than {MAX_DEPTH} levels); they are in {stats.dead_letter}, acked"))
    stats.seconds = time.monotonic() - stats.started
    return stats


def _feed(seg: Segmenter, lineno: int, body: bytes, zone: Zone, stats: ShipStats) -> list[Event]:
    """One message as one record of the stream: a JSON log record, else a text line of its own.

    Every message starts a record: a text message that is no log line is a document by itself, never
    glued to the previous record (syslog lines still join their own stream, as in a file).
    """
    body = body.rstrip(b"\r\n")
    if body[:1] in (b"{", b"["):
        try:
            obj = json.loads(body)
        except RecursionError:
            raise Unshippable(f"nested deeper than the JSON parser goes (devkit keeps {MAX_DEPTH} levels)") from None
        except ValueError:
            obj = None
        if isinstance(obj, (dict, list)) and _depth_exceeds(obj, MAX_DEPTH):
            raise Unshippable(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(obj, dict):
            rec, text = doc_record(obj, zone)
            return seg.feed_record(lineno, body, rec, text)
    stats.text_messages += 1
    text = decode(body)
    rec = parse_line(text, zone) or Record("text", message=text, opens=True)
    return seg.feed_record(lineno, body, rec, text)


def _depth_exceeds(obj: object, limit: int) -> bool:
    """True when *obj* nests dicts/lists deeper than *limit* (iterative: no recursion to overflow)."""
    stack = [(obj, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False
