#!/usr/bin/env python3
"""devkit's full-read engine against its peers, side by side in one run (issue 13's table).

    python benchmarks/make_corpus.py /tmp/corpus --size 1G       # once
    python benchmarks/bench_engine.py /tmp/corpus [--runs 3] [--only merge,grep,...]

Where the kernel reclaims page cache on its own (this VM runs DAMON: ``free`` shows about 0.4 GB
cached right after reading the 1 GB corpus), "warm" reads go to the disk and the times wander;
a copy on tmpfs stays in memory: ``cp -r /tmp/corpus /dev/shm/`` and measure /dev/shm/corpus.

Rows (each command piped into `wc -l`, file cache warm, median of --runs, peak RSS of devkit
from /usr/bin/time -v):
- merge:       `devkit logs merge`          vs `lnav -n` (format files for every corpus file, benchmarks/lnav/)
- merge-json:  `devkit logs merge --json`   vs lnav SQL to JSON lines (`:write-jsonlines-to -`)
(trace and grep run with --json: one line per event, so the line counts compare with grep's.)
- grep-regex:  `devkit logs grep REGEX`     vs `grep -rE`, `rg`
- grep-literal:`devkit logs grep -F Traceback` vs `grep -rF`, `rg -F`
- trace-frequent: `devkit logs trace POZ-2` (a depot ID in tens of thousands of records) vs `grep -rF`
- trace-held:  the same without --json: the events are held for the summary after them (goal: peak
               RSS under 100 MB on the 4 GB corpus, `make_corpus.py --size 4G`)
- trace-rare:  `devkit logs trace RARE` (ids.json)  vs `grep -rF`, `rg -F`
- startup:     `devkit logs trace RARE small.log` (64 KB) vs `grep -F` (bench_startup.py: with the python + click floor)

The ratio printed is devkit / best peer of the row (lower is better). lnav runs with a temporary
HOME so nothing of yours is read or written.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FORMATS = HERE / "lnav"
REGEX = "failed for (order|depot) [0-9A-Z-]+"
FREQUENT = "POZ-2"


def timed(cmd: str, env: dict | None = None) -> tuple[float, float | None, str]:
    """(seconds, peak RSS MB, stdout) of one shell command under /usr/bin/time -v."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as rss:
        line = f"/usr/bin/time -v -o {rss.name} sh -c {shlex.quote(cmd)}" if shutil.which("time") or \
            os.path.exists("/usr/bin/time") else cmd
        start = time.perf_counter()
        out = subprocess.run(line, shell=True, capture_output=True, text=True, env=env)
        seconds = time.perf_counter() - start
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", Path(rss.name).read_text())
    if out.returncode not in (0, 1):
        raise SystemExit(f"failed ({out.returncode}): {cmd}\n{out.stderr[-2000:]}")
    return seconds, (int(m.group(1)) / 1024 if m else None), out.stdout.strip()


def measure(cmd: str, runs: int, env: dict | None = None) -> dict:
    timed(cmd, env)  # warm
    results = [timed(cmd, env) for _ in range(runs)]
    return {"median": statistics.median(r[0] for r in results), "best": min(r[0] for r in results),
            "rss": max((r[1] for r in results if r[1] is not None), default=None), "out": results[-1][2]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", help="comma-separated rows to run")
    args = ap.parse_args()
    corpus = Path(args.corpus)
    files = sorted(str(p) for p in corpus.rglob("*.log"))
    size = sum(os.path.getsize(f) for f in files)
    ids = json.loads((corpus / "ids.json").read_text())
    rare = ids["rare"]["id"]
    q = " ".join(shlex.quote(f) for f in files)
    dk = f"{shlex.quote(sys.executable)} -P -m devkit logs"
    home = tempfile.mkdtemp(prefix="bench-lnav-")
    lnav_env = {**os.environ, "HOME": home}
    lnav = f"lnav -n -I {shlex.quote(str(FORMATS))}" if shutil.which("lnav") and FORMATS.is_dir() else None
    small = Path(tempfile.mkdtemp(prefix="bench-small-")) / "small.log"
    with open(files[0], "rb") as fh:
        small.write_bytes(fh.read(64 << 10).rsplit(b"\n", 1)[0] + b"\n")
    subprocess.run(f"cat {q} > /dev/null", shell=True)  # the page cache, warm
    # bytecode written once: with PYTHONDONTWRITEBYTECODE set (as on this machine), an editable
    # checkout would otherwise compile its modules again in every run (65 ms of each trace-rare)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(HERE.parent / "devkit")], check=False)

    rows: dict[str, tuple[str, dict[str, str]]] = {
        "merge": (f"{dk} merge {q} | wc -l", {"lnav -n": f"{lnav} {q} | wc -l"} if lnav else {}),
        "merge-json": (f"{dk} merge --json {q} | wc -l", {"lnav SQL to JSON lines":
                       f"{lnav} -c ';SELECT log_time, log_level, log_body FROM all_logs' "
                       f"-c ':write-jsonlines-to -' {q} | wc -l"} if lnav else {}),
        "grep-regex": (f"{dk} grep {shlex.quote(REGEX)} {q} --json | wc -l",
                       {"grep -rE": f"LC_ALL=C grep -E {shlex.quote(REGEX)} {q} | wc -l",
                        "rg": f"rg --no-filename {shlex.quote(REGEX)} {q} | wc -l"}),
        "grep-literal": (f"{dk} grep -F Traceback {q} --json | wc -l",
                         {"grep -rF": f"LC_ALL=C grep -F Traceback {q} | wc -l",
                          "rg -F": f"rg --no-filename -F Traceback {q} | wc -l"}),
        "trace-frequent": (f"{dk} trace {FREQUENT} {q} --json | wc -l",
                           {"grep -rF": f"LC_ALL=C grep -F {FREQUENT} {q} | wc -l"}),
        "trace-held": (f"{dk} trace {FREQUENT} {q} | wc -l",
                       {"grep -rF": f"LC_ALL=C grep -F {FREQUENT} {q} | wc -l"}),
        "trace-rare": (f"{dk} trace {rare} {q} --json | wc -l",
                       {"grep -rF": f"LC_ALL=C grep -F {rare} {q} | wc -l",
                        "rg -F": f"rg --no-filename -F {rare} {q} | wc -l"}),
        "startup": (f"{dk} trace {rare} {shlex.quote(str(small))} --json | wc -l",
                    {"grep -F": f"LC_ALL=C grep -F {rare} {shlex.quote(str(small))} | wc -l"}),
    }
    # issue 13's goals: the highest devkit/peer ratio allowed per (row, peer); startup in seconds
    goals = {("merge", "lnav -n"): 0.5, ("merge-json", "lnav SQL to JSON lines"): 0.5,
             ("grep-regex", "grep -rE"): 2.0, ("grep-literal", "grep -rF"): 1.0,
             ("trace-frequent", "grep -rF"): 1.5, ("trace-rare", "grep -rF"): 1.0, ("trace-rare", "rg -F"): 1.5}
    only = set(args.only.split(",")) if args.only else set(rows)
    print(f"corpus: {corpus} ({size / 1e9:.2f} GB in {len(files)} files), runs={args.runs}, "
          f"load {os.getloadavg()[0]:.1f}")
    print(f"{'row':15} {'devkit':>9} {'RSS':>7}  {'peer':24} {'peer s':>8}  ratio  (devkit lines / peer lines)")
    for name, (cmd, peers) in rows.items():
        if name not in only:
            continue
        mine = measure(cmd, args.runs)
        best = None
        for peer, pcmd in peers.items():
            theirs = measure(pcmd, args.runs, lnav_env if peer.startswith("lnav") else None)
            ratio = mine["median"] / theirs["median"] if theirs["median"] else float("inf")
            goal = goals.get((name, peer))
            verdict = "" if goal is None else f"  goal <= {goal}x: {'met' if ratio <= goal else 'not met'}"
            if name == "startup":
                verdict = f"  goal < 0.050s: {'met' if mine['median'] < 0.05 else 'not met'}"
            if name == "trace-held":
                verdict = f"  goal RSS < 100 MB: {'met' if (mine['rss'] or 0) < 100 else 'not met'}"
            print(f"{name:15} {mine['median']:8.3f}s {mine['rss'] or 0:6.0f}M  {peer:24} {theirs['median']:7.3f}s "
                  f"{ratio:6.2f}x  ({mine['out']} / {theirs['out']}){verdict}")
            best = theirs if best is None or theirs["median"] < best["median"] else best
        if not peers:
            print(f"{name:15} {mine['median']:8.3f}s {mine['rss'] or 0:6.0f}M  (no peer installed)")
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(small.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
