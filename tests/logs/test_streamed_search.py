"""Searches with many hits run on one process per source: `--json` is rendered as it is found
(the parent holds no events), a held search gathers the workers' events; either way the result
is byte for byte what the in-process search (``jobs=1``) finds."""

import calendar
import json
import random
import subprocess
import sys

import pytest

from devkit.cli.logs.render import json_text
from devkit.logs import trace as trace_module
from devkit.logs.trace import grep, trace
from devkit.logs.timestamps import Zone

UTC = Zone.parse("UTC")
TB = ["Traceback (most recent call last):", '  File "svc/x.py", line 12, in handle', "    do_it(order)",
      "ValueError: order {n} failed for depot POZ-2"]


def _corpus(tmp_path, files=3, lines=60_000):
    rng = random.Random(7)
    paths = []
    for k in range(files):
        out = []
        for i in range(lines):
            stamp = f"2026-11-20 09:{i // 3600 % 60:02d}:{i // 60 % 60:02d},{i % 1000:03d}"
            if rng.random() < 0.05:
                out.append(f"{stamp} ERROR svc{k}: order {i} failed for depot POZ-2")
                out.extend(t.format(n=i) for t in TB)
            else:
                out.append(f"{stamp} INFO svc{k}: order {i} shipped from WAW-1 padding {'x' * 60}")
        path = tmp_path / f"svc{k}.log"
        path.write_text("\n".join(out) + "\n")
        paths.append(str(path))
    return paths


def _cli(*args):
    proc = subprocess.run([sys.executable, "-m", "devkit", "logs", *args, "--tz", "UTC"], capture_output=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_a_heavy_grep_streams_exactly_what_the_library_finds(tmp_path):
    paths = _corpus(tmp_path)
    assert sum(1 for p in paths for line in open(p) if "POZ-2" in line) > trace_module.HEAVY_HITS
    out = _cli("grep", "-F", "POZ-2", *paths, "--json")
    expected = "".join(json_text(ev)[0] for ev in grep("POZ-2", paths, fixed=True, zone=UTC, jobs=1).events)
    assert out.decode() == expected
    assert all(json.loads(line)["traceback"] for line in out.splitlines() if b"ValueError" in line)


def test_a_heavy_trace_streams_exactly_what_the_library_finds(tmp_path):
    paths = _corpus(tmp_path)
    out = _cli("trace", "POZ-2", *paths, "--json")
    expected = "".join(json_text(ev)[0] for ev in trace("POZ-2", paths, zone=UTC, jobs=1).events)
    assert out.decode() == expected
    assert all(json.loads(line)["correlation_id"] == "POZ-2" for line in out.splitlines())


def test_one_file_with_many_hits_shares_its_windows_and_streams_the_same(tmp_path):
    """One file holds every hit: its windows are shared between two processes, and the output is
    still byte for byte the in-process search's."""
    from devkit.logs import streamscan

    (path,) = _corpus(tmp_path, files=1, lines=120_000)
    hits = sum(1 for line in open(path) if "POZ-2" in line)
    assert hits > 2 * streamscan.SPLIT_HITS and hits > trace_module.HEAVY_HITS
    out = _cli("trace", "POZ-2", path, "--json")
    expected = "".join(json_text(ev)[0] for ev in trace("POZ-2", [path], zone=UTC, jobs=1).events)
    assert out.decode() == expected


def test_a_heavy_search_held_whole_gathers_the_workers_events(tmp_path, monkeypatch):
    """trace and grep without --json hold their events (the summary follows them): with many
    hits they are gathered from one process per source, and equal the in-process search's,
    problems included, with a time window and with a file that holds most of the hits."""
    from devkit.logs import parallel
    from devkit.logs.filters import EventFilter

    (tmp_path / "big").mkdir()
    paths = _corpus(tmp_path, files=2) + _corpus(tmp_path / "big", files=1, lines=150_000)
    paths.append(str(tmp_path / "missing.log"))
    gathered = []
    real = parallel.gather_events
    monkeypatch.setattr(parallel, "gather_events", lambda *a, **kw: gathered.append(a[0]) or real(*a, **kw))
    window = EventFilter(since=calendar.timegm((2026, 11, 20, 9, 10, 0)))  # seeks: read by scan_source
    runs = [lambda **kw: trace("POZ-2", paths, zone=UTC, **kw),
            lambda **kw: grep("POZ-2", paths, fixed=True, zone=UTC, **kw),
            lambda **kw: grep(r"order \d+ failed for (order|depot)", paths, zone=UTC, **kw),
            lambda **kw: grep("ValueError", paths, zone=UTC, event_filter=window, **kw)]
    for run in runs:
        before = len(gathered)
        many, one = run(jobs=2), run(jobs=1)
        assert len(gathered) == before + 1, "the heavy search was not gathered from processes"
        assert len(many.events) > trace_module.HEAVY_HITS
        assert [json_text(ev)[0] for ev in many.events] == [json_text(ev)[0] for ev in one.events]
        assert many.problems == one.problems and len(many.problems) == 1
        assert (many.sources_scanned, many.bytes_scanned) == (one.sources_scanned, one.bytes_scanned)


def test_a_gathering_worker_that_dies_has_its_source_read_again(tmp_path):
    """A worker killed before its end (out of memory, say) costs time, never events."""
    import os

    from devkit.logs import parallel
    from devkit.logs.sources import expand_paths
    from devkit.logs.streamscan import stream_source
    from devkit.logs.match import IdMatcher

    paths = _corpus(tmp_path, files=2, lines=20_000)
    sources = expand_paths(paths, [])
    parent = os.getpid()
    matcher = IdMatcher("POZ-2")

    def events(s, probs):
        for k, ev in enumerate(stream_source(s, matcher, UTC, probs)):
            if os.getpid() != parent and s.index == sources[1].index and k == 100:
                os._exit(9)  # the second worker dies half-way
            yield ev

    done = []
    got = parallel.gather_events(sources, UTC, events, problems := [], done=done.append)
    want = [list(stream_source(s, matcher, UTC, [])) for s in sources]
    assert [[json_text(e)[0] for e in g] for g in got] == [[json_text(e)[0] for e in w] for w in want]
    assert len(got[1]) > 100 and problems == [] and sorted(s.index for s in done) == [s.index for s in sources]


def _processes_naming(marker: str) -> list[int]:
    """Processes whose command line holds ``marker`` (a test's own directory): devkit and its workers."""
    import os

    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if marker.encode() in fh.read():
                    found.append(int(pid))
        except OSError:
            pass
    return found


def _gone(marker: str, within: float = 15.0) -> bool:
    import time

    deadline = time.monotonic() + within
    while _processes_naming(marker):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("command", [["trace", "POZ-2", "--json"], ["grep", "-F", "POZ-2", "--json"], ["merge"]])
def test_a_parallel_search_into_a_closed_pipe_leaves_no_process(tmp_path, command):
    """``| head``: the parent leaves quietly, and so does every worker (a worker once blocked for
    ever on a full pipe whose reader end it had inherited)."""
    paths = _corpus(tmp_path, files=3)
    proc = subprocess.run(f"{sys.executable} -m devkit logs {command[0]} {' '.join(command[1:])} {' '.join(paths)}"
                          " --tz UTC | head -c 1000 > /dev/null", shell=True, capture_output=True, timeout=120)
    assert proc.returncode == 0 and proc.stderr == b""
    assert _gone(str(tmp_path)), "a worker outlived its closed pipe"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_held_search_ended_by_sigterm_leaves_no_worker(tmp_path):
    import signal
    import time

    paths = _corpus(tmp_path, files=3, lines=150_000)
    proc = subprocess.Popen([sys.executable, "-m", "devkit", "logs", "trace", "POZ-2", *paths, "--tz", "UTC"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while len(_processes_naming(str(tmp_path))) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)  # until the workers are there
    assert proc.poll() is None, "the search ended before it could be stopped"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == -signal.SIGTERM
    assert _gone(str(tmp_path)), "a worker outlived the search it worked for"


def test_merge_written_from_c_chunks_is_the_event_by_event_merge(tmp_path, monkeypatch):
    """A parallel merge is written from the C merge's chunks; without the accelerator it is taken
    event by event (heapq.merge): the same bytes, offsets included."""
    import io
    from functools import partial
    from types import SimpleNamespace

    from devkit.cli.logs import render
    from devkit.logs import parallel
    from devkit.logs.trace import merge

    paths = _corpus(tmp_path, files=3, lines=40_000)

    def written() -> bytes:
        out = io.BytesIO()
        term = SimpleNamespace(stdout=SimpleNamespace(buffer=out, flush=lambda: None))
        run = merge(paths, zone=UTC).rendered(partial(render.plain_text, short_tb=False))
        assert isinstance(run, parallel.Merged)
        render.write_rendered(run, term)
        return out.getvalue()

    fast = written()
    monkeypatch.setattr(parallel.Merged, "chunks", None)
    assert written() == fast
    assert fast.count(b"\n") > 120_000
