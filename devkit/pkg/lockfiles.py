"""Lock files that record the project's own version, kept in step with the bump.

``uv.lock`` lists the project itself as a ``[[package]]`` with ``source = { editable = "." }`` (or
``virtual``) and its static version; ``uv lock --check`` fails once that is stale, so the bump edits
that one value in the same commit. The version there is not hashed, so the edit is exactly what
``uv lock`` would write. ``poetry.lock`` never records the root project; if it records a package
of the project's own name (a path dependency on itself), only Poetry can rewrite its hashes, so
the bump refuses and says so.
"""

from __future__ import annotations

import re
from pathlib import Path

from devkit.errors import InputError
from devkit.pkg.sources import VersionPlace, _line_of, read_text

_BLOCK = re.compile(r"^\[\[package\]\]\s*$", re.MULTILINE)
_SELF_SOURCE = re.compile(r"""^source\s*=\s*\{\s*(editable|virtual|directory)\s*=\s*["']\.["']\s*\}""", re.MULTILINE)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_places(root: Path, name: str | None) -> list[VersionPlace]:
    """The project's own version in ``uv.lock``; an error when ``poetry.lock`` needs Poetry."""
    if not name:
        return []
    places = []
    path = root / "uv.lock"
    if path.is_file():
        text = read_text(path)
        bounds = [m.start() for m in _BLOCK.finditer(text)] + [len(text)]
        for start, end in zip(bounds, bounds[1:]):
            block = text[start:end]
            named = re.search(r"""^name\s*=\s*["']([^"']+)["']""", block, re.MULTILINE)
            version = re.search(r"""^version\s*=\s*["']([^"']+)["']""", block, re.MULTILINE)
            if named and _normal(named.group(1)) == _normal(name) and _SELF_SOURCE.search(block) and version:
                s, e = start + version.start(1), start + version.end(1)
                places.append(VersionPlace(path, "uv.lock", f"uv.lock [[package]] {named.group(1)}", version.group(1),
                                           _line_of(text, s), s, e))
    path = root / "poetry.lock"
    if path.is_file():
        text = read_text(path)
        for match in re.finditer(r"""^name\s*=\s*["']([^"']+)["']""", text, re.MULTILINE):
            if _normal(match.group(1)) == _normal(name):
                raise InputError(
                    f"poetry.lock:{_line_of(text, match.start())} records {name} itself; only Poetry can "
                    "rewrite its hashes: bump with --no-commit, run `poetry lock`, then commit"
                )
    return places
