"""Fixtures for the load tests: unique RabbitMQ queues (deleted afterwards) and a small HTTP
server on 127.0.0.1 that echoes, drops or alters the correlation ID on purpose."""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from load_support import close_broker_connections
from services import require_rabbitmq

URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


def _blocking():
    import pika

    params = pika.URLParameters(URL)
    params.connection_attempts = 3
    params.retry_delay = 1
    return pika.BlockingConnection(params)


class Broker:
    """Test-side view of the broker through plain pika, for checking what devkit claims."""

    url = URL

    def __init__(self) -> None:
        self.created: list[str] = []

    def new_queue(self, label: str = "q") -> str:
        name = f"devkit-test-{label}-{uuid.uuid4().hex[:10]}"
        self.created.append(name)
        return name

    def track(self, name: str) -> str:
        self.created.append(name)
        return name

    def depth(self, queue: str) -> int:
        connection = _blocking()
        try:
            return connection.channel().queue_declare(queue, passive=True).method.message_count
        finally:
            connection.close()

    def depth_if_any(self, queue: str) -> int:
        """The depth, or 0 while the queue does not exist yet (a run still starting)."""
        import pika.exceptions

        try:
            return self.depth(queue)
        except pika.exceptions.ChannelClosedByBroker:
            return 0

    def settled_depth(self, queue: str, timeout: float = 10.0) -> int:
        """The depth once it stops moving: messages a closed consumer had not acked are put
        back by the broker asynchronously, so one reading right after a drop can be short."""
        deadline = time.monotonic() + timeout
        last = self.depth(queue)
        while time.monotonic() < deadline:
            time.sleep(0.3)
            now = self.depth(queue)
            if now == last:
                return now
            last = now
        return last

    def drain(self, queue: str, expected: int, timeout: float = 60.0) -> list[tuple]:
        """Read (and ack) every message: [(properties, body)], stops at *expected* or timeout."""
        connection = _blocking()
        out = []
        try:
            channel = connection.channel()
            channel.basic_qos(prefetch_count=1000)
            deadline = time.monotonic() + timeout
            for method, properties, body in channel.consume(queue, inactivity_timeout=2.0):
                if method is None:
                    if len(out) >= expected or time.monotonic() > deadline:
                        break
                    continue
                out.append((properties, body))
                if len(out) % 500 == 0 or len(out) >= expected:
                    channel.basic_ack(method.delivery_tag, multiple=True)
                if len(out) >= expected:
                    break
            channel.cancel()
        finally:
            connection.close()
        return out

    def delete(self, queue: str) -> None:
        connection = _blocking()
        try:
            connection.channel().queue_delete(queue)
        finally:
            connection.close()

    def close_connections_of(self, run_id: str, expected: int = 1, timeout: float = 20.0, role: str = "") -> int:
        """Close, from the server side, only the connections this run opened (by name), once
        *expected* of them are up; with *role* ("consumer", "producer") only those."""
        return close_broker_connections([f"devkit-load {run_id} {role}"], expected, timeout)


@pytest.fixture
def broker():
    require_rabbitmq()
    b = Broker()
    yield b
    for name in b.created:
        with contextlib.suppress(Exception):  # the queue may never have been created
            b.delete(name)


# ---- HTTP -------------------------------------------------------------------------------------
class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[dict] = []

    def add(self, **item) -> int:
        with self.lock:
            self.requests.append(item)
            return len(self.requests)


def _handler(recorder: Recorder):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            cid = self.headers.get("Correlation-Id")
            n = recorder.add(method=self.command, path=self.path, cid=cid, body=body,
                             content_type=self.headers.get("Content-Type"), client=self.client_address)
            path = self.path
            status = 500 if path.startswith("/error") else 200
            echo = cid
            if path.startswith("/drop") and n % 4 == 0:
                echo = None  # every 4th response loses the ID
            elif path.startswith("/wrong") and n % 5 == 0:
                echo = "not-" + (cid or "")  # every 5th comes back with another ID
            payload = b"ok\n"
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            if echo is not None:
                self.send_header("Correlation-Id", echo)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = _serve

        def log_message(self, *args) -> None:
            pass

    return Handler


@pytest.fixture
def http_server():
    """(base_url, recorder) of a threaded server on 127.0.0.1, stopped after the test."""
    recorder = Recorder()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(recorder))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", recorder
    server.shutdown()
    server.server_close()
