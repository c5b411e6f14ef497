#!/usr/bin/env python3
"""Start-up of `devkit logs trace ID small.log` against its floor and its peer (issue 13: < 50 ms).

    python -m venv /tmp/v && /tmp/v/bin/pip install .        # a regular install, not -e
    python benchmarks/bench_startup.py [LOG] [--id ID] [--runs 20] [--python /tmp/v/bin/python]

LOG defaults to examples/logs/gateway/gateway.log (57 KB; /tmp/small.log of the issue is the
first 64 KB of the corpus's gateway log); ID to one that is not in it (the common start-up: scan, find nothing, say so). Rows, each
run with stdout piped as in `| wc -l`, from a temporary directory (with `-P`, so the repository
is never on sys.path), alternating within a round so that load drifts hit every row alike:

- `python -P -c pass`: the interpreter alone;
- `python -P -c "import click"`: the interpreter and click, the floor of any click CLI;
- `python -P -m devkit logs trace ID LOG --json`, and the `devkit` console script;
- `grep -F ID LOG`, the peer;
- the README's quick start, `devkit logs trace QUICKSTART_ID examples/logs --tz UTC` (11 files,
  0.3 MB, 27 events with their waterfall: start-up plus a first search, which compiles the format
  regexes it meets), and `grep -rF QUICKSTART_ID examples/logs`.

Printed per row: median and best wall time and median CPU time (user + system) in ms. Exit 1
when devkit's median is 50 ms or more.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SMALL = HERE.parent / "examples" / "logs" / "gateway" / "gateway.log"
ABSENT = "cd613e30d8f16adf91b7584a2265b1f5"
GOAL_MS = 50.0
EXAMPLES = HERE.parent / "examples" / "logs"
QUICKSTART_ID = "e5f011c3c08395f59280cb8e102d796b"  # the README's


def run_ms(argv: list[str], cwd: str) -> tuple[float, float]:
    """(wall ms, CPU ms) of one run with stdout to a pipe that is drained, like `| wc -l`."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=cwd)
    assert proc.stdout is not None
    proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = (time.perf_counter() - start) * 1000
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(argv)}")
    return wall, (usage.ru_utime + usage.ru_stime) * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("log", nargs="?", help="a small log file (default: examples/logs/gateway/gateway.log)")
    ap.add_argument("--id", default=ABSENT, help="the ID to trace (default: one that is in no example)")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--python", default=sys.executable, help="the interpreter devkit is installed in")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="bench-startup-")
    log = str(Path(args.log).resolve()) if args.log else str(SMALL)
    py = args.python
    trace = ["logs", "trace", args.id, log, "--json"]
    rows: dict[str, list[str]] = {
        "python -P -c pass": [py, "-P", "-c", "pass"],
        "python -P -c 'import click'": [py, "-P", "-c", "import click"],
        "python -P -m devkit ...": [py, "-P", "-m", "devkit", *trace],
    }
    script = Path(py).with_name("devkit")
    if script.exists():
        rows["devkit ... (console script)"] = [str(script), *trace]
    if shutil.which("grep"):
        rows["grep -F ID LOG"] = ["grep", "-F", args.id, log]
    quick = ["logs", "trace", QUICKSTART_ID, str(EXAMPLES), "--tz", "UTC"]
    rows["quick start: python -P -m devkit"] = [py, "-P", "-m", "devkit", *quick]
    if shutil.which("grep"):
        rows["quick start: grep -rF"] = ["grep", "-rF", QUICKSTART_ID, str(EXAMPLES)]
    os.environ["LC_ALL"] = "C"
    size_kb = os.path.getsize(log) / 1024
    try:
        for argv in rows.values():
            run_ms(argv, work)  # warm: page cache, .pyc files
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in rows}
        for _ in range(args.runs):
            for name, argv in rows.items():
                times[name].append(run_ms(argv, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{log} ({size_kb:.0f} KB)")
    print(f"id {args.id}, runs={args.runs}, load {os.getloadavg()[0]:.1f}, python {py}")
    print(f"{'command':34} {'median ms':>10} {'best ms':>8} {'CPU ms':>7}")
    for name, got in times.items():
        wall = [w for w, _ in got]
        print(f"{name:34} {statistics.median(wall):10.1f} {min(wall):8.1f} "
              f"{statistics.median(c for _, c in got):7.1f}")
    median = {name: statistics.median(w for w, _ in got) for name, got in times.items()}
    devkit = median["python -P -m devkit ..."]
    print(f"devkit: {devkit - median['python -P -c pass']:.1f} ms above bare python, "
          f"{devkit - median['python -P -c ' + repr('import click')]:.1f} ms above python + click; "
          f"goal: under {GOAL_MS:.0f} ms")
    return 0 if devkit < GOAL_MS else 1


if __name__ == "__main__":
    sys.exit(main())
