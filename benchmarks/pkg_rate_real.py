"""Does `devkit pkg rate` give pyroma's score on real projects of every build backend?

Run from the repository root (needs PyPI):

    python benchmarks/pkg_rate_real.py [--peers VENV] [--only NAME ...] [--json OUT]

For each project below, the newest sdist is fetched from PyPI's JSON API (no code runs to get
it) and unpacked. Projects whose version comes from git tags (setuptools_scm, hatch-vcs) are
turned into a git-like checkout: PKG-INFO removed, everything committed, the release tagged, so
the backend must find the version in git as it does in a developer's clone. Then each is rated
with `devkit pkg rate DIR --json` and `pyroma -d DIR` (from the peers venv, on its own copy:
pyroma builds in place), and devkit also rates the sdist file itself (from its PKG-INFO). The
table shows both scores; the last line counts the matches per backend.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pkg_speed import DEFAULT_PEERS, IDENT, peers_venv  # noqa: E402

# (PyPI name, build backend, version from git tags?)
PROJECTS = [
    ("requests", "setuptools", False), ("six", "setuptools", False), ("certifi", "setuptools", False),
    ("pyyaml", "_pyyaml_pep517", False),  # an in-tree wrapper around setuptools.build_meta ("pytz", "setuptools", False), ("pluggy", "setuptools", True),
    ("iniconfig", "setuptools", True), ("setuptools-scm", "setuptools", True),
    ("attrs", "hatchling", True), ("platformdirs", "hatchling", True), ("filelock", "hatchling", True),
    ("python-dateutil", "hatchling", True), ("hatch", "hatchling", True), ("black", "hatchling", True),
    ("urllib3", "hatchling", False), ("httpx", "hatchling", False),
    ("packaging", "flit", False), ("idna", "flit", False), ("jinja2", "flit", False),
    ("itsdangerous", "flit", False), ("tomli", "flit", False), ("flask", "flit", False),
    ("tomlkit", "poetry-core", False), ("cleo", "poetry-core", False), ("crashtest", "poetry-core", False),
    ("rich", "poetry-core", False), ("poetry-core", "poetry-core", False), ("dunamai", "poetry-core", False),
    ("pdm-backend", "pdm", False), ("unearth", "pdm", False), ("typer", "pdm", False),
    ("fastapi", "pdm", False), ("findpython", "pdm", False), ("pdm", "pdm", True),
]
ROOT = Path(__file__).resolve().parent.parent


def fetch_sdist(name: str, dest: Path) -> tuple[str, Path]:
    import requests

    from urllib.parse import urljoin

    from packaging.version import InvalidVersion, Version

    info = requests.get(f"https://pypi.org/pypi/{name}/json", timeout=60)
    info.raise_for_status()
    releases = info.json()["releases"]

    def key(v: str) -> Version:
        try:
            return Version(v)
        except InvalidVersion:
            return Version("0")

    for version in sorted(releases, key=key, reverse=True):  # the newest release that has an sdist
        files = [u for u in releases[version] if u["packagetype"] == "sdist" and not u.get("yanked")]
        if files and not key(version).is_prerelease:
            break
    else:
        raise RuntimeError(f"{name} has no sdist on PyPI")
    url = urljoin(info.url, files[0]["url"])  # mirrors may answer with relative URLs
    path = dest / url.rsplit("/", 1)[-1]
    with requests.get(url, timeout=120, stream=True) as resp:
        resp.raise_for_status()
        with open(path, "wb") as fh:
            for chunk in resp.iter_content(1 << 16):
                fh.write(chunk)
    return version, path


def unpack(archive: Path, dest: Path) -> Path:
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(dest)
    else:
        with tarfile.open(archive) as tf:
            tf.extractall(dest, filter="data")
    (top,) = [p for p in dest.iterdir() if p.is_dir()]
    return top


def detected_backend(root: Path) -> str:
    """The sdist's own build backend (what the table groups by), not a label typed in here."""
    import tomllib

    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "setuptools"  # no pyproject.toml: setup.py
    build = data.get("build-system") or {}
    backend = str(build.get("build-backend") or "setuptools.build_meta")
    requires = " ".join(map(str, build.get("requires") or [])).lower()
    for prefix, name in (("setuptools", "setuptools"), ("hatchling", "hatchling"), ("flit", "flit"),
                         ("poetry", "poetry-core"), ("pdm", "pdm")):
        if backend.startswith(prefix):
            return name + ("+hatch-vcs" if "hatch-vcs" in requires else "+scm" if "setuptools-scm" in requires
                           or "setuptools_scm" in requires else "")
    return backend


def git_checkout(root: Path, version: str) -> None:
    """What a clone at the release tag looks like: no PKG-INFO, history with a tag."""
    (root / "PKG-INFO").unlink(missing_ok=True)
    env = {**os.environ, **IDENT}
    for cmd in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A", "-f", "."],
                ["git", "commit", "-qm", f"release {version}", "--no-verify"],
                ["git", "tag", "-a", f"v{version}", "-m", version]):
        subprocess.run(cmd, cwd=root, check=True, capture_output=True, env=env)


def devkit_score(target: Path) -> tuple[int | None, str]:
    proc = subprocess.run([sys.executable, "-P", "-m", "devkit", "pkg", "rate", str(target), "--json"],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    if proc.returncode not in (0, 1) or not proc.stdout.strip():
        return None, (proc.stderr.strip().splitlines() or ["?"])[-1][:80]
    data = json.loads(proc.stdout)
    return data["score"], data["source"]


def pyroma_score(peers: Path, target: Path, workdir: Path) -> tuple[int | None, str]:
    copy = workdir / "pyroma-copy" / target.name
    shutil.copytree(target, copy, symlinks=True)
    try:
        proc = subprocess.run([str(peers / "python"), "-m", "pyroma", "-d", "-n", "1", str(copy)],
                              capture_output=True, text=True, timeout=600)
    finally:
        shutil.rmtree(copy.parent, ignore_errors=True)
    found = re.findall(r"^Final rating: (\d+)/10", proc.stdout, re.MULTILINE)
    if not found:
        return None, (proc.stderr.strip().splitlines() or ["?"])[-1][:80]
    return int(found[-1]), ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peers", type=Path, default=DEFAULT_PEERS)
    parser.add_argument("--only", nargs="*", help="rate only these projects")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args()
    peers = peers_venv(args.peers)
    projects = [p for p in PROJECTS if not args.only or p[0] in args.only]
    rows = []
    print(f"{'project':16} {'version':12} {'backend':20} {'layout':13} {'devkit':>6} {'pyroma -d':>9} "
          f"{'sdist':>5}  {'same':4} devkit source")
    for name, listed, vcs in projects:
        backend = listed
        with tempfile.TemporaryDirectory(prefix="rate-real-") as tmp:
            workdir = Path(tmp)
            start = time.perf_counter()
            try:
                version, sdist = fetch_sdist(name, workdir)
                root = unpack(sdist, workdir / "src")
                found = detected_backend(root)
                if not found.startswith(listed):
                    print(f"{name:16} note: listed as {listed}, its sdist builds with {found}")
                backend = found
                if vcs:
                    git_checkout(root, version)
            except Exception as exc:  # a network or archive problem: say so, go on
                print(f"{name:16} skipped: {exc}")
                continue
            ours, source = devkit_score(root)
            theirs, why = pyroma_score(peers, root, workdir)
            from_sdist, _ = devkit_score(sdist)
            same = ours == theirs  # both None: the backend cannot build it here, for pyroma and devkit alike
            layout = "git checkout" if vcs else "sdist dir"
            print(f"{name:16} {version:12} {backend:20} {layout:13} {ours if ours is not None else '-':>6} "
                  f"{theirs if theirs is not None else '-':>9} {from_sdist if from_sdist is not None else '-':>5}  "
                  f"{'yes' if same else 'NO':4} {source[:60]}{' / pyroma: ' + why[:60] if why else ''} "
                  f"({time.perf_counter() - start:.1f} s)", flush=True)
            rows.append({"project": name, "version": version, "backend": backend, "layout": layout, "devkit": ours,
                         "pyroma": theirs, "devkit_sdist": from_sdist, "same": same, "source": source})
    by_backend: dict[str, list[bool]] = {}
    for row in rows:
        family = "setuptools" if row["backend"] == "_pyyaml_pep517" else row["backend"].split("+")[0]
        by_backend.setdefault(family, []).append(row["same"])
    print("same score: " + ", ".join(f"{b} {sum(v)}/{len(v)}" for b, v in by_backend.items())
          + f"; all {sum(r['same'] for r in rows)}/{len(rows)}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
