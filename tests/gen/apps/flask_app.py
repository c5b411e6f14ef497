"""A real Flask app behind devkit's middleware, served by Werkzeug's threaded server.
Usage: flask_app.py PORT LOGGING_JSON (the config from `devkit gen logging`)."""

from __future__ import annotations

import json
import logging
import logging.config
import sys

import flask
from werkzeug.serving import make_server

from devkit.correlation import CorrelationMiddleware, correlated_session

log = logging.getLogger("shop.views")
app = flask.Flask("shop")
PORT = 0


@app.get("/")
def index():
    log.info("index n=%s", flask.request.args.get("n", "-"))
    return flask.request.headers.get("Correlation-Id", "")  # what the framework sees


@app.get("/boom")
def boom():
    log.info("checkout started")
    return str(1 / 0)  # unhandled: Flask logs "Exception on /boom [GET]" with the traceback


@app.get("/stream")
def stream():
    def chunks():
        for n in range(3):
            log.info("chunk %d", n)  # runs while the server iterates the body, after the view returned
            yield f"{n}\n"

    return flask.Response(chunks(), mimetype="text/plain")


@app.get("/downstream")
def downstream():
    text = correlated_session().get(f"http://127.0.0.1:{PORT}/?n=down", timeout=10).text
    log.info("downstream saw %s", text)
    return text


app.wsgi_app = CorrelationMiddleware(app.wsgi_app)

if __name__ == "__main__":
    PORT = int(sys.argv[1])
    with open(sys.argv[2]) as handle:
        logging.config.dictConfig(json.load(handle))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    log.info("shop starting on %d", PORT)
    make_server("127.0.0.1", PORT, app, threaded=True).serve_forever()
