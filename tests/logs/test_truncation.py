"""A file truncated while it is searched (logrotate's copytruncate) is reported, never a crash.

Before, the scan memory-mapped files: a file that shrank under it killed devkit with SIGBUS
(exit 135), and with several files the process pool broke and lost the other files' events.
"""

import os
import subprocess
import sys
import time

from devkit.logs.match import PatternMatcher
from devkit.logs.trace import search, trace
from devkit.logs.timestamps import Zone

UTC = Zone.parse("UTC")
LINE = "2026-11-20 09:13:{s:02d},000 INFO checkout {n} for request {rid} done\n"


def _write(path, n, rid="a1b2c3d4e5f6", every=1000):
    with open(path, "w") as fh:
        for i in range(n):
            fh.write(LINE.format(s=i % 60, n=i, rid=rid if i % every == 0 else "x" * 12))


class TruncatingMatcher(PatternMatcher):
    """Truncates the file (for real, on disk) when the search is inside it, as logrotate would."""

    def __init__(self, path, keep):
        super().__init__("a1b2c3d4e5f6", fixed=True)
        self.needle = None  # take the Python path, which calls hits() once per segment
        self.path, self.keep, self.done = path, keep, False

    def hits(self, buf, start=0, end=None):
        if not self.done:
            os.truncate(self.path, self.keep)
            self.done = True
        return super().hits(buf, start, end)


def test_truncated_while_searched_is_one_problem_and_keeps_what_was_read(tmp_path):
    path = tmp_path / "app.log"
    _write(path, 400_000)  # ~28 MB: four 8 MB segments
    other = tmp_path / "other.log"
    _write(other, 2000)
    size = os.path.getsize(path)
    matcher = TruncatingMatcher(path, size // 3)
    result = search([str(path), str(other)], matcher, query="x", zone=UTC, jobs=1)
    truncated = [p for p in result.problems if "truncated while reading" in p]
    assert truncated and str(path) in truncated[0]
    from_other = [e for e in result.events if e.source == str(other)]
    assert len(from_other) == 2  # every other file's events are kept
    from_path = [e for e in result.events if e.source == str(path)]
    assert from_path and all(e.line <= 400_000 for e in from_path)


def test_copytruncate_during_a_real_trace_never_kills_devkit(tmp_path):
    path = tmp_path / "big.log"
    _write(path, 1_500_000, every=50_000)  # ~100 MB
    other = tmp_path / "small.log"
    _write(other, 100)
    codes = []
    for delay in (0.02, 0.06, 0.12):
        _write(path, 1_500_000, every=50_000)
        proc = subprocess.Popen([sys.executable, "-m", "devkit", "logs", "trace", "a1b2c3d4e5f6", str(path), str(other),
                                 "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(delay)
        os.truncate(path, 0)  # copytruncate
        out, err = proc.communicate(timeout=120)
        codes.append(proc.returncode)
        assert proc.returncode in (0, 1, 2), (proc.returncode, err[-500:])
        assert b"Traceback" not in err and b"internal error" not in err
        assert out.count(b"small.log") == 1  # the other file's event is there every time
    assert 135 not in codes


def test_trace_still_finds_everything_in_an_untouched_file(tmp_path):
    path = tmp_path / "app.log"
    _write(path, 200_000, every=20_000)
    result = trace("a1b2c3d4e5f6", [str(path)], zone=UTC)
    assert len(result.events) == 10 and not result.problems
