"""Release the changelog's Unreleased section under the new version, as Keep a Changelog asks.

``## [Unreleased]`` (or ``## Unreleased``) keeps its heading, now empty, and its entries move under
``## [1.3.0] - 2025-06-01`` right below it. Keep a Changelog's link references at the bottom follow:
``[Unreleased]: .../compare/v1.2.0...HEAD`` becomes ``v1.3.0...HEAD`` and ``[1.3.0]:
.../compare/v1.2.0...v1.3.0`` is added. A changelog without an Unreleased heading is left alone.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

NAMES = ("CHANGELOG.md", "CHANGES.md", "HISTORY.md", "NEWS.md")
_HEADING = re.compile(r"^(?P<hashes>#{2,3})\s+(?P<open>\[?)unreleased(?P<close>\]?)[ \t]*$", re.IGNORECASE | re.MULTILINE)
_LINK = re.compile(r"^\[unreleased\]:\s*(?P<url>\S*?)(?P<old>[^/\s]*)\.\.\.HEAD\s*$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class ChangelogEdit:
    path: Path
    rel: str
    before: str
    after: str
    empty: bool  # the Unreleased section had no entries


def find(root: Path) -> Path | None:
    for name in NAMES:
        if (root / name).is_file():
            return root / name
    return None


def release(text: str, new: str, new_tag: str, today: dt.date) -> tuple[str, bool] | None:
    """(new text, whether the released section is empty), or None without an Unreleased heading."""
    heading = _HEADING.search(text)
    if not heading:
        return None
    hashes, bracket = heading.group("hashes"), heading.group("open") == "["
    following = re.compile(rf"^#{{1,{len(hashes)}}}\s", re.MULTILINE).search(text, heading.end())
    body_end = following.start() if following else len(text)
    body = text[heading.end():body_end]
    title = f"[{new}]" if bracket else new
    entries = body.strip("\n")
    new_section = f"{hashes} {title} - {today.isoformat()}\n" + (f"\n{entries}\n" if entries else "")
    tail = text[body_end:]
    out = text[: heading.end()] + "\n\n" + new_section + ("\n" if tail else "") + tail
    link = _LINK.search(out)
    if link:
        base, old_tag = link.group("url"), link.group("old")
        replacement = f"[Unreleased]: {base}{new_tag}...HEAD\n[{new}]: {base}{old_tag}...{new_tag}"
        out = out[: link.start()] + replacement + out[link.end():]
    return out, not entries


def plan(root: Path, rel_base: Path, new: str, new_tag: str, today: dt.date | None = None) -> ChangelogEdit | None:
    from devkit.pkg.sources import read_text

    path = find(root)
    if path is None:
        return None
    before = read_text(path)
    result = release(before, new, new_tag, today or dt.date.today())
    if result is None:
        return None
    after, empty = result
    return ChangelogEdit(path, path.relative_to(rel_base).as_posix(), before, after, empty)
