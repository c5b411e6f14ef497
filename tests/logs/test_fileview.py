"""FileView (random access through cached blocks) answers find/rfind/slices exactly as bytes do."""

import os
import random

import pytest

from devkit.logs.fileview import BLOCK, FileView, Truncated, segments


@pytest.mark.parametrize("seed", range(3))
def test_find_rfind_and_slices_equal_bytes(tmp_path, seed):
    rng = random.Random(seed)
    data = bytes(rng.choice(b"ab\n") for _ in range(3 * BLOCK + rng.randrange(5000)))
    path = tmp_path / "f"
    path.write_bytes(data)
    with open(path, "rb") as fh:
        view = FileView(fh.fileno(), len(data))
        for _ in range(2000):
            a = rng.randrange(0, len(data))
            b = rng.randrange(a, len(data) + 5)
            assert view.find(b"\n", a, b) == data.find(b"\n", a, b)
            assert view.rfind(b"\n", a, b) == data.rfind(b"\n", a, b)
            assert view.find(b"ab\n", a, b) == data.find(b"ab\n", a, b)
            assert view[a:b] == data[a:b]


def test_segments_hold_whole_lines_and_say_when_the_file_shrank(tmp_path):
    path = tmp_path / "f"
    lines = [f"line {i} ".encode() * (i % 7 + 1) + b"\n" for i in range(20000)]
    path.write_bytes(b"".join(lines))
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        got = b"".join(bytes(buf[:n]) for _, buf, n in segments(fh.fileno(), 0, size, size=4096))
        assert got == b"".join(lines)
        for _, buf, n in segments(fh.fileno(), 0, size, size=4096):
            assert buf[n - 1:n] == b"\n"
        os.truncate(path, size // 2)
        with pytest.raises(Truncated):
            for _ in segments(fh.fileno(), 0, size, size=4096):
                pass


def test_a_small_range_gets_a_buffer_its_size_not_a_whole_segment(tmp_path):
    """Zeroing an 8 MB buffer for a 64 KB file was most of a small search (start-up, issue 13)."""
    path = tmp_path / "f"
    path.write_bytes(b"one\ntwo\nthree\n")
    with open(path, "rb") as fh:
        got = [(base, bytes(buf[:n]), len(buf)) for base, buf, n in segments(fh.fileno(), 4, 14)]
    assert got == [(4, b"two\nthree\n", 10)]
