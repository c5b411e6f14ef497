"""Dependency hygiene: abstract dependencies in the package, concrete pins in requirements files.

A library's ``[project.dependencies]`` / ``install_requires`` say what it works with; pins
(``==``), direct URLs and ``dependency_links`` there break every installer that must combine it
with other packages. Requirements files are the opposite: an application's deployable set, which
should be fully pinned. No packaging linter checks either, so these rules are devkit's own. They
never change pyroma's score; ``--strict`` turns findings into a failed run.

Each rule has a stable id (``DH001``...) so CI configurations and suppressions can name it.
"""

from __future__ import annotations

import ast
import configparser
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

RULES = {
    "DH001": "exact-pin",
    "DH002": "direct-url",
    "DH003": "dependency-links",
    "DH004": "invalid-requirement",
    "DH005": "upper-cap-without-reason",
    "DH006": "requires-python-upper-cap",
    "DH007": "requirements-not-pinned",
}


@dataclass(frozen=True)
class Finding:
    id: str
    rule: str
    where: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _finding(rule_id: str, where: str, message: str) -> Finding:
    return Finding(rule_id, RULES[rule_id], where, message)


def check_requirement(req_text: str, where: str, reason: str = "") -> list[Finding]:
    """Rules DH001, DH002, DH004, DH005 for one dependency of the package itself."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(req_text)
    except InvalidRequirement as exc:
        first = str(exc).splitlines()[0]
        return [_finding("DH004", where, f"{req_text!r} is not a valid PEP 508 requirement: {first}")]
    found = []
    if req.url:
        found.append(_finding(
            "DH002", where,
            f"{req_text!r} is a direct URL dependency: PyPI rejects it and resolvers cannot combine it; "
            "depend on a released version",
        ))
    for spec in req.specifier:
        if spec.operator in ("==", "===") and not spec.version.endswith(".*"):
            found.append(_finding(
                "DH001", where,
                f"{req_text!r} pins an exact version: abstract dependencies take a range (e.g. "
                f"'{req.name}>={spec.version}'); put exact pins in a requirements/lock file",
            ))
        elif spec.operator in ("<", "<=", "~=") and not reason:
            cap = spec.operator + spec.version
            found.append(_finding(
                "DH005", where,
                f"{req_text!r} caps the version ({cap}) with no reason given: add a comment "
                "on that line saying why, or drop the cap",
            ))
    return found


def check_requires_python(spec_text: str | None, where: str) -> list[Finding]:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    if not spec_text:
        return []
    try:
        specs = SpecifierSet(spec_text)
    except InvalidSpecifier:
        return [_finding("DH004", where, f"requires-python {spec_text!r} is not a valid specifier")]
    caps = [str(s) for s in specs if s.operator in ("<", "<=")]
    if caps:
        return [_finding(
            "DH006", where,
            f"requires-python {spec_text!r} has an upper cap ({', '.join(caps)}): installers then pick "
            "old releases on new Pythons instead of failing clearly; drop the cap",
        )]
    return []


def _split_comment(line: str) -> tuple[str, str]:
    """Code and trailing comment of one TOML/INI/Python line (a '#' inside quotes is code)."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[:i], line[i + 1 :].strip()
    return line, ""


def line_reasons(text: str) -> dict[str, str]:
    """Map each quoted string to the comment on its line, or on the comment line just above."""
    reasons: dict[str, str] = {}
    above = ""
    for line in text.splitlines():
        code, comment = _split_comment(line)
        if not code.strip():
            above = comment
            continue
        reason = comment or above
        if reason:
            for quoted in re.findall(r"""["']([^"']+)["']""", code):
                reasons.setdefault(quoted.strip(), reason)
        above = ""
    return reasons


def requirements_file_findings(path: Path, root: Path) -> list[Finding]:
    """DH007: every line of an application's requirements file should be an exact pin."""
    found = []
    rel = path.relative_to(root).as_posix()
    from packaging.requirements import InvalidRequirement, Requirement

    for number, raw in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-", ".", "/")) or "://" in line:
            continue  # options, includes, URLs and local paths are not name requirements
        line = line.split(" --hash", 1)[0].strip().rstrip("\\").strip()
        try:
            req = Requirement(line)
        except InvalidRequirement:
            found.append(_finding("DH004", f"{rel}:{number}", f"{line!r} is not a valid requirement"))
            continue
        if req.url:
            continue
        if not any(s.operator in ("==", "===") and not s.version.endswith(".*") for s in req.specifier):
            found.append(_finding(
                "DH007", f"{rel}:{number}",
                f"{line!r} is not pinned: a requirements file is a deployable set, pin it "
                f"('{req.name}==X.Y.Z', e.g. with pip-compile or pip freeze)",
            ))
    return found


def requirement_files(root: Path) -> list[Path]:
    files = sorted(root.glob("requirements*.txt")) + sorted((root / "requirements").glob("*.txt"))
    return [f for f in files if f.is_file()]


def setup_py_keywords(root: Path) -> dict[str, Any]:
    """Literal keyword arguments of ``setup(...)`` in setup.py, read with ast (never executed)."""
    path = root / "setup.py"
    if not path.is_file():
        return {}
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError):
        return {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "setup":
            out = {}
            for kw in node.keywords:
                if kw.arg:
                    try:
                        out[kw.arg] = ast.literal_eval(kw.value)
                    except ValueError:
                        out[kw.arg] = None  # not a literal: present, value unknown
            return out
    return {}


def setup_cfg(root: Path) -> configparser.ConfigParser | None:
    path = root / "setup.cfg"
    if not path.is_file():
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error:
        return None
    return parser


def _cfg_list(value: str) -> list[str]:
    return [item.strip() for item in re.split(r"[\n;]", value) if item.strip() and not item.strip().startswith("#")]


def legacy_dependencies(root: Path) -> tuple[list[tuple[str, str]], list[Finding]]:
    """install_requires/extras_require/dependency_links from setup.py (ast) and setup.cfg."""
    deps: list[tuple[str, str]] = []
    found: list[Finding] = []
    kwargs = setup_py_keywords(root)
    for req in kwargs.get("install_requires") or []:
        deps.append(("setup.py install_requires", req))
    for extra, reqs in (kwargs.get("extras_require") or {}).items():
        for req in [reqs] if isinstance(reqs, str) else reqs:
            deps.append((f"setup.py extras_require[{extra}]", req))
    if "dependency_links" in kwargs:
        found.append(_finding(
            "DH003", "setup.py dependency_links",
            "dependency_links is ignored by pip since 19.0 and hides where packages come from: "
            "publish the dependency or use an index (--extra-index-url) in the deployment",
        ))
    cfg = setup_cfg(root)
    if cfg is not None and cfg.has_section("options"):
        for req in _cfg_list(cfg.get("options", "install_requires", fallback="")):
            deps.append(("setup.cfg [options] install_requires", req))
        if cfg.has_option("options", "dependency_links"):
            found.append(_finding(
                "DH003", "setup.cfg [options] dependency_links",
                "dependency_links is ignored by pip since 19.0 and hides where packages come from: "
                "publish the dependency or use an index in the deployment",
            ))
    if cfg is not None and cfg.has_section("options.extras_require"):
        for extra, value in cfg.items("options.extras_require"):
            for req in _cfg_list(value):
                deps.append((f"setup.cfg extras_require[{extra}]", req))
    return deps, found


def _canonical(req_text: str) -> str:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return str(Requirement(req_text))
    except InvalidRequirement:
        return req_text.strip()


def check_project(
    root: Path | None,
    dependencies: Iterable[tuple[str, str]],
    requires_python: str | None = None,
    python_where: str = "requires-python",
) -> list[Finding]:
    """All hygiene findings for a project directory (or just its metadata when root is None)."""
    reasons: dict[str, str] = {}
    found: list[Finding] = []
    deps = list(dependencies)
    if root is not None:
        for name in ("pyproject.toml", "setup.cfg", "setup.py"):
            if (root / name).is_file():
                reasons.update(line_reasons((root / name).read_text(encoding="utf-8", errors="replace")))
        legacy, legacy_found = legacy_dependencies(root)
        deps = legacy + deps  # setup.py/setup.cfg names the place better than Requires-Dist
        found += legacy_found
    unique: dict[str, tuple[str, str]] = {}
    for where, req in deps:
        unique.setdefault(_canonical(req), (where, req))
    deps = list(unique.values())
    for where, req in deps:
        base = req.split(";", 1)[0].strip()
        found += check_requirement(req, where, reasons.get(req.strip()) or reasons.get(base, ""))
    found += check_requires_python(requires_python, python_where)
    if root is not None:
        for path in requirement_files(root):
            found += requirements_file_findings(path, root)
    return found
