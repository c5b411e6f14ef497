"""Each log format devkit reads, one line at a time (layouts from shared/reference/formats.md)."""

import json

import pytest

from devkit.logs.formats import parse_line
from devkit.logs.timestamps import Zone, format_utc

UTC = Zone.parse("UTC")


def parse(line: str, zone: Zone = UTC):
    rec = parse_line(line, zone)
    assert rec is not None, line
    return rec


def test_corrid_first_python_logging():
    rec = parse("123456 - 2016-05-16 21:26:31,448 - log.py - process_request - corrID 123456 extracted")
    assert rec.format == "python-corrid"
    assert format_utc(rec.ts) == "2016-05-16T21:26:31.448+00:00"
    assert rec.fields == {"corrId": "123456", "filename": "log.py", "funcName": "process_request"}
    assert rec.message == "corrID 123456 extracted"


@pytest.mark.parametrize(
    "line, level, message",
    [
        ("2009-07-20 22:59:27,672:DEBUG:Hello", "DEBUG", "Hello"),
        ("2026-11-20 09:14:03,412 INFO [orders] order placed", "INFO", "[orders] order placed"),
        ("2026-11-20T09:14:03.412Z ERROR something broke", "ERROR", "something broke"),
        ("[2026-11-20 09:14:03,412] WARNING retrying", "WARNING", "retrying"),
    ],
)
def test_timestamp_first_variants(line, level, message):
    rec = parse(line)
    assert rec.format == "timestamped"
    assert rec.level == level
    assert rec.message == message


def test_naive_timestamps_follow_the_zone_and_offsets_are_honoured():
    warsaw = Zone.parse("Europe/Warsaw")
    assert format_utc(parse("2026-11-20 10:00:00,000 INFO x", warsaw).ts) == "2026-11-20T09:00:00.000+00:00"
    assert format_utc(parse("2026-07-20 10:00:00,000 INFO x", warsaw).ts) == "2026-07-20T08:00:00.000+00:00"
    assert format_utc(parse("2026-11-20T10:00:00.250+02:00 INFO x", warsaw).ts) == "2026-11-20T08:00:00.250+00:00"
    assert format_utc(parse("2026-11-20 10:00:00,000 INFO x", Zone.parse("-05:00")).ts) == "2026-11-20T15:00:00.000+00:00"


def test_logstash_formatter_v0_uses_created_and_fields_exception():
    line = json.dumps({
        "@message": "Payment failed", "@timestamp": "2026-11-20T09:14:05.000000Z", "@source_host": "orders-1",
        "@fields": {"levelname": "ERROR", "name": "orders", "created": 1763630044.5, "corrId": "abc",
                    "exception": ["Traceback (most recent call last):\n", "  File \"x.py\", line 1, in f\n",
                                  "ValueError: boom\n"]},
    })
    rec = parse(line)
    assert rec.format == "logstash-v0"
    assert rec.ts == 1763630044.5  # the record time, not the formatting time
    assert rec.level == "ERROR"
    assert rec.traceback == 'Traceback (most recent call last):\n  File "x.py", line 1, in f\nValueError: boom'
    assert rec.fields["@fields.corrId"] == "abc"


def test_logstash_formatter_v1_is_flat():
    rec = parse(json.dumps({"@timestamp": "2026-11-20T09:14:05.123Z", "@version": 1, "source_host": "h",
                            "message": "hi", "levelname": "WARNING", "corrId": "abc",
                            "exception": ["Traceback (most recent call last):\n", "KeyError: 'x'\n"]}))
    assert (rec.format, rec.level, rec.message) == ("logstash-v1", "WARNING", "hi")
    assert format_utc(rec.ts) == "2026-11-20T09:14:05.123+00:00"
    assert rec.traceback.endswith("KeyError: 'x'")


def test_python_json_logger_exc_info_and_structlog_and_ecs():
    pjl = parse(json.dumps({"message": "boom", "timestamp": "2026-11-20T09:14:05.123456+00:00",
                            "levelname": "ERROR", "request_id": "r1", "exc_info": "Traceback (most recent call last):\nValueError: x"}))
    assert pjl.traceback == "Traceback (most recent call last):\nValueError: x"
    sl = parse(json.dumps({"event": "charge_failed", "level": "error", "timestamp": "2026-11-20T09:14:05.5Z",
                           "request_id": "r1", "exception": "Traceback (most recent call last):\nKeyError: 1"}))
    assert (sl.format, sl.level, sl.message) == ("structlog", "ERROR", "charge_failed")
    ecs = parse(json.dumps({"@timestamp": "2026-11-20T09:14:05.5Z", "message": "db down",
                            "log": {"level": "error"}, "ecs": {"version": "8.11"}, "trace": {"id": "t1"},
                            "service": {"name": "search"}, "error": {"stack_trace": "java.lang.Boom\n\tat x.y(Z.java:1)"}}))
    assert (ecs.format, ecs.level, ecs.service) == ("ecs", "ERROR", "search")
    assert ecs.fields["trace.id"] == "t1"
    assert ecs.traceback.startswith("java.lang.Boom")


def test_rfc5424_logspout_with_python_text_inside():
    rec = parse("<14>1 2017-03-01T12:00:01.250Z 3c9a3e1b2f0d /web-app 4242 - - "
                "abc - 2017-03-01 12:00:01,250 - views.py - index - hello")
    assert (rec.wrapper, rec.format) == ("syslog-rfc5424", "python-corrid")
    assert rec.stream == ("syslog", "3c9a3e1b2f0d", "web-app", "4242")
    assert rec.service == "web-app"
    assert rec.fields["corrId"] == "abc"
    assert rec.message == "hello"
    assert rec.opens


def test_rfc5424_continuation_record_and_json_inside():
    cont = parse("<11>1 2017-03-01T12:00:01Z host /web-app 4242 - - Traceback (most recent call last):")
    assert not cont.opens and cont.stream_msg == "Traceback (most recent call last):"
    js = parse('<14>1 2017-03-01T12:00:01Z host /api 7 - - {"message": "x", "level": "info", "correlation_id": "c1"}')
    assert js.fields["correlation_id"] == "c1" and js.level == "INFO"


def test_rfc3164():
    rec = parse("<14>Mar  1 12:00:01 dockerhost web[42]: hello world")
    assert (rec.wrapper, rec.format) == ("syslog-rfc3164", "text")
    assert rec.stream == ("syslog", "dockerhost", "web", "42")
    assert rec.message == "hello world"


def test_nginx_combined_with_extra_fields():
    rec = parse('10.0.0.1 - - [20/Nov/2026:09:14:03 +0100] "GET /api/orders HTTP/1.1" 502 157 "-" "curl/8" '
                'corr=4bf92f3577b34da6a3ce929d0e0e4736 rt=0.123')
    assert rec.format == "access"
    assert format_utc(rec.ts) == "2026-11-20T08:14:03.000+00:00"
    assert rec.level == "ERROR"
    assert rec.fields["corr"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert rec.fields["rt"] == "0.123"
    assert rec.fields["status"] == 502


def test_nginx_json_log_format():
    rec = parse(json.dumps({"time": "2026-11-20T09:14:03+00:00", "request_id": "4bf9", "status": 200,
                            "request": "GET / HTTP/1.1"}))
    assert format_utc(rec.ts) == "2026-11-20T09:14:03.000+00:00"
    assert rec.fields["request_id"] == "4bf9"


def test_oslo():
    rec = parse("2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server "
                "[req-38101a0b-2096-447d-96ea-a692162415ae 3b8d2fc user - - -] 10.0.0.1 \"GET /v2\" status: 200")
    assert rec.format == "oslo"
    assert rec.fields["request_id"] == "req-38101a0b-2096-447d-96ea-a692162415ae"
    assert rec.level == "INFO" and rec.opens


@pytest.mark.parametrize("line", [
    "Traceback (most recent call last):", '  File "x.py", line 1, in f', "ValueError: boom",
    "\tat com.example.Foo.bar(Foo.java:12)", "plain words without a timestamp", "", "{not json",
])
def test_continuation_and_unknown_lines_start_no_record(line):
    assert parse_line(line, UTC) is None
