"""--since/--until/--level/--service on merge, trace, grep: whole events, checked against the generator."""

import json
from datetime import datetime, timezone

import pytest

from requests_data import Shop
from devkit.errors import InputError
from devkit.logs.filters import EventFilter, build_filter, parse_when
from devkit.logs.timestamps import Zone, format_utc

UTC = Zone.parse("UTC")
WARSAW = Zone.parse("Europe/Warsaw")
NOW = datetime(2026, 11, 20, 12, 30, 0, tzinfo=timezone.utc).timestamp()


def utc(*parts) -> float:
    return datetime(*parts, tzinfo=timezone.utc).timestamp()


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    shop = Shop(seed=11)
    shop.root = shop.write(tmp_path_factory.mktemp("shop"))
    return shop


def events_of(run, *args):
    result = run("logs", *args, "--tz", "UTC", "--json")
    assert result.exit_code in (0, 1), result.output
    return result, [json.loads(line) for line in result.stdout.splitlines()]


def key(e: dict) -> tuple:
    return (datetime.fromisoformat(e["timestamp"]).timestamp(), e["service"])


def want_key(e) -> tuple:
    return (pytest.approx(e.ts, abs=1e-3), e.service)


# --- reading times ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text,want", [
    ("10m", NOW - 600), ("2h", NOW - 7200), ("1d", NOW - 86400), ("90s", NOW - 90), ("3 hours ago", NOW - 10800),
    ("1w", NOW - 7 * 86400), ("now", NOW), ("@1795168800", 1795168800.0),
    ("today", utc(2026, 11, 20)), ("yesterday", utc(2026, 11, 19)),
    ("2026-11-20T09:15", utc(2026, 11, 20, 9, 15)), ("2026-11-20 09:15:30.250", utc(2026, 11, 20, 9, 15, 30) + 0.25),
    ("2026-11-20T09:15:00+02:00", utc(2026, 11, 20, 7, 15)), ("2026-11-20T09:15Z", utc(2026, 11, 20, 9, 15)),
    ("2026-11-20", utc(2026, 11, 20)), ("09:15", utc(2026, 11, 20, 9, 15)), ("9:15:07", utc(2026, 11, 20, 9, 15, 7)),
])
def test_times_as_people_write_them(text, want):
    assert parse_when(text, UTC, NOW) == pytest.approx(want)


def test_naive_times_and_days_are_read_in_the_zone():
    assert parse_when("09:15", WARSAW, NOW) == utc(2026, 11, 20, 8, 15)
    assert parse_when("today", WARSAW, NOW) == utc(2026, 11, 19, 23, 0)
    late = utc(2026, 11, 20, 23, 30)  # already the 21st in Warsaw
    assert parse_when("today", WARSAW, late) == utc(2026, 11, 20, 23, 0)
    assert parse_when("yesterday", WARSAW, late) == utc(2026, 11, 19, 23, 0)


def test_until_time_of_day_takes_the_date_of_since_and_rolls_over_midnight():
    f = build_filter("2026-11-18 09:16", "09:17", zone=UTC, now=NOW)
    assert (f.since, f.until) == (utc(2026, 11, 18, 9, 16), utc(2026, 11, 18, 9, 17))
    f = build_filter("2026-11-18 23:50", "00:10", zone=UTC, now=NOW)
    assert f.until == utc(2026, 11, 19, 0, 10)
    with pytest.raises(InputError, match="later than --since"):
        build_filter("2026-11-18 10:00", "2026-11-18 09:00", zone=UTC, now=NOW)


@pytest.mark.parametrize("bad", ["soon", "25:00", "2026-13-01", "10 parsecs", ""])
def test_unreadable_times_are_one_line_errors(bad):
    with pytest.raises(InputError, match="cannot read the time"):
        parse_when(bad, UTC, NOW)


def test_levels_and_globs():
    from devkit.logs.event import Event

    ev = lambda level, service: Event("x.log", [1], [b""], "text", 1.0, level, service)
    f = build_filter(level="warn", services=["pay*", "NGINX"], zone=UTC)
    assert f.level == "WARNING"
    assert f.matches(ev("ERROR", "payments")) and f.matches(ev("WARNING", "nginx"))
    assert not f.matches(ev("INFO", "payments")) and not f.matches(ev("ERROR", "orders"))
    assert not f.matches(ev(None, "payments"))  # no stated level counts as INFO
    assert build_filter(level="info", zone=UTC).matches(ev(None, "x"))
    with pytest.raises(InputError, match="unknown level"):
        build_filter(level="loud", zone=UTC)
    assert not EventFilter() and EventFilter(level="ERROR")
    assert EventFilter(since=5.0).time_ok(5.0) and not EventFilter(until=5.0).time_ok(5.0)  # half-open
    assert not EventFilter(since=5.0).time_ok(None)


# --- through the CLI, against the generator --------------------------------------------------------

def test_merge_since_until_keeps_exactly_the_window(run, shop):
    every = shop.written()
    since, until = every[20].ts, every[60].ts
    result, got = events_of(run, "merge", str(shop.root), "--since", format_utc(since), "--until", format_utc(until))
    assert [key(e) for e in got] == [want_key(e) for e in every if since <= e.ts < until]


def test_merge_level_is_that_level_and_above(run, shop):
    _, got = events_of(run, "merge", str(shop.root), "--level", "ERROR")
    want = [e for e in shop.written() if e.level in ("ERROR", "CRITICAL")]
    assert [key(e) for e in got] == [want_key(e) for e in want]
    _, got = events_of(run, "merge", str(shop.root), "--level", "warning")
    assert len(got) == len([e for e in shop.written() if e.level in ("WARNING", "ERROR", "CRITICAL")])


def test_merge_service_is_repeatable_and_globbed(run, shop):
    _, got = events_of(run, "merge", str(shop.root), "--service", "pay*", "--service", "nginx")
    want = [e for e in shop.written() if e.service in ("payments", "nginx")]
    assert [key(e) for e in got] == [want_key(e) for e in want]


def test_filters_never_cut_an_event(run, shop):
    failing = next(r for r in shop.requests if any(e.service == "notifier" and e.error for e in r.events))
    tb = next(e for e in failing.events if e.service == "notifier" and e.error)
    _, got = events_of(run, "trace", failing.cid, str(shop.root), "--service", "notifier", "--level", "ERROR",
                       "--since", format_utc(tb.ts))
    assert len(got) == 1
    assert got[0]["lines"] == len(tb.lines)  # the whole traceback, split over syslog records
    assert got[0]["traceback"].endswith("TimeoutError: timed out")


def test_trace_and_grep_take_every_filter(run, shop):
    r = next(r for r in shop.requests if r.status == 502)
    _, got = events_of(run, "trace", r.cid, str(shop.root), "--service", "orders")
    assert [key(e) for e in got] == [want_key(e) for e in sorted(r.events, key=lambda e: e.ts) if e.service == "orders"]
    _, got = events_of(run, "trace", r.cid, str(shop.root), "--level", "ERROR")
    assert len(got) == sum(1 for e in r.events if e.level == "ERROR")
    until = r.start + 60
    _, got = events_of(run, "grep", "payment failed", str(shop.root), "--until", format_utc(until))
    want = [e for e in shop.written() if e.message == "payment failed" and e.ts < until]
    assert len(want) >= 1 and [key(e) for e in got] == [want_key(e) for e in want]


def test_nothing_in_the_window_exits_1_with_what_was_searched(run, shop):
    result = run("logs", "merge", str(shop.root), "--since", "2030-01-01")
    assert result.exit_code == 1 and result.stdout == ""
    assert "no events in 5 files" in result.stderr and "since 2030-01-01T00:00:00.000+00:00" in result.stderr
    assert run("logs", "merge", str(shop.root), "--since", "whenever").exit_code == 2
    assert run("logs", "trace", "x", str(shop.root), "--level", "loud").exit_code == 2
