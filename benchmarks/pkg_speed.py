"""Time `devkit pkg rate` and `devkit pkg bump` against pyroma, bump-my-version and commitizen.

Run from the repository root:

    python benchmarks/pkg_speed.py [PROJECT_DIR] [-n RUNS] [--peers VENV]

The peers are installed from PyPI into their own venv (default /work/venvs/pkg-peers, created
on first use: `pip install bump-my-version commitizen pyroma`), never into devkit's test extra.
Every command runs as a fresh process (what a user waits for) on the same project, in the same
run; the table gives the median wall time, the peak RSS (`/usr/bin/time -f %M`) and the ratio:

  rate       devkit pkg rate DIR            python -m pyroma -d DIR (pyroma's build-backend path)
  dry-run    devkit pkg bump --dry-run patch  bump-my-version bump --dry-run patch; cz bump --dry-run
  commit+tag devkit pkg bump patch          bump-my-version bump patch; cz bump --increment PATCH
             (each run on a fresh copy of one git repository: a real commit and annotated tag)
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

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PEERS = Path("/work/venvs/pkg-peers")
PEERS = ("bump-my-version", "commitizen", "pyroma")
IDENT = {"GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
         "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}


def peers_venv(path: Path) -> Path:
    """The peers' venv, created and filled from PyPI on first use."""
    bindir = path / "bin"
    if not all((bindir / exe).exists() for exe in ("bump-my-version", "cz", "pyroma")):
        print(f"installing {', '.join(PEERS)} into {path} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
        subprocess.run([str(bindir / "python"), "-m", "pip", "install", "-q", *PEERS], check=True)
    return bindir


def version_of(bindir: Path, dist: str) -> str:
    out = subprocess.run([str(bindir / "python"), "-c", f"import importlib.metadata as m; print(m.version({dist!r}))"],
                         capture_output=True, text=True)
    return out.stdout.strip() or "?"


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int, subprocess.CompletedProcess]:
    """(seconds, peak RSS in kB, process) for one fresh run under /usr/bin/time."""
    wrapper = ["/usr/bin/time", "-f", "%M"] if Path("/usr/bin/time").exists() else []
    start = time.perf_counter()
    proc = subprocess.run(wrapper + cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    rss = 0
    if wrapper:
        lines = proc.stderr.strip().splitlines()
        if lines and lines[-1].strip().isdigit():
            rss = int(lines[-1])
    return elapsed, rss, proc


def measure(cmd: list[str], make_cwd, runs: int, env: dict[str, str]) -> tuple[float, int] | str:  # type: ignore[no-untyped-def]
    times, peaks = [], []
    for _ in range(runs):
        cwd = make_cwd()
        seconds, rss, proc = timed(cmd, cwd, env)
        if proc.returncode not in (0, 1):
            return f"exit {proc.returncode}: {proc.stderr.strip().splitlines()[-2:] if proc.stderr else ''}"
        times.append(seconds)
        peaks.append(rss)
    return statistics.median(times), max(peaks)


PEER_CONFIG = """
[tool.bumpversion]
current_version = "{version}"
commit = true
tag = true
sign_tags = false
tag_name = "v{{new_version}}"
message = "Bump version: {{current_version}} → {{new_version}}"

[[tool.bumpversion.files]]
filename = "pyproject.toml"
search = 'version = "{{current_version}}"'
replace = 'version = "{{new_version}}"'

[[tool.bumpversion.files]]
filename = "{dunder}"

[tool.commitizen]
name = "cz_conventional_commits"
version_provider = "pep621"
version_files = ["{dunder}:__version__"]
tag_format = "v$version"
annotated_tag = true
update_changelog_on_bump = false
"""


def template_repo(project: Path, workdir: Path, py: str) -> Path:
    """The project in a git repository with every tool configured for the same two files."""
    repo = workdir / "template" / project.name
    shutil.copytree(project, repo)
    info = subprocess.run([py, "-m", "devkit", "pkg", "version", "-C", str(repo), "--json"],
                          capture_output=True, text=True, check=True)
    import json

    data = json.loads(info.stdout)
    dunder = next(p["file"] for p in data["places"] if p["key"] == "__version__")
    with open(repo / "pyproject.toml", "a", encoding="utf-8") as fh:
        fh.write(PEER_CONFIG.format(version=data["version"], dunder=dunder))
    env = {**os.environ, **IDENT}
    for cmd in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"], ["git", "commit", "-qm", "feat: initial import"],
                ["git", "config", "user.name", "Bench"], ["git", "config", "user.email", "bench@example.com"]):
        subprocess.run(cmd, cwd=repo, check=True, capture_output=True, env=env)
    return repo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("project", nargs="?", default=str(ROOT / "tests/pkg/data/good"))
    parser.add_argument("-n", "--runs", type=int, default=5)
    parser.add_argument("--peers", type=Path, default=DEFAULT_PEERS, help="venv holding the peer tools")
    args = parser.parse_args()
    project = Path(args.project).resolve()
    py = sys.executable
    peers = peers_venv(args.peers)
    env = {**os.environ, **IDENT, "NO_COLOR": "1"}
    print(f"devkit (this venv) vs bump-my-version {version_of(peers, 'bump-my-version')}, commitizen "
          f"{version_of(peers, 'commitizen')}, pyroma {version_of(peers, 'pyroma')}; {args.runs} runs each, median")

    with tempfile.TemporaryDirectory(prefix="pkg-speed-") as tmp:
        workdir = Path(tmp)
        template = template_repo(project, workdir, py)
        counter = iter(range(10 ** 6))

        def fresh() -> Path:
            dest = workdir / f"run{next(counter)}" / template.name
            shutil.copytree(template, dest, symlinks=True)
            return dest

        def same() -> Path:
            return template

        rows = [
            ("rate (static pyproject)", [py, "-m", "devkit", "pkg", "rate", str(project), "--json"], same,
             [("pyroma -d", [str(peers / "python"), "-m", "pyroma", "-d", "-n", "1", str(project)], same)]),
            ("bump --dry-run patch", [py, "-m", "devkit", "pkg", "bump", "--dry-run", "patch"], same,
             [("bump-my-version", [str(peers / "bump-my-version"), "bump", "--dry-run", "patch"], same),
              ("commitizen", [str(peers / "cz"), "bump", "--dry-run", "--increment", "PATCH", "--yes"], same)]),
            ("bump patch: commit + annotated tag", [py, "-m", "devkit", "pkg", "bump", "patch"], fresh,
             [("bump-my-version", [str(peers / "bump-my-version"), "bump", "patch"], fresh),
              ("commitizen", [str(peers / "cz"), "bump", "--increment", "PATCH", "--yes"], fresh)]),
        ]
        print(f"{'what':38} {'tool':18} {'median s':>9} {'peak RSS':>9}  ratio (peer / devkit)")
        for label, cmd, cwd, others in rows:
            ours = measure(cmd, cwd, args.runs, env)
            if isinstance(ours, str):
                print(f"{label:38} {'devkit':18} failed: {ours}")
                continue
            print(f"{label:38} {'devkit':18} {ours[0]:9.3f} {ours[1] / 1024:7.0f} MB")
            for name, peer_cmd, peer_cwd in others:
                theirs = measure(peer_cmd, peer_cwd, args.runs, env)
                if isinstance(theirs, str):
                    print(f"{'':38} {name:18} failed: {theirs}")
                    continue
                print(f"{'':38} {name:18} {theirs[0]:9.3f} {theirs[1] / 1024:7.0f} MB  "
                      f"{theirs[0] / ours[0]:.2f}x {'faster' if theirs[0] > ours[0] else 'slower'}")


if __name__ == "__main__":
    main()
