"""Every format and wrapper definition's sample lines parse to what the definition says.

Adding a format is adding data plus samples (devkit/logs/formats/text.py, jsonlines.py,
devkit/logs/wrappers.py); this test picks them up without being told.
"""

import calendar
import re
from pathlib import Path

import pytest

from devkit.logs.formats.jsonlines import JSON_FORMATS
from devkit.logs.formats.text import TEXT_FORMATS
from devkit.logs.rules import Classifier
from devkit.logs.stitch import stitch
from devkit.logs.timestamps import Zone, format_utc
from devkit.logs.wrappers import WRAPPERS

REFERENCE = calendar.timegm((2026, 11, 25, 0, 0, 0))  # "now" for year-less stamps
ZONE = Zone.parse("UTC").at(REFERENCE)
FORMATS = [*TEXT_FORMATS, *JSON_FORMATS]


def _events(text: str):
    lines = [(n, line.encode()) for n, line in enumerate(text.split("\n"), 1)]
    return list(stitch(lines, "sample.log", ZONE, "sample"))


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_every_format_has_samples(fmt):
    assert fmt.samples, f"{fmt.name} needs sample lines"


@pytest.mark.parametrize("fmt,sample", [(f, s) for f in FORMATS for s in f.samples],
                         ids=lambda v: getattr(v, "name", "") or "")
def test_format_sample(fmt, sample):
    rec = Classifier(ZONE).text(sample.line.split("\n")[0])
    assert rec is not None and rec.format == fmt.name, (fmt.name, rec and rec.format)
    if sample.opens is not None:
        assert rec.opens is sample.opens
    [ev] = _events(sample.line)
    if sample.ts is not None:
        assert format_utc(ev.ts) == sample.ts
    if sample.level is not None:
        assert ev.level == sample.level
    if sample.message is not None:
        assert ev.message == sample.message
    for key, value in sample.fields.items():
        assert ev.fields.get(key) == value, key
    if sample.service is not None:
        assert ev.service == sample.service
    if sample.correlation_id is not None:
        assert ev.correlation_id == sample.correlation_id
    if sample.status is not None:
        assert ev.status == sample.status
    if sample.duration is not None:
        assert ev.duration == pytest.approx(sample.duration)
    assert bool(ev.traceback) is sample.traceback


@pytest.mark.parametrize("wrapper,sample", [(w, s) for w in WRAPPERS for s in w.samples],
                         ids=lambda v: getattr(v, "name", "") or "")
def test_wrapper_sample(wrapper, sample):
    peeled = wrapper.peel(sample.line, ZONE)
    assert peeled is not None and peeled.wrapper == wrapper.name
    if sample.ts is not None:
        assert format_utc(peeled.ts) == sample.ts
    expect = dict(sample.fields)
    for attr in ("text", "key", "partial", "service"):
        if attr in expect:
            assert getattr(peeled, attr) == expect.pop(attr), attr
    assert not expect


def test_internal_and_dash_are_not_correlation_ids():
    [ev] = _events("Internal - 2016-05-16 21:26:32,000 - log.py - tick - heartbeat")
    assert ev.fields["corrId"] == "Internal" and ev.correlation_id is None


def test_every_wrapper_has_samples():
    assert all(w.samples for w in WRAPPERS)


def test_otel_console_exporter_block_is_one_record_and_its_0x_id_is_the_plain_id():
    block = "\n".join([
        "{",
        '    "body": "charge declined",',
        '    "severity_number": "<SeverityNumber.ERROR: 17>",',
        '    "severity_text": "ERROR",',
        '    "timestamp": "2026-11-20T09:13:21.734567Z",',
        '    "trace_id": "0x5b8aa5a2d2c872e8321cf37308d69df2",',
        '    "span_id": "0x051581bf3cb55c13",',
        '    "resource": {',
        '        "attributes": {"service.name": "payments"},',
        '        "schema_url": ""',
        "    }",
        "}",
        "2026-11-20 09:13:22,000 INFO next record",
    ])
    first, second = _events(block)
    assert (first.format, first.lines, first.level, first.service) == ("otel-json", 12, "ERROR", "payments")
    assert first.message == "charge declined" and format_utc(first.ts) == "2026-11-20T09:13:21.734+00:00"
    assert first.correlation_id == "5b8aa5a2d2c872e8321cf37308d69df2"
    assert second.message == "INFO next record" or second.level == "INFO"


@pytest.mark.parametrize("definition", [d for d in (*FORMATS, *WRAPPERS) if any(re.search(r"\w{4,}", s.line) for s in d.samples)],
                         ids=lambda d: d.name)
def test_a_window_around_any_sample_line_is_the_full_reads_event(tmp_path, definition):
    """A definition's samples (multi-line records, split tracebacks) twice over, each line
    followed by an unwrapped traceback, searched for a word of every line: the window around
    each hit, read until the segmenter says its event is settled, gives the events a full read
    of the file gives."""
    from devkit.logs.match import PatternMatcher
    from devkit.logs.trace import merge, search

    traceback = ["Traceback (most recent call last):", '  File "svc/pay.py", line 7, in charge',
                 "ValueError: declined"]
    lines = [x for sample in definition.samples for ln in sample.line.split("\n") for x in (ln, *traceback)] * 2
    path = tmp_path / "sample.log"
    path.write_text("\n".join(lines) + "\n")
    full = list(merge([str(path)], zone=ZONE).events)
    words = {max(re.findall(r"\w{4,}", ln) or [""], key=len) for ln in lines} - {""}
    for word in sorted(words):
        matcher = PatternMatcher(word, fixed=True)
        fast = search([str(path)], matcher, query=word, zone=ZONE).events
        want = [e for e in full if matcher.matches(e)]
        assert [(e.line_numbers, e.text) for e in fast] == [(e.line_numbers, e.text) for e in want], word
