"""Wrappers: the framing container runtimes and log shippers put around an application's line.

A wrapper is recognised per line and peeled off: it says when (its own time), which stream
(container plus stdout/stderr: the lines that may continue each other), which service, and
whether the line is a partial piece of a longer one (16 KiB splits). The text inside is then read
by the ordinary format detection as if it stood alone. Layouts are in
``shared/reference/formats.md``; each definition has samples that the tests check.

Two wrappers look like ordinary text (``docker compose logs``' ``name-1  | ...`` and stern's
``pod container ...``), so they are enabled per source, only when the head of the source reads
as them (``sniff``); the others are unambiguous and always on.
"""

from __future__ import annotations

import re
from typing import Callable, NamedTuple

from devkit.lazyre import lazy
from devkit.logs.formats.engine import load_json
from devkit.logs.formats.record import SYSLOG_SEVERITY
from devkit.logs.formats.spec import Sample
from devkit.logs.timestamps import ISO_PATTERN, LAYOUTS, Zone, epoch_from_match, iso_cached
from devkit.slots import Slotted


class Peeled(Slotted):
    """What a wrapper says about one physical line, and the application's text inside it.

    (Written out by hand, not a dataclass: one is made per wrapped line, and generating a
    dataclass is start-up time.)
    """

    __slots__ = ("wrapper", "text", "ts", "ts_text", "key", "service", "partial", "fields", "fallback_level")

    def __init__(self, wrapper: str, text: str, ts: float | None, ts_text: str | None, key: tuple,
                 service: str | None = None, partial: bool = False, fields: dict | None = None,
                 fallback_level: str | None = None) -> None:
        self.wrapper = wrapper
        self.text = text
        self.ts = ts
        self.ts_text = ts_text
        self.key = key  # the stream: lines with the same key may continue each other
        self.service = service
        self.partial = partial
        self.fields = {} if fields is None else fields
        self.fallback_level = fallback_level  # what the framing says of severity (syslog PRI, journald PRIORITY)


Peeler = Callable[[str, Zone], "Peeled | None"]


class Wrapper(NamedTuple):
    name: str
    peel: Peeler
    first: str = ""  # characters a wrapped line can start with ("" any)
    ambiguous: bool = False  # looks like ordinary text: enabled per source by sniffing
    samples: tuple[Sample, ...] = ()  # Sample.fields may hold "text", "key", "partial", "service"


_RFC3339 = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})"
_ISO = lazy(ISO_PATTERN)


def _iso(text: str, zone: Zone) -> float | None:
    """An RFC 3339 stamp's time, its minute converted once per zone (``iso_cached``: logs repeat
    it), in C where the accelerator was built."""
    if _iso_epoch is not None:
        ts = _iso_epoch(text, zone.cache)
        if ts is not NotImplemented:
            return ts
    m = _ISO.match(text)
    return None if m is None else iso_cached(m, zone)


try:  # the optional C accelerator (pyproject.toml: ext-modules): every wrapped line has a stamp
    from devkit.logs._records import iso_epoch as _iso_epoch, rfc5424_parts as _rfc5424_parts
except ImportError:  # pragma: no cover - built wherever a C compiler is
    _iso_epoch = _rfc5424_parts = None


def _strip_newline(text: str) -> tuple[str, bool]:
    """(text without its trailing newline, partial?): a piece without one is continued."""
    if text.endswith("\n"):
        text = text[:-1]
        if text.endswith("\r"):
            text = text[:-1]
        return text, False
    return text, True


# --- docker json-file ------------------------------------------------------------------------------

def _docker_json(line: str, zone: Zone) -> Peeled | None:
    """``{"log":"text\\n","stream":"stderr","attrs":{"tag":"orders"},"time":"...Z"}`` (moby jsonfilelog)."""
    if not line.startswith('{"log":'):
        return None
    obj = load_json(line)
    if obj is None or not isinstance(obj.get("log"), str):
        return None
    stream = obj.get("stream") if isinstance(obj.get("stream"), str) else "stdout"
    stamp = obj.get("time") if isinstance(obj.get("time"), str) else None
    text, partial = _strip_newline(obj["log"])
    fields: dict = {"stream": stream}
    attrs = obj.get("attrs")
    service = None
    if isinstance(attrs, dict):
        for key, value in attrs.items():
            fields[f"docker.attrs.{key}"] = value
        tag = attrs.get("tag") or attrs.get("com.docker.compose.service")
        service = tag if isinstance(tag, str) and tag else None
    return Peeled("docker-json", text, _iso(stamp, zone) if stamp else None, stamp, ("docker", stream), service,
                  partial, fields)


# --- CRI (containerd, CRI-O) ----------------------------------------------------------------------

_CRI = lazy(rf"({_RFC3339}) (stdout|stderr) ([PF]) ?(.*)\Z", re.S)


def _cri(line: str, zone: Zone) -> Peeled | None:
    """``2026-11-20T09:13:21.734567891Z stderr F text``; ``P`` pieces are continued up to an ``F``."""
    if len(line) < 30 or line[10] != "T":
        return None
    m = _CRI.match(line)
    if m is None:
        return None
    stamp, stream, tag, text = m.groups()
    return Peeled("cri", text, _iso(stamp, zone), stamp, ("cri", stream), None, tag == "P", {"stream": stream})


# --- syslog (logspout and friends) ----------------------------------------------------------------

_RFC5424 = lazy(r"<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[[^\]\\]*(?:\\.[^\]\\]*)*\])+) ?(.*)\Z", re.S)
_RFC3164 = lazy(r"(?:<(?P<pri>\d{1,3})>)?(?P<stamp>" + LAYOUTS["bsd"] + r") (?P<host>\S+) "
                r"(?P<tag>[^\s\[:]+)(?:\[(?P<pid>[^\]]*)\])?: ?(?P<msg>.*)\Z", re.S)


_MONTHS = frozenset({"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"})


def syslog_peeled(pri: str | None, ts: float | None, ts_text: str | None, host: str, app: str, procid: str,
                  msg: str, wrapper: str, extra: dict) -> Peeled:
    """A syslog record from its parts (a file line, or a search-server document's fields)."""
    app = app.lstrip("/")
    fields = {"syslog.host": host, "syslog.app": app, "syslog.procid": procid, **extra}
    fallback = None
    if pri and pri.isdigit():
        fields["syslog.pri"] = int(pri)
        fallback = fields["syslog.severity"] = SYSLOG_SEVERITY[int(pri) % 8]
    return Peeled(wrapper, msg, ts, ts_text, ("syslog", host, app, procid), app or None, False, fields, fallback)


def _rfc5424(line: str, zone: Zone) -> Peeled | None:
    """``<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG`` (logspout: one record per line)."""
    if not line.startswith("<"):
        return None
    parts = _rfc5424_parts(line) if _rfc5424_parts is not None else NotImplemented
    if parts is NotImplemented:
        m = _RFC5424.match(line)
        parts = None if m is None else m.groups()
    if parts is None:
        return None
    pri, stamp, host, app, procid, msgid, sd, msg = parts
    extra = {"syslog.msgid": msgid} if msgid != "-" else {}
    if sd != "-":
        extra["syslog.sd"] = sd
    return syslog_peeled(pri, _iso(stamp, zone), stamp, host, app, procid, msg, "syslog-rfc5424", extra)


def _rfc3164(line: str, zone: Zone) -> Peeled | None:
    """``<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG`` (also without PRI: /var/log/syslog, auth.log)."""
    if line[0] != "<" and line[:3] not in _MONTHS:
        return None
    m = _RFC3164.match(line)
    if m is None:
        return None
    return syslog_peeled(m["pri"], epoch_from_match(m, zone), m["stamp"], m["host"], m["tag"], m["pid"] or "-",
                         m["msg"], "syslog-rfc3164", {})


# --- journald ---------------------------------------------------------------------------------------

_JOURNAL_KEEP = {"_HOSTNAME": "host.name", "_PID": "process.pid", "SYSLOG_IDENTIFIER": "syslog.identifier",
                 "_SYSTEMD_UNIT": "systemd.unit", "CONTAINER_NAME": "container.name", "CONTAINER_ID": "container.id",
                 "CONTAINER_TAG": "container.tag", "PRIORITY": "journald.priority", "_TRANSPORT": "journald.transport",
                 "_COMM": "process.name", "CODE_FILE": "code.file", "CODE_LINE": "code.line",
                 "CODE_FUNC": "code.function"}


def _journal_message(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(b, int) and 0 <= b < 256 for b in value):
        return bytes(value).decode("utf-8", "replace")  # journalctl writes binary MESSAGEs as byte arrays
    return None


def _journald_json(line: str, zone: Zone) -> Peeled | None:
    """``journalctl -o json``: one entry a line, every value a string (docker's journald driver too)."""
    if not line.startswith("{") or '"__REALTIME_TIMESTAMP"' not in line:
        return None
    obj = load_json(line)
    if obj is None or "MESSAGE" not in obj:
        return None
    text = _journal_message(obj.get("MESSAGE"))
    if text is None:
        return None
    text = text.rstrip("\n")
    try:
        ts: float | None = int(obj["__REALTIME_TIMESTAMP"]) / 1e6
    except (KeyError, TypeError, ValueError):
        ts = None
    fields = {new: obj[old] for old, new in _JOURNAL_KEEP.items() if isinstance(obj.get(old), str)}
    container = obj.get("CONTAINER_ID") if isinstance(obj.get("CONTAINER_ID"), str) else None
    unit = obj.get("_SYSTEMD_UNIT") if isinstance(obj.get("_SYSTEMD_UNIT"), str) else None
    ident = obj.get("SYSLOG_IDENTIFIER") if isinstance(obj.get("SYSLOG_IDENTIFIER"), str) else None
    service = obj.get("CONTAINER_NAME") or ident or (unit[:-8] if unit and unit.endswith(".service") else unit)
    priority = obj.get("PRIORITY")
    fallback = None
    if container:  # docker's journald driver: PRIORITY only says stdout (6) or stderr (3)
        key: tuple = ("journald", container, priority)
    else:
        key = ("journald", obj.get("_HOSTNAME"), unit or ident, obj.get("_PID"))
        if isinstance(priority, str) and priority.isdigit() and int(priority) < 8:
            fallback = SYSLOG_SEVERITY[int(priority)]
    partial = obj.get("CONTAINER_PARTIAL_MESSAGE") == "true"
    return Peeled("journald-json", text, ts, None, key, service if isinstance(service, str) else None, partial,
                  fields, fallback)


_SHORT_ISO = lazy(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})) (\S+) "
                  r"([^\s\[:]+)(?:\[(\d+)\])?: ?(.*)\Z", re.S)


def _journald_short(line: str, zone: Zone) -> Peeled | None:
    """``journalctl -o short-iso``: ``2026-11-20T09:13:21+0000 HOST IDENT[PID]: text``."""
    if len(line) < 25 or line[10] != "T":
        return None
    m = _SHORT_ISO.match(line)
    if m is None or (m.group(4) is None and m.group(3) != "kernel"):
        return None  # without [PID] it is too easily an application's own "time host: text"
    stamp, host, ident, pid, text = m.groups()
    fields = {"host.name": host, "syslog.identifier": ident}
    if pid:
        fields["process.pid"] = pid
    return Peeled("journald-short", text, _iso(stamp, zone), stamp, ("journald", host, ident, pid), ident, False,
                  fields)


# --- docker compose, kubectl, stern ----------------------------------------------------------------

# compose -t writes docker's RFC3339Nano with all 9 digits: an application's own stamp is left alone
_COMPOSE = lazy(r"([A-Za-z0-9][\w.-]*?[-_]\d+) *\|(?: (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}"
                r"(?:Z|[+-]\d{2}:\d{2})))?(?: (.*)|)\Z", re.S)
_KUBECTL = lazy(rf"\[pod/([^/\]\s]+)/([^\]\s]+)\] (?:({_RFC3339}) )?(.*)\Z", re.S)
_POD = r"[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?-(?:[a-z0-9]{5}|\d+)"
_STERN = lazy(rf"({_POD}) ([a-z0-9](?:[-a-z0-9]*[a-z0-9])?) (?:({_RFC3339}) )?(.*)\Z", re.S)


def _compose(line: str, zone: Zone) -> Peeled | None:
    """``docker compose logs [-t]``: ``orders-1  | [TIMESTAMP ]text``, names padded to the longest."""
    if "|" not in line:  # (sniffing an ordinary log then never compiles the regex)
        return None
    m = _COMPOSE.match(line)
    if m is None:
        return None
    name, stamp, text = m.group(1), m.group(2), m.group(3) or ""
    return Peeled("compose", text, _iso(stamp, zone) if stamp else None, stamp, ("compose", name), name, False,
                  {"container.name": name})


def _pod_peeled(wrapper: str, pod: str, container: str, stamp: str | None, text: str, zone: Zone) -> Peeled:
    fields = {"kubernetes.pod.name": pod, "kubernetes.container.name": container}
    return Peeled(wrapper, text, _iso(stamp, zone) if stamp else None, stamp, ("k8s", pod, container), container,
                  False, fields)


def _kubectl(line: str, zone: Zone) -> Peeled | None:
    """``kubectl logs --prefix [--timestamps]``: ``[pod/POD/CONTAINER] [TIMESTAMP ]text``."""
    if not line.startswith("[pod/"):
        return None
    m = _KUBECTL.match(line)
    return None if m is None else _pod_peeled("kubectl", m.group(1), m.group(2), m.group(3), m.group(4), zone)


def _stern(line: str, zone: Zone) -> Peeled | None:
    """stern's default template with colours off: ``POD CONTAINER [TIMESTAMP ]text``."""
    pod, space, _ = line.partition(" ")
    if not space or "-" not in pod:  # a pod name has a "-" before its suffix, and no space
        return None
    m = _STERN.match(line)
    return None if m is None else _pod_peeled("stern", m.group(1), m.group(2), m.group(3), m.group(4), zone)


def stream_marker(key: tuple | None) -> bytes | None:
    """Bytes every raw line of the stream ``key`` holds: lines without them need not be read.

    A cheap filter for the window walks of the raw search (other streams' lines cannot change
    this stream's event), never a proof: a line that holds them is still classified.
    """
    if not key:
        return None
    kind = key[0]
    if kind == "docker":
        return b'"stream":"%s"' % key[1].encode()
    if kind == "cri":
        return b" %s " % key[1].encode()
    if kind == "syslog":
        return b" %s " % key[1].encode("utf-8", "replace")  # logspout: the host is the container's ID
    if kind == "journald":
        part = key[1] if len(key) == 3 else key[2]
        return str(part).encode("utf-8", "replace") if part else None
    if kind in ("compose", "k8s"):
        return key[1].encode("utf-8", "replace")
    if kind == "oslo":  # ("oslo", pid, logger): the logger's name is the rarer of the two
        return b" %s " % str(key[2]).encode("utf-8", "replace")
    return None


_TB_TEXT = "Traceback (most recent call last):"
WRAPPERS: tuple[Wrapper, ...] = (
    Wrapper("docker-json", _docker_json, "{", samples=(
        Sample('{"log":"Traceback (most recent call last):\\n","stream":"stderr","time":"2026-11-20T09:13:21.734567891Z"}',
               ts="2026-11-20T09:13:21.734+00:00", fields={"text": _TB_TEXT, "key": ("docker", "stderr"),
                                                           "partial": False}),
        Sample('{"log":"\\u003cb\\u003e \\u0026 part","stream":"stdout","attrs":{"tag":"orders"},"time":"2026-11-20T09:13:21Z"}',
               fields={"text": "<b> & part", "partial": True, "service": "orders"}),
    )),
    Wrapper("journald-json", _journald_json, "{", samples=(
        Sample('{"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"1795165443734567","PRIORITY":"3","_HOSTNAME":"h1",'
               '"SYSLOG_IDENTIFIER":"orders","MESSAGE":"boom","_PID":"42","CONTAINER_NAME":"orders-1",'
               '"CONTAINER_ID":"3c9a3e1b2f0d","CONTAINER_PARTIAL_MESSAGE":"true"}',
               ts="2026-11-20T09:04:03.734+00:00", fields={"text": "boom", "service": "orders-1", "partial": True}),
        Sample('{"__REALTIME_TIMESTAMP":"1795165443000000","PRIORITY":"4","_SYSTEMD_UNIT":"billing.service",'
               '"MESSAGE":[104,105,255],"_PID":"7"}', fields={"text": "hi\ufffd", "service": "billing"}),
    )),
    Wrapper("cri", _cri, "0123456789", samples=(
        Sample("2026-11-20T09:13:21.734567891Z stderr F Traceback (most recent call last):",
               ts="2026-11-20T09:13:21.734+00:00", fields={"text": _TB_TEXT, "key": ("cri", "stderr"), "partial": False}),
        Sample("2026-11-20T09:13:21.734567891+00:00 stdout P {\"message\": \"par", fields={"partial": True}),
    )),
    Wrapper("syslog-rfc5424", _rfc5424, "<", samples=(
        Sample("<14>1 2017-03-01T12:00:01Z 3c9a3e1b2f0d /web-app 4242 - - Traceback (most recent call last):",
               ts="2017-03-01T12:00:01.000+00:00", fields={"text": _TB_TEXT, "service": "web-app",
                                                           "key": ("syslog", "3c9a3e1b2f0d", "web-app", "4242")}),
    )),
    Wrapper("syslog-rfc3164", _rfc3164, "<ADFJMNOS", samples=(
        Sample("<11>Nov 20 09:14:03 web1 orders[812]: payment failed", ts="2026-11-20T09:14:03.000+00:00",
               fields={"text": "payment failed", "service": "orders"}),
        Sample("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0",
               ts="2026-06-14T15:16:01.000+00:00", fields={"service": "sshd(pam_unix)"}),
    )),
    Wrapper("journald-short", _journald_short, "0123456789", samples=(
        Sample("2026-11-20T09:13:21+0000 web1 orders[812]: Traceback (most recent call last):",
               ts="2026-11-20T09:13:21.000+00:00", fields={"text": _TB_TEXT, "service": "orders"}),
    )),
    Wrapper("kubectl", _kubectl, "[", samples=(
        Sample("[pod/orders-7d9f8b6c5d-x2k4q/orders] 2026-11-20T09:13:21.734567891Z order placed",
               ts="2026-11-20T09:13:21.734+00:00", fields={"text": "order placed", "service": "orders"}),
    )),
    Wrapper("compose", _compose, ambiguous=True, samples=(
        Sample("orders-1    | 2026-11-20T09:13:21.734567891Z INFO order placed", ts="2026-11-20T09:13:21.734+00:00",
               fields={"text": "INFO order placed", "service": "orders-1"}),
        Sample("notifier-2  | Traceback (most recent call last):", fields={"text": _TB_TEXT}),
        Sample("orders-1  |", fields={"text": ""}),
    )),
    Wrapper("stern", _stern, "abcdefghijklmnopqrstuvwxyz0123456789", ambiguous=True, samples=(
        Sample("orders-7d9f8b6c5d-x2k4q orders 2026-11-20T09:13:21.734567891Z order placed",
               ts="2026-11-20T09:13:21.734+00:00", fields={"text": "order placed", "service": "orders"}),
    )),
)
ALWAYS = tuple(w for w in WRAPPERS if not w.ambiguous)
SNIFF_LINES = 50


def sniff(head_lines: list[str], zone: Zone) -> tuple[Wrapper, ...]:
    """The wrappers to try on a source, from its first lines: ambiguous ones only where they fit.

    An ambiguous wrapper is on when it peels most of the head's non-empty lines that no
    unambiguous wrapper claims (a ``docker compose logs`` capture, a stern session).
    """
    lines = [ln for ln in head_lines[:SNIFF_LINES] if ln.strip()]
    rest = [ln for ln in lines if peel(ln, zone, ALWAYS) is None]
    if not rest:
        return ALWAYS
    enabled = [w for w in WRAPPERS if w.ambiguous and sum(1 for ln in rest if w.peel(ln, zone)) * 5 >= len(rest) * 4]
    return ALWAYS + tuple(enabled) if enabled else ALWAYS


def candidates(wrappers: tuple[Wrapper, ...], first: str) -> tuple[Peeler, ...]:
    """The wrappers a line starting with ``first`` may be, in order (their peel functions)."""
    return tuple(w.peel for w in wrappers if not w.first or first in w.first)


def peel(line: str, zone: Zone, wrappers: tuple[Wrapper, ...] = ALWAYS,
         table: dict[str, tuple[Peeler, ...]] | None = None) -> Peeled | None:
    """The first wrapper that recognises ``line``, peeled; None for an unwrapped line.

    ``table``: where a caller that reads many lines with the same ``wrappers`` keeps their
    ``candidates`` per first character (a source's classifier), so each line tries only those.
    """
    if not line:
        return None
    c = line[0]
    if table is None:
        peelers = candidates(wrappers, c)
    else:
        peelers = table.get(c)  # type: ignore[assignment]
        if peelers is None:
            if len(table) > 256:
                table.clear()
            peelers = table[c] = candidates(wrappers, c)
    for fn in peelers:
        found = fn(line, zone)
        if found is not None:
            return found
    return None
