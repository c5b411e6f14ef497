"""The fast path (raw search, windows around hits) must give exactly the events of a full read.

Random mixes of every format, with tracebacks split over interleaved syslog streams, unknown
lines and equal timestamps, are generated with fixed seeds; every token in them is traced.
"""

import json
import random

import pytest

from devkit.logs import scan
from devkit.logs.match import IdMatcher, PatternMatcher
from devkit.logs.merge import merge_events
from devkit.logs.trace import merge, search
from devkit.logs.timestamps import Zone

UTC = Zone.parse("UTC")
TB = ["Traceback (most recent call last):", '  File "svc/x.py", line 12, in handle', "    do_it(order)",
      "ValueError: order {id} is broken"]


def random_log(rng: random.Random, ids: list[str], n: int = 400) -> str:
    out: list[str] = []
    streams = [("h1", "/web", "11"), ("h2", "/worker", "22"), ("h1", "/web", "12")]
    pending: dict[tuple, list[str]] = {}
    for i in range(n):
        ident = rng.choice(ids)
        ts = f"2026-11-20 09:{i // 60 % 60:02d}:{i % 60:02d},{rng.randrange(1000):03d}"
        kind = rng.randrange(9)
        if pending and rng.random() < 0.5:
            key = rng.choice(list(pending))
            out.append(f"<14>1 2026-11-20T09:00:{i % 60:02d}.000Z {key[0]} {key[1]} {key[2]} - - {pending[key].pop(0)}")
            if not pending[key]:
                del pending[key]
            continue
        if kind == 0:
            out.append(f"{ident} - {ts} - a.py - f - message for {ident}")
        elif kind == 1:
            out.append(f"{ident} - {ts} - a.py - f - failed")
            out.extend(line.format(id=ident) for line in TB)
        elif kind == 2:
            out.append(json.dumps({"message": f"json {ident}", "@timestamp": ts.replace(" ", "T").replace(",", ".") + "Z",
                                   "exception": [t.format(id=ident) + "\n" for t in TB] if rng.random() < 0.3 else None}))
        elif kind == 3:
            key = rng.choice(streams)
            out.append(f"<14>1 2026-11-20T09:00:{i % 60:02d}.000Z {key[0]} {key[1]} {key[2]} - - {ident} - {ts} - t.py - f - stream rec")
            if rng.random() < 0.6:
                pending[key] = [line.format(id=ident) for line in TB]
        elif kind == 4:
            out.append(f"unknown free text mentioning {ident}")
        elif kind == 5:
            out.append(f"{ts} 4242 ERROR nova.compute [req-{ident} u t - - -] spawn failed")
            out.extend(f"{ts} 4242 ERROR nova.compute {line.format(id=ident)}" for line in TB)
        elif kind == 6:
            out.append(f"{ts} INFO plain {ident}")
        elif kind == 7:
            out.append("")
        else:
            out.append(f"  indented continuation {ident}")
    return "\n".join(out) + "\n"


def assert_fast_equals_full(files: list[str], ids: list[str], paths: list[str]) -> None:
    """Every physical line is in exactly one event, and for every ID and a pattern the raw search
    with its windows gives exactly the events a full read filtered by the matcher gives."""
    per_source = [list(merge([f], zone=UTC).events) for f in files]
    lines = sum(open(f, "rb").read().count(b"\n") for f in files)
    assert sum(e.lines for events in per_source for e in events) == lines

    def full_read(matcher):
        # trace merges each source's matches; sources' clocks may jump, so filter, then merge
        return list(merge_events([e for e in events if matcher.matches(e)] for events in per_source))

    for ident in ids:
        matcher = IdMatcher(ident)
        fast = search(paths, matcher, query=ident, zone=UTC).events
        slow = full_read(matcher)
        assert [(e.source, e.line_numbers) for e in fast] == [(e.source, e.line_numbers) for e in slow], ident
        assert [e.text for e in fast] == [e.text for e in slow]
    pattern = PatternMatcher(r"order \w+ is broken")
    fast = search(paths, pattern, query="x", zone=UTC).events
    assert [(e.source, e.line_numbers) for e in fast] == [(e.source, e.line_numbers) for e in full_read(pattern)]


@pytest.mark.parametrize("seed", range(12))
def test_trace_equals_full_read_on_random_logs(tmp_path, seed, monkeypatch):
    rng = random.Random(seed)
    ids = [f"{rng.getrandbits(40):010x}" for _ in range(6)]
    for k in range(3):
        (tmp_path / f"s{k}.log").write_text(random_log(rng, ids))
    paths = [str(tmp_path)]
    if seed % 3 == 0:
        monkeypatch.setattr(scan, "DENSE_WINDOWS", 3)  # force the whole-file fallbacks too
        monkeypatch.setattr(scan, "DENSE_RATIO", 0)
    elif seed % 3 == 1:
        monkeypatch.setattr(scan, "DENSE_HITS", 2)
        monkeypatch.setattr(scan, "DENSE_BYTES", 1 << 40)
    assert_fast_equals_full([str(tmp_path / f"s{k}.log") for k in range(3)], ids, paths)


# --- container wrappers mixed in -------------------------------------------------------------------

SPLIT = 16384


def _frame(kind: str, container: str, stream: str, ts: str, text: str, partial: bool) -> str:
    if kind == "docker":
        return json.dumps({"log": text if partial else text + "\n", "stream": stream, "time": ts},
                          separators=(",", ":"))
    if kind == "cri":
        return f"{ts} {stream} {'P' if partial else 'F'} {text}"
    if kind == "journald":
        entry = {"__REALTIME_TIMESTAMP": "1795165983000000", "PRIORITY": "3" if stream == "stderr" else "6",
                 "MESSAGE": text, "CONTAINER_NAME": container, "CONTAINER_ID": container[:12]}
        if partial:
            entry["CONTAINER_PARTIAL_MESSAGE"] = "true"
        return json.dumps(entry)
    if kind == "kubectl":
        return f"[pod/{container}-7d9f8b6c5d-x2k4q/{container}] {ts} {text}"
    return f"{container:<10}  | {text}"  # compose without -t


def random_wrapped_log(rng: random.Random, ids: list[str], kind: str, n: int = 300) -> str:
    """One runtime's capture: containers and streams interleaved, tracebacks split, long records cut."""
    single_file = kind in ("docker", "cri")  # one container per file; the others merge containers
    containers = ["orders"] if single_file else ["orders", "notifier", "quotes"]
    streams = ["stdout", "stderr"] if kind in ("docker", "cri", "journald") else ["stdout"]
    queues: dict[tuple, list[tuple[str, bool]]] = {}
    out: list[str] = []
    for i in range(n):
        ts = f"2026-11-20T09:{i // 60 % 60:02d}:{i % 60:02d}.{rng.randrange(10**9):09d}Z"
        if queues and rng.random() < 0.55:
            key = rng.choice(list(queues))
            text, partial = queues[key].pop(0)
            if not queues[key]:
                del queues[key]
            out.append(_frame(kind, key[0], key[1], ts, text, partial))
            continue
        container, stream = rng.choice(containers), rng.choice(streams)
        if (container, stream) in queues:
            continue
        ident = rng.choice(ids)
        stamp = f"2026-11-20 09:{i // 60 % 60:02d}:{i % 60:02d},{rng.randrange(1000):03d}"
        what = rng.randrange(7)
        lines: list[str]
        if what == 0:
            lines = [json.dumps({"message": f"json {ident}", "timestamp": ts, "level": "info"})]
        elif what == 1:
            lines = [f"{stamp} ERROR svc: failed for {ident}", *(t.format(id=ident) for t in TB)]
        elif what == 2:
            lines = [f"print line about {ident}"]
        elif what == 3:
            lines = [f"{stamp} 4242 ERROR nova.compute [req-{ident} u t - - -] spawn failed",
                     *(f"{stamp} 4242 ERROR nova.compute {t.format(id=ident)}" for t in TB)]
        elif what == 4 and kind in ("docker", "cri", "journald"):
            cut = rng.randrange(SPLIT - len(ident) + 1, SPLIT)  # the split falls inside the ID
            lines = ["x" * (cut - 1) + " " + ident + " tail"]
        elif what == 5:
            lines = ["", "  indented " + ident]
        else:
            lines = [f"{stamp} INFO plain {ident}"]
        pieces: list[tuple[str, bool]] = []
        for line in lines:
            chunks = [line[k:k + SPLIT] for k in range(0, max(len(line), 1), SPLIT)] or [""]
            if kind not in ("docker", "cri", "journald"):
                chunks = [line]
            pieces.extend((c, j < len(chunks) - 1) for j, c in enumerate(chunks))
        queues[(container, stream)] = pieces
    for key, rest in queues.items():
        ts = "2026-11-20T10:00:00.000000001Z"
        out.extend(_frame(kind, key[0], key[1], ts, text, partial) for text, partial in rest)
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("kind", ["docker", "cri", "journald", "kubectl", "compose"])
@pytest.mark.parametrize("seed", range(4))
def test_trace_equals_full_read_with_container_wrappers(tmp_path, seed, kind, monkeypatch):
    rng = random.Random(seed * 31 + len(kind))
    ids = [f"{rng.getrandbits(40):010x}" for _ in range(5)]
    paths = []
    for k in range(2):
        path = tmp_path / f"{kind}{k}.log"
        path.write_text(random_wrapped_log(rng, ids, kind))
        paths.append(str(path))
    if seed % 2 == 1:
        monkeypatch.setattr(scan, "DENSE_WINDOWS", 3)
        monkeypatch.setattr(scan, "DENSE_RATIO", 0)
    assert_fast_equals_full(paths, ids, paths)


def _deepest_reach(path: str, matcher) -> int:
    """How far before its hit's line the furthest event a hit's window finds starts (each hit
    on its own, as the first hit of a share is)."""
    import os

    from devkit.logs.fileview import FileView
    from devkit.logs.sources import expand_paths

    source = expand_paths([path], [])[0]
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        reading = scan.Reading(source, UTC, os.pread(fd, 1 << 16, 0))
        hits = scan.search_file(fd, size, matcher, reading.splits, None).hits
        view = FileView(fd, size)
        return max((ls - start for hit in hits for ev, start, ls in scan.hit_events(view, reading, matcher, [hit])
                    if ev is not None), default=0)
    finally:
        os.close(fd)


@pytest.mark.parametrize("kind", ["plain", "docker", "journald", "kubectl"])
@pytest.mark.parametrize("seed", range(3))
def test_streamed_windows_equal_one_pass(tmp_path, seed, kind, monkeypatch):
    """A streamed search gives each event as soon as no later window can reach before it, and a
    file with many hits has its windows shared between forked processes: the events (and their
    order) are those of one pass, with the reach as tight as the file allows, and where a hit
    each side of a cut finds one event."""
    from devkit.logs import streamscan
    from devkit.logs.sources import expand_paths

    rng = random.Random(seed * 7 + len(kind))
    ids = [f"{rng.getrandbits(40):010x}" for _ in range(3)]
    path = tmp_path / f"{kind}.log"
    path.write_text(random_log(rng, ids, 900) if kind == "plain" else random_wrapped_log(rng, ids, kind, 900))
    monkeypatch.setattr(streamscan, "SPLIT_HITS", 1)
    source = expand_paths([str(path)], [])[0]
    for matcher in [*(IdMatcher(i) for i in ids), PatternMatcher(r"order \w+ is broken|failed for")]:
        one, _ = scan.scan_source(source, matcher, UTC)
        assert one, "the test needs hits"
        monkeypatch.setattr(streamscan, "REACH", _deepest_reach(str(path), matcher))
        for procs in (1, 2, 5):
            problems: list[str] = []
            streamed = list(streamscan.stream_source(source, matcher, UTC, problems, procs=procs))
            assert streamed == one, (matcher, procs)
            assert problems == []


def test_merging_shares_keeps_line_order_and_drops_repeats():
    from devkit.logs.event import Event
    from devkit.logs.streamscan import merge_shares

    def ev(line):
        return Event("s", [line], [b"x"], "text")

    a = [(1, 10, ev(1)), (5, 50, ev(5)), (9, 90, ev(9))]
    b = [(6, 60, ev(6)), (9, 90, ev(9)), (12, 120, ev(12))]
    c = [(12, 120, ev(12)), (15, 150, ev(15))]
    out = list(merge_shares([iter(a), iter(b), iter(c)], [0, 40, 100]))
    assert [e.line for e in out] == [1, 5, 6, 9, 12, 15]


@pytest.mark.parametrize("name", ["copytruncate.log", "crlf.log", "invalid-utf8.log", "gateway.log.xz", "empty.log"])
def test_streamed_search_of_odd_files_is_scan_source(name):
    """NUL gaps, CRLF, invalid UTF-8, archives, empty files: the stream gives what scan_source
    gives (it hands over what it cannot stream), problems said once."""
    from pathlib import Path

    from devkit.logs import streamscan
    from devkit.logs.sources import expand_paths

    path = Path(__file__).parents[1] / "data" / name
    source = expand_paths([str(path)], [])[0]
    for matcher in (PatternMatcher("e"), PatternMatcher("Traceback", fixed=True)):
        one, said = scan.scan_source(source, matcher, UTC)
        problems: list[str] = []
        assert list(streamscan.stream_source(source, matcher, UTC, problems, procs=2)) == one
        assert problems == said
