"""A tiny WSGI service for the end-to-end test: the middleware, the generated logging config and
a downstream call through the requests helper. Usage: orders_app.py PORT LOGGING_JSON."""

from __future__ import annotations

import json
import logging
import logging.config
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from devkit.correlation import CorrelationMiddleware, correlated_session

log = logging.getLogger("orders.views")


def application(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    if path == "/inventory":
        log.info("inventory checked")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"in stock"]
    if path == "/boom":
        log.info("checkout started")
        stock = correlated_session().get(f"http://127.0.0.1:{PORT}/inventory", timeout=10).text
        log.info("inventory says %s", stock)
        try:
            1 / 0
        except ZeroDivisionError:
            log.exception("checkout failed")
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
        return [b"failed"]
    log.info("orders listed")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"[]"]


class Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


if __name__ == "__main__":
    PORT = int(sys.argv[1])
    with open(sys.argv[2]) as handle:
        logging.config.dictConfig(json.load(handle))
    log.info("orders starting on %d", PORT)
    server = make_server("127.0.0.1", PORT, CorrelationMiddleware(application), server_class=Server,
                         handler_class=QuietHandler)
    server.serve_forever()
