"""``devkit pkg rate``: pyroma's score for a project, sdist, wheel or PyPI release, plus hygiene.

Static first: a PEP 621 project is rated from pyproject.toml alone (no build, no network, no
project code). The build backend is used, as pyroma does, only when ``[project]`` is dynamic or
the project is setup.py/setup.cfg based, and the report says so in ``source``/``reason``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devkit.errors import InputError, ServiceError
from devkit.pkg import hygiene, metadata
from devkit.pkg.pyroma_checks import CheckResult, cheese_name, levels, run_checks

SDIST_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar", ".zip")


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


def project_metadata(root: Path) -> metadata.ProjectMetadata:
    """Static metadata when pyproject.toml allows it, else pyroma's build-backend path."""
    pyproject = metadata.read_pyproject(root)
    blocker = metadata.static_blocker(pyproject, root)
    if not blocker:
        result = metadata.static_project_metadata(root, pyproject or {})
        result.data["_path"] = os.fspath(root)  # pyroma's get_data adds it (for CheckManifest)
        return result
    if pyproject is None and not (root / "setup.py").is_file() and not (root / "setup.cfg").is_file():
        raise InputError(f"{root}: no pyproject.toml, setup.py or setup.cfg: not a Python project")
    return metadata.backend_metadata(root, blocker)


def _safe_extract(archive: Path, dest: Path) -> None:
    name = archive.name.lower()
    try:
        if name.endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                for member in zf.namelist():
                    if not (dest / member).resolve().is_relative_to(dest.resolve()):
                        raise InputError(f"{archive}: member {member!r} escapes the archive")
                zf.extractall(dest)
        else:
            with tarfile.open(archive, "r:*") as tf:
                tf.extractall(dest, filter="data")
    except (tarfile.TarError, zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{archive}: not a readable sdist: {exc}") from None


def sdist_metadata(archive: Path, workdir: Path) -> tuple[metadata.ProjectMetadata, Path]:
    """Unpack an sdist; rate its pyproject.toml statically, else its PKG-INFO, else the backend."""
    _safe_extract(archive, workdir)
    tops = [p for p in workdir.iterdir() if p.is_dir()]
    if len(tops) != 1:
        raise InputError(f"{archive}: expected one top-level directory in the sdist, found {len(tops)}")
    root = tops[0]
    pyproject = metadata.read_pyproject(root)
    if not metadata.static_blocker(pyproject, root):
        return metadata.static_project_metadata(root, pyproject or {}), root
    if (root / "PKG-INFO").is_file():
        return metadata.pkg_info_metadata(root), root
    return metadata.backend_metadata(root, "sdist without PKG-INFO or static [project]"), root


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
    files = [p for p in dest.iterdir() if p.name.lower().endswith(SDIST_SUFFIXES)]
    if proc.returncode != 0 or not files:
        detail = (proc.stderr.strip().splitlines() or ["no sdist downloaded"])[-1]
        raise ServiceError(f"pip download {spec} failed: {detail}")
    return files[0]


def rate(target: str | os.PathLike[str] = ".", *, pypi: str | None = None) -> RateReport:
    """Rate a project directory, an sdist, a wheel, or (``pypi=``) a published sdist."""
    with tempfile.TemporaryDirectory(prefix="devkit-rate-") as tmp:
        tmpdir = Path(tmp)
        root: Path | None = None
        if pypi:
            dl = tmpdir / "download"
            dl.mkdir()
            archive = pip_download(pypi, dl)
            meta, root = sdist_metadata(archive, tmpdir / "unpacked")
            label = f"{pypi} (PyPI sdist {archive.name})"
        else:
            path = Path(target)
            label = os.fspath(target)
            if path.is_dir():
                root = path.resolve()
                meta = project_metadata(root)
            elif path.is_file() and path.name.lower().endswith(".whl"):
                meta = metadata.wheel_metadata(path)
            elif path.is_file() and path.name.lower().endswith(SDIST_SUFFIXES):
                (tmpdir / "unpacked").mkdir()
                meta, root = sdist_metadata(path, tmpdir / "unpacked")
            elif path.exists():
                raise InputError(f"{target}: not a project directory, sdist (.tar.gz/.zip) or wheel (.whl)")
            else:
                raise InputError(f"{target}: no such file or directory")
        score, checks = run_checks(meta.data)
        requires_python = meta.data.get("requires-python")
        findings = hygiene.check_project(
            root if meta.source != "wheel" else None,
            meta.dependencies,
            requires_python if isinstance(requires_python, str) else None,
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

