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


@pytest.mark.parametrize("seed", range(40))
def test_the_vector_scan_finds_every_needle_a_plain_search_does(seed):
    """The one-pass vector scan (32 bytes at a time, the needle's first and last bytes as the
    candidate test) against bytes.find and bytes.count: needles of 1 to 70 bytes, overlapping
    occurrences, ranges that start and end anywhere (the tail shorter than a vector included).
    The portable memmem path (CPUs without AVX2) gives the same answers."""
    if scan._c_scan is None:
        pytest.skip("devkit.logs._speedups was not built")
    rng = random.Random(1000 + seed)
    alphabet = rng.choice([b"ab\n", b"abc\n\x00\xff", bytes(range(256))])
    needle = bytes(rng.choice(alphabet) for _ in range(rng.choice([1, 2, 3, 5, 31, 32, 33, 70])))
    parts = [bytes(rng.choice(alphabet) for _ in range(rng.randrange(0, 200))) for _ in range(rng.randrange(1, 300))]
    data = needle.join(parts) if rng.random() < 0.8 else needle * rng.randrange(1, 50)
    start = rng.randrange(0, len(data) + 1)
    end = rng.randrange(start, len(data) + 1)
    want, i = [], data.find(needle, start, end)
    while i >= 0:
        want.append((i, data.count(b"\n", start, i)))
        i = data.find(needle, i + 1, end)
    for portable in (False, True):
        assert scan._c_scan(data, needle, start, end, 10**9, portable) == (want, data.count(b"\n", start, end))
        if want:
            assert scan._c_scan(data, needle, start, end, len(want) - 1, portable) is None
            assert scan._c_scan(data, needle, start, end, len(want), portable) is not None


def test_trace_without_the_accelerator(monkeypatch, expected):
    demo = expected["ids"][0]["id"]
    fast = [(e.source, e.line_numbers) for e in trace(demo, [str(EXAMPLES)], zone=Zone.parse("UTC")).events]
    monkeypatch.setattr(scan, "_c_scan", None)
    monkeypatch.setattr(scan, "count_newlines", scan._count_newlines_py)
    slow = [(e.source, e.line_numbers) for e in trace(demo, [str(EXAMPLES)], zone=Zone.parse("UTC"), jobs=1).events]
    assert fast == slow and len(fast) == len(expected["ids"][0]["events"])


def _batches(rng, sources: int) -> list[list[bytes]]:
    """Random wire batches per source: clocks that tie, jump back, or have no time at all."""
    from array import array

    from devkit.logs.parallel import _encode

    out = []
    for _ in range(sources):
        batches = []
        for _ in range(rng.randint(0, 4)):
            n = rng.randint(1, 30)
            times = array("d", [float("-inf") if rng.random() < 0.1 else float(rng.randint(0, 40)) / 7
                                for _ in range(n)])
            texts = [f"{rng.randint(0, 99)} é {'x' * rng.randint(0, 20)}\n".encode() for _ in range(n)]
            cuts = array("i", [rng.choice([-1, 0, 2]) if rng.random() < 0.01 else 3 for _ in range(n)])
            batches.append(_encode(times, cuts, texts))
        out.append(batches)
    return out


def _run_merge(merge, per_source: list[list[bytes]], limit: int, origin: float) -> tuple[bytes, int, float]:
    """Drive a merge_batches as parallel.Merged.chunks does: refill the stalled source."""
    from array import array

    from devkit.logs.parallel import _EMPTY

    queues = [list(b) for b in per_source]
    batches: list = [_EMPTY] * len(queues)
    state = array("q", bytes(16 * len(queues)))
    chunks, total = [], 0
    while True:
        out, n, origin, stalled = merge(batches, state, origin, limit)
        chunks.append(out)
        total += n
        if stalled == -1:
            return b"".join(chunks), total, origin
        if stalled >= 0:
            batches[stalled] = queues[stalled].pop(0) if queues[stalled] else None
            state[2 * stalled] = state[2 * stalled + 1] = 0


@pytest.mark.parametrize("seed", range(40))
def test_c_merge_and_python_merge_agree(seed):
    """The parent of a parallel read merges batches in C: the same bytes, order and offsets as
    the Python reference, whatever the clocks, ties, limits and empty sources."""
    import math
    import random

    from devkit.logs._speedups import merge_batches
    from devkit.logs.parallel import _decode, _merge_batches_py

    rng = random.Random(seed)
    per_source = _batches(rng, rng.randint(1, 6))
    limit = rng.choice([1, 50, 1 << 18])
    origin = rng.choice([math.nan, 1.0])
    c = _run_merge(merge_batches, per_source, limit, origin)
    py = _run_merge(_merge_batches_py, per_source, limit, origin)
    assert c[:2] == py[:2]
    assert c[2] == py[2] or (math.isnan(c[2]) and math.isnan(py[2]))
    assert c[1] == sum(len(list(_decode(b))) for batches in per_source for b in batches)


def test_c_merge_keeps_heap_merge_order():
    """Ties go to the lower source, a source that goes back in time is never reordered."""
    from array import array

    from devkit.logs._speedups import merge_batches
    from devkit.logs.parallel import _encode

    a = _encode(array("d", [1.0, 0.5, 2.0]), array("i", [-1] * 3), [b"a1\n", b"a2\n", b"a3\n"])
    b = _encode(array("d", [1.0, 1.5]), array("i", [-1] * 2), [b"b1\n", b"b2\n"])
    out = _run_merge(merge_batches, [[a], [b]], 1 << 18, float("nan"))
    assert out[0] == b"a1\na2\nb1\nb2\na3\n"
