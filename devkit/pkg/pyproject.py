"""pyproject.toml read once, safely: one-line errors with line numbers, never an internal error.

Every reader in ``devkit pkg`` goes through ``load``: a file that is not UTF-8, not TOML, absurdly
large or nested deeper than any real project (tomllib recurses per level) becomes an
``InputError`` that names the file. ``line_of`` finds the line a key or a value sits on, so
findings and type errors can say ``pyproject.toml:12``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devkit.errors import InputError

MAX_BYTES = 4 * 1024 * 1024  # the largest pyproject.toml on PyPI is well under 100 kB
MAX_DEPTH = 64  # arrays/tables nested deeper than this are not a real project's metadata
ROOT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py")
_KEY_LINE = re.compile(r"""^\s*(?:[A-Za-z0-9_.-]+|"[^"]*"|'[^']*')\s*=(?!=)""")
_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")


@dataclass
class Pyproject:
    """The parsed file, its text (for line numbers) and its path."""

    path: Path
    text: str
    data: dict[str, Any] = field(default_factory=dict)

    def table(self, *keys: str) -> dict[str, Any]:
        """``[tool.x.y]`` as a dict ({} when absent); a non-table there is a one-line error."""
        node: Any = self.data
        for i, key in enumerate(keys):
            node = node.get(key, {}) if isinstance(node, dict) else None
            if not isinstance(node, dict):
                where = ".".join(keys[: i + 1])
                raise InputError(f"{self.where(*keys[: i + 1])}: [{where}] must be a table, not {type_name(node)}")
        return node

    def where(self, *keys: str, value: str | None = None) -> str:
        line = line_of(self.text, keys, value)
        return f"{self.path}:{line}" if line else str(self.path)


def type_name(value: Any) -> str:
    return {str: "a string", bool: "a boolean", int: "an integer", float: "a number", list: "an array",
            dict: "a table"}.get(type(value), type(value).__name__)


def _depth(text: str) -> int:
    """Deepest bracket nesting outside strings and comments (cheap, before tomllib recurses)."""
    depth = deepest = 0
    quote = ""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 2
                continue
            if text.startswith(quote, i):
                i += len(quote)
                quote = ""
                continue
        elif ch == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif ch in "\"'":
            quote = ch * 3 if text.startswith(ch * 3, i) else ch
            i += len(quote)
            continue
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
        i += 1
    return deepest


def parse(text: str, path: Path) -> dict[str, Any]:
    if text.count("[") + text.count("{") > 1000 and _depth(text) > MAX_DEPTH:  # scan only when it can matter
        raise InputError(f"{path}: values nested more than {MAX_DEPTH} levels deep: not a project's metadata")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise InputError(f"{path}: values nested too deeply to read") from None


def read_text(path: Path, limit: int = MAX_BYTES) -> str:
    try:
        with open(path, "rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    if len(raw) > limit:
        raise InputError(f"{path}: larger than {limit // (1024 * 1024)} MiB: not a project file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 (byte {exc.start}): cannot read") from None


def load(root: Path) -> Pyproject | None:
    """``root/pyproject.toml`` parsed, or None when there is none."""
    path = Path(root) / "pyproject.toml"
    if not path.is_file():
        return None
    text = read_text(path)
    return Pyproject(path, text, parse(text, path))


def line_of(text: str, keys: tuple[str, ...] | list[str], value: str | None = None) -> int | None:
    """The line of ``keys`` (e.g. ("project", "version")), or of ``value`` inside that key's
    value; the header line of the table when the key itself cannot be placed."""
    keys = list(keys)
    lines = text.splitlines()
    table: list[str] = []
    fallback = None
    for i in range(len(keys), 0, -1):  # the longest table prefix that appears as a header
        head, rest = keys[:i], keys[i:]
        for number, raw in enumerate(lines, 1):
            header = _HEADER.match(raw)
            if header:
                table = [part.strip().strip("\"'") for part in header.group(1).split(".")]
                if table == head and fallback is None:
                    fallback = number
                continue
            if table != head or not rest:
                continue
            key = re.match(r"^\s*([\"']?)([A-Za-z0-9_.-]+)\1\s*=", raw)
            if not key or key.group(2).split(".")[0] != rest[0]:
                continue
            if value is None:
                return number
            for offset, later in enumerate(lines[number - 1:], 0):  # the value may span lines
                if offset and (_HEADER.match(later) or _KEY_LINE.match(later)):
                    break
                if value in later:
                    return number + offset
            return number
        if fallback is not None:
            return fallback
    return fallback


def find_root(start: Path, stop: Path | None = None) -> Path:
    """The nearest directory at or above ``start`` with a project file, as pip and git-aware
    tools look for it; never above ``stop`` (the repository's top). ``start`` when none has one."""
    start = Path(start).resolve()
    stop = Path(stop).resolve() if stop is not None else None
    for candidate in (start, *start.parents):
        if any((candidate / marker).is_file() for marker in ROOT_MARKERS):
            return candidate
        if stop is not None and candidate == stop:
            break
    return start
