"""Where a project keeps its version, found by key (never by searching for the version text).

Each place knows the exact span of the version literal in its file, so an edit changes those
characters and nothing else: a dependency pin that happens to equal the version stays as it is.
pyproject.toml is edited through tomlkit, which keeps comments, quoting and layout.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devkit.errors import InputError

VERSION_FILES = ("__init__.py", "_version.py", "version.py", "__about__.py")
SKIP_DIRS = {"tests", "test", "docs", "doc", "build", "dist", "examples", "benchmarks", "scripts",
             "node_modules", "venv", ".venv", "env", ".tox", ".nox", ".git"}
_STRING = re.compile(r"^(?P<prefix>[rRuU]?)(?P<q>'''|\"\"\"|'|\")(?P<body>.*)(?P=q)$", re.DOTALL)


@dataclass(frozen=True)
class VersionPlace:
    """One occurrence of the version: file, what holds it, its text and where it sits."""

    path: Path
    rel: str
    key: str  # e.g. "[project].version", "__version__", "setup(version=...)"
    version: str
    line: int
    start: int = -1  # character span of the version text (not used for pyproject.toml)
    end: int = -1

    @property
    def label(self) -> str:
        return f"{self.rel}:{self.line} {self.key}"

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.rel, "line": self.line, "key": self.key, "version": self.version}


def read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _char_offset(text: str, lineno: int, col_bytes: int) -> int:
    """ast gives UTF-8 byte columns; turn (line, byte column) into a str offset."""
    lines = text.splitlines(keepends=True)
    start = sum(len(line) for line in lines[: lineno - 1])
    return start + len(lines[lineno - 1].encode("utf-8")[:col_bytes].decode("utf-8", "replace"))


def _literal_place(path: Path, rel: str, key: str, text: str, node: ast.expr) -> VersionPlace | None:
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return None  # a name or call: not ours to edit
    start = _char_offset(text, node.lineno, node.col_offset)
    end = _char_offset(text, node.end_lineno or node.lineno, node.end_col_offset or 0)
    match = _STRING.match(text[start:end])
    if not match or match.group("body") != node.value or "\\" in node.value:
        return None
    body_start = start + len(match.group("prefix")) + len(match.group("q"))
    return VersionPlace(path, rel, key, node.value, node.lineno, body_start, body_start + len(node.value))


def pyproject_place(root: Path) -> VersionPlace | None:
    import tomlkit

    path = root / "pyproject.toml"
    if not path.is_file():
        return None
    text = read_text(path)
    try:
        doc = tomlkit.parse(text)
    except Exception as exc:  # tomlkit raises several ParseError subclasses
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    project = doc.get("project")
    if not project or "version" not in project:
        return None
    value = project["version"]
    if not isinstance(value, str):
        raise InputError(f"{path}: [project].version must be a string")
    line, section = 1, ""
    for number, raw in enumerate(text.splitlines(), 1):
        header = re.match(r"^\s*\[([^\]]+)\]", raw)
        if header:
            section = header.group(1).strip()
        elif section == "project" and re.match(r"^\s*version\s*=", raw):
            line = number
            break
    return VersionPlace(path, "pyproject.toml", "[project].version", str(value), line)


def setup_cfg_places(root: Path) -> list[VersionPlace]:
    path = root / "setup.cfg"
    if not path.is_file():
        return []
    text = read_text(path)
    section, offset, places = "", 0, []
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        header = re.match(r"^\[([^\]]+)\]", line)
        if header:
            section = header.group(1).strip()
        elif section == "metadata":
            match = re.match(r"^version\s*[=:]\s*(?P<value>[^\s#;]+)", line)
            if match and not match.group("value").startswith(("attr:", "file:")):
                start = offset + match.start("value")
                places.append(VersionPlace(path, "setup.cfg", "[metadata] version", match.group("value"),
                                           number, start, offset + match.end("value")))
        offset += len(line)
    return places


def _parse_py(path: Path) -> tuple[str, ast.Module] | None:
    text = read_text(path)
    try:
        return text, ast.parse(text)
    except SyntaxError:
        return None


def setup_py_places(root: Path) -> list[VersionPlace]:
    path = root / "setup.py"
    parsed = _parse_py(path) if path.is_file() else None
    if not parsed:
        return []
    text, tree = parsed
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "setup":
            for kw in node.keywords:
                if kw.arg == "version":
                    place = _literal_place(path, "setup.py", "setup(version=...)", text, kw.value)
                    return [place] if place else []
    return []


def dunder_places(path: Path, rel: str) -> list[VersionPlace]:
    parsed = _parse_py(path)
    if not parsed:
        return []
    text, tree = parsed
    for node in tree.body:  # module level only
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id == "__version__" for t in targets) and node.value is not None:
            place = _literal_place(path, rel, "__version__", text, node.value)
            return [place] if place else []
    return []


def package_dirs(root: Path, name: str | None) -> list[Path]:
    """Top-level import packages (flat or src layout); the one named after the project first."""
    found = []
    for base in (root / "src", root):
        if not base.is_dir():
            continue
        for child in sorted(base.iterdir()):
            if child.is_dir() and child.name not in SKIP_DIRS and not child.name.startswith(".") \
                    and (child / "__init__.py").is_file():
                found.append(child)
    if name:
        wanted = re.sub(r"[-.]+", "_", name).lower()
        named = [d for d in found if d.name.lower() == wanted]
        if named:
            return named
    return found


def extra_places(root: Path, config: dict[str, Any]) -> list[VersionPlace]:
    """``[tool.devkit.bump] files = [{path = "...", pattern = "release = '{version}'"}]``."""
    places = []
    for i, entry in enumerate(config.get("files") or []):
        if not isinstance(entry, dict) or "path" not in entry or "{version}" not in str(entry.get("pattern", "")):
            raise InputError(
                f"pyproject.toml [tool.devkit.bump] files[{i}]: needs path and a pattern containing {{version}}"
            )
        path = root / entry["path"]
        if not path.is_file():
            raise InputError(f"pyproject.toml [tool.devkit.bump]: {entry['path']} does not exist")
        text = read_text(path)
        before, after = str(entry["pattern"]).split("{version}", 1)
        regex = re.compile(re.escape(before) + r"(?P<version>[0-9][0-9A-Za-z.!+_-]*?)" + re.escape(after)
                           + ("" if after else r"(?![0-9A-Za-z.!+_-])"))
        matches = list(regex.finditer(text))
        if not matches:
            raise InputError(f"{entry['path']}: pattern {entry['pattern']!r} matches nothing")
        for m in matches:
            places.append(VersionPlace(path, entry["path"], f"pattern {entry['pattern']!r}", m.group("version"),
                                       _line_of(text, m.start("version")), m.start("version"), m.end("version")))
    return places


def bump_config(root: Path) -> dict[str, Any]:
    import tomllib

    path = root / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(read_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    config = data.get("tool", {}).get("devkit", {}).get("bump", {})
    if not isinstance(config, dict):
        raise InputError(f"{path}: [tool.devkit.bump] must be a table")
    return config


def project_name(root: Path) -> str | None:
    import tomllib

    path = root / "pyproject.toml"
    if path.is_file():
        try:
            name = tomllib.loads(read_text(path)).get("project", {}).get("name")
            if name:
                return str(name)
        except tomllib.TOMLDecodeError:
            pass
    return None


def find_places(root: Path) -> list[VersionPlace]:
    """Every place the project's version lives, in a stable order."""
    places: list[VersionPlace] = []
    place = pyproject_place(root)
    if place:
        places.append(place)
    places += setup_cfg_places(root)
    places += setup_py_places(root)
    for pkg in package_dirs(root, project_name(root)):
        for filename in VERSION_FILES:
            path = pkg / filename
            if path.is_file():
                places += dunder_places(path, path.relative_to(root).as_posix())
    places += extra_places(root, bump_config(root))
    return places


def replace_in_text(text: str, places: list[VersionPlace], new: str) -> str:
    """Put ``new`` at each place's span (right to left, so earlier spans stay valid)."""
    for place in sorted(places, key=lambda p: p.start, reverse=True):
        if text[place.start:place.end] != place.version:
            raise InputError(f"{place.label}: file changed while bumping")
        text = text[: place.start] + new + text[place.end:]
    return text


def edit_pyproject(text: str, new: str) -> str:
    """Set ``[project].version`` with tomlkit, keeping quote style, comments and layout."""
    import tomlkit
    from tomlkit.items import String, StringType

    doc = tomlkit.parse(text)
    old = doc["project"]["version"]
    literal = isinstance(old, String) and old.type in (StringType.SLL, StringType.MLL)
    item = tomlkit.string(new, literal=literal)
    if isinstance(old, String):
        item.trivia.comment_ws = old.trivia.comment_ws
        item.trivia.comment = old.trivia.comment
        item.trivia.trail = old.trivia.trail
        item.trivia.indent = old.trivia.indent
    doc["project"]["version"] = item
    return tomlkit.dumps(doc)
