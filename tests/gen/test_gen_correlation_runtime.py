"""devkit.correlation: the WSGI middleware, the logging filter and formatter, the requests helper."""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.util import setup_testing_defaults

import pytest
import requests

from devkit import correlation
from devkit.correlation import (
    CorrelationFilter,
    CorrelationMiddleware,
    JsonFormatter,
    correlated_session,
    correlation_context,
    get_correlation_id,
    outgoing_headers,
)

TS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\Z")


@pytest.fixture
def captured():
    """A private logger with the filter and the JSON formatter, writing to a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(CorrelationFilter())
    handler.setFormatter(JsonFormatter(service="gate"))
    logger = logging.getLogger("devkit-test-corr")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.handlers[:] = []


def call(app, headers: dict | None = None):
    environ: dict = {}
    setup_testing_defaults(environ)
    for key, value in (headers or {}).items():
        environ["HTTP_" + key.upper().replace("-", "_")] = value
    got = {}

    def start_response(status, response_headers, exc_info=None):
        got["status"] = status
        got["headers"] = response_headers

    body_iter = app(environ, start_response)
    body = b"".join(body_iter)
    during_body = got.get("during")
    if hasattr(body_iter, "close"):
        body_iter.close()
    return got, body, environ, during_body


def test_middleware_keeps_valid_replaces_hostile_and_echoes(captured):
    logger, records = captured

    def app(environ, start_response):
        logger.info("handling %s", environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "text/plain"), ("correlation-id", "app-made")])
        return [get_correlation_id().encode()]

    wrapped = CorrelationMiddleware(app)
    got, body, environ, _ = call(wrapped, {"Correlation-Id": "req-38101a0b"})
    assert body == b"req-38101a0b"
    assert [v for k, v in got["headers"] if k.lower() == "correlation-id"] == ["req-38101a0b"]
    assert environ["HTTP_CORRELATION_ID"] == "req-38101a0b"

    for hostile in ['a"b', "x" * 129, "<script>", "line\nbreak", ""]:
        got, body, environ, _ = call(wrapped, {"Correlation-Id": hostile})
        fresh = body.decode()
        assert re.fullmatch(r"[0-9a-f]{32}", fresh), hostile
        assert environ["HTTP_CORRELATION_ID"] == fresh == environ["devkit.correlation_id"]
    got, body, _, _ = call(wrapped)
    assert re.fullmatch(r"[0-9a-f]{32}", body.decode())

    assert get_correlation_id() == "Internal"  # reset once the server closed the body
    ids = [r["correlation_id"] for r in records()]
    assert ids[0] == "req-38101a0b" and len(set(ids)) == len(ids) == 7


def test_id_stays_set_while_a_generator_body_is_iterated(captured):
    logger, records = captured

    def app(environ, start_response):
        start_response("200 OK", [])

        def body():
            logger.info("streaming")
            yield b"chunk"

        return body()

    call(CorrelationMiddleware(app), {"Correlation-Id": "stream-1"})
    assert [r["correlation_id"] for r in records()] == ["stream-1"]
    assert get_correlation_id() == "Internal"


def test_concurrent_requests_keep_their_own_ids(captured):
    logger, records = captured

    def app(environ, start_response):
        logger.info("start")
        threading.Event().wait(0.01)  # let other requests interleave
        logger.info("end")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [get_correlation_id().encode()]

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = make_server("127.0.0.1", 0, CorrelationMiddleware(app), server_class=Server, handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda i: requests.get(url, headers={"Correlation-Id": f"req-{i}"}, timeout=10),
                                    range(40)))
    finally:
        server.shutdown()
        server.server_close()
    assert [r.text for r in results] == [f"req-{i}" for i in range(40)]
    assert [r.headers["Correlation-Id"] for r in results] == [f"req-{i}" for i in range(40)]
    by_id: dict = {}
    for rec in records():
        by_id.setdefault(rec["correlation_id"], []).append(rec["message"])
    assert by_id == {f"req-{i}": ["start", "end"] for i in range(40)}


def test_filter_marks_records_outside_a_request_internal(captured):
    logger, records = captured
    logger.info("startup")
    with correlation_context("job-7") as cid:
        logger.info("in a job")
    with correlation_context("bad id!") as fresh:
        logger.info("bad id replaced")
    assert cid == "job-7" and re.fullmatch(r"[0-9a-f]{32}", fresh)
    assert [r["correlation_id"] for r in records()] == ["Internal", "job-7", fresh]


def test_json_formatter_shape_traceback_and_extras(captured):
    logger, records = captured
    with correlation_context("trace-9"):
        try:
            {}["missing"]
        except KeyError:
            logger.exception("lookup failed for %s", "user", extra={"user_id": 42, "tags": {"a"}})
    logger.warning("odd\u2028separator\nnewline")
    [rec, odd] = records()
    assert list(rec)[:7] == ["@timestamp", "level", "logger", "message", "correlation_id", "service", "exception"]
    assert TS.match(rec["@timestamp"])
    assert rec["level"] == "ERROR" and rec["logger"] == "devkit-test-corr" and rec["service"] == "gate"
    assert rec["message"] == "lookup failed for user"
    assert rec["correlation_id"] == "trace-9"
    assert rec["exception"].startswith("Traceback (most recent call last):\n")
    assert rec["exception"].rstrip().endswith("KeyError: 'missing'")
    assert rec["user_id"] == 42 and rec["tags"] == ["a"]
    assert odd["message"] == "odd\u2028separator\nnewline" and "exception" not in odd


def test_formatter_line_is_one_line_for_every_reader():
    formatter = JsonFormatter()
    record = logging.LogRecord("svc.views", logging.INFO, __file__, 1, "a\u2028b\u2029c\x85d\re\nf", None, None)
    line = formatter.format(record)
    assert len(line.splitlines()) == 1
    data = json.loads(line)
    assert data["message"] == "a\u2028b\u2029c\x85d\re\nf"
    assert data["service"] == "svc" and data["correlation_id"] == "Internal"


def test_service_from_env_and_from_ini_format(monkeypatch):
    record = logging.LogRecord("gate.api", logging.INFO, __file__, 1, "m", None, None)
    monkeypatch.setenv("DEVKIT_SERVICE", "from-env")
    assert json.loads(JsonFormatter().format(record))["service"] == "from-env"
    static = JsonFormatter('{"service": "billing", "env": "prod"}')
    data = json.loads(static.format(record))
    assert data["service"] == "billing" and data["env"] == "prod"
    with pytest.raises(ValueError):
        JsonFormatter("{not json")


class _EchoHeaders(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        body = json.dumps(dict(self.headers.items())).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_outgoing_requests_carry_the_id():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHeaders)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        session = correlated_session()
        assert "Correlation-Id" not in session.get(url, timeout=10).json()  # outside a request
        with correlation_context("down-1"):
            assert session.get(url, timeout=10).json()["Correlation-Id"] == "down-1"
            explicit = session.get(url, headers={"Correlation-Id": "mine"}, timeout=10).json()
            assert explicit["Correlation-Id"] == "mine"
            plain = requests.get(url, headers=outgoing_headers({"Accept": "x/y"}), timeout=10).json()
            assert plain["Correlation-Id"] == "down-1" and plain["Accept"] == "x/y"
            existing = correlated_session(requests.Session())
            assert existing.get(url, timeout=10).json()["Correlation-Id"] == "down-1"
        assert outgoing_headers() == {}
    finally:
        server.shutdown()
        server.server_close()


def test_runtime_imports_only_the_stdlib():
    code = ("import sys, devkit.correlation as c; "
            "bad = [m for m in ('requests', 'click', 'rich', 'urllib3') if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_flask_app_through_the_middleware(captured):
    import flask  # in the test extra: a missing Flask fails, it does not skip
    logger, records = captured
    app = flask.Flask("corr-test")

    @app.route("/")
    def index():
        logger.info("in view")
        return flask.request.headers["Correlation-Id"]

    app.wsgi_app = CorrelationMiddleware(app.wsgi_app)
    client = app.test_client()
    resp = client.get("/", headers={"Correlation-Id": "flask-1"})
    resp.close()  # what a WSGI server does once the body is sent; the ID is reset then
    assert resp.text == "flask-1" and resp.headers.getlist("Correlation-Id") == ["flask-1"]
    resp = client.get("/", headers={"Correlation-Id": "<bad>"})
    resp.close()
    assert re.fullmatch(r"[0-9a-f]{32}", resp.text) and resp.headers["Correlation-Id"] == resp.text
    assert [r["correlation_id"] for r in records()] == ["flask-1", resp.text]
    assert correlation.get_correlation_id() == "Internal"
