"""What a format definition is: data, in the spirit of lnav's format files.

A text format is a regex with named groups, a timestamp layout (``timestamps.LAYOUTS``), the
group that holds the level, and what the other groups mean (correlation IDs, stream key, service,
status, duration). A JSON format says which keys identify it and where its time, message, level,
service and traceback are. Every definition carries sample lines with what they must parse to;
``tests/logs/test_format_samples.py`` checks them all, so a new format is data plus samples.
"""

import re
from types import MappingProxyType
from typing import Mapping, NamedTuple

from devkit.logs.timestamps import LAYOUTS

LEVEL_WORDS = r"TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|FATAL|CRITICAL|CRIT|SEVERE"
#: The default of a mapping a definition may leave out: shared, so it must not change.
NOTHING: Mapping = MappingProxyType({})

# Definitions are immutable records: NamedTuples, not frozen dataclasses (generating a dataclass
# costs about 1 ms of every command's start-up, a NamedTuple a fifth of that). This module has no
# ``from __future__ import annotations``: with it each field's annotation is a string, which
# ``typing`` compiles when the class is made (about 40 compiles here: 1.2% of the instructions of
# ``devkit logs trace ID small.log``, by callgrind).


class Sample(NamedTuple):
    """A line (or a multi-line record) and what devkit must read from it.

    ``ts`` is the expected time in UTC as ``format_utc`` writes it (read with ``--tz UTC`` and a
    reference time of 2026-11-25 for year-less stamps); ``fields`` is a subset that must match.
    """

    line: str
    ts: str | None = None
    level: str | None = None
    message: str | None = None
    fields: Mapping = NOTHING
    service: str | None = None
    correlation_id: str | None = None
    status: int | None = None
    duration: float | None = None
    traceback: bool = False
    opens: bool | None = None  # for stream formats: does this line start an event


class TextFormat(NamedTuple):
    """A line format read with one regex.

    ``pattern`` may use ``{ts}`` (the ``layout``'s timestamp groups) and ``{level}`` (a level
    word into the ``level`` group). Named groups other than the timestamp's, ``level`` and
    ``msg`` become fields, renamed by ``rename`` (so a group ``corr`` can be the field ``corrId``
    the field registry knows). ``first`` lists the characters a matching line can start with:
    a cheap test before the regex.
    """

    name: str
    pattern: str
    layout: str | None = "iso"
    first: str = ""
    contains: str = ""  # a literal the first 200 characters must hold (another cheap test)
    levels: dict | None = None  # raw level -> devkit level; None: the usual names
    level_in_message: bool = False  # no level group: look for a level word opening the message
    rename: Mapping = NOTHING
    drop: tuple[str, ...] = ()  # groups that are not worth keeping as fields
    numbers: tuple[str, ...] = ()  # fields kept as integers (pid, tid)
    stream: tuple[str, ...] = ()  # fields whose values key a stream (lines that continue each other)
    opens_if: str | None = None  # a field whose presence means the line surely starts an event
    service: str | None = None  # field holding the service name
    status: str | None = None  # field holding an HTTP status
    duration: tuple[str, float] | None = None  # (field, factor to seconds)
    hooks: tuple[str, ...] = ()  # named post-processing steps (formats/hooks.py)
    samples: tuple[Sample, ...] = ()

    def source(self) -> str:
        """The regex as text: what a ``TextSet`` joins, without compiling this format alone."""
        ts = f"(?P<ts_text>{LAYOUTS[self.layout]})" if self.layout else ""
        return self.pattern.replace("{ts}", ts).replace("{level}", f"(?P<level>{LEVEL_WORDS})") + r"\Z"

    def compile(self) -> re.Pattern:
        return re.compile(self.source(), re.S)


class JsonFormat(NamedTuple):
    """A JSON-lines format, told apart from the others by its keys (flattened: ``a.b``)."""

    name: str
    any_of: tuple[str, ...] = ()  # it is this format if any of these keys is present...
    all_of: tuple[str, ...] = ()  # ...and all of these
    none_of: tuple[str, ...] = ()  # ...and none of these
    version: tuple[str, object] | None = None  # (key, value) that must be equal
    ts_keys: tuple[str, ...] = ()
    epoch_keys: tuple[str, ...] = ()  # epoch-seconds numbers that beat ts_keys (logstash v0 ``created``)
    message_keys: tuple[str, ...] = ()
    level_keys: tuple[str, ...] = ()
    service_keys: tuple[str, ...] = ()
    traceback_keys: tuple[str, ...] = ()
    hooks: tuple[str, ...] = ()
    samples: tuple[Sample, ...] = ()

    def claims(self, obj: dict, flat: dict) -> bool:
        if self.any_of and not any(k in flat or k in obj for k in self.any_of):
            return False
        if any(k not in flat and k not in obj for k in self.all_of):
            return False
        if any(k in flat or k in obj for k in self.none_of):
            return False
        if self.version is not None and obj.get(self.version[0]) not in (self.version[1], str(self.version[1])):
            return False
        return True
