"""Stitching lines into events: tracebacks, Java stacks, split syslog records, inherited times."""

from devkit.logs.stitch import stitch
from devkit.logs.timestamps import Zone

UTC = Zone.parse("UTC")


def events_of(text: str):
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return list(stitch(((i, l.encode()) for i, l in enumerate(lines, 1)), "app.log", UTC, "app"))


CHAINED = """\
Internal - 2026-11-20 09:00:00,000 - app.py - boot - starting
abc - 2026-11-20 09:00:01,000 - views.py - get - lookup failed
Traceback (most recent call last):
  File "views.py", line 10, in get
    return cache[key]
KeyError: 'k'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "views.py", line 12, in get
    raise LookupFailed(key) from None
views.LookupFailed: k
abc - 2026-11-20 09:00:01,500 - views.py - get - done
"""


def test_chained_python_traceback_is_one_event():
    evs = events_of(CHAINED)
    assert [(e.line, e.lines) for e in evs] == [(1, 1), (2, 12), (14, 1)]
    err = evs[1]
    assert err.message == "lookup failed"
    assert err.traceback.startswith("Traceback (most recent call last):")
    assert "During handling of the above exception" in err.traceback
    assert err.traceback.endswith("views.LookupFailed: k")
    assert err.level == "ERROR" and err.is_error


def test_java_stack_trace_joins_its_record():
    evs = events_of(
        "2026-11-20 09:00:00,000 ERROR [main] c.e.Search - query failed\n"
        "java.lang.IllegalStateException: closed\n"
        "\tat com.example.Search.run(Search.java:42)\n"
        "\tat java.base/java.lang.Thread.run(Thread.java:833)\n"
        "Caused by: java.io.IOException: reset\n"
        "\t... 2 more\n"
        "2026-11-20 09:00:01,000 INFO [main] c.e.Search - ok\n"
    )
    assert [(e.line, e.lines) for e in evs] == [(1, 6), (7, 1)]
    assert "Caused by: java.io.IOException" in evs[0].message


def test_split_syslog_traceback_rejoins_across_interleaved_containers():
    evs = events_of(
        "<14>1 2026-11-20T09:00:00.100Z h1 /web 42 - - abc - 2026-11-20 09:00:00,100 - t.py - f - send failed\n"
        "<14>1 2026-11-20T09:00:00.101Z h1 /web 42 - - Traceback (most recent call last):\n"
        "<14>1 2026-11-20T09:00:00.101Z h2 /worker 7 - - Internal - 2026-11-20 09:00:00,101 - w.py - tick - tick\n"
        "<14>1 2026-11-20T09:00:00.102Z h1 /web 42 - -   File \"t.py\", line 3, in f\n"
        "<14>1 2026-11-20T09:00:00.102Z h2 /worker 7 - -   indented but another stream\n"
        "<14>1 2026-11-20T09:00:00.103Z h1 /web 42 - -     smtp.send()\n"
        "<14>1 2026-11-20T09:00:00.103Z h1 /web 43 - - Internal - 2026-11-20 09:00:00,103 - t.py - g - other pid\n"
        "<14>1 2026-11-20T09:00:00.104Z h1 /web 42 - - TimeoutError: timed out\n"
        "<14>1 2026-11-20T09:00:00.105Z h1 /web 42 - - abc - 2026-11-20 09:00:00,105 - t.py - f - next record\n"
    )
    by_line = {e.line: e for e in evs}
    assert by_line[1].line_numbers == [1, 2, 4, 6, 8]
    assert by_line[1].traceback.splitlines() == [
        "Traceback (most recent call last):", '  File "t.py", line 3, in f', "    smtp.send()", "TimeoutError: timed out"]
    assert by_line[1].fields["corrId"] == "abc"
    assert by_line[3].line_numbers == [3, 5]  # worker's own continuation stays with the worker
    assert by_line[7].lines == 1 and by_line[9].lines == 1
    assert sum(e.lines for e in evs) == 9


def test_after_the_exception_line_a_plain_record_of_the_stream_is_new():
    evs = events_of(
        "<14>1 2026-11-20T09:00:00.100Z h1 /web 42 - - Traceback (most recent call last):\n"
        "<14>1 2026-11-20T09:00:00.101Z h1 /web 42 - - ValueError: x\n"
        "<14>1 2026-11-20T09:00:00.102Z h1 /web 42 - - Shutdown\n"
    )
    assert [e.line_numbers for e in evs] == [[1, 2], [3]]


def test_oslo_traceback_lines_join_their_record():
    evs = events_of(
        "2017-05-16 00:00:00.008 25746 ERROR nova.compute [req-1 u t - - -] Instance failed to spawn\n"
        "2017-05-16 00:00:00.008 25746 ERROR nova.compute Traceback (most recent call last):\n"
        "2017-05-16 00:00:00.009 25747 INFO nova.api [req-2 u t - - -] other process\n"
        "2017-05-16 00:00:00.008 25746 ERROR nova.compute   File \"m.py\", line 1, in spawn\n"
        "2017-05-16 00:00:00.008 25746 ERROR nova.compute nova.exception.NoValidHost: no host\n"
    )
    assert [e.line_numbers for e in evs] == [[1, 2, 4, 5], [3]]
    assert evs[0].traceback.endswith("nova.exception.NoValidHost: no host")


def test_untimed_events_inherit_and_leading_lines_stand_alone():
    evs = events_of(
        "stray line before any record\n"
        "2026-11-20 09:00:00,000 INFO first\n"
        "{\"message\": \"json without time\"}\n"
    )
    assert [(e.line, e.lines, e.format) for e in evs] == [(1, 1, "text"), (2, 1, "timestamped"), (3, 1, "json")]
    assert evs[0].ts is None
    assert evs[2].ts == evs[1].ts and evs[2].ts_inherited


def test_every_line_belongs_to_exactly_one_event():
    text = CHAINED * 3 + "tail without newline"
    evs = events_of(text)
    numbers = sorted(n for e in evs for n in e.line_numbers)
    assert numbers == list(range(1, len(text.split("\n")) + 1))
