"""Seeking by time: a window read from a sorted file equals the full read cut to that window; files
that are not in time order are read whole."""

import json
import mmap
import random
from datetime import datetime, timezone

import pytest

from devkit.logs.filters import EventFilter
from devkit.logs.sources import Source
from devkit.logs.stitch import stitch
from devkit.logs.timeseek import MIN_SEEK_BYTES, SLACK, find_range, lines_in_window
from devkit.logs.timestamps import Zone, format_utc

UTC = Zone.parse("UTC")
BASE = datetime(2026, 11, 20, 0, 0, tzinfo=timezone.utc).timestamp()
TB = ["Traceback (most recent call last):", '  File "svc/x.py", line 12, in handle', "    do_it(order)",
      "ValueError: order {i} is broken"]


def stamp(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S,%f")[:-3]


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def records(rng: random.Random, n: int, jitter: float = 0.0, gap: float = 0.5) -> list[tuple[float, list[str]]]:
    """(time, lines) of records in every layout the seek must step over: text with tracebacks,
    JSON, syslog with a traceback split over records (another stream in between), access lines,
    untimed lines; times rise by ``gap`` on average and wobble by up to ``jitter`` seconds."""
    out = []
    t = BASE
    for i in range(n):
        t += rng.expovariate(1 / gap)
        ts = max(BASE, t + rng.uniform(-jitter, jitter))
        kind = rng.randrange(7)
        if kind == 0:
            lines = [f"{stamp(ts)} INFO orders handled order {i}"]
        elif kind == 1:
            lines = [f"{stamp(ts)} ERROR orders failed order {i}"] + [x.format(i=i) for x in TB]
        elif kind == 2:
            lines = [json.dumps({"@timestamp": iso(ts), "level": "info", "message": f"json {i}", "corrId": f"c{i}"})]
        elif kind == 3:
            rec = lambda msg, host="h1", app="/web", pid="11": f"<14>1 {iso(ts)} {host} {app} {pid} - - {msg}"
            lines = [rec(f"{stamp(ts)} ERROR web crashed {i}")]
            for k, x in enumerate(TB):
                lines.append(rec(x.format(i=i)))
                if k == 1:
                    lines.append(rec(f"beat {i}", "h2", "/worker", "22"))
        elif kind == 4:
            lines = [f"{stamp(ts)} WARNING web slow {i}", f"  detail line of {i}", "plain untimed text"]
        elif kind == 5:
            clf = datetime.fromtimestamp(ts, timezone.utc).strftime("%d/%b/%Y:%H:%M:%S +0000")
            lines = [f'10.0.0.1 - - [{clf}] "GET /x/{i} HTTP/1.1" 200 12 corr=c{i} rt=0.010']
        else:
            lines = [f"{stamp(ts)} DEBUG orders tick {i}"]
        out.append((ts, lines))
    return out


def write(path, recs) -> str:
    path.write_text("".join("\n".join(lines) + "\n" for _, lines in recs))
    return str(path)


def read(path: str, since=None, until=None, seek=True, min_size=0):
    problems: list[str] = []
    src = Source(path, path, 0)
    if seek:
        lines = lines_in_window(src, UTC, since, until, problems, min_size=min_size)
    else:
        from devkit.logs.sources import iter_lines

        lines = iter_lines(src, problems)
    flt = EventFilter(since, until)
    return [(e.line_numbers, e.text, e.ts) for e in flt.apply(stitch(lines, path, UTC, "svc"))]


def rng_range(path: str, since, until):
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        return find_range(buf, UTC, since, until, min_size=0), len(buf)


def cut(events, since, until):
    flt = EventFilter(since, until)
    return [e for e in events if flt.time_ok(e[2])]


# jitter j puts two records up to 2j seconds out of order: within SLACK, the seek stays exact
@pytest.mark.parametrize("seed,jitter", [(1, 0.0), (2, 0.0), (3, 5.0), (4, SLACK * 0.45)])
def test_a_window_of_a_sorted_file_is_the_full_read_cut_to_it(tmp_path, seed, jitter):
    rng = random.Random(seed)
    recs = records(rng, 4000, jitter)
    path = write(tmp_path / "app.log", recs)
    full = read(path, seek=False)
    lo, hi = recs[0][0], recs[-1][0]
    for _ in range(10):
        a, b = sorted(rng.uniform(lo - 100, hi + 100) for _ in range(2))
        since, until = rng.choice([(a, b), (a, None), (None, b)])
        assert read(path, since, until) == cut(full, since, until), (since, until)


def test_the_seek_skips_what_is_outside_the_window(tmp_path):
    recs = records(random.Random(5), 20000)
    path = write(tmp_path / "app.log", recs)
    mid = recs[10000][0]
    found, size = rng_range(path, mid, mid + 60)
    assert found is not None
    start, end = found
    assert 0 < start < end < size and end - start < size // 10
    first = read(path, mid, mid + 60)[0]
    assert first[0][0] > 1000  # line numbers are the file's own, though the start was skipped


@pytest.mark.parametrize("shape", ["rotations concatenated", "a block from an earlier hour", "shuffled", "reversed"])
def test_files_not_in_time_order_are_read_whole(tmp_path, shape):
    rng = random.Random(6)
    recs = records(rng, 4000)
    n = len(recs)
    if shape == "rotations concatenated":  # cat app.log app.log.1 > all.log
        recs = recs[n // 2:] + recs[: n // 2]
    elif shape == "a block from an earlier hour":
        block = [(ts - 3600, lines) for ts, lines in recs[: n // 8]]
        recs = recs[: n // 2] + [(t, [ln.replace(stamp(t + 3600), stamp(t)).replace(iso(t + 3600), iso(t))
                                      for ln in lines]) for t, lines in block] + recs[n // 2:]
    elif shape == "shuffled":
        rng.shuffle(recs)
    else:
        recs = recs[::-1]
    path = write(tmp_path / "app.log", recs)
    times = sorted(t for t, _ in recs)
    since, until = times[n // 3], times[n // 3] + 600
    assert rng_range(path, since, until)[0] is None
    assert read(path, since, until) == cut(read(path, seek=False), since, until)


def test_no_timestamps_small_files_and_open_windows_are_not_seeked(tmp_path):
    plain = tmp_path / "plain.log"
    plain.write_text("".join(f"line {i} without a time\n" for i in range(50000)))
    assert rng_range(str(plain), BASE, BASE + 10)[0] is None
    small = write(tmp_path / "small.log", records(random.Random(7), 100))
    with open(small, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        assert len(buf) < MIN_SEEK_BYTES and find_range(buf, UTC, BASE, None) is None
        assert find_range(buf, UTC, None, None, min_size=0) is None


def test_windows_before_and_after_the_file(tmp_path):
    recs = records(random.Random(8), 5000)
    path = write(tmp_path / "app.log", recs)
    assert read(path, recs[-1][0] + 3600, None) == []
    assert read(path, None, recs[0][0] - 3600) == []
    assert len(read(path, recs[0][0] - 3600, recs[-1][0] + 3600)) == len(read(path, seek=False))


@pytest.mark.parametrize("files", [1, 2])  # two big files: merge reads them on one process each
def test_cli_merge_and_trace_seek_a_big_sorted_file(tmp_path, run, files):
    """Over MIN_SEEK_BYTES the commands seek (scan hook and merge hook) and still give the full read's events."""
    recs = records(random.Random(9), 45000)
    path = write(tmp_path / "big.log", recs)
    for k in range(1, files):
        write(tmp_path / f"other{k}.log", records(random.Random(9 + k), 45000))
    assert (tmp_path / "big.log").stat().st_size > MIN_SEEK_BYTES
    since, until = format_utc(recs[30000][0]), format_utc(recs[30400][0])
    assert rng_range(path, recs[30000][0], recs[30400][0])[0] is not None
    path = str(tmp_path) if files > 1 else path
    window = run("logs", "merge", path, "--tz", "UTC", "--json", "--since", since, "--until", until)
    every = run("logs", "merge", path, "--tz", "UTC", "--json")
    a = [json.loads(x) for x in window.stdout.splitlines()]
    lo, hi = datetime.fromisoformat(since), datetime.fromisoformat(until)
    b = [e for e in map(json.loads, every.stdout.splitlines()) if lo <= datetime.fromisoformat(e["timestamp"]) < hi]
    assert a == b and len(a) > 300
    ident = next(e for e in a if e["correlation_id"])["correlation_id"]
    traced = run("logs", "trace", ident, path, "--tz", "UTC", "--json", "--since", since, "--until", until)
    assert [json.loads(x) for x in traced.stdout.splitlines()] == [e for e in a if e["correlation_id"] == ident]
    grepped = run("logs", "grep", "ValueError", path, "--tz", "UTC", "--json", "--since", since, "--until", until)
    assert [json.loads(x)["line"] for x in grepped.stdout.splitlines()] == [
        e["line"] for e in a if e["traceback"] and "ValueError" in e["traceback"]]


@pytest.mark.parametrize("damage", ["NUL gap in the window", "UTF-8 BOM"])
def test_the_seek_reads_the_text_the_full_read_sees(tmp_path, run, damage):
    """A crash's NUL run inside the window, or a byte-order mark: the text reader drops them, and so
    does the seek (it reads the reader's clean copy), line numbers unchanged."""
    recs = records(random.Random(12), 45000)
    path = tmp_path / "big.log"
    write(path, recs)
    data = path.read_bytes()
    if damage == "UTF-8 BOM":
        data = b"\xef\xbb\xbf" + data
    else:
        cut = data.index(b"\n", len(data) * 2 // 3) + 1
        data = data[:cut] + b"\0" * 4096 + data[cut:]
    path.write_bytes(data)
    since, until = format_utc(recs[29000][0]), format_utc(recs[31000][0])
    window = run("logs", "merge", str(path), "--tz", "UTC", "--json", "--since", since, "--until", until)
    every = run("logs", "merge", str(path), "--tz", "UTC", "--json")
    lo, hi = datetime.fromisoformat(since), datetime.fromisoformat(until)
    want = [e for e in map(json.loads, every.stdout.splitlines()) if lo <= datetime.fromisoformat(e["timestamp"]) < hi]
    assert [json.loads(x) for x in window.stdout.splitlines()] == want and len(want) > 1000
