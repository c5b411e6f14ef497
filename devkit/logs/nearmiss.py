"""Why an ID found nothing: it often is the start (or a piece) of the real, longer IDs.

IDs match as whole tokens, so ``4bf92f35`` does not find ``4bf92f3577b34da6...``. When a trace
finds nothing, the raw bytes are searched once more for the ID inside longer tokens, so the
message can name them. Plain files only (a compressed one would have to be unpacked again).
"""

from __future__ import annotations

import os
from typing import Sequence

from devkit.logs.fileview import FileView
from devkit.logs.sources import expand_paths

_WORD = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
MAX_TOKEN = 200


def _token_around(buf, start: int, end: int) -> bytes:
    lo = max(0, start - MAX_TOKEN)
    around = buf[lo:min(len(buf), end + MAX_TOKEN)]
    a, b = start - lo, end - lo
    while a > 0 and around[a - 1] in _WORD:
        a -= 1
    while b < len(around) and around[b] in _WORD:
        b += 1
    return around[a:b]


def longer_tokens(paths: Sequence[str], ident: str, limit: int = 3) -> list[str]:
    """Up to ``limit`` distinct tokens in ``paths`` that contain ``ident`` but are longer."""
    needle = ident.encode("utf-8")
    if not needle:
        return []
    found: dict[str, None] = {}
    for source in expand_paths(list(paths), []):
        if source.path is None or source.compressed:
            continue
        try:
            with open(source.path, "rb") as fh:  # read through blocks: a file that shrinks is no crash
                buf = FileView(fh.fileno(), os.fstat(fh.fileno()).st_size)
                pos = buf.find(needle)
                while pos >= 0:
                    token = _token_around(buf, pos, pos + len(needle))
                    if token != needle:
                        found.setdefault(token.decode("utf-8", "replace"))
                        if len(found) >= limit:
                            return list(found)
                    pos = buf.find(needle, pos + len(needle))
        except (OSError, ValueError):
            continue
    return list(found)
