"""``devkit logs requests``: rows of generated requests equal the generator's ground truth."""

import json

import pytest

from requests_data import Shop, expected_row
from devkit.logs import requests as requests_mod
from devkit.logs.requests import requests
from devkit.logs.timestamps import Zone

UTC = Zone.parse("UTC")


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    shop = Shop()
    shop.root = shop.write(tmp_path_factory.mktemp("shop"))
    return shop


def rows_of(run, *args):
    result = run("logs", "requests", *args, "--json")
    return result, [json.loads(line) for line in result.stdout.splitlines()]


def same(row: dict, want: dict) -> None:
    for key in ("first", "last", "duration"):
        got = row[key if key != "duration" else "duration_s"]
        if key != "duration":
            from datetime import datetime

            got = datetime.fromisoformat(got).timestamp()
        assert got == pytest.approx(want[key], abs=1e-3), (key, row["correlation_id"])
    for key in ("services", "status", "events", "errors", "first_error_service", "correlation_id"):
        assert row[key] == want[key], (key, row, want)
    if want["first_error"] is not None:
        assert row["first_error"] == want["first_error"], row


def test_every_row_is_the_ground_truth(run, shop):
    result, rows = rows_of(run, str(shop.root), "--tz", "UTC")
    assert result.exit_code == 0, result.output
    want = {r.cid: expected_row(r) for r in shop.requests}
    assert [r["correlation_id"] for r in rows] == [r.cid for r in sorted(shop.requests, key=lambda r: r.start)]
    for row in rows:
        same(row, want[row["correlation_id"]])


def test_internal_and_dash_are_not_requests(run, shop):
    _, rows = rows_of(run, str(shop.root), "--tz", "UTC")
    ids = {r["correlation_id"] for r in rows}
    assert not ids & {"Internal", "-", ""}
    assert len(rows) == len(shop.requests)


def test_status_is_the_entry_hops_not_a_status_deep_in_a_service(run, shop):
    _, rows = rows_of(run, str(shop.root), "--tz", "UTC")
    by_id = {r["correlation_id"]: r for r in rows}
    for r in shop.requests:
        row = by_id[r.cid]
        assert row["status"] == r.status  # the 502 payments got from its provider is not the request's
        assert row["entry"] == ("nginx" if r.rt is not None else None)
        if r.rt is None:  # a background job: no entry hop, so last - first
            assert row["duration_s"] == pytest.approx(0.9, abs=1e-3)


def test_failed_keeps_errors_and_5xx_only(run, shop):
    result, rows = rows_of(run, str(shop.root), "--tz", "UTC", "--failed")
    want = [r.cid for r in sorted(shop.requests, key=lambda r: r.start) if expected_row(r)["errors"]]
    assert [r["correlation_id"] for r in rows] == want
    assert all(r["failed"] for r in rows)
    assert not any(r["status"] == 404 for r in rows)  # a 404 with no error is not a failure


def test_slowest_sort_and_limit(run, shop):
    _, rows = rows_of(run, str(shop.root), "--tz", "UTC", "--slowest", "3")
    durations = sorted((expected_row(r)["duration"] for r in shop.requests), reverse=True)[:3]
    assert [r["duration_s"] for r in rows] == pytest.approx(durations, abs=1e-3)
    _, rows = rows_of(run, str(shop.root), "--tz", "UTC", "--sort", "errors", "--limit", "4")
    assert len(rows) == 4
    assert [r["errors"] for r in rows] == sorted((expected_row(r)["errors"] for r in shop.requests), reverse=True)[:4]
    result = run("logs", "requests", str(shop.root), "--slowest", "3", "--sort", "time")
    assert result.exit_code == 2


def test_service_keeps_requests_through_it_with_whole_rows(run, shop):
    _, rows = rows_of(run, str(shop.root), "--tz", "UTC", "--service", "pay*")
    want = [r for r in sorted(shop.requests, key=lambda r: r.start) if any(e.service == "payments" for e in r.events)]
    assert [r["correlation_id"] for r in rows] == [r.cid for r in want]
    for row, r in zip(rows, want):
        assert row["events"] == len(r.events)  # the other services' events still count


def test_level_keeps_requests_that_reach_it(run, shop):
    _, rows = rows_of(run, str(shop.root), "--tz", "UTC", "--level", "warning")
    want = [r.cid for r in sorted(shop.requests, key=lambda r: r.start)
            if any(e.level in ("WARNING", "ERROR", "CRITICAL") for e in r.events)]
    assert [r["correlation_id"] for r in rows] == want


def test_since_until_count_only_the_window(run, shop):
    ordered = sorted(shop.requests, key=lambda r: r.start)
    since, until = ordered[5].start - 1.0, ordered[12].start - 1.0
    from devkit.logs.timestamps import format_utc

    _, rows = rows_of(run, str(shop.root), "--tz", "UTC", "--since", format_utc(since), "--until", format_utc(until))
    assert [r["correlation_id"] for r in rows] == [r.cid for r in ordered[5:12]]
    for row, r in zip(rows, ordered[5:12]):
        same(row, expected_row(r))


def test_plain_table_and_the_hint(run, shop):
    result = run("logs", "requests", str(shop.root), "--tz", "UTC", "--failed")
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["REQUEST", "FIRST", "(UTC)"]
    failed = [r for r in sorted(shop.requests, key=lambda r: r.start) if expected_row(r)["errors"]]
    assert [ln.split()[0] for ln in lines[1:]] == [r.cid for r in failed]
    first = expected_row(failed[0])
    assert lines[1].split()[7] == ",".join(first["services"])
    assert f"{first['first_error_service']}: {first['first_error']}" in lines[1]
    assert f"trace the first: devkit logs trace {failed[0].cid} {shop.root} --tz UTC" in result.stderr


def test_nothing_matches_exits_1_and_says_what_was_searched(run, shop):
    result = run("logs", "requests", str(shop.root), "--service", "nope")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "no request in 5 files (" in result.stderr and "MB)" in result.stderr
    assert "service nope" in result.stderr


def test_naive_times_read_in_the_wrong_zone_are_warned_about_once(run, shop):
    result = run("logs", "requests", str(shop.root), "--tz", "Europe/Warsaw")
    assert result.exit_code == 0
    warnings = [ln for ln in result.stderr.splitlines() if "naive timestamps" in ln]
    assert len(warnings) == 1 and "1 hour behind" in warnings[0] and "--tz UTC" in warnings[0]
    assert "naive timestamps" not in run("logs", "requests", str(shop.root), "--tz", "UTC").stderr


def test_stdin_is_read_too(run, shop):
    text = (shop.root / "nginx" / "access.log").read_text()
    result = run("logs", "requests", "-", "--json", input=text)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert {r["correlation_id"] for r in rows} == {r.cid for r in shop.requests if r.rt is not None}


def test_library_and_both_cores_agree(shop, monkeypatch):
    one = requests([str(shop.root)], zone=UTC, jobs=1)
    monkeypatch.setattr(requests_mod, "PARALLEL_MIN_BYTES", 0)
    two = requests([str(shop.root)], zone=UTC, jobs=2)
    key = lambda rows: [(r.correlation_id, r.first, r.last, r.duration, r.services, r.status, r.events, r.errors,
                         r.first_error) for r in rows]
    assert key(one.select()) == key(two.select())
    assert one.sources_scanned == 5 and one.bytes_scanned > 0
    failed = one.select(failed=True, sort="duration")
    assert failed and all(r.failed for r in failed)
    assert [r.duration for r in failed] == sorted((r.duration for r in failed), reverse=True)
