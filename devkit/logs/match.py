"""What makes an event a hit: a correlation ID as a whole token, or a pattern."""

from __future__ import annotations

import re
from typing import Iterator

from devkit.errors import InputError
from devkit.logs.event import Event

_WORD = r"A-Za-z0-9_\-"


def field_values(event: Event, name: str) -> list[str]:
    """Values of the field ``name``: an exact key, or a dotted key ending in ``.name``."""
    out = []
    suffix = "." + name
    for key, value in event.fields.items():
        if key == name or key.endswith(suffix):
            out.append(value if isinstance(value, str) else str(value))
    return out


def find_all(buf, needle: bytes, start: int, end: int) -> Iterator[int]:
    """Every offset of ``needle`` in ``buf[start:end]`` (bytes, bytearray or mmap; no copies)."""
    find = buf.find
    pos = find(needle, start, end)
    while pos >= 0:
        yield pos
        pos = find(needle, pos + 1, end)


class IdMatcher:
    """A correlation ID that matches as a whole token (``123`` does not match ``1234``)."""

    def __init__(self, ident: str, field: str | None = None) -> None:
        if not ident or "\n" in ident:
            raise InputError("the correlation ID must be a non-empty single line")
        self.ident = ident
        self.field = field
        self.needle = ident.encode("utf-8")
        # as a whole token; ``0x<ID>`` too (OpenTelemetry's console exporter writes hex IDs so)
        self.token = re.compile(rf"(?:(?<![{_WORD}])|(?<=[^{_WORD}]0x)|(?<=^0x)){re.escape(ident)}(?![{_WORD}])")

    def hits(self, buf, start: int = 0, end: int | None = None) -> Iterator[int]:
        """Byte offsets of every occurrence (token check comes later, on decoded text)."""
        return find_all(buf, self.needle, start, len(buf) if end is None else end)

    def in_raw(self, raw: bytes) -> bool:
        return self.needle in raw

    def matches(self, event: Event) -> bool:
        search = self.token.search
        if self.field:
            return any(search(v) for v in field_values(event, self.field))
        if search(event.text):
            return True
        for value in event.fields.values():
            if isinstance(value, str) and search(value):
                return True
        return any(search(r.decode("utf-8", "replace")) for r in event.raw)


class PatternMatcher:
    """A regular expression (or a literal with ``fixed``) anywhere in a stitched event."""

    def __init__(self, pattern: str, fixed: bool = False, ignore_case: bool = False,
                 field: str | None = None) -> None:
        text = re.escape(pattern) if fixed else pattern
        flags = re.IGNORECASE if ignore_case else 0
        try:
            self.regex = re.compile(text, flags | re.MULTILINE)
            self.raw_regex = re.compile(text.encode("utf-8"), flags | re.MULTILINE)
        except re.error as exc:
            raise InputError(f"invalid pattern {pattern!r}: {exc}") from None
        self.field = field
        self.needle = pattern.encode("utf-8") if fixed and not ignore_case else None

    def hits(self, buf, start: int = 0, end: int | None = None) -> Iterator[int]:
        end = len(buf) if end is None else end
        if self.needle is not None:
            return find_all(buf, self.needle, start, end)
        return (m.start() for m in self.raw_regex.finditer(buf, start, end))

    def in_raw(self, raw: bytes) -> bool:
        return self.raw_regex.search(raw) is not None

    def matches(self, event: Event) -> bool:
        search = self.regex.search
        if self.field:
            return any(search(v) for v in field_values(event, self.field))
        return bool(search(event.text)) or any(search(r.decode("utf-8", "replace")) for r in event.raw)
