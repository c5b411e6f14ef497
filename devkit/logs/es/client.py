"""One connection to Elasticsearch 8/9 or OpenSearch 2/3 through the official client's transport.

The ``elasticsearch`` 9 client rewrites every ``application/json`` into its compatibility type
(``application/vnd.elasticsearch+json; compatible-with=9``), which OpenSearch (and an Elasticsearch
of another major) rejects with 406, and it refuses servers that do not say they are Elasticsearch.
So devkit keeps the client for what it is good at (node pool, TLS, auth, serializers) and sends
requests through its transport with the content type the detected server wants.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from devkit.errors import InputError, ServiceError
from devkit.secrets import mask_url_passwords, normalize_url


#: Most bytes devkit reads of one answer (a page of 1000 hits is a few MB): a server that answers
#: with gigabytes, or forever, is an error, not a reason to fill the memory. DEVKIT_ES_MAX_RESPONSE
#: (bytes) and DEVKIT_ES_TIMEOUT (seconds for a whole request, the answer included) change them.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
DEFAULT_TIMEOUT = 30.0
_READ_CHUNK = 256 * 1024


def _env_number(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


class ResponseTooLarge(Exception):
    """The answer passed MAX_RESPONSE_BYTES (raised inside the transport, reported by ``request``)."""


class ResponseTooSlow(Exception):
    """The answer did not end within the request's timeout (it kept trickling)."""


def capped_node_class():
    """The client's urllib3 node, reading every answer in bounded pieces: at most ``max_bytes``
    and within the request timeout as a whole (urllib3's own timeout is per socket read, so an
    answer that trickles forever never trips it)."""
    from elastic_transport import Urllib3HttpNode

    class CappedUrllib3HttpNode(Urllib3HttpNode):
        max_bytes = int(_env_number("DEVKIT_ES_MAX_RESPONSE", MAX_RESPONSE_BYTES))

        def __init__(self, config) -> None:
            super().__init__(config)
            self.pool.urlopen = self._bounded(self.pool.urlopen)

        def _bounded(self, urlopen):
            limit = self.max_bytes

            def bounded_urlopen(method, url, **kw):
                timeout = kw.get("timeout")
                budget = timeout if isinstance(timeout, (int, float)) else DEFAULT_TIMEOUT
                deadline = time.monotonic() + budget
                response = urlopen(method, url, preload_content=False, **kw)
                try:
                    length = int(response.headers.get("content-length") or 0)
                except ValueError:
                    length = 0
                if length > limit:
                    response.close()
                    raise ResponseTooLarge(f"the answer is {length:,} bytes, more than devkit reads ({limit:,})")
                read = getattr(response, "read1", None) or response.read
                parts, size = [], 0
                while True:
                    if time.monotonic() > deadline:
                        response.close()
                        raise ResponseTooSlow(f"the answer did not end within {budget:g} s")
                    chunk = read(_READ_CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > limit:
                        response.close()
                        raise ResponseTooLarge(f"the answer passed {limit:,} bytes, more than devkit reads")
                    parts.append(chunk)
                response.release_conn()
                return _ReadResponse(response.status, response.headers, b"".join(parts))

            return bounded_urlopen

    return CappedUrllib3HttpNode


@dataclass
class _ReadResponse:
    """What the node reads off a urllib3 response, once the body is in."""

    status: int
    headers: Any
    data: bytes


def _bounded_cause(exc: BaseException) -> Exception | None:
    for inner in getattr(exc, "errors", ()) or ():
        if isinstance(inner, (ResponseTooLarge, ResponseTooSlow)):
            return inner
    cause = exc.__cause__
    return cause if isinstance(cause, (ResponseTooLarge, ResponseTooSlow)) else None


class EsRequestError(ServiceError):
    """A request the server answered with an error status (kept for callers that look inside)."""

    def __init__(self, message: str, status: int, body: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = body

    @property
    def error_type(self) -> str:
        err = self.body.get("error") if isinstance(self.body, dict) else None
        return err.get("type", "") if isinstance(err, dict) else ""


class EsUnavailable(ServiceError):
    """The server could not be reached (refused, timed out, TLS failed)."""


@dataclass
class Server:
    distribution: str  # "elasticsearch" or "opensearch"
    version: str

    @property
    def major(self) -> int:
        try:
            return int(self.version.split(".")[0])
        except ValueError:
            return 0

    @property
    def is_opensearch(self) -> bool:
        return self.distribution == "opensearch"

    def __str__(self) -> str:
        return f"{'OpenSearch' if self.is_opensearch else 'Elasticsearch'} {self.version}"


def split_url(url: str) -> tuple[str, tuple[str, str] | None]:
    """``https://user:pw@host:9200/`` -> (``https://host:9200``, (user, pw)).

    The password may be typed without %-encoding (``user:Top/Secret1@host``) and the scheme
    left out (``http`` then).
    """
    parts = urlsplit(normalize_url(url, default_scheme="http"))
    expected = f"--es {mask_url_passwords(url)}: expected http(s)://[user:password@]host[:port]"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(expected)
    try:
        port = parts.port
    except ValueError:
        raise InputError(f"{expected} (the port is not a number)") from None
    auth = None
    if parts.username is not None:
        auth = (unquote(parts.username), unquote(parts.password or ""))
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", "")), auth


class EsConnection:
    """Requests to one cluster: plain JSON for OpenSearch, the compatible type for Elasticsearch."""

    def __init__(self, url: str, *, api_key: str | None = None, ca_certs: str | None = None,
                 insecure: bool = False, timeout: float | None = None) -> None:
        from elasticsearch import Elasticsearch

        timeout = timeout or _env_number("DEVKIT_ES_TIMEOUT", DEFAULT_TIMEOUT)
        self.url, auth = split_url(url)
        self.shown = mask_url_passwords(url)
        kwargs: dict = {"request_timeout": timeout, "node_class": capped_node_class()}
        if auth is not None:
            kwargs["basic_auth"] = auth
        if api_key:
            kwargs["api_key"] = api_key
        if ca_certs:
            kwargs["ca_certs"] = ca_certs
        if insecure:
            kwargs["verify_certs"] = False
            kwargs["ssl_show_warn"] = False
        try:
            self.client = Elasticsearch(self.url, **kwargs)
        except (ValueError, TypeError, OSError) as exc:
            raise InputError(f"--es {self.shown}: {exc}") from None
        self.timeout = timeout
        self.server = Server("opensearch", "")
        self._json = {"accept": "application/json", "content-type": "application/json"}
        self._ndjson = {"accept": "application/json", "content-type": "application/x-ndjson"}
        self.server = self._detect()

    def _detect(self) -> Server:
        info = self.request("GET", "/")
        version = info.get("version", {}) if isinstance(info, dict) else {}
        dist = version.get("distribution") or "elasticsearch"
        server = Server("opensearch" if dist == "opensearch" else "elasticsearch", str(version.get("number", "")))
        if not server.is_opensearch and server.major >= 7:
            compat = f"; compatible-with={server.major}"
            self._json = {"accept": "application/vnd.elasticsearch+json" + compat,
                          "content-type": "application/vnd.elasticsearch+json" + compat}
            self._ndjson = {"accept": "application/vnd.elasticsearch+json" + compat,
                            "content-type": "application/vnd.elasticsearch+x-ndjson" + compat}
        return server

    def request(self, method: str, path: str, body: Any = None, *, params: dict | None = None,
                ndjson: bool = False, ok: tuple[int, ...] = (), timeout: float | None = None) -> Any:
        """The decoded response; raises EsUnavailable / EsRequestError with a one-line message."""
        from elastic_transport import TransportError

        target = path
        if params:
            from urllib.parse import urlencode

            target = f"{path}?{urlencode(params)}"
        headers = dict(self.client._headers)  # auth and user agent the client prepared
        headers.update(self._ndjson if ndjson else self._json)
        try:
            meta, body_out = self.client.transport.perform_request(
                method, target, headers=headers, body=body, max_retries=0,
                request_timeout=timeout or self.timeout)
        except TransportError as exc:
            bounded = _bounded_cause(exc)
            if bounded is None:
                raise self._unavailable(exc, timeout) from None
            raise EsUnavailable(f"{self.shown}: {method} {path}: {bounded}; is this a search server?") from None
        status = meta.status
        if 200 <= status < 300 or status in ok:
            return body_out
        raise self._error(method, path, status, body_out)

    def _unavailable(self, exc: Exception, timeout: float | None) -> EsUnavailable:
        """The transport's failure as one line that says what to do."""
        from elastic_transport import ConnectionError as TransportConnectionError
        from elastic_transport import ConnectionTimeout, TlsError

        if isinstance(exc, TlsError):
            if "WRONG_VERSION_NUMBER" in str(exc):
                return EsUnavailable(f"{self.shown}: the server answers plain HTTP there; use http://")
            return EsUnavailable(f"{self.shown}: TLS failed ({_short(exc)}); pass --ca-certs FILE, "
                                 "or --insecure to skip verification")
        if isinstance(exc, ConnectionTimeout):
            return EsUnavailable(f"{self.shown}: no answer within {timeout or self.timeout:g} s; is the "
                                 "search server overloaded?")
        if isinstance(exc, TransportConnectionError):
            return EsUnavailable(f"{self.shown}: cannot connect ({_short(exc)}); is the search server running there?")
        return EsUnavailable(f"{self.shown}: {_short(exc)}")

    def _error(self, method: str, path: str, status: int, body: Any) -> EsRequestError:
        if status == 401:
            msg = (f"{self.shown}: authentication failed (401); check user:password in the URL or "
                   "--api-key")
        elif status == 403:
            msg = f"{self.shown}: permission denied (403) for {method} {path}; the user needs read/write rights there"
        elif status == 406:
            msg = (f"{self.shown}: the server rejected the content type (406); is it Elasticsearch 8/9 or "
                   "OpenSearch 2/3?")
        else:
            msg = f"{self.shown}: {method} {path} failed ({status}): {error_reason(body)}"
        return EsRequestError(msg, status, body)

    def close(self) -> None:
        try:
            self.client.close()
        except Exception:  # closing must never hide the real outcome
            pass

    def __enter__(self) -> EsConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_INDEX_FORBIDDEN = frozenset('\\/*?"<>| ,#:')
MAX_INDEX_BYTES = 255


def index_path(name: str, *, pattern: bool = False) -> str:
    """*name* checked against the Elasticsearch/OpenSearch index-name rules and made safe for a REST path.

    One index: lowercase, none of ``\\ / * ? " < > | , # :`` or a space, not starting with ``-``,
    ``_`` or ``+``, not ``.`` or ``..``, at most 255 bytes. A *pattern* (``trace --index``) is a
    comma-separated list of such names where ``*`` is a wildcard, ``-name`` excludes and
    ``cluster:name`` names a remote cluster. Nothing unchecked ever reaches the URL.
    """
    from urllib.parse import quote

    option = "--index"
    if not name:
        raise InputError(f"{option} must name an index")
    if not pattern and any(c in name for c in "*?,"):
        raise InputError(f"{option} {name!r}: ship writes to one index; give a plain name")
    parts = name.split(",") if pattern else [name]
    for n, part in enumerate(parts):
        bare = part
        if pattern:
            if n and bare.startswith("-"):
                bare = bare[1:]
            remote, sep, rest = bare.partition(":")
            if sep and remote and ":" not in rest:
                bare = rest
            bare = bare.replace("*", "")
            if not bare and part.replace("-", "").replace(":", "").strip("*") == "":
                continue  # "*" alone, or "-*": every index
        problem = _index_problem(bare, part)
        if problem:
            raise InputError(f"{option} {name!r}: {problem}; index names are lowercase, without spaces or "
                             '\\/*?"<>|,#: and do not start with -, _ or +')
    return quote(name, safe="*,:-+")


def _index_problem(bare: str, shown: str) -> str | None:
    if bare in ("", ".", "..") and shown.strip("*") == shown:
        return f"{shown!r} is not an index name"
    if len(shown.encode("utf-8")) > MAX_INDEX_BYTES:
        return f"longer than {MAX_INDEX_BYTES} bytes"
    if bare != bare.lower():
        return f"{shown!r} has upper-case letters"
    bad = sorted({c for c in bare if c in _INDEX_FORBIDDEN or ord(c) < 32})
    if bad:
        return f"{shown!r} contains {' '.join(repr(c) for c in bad)}"
    if bare[:1] in ("-", "_", "+"):
        return f"{shown!r} starts with {bare[0]!r}"
    return None


def error_reason(body: Any) -> str:
    """The most specific reason an error body gives, on one line."""
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            root = err.get("root_cause") or []
            first = root[0] if root and isinstance(root[0], dict) else err
            caused = err.get("caused_by") if isinstance(err.get("caused_by"), dict) else None
            reason = first.get("reason") or (caused or {}).get("reason") or err.get("reason") or err.get("type")
            kind = first.get("type") or err.get("type")
            return " ".join(f"{kind}: {reason}".split()) if kind else " ".join(str(reason).split())
        return " ".join(str(err).split())[:300]
    return " ".join(str(body).split())[:300]


def _short(exc: BaseException) -> str:
    text = " ".join(str(getattr(exc, "message", "") or exc).split())
    for marker in ("Connection refused", "Name or service not known", "timed out", "certificate verify failed"):
        if marker in text:
            return marker
    return text[:160]


def connect(url: str, *, api_key: str | None = None, ca_certs: str | None = None, insecure: bool = False,
            timeout: float | None = None) -> EsConnection:
    """Connect and detect the server (Elasticsearch or OpenSearch, which version)."""
    return EsConnection(url, api_key=api_key, ca_certs=ca_certs, insecure=insecure, timeout=timeout)
