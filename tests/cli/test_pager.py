"""Reading on a terminal: the pager runs only when stdout is a terminal (a real pseudo-terminal
here), never in a pipe or with --no-pager; --color/--no-color are accepted after any command."""

import os
import re
import pty
import select
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from devkit.cli import cli
from devkit.cli.pager import pager_command

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "logs"
DEMO = "e5f011c3c08395f59280cb8e102d796b"


def on_tty(args: list[str], env: dict) -> str:
    """Run devkit with stdout and stderr on a pseudo-terminal; what the terminal showed."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "devkit", *args], stdin=subprocess.DEVNULL, stdout=slave,
                            stderr=slave, env=env, cwd=ROOT)
    os.close(slave)
    shown = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            proc.kill()
            raise AssertionError("devkit did not finish on the terminal")
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the terminal's other side is closed
            break
        if not chunk:
            break
        shown += chunk
    proc.wait(timeout=60)
    os.close(master)
    return shown.decode("utf-8", "replace")


@pytest.fixture
def pager_env(tmp_path):
    out = tmp_path / "paged.txt"
    env = dict(os.environ, PAGER=f"sh -c 'echo \"LESS=$LESS\" > {tmp_path}/env; cat > {out}'", COLUMNS="120")
    env.pop("DEVKIT_PAGER", None)
    env.pop("LESS", None)
    return env, out


@pytest.mark.parametrize("command", [["trace", DEMO, str(EXAMPLES), "--tz", "UTC"],
                                     ["requests", str(EXAMPLES)], ["merge", str(EXAMPLES / "nginx")],
                                     ["grep", "-F", "KeyError", str(EXAMPLES)]])
def test_on_a_terminal_long_output_goes_through_the_pager(pager_env, command):
    env, out = pager_env
    shown = on_tty(["logs", *command], env)
    paged = out.read_text()
    assert len(paged.splitlines()) > 5
    assert "\x1b[" in paged  # still coloured: the pager shows it on the terminal
    assert paged.splitlines()[-1].strip() not in shown
    assert (out.parent / "env").read_text().strip() == "LESS=FRX"  # like git: less gets -FRX if LESS is unset


def test_no_pager_in_a_pipe_with_no_pager_or_with_cat(pager_env):
    env, out = pager_env
    piped = subprocess.run([sys.executable, "-m", "devkit", "logs", "requests", str(EXAMPLES)], env=env,
                           capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert piped.returncode == 0 and "REQUEST" in piped.stdout and not out.exists()
    shown = on_tty(["logs", "requests", str(EXAMPLES), "--no-pager"], env)
    assert re.search(r"\d+ requests, \d+ failed", shown) and not out.exists()
    shown = on_tty(["logs", "requests", str(EXAMPLES)], dict(env, PAGER="cat"))
    assert re.search(r"\d+ requests, \d+ failed", shown) and not out.exists()
    shown = on_tty(["logs", "requests", str(EXAMPLES)], dict(env, DEVKIT_PAGER=""))
    assert re.search(r"\d+ requests, \d+ failed", shown) and not out.exists()


def test_the_pager_command():
    assert pager_command(True, env={}) == ["less", "-FRX"]
    assert pager_command(True, env={"PAGER": "more"}) in (["more"], None)  # None where more is not installed
    assert pager_command(True, env={"PAGER": "less", "DEVKIT_PAGER": "cat"}) is None
    assert pager_command(True, env={"PAGER": "no-such-pager-xyz"}) is None
    assert pager_command(False, env={}) is None
    assert pager_command(True, disabled=True, env={}) is None


def walk(group: click.Group, ctx: click.Context, path=()):
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        yield path + (name,)
        if isinstance(cmd, click.Group):
            yield from walk(cmd, click.Context(cmd, parent=ctx, info_name=name), path + (name,))


@pytest.mark.parametrize("path", list(walk(cli, click.Context(cli, info_name="devkit"))), ids=" ".join)
def test_every_command_takes_color_and_no_color(path):
    for flag in ("--color", "--no-color"):
        result = CliRunner().invoke(cli, [*path, flag, "--help"])
        assert result.exit_code == 0, result.output


def test_no_color_after_the_command_wins():
    result = CliRunner().invoke(cli, ["logs", "trace", DEMO, str(EXAMPLES), "--tz", "UTC", "--no-color"])
    assert result.exit_code == 0 and "\x1b[" not in result.stdout
    result = CliRunner().invoke(cli, ["logs", "trace", DEMO, str(EXAMPLES), "--tz", "UTC", "--color"])
    assert "\x1b[" in result.stdout
