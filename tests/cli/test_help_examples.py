"""Help that works: every example in every ``devkit logs ...`` --help, the root --help's
``devkit logs`` examples and the README's ``devkit logs`` sections runs against the bundled
examples/logs and does what it says (exit 0, output where it promises events).

Examples are discovered, not listed: a new command or README line is checked the day it is
written. Examples that talk to a search server get a real one (osmem-server, its URL put in
place of ``127.0.0.1:9200``, with examples/logs shipped first); the AMQP one gets a queue
of its own on the local RabbitMQ, filled with records, and ``--idle-exit`` so it ends.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from devkit.cli import cli

ROOT = Path(__file__).resolve().parents[2]
ES_IN_EXAMPLES = "127.0.0.1:9200"  # in http://[user:pass@]127.0.0.1:9200
AMQP_IN_EXAMPLES = re.compile(r"--queue (\S+)")


def _walk(group: click.Group, ctx: click.Context, path: tuple[str, ...]):
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        yield path + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from _walk(cmd, click.Context(cmd, parent=ctx, info_name=name), path + (name,))


def _joined(lines: list[str]) -> list[str]:
    """Lines with a trailing backslash continue on the next one."""
    out: list[str] = []
    carry = ""
    for line in lines:
        if line.rstrip().endswith("\\"):
            carry += line.rstrip()[:-1].strip() + " "
            continue
        out.append((carry + line.strip()).strip())
        carry = ""
    return out


def help_examples() -> list[tuple[str, str]]:
    """(where, command line) of every example in the Examples blocks of the logs commands' help."""
    found = []
    root = click.Context(cli, info_name="devkit")
    paths = [((), cli)] + [(p, c) for p, c in _walk(cli, root, ()) if p[0] == "logs"]
    for path, _ in paths:
        text = CliRunner().invoke(cli, [*path, "--help"], terminal_width=400).output
        block = text.split("Examples:", 1)[1] if "Examples:" in text else ""
        lines = []
        for line in block.splitlines()[1:]:
            if not line.strip() or not line.startswith("  "):
                break
            lines.append(line)
        for example in _joined(lines):
            if "devkit logs" in example:
                found.append((" ".join(("devkit", *path, "--help")), example))
    return found


def readme_examples() -> list[tuple[str, str]]:
    """``$ devkit logs ...`` lines of the README's ``devkit logs`` sections (## headings) and their subsections."""
    found = []
    section = ""
    lines = (ROOT / "README.md").read_text().splitlines()
    prompt: list[str] = []
    for line in lines + [""]:
        if line.startswith("## "):  # a section and its ### subsections
            section = line
        if prompt:
            prompt.append(line)
            if not line.rstrip().endswith("\\"):
                found.append((f"README {section.strip('# ')}", _joined(prompt)[0]))
                prompt = []
            continue
        stripped = line.strip()
        if "devkit logs" in section and stripped.startswith("$ ") and "devkit logs" in stripped:
            prompt = [stripped[2:]]
            if not stripped.endswith("\\"):
                found.append((f"README {section.strip('# ')}", stripped[2:]))
                prompt = []
    return found


EXAMPLES = help_examples() + readme_examples()


def test_examples_are_found():
    wheres = {w for w, _ in EXAMPLES}
    assert any("requests" in e for _, e in EXAMPLES) and any(w.startswith("README") for w in wheres)
    assert len(EXAMPLES) >= 20


@pytest.fixture(scope="module")
def es_url():
    try:
        from osmem_server import OsmemServer, resolve_binary

        resolve_binary()
    except Exception as exc:
        from services import missing_service

        missing_service(f"osmem-server is not installed (pip install -e '.[test]'): {exc}")
    server = OsmemServer.start(seed=[], freeze=False)
    subprocess.run([*DEVKIT, "logs", "ship", "examples/logs", "--es", server.url, "--index", "logs-shop", "--tz", "UTC"],
                   cwd=ROOT, check=True, capture_output=True, timeout=120)
    yield server.url
    server.close()


@pytest.fixture
def amqp_queue():
    from services import require_rabbitmq

    require_rabbitmq()
    import pika

    name = f"devkit-test-help-{uuid.uuid4().hex[:10]}"
    conn = pika.BlockingConnection(pika.URLParameters("amqp://guest:guest@127.0.0.1:5672/%2F"))
    ch = conn.channel()
    ch.queue_declare(name)
    for line in (ROOT / "examples/logs/payments/payments.log").read_text().splitlines()[:20]:
        ch.basic_publish("", name, line.encode())
    yield name
    ch.queue_delete(name)
    conn.close()


DEVKIT = [sys.executable, "-m", "devkit"]


EXIT_NOTE = re.compile(r"\s+#\s*exit (\d+)\s*\Z")  # an example that shows a failure says so: `... # exit 1`


WRITES = re.compile(r"(?:--html|--svg|-o|--output)\s+(?!-\s|-$)(\S+)")  # an example that writes a file


@pytest.mark.parametrize("where,example", EXAMPLES, ids=[f"{w}: {e}" for w, e in EXAMPLES])
def test_example_runs_and_does_what_it_says(where, example, request, tmp_path):
    note = EXIT_NOTE.search(example)
    expect = int(note.group(1)) if note else 0
    command = example = example[: note.start()] if note else example
    if ES_IN_EXAMPLES in command:
        command = command.replace(ES_IN_EXAMPLES, request.getfixturevalue("es_url").split("://", 1)[1].rstrip("/"))
    if "--from-amqp" in command:
        command = AMQP_IN_EXAMPLES.sub(f"--queue {request.getfixturevalue('amqp_queue')}", command)
        if "--idle-exit" not in command:
            command += " --idle-exit 1"
    bindir = os.path.dirname(sys.executable)
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""), DEVKIT_PAGER="cat", COLUMNS="100")
    env.pop("DEVKIT_TZ", None)
    (tmp_path / "examples").symlink_to(ROOT / "examples")  # paths as in the docs; files it writes land here
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL)
    # 141: SIGPIPE, when `| head` stopped reading early, as it is meant to
    ok = (expect, 141) if re.search(r"\| *head\b", example) else (expect,)
    assert proc.returncode in ok, f"{where}: {example}\nexit {proc.returncode}\n{proc.stderr[-2000:]}"
    if expect:  # a failure is explained on stderr, in one line
        assert proc.stdout == "" and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        return
    written = WRITES.findall(example)
    for name in written:
        assert (tmp_path / name).stat().st_size > 0, f"{where}: {example} did not write {name}"
    if not written:
        assert proc.stdout.strip(), f"{where}: {example} printed nothing\n{proc.stderr[-2000:]}"
    if "--json" in example and "|" not in example:
        for line in proc.stdout.splitlines():
            json.loads(line)
