"""One connection to Elasticsearch 8/9 or OpenSearch 2/3 through the official client's transport.

The ``elasticsearch`` 9 client rewrites every ``application/json`` into its compatibility type
(``application/vnd.elasticsearch+json; compatible-with=9``), which OpenSearch (and an Elasticsearch
of another major) rejects with 406, and it refuses servers that do not say they are Elasticsearch.
So devkit keeps the client for what it is good at (node pool, TLS, auth, serializers) and sends
requests through its transport with the content type the detected server wants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from devkit.errors import InputError, ServiceError
from devkit.secrets import mask_url_passwords, normalize_url


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
                 insecure: bool = False, timeout: float = 30.0) -> None:
        from elasticsearch import Elasticsearch

        self.url, auth = split_url(url)
        self.shown = mask_url_passwords(url)
        kwargs: dict = {"request_timeout": timeout}
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
        from elastic_transport import ConnectionError as TransportConnectionError
        from elastic_transport import ConnectionTimeout, TlsError, TransportError

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
        except TlsError as exc:
            if "WRONG_VERSION_NUMBER" in str(exc):
                raise EsUnavailable(f"{self.shown}: the server answers plain HTTP there; use http://") from None
            raise EsUnavailable(f"{self.shown}: TLS failed ({_short(exc)}); pass --ca-certs FILE, "
                                "or --insecure to skip verification") from None
        except ConnectionTimeout:
            raise EsUnavailable(f"{self.shown}: no answer within {timeout or self.timeout:g} s; is the "
                                "search server overloaded?") from None
        except TransportConnectionError as exc:
            raise EsUnavailable(f"{self.shown}: cannot connect ({_short(exc)}); is the search server "
                                "running there?") from None
        except TransportError as exc:
            raise EsUnavailable(f"{self.shown}: {_short(exc)}") from None
        status = meta.status
        if 200 <= status < 300 or status in ok:
            return body_out
        raise self._error(method, path, status, body_out)

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
            timeout: float = 30.0) -> EsConnection:
    """Connect and detect the server (Elasticsearch or OpenSearch, which version)."""
    return EsConnection(url, api_key=api_key, ca_certs=ca_certs, insecure=insecure, timeout=timeout)
