#!/usr/bin/env python3
"""devkit logs requests and merge --since/--until vs. lnav's headless equivalents, in one run.

    python benchmarks/make_corpus.py /tmp/corpus --size 1G     # once
    python benchmarks/bench_requests.py /tmp/corpus [--runs 3]

lnav (0.11, Debian package) gets a format file for every corpus file (benchmarks/lnav/formats/,
passed with -I; its HOME is a temporary directory so nothing of yours is read or written). The
formats are first checked on the head of each file: every file must be read by its devkit_*
format. Then, file cache warm, each command runs --runs times (median reported) under
/usr/bin/time -v for peak RSS, its output piped into `wc -l`:

- requests: `devkit logs requests DIR --json` vs lnav SQL grouping every format's ID column
  (first, last, events, errors per ID; lnav 0.11 fills log_opid for text formats only);
- load: lnav indexing the files and nothing else (`;SELECT 1`), the time the goal is set against
  (issue 11: requests on 1 GB faster than lnav's load time);
- merge --since/--until: one hour in the middle of the corpus day vs lnav
  `:hide-lines-before` / `:hide-lines-after`.

Exit 1 when requests is not faster than lnav's load.
"""

from __future__ import annotations

import argparse
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
# the ID column of each devkit_* lnav format (lnav 0.11 leaves log_opid empty for JSON formats)
ID_COLUMNS = {
    "devkit_nginx_access": "corr", "devkit_gateway": "corr", "devkit_logstash_v0": '"@fields/corrId"',
    "devkit_logstash_v1": "corrId", "devkit_structlog": "request_id", "devkit_ecs": '"trace/id"',
    "devkit_logspout": "corr", "devkit_oslo": "corr",
}
REQUESTS_SQL = (
    "SELECT id, min(log_time), max(log_time), count(*), sum(log_level IN ('error', 'critical', 'fatal')) FROM ("
    + " UNION ALL ".join(f"SELECT {col} AS id, log_time, log_level FROM {table}" for table, col in ID_COLUMNS.items())
    + ") WHERE id IS NOT NULL AND id NOT IN ('Internal', '-', '') GROUP BY id"
)


def run_timed(cmd: str, env: dict | None = None) -> tuple[float, float | None, str]:
    """(seconds, peak RSS MB of the measured command, stdout) of ``cmd | wc -l``-style shell line."""
    timed = f"/usr/bin/time -v -o {shlex.quote(RSS_FILE)} sh -c {shlex.quote(cmd)}"
    start = time.perf_counter()
    out = subprocess.run(timed, shell=True, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if out.returncode not in (0, 1):
        raise SystemExit(f"failed ({out.returncode}): {cmd}\n{out.stderr[-2000:]}")
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", Path(RSS_FILE).read_text())
    return seconds, int(m.group(1)) / 1024 if m else None, out.stdout.strip()


RSS_FILE = os.path.join(tempfile.gettempdir(), f"devkit-bench-rss-{os.getpid()}.txt")


def check_formats(files: list[Path], env: dict) -> None:
    """Every corpus file is read by a devkit_* format (checked on the first MiB of each)."""
    with tempfile.TemporaryDirectory(prefix="devkit-lnav-heads-") as tmp:
        heads = []
        for f in files:
            head = Path(tmp) / f.parent.name / f.name
            head.parent.mkdir(parents=True, exist_ok=True)
            with open(f, "rb") as src:
                data = src.read(1 << 20)
            head.write_bytes(data[: data.rfind(b"\n") + 1])
            heads.append(str(head))
        sql = ";SELECT log_path, log_format, count(*) FROM all_logs GROUP BY log_path, log_format"
        out = subprocess.run(["lnav", "-n", "-I", str(FORMATS), "-c", sql, *heads], capture_output=True, text=True,
                             env=env, timeout=300).stdout
    print("lnav formats (first MiB of each file):")
    for f, head in zip(files, heads):
        rows = [ln.split() for ln in out.splitlines() if head in ln]
        names = sorted({r[1] for r in rows})
        print(f"  {f.parent.name}/{f.name}: {', '.join(names) or 'NOT RECOGNISED'}")
        if names != [n for n in names if n.startswith("devkit_")] or not names:
            raise SystemExit(f"lnav does not read {f} with a devkit_* format: fix benchmarks/lnav/formats")


def median_run(name: str, cmd: str, runs: int, env: dict | None = None) -> dict:
    if runs > 1:
        run_timed(cmd, env)  # warm-up (imports); the page cache is warm already
    times, rss, out = [], [], ""
    for _ in range(runs):
        t, r, out = run_timed(cmd, env)
        times.append(t)
        if r is not None:
            rss.append(r)
    result = {"name": name, "median": statistics.median(times), "best": min(times),
              "rss": max(rss) if rss else None, "lines": out}
    print(f"  {name:28} median {result['median']:7.2f}s  best {result['best']:7.2f}s  "
          f"peak RSS {result['rss'] or 0:7.0f} MB  output lines {out}", flush=True)
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--since", default="2026-11-20T12:00:00Z", help="window start for merge (UTC)")
    ap.add_argument("--until", default="2026-11-20T13:00:00Z", help="window end for merge (UTC)")
    args = ap.parse_args()
    if not shutil.which("lnav") or not os.path.exists("/usr/bin/time"):
        raise SystemExit("needs lnav (apt-get install lnav) and /usr/bin/time (apt-get install time)")
    files = sorted(p for p in args.corpus.rglob("*.log") if p.is_file())
    size = sum(p.stat().st_size for p in files)
    home = tempfile.mkdtemp(prefix="devkit-lnav-home-")
    lnav_env = dict(os.environ, HOME=home)
    quoted = " ".join(shlex.quote(str(f)) for f in files)
    devkit = f"{shlex.quote(sys.executable)} -P -m devkit"
    lnav = f"lnav -n -I {shlex.quote(str(FORMATS))}"
    since_local, until_local = (t.replace("T", " ").rstrip("Z") for t in (args.since, args.until))
    print(f"corpus: {args.corpus} ({size / 1e9:.2f} GB, {len(files)} files); lnav {lnav_version()}; "
          f"{os.cpu_count()} CPUs")
    check_formats(files, lnav_env)
    subprocess.run(f"cat {quoted} > /dev/null", shell=True, check=True)
    print(f"runs: {args.runs} (median), output piped into wc -l")
    r = {}
    r["requests"] = median_run("devkit logs requests --json",
                               f"{devkit} logs requests {quoted} --tz UTC --json | wc -l", args.runs)
    r["lnav_requests"] = median_run("lnav SQL group by ID", f"{lnav} -c {shlex.quote(';' + REQUESTS_SQL)} {quoted} | wc -l",
                                    args.runs, lnav_env)
    r["lnav_load"] = median_run("lnav load only", f"{lnav} -q -c ';SELECT 1' {quoted} | wc -l", args.runs, lnav_env)
    r["since"] = median_run("devkit logs merge --since",
                            f"{devkit} logs merge {quoted} --tz UTC --since {args.since} --until {args.until} | wc -l",
                            args.runs)
    hide = f"-c {shlex.quote(':hide-lines-before ' + since_local)} -c {shlex.quote(':hide-lines-after ' + until_local)}"
    r["lnav_since"] = median_run("lnav hide-lines-before/after", f"{lnav} {hide} {quoted} | wc -l", args.runs, lnav_env)
    shutil.rmtree(home, ignore_errors=True)
    os.unlink(RSS_FILE)

    def ratio(a: str, b: str) -> float:
        return r[a]["median"] / r[b]["median"]

    print("ratios (devkit time / lnav time, median; < 1 means devkit is faster):")
    print(f"  requests vs lnav SQL group-by   {ratio('requests', 'lnav_requests'):.2f}x")
    print(f"  requests vs lnav load only      {ratio('requests', 'lnav_load'):.2f}x  (goal: < 1)")
    print(f"  merge --since vs lnav hide-lines {ratio('since', 'lnav_since'):.2f}x")
    print(f"  throughput: requests {size / r['requests']['median'] / 1e6:.0f} MB/s, "
          f"lnav load {size / r['lnav_load']['median'] / 1e6:.0f} MB/s")
    return 0 if ratio("requests", "lnav_load") < 1.0 else 1


def lnav_version() -> str:
    out = subprocess.run(["lnav", "-V"], capture_output=True, text=True).stdout.strip()
    return out.split()[-1] if out else "?"


if __name__ == "__main__":
    sys.exit(main())
