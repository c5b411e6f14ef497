"""Counters the worker processes share with the parent, so totals stay exact if a worker dies.

Each worker owns one row of a shared ``int64`` array and is the only writer of it; the parent
only reads. A worker killed mid-run leaves its last counts behind, which are never more than
what the broker really confirmed.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass

# Row layout (one row per worker). A consumer's RECEIVED are messages whose ack the broker proved
# it applied; ACK_UNSETTLED those acked but not proven yet (after the run: each consumed or requeued).
STATE, SENT, CONFIRMED, NACKED, RETURNED, RECEIVED, FOREIGN, DUPLICATES, ACK_UNSETTLED = range(9)
ROW = 9

# Worker states.
STARTING, READY, RUNNING, DONE, FAILED = range(5)

# Control block (float64): written by the parent only.
START_AT, STOP, PRODUCERS_DONE = range(3)
CONTROL_SIZE = 3

# Values of control[STOP].
RUNNING_ON, STOP_GRACEFUL, STOP_NOW = 0, 1, 2

STOP_GRACE = 3.0  # after a graceful stop (Ctrl-C, SIGTERM): wait this long at most for outstanding confirms
CLOSE_TIMEOUT = 2.0  # a broker that does not answer Connection.Close in this long is dropped


def die_with_parent(parent_pid: int) -> None:
    """Make this worker process die when its parent does (SIGTERM, SIGKILL, a crash).

    Linux's ``PR_SET_PDEATHSIG`` sends SIGKILL the moment the parent exits; a parent that died
    before the call is caught by the ``getppid`` check after it. Elsewhere the workers' ticks
    check :func:`parent_alive`. SIGINT and SIGTERM are ignored here: the parent turns them into
    a clean stop of every worker, so the final report is exact.
    """
    from devkit.children import exit_with_parent

    global _parent_pid
    _parent_pid = parent_pid
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    exit_with_parent(parent_pid)  # elsewhere than Linux, parent_alive() in the ticks covers it


_parent_pid = 0  # set in a worker process by die_with_parent()


def parent_alive() -> bool:
    """False once the parent that started this worker has exited (0: not a worker, always True)."""
    return not _parent_pid or os.getppid() == _parent_pid


@dataclass
class ProducerSpec:
    """One producer's share of the run: its queue/routing key and its slice of the sequence."""

    index: int
    queue: str | None
    routing_key: str
    count: int | None  # messages for this producer (count mode)
    rate: float | None  # messages/s for this producer
    offset: float  # seconds after the common start of its first deadline (interleaves producers)


@dataclass
class ConsumerSpec:
    """One consumer per queue: drains it and matches messages to this run by correlation ID."""

    index: int
    queue: str
    producers: list[int]  # producers publishing to this queue


@dataclass
class WorkerReport:
    """Sent by a worker on exit: latency samples and, on failure, the reason."""

    kind: str
    index: int
    error: str | None = None
    error_kind: str | None = None  # "connect", "lost", "channel"
    latencies: bytes = b""
    finished_at: float | None = None  # monotonic time of the last confirm / receive
    received_by_producer: dict[int, bytes] | None = None  # consumer: seq bitmaps
    confirmed_bitmap: bytes | None = None  # producer (count mode): 1 per confirmed seq


def describe_reason(reason) -> str:
    """pika's exceptions as one line: '(320) CONNECTION_FORCED - ...' or the socket error."""
    from devkit.secrets import mask_url_passwords

    args = getattr(reason, "args", ())
    if len(args) >= 2 and isinstance(args[0], int):
        text = f"({args[0]}) {args[1]}"
    else:
        text = str(reason) or type(reason).__name__
        if not text.strip() or text == "()":
            text = type(reason).__name__
    return mask_url_passwords(text)


def connection_parameters(pika, url: str, connect_timeout: float, name: str):
    """pika parameters that give up on a black hole: TCP connect and the whole handshake are bounded."""
    params = pika.URLParameters(url)
    params.connection_attempts = 1
    params.socket_timeout = connect_timeout
    params.stack_timeout = connect_timeout
    params.client_properties = {"connection_name": name}
    return params


class ConnectionWorker:
    """What producers and consumers share: the first failure wins and stops the loop."""

    error: str | None = None
    error_kind: str | None = None
    connection = None

    def _fail(self, kind: str, message: str) -> None:
        if self.error is None:
            self.error, self.error_kind = message, kind

    def _orphaned(self) -> bool:
        """The parent is gone (where PR_SET_PDEATHSIG is missing): stop at once, publish nothing more."""
        if not parent_alive():
            self._fail("lost", "the devkit parent process is gone")
            return True
        return False

    def _close_connection(self) -> None:
        """Close politely, but never wait on a broker that stopped answering (a black hole)."""
        connection = self.connection
        if connection.is_open:
            connection.close()
            connection.ioloop.call_later(CLOSE_TIMEOUT, connection.ioloop.stop)
        elif connection.is_closing:
            connection.ioloop.call_later(CLOSE_TIMEOUT, connection.ioloop.stop)
        else:
            connection.ioloop.stop()

    def _on_open_error(self, _connection, exc) -> None:
        self._fail("connect", f"cannot connect: {describe_reason(exc)}")
        self.connection.ioloop.stop()

    def _report_extra(self) -> dict:
        """Fields of the final report that only this kind of worker has (read after the loop)."""
        return {}

    def _after_loop(self) -> None:
        """Settle this worker's own accounting once its connection is gone, before the report."""

    def _run_and_report(self, kind: str) -> None:
        """Run the IO loop; whatever happens, publish final counts and send the report home."""
        try:
            self.connection.ioloop.start()
        finally:
            self._after_loop()
            self._flush_counts()
            self.row[self.base + STATE] = FAILED if self.error else DONE
            self.report_conn.send(WorkerReport(
                kind=kind, index=self.spec.index, error=self.error, error_kind=self.error_kind,
                latencies=self.latency.tobytes(), finished_at=self.finished_at, **self._report_extra(),
            ))
            self.report_conn.close()


def connect_blocking(params, safe_url: str, connect_timeout: float | None = None):
    """One blocking connection, or a one-line ServiceError saying why not (refused, login, vhost,
    a black hole that accepts and never answers): what ``load amqp`` and ``load celery`` share."""
    import pika
    import pika.exceptions as pex
    from pika.adapters.utils.connection_workflow import AMQPConnectorException

    from devkit.errors import ServiceError

    try:
        return pika.BlockingConnection(params)
    except pex.ProbableAuthenticationError:
        raise ServiceError(f"RabbitMQ at {safe_url} refused the login (check user and password)") from None
    except pex.ProbableAccessDeniedError:
        raise ServiceError(f"RabbitMQ at {safe_url} denied access to the vhost") from None
    except (pex.AMQPConnectionError, AMQPConnectorException) as exc:
        if connect_timeout is not None and _is_handshake_timeout(exc):
            raise ServiceError(f"no AMQP handshake from {safe_url} within {connect_timeout:g}s: something "
                               "accepts connections there but does not answer (see --connect-timeout)") from None
        raise ServiceError(f"cannot connect to RabbitMQ at {safe_url}: {connect_reason(exc)}") from None
    except OSError as exc:
        raise ServiceError(f"cannot connect to RabbitMQ at {safe_url}: {exc}") from None


def _is_handshake_timeout(exc: BaseException) -> bool:
    from pika.adapters.utils.connection_workflow import AMQPConnectorStackTimeout

    todo, seen = [exc], 0
    while todo and seen < 20:
        item = todo.pop()
        seen += 1
        if isinstance(item, AMQPConnectorStackTimeout):
            return True
        todo.extend(a for a in getattr(item, "args", ()) if isinstance(a, BaseException))
    return False


def connect_reason(exc: BaseException) -> str:
    """The root cause inside pika's nested connection errors, e.g. 'Connection refused'."""
    todo, seen = [exc], 0
    while todo and seen < 20:
        item = todo.pop(0)
        seen += 1
        if isinstance(item, OSError):
            return item.strerror or str(item)
        todo.extend(a for a in getattr(item, "args", ()) if isinstance(a, BaseException))
        for attr in ("exception", "exceptions"):
            inner = getattr(item, attr, None)
            if isinstance(inner, BaseException):
                todo.append(inner)
            elif isinstance(inner, (list, tuple)):
                todo.extend(i for i in inner if isinstance(i, BaseException))
    text = str(exc)
    return text if text and text != "()" else type(exc).__name__


