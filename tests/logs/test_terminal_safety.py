"""Log content never drives the terminal: run devkit on a real pseudo-terminal and read the bytes.

Each hostile sequence below changed a real terminal before: OSC 0/2 retitled the window, OSC 52
wrote the clipboard, OSC 8 made a link, ESC[2J cleared the screen, C1 CSI (U+009B) acted as ESC[
on terminals that honour 8-bit controls, bidi overrides reorder what a person reads.
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from logs_support import write

from devkit.cli import cli
from devkit.cli.visible import inert_json, visible, visible_line

HOSTILE = {
    "title": "\x1b]0;PWNED\x07",
    "title2": "\x1b]2;PWNED\x1b\\",
    "clipboard": "\x1b]52;c;ZWNobyBoaQ==\x07",
    "link": "\x1b]8;;http://192.0.2.1/\x1b\\click\x1b]8;;\x1b\\",
    "clear": "\x1b[2J\x1b[H",
    "c1": "\u009b31m",
    "bidi": "\u202eevil\u202c \u2066iso\u2069",
    "bell": "\x07\x08\x7f",
    "cr": "fake\roverwrite",
}
#: Bytes that must never reach the terminal from the log.
FORBIDDEN = [b"\x1b]", b"\x1b[2J", b"\x1b[H", b"\xc2\x9b", b"\x07", b"\x08", b"\x7f", b"\xe2\x80\xae", b"\xe2\x80\xac",
             b"\xe2\x81\xa6", b"\xe2\x81\xa9", b"\x1b\\", b"fake\roverwrite"]


def hostile_logs(root: Path) -> Path:
    lines = [f"2026-11-20 09:00:0{i},000 ERROR evil-1 {name}: {seq} end" for i, (name, seq) in enumerate(HOSTILE.items())]
    lines.insert(1, "Traceback (most recent call last):\n  File \"x\x1b]0;TB\x07.py\", line 1, in f\n"
                    "ValueError: \x1b[2Jgone \u202eevil")
    write(root / "app" / "app.log", "\n".join(lines) + "\n")
    svc = json.dumps({"@timestamp": "2026-11-20T09:00:09.500Z", "message": "from a hostile service name",
                      "level": "ERROR", "service": "svc\x1b]0;S\x07", "corrId": "evil-1"})
    write(root / "json" / "json.log", svc + "\n")
    return root


def on_pty(*args: str, env: dict | None = None, timeout: float = 60) -> tuple[int, bytes]:
    """Run ``devkit ARGS`` with stdout and stderr on a pseudo-terminal; return (status, bytes seen)."""
    master, slave = pty.openpty()
    environ = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40", **(env or {})}
    environ.pop("NO_COLOR", None)
    proc = subprocess.Popen([sys.executable, "-m", "devkit", *args], stdin=subprocess.DEVNULL, stdout=slave,
                            stderr=slave, env=environ, close_fds=True)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the other side closed
                    break
                if not chunk:
                    break
                out += chunk
            elif proc.poll() is not None:
                break
        status = proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return status, out


def assert_inert(out: bytes) -> None:
    found = [seq for seq in FORBIDDEN if seq in out]
    assert not found, (found, out[:2000])


@pytest.mark.parametrize("command", [["trace", "evil-1"], ["grep", "end"], ["merge"]])
def test_terminal_timeline_and_summary_show_controls_visibly(tmp_path, command):
    root = hostile_logs(tmp_path)
    status, out = on_pty("logs", *command, str(root), "--tz", "UTC")
    assert status == 0, out[-2000:]
    assert_inert(out)
    text = out.decode("utf-8", "replace")
    assert "␛]0;PWNED␇" in text and "␛]52;c;ZWNobyBoaQ==␇" in text and "␛[2J␛[H" in text
    assert "<U+009B>31m" in text and "<U+202E>evil<U+202C>" in text and "fake␍overwrite" in text
    assert "\x1b[" in text  # it is still a coloured terminal: only devkit's own SGR codes


def test_short_tracebacks_and_the_waterfall_are_safe_too(tmp_path):
    root = hostile_logs(tmp_path)
    status, out = on_pty("logs", "trace", "evil-1", str(root), "--tz", "UTC", "--short-tb")
    assert status == 0
    assert_inert(out)
    text = out.decode()
    assert "ValueError: ␛[2Jgone <U+202E>evil" in text and "svc␛]0;S␇" in text  # a hostile service name


def test_piped_output_is_visible_as_well(tmp_path):
    root = hostile_logs(tmp_path)
    result = CliRunner().invoke(cli, ["logs", "trace", "evil-1", str(root), "--tz", "UTC"])
    assert result.exit_code == 0
    data = result.stdout.encode()
    assert_inert(data)
    assert "# Request evil-1: 10 events, 2 services, 2 sources, 10 errors" in result.stdout
    assert "svc␛]0;S␇" in result.stdout


def test_file_names_on_stderr_are_shown_not_obeyed(tmp_path):
    evil = str(tmp_path / "missing\x1b]0;FILE\x07\nfake-line.log")
    status, out = on_pty("logs", "trace", "evil-1", evil)
    assert status == 2
    assert_inert(out)
    text = out.decode()
    assert "missing␛]0;FILE␇␊fake-line.log" in text
    assert text.count("devkit: error:") == 1  # a newline in a name cannot forge a second line


def test_raw_on_a_terminal_is_visible_unless_raw_tty(tmp_path):
    root = hostile_logs(tmp_path)
    status, out = on_pty("logs", "trace", "evil-1", str(root), "--tz", "UTC", "--raw")
    assert status == 0
    assert_inert(out)
    assert "␛]0;PWNED␇" in out.decode()
    assert b"held terminal control characters, shown visibly" in out and b"--raw-tty" in out
    status, out = on_pty("logs", "trace", "evil-1", str(root), "--tz", "UTC", "--raw-tty")
    assert status == 0 and b"\x1b]0;PWNED\x07" in out  # asked for: the bytes


def test_raw_into_a_pipe_is_exact(tmp_path):
    root = hostile_logs(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "devkit", "logs", "trace", "evil-1", str(root), "--tz", "UTC",
                           "--raw"], capture_output=True, timeout=60)
    assert proc.returncode == 0 and proc.stderr == b""
    assert proc.stdout == (root / "app" / "app.log").read_bytes() + (root / "json" / "json.log").read_bytes()


def test_json_escapes_c1_and_bidi_but_loses_nothing(tmp_path):
    root = hostile_logs(tmp_path)
    status, out = on_pty("logs", "trace", "evil-1", str(root), "--tz", "UTC", "--json")
    assert status == 0
    assert_inert(out)
    lines = out.decode().replace("\r\n", "\n").splitlines()
    # stderr (the progress bar) shares the terminal: take each JSON object from where it starts
    docs = [json.loads(line[line.index('{"timestamp"'):]) for line in lines if '{"timestamp"' in line]
    assert len(docs) == 10
    assert docs[0]["message"].startswith(f"evil-1 title: {HOSTILE['title']} end")
    assert any(HOSTILE["bidi"] in d["message"] for d in docs) and any(HOSTILE["c1"] in d["message"] for d in docs)


def test_visible_helpers():
    assert visible("a\x1b[2Jb\tc\nd") == "a␛[2Jb\tc\nd"
    assert visible("\u009b\u202e\u2069\u200f\u2028") == "<U+009B><U+202E><U+2069><U+200F><U+2028>"
    assert visible("plain ünïcode 👨‍👩‍👧") == "plain ünïcode 👨‍👩‍👧"  # ZWJ emoji untouched
    assert visible_line("a\nb\x00") == "a␊b␀"
    dumped = json.dumps({"m": "\u009b\u202e\x1b"}, ensure_ascii=False)
    assert inert_json(dumped) == '{"m": "\\u009b\\u202e\\u001b"}' and json.loads(inert_json(dumped))["m"] == "\u009b\u202e\x1b"
