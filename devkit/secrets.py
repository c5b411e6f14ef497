"""Keep credentials out of every message and report devkit writes, and parse URLs that carry them.

People paste passwords into URLs without %-encoding them: ``amqp://guest:pa/ss@host``,
``http://user:Top@Secret1@host``, ``user:Top/Secret1@host:9200`` with no scheme at all. urllib
splits those at the first ``/`` and then sees a host ``guest`` with a port ``pa``, which leaks the
password's first part in its error ("Port could not be cast to integer value as 'pa'") and never
connects. Here the userinfo is everything between ``//`` (or the start) and the last ``@`` before
the host, whatever it contains.

- :func:`split_url` parses a URL defensively; :func:`normalize_url` re-encodes its userinfo so
  urllib, pika, requests and elasticsearch read exactly the user and password that were meant.
- :func:`mask_url` and :func:`mask_url_passwords` (any text) replace each password by ``***``.
  Masking errs on the side of hiding: in ``http://host:80/p?to=a@b`` it masks ``80/p?to=a``.
- Passwords seen by :func:`split_url` are remembered, so a library's message that quotes a piece
  of one outside any URL is masked too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

MASK = "***"
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
#: What may follow the ``@`` that ends the userinfo: a host name, an IPv4 or a bracketed IPv6.
_HOST_START = re.compile(r"[A-Za-z0-9\[_]")
_USER_STOP = frozenset("/?#@ \t\r\n")
_PORT = re.compile(r"\d*\Z")
_REMEMBER_MIN = 4  # shorter secrets would mask ordinary words; their URL forms are masked anyway
_remembered: set[str] = set()


@dataclass(frozen=True)
class UrlParts:
    """A URL cut into the pieces devkit needs; ``user``/``password`` as written (maybe %-encoded)."""

    scheme: str  # "" when the URL had none
    user: str | None
    password: str | None
    rest: str  # host[:port] and whatever follows

    @property
    def host_port(self) -> str:
        end = len(self.rest)
        for stop in "/?#":
            pos = self.rest.find(stop)
            if pos != -1:
                end = min(end, pos)
        return self.rest[:end]


def _userinfo_end(body: str, strict: bool) -> int:
    """Index of the ``@`` ending the userinfo in *body* (the part after ``//``), or -1.

    ``strict`` (to connect): an RFC 3986 authority (up to the first ``/?#``) wins when it is a
    plain ``[user[:password]@]host[:port]``; only when it is not (``guest:pa`` has no valid port)
    is the userinfo extended to the last ``@`` before a host. Not strict (to mask): always the last
    ``@`` before something host-like, so an ambiguous URL is masked rather than shown.
    """
    if strict:
        end = len(body)
        for stop in "/?#":
            pos = body.find(stop)
            if pos != -1:
                end = min(end, pos)
        authority = body[:end]
        at = authority.rfind("@")
        if at != -1:
            return at
        host, sep, port = authority.rpartition(":") if not authority.startswith("[") else ("", "", "")
        if not sep or _PORT.match(port) or end == len(body):
            return -1
    at = len(body)
    while True:
        at = body.rfind("@", 0, at)
        if at <= 0:
            return -1
        user = body[:at].split(":", 1)[0]
        if _HOST_START.match(body, at + 1) and not any(c in _USER_STOP for c in user):
            return at


def split_url(url: str, *, remember: bool = True) -> UrlParts:
    """Cut *url* into scheme, user, password and the rest, tolerating unencoded passwords."""
    match = _SCHEME.match(url)
    scheme = match.group(0)[:-3] if match else ""
    body = url[match.end():] if match else url
    at = _userinfo_end(body, strict=True)
    if at == -1:
        return UrlParts(scheme, None, None, body)
    userinfo, rest = body[:at], body[at + 1:]
    user, sep, password = userinfo.partition(":")
    parts = UrlParts(scheme, user, password if sep else None, rest)
    if remember and parts.password:
        _remember(unquote(parts.user or ""), unquote(parts.password))
    return parts


def normalize_url(url: str, default_scheme: str | None = None) -> str:
    """*url* with its user and password %-encoded, so every URL parser splits it as meant.

    ``%XX`` sequences already there are kept (they are decoded, then encoded again).
    """
    parts = split_url(url)
    scheme = parts.scheme or default_scheme
    head = f"{scheme}://" if scheme else ""
    if parts.user is None:
        return head + parts.rest
    userinfo = quote(unquote(parts.user), safe="")
    if parts.password is not None:
        userinfo += ":" + quote(unquote(parts.password), safe="")
    return f"{head}{userinfo}@{parts.rest}"


def mask_url(url: str) -> str:
    """*url* fit to show: its password (if any) replaced by ``***``."""
    return mask_url_passwords(url)


def _remember(user: str, password: str) -> None:
    # A password equal to the user name is shown by the user name anyway (guest:guest).
    if len(password) >= _REMEMBER_MIN and password != user:
        _remembered.add(password)
        _remembered.add(quote(password, safe=""))


def _mask_scheme_urls(text: str) -> str:
    out: list[str] = []
    pos = 0
    for match in _SCHEME.finditer(text):
        start = match.end()
        if start < pos:
            continue
        end = start
        while end < len(text) and not text[end].isspace():
            end += 1
        token = text[start:end]
        at = _userinfo_end(token, strict=False)
        out.append(text[pos:start])
        if at != -1 and ":" in token[:at]:
            user = token[:at].split(":", 1)[0]
            out.append(f"{user}:{MASK}@")
            out.append(token[at + 1:])
        else:
            out.append(token)
        pos = end
    out.append(text[pos:])
    return "".join(out)


# user:password@host without a scheme, at the start of a word (after a space, quote, '=' or '(').
_BARE = re.compile(r"(?:(?<=[\s'\"=(,\[])|^)(?P<user>[^\s:/?#@'\"]+):(?!//)(?P<pw>\S*)@(?=[A-Za-z0-9\[_])")


def _mask_bare(match: re.Match) -> str:
    pw = match.group("pw")
    if pw == MASK:
        return match.group(0)
    return f"{match.group('user')}:{MASK}@"


def mask_url_passwords(text: str) -> str:
    """*text* with the password of every URL in it (with or without a scheme) replaced by ``***``."""
    if not text:
        return text
    if "@" in text:
        text = _mask_scheme_urls(text)
        text = _BARE.sub(_mask_bare, text)
    for secret in sorted(_remembered, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text
