"""The per-record C primitives (``devkit.logs._records``) do exactly what their Python definitions do,
and the shortcuts of a full read (lazy stamp traits, wrapper tables, the detector's key) change nothing."""

import pickle
import random
from datetime import datetime, timezone

import pytest

from devkit.cli.logs.render import _plain_text_py, plain_text
from devkit.logs.event import Event
from devkit.logs.formats.engine import DETECTOR, _flatten_py, flatten
from devkit.logs.rules import Classifier
from devkit.logs.timestamps import Zone, _format_utc_py, format_utc, stamp_traits
from devkit.logs.wrappers import ALWAYS, WRAPPERS, peel

from logs_support import EXAMPLES


def test_accelerator_is_built_here():
    """CI builds it (gcc is on the machine); a laptop without a compiler uses the Python definitions."""
    try:
        from devkit.logs import _records  # noqa: F401
    except ImportError:
        from services import in_ci

        if in_ci():
            raise
        pytest.skip("devkit.logs._records was not built (no C compiler?); the pure-Python path is used")


def _outcome(fn, *args):
    try:
        return fn(*args)
    except Exception as exc:  # the same error is part of the same behaviour
        return type(exc)


def test_format_utc_is_its_definition_and_datetime():
    rng = random.Random(11)
    values = [rng.uniform(0, 4e9) for _ in range(50000)]
    values += [1795132800 + j / 1e6 for j in range(0, 2_000_000, 997)]  # one second after another, as a log is
    values += [1795132800.9999995, 1795132800.0000005, 0.0, 1e-7, 0.9999999, 951782400.5, 951868799.9996,
               253402300798.9999, 253402300798.9999996, 5, True]
    for ts in values:
        want = datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds")
        assert format_utc(ts) == _format_utc_py(ts) == want, ts
    for odd in (None, -1.5, -0.0004, 253402300799.5, float("nan"), float("inf"), 1e20, "x"):
        assert _outcome(format_utc, odd) == _outcome(_format_utc_py, odd), odd


def _random_object(rng: random.Random, depth: int = 0) -> dict:
    keys = ["a", "log", "level", "@fields", "é", "x.y", "", "trace", 7, (1, 2)]
    obj: dict = {}
    for _ in range(rng.randrange(0, 6)):
        key = rng.choice(keys)
        kind = rng.random()
        if kind < 0.3 and depth < 4:
            obj[key] = _random_object(rng, depth + 1)
        elif kind < 0.4:
            obj[key] = {}
        elif kind < 0.5:
            obj[key] = [{"in": "list"}, 1]
        else:
            obj[key] = rng.choice([1, 2.5, None, True, "text", ""])
    return obj


def test_flatten_is_its_definition():
    rng = random.Random(5)
    for _ in range(20000):
        obj = _random_object(rng)
        assert list(flatten(obj).items()) == list(_flatten_py(obj).items()), obj
    for path in EXAMPLES.rglob("*.log"):
        for line in path.read_text("utf-8", "replace").splitlines():
            if line.startswith("{"):
                import json

                try:
                    obj = json.loads(line)
                except ValueError:
                    continue
                if isinstance(obj, dict):
                    assert list(flatten(obj).items()) == list(_flatten_py(obj).items())
    deep = inner = {}
    for _ in range(5000):
        inner["k"] = {"v": 1}
        inner = inner["k"]
    assert _outcome(flatten, deep) is _outcome(_flatten_py, deep) is RecursionError


_ANY = list("abc XYZ019-:\n\t\r\x1b\x7f\x85\u061c\u200e\u202a\u202e\u202f\u2066\u2069\u206a\u2028\ufff9\ufffb"
            "\ufffc\u00e9\u4e2d\U0001f600")
_SAFE = list("abc XYZ019-:\n\t\u00e9\u4e2d\U0001f600\u202f\u206a\ufffc\u061b")


@pytest.mark.parametrize("alphabet", [_ANY, _SAFE], ids=["controls", "safe"])
def test_plain_text_is_its_definition(alphabet):
    """Every event: what C writes is what the Python definition writes; the rest is left to it."""
    from devkit.logs._records import render_plain

    rng = random.Random(len(alphabet))

    def text() -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 30)))

    written = 0
    for _ in range(30000):
        ts = rng.choice([None, rng.uniform(0, 4e9), 1795132800.9999995, -1.0, float("nan"), 253402300799.5, 7])
        ev = Event("s", [1], [b""], "text", ts, rng.choice([None, "", "INFO", text()]),
                   rng.choice([None, "", "orders", text()]), text(),
                   rng.choice([None, "", text(), "Traceback (most recent call last):\n  File x\nValueError: boom"]))
        assert _outcome(plain_text, ev) == _outcome(_plain_text_py, ev), (ev.ts, ev.service, ev.level, ev.message,
                                                                          ev.traceback)
        written += render_plain(ev.ts, ev.service, ev.level, ev.message, ev.traceback) is not None
    assert written > (10000 if alphabet is _SAFE else 0)  # the usual event is C's


class _Text(str):
    pass


class _Count(int):
    pass


class _Ratio(float):
    pass


def _random_json(rng: random.Random, alphabet: list[str], depth: int = 0) -> object:
    """What an event's JSON holds (and a little it never does, which C leaves to the stdlib)."""
    def text() -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 25)))

    kind = rng.random()
    if kind < 0.15 and depth < 5:
        return {rng.choice([text(), text(), "message", "é", _Text("sub")]) if rng.random() < 0.97
                else rng.choice([1, 2.5, None, True, (1, 2)]): _random_json(rng, alphabet, depth + 1)
                for _ in range(rng.randrange(0, 6))}
    if kind < 0.25 and depth < 5:
        items = [_random_json(rng, alphabet, depth + 1) for _ in range(rng.randrange(0, 5))]
        return tuple(items) if rng.random() < 0.2 else items
    return rng.choice([
        text(), text(), text(), "", None, True, False, 0, -1, rng.randrange(-10**12, 10**12), 2**63 - 1, -2**63,
        2**64, -2**70, rng.uniform(-1e6, 1e6), 1e16, 1e-7, -0.0, 0.1, float("nan"), float("inf"), float("-inf"),
        _Text("a \x85 str subclass"), _Count(7), _Ratio(0.5), datetime(2026, 11, 20, tzinfo=timezone.utc),
        b"bytes", {"set"} if rng.random() < 0.1 else "x",
    ])


@pytest.mark.parametrize("alphabet", [_ANY, _SAFE + ['"', "\\", "\b", "\f", "\x00", "\x1f", "/"]],
                         ids=["controls", "escapes"])
def test_dump_json_is_its_definition(alphabet):
    """``dumps`` in C writes exactly what the stdlib encoder and ``inert_json`` write, or leaves it to them."""
    from devkit.cli.logs.render import _dumps_py, dumps

    dump_json = pytest.importorskip("devkit.logs._records", reason="not built here (no C compiler?): "
                                    "test_accelerator_is_built_here fails in CI").dump_json
    rng = random.Random(len(alphabet))
    written = 0
    for _ in range(20000):
        obj = _random_json(rng, alphabet)
        want = _outcome(_dumps_py, obj)
        assert _outcome(dumps, obj) == want, obj
        text = dump_json(obj)
        if text is not NotImplemented:
            assert text == want, obj
            # the same string inside too: its width (an ASCII string holding é would write bad UTF-8)
            assert text.isascii() == want.isascii(), obj
            assert text.encode("utf-8", "surrogatepass") == want.encode("utf-8", "surrogatepass"), obj
            written += 1
    assert written > 12000  # the usual value is C's
    # past the first buffer, in each width, widened early and late
    for big in (["x" * 20000], ["é\x85" * 9000, "中"], ["中"] + ["é" * 700] * 40, {"k" * 9000: ["\u2028" * 3000, 1.5]}):
        assert dump_json(big) == _dumps_py(big)
        assert dump_json(big).encode("utf-8") == _dumps_py(big).encode("utf-8")
    deep: list = []
    for _ in range(200):
        deep = [deep]
    assert dump_json(deep) is NotImplemented and dumps(deep) == _dumps_py(deep)
    circular: list = []
    circular.append(circular)
    assert _outcome(dumps, circular) is ValueError


def test_json_lines_of_the_examples_are_the_stdlib_s():
    """Every example event as ``--json`` writes it: C and the stdlib agree on real events."""
    from devkit.cli.logs.render import _dumps_py, json_text
    from devkit.logs.sources import expand_paths, iter_lines
    from devkit.logs.scan import stitch_source

    n = 0
    for path in sorted(EXAMPLES.rglob("*.log")):
        (src,) = expand_paths([str(path)], [])
        for ev in stitch_source(src, Zone(None), iter_lines(src, [])):
            assert json_text(ev) == (_dumps_py(ev.to_json()) + "\n", -1)
            n += 1
    assert n > 100


def test_stamp_traits_are_worked_out_when_asked():
    for stamp in ("2026-11-20 09:14:03,120", "20/Nov/2026:09:14:03 +0000", "2026-11-20T09:14:03.120456Z", "", None):
        ev = Event("s", [1], [b""], "text", 1.0)
        ev.stamp_from(stamp)
        again = pickle.loads(pickle.dumps(ev))  # events cross process boundaries before anyone asks
        want = stamp_traits(stamp)
        assert (ev.ts_naive, ev.ts_resolution) == (again.ts_naive, again.ts_resolution) == want
        ev = Event("s", [1], [b""], "text", 1.0)
        ev.stamp_from(stamp)
        ev.ts_naive = True  # one trait set, the other still the stamp's
        assert (ev.ts_naive, ev.ts_resolution) == (True, want[1])


def test_an_event_is_pickled_slot_for_slot():
    """Events cross processes (a streamed search's shares, gathered results): every slot comes
    back, a normalised ``None`` stays ``None`` and what is not normalised yet stays owed."""
    from devkit.logs.event import _UNSET

    ev = Event("a.log", [3, 5], [b"x", b"y"], "oslo", 1.5, "ERROR", "svc", "m", "tb", {"request_id": "r-1"}, 2,
               True, None, 503, 0.25, True, 0.001, "cri", "2026-11-20 09:14:03.120")
    again = pickle.loads(pickle.dumps(ev, pickle.HIGHEST_PROTOCOL))
    assert [getattr(again, name) for name in Event.__slots__] == [getattr(ev, name) for name in Event.__slots__]
    assert again._correlation_id is _UNSET and again.correlation_id == "r-1"
    ev.correlation_id = None
    assert pickle.loads(pickle.dumps(ev)).correlation_id is None


def test_a_classifier_peels_what_peel_does():
    zone = Zone(timezone.utc)
    lines = [s.line for w in WRAPPERS for s in w.samples]
    for path in EXAMPLES.rglob("*.log"):
        lines += path.read_text("utf-8", "replace").splitlines()
    cls = Classifier(zone, ALWAYS)
    for line in lines:
        assert peel(line, zone, ALWAYS, cls._peelers) == peel(line, zone, ALWAYS), line


def test_the_detector_key_is_first_character_and_literals():
    for path in EXAMPLES.rglob("*.log"):
        for line in path.read_text("utf-8", "replace").splitlines():
            if line:
                assert DETECTOR._key(line) == (line[0], *(lit in line for lit in DETECTOR.literals))


def _variants(line: str, rng: random.Random) -> list[str]:
    """A sample line and neighbours a log holds: other minutes and seconds, fractions of every
    length, odd seconds, unknown level names, non-ASCII digits, missing parts."""
    out = [line]
    for _ in range(30):
        chars = list(line)
        for _ in range(rng.randint(1, 3)):
            digits = [i for i, c in enumerate(chars) if c.isdigit()]
            if not digits:
                break
            i = rng.choice(digits)
            chars[i] = rng.choice("0123456789" * 4 + "٣")  # an Arabic-Indic digit now and then
        out.append("".join(chars))
    for level, other in (("INFO", "NOTE"), ("ERROR", "Oops"), ("INFO", "info"), ("WARNING", "W")):
        out.append(line.replace(level, other, 1))
    out += [line.replace(":00.", ":61.", 1), line.replace(":00.", ":00.123456789012345678", 1),
            line.replace(".000", "", 1), line.replace(" 200 ", " 2_00 ", 1), line.replace(" 200 ", " x ", 1)]
    return out


def test_text_record_is_its_definition():
    """Every text format's record from C is ``_record_py``'s, field for field, on its samples and
    their neighbours: on a new minute or level the C asks Python, which fills the caches it reads."""
    from devkit.logs.formats.engine import CompiledText, _text_record
    from devkit.logs.formats.text import TEXT_FORMATS

    if _text_record is None:
        pytest.skip("devkit.logs._records was not built: the Python definition is what runs")
    rng = random.Random(5)
    answered = 0
    for spec in TEXT_FORMATS:
        fmt = CompiledText(spec)
        lines = [v for sample in spec.samples for v in _variants(sample.line.split("\n")[0], rng)]
        for utc in (True, False):
            zone = Zone.parse("UTC" if utc else "+05:30").at(1795132800.0)
            for line in lines:
                m = fmt.regex.match(line)
                if m is None:
                    continue
                want = _outcome(fmt._record_py, m, Zone.parse("UTC" if utc else "+05:30").at(1795132800.0))
                first = _outcome(fmt.record, m, zone)  # may be Python's answer, filling the caches
                again = _text_record(fmt.plan, m, zone.cache) if fmt.plan is not None else NotImplemented
                answered += again is not NotImplemented
                assert first == want, (spec.name, line)
                assert again is NotImplemented or again == want, (spec.name, line)
    assert answered > 1000  # the C answered most lines itself (a test of it, not of the fallback)


def test_detect_is_the_detectors_parse():
    """A text line read by ``_records.detect`` is the record ``Detector.parse`` gives (formats
    tried in order, a time that is not one passing the line on to the next format); where C has
    no answer, it says so and the definition runs."""
    from devkit.logs.formats import engine
    from devkit.logs.formats.text import TEXT_FORMATS

    if engine._detect is None:
        pytest.skip("devkit.logs._records was not built: the Python definition is what runs")
    rng = random.Random(23)
    lines = [v for spec in TEXT_FORMATS for sample in spec.samples for v in _variants(sample.line.split("\n")[0], rng)]
    lines += [ln for path in sorted(EXAMPLES.rglob("*.log")) for ln in path.read_text("utf-8", "replace").splitlines()]
    lines += ["", " x", "é", "2026-11-20", "\x00", "[x] y", "<14>1 t h a p m - x"]
    answered = 0
    for utc in (True, False):
        for line in lines:
            zone = Zone.parse("UTC" if utc else "+05:30").at(1795132800.0)
            want = _outcome(engine._parse_text_py, line, Zone.parse("UTC" if utc else "+05:30").at(1795132800.0))
            assert _outcome(engine.parse_text, line, zone) == want, line
            again = engine._detect(engine._FAST, engine._LITERALS, line, zone.cache)  # the caches are warm now
            answered += again is not NotImplemented
            assert again is NotImplemented or again == want, line
    assert answered > len(lines)  # C answered most lines itself
    # a first format whose time is not one passes the line on to the next one (no built-in pair does)
    from devkit.logs.formats.spec import TextFormat

    pair = engine.TextSet((TextFormat("stamped", r"{ts} (?P<msg>.*)"), TextFormat("any", r"(?P<msg>.*)", layout=None)))
    line = "2026-11-20T09:00:61Z late"  # a 61st second
    zone = Zone.parse("UTC")
    assert pair.parse(line, zone).format == "any"
    assert engine._detect({("2",): pair.fast}, (), line, zone.cache) is NotImplemented


def test_a_set_read_format_by_format_is_its_alternation():
    """Before a candidate set's alternation is compiled (its first ``TRIALS`` lines), its formats
    are tried one by one: every line reads as the compiled alternation reads it, and C is only
    handed the set once it is compiled."""
    from devkit.logs.formats import engine
    from devkit.logs.formats.spec import TextFormat
    from devkit.logs.formats.text import TEXT_FORMATS

    rng = random.Random(29)
    lines = [v for spec in TEXT_FORMATS for sample in spec.samples for v in _variants(sample.line.split("\n")[0], rng)]
    lines += [ln for path in sorted(EXAMPLES.rglob("*.log")) for ln in path.read_text("utf-8", "replace").splitlines()]
    detector = engine.Detector(TEXT_FORMATS)
    by_key: dict[tuple, list[str]] = {}
    for line in lines:
        if line and line[0] not in " \t{":
            by_key.setdefault(detector._key(line), []).append(line)
    compared = 0
    for key, group in by_key.items():
        specs = detector.candidates(key[0], key[1:])
        if not specs:
            continue
        compiled, tried = engine.TextSet(specs), engine.TextSet(specs, trials=len(group) * 2)
        for tz in ("UTC", "+05:30"):
            for line in group:
                zone = Zone.parse(tz).at(1795132800.0)
                assert _outcome(tried.parse, line, zone) == _outcome(compiled.parse, line, zone), line
                compared += 1
        assert tried.regex is None and compiled.regex is not None
    assert compared > 2000
    pair = (TextFormat("stamped", r"{ts} (?P<msg>.*)"), TextFormat("any", r"(?P<msg>.*)", layout=None))
    assert engine.TextSet(pair, trials=1).parse("2026-11-20T09:00:61Z late", Zone.parse("UTC")).format == "any"
    # the detector hands a key to C once its set is compiled, not before
    line = "2026-11-20 09:14:03.120 31 ERROR scheduler.manager [req-1 - - - - -] failed"
    key = detector._key(line)
    zone = Zone.parse("UTC")
    for _ in range(engine.TRIALS + 1):  # the last of these compiles it
        assert key not in detector.fast
        rec = detector.parse(line, zone)
    assert key in detector.fast and rec.format == "oslo"
    if engine._detect is not None:  # (the zone's cache holds the line's minute now)
        assert engine._detect(detector.fast, detector.literals, line, zone.cache) == rec


def test_a_record_from_c_is_the_one_its_init_makes(monkeypatch):
    """The C builders fill a Record's slots without calling ``Record.__init__``: what they make is
    what ``__init__`` would have made from the same arguments (its defaults included)."""
    from devkit.logs.formats import engine
    from devkit.logs.formats.record import Record

    if engine._text_record is None:
        pytest.skip("devkit.logs._records was not built: the Python definition is what runs")
    zone = Zone.parse("UTC")
    lines = ["2026-11-20 09:14:03.120 31 ERROR scheduler.manager [req-1 - - - - -] failed",
             "f94b8e724c3e1aa28236a4340482473b - 2026-11-20 09:14:03,120 - log.py - f - hello",
             '{"message": "m", "@timestamp": "2026-11-20T09:14:03.120Z", "level": "error", "status": 502}']
    want = [engine.parse_payload(line, zone) for line in lines]  # (fills the minute cache)
    calls = []
    real_init = Record.__init__
    monkeypatch.setattr(Record, "__init__", lambda self, *a, **k: calls.append(a) or real_init(self, *a, **k))
    got = [engine.parse_payload(line, zone) for line in lines]
    assert calls == [] and all(type(r) is Record for r in got)
    assert got == want and all(isinstance(r.fields, dict) for r in got)
    assert [(r.partial, r.block, r.frame, r.wrapper) for r in got] == [(False, False, None, None)] * 3


def test_an_event_from_c_is_the_definitions():
    """``stitch._event_of`` (C) makes the event ``_event_of_py`` makes, slot for slot, from the
    records of every sample and example line, wrapped or not, with and without a service."""
    from devkit.logs import stitch
    from devkit.logs.formats.jsonlines import JSON_FORMATS
    from devkit.logs.formats.text import TEXT_FORMATS

    if stitch._event_of is stitch._event_of_py:
        pytest.skip("devkit.logs._records was not built: the Python definition is what runs")
    cls = Classifier(Zone.parse("UTC"), ALWAYS + tuple(w for w in WRAPPERS if w.ambiguous))
    lines = [ln for d in (*TEXT_FORMATS, *JSON_FORMATS, *WRAPPERS) for smp in d.samples for ln in smp.line.split("\n")]
    lines += [ln for path in sorted(EXAMPLES.rglob("*.log")) for ln in path.read_text("utf-8", "replace").splitlines()]
    records = [r for r in map(cls.text, lines) if r is not None]
    records[0].service, records[1].ts_text, records[2].fields = "", "", None  # odd values __init__ handles too
    records[3].ts, records[3].ts_text = None, "2026-11-20"  # a stamp without a time: no stamp
    assert len(records) > 500
    for rec in records:
        for service in (None, "svc"):
            args = (rec, "a.log", [7], [b"raw"], service, 3)
            got, want = stitch._event_of(*args), stitch._event_of_py(*args)
            assert [getattr(got, n) for n in Event.__slots__] == [getattr(want, n) for n in Event.__slots__], rec


def test_timegm_is_the_calendar_modules():
    """timestamps.timegm stands in for calendar.timegm (which imports locale at start-up)."""
    import calendar

    from devkit.logs.timestamps import timegm

    rng = random.Random(3)
    parts = [(rng.randint(1, 9999), rng.randint(1, 12), rng.randint(1, 31), rng.randint(0, 23), rng.randint(0, 59),
              rng.randint(0, 61)) for _ in range(100_000)]
    parts += [(1970, 1, 1, 0, 0, 0), (2024, 2, 29, 23, 59, 60), (2026, 2, 31, 0, 0, 0), (1, 1, 1, 0, 0, 0)]
    for p in parts:
        assert _outcome(timegm, p) == _outcome(calendar.timegm, p), p
    assert _outcome(timegm, (2026, 13, 1, 0, 0, 0)) is ValueError


_STAMPS = ["2026-11-20T09:14:03Z", "2026-11-20 09:14:03", "2026-11-20T09:14:03.1+02:00", "2026-11-20T09:14:03,25-0530",
           "2026-11-20T09:14:03.123456789012Z", "2026-11-20T09:14:03 Z", "2026-11-20T09:14:03\t+01:00",
           "2026-11-20T09:14:03+02:0", "2026-11-20T09:14:03+2", "2026-11-20T09:14:03.", "2026-11-20T09:14:60.5Z",
           "2026-11-20T09:14:61Z", "2026-11-20T09:14:99", "2026-13-20T09:14:03Z", "2026-11-20T25:14:03Z",
           "2026-11-٢0T09:14:03Z", "2026-11-20T09:14:03Zjunk", "20/Nov/2026:09:14:03 +0000", "Nov 20 09:14:03",
           "2026-11-20T09:14:03z", "2026-11-20T09:14:03.5Z ✓", "1795165443.5", "garbage", "", 1795165443,
           1795165443512, 1795165443.25, True, None, ["2026-11-20"]]
_VALUES = ["", "info", "WARN", "Error", " error ", "W", "x", 20, 40.0, 30.5, 0, 1, True, False, None, [], [1], {},
           "/orders", "//", "svc", ["Traceback (most recent call last):\n", '  File "a.py"\n', "KeyError: 1\n"],
           "Traceback (most recent call last):\nKeyError: 1\n", "\n", 503, "503", 99, 12.5, -1, 10 ** 30]


def test_json_record_is_its_definition():
    """Every JSON format's record from C is ``JsonPlan.build``'s, field for field, on its samples
    with their time, message, level, service, traceback, status and duration values swapped for
    what logs hold (and what they should not): C asks Python on a new minute, which fills the cache."""
    from devkit.logs import fields as registry
    from devkit.logs.formats.engine import JsonPlan, _json_record, json_record, load_json
    from devkit.logs.formats.jsonlines import JSON_FORMATS

    if _json_record is None:
        pytest.skip("devkit.logs._records was not built: the Python definition is what runs")
    rng = random.Random(7)
    answered = compared = 0
    zones = {tz: Zone.parse(tz) for tz in ("UTC", "+05:30")}  # their caches fill as the lines come
    for spec in JSON_FORMATS:
        keys = {*spec.epoch_keys, *spec.ts_keys, *spec.message_keys, *spec.level_keys, *spec.service_keys,
                *spec.traceback_keys, *registry.STATUS_NAMES, *(k for k, _ in registry.DURATION_NAMES)}
        for sample in spec.samples:
            line = sample.line.split("\n")[0]
            obj = load_json(line)
            if obj is None:
                continue
            for i in range(300):
                variant = dict(obj)
                for key in rng.sample(sorted(keys), rng.randint(1, 4)) if i else ():
                    if key in spec.ts_keys or key in spec.epoch_keys:
                        frac = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 10)))
                        stamp = f"2026-11-20T09:{rng.choice(('14', '15'))}:{rng.randint(0, 59):02}.{frac}"
                        variant[key] = rng.choice([*_STAMPS, *(stamp + tz for tz in ("Z", "", "+02:00", "-0130"))])
                    else:
                        variant[key] = rng.choice(_VALUES + _STAMPS[:3])
                flat = flatten(variant)
                plan = JsonPlan(variant, flat)
                for tz, zone in zones.items():
                    want = _outcome(plan.build, flatten(variant), line, Zone.parse(tz))
                    first = _outcome(json_record, variant, line, zone)  # Python's answer on a new minute
                    again = _outcome(_json_record, plan.plan, flatten(variant), line, zone.cache)
                    compared += 1
                    answered += again is not NotImplemented
                    assert first == want, (spec.name, variant)
                    assert again is NotImplemented or again == want, (spec.name, variant)
    assert answered > compared // 2  # the C answered most records itself (a test of it, not of the fallback)


_TAIL_BITS = ["a", "k", "_x", "9", "=", '"', "\\", " ", "\t", "\n", "\x1c", ".", "-", "é", "rt=", "msec=", "corr=",
              "request_id=", "remote_addr=", "0.420", "1234", "12.5.6", "1795165443.512", "١٢", "deadbeefdeadbeef12",
              "2a296dd2-a3af-0c3c-51c1-81576e7af54a", '"x y"', '"a\\"b"', '"open', "k=v", "a.b-c=", "=x", '""']


def _tail_record(rng: random.Random, tail: str):
    from devkit.logs.formats.record import Record

    fields = {"remote_addr": rng.choice(["10.0.0.1", "-", 7]), "request": "GET /api/orders HTTP/1.1",
              "body_bytes_sent": rng.choice(["512", 512, None])}
    if rng.random() < 0.9:
        fields["rest"] = rng.choice([tail, tail, tail, tail, None, "", 0])
    else:
        fields.pop("request")
    if rng.random() < 0.2:
        fields["msec"] = rng.choice(["1795165443.512", "17951.654.43", "x", "١٢", 5])
    if rng.random() < 0.2:
        fields["request_id"] = "known"
    status = rng.choice([None, 200, 404, 503, 10 ** 30, -10 ** 30, "500", True, 499.5])
    return Record("access", 1795165443.0, rng.choice([None, None, "DEBUG"]), "m", fields, status=status,
                  duration=rng.choice([None, None, 0.5]), ts_text="20/Nov/2026:09:14:03 +0000")


def test_the_busiest_hooks_are_their_definitions():
    """access-tail, level-from-status, structlog-extras and oslo-context in C leave each record exactly
    as their Python definitions do (fields in the same order), on access-log tails made of what such
    tails hold: pairs, quotes and escapes, bare durations and IDs, odd white space, text past ASCII."""
    import copy

    from devkit.logs.formats import hooks
    from devkit.logs.formats.record import Record

    if hooks.HOOKS["access-tail"] is hooks._access_tail_py:
        pytest.skip("devkit.logs._records was not built: the Python definitions are what runs")
    rng = random.Random(13)
    pairs = [(hooks.HOOKS["access-tail"], hooks._access_tail_py),
             (hooks.HOOKS["level-from-status"], hooks._level_from_status_py)]
    tails = ['k="a\\\nb" c', 'k="a\\"b" c', "x 9k=v5 y", '""', 'a="', 'a=""', "   rt=0.5  ", "k=v\x1cw",
             "1234 0.5 deadbeefdeadbeef12", '"0.25" "deadbeefdeadbeef"', "é=1 k=é", "corr=x=y"]
    tails += ["".join(rng.choice(_TAIL_BITS) for _ in range(rng.randint(0, 12))) for _ in range(30000)]
    for i, tail in enumerate(tails):
        rec = _tail_record(rng, tail)
        if i < 12:  # the tricky ones, whatever the draw
            rec.fields["rest"] = tail
        for fast, slow in pairs:
            a, b = copy.deepcopy(rec), copy.deepcopy(rec)
            assert _outcome(fast, a, None) == _outcome(slow, b, None), (fast, tail)
            assert a == b and list(a.fields.items()) == list(b.fields.items()), (fast, tail, rec.fields)
    values = ["text", 7, 2.5, None, True, {"a": 1}, [1], (1, 2), "é", ""]
    for _ in range(5000):
        keys = rng.sample(["event", "level", "order_id", "a.b", "amount", "psp", "é", "request_id", "x"], rng.randint(0, 6))
        rec = Record("structlog", None, None, rng.choice(["charge", "", "a b"]), {k: rng.choice(values) for k in keys})
        a, b = copy.deepcopy(rec), copy.deepcopy(rec)
        assert _outcome(hooks.HOOKS["structlog-extras"], a, None) == _outcome(hooks._structlog_extras_py, b, None)
        assert a == b, rec.fields
    ctx_bits = ["req-", "a1b2", " ", "\t", "-", "user", "tenant", "\u2003", "x"]
    for _ in range(5000):
        ctx = rng.choice(["".join(rng.choice(ctx_bits) for _ in range(rng.randint(0, 8))), None, 5])
        fields = {"ctx": ctx} if rng.random() < 0.9 else {}
        rec = Record("oslo", None, None, "m", fields)
        a, b = copy.deepcopy(rec), copy.deepcopy(rec)
        fast = _outcome(hooks.HOOKS["oslo-context"], a, None)
        assert fast == _outcome(hooks._oslo_context_py, b, None), ctx
        assert a == b and list(a.fields.items()) == list(b.fields.items()), ctx


def test_a_wrappers_stamp_is_read_as_an_iso_one():
    """The wrappers' RFC 3339 stamps (docker, CRI, syslog) take the minute cache of JSON stamps, in C."""
    from devkit.logs import wrappers
    from devkit.logs.timestamps import ISO_PATTERN, iso_cached

    if wrappers._iso_epoch is None:
        pytest.skip("devkit.logs._records was not built: the Python definition is what runs")
    import re

    iso = re.compile(ISO_PATTERN)
    rng = random.Random(17)
    stamps = [s for s in _STAMPS if isinstance(s, str)]
    for _ in range(20000):
        frac = "".join(rng.choice("0123456789") for _ in range(rng.randint(0, 11)))
        stamps.append(f"2026-11-{rng.randint(1, 31):02}T{rng.randint(0, 24):02}:{rng.randint(0, 59):02}:"
                      f"{rng.randint(0, 61):02}{'.' + frac if frac else ''}{rng.choice(['Z', '', '+02:00', ' -0130'])}")
    answered = 0
    for tz in ("UTC", "+05:30", "Europe/Warsaw"):
        zone = Zone.parse(tz)
        for stamp in stamps:
            m = iso.match(stamp)
            want = None if m is None else iso_cached(m, Zone.parse(tz))
            assert wrappers._iso(stamp, zone) == want, stamp  # (Python's answer on a new minute)
            again = wrappers._iso_epoch(stamp, zone.cache)
            answered += again is not NotImplemented
            assert again is NotImplemented or again == want, stamp
    assert answered > len(stamps)


def test_a_syslog_line_is_cut_as_the_regex_cuts_it():
    """RFC 5424 lines (logspout) are cut in C exactly where ``_RFC5424``'s groups are, or given back to it."""
    from devkit.logs import wrappers

    if wrappers._rfc5424_parts is None:
        pytest.skip("devkit.logs._records was not built: the regex is what runs")
    bits = ["<", ">", "1", " ", "14", "<14>1 ", "-", "[", "]", "\\", '"', "a", "x=1", "é", "\u2003", "\t", "\n",
            "2026-11-20T00:00:00.338Z", "host", "/app", "٣", "[id k=\"v\"]", "[a\\]b]", "msg"]
    rng = random.Random(19)
    lines = ["<14>1 2026-11-20T00:00:00.338Z h /a 1 - - m", "<14>1 t h a p m [x][y] z", "<14>1 t h a p m -z",
             "<14>1 t h a p m [x", "<٣>1 t h a p m - x", "<1234>1 t h a p m - x", "<>1 t h a p m - x", "<14>1 t h a p m "]
    lines += ["<" + "".join(rng.choice(bits) for _ in range(rng.randint(0, 14))) for _ in range(40000)]
    lines += ["<14>1 " + " ".join(rng.choice(bits) for _ in range(rng.randint(4, 9))) for _ in range(40000)]
    for _ in range(20000):  # odd white space between the header's fields
        fields = [rng.choice(["t", "h", "/a", "12", "-", "é"]) for _ in range(6)] + ["m"]
        lines.append("<14>1" + "".join(rng.choice(["  ", "\t", "\u2003", " ", " ", " "]) + f for f in fields))
    answered = 0
    for line in lines:
        m = wrappers._RFC5424.match(line)
        got = wrappers._rfc5424_parts(line)
        answered += got is not None and got is not NotImplemented
        assert got is NotImplemented or got == (None if m is None else m.groups()), line
    assert answered > 1000
