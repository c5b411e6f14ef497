"""``devkit pkg rate``: pyroma's score for a project, sdist, wheel or PyPI release, plus hygiene.

Static first: a PEP 621 project is rated from pyproject.toml alone (no build, no network, no
project code), an sdist from its PKG-INFO and a wheel from its METADATA, each read through capped
reads (see ``archives``). The build backend runs, as pyroma runs it, only for a project whose
``[project]`` is dynamic or that has none (setup.py/setup.cfg); the caller is told before it runs
(it executes the project's code), and ``build=False`` refuses instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devkit.errors import InputError, ServiceError
from devkit.pkg import archives, hygiene, metadata
from devkit.pkg import pyproject as pyproject_mod
from devkit.pkg.pyroma_checks import CheckResult, cheese_name, levels, run_checks

SDIST_SUFFIXES = archives.SDIST_SUFFIXES
Notify = Callable[[str], None]


@dataclass
class RateReport:
    target: str
    name: str
    version: str
    score: int
    cheese: str
    verdict: str  # pyroma's full level line
    source: str  # static | build-backend | PKG-INFO | wheel
    reason: str
    checks: list[CheckResult]
    hygiene: list[hygiene.Finding] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "name": self.name,
            "version": self.version,
            "score": self.score,
            "cheese": self.cheese,
            "source": self.source,
            "reason": self.reason,
            "checks": [{"id": c.id, "passed": c.passed, "message": c.message} for c in self.checks],
            "hygiene": [f.as_dict() for f in self.hygiene],
        }


def _backend(root: Path, reason: str, label: str, build: bool, notify: Notify | None) -> metadata.ProjectMetadata:
    runs = "setup.py" if (root / "setup.py").is_file() else "its build backend"
    if not build:
        raise InputError(f"{label}: rating needs the build backend ({reason}), which runs the project's "
                         f"code ({runs}); --no-build refuses that")
    if notify:
        notify(f"{label}: running the build backend to read the metadata ({reason}); this executes the "
               f"project's code ({runs}); --no-build refuses instead")
    return metadata.backend_metadata(root, reason)


def project_metadata(root: Path, *, build: bool = True, notify: Notify | None = None,
                     label: str | None = None) -> metadata.ProjectMetadata:
    """Static metadata when pyproject.toml allows it, else pyroma's build-backend path."""
    doc = metadata.read_pyproject(root)
    blocker = metadata.static_blocker(doc.data if doc else None, root)
    if not blocker:
        result = metadata.static_project_metadata(root, doc)  # type: ignore[arg-type]
        result.data["_path"] = os.fspath(root)  # pyroma's get_data adds it (for CheckManifest)
        return result
    if doc is None and not (root / "setup.py").is_file() and not (root / "setup.cfg").is_file():
        raise InputError(f"{root}: no pyproject.toml, setup.py or setup.cfg: not a Python project")
    return _backend(root, blocker, label or os.fspath(root), build, notify)


def sdist_metadata(archive: Path, workdir: Path, *, build: bool = True,
                   notify: Notify | None = None) -> tuple[metadata.ProjectMetadata, Path]:
    """An sdist rated from its PKG-INFO (what its backend wrote); without one, from its static
    pyproject.toml, else by unpacking it (capped) and asking its backend."""
    root = archives.project_files(archive, workdir / "files")
    if (root / "PKG-INFO").is_file():
        return metadata.pkg_info_metadata(root), root
    doc = metadata.read_pyproject(root)
    if doc is not None and not metadata.static_blocker(doc.data, root):
        full = archives.extract(archive, workdir / "full")  # the readme and license files it names
        return metadata.static_project_metadata(full, metadata.read_pyproject(full)), full  # type: ignore[arg-type]
    if not build:
        raise InputError(f"{archive}: an sdist without PKG-INFO needs its build backend (it runs the project's "
                         "setup.py); --no-build refuses that")
    full = archives.extract(archive, workdir / "full")
    return _backend(full, "sdist without PKG-INFO or static [project]", os.fspath(archive), build, notify), full


def pip_download(spec: str, dest: Path) -> Path:
    """Fetch a release's sdist with ``pip download --no-deps`` (pip's config and env apply)."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(spec)
    except InvalidRequirement:
        raise InputError(f"--pypi {spec!r}: expected NAME or NAME==VERSION") from None
    if req.url or req.marker or req.extras:
        raise InputError(f"--pypi {spec!r}: expected NAME or NAME==VERSION")
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
        "--disable-pip-version-check", "-q", "-d", os.fspath(dest), spec,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    files = [p for p in dest.iterdir() if archives.is_sdist(p)]
    if proc.returncode != 0 or not files:
        detail = (proc.stderr.strip().splitlines() or ["no sdist downloaded"])[-1]
        raise ServiceError(f"pip download {spec} failed: {detail}")
    return files[0]


def rate(target: str | os.PathLike[str] = ".", *, pypi: str | None = None, build: bool = True,
         notify: Notify | None = None) -> RateReport:
    """Rate a project directory, an sdist, a wheel, or (``pypi=``) a published sdist.

    ``notify`` hears, before it happens, that the project's code is about to run; ``build=False``
    refuses to run it."""
    with tempfile.TemporaryDirectory(prefix="devkit-rate-") as tmp:
        tmpdir = Path(tmp)
        root: Path | None = None
        if pypi:
            if not build:
                raise InputError("--pypi downloads with pip, which prepares an sdist's metadata (running its setup.py): "
                                 "with --no-build, download the sdist yourself and rate the file")
            if notify:
                notify(f"{pypi}: pip download prepares the sdist's metadata, which runs its setup.py")
            dl = tmpdir / "download"
            dl.mkdir()
            archive = pip_download(pypi, dl)
            meta, root = sdist_metadata(archive, tmpdir, build=build, notify=notify)
            label = f"{pypi} (PyPI sdist {archive.name})"
        else:
            path = Path(target)
            label = os.fspath(target)
            if path.is_dir():
                root = path.resolve()
                meta = project_metadata(root, build=build, notify=notify, label=label)
            elif path.is_file() and path.name.lower().endswith(".whl"):
                meta = metadata.wheel_metadata(path)
            elif path.is_file() and archives.is_sdist(path):
                meta, root = sdist_metadata(path, tmpdir, build=build, notify=notify)
            elif path.exists():
                raise InputError(f"{target}: not a project directory, sdist (.tar.gz/.zip) or wheel (.whl)")
            else:
                raise InputError(f"{target}: no such file or directory")
        score, checks = run_checks(meta.data)
        requires_python = meta.data.get("requires-python")
        python_where = "requires-python"
        doc = pyproject_mod.load(root) if root is not None and meta.source == "static" else None
        if doc is not None:
            line = pyproject_mod.line_of(doc.text, ("project", "requires-python"))
            python_where = f"pyproject.toml:{line} requires-python" if line else python_where
        findings = hygiene.check_project(
            root if meta.source != "wheel" else None,
            meta.dependencies,
            requires_python if isinstance(requires_python, str) else None,
            python_where,
        )
    return RateReport(
        target=label,
        name=str(meta.data.get("name") or ""),
        version=str(meta.data.get("version") or ""),
        score=score,
        cheese=cheese_name(score),
        verdict=levels()[score],
        source=meta.source,
        reason=meta.reason,
        checks=checks,
        hygiene=findings,
    )
