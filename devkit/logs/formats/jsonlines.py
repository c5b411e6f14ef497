"""JSON-lines formats, as data: the first whose keys claim an object reads it.

Keys are looked up in the flattened object (``{"log": {"level": "info"}}`` has ``log.level``).
``GENERIC`` is last and claims every object, with the widest key lists.
"""

from __future__ import annotations

from devkit.logs.formats.spec import JsonFormat, Sample

_TS = ("@timestamp", "timestamp", "time", "ts", "asctime", "datetime", "date", "t")
_MSG = ("message", "@message", "msg", "event", "log", "body")
_LEVEL = ("level", "levelname", "log.level", "severity", "severity_text", "loglevel", "lvl", "@fields.levelname",
          "log_level")
_SERVICE = ("service.name", "service", "@fields.service", "app", "application", "service_name", "syslog.appname",
            "program", "container_name", "resource.attributes.service.name")
_TB = ("exception", "@fields.exception", "exc_info", "exc_text", "stack_info", "@fields.stack_info", "error.stack_trace",
       "stack_trace", "stacktrace", "error.stack", "traceback", "attributes.exception.stacktrace")

JSON_FORMATS: tuple[JsonFormat, ...] = (
    JsonFormat(
        # logstash_formatter v0: @message, @timestamp (time of formatting), @fields.created (the record's time)
        "logstash-v0", any_of=("@fields", "@message"), epoch_keys=("@fields.created", "created"), ts_keys=_TS,
        message_keys=("@message", *_MSG), level_keys=("@fields.levelname", *_LEVEL), service_keys=_SERVICE,
        traceback_keys=("@fields.exception", *_TB),
        samples=(Sample('{"@message": "Order created", "@timestamp": "2026-11-20T09:10:03.536588Z", "@source_host": "b7",'
                        ' "@fields": {"levelname": "INFO", "created": 1795165803.5365, "corrId": "abc123"}}',
                        ts="2026-11-20T09:10:03.536+00:00", level="INFO", message="Order created",
                        correlation_id="abc123"),),
    ),
    JsonFormat(
        "logstash-v1", version=("@version", 1), epoch_keys=("created",), ts_keys=_TS, message_keys=_MSG,
        level_keys=_LEVEL, service_keys=_SERVICE, traceback_keys=_TB,
        samples=(Sample('{"@timestamp": "2026-11-20T09:10:00.409Z", "@version": 1, "message": "KeyError on SKU",'
                        ' "levelname": "ERROR", "exception": ["Traceback (most recent call last):\\n", "KeyError: 1\\n"]}',
                        ts="2026-11-20T09:10:00.409+00:00", level="ERROR", traceback=True),),
    ),
    JsonFormat(
        "ecs", any_of=("ecs.version", "log.level"), ts_keys=_TS, message_keys=_MSG, level_keys=_LEVEL,
        service_keys=_SERVICE, traceback_keys=_TB,
        samples=(Sample('{"@timestamp":"2026-11-20T09:10:22.288Z","log.level":"info","message":"33 hits",'
                        '"ecs":{"version":"1.6.0"},"trace":{"id":"4bf92f3577b34da6"},"service":{"name":"search"}}',
                        ts="2026-11-20T09:10:22.288+00:00", level="INFO", service="search",
                        correlation_id="4bf92f3577b34da6"),),
    ),
    JsonFormat(
        # nginx with a JSON log_format (devkit gen nginx --log-format json): $msec is the exact end
        "nginx-json", all_of=("msec", "request_time"), epoch_keys=("msec",), ts_keys=_TS, message_keys=_MSG,
        level_keys=_LEVEL, service_keys=_SERVICE, traceback_keys=_TB, hooks=("level-from-status",),
        samples=(Sample('{"@timestamp":"2026-11-20T09:04:03+00:00","msec":1795165443.512,"service":"nginx",'
                        '"correlation_id":"c0ffee","status":502,"request_time":3.054,"message":"POST /api/orders 502"}',
                        ts="2026-11-20T09:04:03.512+00:00", level="ERROR", status=502, duration=3.054,
                        service="nginx", correlation_id="c0ffee"),),
    ),
    JsonFormat(
        # OpenTelemetry SDK's console exporter (one record may span many lines: see the json-block rule)
        "otel-json", all_of=("body", "trace_id"), ts_keys=("timestamp", "observed_timestamp"), message_keys=("body",),
        level_keys=("severity_text",), service_keys=("resource.attributes.service.name",), traceback_keys=_TB,
        samples=(Sample('{"body": "order placed", "severity_text": "WARN", "timestamp": "2026-11-20T09:13:21.734567Z", '
                        '"trace_id": "0x5b8aa5a2d2c872e8321cf37308d69df2", "span_id": "0x051581bf3cb55c13", '
                        '"resource": {"attributes": {"service.name": "orders"}, "schema_url": ""}}',
                        ts="2026-11-20T09:13:21.734+00:00", level="WARNING", service="orders",
                        correlation_id="5b8aa5a2d2c872e8321cf37308d69df2"),),
    ),
    JsonFormat(
        # structlog's JSONRenderer: event, level, timestamp, bound context at the top level
        "structlog", all_of=("event",), none_of=("message",), ts_keys=_TS, message_keys=("event",), level_keys=_LEVEL,
        service_keys=_SERVICE, traceback_keys=_TB, hooks=("structlog-extras",),
        samples=(Sample('{"request_id": "09053b80", "order_id": 1000201, "event": "charge_requested", "level": "info",'
                        ' "timestamp": "2026-11-20T09:10:03.253336Z"}', ts="2026-11-20T09:10:03.253+00:00",
                        level="INFO", message="charge_requested order_id=1000201", correlation_id="09053b80"),),
    ),
    JsonFormat(
        "json", ts_keys=_TS, message_keys=_MSG, level_keys=_LEVEL, service_keys=_SERVICE, traceback_keys=_TB,
        samples=(Sample('{"message": "hello", "timestamp": "2026-11-20T09:13:21+00:00", "correlation_id": "c-1",'
                        ' "status": 503, "duration_ms": 12.5}', ts="2026-11-20T09:13:21.000+00:00",
                        correlation_id="c-1", status=503, duration=0.0125),),
    ),
)

__all__ = ["JSON_FORMATS"]
