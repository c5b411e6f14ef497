"""Where a project keeps its version, found by key (never by searching for the version text).

Each place knows the exact span of the version literal in its file, so an edit changes those
characters and nothing else: a dependency pin that happens to equal the version stays as it is.
TOML places (``[project].version``, ``[tool.poetry].version``) are edited through tomlkit, which
keeps comments, quoting and layout. A place devkit finds but cannot edit is an error, never a
silent skip. Projects whose version comes from git tags (setuptools_scm, hatch-vcs, versioningit,
poetry-dynamic-versioning, pdm scm) have no file places: ``vcs_backend`` names the tool.
"""

from __future__ import annotations

import ast
import glob
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devkit.errors import InputError
from devkit.pkg import pyproject as pyproject_mod

VERSION_FILES = ("__init__.py", "_version.py", "version.py", "__about__.py")
SKIP_DIRS = {"tests", "test", "docs", "doc", "build", "dist", "examples", "benchmarks", "scripts",
             "node_modules", "venv", ".venv", "env", ".tox", ".nox", ".git"}
_STRING = re.compile(r"^(?P<prefix>[rRuU]?)(?P<q>'''|\"\"\"|'|\")(?P<body>.*)(?P=q)$", re.DOTALL)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # what Python's tokenizer counts (not \f, \v, U+2028...)
_DUNDER_TEXT = re.compile(r"^\s*__version__\s*(?::[^=]*)?=", re.MULTILINE)
# hatch's default for [tool.hatch.version] path (hatchling/version/source/regex.py)
HATCH_PATTERN = r"(?i)^(__version__|VERSION) *= *([\'\"])v?(?P<version>.+?)\2"
BOM = "\ufeff"


@dataclass(frozen=True)
class VersionPlace:
    """One occurrence of the version: file, what holds it, its text and where it sits."""

    path: Path
    rel: str
    key: str  # e.g. "[project].version", "__version__", "setup(version=...)"
    version: str
    line: int
    start: int = -1  # character span of the version text (TOML places use toml_keys instead)
    end: int = -1
    toml_keys: tuple[str, ...] = ()

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
    return len(_LINE_BREAK.findall(text, 0, offset)) + 1


def _line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in _LINE_BREAK.finditer(text)]


def _char_offset(starts: list[int], text: str, lineno: int, col_bytes: int) -> int:
    """ast gives (line, UTF-8 byte column); turn it into a str offset, counting lines as Python does."""
    start = starts[lineno - 1]
    end = starts[lineno] if lineno < len(starts) else len(text)
    return start + len(text[start:end].encode("utf-8")[:col_bytes].decode("utf-8", "replace"))


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def inside(root: Path, rel: str, what: str) -> Path:
    """``root/rel``, refusing a path that leaves the project (``../../etc/passwd``, a symlink out)."""
    path = (root / rel)
    real = path.resolve()
    if not real.is_relative_to(root.resolve()):
        raise InputError(f"{root / 'pyproject.toml'}: {what} {rel!r} is outside the project: refused")
    return path


def _literal_place(path: Path, rel: str, key: str, text: str, node: ast.expr, offset: int = 0) -> VersionPlace | None:
    """The place of a string literal; None for a name or call (a derived version, not ours)."""
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return None
    starts = _line_starts(text[offset:])
    body = text[offset:]
    start = _char_offset(starts, body, node.lineno, node.col_offset) + offset
    end = _char_offset(starts, body, node.end_lineno or node.lineno, node.end_col_offset or 0) + offset
    match = _STRING.match(text[start:end])
    if not match or match.group("body") != node.value or "\\" in node.value:
        raise InputError(f"{rel}:{node.lineno}: {key} is a string devkit cannot edit in place "
                         f"({text[start:end]!r}): write it as a plain quoted version")
    body_start = start + len(match.group("prefix")) + len(match.group("q"))
    return VersionPlace(path, rel, key, node.value, node.lineno, body_start, body_start + len(node.value))


def toml_place(doc: pyproject_mod.Pyproject, keys: tuple[str, ...], label: str) -> VersionPlace | None:
    node: Any = doc.data
    for key in keys[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, dict) or keys[-1] not in node:
        return None
    value = node[keys[-1]]
    if not isinstance(value, str):
        raise InputError(f"{doc.where(*keys)}: {label} must be a string, not {pyproject_mod.type_name(value)}")
    line = pyproject_mod.line_of(doc.text, keys) or 1
    return VersionPlace(doc.path, _relative(doc.path, doc.path.parent), label, value, line, toml_keys=keys)


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
            match = re.match(r"^version\s*[=:]\s*(?P<value>[^\s#;]+)(?P<rest>.*)", line)
            if match and match.group("value").startswith(("attr:", "file:")):
                ref = (match.group("value") + match.group("rest")).strip()
                places += _indirect_places(root, ref.split(":", 1)[0], ref.split(":", 1)[1].strip(), "setup.cfg")
            elif match:
                start = offset + match.start("value")
                places.append(VersionPlace(path, "setup.cfg", "[metadata] version", match.group("value"),
                                           number, start, offset + match.end("value")))
        offset += len(line)
    return places


def _parse_py(path: Path, rel: str) -> tuple[str, ast.Module, int] | None:
    """(text, tree, offset of the code after a UTF-8 BOM); a file that does not parse but seems
    to set ``__version__`` is an error (never skipped without a word)."""
    text = read_text(path)
    offset = 1 if text.startswith(BOM) else 0
    try:
        return text, ast.parse(text[offset:]), offset
    except SyntaxError as exc:
        if _DUNDER_TEXT.search(text):
            raise InputError(f"{rel}:{exc.lineno}: sets __version__ but is not valid Python ({exc.msg}): "
                             "fix it before bumping") from None
        return None
    except ValueError as exc:  # NUL bytes
        raise InputError(f"{rel}: not a Python source file: {exc}") from None


def setup_py_places(root: Path) -> list[VersionPlace]:
    path = root / "setup.py"
    parsed = _parse_py(path, "setup.py") if path.is_file() else None
    if not parsed:
        return []
    text, tree, offset = parsed
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "setup":
            for kw in node.keywords:
                if kw.arg == "version":
                    place = _literal_place(path, "setup.py", "setup(version=...)", text, kw.value, offset)
                    return [place] if place else []
    return []


def assignment_places(path: Path, rel: str, name: str = "__version__") -> list[VersionPlace]:
    """A module-level ``NAME = "..."`` (or annotated) literal in a Python file."""
    parsed = _parse_py(path, rel)
    if not parsed:
        return []
    text, tree, offset = parsed
    for node in tree.body:  # module level only
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id == name for t in targets) and node.value is not None:
            place = _literal_place(path, rel, name, text, node.value, offset)
            return [place] if place else []
    return []


def regex_places(root: Path, rel: str, pattern: str, label: str) -> list[VersionPlace]:
    """hatch/pdm style: a regex with a ``version`` group in one file."""
    path = inside(root, rel, "version file")
    if not path.is_file():
        raise InputError(f"{label}: {rel} does not exist")
    text = read_text(path)
    try:
        regex = re.compile(pattern, re.MULTILINE)
    except re.error as exc:
        raise InputError(f"{label}: pattern {pattern!r} is not a valid regex: {exc}") from None
    if "version" not in regex.groupindex:
        raise InputError(f"{label}: pattern {pattern!r} has no (?P<version>...) group")
    match = regex.search(text)
    if not match:
        raise InputError(f"{rel}: {label} pattern matches nothing: the version there cannot be bumped")
    return [VersionPlace(path, rel, label, match.group("version"), _line_of(text, match.start("version")),
                         match.start("version"), match.end("version"))]


def _module_files(root: Path, dotted: str) -> list[Path]:
    parts = dotted.split(".")
    out = []
    for base in (root, root / "src"):
        out += [base.joinpath(*parts, "__init__.py"), base.joinpath(*parts[:-1], parts[-1] + ".py")]
    return [p for p in out if p.is_file()]


def _indirect_places(root: Path, kind: str, ref: str, where: str) -> list[VersionPlace]:
    """``attr: pkg.__version__`` / ``file: VERSION`` (setup.cfg and [tool.setuptools.dynamic])."""
    if kind == "file":
        places = []
        for rel in [r.strip() for r in ref.split(",") if r.strip()]:
            path = inside(root, rel, "version file")
            if not path.is_file():
                raise InputError(f"{where}: version file {rel} does not exist")
            text = read_text(path)
            version = text.strip()
            start = text.index(version) if version else 0
            places.append(VersionPlace(path, rel, "version file", version, _line_of(text, start), start, start + len(version)))
        return places
    module, _, name = ref.rpartition(".")
    files = _module_files(root, module) if module else []
    if not files:
        raise InputError(f"{where}: version attr {ref!r}: no module {module or '?'} found under {root}")
    places = assignment_places(files[0], _relative(files[0], root), name)
    if not places:
        raise InputError(f"{where}: version attr {ref!r}: {_relative(files[0], root)} has no literal {name} = \"...\"")
    return places


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
        named = [d for d in found if d.name.lower() == module_name(name)]
        if named:
            return named
    return found


def module_name(project: str) -> str:
    return re.sub(r"[-.]+", "_", project).lower()


def _single_modules(root: Path, name: str | None) -> list[Path]:
    """flit's single-module package: ``name.py`` (or ``src/name.py``) next to pyproject.toml."""
    if not name:
        return []
    return [p for p in (root / f"{module_name(name)}.py", root / "src" / f"{module_name(name)}.py") if p.is_file()]


def extra_places(root: Path, config: dict[str, Any]) -> list[VersionPlace]:
    """``[tool.devkit.bump] files = [{path = "helm/charts/*/Chart.yaml", pattern = "version: {version}"}]``."""
    places = []
    files = config.get("files") or []
    if not isinstance(files, list):
        raise InputError("pyproject.toml [tool.devkit.bump] files must be an array of {path, pattern} tables")
    for i, entry in enumerate(files):
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str) \
                or "{version}" not in str(entry.get("pattern", "")):
            raise InputError(
                f"pyproject.toml [tool.devkit.bump] files[{i}]: needs path and a pattern containing {{version}}"
            )
        spec = entry["path"]
        matches = sorted(glob.glob(spec, root_dir=root, recursive=True)) if glob.has_magic(spec) else [spec]
        if not matches:
            raise InputError(f"pyproject.toml [tool.devkit.bump]: {spec} matches no file")
        for rel in matches:
            path = inside(root, rel, "[tool.devkit.bump] file")
            if not path.is_file():
                raise InputError(f"pyproject.toml [tool.devkit.bump]: {rel} does not exist")
            places += _pattern_places(path, rel, str(entry["pattern"]))
    return places


def _pattern_places(path: Path, rel: str, pattern: str) -> list[VersionPlace]:
    text = read_text(path)
    before, after = pattern.split("{version}", 1)
    regex = re.compile(re.escape(before) + r"(?P<version>[0-9][0-9A-Za-z.!+_-]*?)" + re.escape(after)
                       + ("" if after else r"(?![0-9A-Za-z.!+_-])"))
    matches = list(regex.finditer(text))
    if not matches:
        raise InputError(f"{rel}: pattern {pattern!r} matches nothing")
    return [VersionPlace(path, rel, f"pattern {pattern!r}", m.group("version"),
                         _line_of(text, m.start("version")), m.start("version"), m.end("version")) for m in matches]


def bump_config(doc: pyproject_mod.Pyproject | None) -> dict[str, Any]:
    config = doc.table("tool", "devkit", "bump") if doc else {}
    for key in ("message", "tag_name", "scheme", "calver", "changelog"):
        if key in config and not isinstance(config[key], str):
            raise InputError(f"{doc.where('tool', 'devkit', 'bump', key)}: [tool.devkit.bump] {key} must be a string, "  # type: ignore[union-attr]
                             f"not {pyproject_mod.type_name(config[key])}")
    return config


def project_name(doc: pyproject_mod.Pyproject | None) -> str | None:
    if doc is None:
        return None
    for keys in (("project",), ("tool", "poetry")):
        table = doc.data
        for key in keys:
            table = table.get(key) if isinstance(table, dict) else None
        if isinstance(table, dict) and isinstance(table.get("name"), str) and table["name"]:
            return table["name"]
    return None


def _requires(doc: pyproject_mod.Pyproject) -> list[str]:
    build = doc.data.get("build-system")
    reqs = build.get("requires") if isinstance(build, dict) else None
    return [re.split(r"[<>=!~;\[ ]", r, 1)[0].strip().lower().replace("_", "-") for r in reqs or [] if isinstance(r, str)]


def vcs_backend(doc: pyproject_mod.Pyproject | None) -> str | None:
    """The tool that derives the version from git tags, or None when files hold it."""
    if doc is None:
        return None
    tool = doc.data.get("tool") if isinstance(doc.data.get("tool"), dict) else {}
    project = doc.data.get("project") if isinstance(doc.data.get("project"), dict) else {}
    dynamic = "version" in (project.get("dynamic") or []) if isinstance(project.get("dynamic"), list) else False
    hatch = (tool.get("hatch") or {}).get("version") if isinstance(tool.get("hatch"), dict) else None
    if isinstance(hatch, dict) and hatch.get("source") == "vcs":
        return "hatch-vcs"
    pdm = (tool.get("pdm") or {}).get("version") if isinstance(tool.get("pdm"), dict) else None
    if isinstance(pdm, dict) and pdm.get("source") == "scm":
        return "pdm-backend (scm)"
    if "versioningit" in tool:
        return "versioningit"
    pdv = tool.get("poetry-dynamic-versioning")
    if isinstance(pdv, dict) and pdv.get("enable") is True:
        return "poetry-dynamic-versioning"
    if "setuptools_scm" in tool or (dynamic and "setuptools-scm" in _requires(doc)
                                    and not _setuptools_dynamic_version(doc)):
        return "setuptools_scm"
    return None


def _setuptools_dynamic_version(doc: pyproject_mod.Pyproject) -> Any:
    tool = doc.data.get("tool")
    setuptools = tool.get("setuptools") if isinstance(tool, dict) else None
    dynamic = setuptools.get("dynamic") if isinstance(setuptools, dict) else None
    return dynamic.get("version") if isinstance(dynamic, dict) else None


def backend_places(root: Path, doc: pyproject_mod.Pyproject) -> list[VersionPlace]:
    """Version files named in the backend's own config (hatch, pdm, setuptools dynamic)."""
    tool = doc.data.get("tool") if isinstance(doc.data.get("tool"), dict) else {}
    for backend in ("hatch", "pdm"):
        config = (tool.get(backend) or {}).get("version") if isinstance(tool.get(backend), dict) else None
        if not isinstance(config, dict) or config.get("source") not in (None, "regex", "file"):
            continue
        path = config.get("path")
        if isinstance(path, str):
            pattern = config.get("pattern")
            if pattern is True or pattern is None:
                pattern = HATCH_PATTERN
            if not isinstance(pattern, str):
                raise InputError(f"{doc.where('tool', backend, 'version')}: [tool.{backend}.version] pattern must be a string")
            return regex_places(root, path, pattern, f"[tool.{backend}.version] path")
    dynamic = _setuptools_dynamic_version(doc)
    if isinstance(dynamic, dict):
        for kind in ("attr", "file"):
            ref = dynamic.get(kind)
            if isinstance(ref, list):
                ref = ",".join(map(str, ref))
            if isinstance(ref, str):
                return _indirect_places(root, kind, ref, "pyproject.toml [tool.setuptools.dynamic] version")
    return []


def find_places(root: Path, doc: pyproject_mod.Pyproject | None = None) -> list[VersionPlace]:
    """Every place the project's version lives, in a stable order, each file once."""
    if doc is None:
        doc = pyproject_mod.load(root)
    places: list[VersionPlace] = []
    vcs = vcs_backend(doc)
    if doc is not None and not vcs:
        for keys, label in ((("project", "version"), "[project].version"),
                            (("tool", "poetry", "version"), "[tool.poetry].version"),
                            # the peers' own records, so a project that used them stays consistent
                            (("tool", "bumpversion", "current_version"), "[tool.bumpversion] current_version"),
                            (("tool", "commitizen", "version"), "[tool.commitizen] version")):
            place = toml_place(doc, keys, label)
            if place:
                places.append(place)
        places += backend_places(root, doc)
    if not vcs:
        places += setup_cfg_places(root)
        places += setup_py_places(root)
        name = project_name(doc)
        for pkg in package_dirs(root, name):
            for filename in VERSION_FILES:
                path = pkg / filename
                if path.is_file():
                    places += assignment_places(path, _relative(path, root))
        for module in _single_modules(root, name):
            places += assignment_places(module, _relative(module, root))
    places += extra_places(root, bump_config(doc))
    unique: dict[tuple[Path, int, tuple[str, ...]], VersionPlace] = {}
    for place in places:  # the same file found twice (hatch path and __init__.py, a symlink)
        unique.setdefault((place.path.resolve(), place.start, place.toml_keys), place)
    return list(unique.values())


def replace_in_text(text: str, places: list[VersionPlace], new: str) -> str:
    """Put ``new`` at each place's span (right to left, so earlier spans stay valid)."""
    for place in sorted(places, key=lambda p: p.start, reverse=True):
        if text[place.start:place.end] != place.version:
            raise InputError(f"{place.label}: file changed while bumping")
        text = text[: place.start] + new + text[place.end:]
    return text


def edit_toml(text: str, places: list[VersionPlace], new: str) -> str:
    """Set each TOML version key with tomlkit, keeping quote style, comments and layout."""
    import tomlkit
    from tomlkit.items import String, StringType

    try:
        doc = tomlkit.parse(text)
    except RecursionError:
        raise InputError("pyproject.toml: values nested too deeply to edit") from None
    for place in places:
        table: Any = doc
        for key in place.toml_keys[:-1]:
            table = table[key]
        old = table[place.toml_keys[-1]]
        literal = isinstance(old, String) and old.type in (StringType.SLL, StringType.MLL)
        item = tomlkit.string(new, literal=literal)
        if isinstance(old, String):
            item.trivia.comment_ws = old.trivia.comment_ws
            item.trivia.comment = old.trivia.comment
            item.trivia.trail = old.trivia.trail
            item.trivia.indent = old.trivia.indent
        table[place.toml_keys[-1]] = item
    return tomlkit.dumps(doc)
