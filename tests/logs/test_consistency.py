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


@pytest.mark.parametrize("seed", range(12))
def test_trace_equals_full_read_on_random_logs(tmp_path, seed, monkeypatch):
    rng = random.Random(seed)
    ids = [f"{rng.getrandbits(40):010x}" for _ in range(6)]
    for k in range(3):
        (tmp_path / f"s{k}.log").write_text(random_log(rng, ids))
    paths = [str(tmp_path)]
    per_source = [list(merge([str(tmp_path / f"s{k}.log")], zone=UTC).events) for k in range(3)]
    lines = sum(len((tmp_path / f"s{k}.log").read_text().split("\n")) - 1 for k in range(3))
    assert sum(e.lines for events in per_source for e in events) == lines

    def full_read(matcher):
        # trace merges each source's matches; sources' clocks may jump, so filter, then merge
        return list(merge_events([e for e in events if matcher.matches(e)] for events in per_source))

    if seed % 3 == 0:
        monkeypatch.setattr(scan, "DENSE_WINDOWS", 3)  # force the whole-file fallbacks too
    elif seed % 3 == 1:
        monkeypatch.setattr(scan, "DENSE_HITS", 2)
    for ident in ids:
        matcher = IdMatcher(ident)
        fast = search(paths, matcher, query=ident, zone=UTC).events
        slow = full_read(matcher)
        assert [(e.source, e.line_numbers) for e in fast] == [(e.source, e.line_numbers) for e in slow], ident
        assert [e.text for e in fast] == [e.text for e in slow]
    pattern = PatternMatcher(r"order \w+ is broken")
    fast = search(paths, pattern, query="x", zone=UTC).events
    assert [(e.source, e.line_numbers) for e in fast] == [(e.source, e.line_numbers) for e in full_read(pattern)]
