"""The timeline at any width: compact time column, hanging indents, short or full tracebacks, highlights."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from logs_support import EXAMPLES, write
from waterfall_support import CID, PSP_TB, write_checkout

from devkit.cli import cli
from devkit.cli.logs.chart import ticks, tick_label, tree_prefixes
from devkit.cli.logs.render import plural, seconds, short_traceback

ANSI = re.compile(r"\x1b\[[0-9;]*m")
DEMO = "e5f011c3c08395f59280cb8e102d796b"


def tty(*args: str, width: int = 80):
    result = CliRunner(env={"COLUMNS": str(width)}).invoke(cli, ["--color", *args], catch_exceptions=False)
    return result, ANSI.sub("", result.stdout)


def test_long_messages_wrap_under_the_message_column(tmp_path):
    words = " ".join(f"word{i}" for i in range(40))
    log = write(tmp_path / "svc.log", f"2026-11-20 09:00:00,000 INFO id-1 {words}\n")
    for width in (60, 80, 120):
        result, text = tty("logs", "trace", "id-1", str(log), "--tz", "UTC", width=width)
        lines = text.splitlines()
        first = next(i for i, line in enumerate(lines) if line.startswith("09:00:00.000"))
        column = lines[first].index("id-1 word0")
        wrapped = [line for line in lines[first + 1:] if line.strip()]
        assert wrapped and all(len(line) <= width for line in lines[first:])
        assert all(line[:column].strip() == "" and line[column] != " " for line in wrapped), (width, wrapped)
        assert " ".join(" ".join(line.split()) for line in [lines[first][column:], *wrapped]) == f"id-1 {words}"
    assert lines[first - 1] == "── 2026-11-20 (UTC) ──"  # the date once, the time column stays compact


def test_very_narrow_terminal_puts_the_message_under_the_columns(tmp_path):
    log = write(tmp_path / "svc.log", "2026-11-20 09:00:00,000 INFO id-1 a message that is long enough\n")
    _, text = tty("logs", "trace", "id-1", str(log), "--tz", "UTC", width=40)
    lines = text.splitlines()
    i = next(i for i, line in enumerate(lines) if line.startswith("09:00:00.000"))
    assert lines[i].split() == ["09:00:00.000", "svc", "INFO"]
    assert lines[i + 1].startswith("    id-1 a message")


def test_full_tracebacks_by_default_short_with_the_flag(tmp_path):
    write_checkout(tmp_path)
    _, full = tty("logs", "trace", CID, str(tmp_path), "--tz", "UTC", width=120)
    for frame in PSP_TB:
        assert frame.strip() in full
    _, short = tty("logs", "trace", CID, str(tmp_path), "--tz", "UTC", "--short-tb", width=120)
    assert '"/app/payments/psp.py", line 88' not in short  # not the last frame
    assert '"/usr/lib/python3/site-packages/httpx/_client.py", line 1145, in post' in short
    assert "return self.request(" in short and "httpx.ConnectTimeout: timed out" in short
    assert "… 3 more lines (drop --short-tb for the whole traceback)" in short
    plain = CliRunner().invoke(cli, ["logs", "trace", CID, str(tmp_path), "--tz", "UTC", "--short-tb"]).stdout
    assert "    … 3 more lines (drop --short-tb for the whole traceback)" in plain
    assert '"/app/payments/psp.py"' not in plain


def test_traceback_lines_wrap_with_a_hanging_indent(tmp_path):
    write_checkout(tmp_path)
    _, text = tty("logs", "trace", CID, str(tmp_path), "--tz", "UTC", width=70)
    lines = text.splitlines()
    i = next(i for i, line in enumerate(lines) if "httpx/_client.py" in line)
    frame_indent = len(lines[i]) - len(lines[i].lstrip())
    assert all(len(line) <= 70 for line in lines)
    assert len(lines[i + 1]) - len(lines[i + 1].lstrip()) > frame_indent  # continuation, not column 0


def test_the_id_and_the_pattern_are_highlighted_on_a_terminal(tmp_path):
    write_checkout(tmp_path)
    result, _ = tty("logs", "trace", CID, str(tmp_path), "--tz", "UTC", width=200)
    assert re.search(r"\x1b\[1;30;43m" + CID + r"\x1b\[0m", result.stdout)
    grep, _ = tty("logs", "grep", "-i", "RESERVATION r-1", str(tmp_path), "--tz", "UTC", width=200)
    assert re.search(r"\x1b\[1;30;43mReservation r-1\x1b\[0m", grep.stdout)
    piped = CliRunner().invoke(cli, ["logs", "trace", CID, str(tmp_path), "--tz", "UTC"]).stdout
    assert "\x1b" not in piped


def test_the_root_cause_is_marked_in_the_timeline(tmp_path):
    write_checkout(tmp_path)
    _, text = tty("logs", "trace", CID, str(tmp_path), "--tz", "UTC", width=160)
    [marked] = [line for line in text.splitlines() if "◀ probable root cause" in line]
    assert "payments" in marked and "psp_request_failed" in marked


def test_grep_summarises_services_not_a_waterfall(tmp_path):
    write_checkout(tmp_path)
    _, text = tty("logs", "grep", "-F", "Reservation", str(tmp_path), "--tz", "UTC", width=120)
    assert "Request path" not in text and "services: inventory 2" in text
    plain = CliRunner().invoke(cli, ["logs", "grep", "-F", "Reservation", str(tmp_path), "--tz", "UTC"]).stdout
    assert "# Pattern Reservation: 2 events, 1 service, 1 source, 0 errors" in plain
    assert "# inventory: 2 events, 0 errors" in plain


def test_merge_on_a_terminal_has_no_offsets_and_keeps_the_day_rule():
    _, text = tty("logs", "merge", str(EXAMPLES / "orders"), "--tz", "UTC", width=100)
    lines = text.splitlines()
    assert lines[0] == "── 2026-11-20 (UTC) ──"
    assert re.match(r"\d\d:\d\d:\d\d\.\d{3} orders\s+(INFO|DEBUG|WARN|ERROR) ", lines[1])


def test_short_traceback_python_chained_and_java():
    assert short_traceback("\n".join(PSP_TB)) == [
        "… 3 more lines (drop --short-tb for the whole traceback)",
        '  File "/usr/lib/python3/site-packages/httpx/_client.py", line 1145, in post',
        "    return self.request(",
        "httpx.ConnectTimeout: timed out",
    ]
    caret = ["Traceback (most recent call last):", '  File "a.py", line 1, in f', "    g()",
             '  File "b.py", line 2, in g', "    1 / 0", "    ~~^~~", "ZeroDivisionError: division by zero"]
    assert short_traceback("\n".join(caret))[1:] == ['  File "b.py", line 2, in g', "    1 / 0",
                                                    "ZeroDivisionError: division by zero"]
    java = ["java.lang.IllegalStateException: boom", "\tat com.shop.Orders.place(Orders.java:42)",
            "\tat com.shop.Api.post(Api.java:7)", "\tat java.base/java.lang.Thread.run(Thread.java:1583)"]
    assert short_traceback("\n".join(java))[1:] == java[:2]


@pytest.mark.parametrize("n,word,out", [(0, "error", "0 errors"), (1, "service", "1 service"),
                                        (2, "event", "2 events")])
def test_plural(n, word, out):
    assert plural(n, word) == out


def test_durations_axis_and_tree_helpers():
    assert [seconds(v) for v in (None, 0, 0.0004, 0.036, 1.5, 13.106, 125)] == [
        "-", "0ms", "0.4ms", "36ms", "1.500s", "13.11s", "2m05s"]
    step, marks = ticks(13.11, 6)
    assert step == 5 and marks == [0, 5, 10]
    assert [tick_label(t, 0.25) for t in (0, 0.25, 1.5)] == ["0", "0.25s", "1.5s"]
    assert [tick_label(t, 0.05) for t in (0.05, 0.25)] == ["50ms", "250ms"]
    assert [tick_label(t, 120) for t in (120, 240)] == ["2m", "4m"]

    class H:
        def __init__(self, row, parent, children):
            self.row, self.parent, self.children = row, parent, children

    hops = [H(0, None, [1, 3]), H(1, 0, [2]), H(2, 1, []), H(3, 0, []), H(4, None, [])]
    assert tree_prefixes(hops) == ["", "├─ ", "│  └─ ", "└─ ", ""]


def test_format_utc_is_what_datetime_writes():
    """Seconds are cached and milliseconds put in by hand: the text is datetime's, to the rounding."""
    import random
    from datetime import datetime, timezone

    from devkit.logs.timestamps import format_utc

    rng = random.Random(5)
    values = [rng.uniform(0, 4e9) for _ in range(20000)]
    values += [1795132800 + j / 1e6 for j in range(0, 3_000_000, 997)]
    values += [1795132800.9999995, 1795132800.9999994999, 1795132800.0000005, 0.0, 1e-7, 0.9999999,
               253402300798.9999, -1.5, -0.0004]
    for ts in values:
        assert format_utc(ts) == datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds"), ts
