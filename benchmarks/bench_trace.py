#!/usr/bin/env python3
"""devkit logs trace vs. `LC_ALL=C grep -rF` on the same corpus, in one run.

    python benchmarks/make_corpus.py /tmp/corpus --size 1G     # once
    python benchmarks/bench_trace.py /tmp/corpus [--runs 5]

Both commands are piped into `wc -l` (with output to /dev/null GNU grep stops at the first match).
The file cache is warmed first; the best and median of --runs are reported, plus devkit's peak RSS
measured with /usr/bin/time -v. Exit 1 when devkit is slower than grep or uses >= 100 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import time


def timed(cmd: str) -> tuple[float, str]:
    start = time.perf_counter()
    out = subprocess.run(cmd, shell=True, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, out.stdout.strip()


def peak_rss_mb(cmd: str) -> float | None:
    if not os.path.exists("/usr/bin/time"):
        return None
    out = subprocess.run(["/usr/bin/time", "-v", "sh", "-c", cmd], capture_output=True, text=True)
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr)
    return int(m.group(1)) / 1024 if m else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus")
    ap.add_argument("--id", help="correlation ID to trace (default: the rare one from ids.json)")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    ident = args.id
    if ident is None:
        ids = json.load(open(os.path.join(args.corpus, "ids.json")))
        ident = ids.get("rare") or ids.get("rare_id") or next(iter(ids.values()))
        if isinstance(ident, dict):
            ident = ident["id"]
    size = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(args.corpus) for f in fs)
    corpus = shlex.quote(args.corpus)
    grep_cmd = f"LC_ALL=C grep -rF {shlex.quote(ident)} {corpus} | wc -l"
    devkit_cmd = f"{shlex.quote(sys.executable)} -P -m devkit logs trace {shlex.quote(ident)} {corpus} --json | wc -l"
    timed(f"cat $(find {corpus} -type f) > /dev/null")  # warm the page cache
    results = {}
    for name, cmd in (("grep", grep_cmd), ("devkit", devkit_cmd)):
        timed(cmd)
        times, out = [], ""
        for _ in range(args.runs):
            t, out = timed(cmd)
            times.append(t)
        results[name] = {"best": min(times), "median": statistics.median(times), "lines": out}
    rss = peak_rss_mb(devkit_cmd)
    ratio = results["devkit"]["median"] / results["grep"]["median"]
    print(f"corpus: {args.corpus} ({size / 1e9:.2f} GB, {sum(len(f) for _, _, f in os.walk(args.corpus))} files)")
    print(f"id: {ident}")
    for name in ("grep", "devkit"):
        r = results[name]
        print(f"{name:7} best {r['best']:.3f}s  median {r['median']:.3f}s  output lines {r['lines']}")
    print(f"ratio devkit/grep (median): {ratio:.2f}x  ({'faster' if ratio <= 1 else 'slower'} than grep)")
    if rss is not None:
        print(f"devkit peak RSS: {rss:.1f} MB")
    return 0 if ratio <= 1.0 and (rss is None or rss < 100) else 1


if __name__ == "__main__":
    sys.exit(main())
