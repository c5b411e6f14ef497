"""``-f/--follow`` and live stdin: a real ``devkit logs ... -f`` process, fed by this test as another
process appends, rotates and truncates its files. Bounds are generous liveness checks (an event
must show up within ``WITHIN`` seconds), not timing benchmarks."""

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from devkit.logs.follow import Lines, is_rotated_copy

WITHIN = 15.0
T0 = datetime(2026, 11, 20, 10, 0, 0, tzinfo=timezone.utc)


def rec(sec: float, msg: str, level: str = "INFO") -> str:
    stamp = (T0 + timedelta(seconds=sec)).strftime("%Y-%m-%d %H:%M:%S,%f")[:-3]
    return f"{stamp} {level} {msg}\n"


def tb_rec(sec: float, msg: str) -> str:
    return rec(sec, msg, "ERROR") + ('Traceback (most recent call last):\n  File "app.py", line 3, in run\n'
                                     "    boom()\nValueError: " + msg + "\n")


def append(path, text: str) -> None:
    with open(path, "a") as f:  # one write, as a logging handler does
        f.write(text)


class Live:
    """A running ``devkit logs`` whose stdout lines are collected by a thread."""

    def __init__(self, *args: str, stdin=subprocess.DEVNULL, cwd=None) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "devkit", "logs", *args], stdin=stdin,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)

    def take(self, n: int, within: float = WITHIN) -> list[str]:
        out, deadline = [], time.monotonic() + within
        while len(out) < n:
            try:
                out.append(self.lines.get(timeout=max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                raise AssertionError(f"only {len(out)} of {n} lines within {within}s: {out}") from None
        return out

    def events(self, n: int) -> list[dict]:
        return [json.loads(line) for line in self.take(n)]

    def nothing_more(self, wait: float = 1.5) -> list[str]:
        time.sleep(wait)
        out = []
        while not self.lines.empty():
            out.append(self.lines.get())
        return out

    def stop(self, sig=signal.SIGINT) -> tuple[int, str, list[str]]:
        self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=WITHIN)
        time.sleep(0.1)  # the pump drains what was written last
        rest = []
        while not self.lines.empty():
            rest.append(self.lines.get())
        return rc, self.proc.stderr.read(), rest

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def live():
    started: list[Live] = []

    def start(*args, **kw) -> Live:
        started.append(Live(*args, **kw))
        return started[-1]

    yield start
    for proc in started:
        proc.kill()


def messages(events: list[dict]) -> list[str]:
    return [e["message"].split("\n")[0] for e in events]


def test_appended_lines_and_new_files_come_in_time_order_with_tracebacks_whole(tmp_path, live):
    d = tmp_path / "logs"
    d.mkdir()
    append(d / "a.log", rec(0, "a0") + rec(1, "a1"))
    f = live("merge", "-f", str(d), "--tz", "UTC", "--json")
    assert messages(f.events(2)) == ["a0", "a1"]  # what was there: read first
    append(d / "b.log", rec(2, "b2"))  # a file that appears in the directory
    assert messages(f.events(1)) == ["b2"]  # out when its source went quiet, not when the next record comes
    append(d / "a.log", tb_rec(3, "a3 failed"))
    [tb] = f.events(1)
    assert tb["lines"] == 5 and tb["traceback"].endswith("ValueError: a3 failed")
    for sec in range(4, 12):  # two writers, alternating
        append(d / ("a.log" if sec % 2 else "b.log"), rec(sec, f"x{sec}"))
        time.sleep(0.03)
    assert messages(f.events(8)) == [f"x{sec}" for sec in range(4, 12)]
    rc, err, rest = f.stop()
    assert rc == 0 and rest == []
    assert "followed 2 files: 12 events" in err


def test_rotation_by_rename_reads_the_old_file_to_its_end_and_the_new_one_whole(tmp_path, live):
    d = tmp_path / "logs"
    d.mkdir()
    log = d / "app.log"
    append(log, rec(0, "before"))
    f = live("merge", "-f", str(d), "--tz", "UTC", "--json")
    assert messages(f.events(1)) == ["before"]
    writer = open(log, "a")
    os.rename(log, d / "app.log.1")  # logrotate: rename, then the app reopens
    writer.write(rec(1, "late line in the old file"))
    writer.flush()
    writer.close()
    append(log, rec(2, "first in the new file") + rec(3, "second in the new file"))
    got = f.events(3)
    assert messages(got) == ["late line in the old file", "first in the new file", "second in the new file"]
    assert {e["source"] for e in got} == {str(log)}  # one source, whatever its inode
    assert f.nothing_more() == []  # app.log.1 is not read again as a new file
    append(log, rec(4, "later"))
    assert messages(f.events(1)) == ["later"]


def test_copytruncate_reads_the_file_again_from_its_start_and_not_the_copy(tmp_path, live):
    d = tmp_path / "logs"
    d.mkdir()
    log = d / "app.log"
    append(log, rec(0, "old 0") + rec(1, "old 1"))
    f = live("merge", "-f", str(d), "--tz", "UTC", "--json")
    assert messages(f.events(2)) == ["old 0", "old 1"]
    shutil.copy(log, d / "app.log.1")
    with open(log, "r+") as fh:
        fh.truncate(0)
    append(log, rec(2, "new 2"))
    assert messages(f.events(1)) == ["new 2"]
    time.sleep(0.5)
    # truncated and written past the old size again between two looks: still noticed
    with open(log, "r+") as fh:
        fh.truncate(0)
    append(log, rec(3, "rewritten 3 " + "x" * 200) + rec(4, "rewritten 4"))
    assert messages(f.events(2)) == ["rewritten 3 " + "x" * 200, "rewritten 4"]
    assert f.nothing_more() == []


def test_trace_follow_shows_the_id_only_and_ends_with_the_summary_on_sigterm(tmp_path, live):
    d = tmp_path / "logs"
    d.mkdir()
    ident = "4bf92f3577b34da6a3ce929d0e0e4736"
    append(d / "gateway.log", f"{ident} - 2026-11-20 10:00:00,000 - v.py - f - in\n"
                              f"other000000000000000000000000000 - 2026-11-20 10:00:00,100 - v.py - f - other\n")
    f = live("trace", ident, "-f", str(d), "--tz", "UTC")
    [first] = f.take(1)
    assert first.endswith(" gateway - in\n")
    append(d / "orders.log", json.dumps({"@timestamp": "2026-11-20T10:00:01.000Z", "message": "paid",
                                         "corrId": ident, "level": "error", "exception": "Traceback (most recent "
                                         "call last):\nValueError: no"}) + "\n")
    lines = f.take(3)
    assert "paid" in lines[0] and "ValueError: no" in lines[2]
    rc, err, rest = f.stop(signal.SIGTERM)
    assert rc == 0
    summary = "".join(rest)
    assert f"# Request {ident}: 2 events, 2 services, 2 sources, 1 error" in summary
    assert "followed 2 files: 2 events" in err


def test_nothing_followed_exits_1(tmp_path, live):
    (tmp_path / "a.log").write_text(rec(0, "x"))
    f = live("grep", "never-there", "-f", str(tmp_path / "a.log"), "--tz", "UTC")
    time.sleep(1.0)
    rc, err, rest = f.stop()
    assert rc == 1 and rest == [] and "0 events" in err


def test_a_live_pipe_shows_each_event_when_the_pipe_pauses(live):
    """Today's bug: ``merge -`` showed an event only when the next one arrived."""
    for args in (("merge", "-"), ("merge", "-f", "-")):
        f = live(*args, "--tz", "UTC", "--json", stdin=subprocess.PIPE)
        f.proc.stdin.write(rec(0, "one"))
        f.proc.stdin.flush()
        assert messages(f.events(1)) == ["one"]  # no second record needed
        f.proc.stdin.write(tb_rec(1, "two"))
        f.proc.stdin.flush()
        [two] = f.events(1)
        assert two["lines"] == 5
        f.proc.stdin.write(rec(2, "three"))
        f.proc.stdin.close()
        assert messages(f.events(1)) == ["three"]
        assert f.proc.wait(timeout=WITHIN) == 0


def test_lines_and_rotated_copies():
    lines = Lines()
    assert lines.split(b"a\r\nb") == [b"a"] and lines.split(b"c\nd\n") == [b"bc", b"d"] and lines.tail() == []
    assert lines.split(b"tail") == [] and lines.tail() == [b"tail"]
    for name in ("d/app.log.1", "d/app.log.2.gz", "d/app.log-20261120", "d/app.log.20261120.gz"):
        assert is_rotated_copy(name, ["d/app.log"])
    for name in ("d/app.log", "d/other.log", "d/app.log.bak", "d/app.logger"):
        assert not is_rotated_copy(name, ["d/app.log"])


def test_what_is_there_when_following_starts_is_exactly_the_merge(live, run):
    """Wrapped sources included (compose, a pod's CRI log, syslog), ties broken the same way."""
    from logs_support import EXAMPLES

    merged = run("logs", "merge", str(EXAMPLES), "--tz", "UTC", "--json").stdout.splitlines()
    f = live("merge", "-f", str(EXAMPLES), "--tz", "UTC", "--json")
    assert [json.loads(x) for x in f.take(len(merged), within=60)] == [json.loads(x) for x in merged]
    rc, _, rest = f.stop()
    assert rc == 0 and rest == []
