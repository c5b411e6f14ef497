"""Passwords never show, however the URL is written: not %-encoded, with '@' or '/' inside, without
a scheme; in messages, reports, --json and internal errors (issue 16, "Secrets")."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from devkit.cli import cli
from devkit.secrets import mask_url_passwords, normalize_url, split_url


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def shown(result) -> str:
    return result.stdout + result.stderr


@pytest.mark.parametrize(("url", "masked"), [
    ("amqp://guest:pa/ss@host", "amqp://guest:***@host"),
    ("http://user:Http/S3cret@host/", "http://user:***@host/"),
    ("http://user:Top/Secret1@host", "http://user:***@host"),
    ("http://user:Top@Secret1@host", "http://user:***@host"),
    ("user:Top/Secret1@host:9200", "user:***@host:9200"),
    ("https://elastic:p%40ss@es:9200/x", "https://elastic:***@es:9200/x"),
    ("http://u:p@[::1]:9200/", "http://u:***@[::1]:9200/"),
    ("amqp://guest:guest@localhost:5672/%2F", "amqp://guest:***@localhost:5672/%2F"),
    ("amqp://guest@host/", "amqp://guest@host/"),
    ("http://127.0.0.1/find?mail=a@b.example", "http://127.0.0.1/find?mail=a@b.example"),
])
def test_every_url_form_is_masked(url, masked):
    assert mask_url_passwords(url) == masked
    assert mask_url_passwords(f"cannot reach '{url}': refused") == f"cannot reach '{masked}': refused"


def test_the_userinfo_runs_to_the_last_at_sign_before_the_host():
    parts = split_url("http://user:Top@Secret1@host:9200/logs")
    assert (parts.scheme, parts.user, parts.password, parts.host_port) == ("http", "user", "Top@Secret1", "host:9200")
    assert normalize_url("amqp://guest:pa/ss@host/%2F") == "amqp://guest:pa%2Fss@host/%2F"
    assert normalize_url("user:Top/Secret1@host:9200", default_scheme="http") == "http://user:Top%2FSecret1@host:9200"
    assert normalize_url("amqp://u:p%2Fq@h/") == "amqp://u:p%2Fq@h/"  # already encoded: unchanged
    assert normalize_url("http://127.0.0.1:8080/api?mail=a@b") == "http://127.0.0.1:8080/api?mail=a@b"


def test_a_piece_of_a_known_password_outside_any_url_is_masked():
    split_url("http://user:Piece/Of/Secret@host")  # devkit parsed it, so it knows it is a secret
    assert mask_url_passwords("could not cast 'Piece/Of/Secret' to int") == "could not cast '***' to int"


# ---- through the CLI --------------------------------------------------------------------------
@pytest.mark.parametrize("url", [
    "http://user:Top/Secret1@127.0.0.1:1",
    "http://user:Top@Secret1@127.0.0.1:1",
    "user:Top/Secret1@127.0.0.1:1",
])
def test_trace_es_with_an_unencoded_password_says_cannot_connect_masked(url):
    result = invoke("logs", "trace", "abc", "--es", url)
    assert result.exit_code == 2, shown(result)
    assert "Top" not in shown(result) and "Secret1" not in shown(result)
    assert result.stderr.count("\n") == 1 and "cannot connect (Connection refused)" in result.stderr
    assert "user:***@127.0.0.1:1" in result.stderr


def test_trace_es_bad_port_is_one_line_not_a_value_error():
    result = invoke("logs", "trace", "abc", "--es", "http://user:Top/Secret1@127.0.0.1:abc")
    assert result.exit_code == 2
    assert result.stderr == ("devkit: error: --es http://user:***@127.0.0.1:abc: expected "
                             "http(s)://[user:password@]host[:port] (the port is not a number)\n")


def test_load_amqp_with_an_unencoded_password_reaches_the_port_it_names():
    result = invoke("load", "amqp", "-n", "1", "--url", "amqp://guest:pa/ss@127.0.0.1:1/%2F")
    assert result.exit_code == 2
    assert "pa/ss" not in shown(result) and "ss@" not in shown(result)
    assert result.stderr == ("devkit: error: cannot connect to RabbitMQ at amqp://guest:***@127.0.0.1:1/%2F: "
                             "Connection refused\n")


def test_load_http_report_header_stderr_and_json_are_masked():
    url = "http://user:Http/S3cret@127.0.0.1:1/"
    for extra in ([], ["--json"]):
        result = invoke("load", "http", url, "-n", "1", *extra)
        assert result.exit_code == 2
        assert "S3cret" not in shown(result) and "Http/" not in shown(result)
        assert "nothing answered at http://user:***@127.0.0.1:1/" in result.stderr
    assert json.loads(result.stdout)["url"] == "http://user:***@127.0.0.1:1/"


def test_load_http_sends_the_password_as_typed():
    """Not just hidden: the unencoded password reaches the server whole, as basic auth."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802
            seen.append(self.headers.get("Authorization", ""))
            self.send_response(200)
            self.send_header("Correlation-Id", self.headers.get("Correlation-Id", ""))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://user:Http/S3cret@x@127.0.0.1:{server.server_address[1]}/"
        result = invoke("load", "http", url, "-n", "2")
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 0, shown(result)
    assert "S3cret" not in shown(result)
    assert seen == ["Basic " + base64.b64encode(b"user:Http/S3cret@x").decode()] * 2


def test_an_internal_error_quoting_the_password_is_masked(monkeypatch):
    from devkit.logs.es import client

    def explode(self):
        raise ValueError("Port could not be cast to integer value as 'Top/Secret1'")

    monkeypatch.setattr(client.EsConnection, "_detect", explode)
    result = invoke("logs", "trace", "abc", "--es", "http://user:Top/Secret1@127.0.0.1:1")
    assert result.exit_code == 2
    assert "Top/Secret1" not in shown(result)
    assert result.stderr.startswith("devkit: error: internal error: ValueError: Port could not be cast to integer "
                                    "value as '***'")
