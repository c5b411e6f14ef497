#!/usr/bin/env python3
"""Hostile input, timed against GNU grep in the same run: a long line on stdin, regex grep, ReDoS.

    python benchmarks/make_corpus.py /tmp/corpus --size 100M        # once, for the grep rows
    python benchmarks/bench_inputs.py [--corpus /tmp/corpus] [--line-mb 80] [--runs 3]

Rows (each prints devkit's median, grep's median, the ratio and devkit's peak RSS):
- ``stdin-line``: one line of --line-mb MB piped into ``devkit logs merge --json`` vs ``grep -c``.
  Joining pipe reads made this quadratic (80 MB: 26-30 s); it must stay linear.
- ``grep REGEX`` on the corpus: ``devkit logs grep --json | wc -l`` vs ``grep -rEc``.
- ``redos``: ``(a+)+$`` over a 40-a line; Python's re needs hours, RE2 (and grep) no time.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

from bench_trace import peak_rss_mb  # noqa: E402 - the script's folder is on sys.path

DEVKIT = [sys.executable, "-P", "-m", "devkit"]


def timed(cmd: str) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, shell=True, capture_output=True, check=False, timeout=600)
    return time.perf_counter() - start


def row(name: str, ours: str, theirs: str, runs: int, rss_of: str) -> None:
    t_ours, t_theirs = [], []
    for _ in range(runs):  # alternate, so a busy neighbour hurts both alike
        t_theirs.append(timed(theirs))
        t_ours.append(timed(ours))
    a, b = statistics.median(t_ours), statistics.median(t_theirs)
    rss = peak_rss_mb(rss_of)
    print(f"{name:<44} devkit {a:7.3f} s  grep {b:7.3f} s  ratio {a / b:6.1f}x  devkit peak RSS "
          f"{'?' if rss is None else f'{rss:.0f} MB'}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", help="a corpus from make_corpus.py, for the grep rows")
    ap.add_argument("--line-mb", type=int, default=80)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    devkit = " ".join(map(shlex.quote, DEVKIT))
    with tempfile.TemporaryDirectory(prefix="devkit-bench-") as tmp:
        big = os.path.join(tmp, "line.log")
        with open(big, "w") as f:
            f.write("2026-11-20 09:00:00,000 INFO start\n2026-11-20 09:00:01,000 INFO ")
            for _ in range(args.line_mb):
                f.write("x" * (1 << 20))
            f.write(" end\n")
        ours = f"cat {big} | {devkit} logs merge --json - | wc -c"
        row(f"stdin-line ({args.line_mb} MB line, piped)", ours, f"cat {big} | LC_ALL=C grep -c end", args.runs, ours)
        redos = os.path.join(tmp, "redos.log")
        with open(redos, "w") as f:
            f.write("2026-11-20 09:00:00,000 INFO " + "a" * 40 + "!\n")
        ours = f"{devkit} logs grep '(a+)+$' {redos} | wc -l"
        row("redos '(a+)+$' on 40 a's", ours, f"LC_ALL=C grep -Ec '(a+)+$' {redos}", args.runs, ours)
        if args.corpus:
            for pattern in ("failed for (order|depot) [0-9A-Z-]+", r"[A-Z][a-z]+Error: ", r"[0-9]{3} [0-9]+ \"-\""):
                q = shlex.quote(pattern)
                ours = f"{devkit} logs grep {q} {args.corpus} --json | wc -l"
                theirs = f"LC_ALL=C grep -rEc {q} {args.corpus} | wc -l"
                row(f"grep {pattern}", ours, theirs, args.runs, ours)
    return 0


if __name__ == "__main__":
    sys.exit(main())
