"""Time `devkit pkg rate` (static) and `devkit pkg bump --dry-run` against the reference tools.

Run from the repository root:  python benchmarks/pkg_speed.py [PROJECT_DIR] [-n RUNS]
Compares, in the same run and on the same project, each as a fresh process (what a user waits for):
  devkit pkg rate DIR          vs  python -m pyroma -d DIR  (pyroma's build-backend path)
  devkit pkg bump --dry-run    vs  bump-my-version bump --dry-run patch (if installed)
and prints median wall times and the ratio. Nothing is modified (dry runs, temp git copy).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def median_time(cmd: list[str], cwd: Path, runs: int) -> float | None:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True)
        times.append(time.perf_counter() - start)
        if proc.returncode not in (0, 1):
            print(f"  ! {' '.join(cmd)} exited {proc.returncode}: {proc.stderr.decode()[-200:]}")
            return None
    return statistics.median(times)


def report(label: str, ours: float | None, theirs: float | None, ref: str) -> None:
    if ours is None:
        print(f"{label}: devkit failed")
        return
    line = f"{label}: devkit {ours:.3f} s"
    if theirs is None:
        print(line + f"; {ref}: not available")
    else:
        print(line + f"; {ref} {theirs:.3f} s; ratio {theirs / ours:.1f}x faster")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("project", nargs="?", default=str(ROOT / "tests/pkg/data/good"))
    parser.add_argument("-n", "--runs", type=int, default=5)
    args = parser.parse_args()
    project = Path(args.project).resolve()
    py = sys.executable

    ours = median_time([py, "-m", "devkit", "pkg", "rate", str(project), "--json"], ROOT, args.runs)
    theirs = median_time([py, "-m", "pyroma", "-d", "-n", "1", str(project)], ROOT, args.runs)
    report(f"rate {project.name}", ours, theirs, "pyroma")

    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / project.name
        shutil.copytree(project, repo)
        ident = ["-c", "user.name=Bench", "-c", "user.email=bench@example.com"]
        for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", *ident, "commit", "-qm", "init"],
                    ["git", "config", "user.name", "Bench"], ["git", "config", "user.email", "bench@example.com"]):
            subprocess.run(cmd, cwd=repo, check=True, capture_output=True)
        ours = median_time([py, "-m", "devkit", "pkg", "bump", "--dry-run", "patch"], repo, args.runs)
        bmv = shutil.which("bump-my-version")
        theirs = None
        if bmv:
            version = subprocess.run([py, "-m", "devkit", "pkg", "version", "--json"], cwd=repo,
                                     capture_output=True, text=True).stdout
            import json

            current = json.loads(version)["version"]
            theirs = median_time([bmv, "bump", "--dry-run", "--current-version", current, "--allow-dirty",
                                  "patch", "pyproject.toml"], repo, args.runs)
        report("bump --dry-run patch", ours, theirs, "bump-my-version")


if __name__ == "__main__":
    main()
