"""Container-era captures (tests/data/make_containers.py) read exactly as their ground truth says.

Every event of every capture is checked: first line, physical lines, service, level, time,
traceback, correlation ID, payload format and wrapper; then every request ID and task ID is
traced through all captures at once and the fast path must equal a full read.
"""

import filecmp
import json
import os
import sys

import pytest

from devkit.logs.match import IdMatcher
from devkit.logs.merge import merge_events
from devkit.logs.timestamps import Zone, format_utc
from devkit.logs.trace import merge, trace

DATA = os.path.join(os.path.dirname(__file__), "..", "data")
CONTAINERS = os.path.join(DATA, "containers")
UTC = Zone.parse("UTC")
KEYS = ("line", "lines", "service", "level", "timestamp", "traceback", "correlation_id", "format", "wrapper")

with open(os.path.join(CONTAINERS, "expected.json")) as fh:
    EXPECTED = json.load(fh)


CAPTURES = [os.path.join(CONTAINERS, rel) for rel in sorted(EXPECTED["files"])]


def _read(rel: str):
    return list(merge([os.path.join(CONTAINERS, rel)], zone=UTC).events)


def _facts(ev, extra=()) -> dict:
    out = {"line": ev.line, "lines": ev.lines, "service": ev.service, "level": ev.level,
           "timestamp": format_utc(ev.ts), "traceback": bool(ev.traceback), "correlation_id": ev.correlation_id,
           "format": ev.format, "wrapper": ev.wrapper}
    for key in extra:
        out[key] = getattr(ev, key) if key != "duration" or ev.duration is None else round(ev.duration, 6)
    return out


def test_generator_is_reproducible(tmp_path):
    sys.path.insert(0, DATA)
    try:
        import make_containers
    finally:
        sys.path.pop(0)
    make_containers.build(str(tmp_path / "containers"))
    cmp = filecmp.dircmp(CONTAINERS, tmp_path / "containers")
    stack = [cmp]
    while stack:
        c = stack.pop()
        assert not c.left_only and not c.right_only and not c.diff_files, (c.left, c.diff_files)
        stack.extend(c.subdirs.values())


@pytest.mark.parametrize("rel", sorted(EXPECTED["files"]))
def test_capture_reads_as_its_ground_truth(rel):
    expected = EXPECTED["files"][rel]
    events = _read(rel)
    extra_keys = sorted({k for e in expected for k in e} - set(KEYS))
    got = [_facts(ev, extra_keys) for ev in events]
    want = [{**{k: None for k in extra_keys}, **e} for e in expected]
    for g, w in zip(got, want):
        for key in extra_keys:  # only where the generator states it
            if key not in {k for k, v in w.items() if v is not None}:
                g[key] = w[key] = None
    assert got == want
    path = os.path.join(CONTAINERS, rel)
    with open(path, "rb") as fh:
        physical = fh.read().count(b"\n")
    assert sum(ev.lines for ev in events) == physical  # no line lost, none counted twice
    assert all(not ev.message.endswith("\n") for ev in events)


def test_partial_records_are_joined_before_parsing():
    events = _read("pods/shop_orders-5f7d8c9b6-q4w7e_1b4e2c3d-5a6f-4e7d-8c9b-0a1b2c3d4e5f/orders/0.log")
    [cart] = [e for e in events if e.message == "cart snapshot"]
    assert cart.lines == 3 and cart.format == "json" and len(cart.fields["cart"]) == 560


@pytest.mark.parametrize("ident", EXPECTED["ids"] + EXPECTED["tasks"])
def test_trace_through_every_capture_equals_a_full_read(ident):
    fast = trace(ident, CAPTURES, zone=UTC)
    per_source = [list(merge([path], zone=UTC).events) for path in CAPTURES]
    matcher = IdMatcher(ident)
    slow = list(merge_events([e for e in events if matcher.matches(e)] for events in per_source))
    assert [(os.path.basename(e.source), e.line_numbers) for e in fast.events] == \
           [(os.path.basename(e.source), e.line_numbers) for e in slow]
    assert fast.events and not fast.problems


def test_an_id_cut_by_the_16k_split_is_found_in_every_runtime():
    rid = EXPECTED["ids"][3]
    result = trace(rid, CAPTURES, zone=UTC)
    cut = [e for e in result.events if e.message.startswith("audit trail")]
    assert {e.wrapper for e in cut} == {"docker-json", "cri", "journald-json"}
    assert all(e.lines == 2 for e in cut)


def test_a_crash_in_a_container_is_an_error_with_its_whole_traceback():
    rid = EXPECTED["ids"][1]
    result = trace(rid, [os.path.join(CONTAINERS, "docker")], zone=UTC)
    crash = [e for e in result.events if e.traceback]
    assert len(crash) == 1 and crash[0].lines == 7 and crash[0].level == "ERROR" and result.errors >= 1
    assert crash[0].service == "orders-1" and crash[0].traceback.endswith(f"declined for {rid}")
