"""Core metadata in the shape pyroma rates, read without running project code when possible.

pyroma builds wheel metadata through the build backend and normalises it (lower-case dashed keys,
a one-element list collapsed to its string, the description from the payload, stripped, plus a
newline). ``static_project_metadata`` produces exactly that dict from PEP 621 ``[project]``
following the pyproject-metadata specification, so the rating is the same, offline and in
milliseconds. Only a project with ``dynamic`` fields or without ``[project]`` needs the backend.
"""

from __future__ import annotations

import email.parser
import os
import re
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import Message
from pathlib import Path
from typing import Any

from devkit.errors import InputError
from devkit.pkg import archives
from devkit.pkg import pyproject as pyproject_mod

COPY_IGNORE = (".git", ".hg", ".venv", "venv", ".tox", ".nox", "node_modules", "__pycache__", "build", "dist",
               "*.egg-info", ".mypy_cache", ".pytest_cache")
README_TYPES = {".md": "text/markdown", ".rst": "text/x-rst", ".txt": "text/plain"}


@dataclass
class ProjectMetadata:
    """pyroma's metadata dict plus where it came from and the raw dependency lists."""

    data: dict[str, Any]
    source: str  # "static", "build-backend", "wheel", "PKG-INFO"
    reason: str = ""  # why the build backend was needed
    dependencies: list[tuple[str, str]] = field(default_factory=list)  # (where, requirement)


def normalize_key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pyproject(root: Path) -> pyproject_mod.Pyproject | None:
    """pyproject.toml parsed, with [project] checked for the types PEP 621 gives each field."""
    doc = pyproject_mod.load(root)
    if doc is not None:
        check_types(doc)
    return doc


_STR, _STRS = "a string", "an array of strings"
_PEOPLE = "an array of tables like { name = \"...\", email = \"...\" }"


def _is_strs(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _field_types() -> dict[str, tuple[str, Any]]:
    def people(v: Any) -> bool:
        return isinstance(v, list) and all(isinstance(p, dict) and all(isinstance(p.get(k, ""), str) for k in ("name", "email"))
                                           for p in v)

    def str_table(v: Any) -> bool:
        return isinstance(v, dict) and all(isinstance(x, str) for x in v.values())

    def file_or_text(v: Any) -> bool:
        return isinstance(v, str) or (isinstance(v, dict) and all(isinstance(v.get(k, ""), str) for k in ("file", "text", "content-type")))

    return {
        "name": (_STR, lambda v: isinstance(v, str)),
        "version": (_STR, lambda v: isinstance(v, str)),
        "description": (_STR, lambda v: isinstance(v, str)),
        "requires-python": (_STR, lambda v: isinstance(v, str)),
        "readme": ("a string or a table with file or text", file_or_text),
        "license": ("a string or a table with file or text", file_or_text),
        "license-files": (_STRS, _is_strs),
        "authors": (_PEOPLE, people),
        "maintainers": (_PEOPLE, people),
        "keywords": (_STRS, _is_strs),
        "classifiers": (_STRS, _is_strs),
        "dependencies": (_STRS, _is_strs),
        "dynamic": (_STRS, _is_strs),
        "urls": ("a table of strings", str_table),
        "scripts": ("a table of strings", str_table),
        "gui-scripts": ("a table of strings", str_table),
        "optional-dependencies": ("a table of arrays of strings",
                                  lambda v: isinstance(v, dict) and all(_is_strs(x) for x in v.values())),
        "entry-points": ("a table of tables of strings",
                         lambda v: isinstance(v, dict) and all(str_table(x) for x in v.values())),
    }


def check_types(doc: pyproject_mod.Pyproject) -> None:
    """A wrong-typed [project] field is one line with its place, never an internal error later."""
    project = doc.data.get("project")
    if project is None:
        return
    if not isinstance(project, dict):
        raise InputError(f"{doc.where('project')}: [project] must be a table, not {pyproject_mod.type_name(project)}")
    for key, (wanted, ok) in _field_types().items():
        if key in project and not ok(project[key]):
            raise InputError(f"{doc.where('project', key)}: [project].{key} must be {wanted}, "
                             f"not {pyproject_mod.type_name(project[key])}")


def static_blocker(pyproject: dict[str, Any] | None, root: Path) -> str:  # pyproject: the parsed data
    """Why static reading is impossible (empty string when it is possible)."""
    if pyproject is None:
        if (root / "setup.py").is_file() or (root / "setup.cfg").is_file():
            return "no pyproject.toml: setup.py/setup.cfg project"
        return "no pyproject.toml, setup.py or setup.cfg"
    project = pyproject.get("project")
    if not isinstance(project, dict):
        return "pyproject.toml has no [project] table"
    dynamic = project.get("dynamic") or []
    if dynamic:
        return "[project] declares dynamic fields: " + ", ".join(map(str, dynamic))
    build = pyproject.get("build-system")
    backend = build.get("build-backend") if isinstance(build, dict) else None
    if isinstance(backend, str) and backend.startswith(AUGMENTING_BACKENDS):
        return f"{backend} adds metadata of its own to [project] (Python classifiers)"
    return ""


# Backends whose built metadata holds more than a static [project] says (tomlkit's sdist: poetry-core
# adds "Programming Language :: Python :: 3.x" classifiers), so only the backend gives pyroma's score.
AUGMENTING_BACKENDS = ("poetry.core.", "poetry.masonry.")


def _people(people: list[dict[str, str]], kind: str, headers: list[tuple[str, str]]) -> None:
    names, emails = [], []
    for person in people or []:
        name, mail = person.get("name"), person.get("email")
        if name and mail:
            emails.append(str(Address(display_name=name, addr_spec=mail)))
        elif mail:
            emails.append(mail)
        elif name:
            names.append(name)
    if names:
        headers.append((kind, ", ".join(names)))
    if emails:
        headers.append((f"{kind}-email", ", ".join(emails)))


def _read_text(root: Path, rel: str, what: str) -> str:
    from devkit.pkg.sources import inside

    path = inside(root, rel, f"[project] {what} file")
    try:
        return pyproject_mod.read_text(path, archives.FILE_CAP * 4)
    except InputError as exc:
        raise InputError(f"{root / 'pyproject.toml'}: {what} file {rel!r} unreadable: {str(exc).split(': ', 1)[-1]}") from None


def _readme(root: Path, readme: Any) -> tuple[str | None, str | None]:
    if readme is None:
        return None, None
    if isinstance(readme, str):
        ctype = README_TYPES.get(Path(readme).suffix.lower())
        return _read_text(root, readme, "readme"), ctype
    if isinstance(readme, dict):
        text = readme.get("text")
        if text is None and readme.get("file"):
            text = _read_text(root, readme["file"], "readme")
        return text, readme.get("content-type")
    raise InputError(f"{root / 'pyproject.toml'}: [project].readme must be a string or a table")


def _version_text(version: Any) -> Any:
    from packaging.version import InvalidVersion, Version

    if not isinstance(version, str):
        return version
    try:
        return str(Version(version))  # backends write the normalised form
    except InvalidVersion:
        return version


def project_headers(root: Path, project: dict[str, Any]) -> list[tuple[str, str]]:
    """The core-metadata headers PEP 621 ``[project]`` maps to, in the specification's order."""
    headers: list[tuple[str, str]] = []
    if project.get("name"):
        headers.append(("name", project["name"]))
    if project.get("version") is not None:
        headers.append(("version", _version_text(project["version"])))
    if project.get("description"):
        headers.append(("summary", project["description"]))
    if project.get("requires-python"):
        headers.append(("requires-python", project["requires-python"]))
    license_ = project.get("license")
    if isinstance(license_, str):
        headers.append(("license-expression", license_))
    elif isinstance(license_, dict):
        if license_.get("file"):
            headers.append(("license", _read_text(root, license_["file"], "license")))
        elif license_.get("text"):
            headers.append(("license", license_["text"]))
    _people(project.get("authors") or [], "author", headers)
    _people(project.get("maintainers") or [], "maintainer", headers)
    if project.get("keywords"):
        headers.append(("keywords", ",".join(project["keywords"])))
    for classifier in project.get("classifiers") or []:
        headers.append(("classifier", classifier))
    for label, url in (project.get("urls") or {}).items():
        headers.append(("project-url", f"{label}, {url}"))
    for req in project.get("dependencies") or []:
        headers.append(("requires-dist", req))
    for extra, reqs in (project.get("optional-dependencies") or {}).items():
        headers.append(("provides-extra", extra))
        for req in reqs:
            headers.append(("requires-dist", f"{req}; extra == {extra!r}".replace("'", '"')))
    return headers


def pyroma_shape(headers: list[tuple[str, str]], description: str | None) -> dict[str, Any]:
    """Normalise headers exactly like ``pyroma.projectdata.build_metadata``."""
    grouped: dict[str, list[Any]] = {}
    for key, value in headers:
        grouped.setdefault(normalize_key(key), []).append(value)
    data: dict[str, Any] = {}
    for key, values in grouped.items():
        value: Any = values
        if len(values) == 1:
            value = values[0]
            if isinstance(value, str) and value.strip() == "UNKNOWN":
                continue
        data[key] = value
    if "description" not in data and description and description.strip():
        data["description"] = description.strip() + "\n"
    return data


def static_project_metadata(root: Path, doc: pyproject_mod.Pyproject) -> ProjectMetadata:
    """pyroma's dict for a project whose ``[project]`` table is fully static."""
    project = doc.data["project"]
    headers = project_headers(root, project)
    text, ctype = _readme(root, project.get("readme"))
    if text and ctype:
        headers.append(("description-content-type", ctype))
    data = pyroma_shape(headers, text)

    def where(keys: tuple[str, ...], req: str, label: str) -> str:
        line = pyproject_mod.line_of(doc.text, keys, value=req)
        return f"pyproject.toml:{line} {label}" if line else f"pyproject.toml {label}"

    deps = [(where(("project", "dependencies"), req, "[project.dependencies]"), req)
            for req in project.get("dependencies") or []]
    for extra, reqs in (project.get("optional-dependencies") or {}).items():
        deps += [(where(("project", "optional-dependencies", extra), req, f"[project.optional-dependencies] {extra}"), req)
                 for req in reqs]
    broken = _unbuildable(project)
    if broken:
        # Every build backend rejects this, so pyroma would report a failed build (score 0).
        return ProjectMetadata(data={"_wheel_build_failed": True}, source="static", reason=broken, dependencies=deps)
    return ProjectMetadata(data=data, source="static", dependencies=deps)


def _unbuildable(project: dict[str, Any]) -> str:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    reqs = list(project.get("dependencies") or [])
    for extra_reqs in (project.get("optional-dependencies") or {}).values():
        reqs += list(extra_reqs)
    for req in reqs:
        try:
            Requirement(req)
        except InvalidRequirement:
            return f"dependency {req!r} is not valid PEP 508, so no build backend accepts this project"
    try:
        SpecifierSet(project.get("requires-python") or "")
    except InvalidSpecifier:
        return f"requires-python {project['requires-python']!r} is invalid, so no build backend accepts this project"
    return ""


def message_metadata(message: Message) -> dict[str, Any]:
    """A parsed METADATA / PKG-INFO in pyroma's shape (its ``build_metadata`` rules)."""
    headers = [(key, str(value)) for key, value in message.items()]
    payload = message.get_payload()
    return pyroma_shape(headers, payload if isinstance(payload, str) else None)


def requirements_from(data: dict[str, Any], where: str) -> list[tuple[str, str]]:
    reqs = data.get("requires-dist") or []
    if isinstance(reqs, str):
        reqs = [reqs]
    return [(where, req) for req in reqs]


def wheel_metadata(path: Path) -> ProjectMetadata:
    """Read ``*.dist-info/METADATA`` from a wheel (capped); nothing is built or run."""
    raw = archives.wheel_metadata_text(path)
    data = message_metadata(email.parser.Parser().parsestr(raw))
    return ProjectMetadata(data=data, source="wheel", dependencies=requirements_from(data, "wheel METADATA Requires-Dist"))


def pkg_info_metadata(root: Path) -> ProjectMetadata:
    """Read an unpacked sdist's PKG-INFO: the metadata its backend wrote, as pyroma rates it."""
    raw = pyproject_mod.read_text(root / "PKG-INFO", archives.METADATA_CAP)
    data = message_metadata(email.parser.Parser().parsestr(raw))
    if not (root / "pyproject.toml").is_file():
        data["_missing_pyproject_toml"] = True  # as pyroma's get_build_data marks it
    return ProjectMetadata(data=data, source="PKG-INFO", dependencies=requirements_from(data, "PKG-INFO Requires-Dist"))


def _git_dir_for(root: Path) -> tuple[Path, Path, Path] | None:
    """(worktree top, its git dir, the common git dir) when ``root`` is inside a git checkout."""
    for candidate in (root, *root.parents):
        dot_git = candidate / ".git"
        if dot_git.is_dir():
            return candidate, dot_git, dot_git
        if dot_git.is_file():
            text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
            if not text.startswith("gitdir:"):
                return None
            gitdir = (candidate / text.removeprefix("gitdir:").strip()).resolve()
            common_file = gitdir / "commondir"
            common = (gitdir / common_file.read_text().strip()).resolve() if common_file.is_file() else gitdir
            return candidate, gitdir, common
    return None


def _shadow_git_dir(gitdir: Path, common: Path, dest: Path) -> None:
    """A throwaway git dir that sees the same commits, refs, HEAD and index as the real one but
    writes only to itself (objects are borrowed through ``objects/info/alternates``): git status
    in the build copy refreshes this index, never the user's."""
    (dest / "objects" / "info").mkdir(parents=True)
    (dest / "objects" / "info" / "alternates").write_text(f"{(common / 'objects').resolve()}\n")
    for name, source in (("HEAD", gitdir), ("index", gitdir), ("config", common), ("packed-refs", common),
                         ("shallow", common)):
        if (source / name).is_file():
            shutil.copyfile(source / name, dest / name)
    if (common / "refs").is_dir():
        shutil.copytree(common / "refs", dest / "refs", symlinks=True)
    else:
        (dest / "refs").mkdir()


def _build_copy(root: Path, tmp: Path) -> Path:
    """A copy of the project to build from (setuptools leaves *.egg-info/build/ behind). Inside a
    git checkout the copy sits at the same path below a shadow git dir, so setuptools_scm,
    hatch-vcs and friends find the tags the version comes from, as they do in place for pyroma."""
    found = _git_dir_for(root)
    if found is None:
        copy = tmp / root.name
    else:
        top, gitdir, common = found
        copy = tmp / "checkout" / root.relative_to(top)
        copy.mkdir(parents=True)
        _shadow_git_dir(gitdir, common, tmp / "checkout" / ".git")
    shutil.copytree(root, copy, symlinks=True, ignore=shutil.ignore_patterns(*COPY_IGNORE), dirs_exist_ok=True)
    return copy


def _plain(value: Any) -> Any:
    """Backends' own objects (an old setuptools' vendored SpecifierSet for requires-python) as the
    strings core metadata holds, so pyroma's tests see what a built METADATA would say."""
    if isinstance(value, (str, bool, int, float)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return str(value)


def backend_metadata(root: Path, reason: str) -> ProjectMetadata:
    """Ask the build backend, exactly as pyroma does (runs project code; may need the network)."""
    from devkit.pkg.pyroma_checks import import_pyroma_module, quiet_root_logger

    projectdata = import_pyroma_module("projectdata")
    try:
        with tempfile.TemporaryDirectory(prefix="devkit-backend-") as tmp:
            copy = _build_copy(root, Path(tmp))
            with quiet_root_logger(), _quiet_fds(), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # build re-raises the backend's warnings in-process
                data = _plain(projectdata.get_data(os.fspath(copy)))
            data["_path"] = os.fspath(root)
    except Exception as exc:  # build raises its own exception types; report them in one line
        raise InputError(f"{root}: the build backend could not produce metadata: {exc}") from None
    return ProjectMetadata(
        data=data, source="build-backend", reason=reason,
        dependencies=requirements_from(data, "build backend Requires-Dist"),
    )


class _quiet_fds:
    """Silence stdout/stderr at the file-descriptor level (setuptools prints from C-level writes)."""

    def __enter__(self) -> None:
        import sys

        sys.stdout.flush()
        sys.stderr.flush()
        self._saved = []
        devnull = os.open(os.devnull, os.O_WRONLY)
        for fd in (1, 2):
            try:
                self._saved.append((fd, os.dup(fd)))
                os.dup2(devnull, fd)
            except OSError:
                pass
        os.close(devnull)

    def __exit__(self, *exc: object) -> None:
        for fd, saved in self._saved:
            os.dup2(saved, fd)
            os.close(saved)
