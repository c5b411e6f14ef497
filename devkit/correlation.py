"""Correlation IDs inside a Python service: the runtime the configs from ``devkit gen`` reference.

Stdlib only, so a service can depend on it without pulling in devkit's CLI dependencies.

* :class:`CorrelationMiddleware` (WSGI: Flask, Django, plain WSGI) reads the ``Correlation-Id``
  header (or makes an ID), keeps it in a :mod:`contextvars` variable for the request and echoes it
  on the response.
* :class:`CorrelationFilter` puts it on every log record as ``correlation_id`` (``Internal``
  outside a request).
* :class:`JsonFormatter` writes one JSON object per record, traceback included, in the shape
  ``devkit logs`` reads natively.
* :func:`outgoing_headers` and :func:`correlated_session` pass the ID on to other services.

Wiring::

    app.wsgi_app = CorrelationMiddleware(app.wsgi_app)            # Flask
    application = CorrelationMiddleware(get_wsgi_application())   # Django wsgi.py
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
import re
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

__all__ = [
    "HEADER",
    "INTERNAL",
    "CorrelationFilter",
    "CorrelationMiddleware",
    "JsonFormatter",
    "correlated_session",
    "correlation_context",
    "get_correlation_id",
    "is_valid_id",
    "new_id",
    "outgoing_headers",
]

HEADER = "Correlation-Id"
INTERNAL = "Internal"
MAX_LENGTH = 128
SERVICE_ENV_VARS = ("DEVKIT_SERVICE", "OTEL_SERVICE_NAME")

# The same rule as the generated nginx configs: a bounded run of characters that cannot break a
# log line, a header or HTML. \Z, not $: "$" would also accept a trailing newline.
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,%d}\Z" % MAX_LENGTH)

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("devkit_correlation_id", default=None)


def new_id() -> str:
    """A fresh ID in nginx's ``$request_id`` shape: 32 hex digits from the OS random source."""
    return secrets.token_hex(16)


def is_valid_id(value: object) -> bool:
    """True for an ID worth keeping: 1-128 characters of ``A-Za-z0-9._:-``."""
    return isinstance(value, str) and _VALID_ID.match(value) is not None


def get_correlation_id(default: str = INTERNAL) -> str:
    """The current request's ID, or *default* outside a request."""
    value = _current.get()
    return value if value is not None else default


@contextlib.contextmanager
def correlation_context(value: str | None = None) -> Iterator[str]:
    """Run a block (a job, a consumer callback) under an ID: *value* if valid, else a new one."""
    cid = value if is_valid_id(value) else new_id()
    token = _current.set(cid)
    try:
        yield cid
    finally:
        _current.reset(token)


def _environ_key(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")


class CorrelationMiddleware:
    """WSGI middleware: one correlation ID per request, in a context variable and on the response.

    A valid incoming header is kept; a missing or hostile one (bad characters, too long) is
    replaced by :func:`new_id`, so nobody can inject into logs through it. The effective ID is also
    written back into the environ (``HTTP_CORRELATION_ID`` and ``devkit.correlation_id``), so
    framework code that reads the header sees the same value the logs carry.
    """

    def __init__(
        self,
        app: Callable[..., Iterable[bytes]],
        header: str = HEADER,
        generate: Callable[[], str] = new_id,
    ) -> None:
        self.app = app
        self.header = header
        self.generate = generate
        self._key = _environ_key(header)
        self._lower = header.lower()

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        incoming = environ.get(self._key)
        cid = incoming if is_valid_id(incoming) else self.generate()
        environ[self._key] = cid
        environ["devkit.correlation_id"] = cid
        token = _current.set(cid)

        def _start_response(status: str, headers: list, exc_info: Any = None) -> Any:
            headers = [(k, v) for k, v in headers if k.lower() != self._lower]
            headers.append((self.header, cid))
            return start_response(status, headers, exc_info)

        try:
            result = self.app(environ, _start_response)
        except BaseException:
            _reset(token)
            raise
        # The server iterates the body after we return (generators log too): keep the ID set until
        # it calls close(), as PEP 3333 promises it will.
        return _ClosingBody(result, token)


def _reset(token: contextvars.Token) -> None:
    try:
        _current.reset(token)
    except ValueError:  # close() called from another context: just clear it there
        _current.set(None)


class _ClosingBody:
    """Wraps a WSGI body so the context variable is reset when the server closes it."""

    def __init__(self, body: Iterable[bytes], token: contextvars.Token) -> None:
        self._body = body
        self._token = token
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            _reset(self._token)


def _record_correlation_id(record: logging.LogRecord, default: str, header: str = HEADER) -> str:
    value = getattr(record, "correlation_id", None)
    if isinstance(value, str) and value:
        return value
    current = _current.get()
    if current is not None:
        return current
    # gunicorn's access record is logged after the body is closed; its args hold the headers.
    args = record.args
    if isinstance(args, Mapping):
        logged = args.get("{%s}i" % header.lower())
        if is_valid_id(logged):
            return logged
    return default


class CorrelationFilter(logging.Filter):
    """Puts ``record.correlation_id`` on every record: the request's ID, or ``Internal``."""

    def __init__(self, name: str = "", default: str = INTERNAL, header: str = HEADER) -> None:
        super().__init__(name)
        self.default = default
        self.header = header

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = _record_correlation_id(record, self.default, self.header)
        return True


# Attributes every LogRecord has; anything else on a record is an "extra" worth logging.
_RECORD_ATTRS = frozenset(
    vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None)).keys()
) | {"message", "asctime", "correlation_id", "taskName"}

_LINE_BREAKERS = {"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line, traceback included.

    Keys: ``@timestamp`` (UTC, milliseconds, ``Z``), ``level``, ``logger``, ``message``,
    ``correlation_id``, ``service``, ``exception`` (the formatted traceback as one string, only
    when there is one), ``stack`` (with ``stack_info``), then the record's extras. ``service`` is
    the *service* argument, else ``$DEVKIT_SERVICE`` / ``$OTEL_SERVICE_NAME``, else the first part
    of the logger name. *fmt* may be a JSON object of static fields (``{"service": "gate"}``):
    that is how an ini file (``fileConfig``, ``gunicorn --log-config``) passes them.
    """

    def __init__(
        self,
        fmt: str | None = None,
        datefmt: str | None = None,
        style: str = "%",
        validate: bool = True,
        *,
        defaults: Mapping[str, Any] | None = None,
        service: str | None = None,
        static: Mapping[str, Any] | None = None,
        default_id: str = INTERNAL,
        header: str = HEADER,
    ) -> None:
        super().__init__(None, datefmt)
        fields: dict[str, Any] = {}
        if fmt and fmt.lstrip().startswith("{"):
            try:
                parsed = json.loads(fmt)
            except ValueError as exc:
                raise ValueError(f"JsonFormatter: format is not a JSON object: {exc}") from None
            if not isinstance(parsed, dict):
                raise ValueError("JsonFormatter: format must be a JSON object of static fields")
            fields.update(parsed)
        fields.update(defaults or {})
        fields.update(static or {})
        self.service = service or fields.pop("service", None) or _service_from_env()
        self.header = fields.pop("header", header) if header == HEADER else header
        self.static = fields
        self.default_id = default_id

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        if datefmt:
            return time.strftime(datefmt, time.gmtime(record.created))
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + ".%03dZ" % int(record.msecs)

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "@timestamp": self.formatTime(record, self.datefmt),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": _record_correlation_id(record, self.default_id, self.header),
            "service": self.service or record.name.split(".", 1)[0],
        }
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            payload["exception"] = record.exc_text
        if record.stack_info:
            payload["stack"] = self.formatStack(record.stack_info)
        for key, value in self.static.items():
            payload.setdefault(key, value)
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRS and not key.startswith("_") and key not in payload:
                payload[key] = value
        text = json.dumps(payload, default=_json_default, ensure_ascii=False)
        for char, escaped in _LINE_BREAKERS.items():  # keep "one record, one line" for splitlines()
            if char in text:
                text = text.replace(char, escaped)
        return text


def _json_default(value: Any) -> Any:
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def _service_from_env() -> str | None:
    for name in SERVICE_ENV_VARS:
        value = os.environ.get(name)
        if value:
            return value
    return None


def outgoing_headers(headers: Mapping[str, str] | None = None, header: str = HEADER) -> dict[str, str]:
    """A copy of *headers* with the current request's ID added (an explicit one is kept).

    ``requests.get(url, headers=outgoing_headers())``. Outside a request nothing is added, so the
    next service (or its nginx) makes a fresh ID instead of every job sharing ``Internal``.
    """
    result = dict(headers or {})
    cid = _current.get()
    if cid is not None and not any(k.lower() == header.lower() for k in result):
        result[header] = cid
    return result


def correlated_session(session: Any = None, header: str = HEADER) -> Any:
    """A ``requests.Session`` that adds the current ID to every request it sends.

    ``requests`` is imported here, not at module import, so the runtime stays dependency-free.
    An existing *session* gets its class swapped to the correlated subclass.
    """
    import requests  # noqa: PLC0415  (optional dependency, only for this helper)

    class CorrelatedSession(requests.Session):
        correlation_header = header

        def prepare_request(self, request: Any) -> Any:
            prepared = super().prepare_request(request)
            cid = _current.get()
            if cid is not None and self.correlation_header not in prepared.headers:
                prepared.headers[self.correlation_header] = cid
            return prepared

    if session is None:
        return CorrelatedSession()
    if not isinstance(session, requests.Session):
        raise TypeError("correlated_session() expects a requests.Session")
    session.__class__ = type("CorrelatedSession", (CorrelatedSession, type(session)), {})
    return session
