"""What makes an event a hit: a correlation ID as a whole token, or a pattern."""

from __future__ import annotations

import re
from typing import Iterator

from devkit.errors import InputError
from devkit.logs.event import Event

_WORD = r"A-Za-z0-9_\-"
MIN_ID_LENGTH = 2  # "7" or "a" is a token in nearly every record


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


def check_id(ident: str) -> None:
    """Refuse what cannot be a correlation ID: it would match (nearly) every record."""
    shown = repr(ident)
    if not ident.strip():
        raise InputError(f"the correlation ID {shown} is empty or blank: give the ID to trace")
    if ident != ident.strip() or any(c.isspace() for c in ident):
        raise InputError(f"the correlation ID {shown} holds white space: an ID is one token (quote only the ID)")
    if not any(c.isalnum() for c in ident):
        raise InputError(f"the correlation ID {shown} has no letter or digit, so it would match almost every record")
    if len(ident) < MIN_ID_LENGTH:
        raise InputError(f"the correlation ID {shown} is too short (at least {MIN_ID_LENGTH} characters): "
                         "it would match unrelated records")


class IdMatcher:
    """A correlation ID that matches as a whole token (``123`` does not match ``1234``)."""

    def __init__(self, ident: str, field: str | None = None) -> None:
        check_id(ident)
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
    """A regular expression (or a literal with ``fixed``) anywhere in a stitched event.

    Matching runs in linear time (``pattern.Pattern``); the few patterns that need a
    backtracking check get a time limit per event, and the events it gave up on are kept in
    ``gave_up`` for the caller to report.
    """

    def __init__(self, pattern: str, fixed: bool = False, ignore_case: bool = False,
                 field: str | None = None) -> None:
        from devkit.logs.pattern import Pattern  # here: a trace by ID never needs it

        self.compiled = Pattern(re.escape(pattern) if fixed else pattern, ignore_case)
        self.field = field
        self.needle = pattern.encode("utf-8") if fixed and not ignore_case else None
        self.gave_up: list[tuple[str, int]] = []  # (source, line) of events not decided in time

    @property
    def highlighter(self):
        """Something with ``finditer`` (RE2, linear) to mark matches in shown text; None when the
        pattern needs backtracking (then nothing is marked rather than risk a hang on display)."""
        return self.compiled.text

    def hits(self, buf, start: int = 0, end: int | None = None) -> Iterator[int]:
        end = len(buf) if end is None else end
        if self.needle is not None:
            return find_all(buf, self.needle, start, end)
        return (m.start() for m in self.compiled.raw.finditer(buf, start, end))

    def in_raw(self, raw: bytes) -> bool:
        if self.needle is not None:
            return self.needle in raw
        return self.compiled.raw.search(raw) is not None

    def matches(self, event: Event) -> bool:
        search = self.compiled.search
        try:
            if self.field:
                return any(search(v) for v in field_values(event, self.field))
            return search(event.text) or any(search(r.decode("utf-8", "replace")) for r in event.raw)
        except TimeoutError:
            self.gave_up.append((event.source, event.line))
            return False

    def take_problems(self) -> list[str]:
        """One line per source about the events the time limit cut short (and forget them)."""
        by_source: dict[str, list[int]] = {}
        for source, line in self.gave_up:
            by_source.setdefault(source, []).append(line)
        self.gave_up = []
        return [f"{source}: line {', '.join(map(str, lines[:5]))}{', ...' if len(lines) > 5 else ''}: gave up matching "
                "after backtracking too long (look-around, backreferences and \\b beside non-ASCII text need the "
                "backtracking engine)" for source, lines in by_source.items()]
