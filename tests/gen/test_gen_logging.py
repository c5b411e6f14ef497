"""`devkit gen logging`: each style loads the way its user loads it and logs one JSON line per record."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from devkit.cli import cli

# Runs in a fresh interpreter: loads the config like its consumer does, logs inside and outside a
# request (through the real middleware) and once with a traceback.
SCRIPT = textwrap.dedent(
    """
    import json, logging, logging.config, sys
    from wsgiref.util import setup_testing_defaults
    from devkit.correlation import CorrelationMiddleware

    style, path = sys.argv[1], sys.argv[2]
    if style == "dictconfig":
        logging.config.dictConfig(json.load(open(path)))
    elif style == "ini":
        logging.config.fileConfig(path, disable_existing_loggers=False)  # as gunicorn --log-config does
    else:
        settings = {}
        exec(open(path).read(), settings)  # gunicorn reads its -c file the same way
        logging.config.dictConfig(settings["logconfig_dict"])
        atoms = {"h": "127.0.0.1", "r": "GET / HTTP/1.1", "s": "200", "b": "2", "M": "1",
                 "{correlation-id}i": "acc-1"}
        logging.getLogger("gunicorn.access").info(settings["access_log_format"], atoms)

    log = logging.getLogger("gate.views")
    log.info("startup")

    def app(environ, start_response):
        log.info("handling")
        try:
            1 / 0
        except ZeroDivisionError:
            log.exception("failed")
        logging.getLogger("gunicorn.error").warning("worker note")
        start_response("500 Internal Server Error", [])
        return [b""]

    environ = {}
    setup_testing_defaults(environ)
    environ["HTTP_CORRELATION_ID"] = "req-77"
    body = CorrelationMiddleware(app)(environ, lambda *a: None)
    body.close()
    """
)


def generate(*args: str) -> str:
    result = CliRunner().invoke(cli, ["gen", "logging", *args])
    assert result.exit_code == 0, result.output
    return result.output


def run_style(style: str, text: str, tmp_path: Path, env_service: str | None = None) -> list[dict]:
    path = tmp_path / {"dictconfig": "logging.json", "ini": "logging.ini", "gunicorn": "gunicorn.conf.py"}[style]
    path.write_text(text)
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    if env_service:
        env["DEVKIT_SERVICE"] = env_service
    proc = subprocess.run([sys.executable, "-c", SCRIPT, style, str(path)], capture_output=True, text=True,
                          timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return [json.loads(line) for line in proc.stdout.splitlines()]


@pytest.mark.parametrize("style", ["dictconfig", "ini", "gunicorn"])
def test_style_logs_one_json_object_per_record(style, tmp_path):
    records = run_style(style, generate("--style", style, "--service", "gate"), tmp_path)
    if style == "gunicorn":
        access, records = records[0], records[1:]
        assert access["logger"] == "gunicorn.access" and access["correlation_id"] == "acc-1"
        assert access["message"] == '127.0.0.1 "GET / HTTP/1.1" 200 2 1ms corr=acc-1'
    assert [(r["message"], r["correlation_id"]) for r in records] == [
        ("startup", "Internal"),
        ("handling", "req-77"),
        ("failed", "req-77"),
        ("worker note", "req-77"),
    ]
    assert {r["service"] for r in records} == {"gate"}
    failed = records[2]
    assert failed["level"] == "ERROR"
    assert failed["exception"].startswith("Traceback (most recent call last):\n")
    assert "ZeroDivisionError: division by zero" in failed["exception"]
    assert all("exception" not in r for r in records if r is not failed)


def test_ini_without_service_takes_it_from_the_environment(tmp_path):
    text = generate("--style", "ini")
    assert "format=" not in text
    records = run_style("ini", text, tmp_path, env_service="billing")
    assert {r["service"] for r in records} == {"billing"}


def test_level_and_stream_options(tmp_path):
    config = json.loads(generate("--level", "warning", "--stream", "stderr"))
    assert config["root"]["level"] == "WARNING"
    assert config["handlers"]["console"]["stream"] == "ext://sys.stderr"


def test_every_class_the_configs_name_exists():
    import importlib

    for style in ("dictconfig", "ini", "gunicorn"):
        text = generate("--style", style)
        for dotted in set(__import__("re").findall(r"devkit\.correlation\.\w+", text)):
            module, _, name = dotted.rpartition(".")
            assert hasattr(importlib.import_module(module), name), dotted


def test_bad_service_is_a_one_line_error():
    result = CliRunner().invoke(cli, ["gen", "logging", "--service", "a b"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "--service" in result.output
