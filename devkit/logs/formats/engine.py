"""Reading one line with the format definitions: JSON objects, then text formats in order.

Detection is deterministic (the first definition in order that claims a line wins), so a window
read around a search hit parses every line exactly as a full read does. Each definition's cheap
tests (first character, a literal in the first 200 characters) keep most regexes from running.
"""

from __future__ import annotations

import re
from typing import Callable

from devkit.lazyre import lazy
from devkit.logs import fields as registry
from devkit.logs.formats.hooks import HOOKS
from devkit.logs.formats.jsonlines import JSON_FORMATS
from devkit.logs.formats.record import Record, normalize_level
from devkit.logs.formats.spec import JsonFormat, TextFormat
from devkit.logs.formats.text import TEXT_FORMATS
from devkit.logs.timestamps import LAYOUTS, Zone, epoch_from_groups, parse_timestamp

_STAMP_KEYS = ("y", "yy", "mo", "mon", "d", "h", "mi", "s", "tz")

_TS_GROUPS = frozenset({"ts_text", "y", "yy", "mo", "mon", "d", "h", "mi", "s", "frac", "ms", "tz", "epoch"})
_SPECIAL = _TS_GROUPS | {"level", "msg"}


def _flatten_py(obj: dict, prefix: str = "", out: dict | None = None) -> dict:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; lists stay values (the definition ``flatten`` is held to)."""
    out = {} if out is None else out
    for key, value in obj.items():
        if value.__class__ is dict and value:
            _flatten_py(value, f"{prefix}{key}.", out)
        else:
            out[f"{prefix}{key}" if prefix else key] = value
    return out


try:  # the optional C accelerator (pyproject.toml: ext-modules): an ECS line holds ten dicts
    from devkit.logs._records import flatten, json_record as _json_record, text_record as _text_record
except ImportError:  # pragma: no cover - built wherever a C compiler is
    flatten, _json_record, _text_record = _flatten_py, None, None


def traceback_text(value: object) -> str | None:
    """A traceback field as text: a list of ``format_exception`` strings, or one string."""
    if value in (None, "", [], False, True):
        return None
    text = "".join(str(v) for v in value) if isinstance(value, list) else str(value)
    text = text.rstrip("\n")
    return text or None


_GROUP = lazy(r"\(\?P<(\w+)>")


class CompiledText:
    """A ``TextFormat`` ready to read lines (alone, or as one alternative of a ``TextSet``)."""

    __slots__ = ("spec", "name", "regex", "hooks", "opens_if", "epoch_layout", "index", "ts_groups", "level_at",
                 "msg_at", "ts_text_at", "field_at", "opens_at", "stamp_at", "stamp_names", "frac_at", "ms_at",
                 "epoch_at", "s_at", "field_names", "field_groups", "levels_seen", "one_stamp", "plan")

    def __init__(self, spec: TextFormat, regex: re.Pattern | None = None, prefix: str = "") -> None:
        """``regex``: a ``TextSet``'s, holding this format's groups under ``prefix``; without one
        the format's own is compiled (in a set it would only cost start-up: about a third of the
        regex compiling a first search did)."""
        self.spec = spec
        self.name = spec.name
        self.regex = spec.compile() if regex is None else regex
        self.hooks = tuple(HOOKS[h] for h in spec.hooks)
        self.opens_if = spec.opens_if
        self.epoch_layout = spec.layout == "epoch"
        self.levels_seen: dict[str, str | None] = {}  # raw level -> devkit level, as met
        self.bind(self.regex, prefix)

    def bind(self, regex: re.Pattern, prefix: str) -> None:
        """Where this format's groups are in ``regex`` (its own, or a TextSet's with ``prefix``)."""
        index = regex.groupindex
        names = [n[len(prefix):] for n in index if n.startswith(prefix) and n != prefix.rstrip("_")]
        at = {n: index[prefix + n] for n in names}
        self.ts_groups = tuple((n, at[n]) for n in names if n in _TS_GROUPS and n != "ts_text")
        self.stamp_names = tuple(n for n in _STAMP_KEYS if n in at and n != "s")  # the stamp's minute
        self.stamp_at = tuple(at[n] for n in self.stamp_names)
        self.one_stamp = len(self.stamp_at) == 1
        self.s_at = at.get("s")
        self.frac_at, self.ms_at, self.epoch_at = at.get("frac"), at.get("ms"), at.get("epoch")
        self.level_at = at.get("level")
        self.msg_at = at.get("msg")
        self.ts_text_at = at.get("ts_text")
        rename, drop = self.spec.rename, self.spec.drop
        self.field_at = tuple((rename.get(n, n), at[n]) for n in names if n not in _SPECIAL and n not in drop)
        # all field groups in one ``m.group(*...)`` call (a tuple only with two or more)
        self.field_names = tuple(n for n, _ in self.field_at)
        self.field_groups = tuple(i for _, i in self.field_at) + ((0,) if len(self.field_at) == 1 else ())
        self.opens_at = at.get(self.opens_if) if self.opens_if else None
        self.plan = self._plan()

    def _plan(self) -> tuple | None:
        """What ``_records.text_record`` needs to do ``_record_py``'s work, in its order (the
        ``P_*`` names there); None where it cannot (a stamp layout with no ``ts_text`` group)."""
        spec = self.spec
        if spec.layout and not self.epoch_layout and self.ts_text_at is None:
            return None
        layout = 0 if not spec.layout else 1 if self.epoch_at else 2
        return (spec.name, layout, self.epoch_at, self.s_at, self.stamp_at, self.ms_at or None, self.frac_at,
                None if self.epoch_layout else self.ts_text_at, self.field_at, tuple(spec.numbers), self.level_at,
                self.levels_seen, self.msg_at, Record, spec.status or None, spec.duration or None,
                spec.service or None, tuple(spec.stream) if spec.stream else None, self.opens_at, self.hooks)

    def parse(self, line: str, zone: Zone) -> Record | None:
        m = self.regex.match(line)
        return None if m is None else self.record(m, zone)

    def _epoch(self, m: re.Match, zone: Zone) -> float | None:
        """The stamp's time: its minute converted once per zone (a log repeats its minutes)."""
        group = m.group
        if self.epoch_at:
            return float(group(self.epoch_at))
        sec = group(self.s_at)
        if len(sec) > 2:
            return None
        seconds = int(sec)
        if seconds > 60:
            return None
        values = (group(self.stamp_at[0]),) if self.one_stamp else group(*self.stamp_at)
        key = (self.name, values)
        base = zone.cache.get(key)
        if base is None:
            base = zone.remember(key, epoch_from_groups({**dict(zip(self.stamp_names, values)), "s": "0"}, zone))
            if base is None:
                return None
        base += seconds
        if self.ms_at:
            ms = group(self.ms_at)
            if ms:
                return base + int(ms) / 1000
        frac = group(self.frac_at) if self.frac_at else None
        return base + int(frac) / 10 ** len(frac) if frac else base

    def _level(self, raw: str) -> str | None:
        level = self.levels_seen.get(raw, _UNSEEN)
        if level is _UNSEEN:
            if len(self.levels_seen) > 256:
                self.levels_seen.clear()
            level = self.levels_seen[raw] = normalize_level(raw, self.spec.levels)
        return level  # type: ignore[return-value]

    def record(self, m: re.Match, zone: Zone) -> Record | None:
        """The record a match of this format's groups says, or None if its time is not a time."""
        if _text_record is not None and self.plan is not None:
            rec = _text_record(self.plan, m, zone.cache)
            if rec is not NotImplemented:
                return rec
        return self._record_py(m, zone)

    def _record_py(self, m: re.Match, zone: Zone) -> Record | None:
        """``record``'s definition (``_records.text_record`` is held to it, and asks it when a
        minute or a level name is new)."""
        spec = self.spec
        group = m.group
        ts = ts_text = None
        if spec.layout:
            ts = self._epoch(m, zone)
            if ts is None:
                return None  # "2026-13-45 ...": not a time, so not this format
            ts_text = None if self.epoch_layout else group(self.ts_text_at)
        fields = {}
        if self.field_groups:
            for name, value in zip(self.field_names, group(*self.field_groups)):
                if value is not None:
                    fields[name] = value
        for name in spec.numbers:
            value = fields.get(name)
            if value is not None and value.isdigit():
                fields[name] = int(value)
        raw_level = group(self.level_at) if self.level_at else None
        rec = Record(spec.name, ts, self._level(raw_level) if raw_level else None,
                     (group(self.msg_at) if self.msg_at else None) or "", fields, None, None, None, None, True,
                     ts_text)
        if spec.status:
            try:
                rec.status = fields[spec.status] = int(fields[spec.status])
            except (KeyError, ValueError):
                pass
        if spec.duration:
            name, factor = spec.duration
            try:
                rec.duration = float(fields[name]) * factor
            except (KeyError, ValueError):
                pass
        if spec.service and fields.get(spec.service):
            rec.service = fields[spec.service]
        if spec.stream:
            rec.stream = (spec.name, *map(fields.get, spec.stream))
            rec.stream_msg = rec.message
            rec.opens = self.opens_at is not None and group(self.opens_at) is not None
        for fn in self.hooks:
            fn(rec, m)
        return rec


_UNSEEN = object()


TRIALS = 16  # lines of one candidate set read format by format before its alternation is compiled


class TextSet:
    """Formats tried in order with one regex: an alternation, whose first matching branch is the
    first format in order that matches (as trying them one by one would give), in one C call.

    The alternation is compiled after ``trials`` lines: until then each format is tried alone, with
    its own regex (compiled once in a process and shared by every set). Compiling a set's
    alternation costs 0.5-2.5 ms, and a search that reads a few windows meets several sets: the
    README's trace spent 11 ms (of 40 past start-up) compiling 8 of them.
    """

    __slots__ = ("specs", "formats", "regex", "_rest", "_branch", "fast", "_trials")

    def __init__(self, specs: tuple[TextFormat, ...], trials: int = 0) -> None:
        self.specs = specs
        self.regex: re.Pattern | None = None
        self.fast: tuple | None = None  # for _records.detect, once compiled
        self._rest: dict[int, TextSet] = {}
        self._trials = trials
        if trials <= 0:
            self._compile()

    def _compile(self) -> None:
        branches = []
        for i, spec in enumerate(self.specs):
            body = spec.source()
            branches.append(f"(?P<f{i}>" + _GROUP.sub(lambda m, i=i: f"(?P<f{i}_{m.group(1)}>", body) + ")")
        regex = re.compile("|".join(branches), re.S)
        self.formats = tuple(CompiledText(spec, regex, f"f{i}_") for i, spec in enumerate(self.specs))
        self._branch = {f"f{i}": i for i in range(len(self.specs))}  # the name of a match's last group -> its format
        self.fast = (regex.match, self._branch, tuple(f.plan for f in self.formats))
        self.regex = regex

    def parse(self, line: str, zone: Zone) -> Record | None:
        if self.regex is None:
            if self._trials > 0:
                self._trials -= 1
                return _one_by_one(self.specs, line, zone)
            self._compile()
        m = self.regex.match(line)  # type: ignore[union-attr]
        if m is None:
            return None
        k = self._branch[m.lastgroup]  # type: ignore[index]
        rec = self.formats[k].record(m, zone)
        if rec is not None or k + 1 == len(self.formats):
            return rec
        rest = self._rest.get(k)  # its time was not a time: the formats after it still may match
        if rest is None:
            rest = self._rest[k] = TextSet(self.specs[k + 1:])
        return rest.parse(line, zone)


_ALONE: dict[int, CompiledText] = {}  # id(spec) -> the format alone (a spec holds dicts: no hash)


def _one_by_one(specs: tuple[TextFormat, ...], line: str, zone: Zone) -> Record | None:
    """What a set's alternation reads from ``line``, format by format: the first whose regex
    matches and whose time is one."""
    for spec in specs:
        fmt = _ALONE.get(id(spec))
        if fmt is None or fmt.spec is not spec:  # (it holds its spec: an id is not reused while it lives)
            fmt = _ALONE[id(spec)] = CompiledText(spec)
        m = fmt.regex.match(line)
        if m is not None:
            rec = fmt.record(m, zone)
            if rec is not None:
                return rec
    return None


class CompiledJson:
    """A ``JsonFormat`` ready to read decoded objects."""

    __slots__ = ("spec", "name", "hooks")

    def __init__(self, spec: JsonFormat) -> None:
        self.spec = spec
        self.name = spec.name
        self.hooks = tuple(HOOKS[h] for h in spec.hooks)

    def build(self, obj: dict, flat: dict, line: str, zone: Zone) -> Record:
        spec = self.spec
        ts = ts_text = None
        for key in spec.epoch_keys:
            value = flat.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                ts = float(value)  # logstash_formatter v0: the real record time, not formatting time
                break
        if ts is None:
            for key in spec.ts_keys:
                if key in flat:
                    ts = parse_timestamp(flat[key], zone)
                    if ts is not None:
                        ts_text = flat[key] if isinstance(flat[key], str) else None
                        break
        message = next((flat[k] for k in spec.message_keys if isinstance(flat.get(k), str)), None)
        level = next((normalize_level(flat[k]) for k in spec.level_keys if k in flat), None)
        service = next((str(flat[k]) for k in spec.service_keys if isinstance(flat.get(k), str) and flat[k]), None)
        tb = None
        for key in spec.traceback_keys:
            tb = traceback_text(flat.get(key))
            if tb:
                break
        if level is None and tb:
            level = "ERROR"
        rec = Record(spec.name, ts, level, line if message is None else message, flat,
                     service.lstrip("/") if service else None, tb, ts_text=ts_text, opens=True,
                     status=registry.status(flat), duration=registry.duration(flat))
        for fn in self.hooks:
            fn(rec, None)
        return rec


class Detector:
    """The text formats a line could be, by its first character and the literals it holds.

    A format whose ``first`` characters exclude the line's first one, or whose ``contains``
    literal is not in the line, cannot match it; dropping it keeps the order of the rest, so the
    result is the same as trying every format, with far fewer regex branches. One ``TextSet`` is
    made per key on first use; it compiles its regex once it has read ``TRIALS`` lines.
    """

    def __init__(self, specs: tuple[TextFormat, ...]) -> None:
        self.specs = specs
        self.literals = tuple(sorted({s.contains for s in specs if s.contains}))
        self._sets: dict[tuple, TextSet | None] = {}
        self.fast: dict[tuple, tuple | None] = {}  # the same sets as ``_records.detect`` reads them
        # (first character, literal present?, ...) as one expression: `lit in line` for each, no call per literal
        tests = "".join(f"{lit!r} in line, " for lit in self.literals)
        self._key: Callable[[str], tuple] = eval(f"lambda line: (line[0], {tests})")

    def candidates(self, first: str, present: tuple[bool, ...]) -> tuple[TextFormat, ...]:
        have = {lit for lit, ok in zip(self.literals, present) if ok}
        return tuple(s for s in self.specs
                     if (not s.first or first in s.first) and (not s.contains or s.contains in have))

    def parse(self, line: str, zone: Zone) -> Record | None:
        key = self._key(line)
        found = self._sets.get(key, False)
        if found is False:
            specs = self.candidates(key[0], key[1:])
            found = self._sets[key] = TextSet(specs, TRIALS) if specs else None
            if found is None:
                self.fast[key] = None
        if found is None:
            return None
        rec = found.parse(line, zone)  # type: ignore[union-attr]
        if found.fast is not None and key not in self.fast:  # compiled now: C reads the key from here on
            self.fast[key] = found.fast
        return rec


DETECTOR = Detector(TEXT_FORMATS)  # a key's set compiles its regex after TRIALS of its lines
JSON: tuple[CompiledJson, ...] = tuple(CompiledJson(f) for f in JSON_FORMATS)


def _loads(line: str) -> object:
    """orjson's ``loads``, imported by the first JSON line (a text log never loads it, nor the json
    it imports); it then replaces this function, so later lines call it directly."""
    global _loads
    try:  # 4x faster on every JSON log line (pyproject: orjson); the stdlib reads the same objects
        from orjson import loads
    except ImportError:  # pragma: no cover - platforms without an orjson wheel
        from json import loads
    _loads = loads
    return loads(line)


def load_json(line: str) -> dict | None:
    """The object on a JSON line, or None (not JSON, not an object, or absurdly nested)."""
    try:
        obj = _loads(line)
    except (ValueError, RecursionError):
        import json  # only here: a run that needs no fallback never imports it

        try:  # what orjson refuses and the stdlib reads: NaN, integers past 64 bits
            obj = json.loads(line)
        except (ValueError, RecursionError):
            return None
    return obj if isinstance(obj, dict) else None


class JsonPlan:
    """How objects with one set of (flattened) keys are read: the claiming format and, for each of
    time, message, level, service, traceback, status and duration, the keys present in the order
    the definitions prefer. Lines of one JSON log share their keys, so this is worked out once and
    each line only looks at the values of the keys it has."""

    __slots__ = ("fmt", "epoch", "ts", "message", "level", "service", "tb", "status", "duration", "plan")

    def __init__(self, obj: dict, flat: dict) -> None:
        self.fmt = next(f for f in JSON if f.spec.claims(obj, flat))
        spec = self.fmt.spec
        self.epoch = tuple(k for k in spec.epoch_keys if k in flat)
        self.ts = tuple(k for k in spec.ts_keys if k in flat)
        self.message = tuple(k for k in spec.message_keys if k in flat)
        self.level = next((k for k in spec.level_keys if k in flat), None)
        self.service = tuple(k for k in spec.service_keys if k in flat)
        self.tb = tuple(k for k in spec.traceback_keys if k in flat)
        self.status = tuple(k for k in registry.STATUS_NAMES if k in flat)
        self.duration = tuple((k, f) for k, f in registry.DURATION_NAMES if k in flat)
        # what ``_records.json_record`` reads, in its order (with a cache of level names met)
        self.plan = (self.fmt.name, self.epoch, self.ts, self.message, self.level, self.service, self.tb,
                     self.status, self.duration, self.fmt.hooks, Record, {}, normalize_level, traceback_text,
                     registry.status, registry.duration)

    def build(self, flat: dict, line: str, zone: Zone) -> Record:
        """The record of one object with these keys (``_records.json_record`` is held to this
        definition, and asks it when a stamp is not ISO 8601 or its minute is new)."""
        fmt = self.fmt
        ts = ts_text = None
        for key in self.epoch:
            value = flat[key]
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                ts = float(value)  # logstash_formatter v0: the real record time, not formatting time
                break
        if ts is None:
            for key in self.ts:
                value = flat[key]
                ts = parse_timestamp(value, zone)
                if ts is not None:
                    ts_text = value if isinstance(value, str) else None
                    break
        message = None
        for key in self.message:
            value = flat[key]
            if isinstance(value, str):
                message = value
                break
        level = normalize_level(flat[self.level]) if self.level is not None else None
        service = None
        for key in self.service:
            value = flat[key]
            if isinstance(value, str) and value:
                service = value.lstrip("/")
                break
        tb = None
        for key in self.tb:
            tb = traceback_text(flat[key])
            if tb:
                break
        if level is None and tb:
            level = "ERROR"
        rec = Record(fmt.name, ts, level, line if message is None else message, flat, service, tb, ts_text=ts_text,
                     opens=True, status=registry.status(flat, self.status) if self.status else None,
                     duration=registry.duration(flat, self.duration) if self.duration else None)
        for fn in fmt.hooks:
            fn(rec, None)
        return rec


_PLANS: dict[tuple, JsonPlan] = {}


def json_record(obj: dict, line: str, zone: Zone) -> Record:
    """The record a decoded JSON object is, by the first JSON format that claims it."""
    flat = flatten(obj)
    key = (*flat, obj.get("@version"))
    plan = _PLANS.get(key)
    if plan is None:
        if len(_PLANS) > 512:
            _PLANS.clear()
        plan = _PLANS[key] = JsonPlan(obj, flat)
    if _json_record is not None:
        rec = _json_record(plan.plan, flat, line, zone.cache)
        if rec is not NotImplemented:
            return rec
    return plan.build(flat, line, zone)


def parse_json(line: str, zone: Zone) -> Record | None:
    if not line.startswith("{"):
        return None
    obj = load_json(line)
    return None if obj is None else json_record(obj, line, zone)


def _parse_text_py(line: str, zone: Zone) -> Record | None:
    return DETECTOR.parse(line, zone)


def _parse_text_c(line: str, zone: Zone) -> Record | None:
    """``DETECTOR.parse`` in one C call where it can (``_records.detect``), the rest by it."""
    rec = _detect(_FAST, _LITERALS, line, zone.cache)
    return DETECTOR.parse(line, zone) if rec is NotImplemented else rec


try:
    from devkit.logs._records import detect as _detect
except ImportError:  # pragma: no cover
    _detect = None
_FAST, _LITERALS = DETECTOR.fast, DETECTOR.literals
parse_text = _parse_text_py if _detect is None else _parse_text_c


def parse_payload(line: str, zone: Zone) -> Record | None:
    """The record this text starts (an application's own line), or None for a continuation."""
    if not line or line[0] in " \t":
        return None
    if line[0] == "{":
        rec = parse_json(line, zone)
        if rec is not None:
            return rec
    if _detect is not None:  # (parse_text, one call less on every line)
        rec = _detect(_FAST, _LITERALS, line, zone.cache)
        if rec is not NotImplemented:
            return rec
    return DETECTOR.parse(line, zone)


Parser = Callable[[str, Zone], "Record | None"]
__all__ = ["flatten", "traceback_text", "parse_payload", "parse_json", "parse_text", "json_record",
           "load_json", "JSON", "LAYOUTS"]
