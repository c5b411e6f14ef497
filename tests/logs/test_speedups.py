"""The optional C line counter agrees with the pure-Python one, and devkit works without it."""

import mmap
import random

import pytest

from devkit.logs import scan
from devkit.logs.match import IdMatcher
from devkit.logs.trace import trace
from devkit.logs.timestamps import Zone

from logs_support import EXAMPLES


def test_accelerator_is_built_here():
    """CI builds it (gcc is on the machine); a laptop without a compiler uses the fallback."""
    try:
        from devkit.logs import _speedups  # noqa: F401
    except ImportError:
        from services import in_ci

        if in_ci():
            raise
        pytest.skip("devkit.logs._speedups was not built (no C compiler?); the pure-Python path is used")


@pytest.mark.parametrize("seed", range(5))
def test_c_and_python_counts_agree(tmp_path, seed):
    rng = random.Random(seed)
    data = bytes(rng.choice(b"ab\n\r\x00\xff") for _ in range(rng.randrange(1, 200_000)))
    path = tmp_path / "x"
    path.write_bytes(data)
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as m:
        for buf in (data, bytearray(data), m):
            for _ in range(20):
                a = rng.randrange(0, len(data))
                b = rng.randrange(a, len(data) + 10)
                assert scan.count_newlines(buf, a, b) == scan._count_newlines_py(buf, a, b) == data[a:b].count(b"\n")


@pytest.mark.parametrize("seed", range(5))
def test_c_scan_and_python_scan_agree(seed, monkeypatch):
    rng = random.Random(seed)
    needle = rng.choice([b"ab", b"a\nb", b"abcab", b"x"])
    data = bytes(rng.choice(b"abcx\n") for _ in range(rng.randrange(1, 600_000)))
    matcher = IdMatcher("placeholder")
    matcher.needle = needle
    start = rng.randrange(0, len(data))
    end = rng.randrange(start, len(data) + 1)
    fast = scan.segment_hits(data, matcher, start, end, 10**9)
    monkeypatch.setattr(scan, "_c_scan", None)
    monkeypatch.setattr(scan, "count_newlines", scan._count_newlines_py)
    slow = scan.segment_hits(data, matcher, start, end, 10**9)
    assert fast == slow
    assert [off for off, _ in fast[0]] == [i for i in range(start, end) if data.startswith(needle, i)]
    assert fast[1] == data[start:end].count(b"\n")
    if fast[0]:  # one hit over the limit: the caller reads the file whole instead
        assert scan.segment_hits(data, matcher, start, end, len(fast[0]) - 1) is None


def test_trace_without_the_accelerator(monkeypatch, expected):
    demo = expected["ids"][0]["id"]
    fast = [(e.source, e.line_numbers) for e in trace(demo, [str(EXAMPLES)], zone=Zone.parse("UTC")).events]
    monkeypatch.setattr(scan, "_c_scan", None)
    monkeypatch.setattr(scan, "count_newlines", scan._count_newlines_py)
    slow = [(e.source, e.line_numbers) for e in trace(demo, [str(EXAMPLES)], zone=Zone.parse("UTC"), jobs=1).events]
    assert fast == slow and len(fast) == len(expected["ids"][0]["events"])
