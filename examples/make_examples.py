#!/usr/bin/env python3
"""Generate the example logs of a pretend shop (examples/logs/) and their ground truth.

Pure stdlib and deterministic: ``python examples/make_examples.py`` rewrites
examples/logs/ byte for byte identically.  The pretend system is a small shop:

    nginx -> gateway (Flask, text) -> orders (logstash_formatter v0 JSON)
                                   -> payments (structlog JSON)
                                   -> inventory (logstash_formatter v1 JSON)
                                   -> search (ECS JSON)
          orders --(RabbitMQ)--> notifier (docker, logs via logspout as RFC5424 syslog)
          orders -> pricing (Django + gunicorn in a Kubernetes pod: CRI log under pods/)
          orders --(RabbitMQ)--> fulfilment (Celery workers under docker compose: compose/fulfilment.log)
    scheduler (oslo.log style, its own req-<uuid> IDs)

examples/expected.json is written from the generator's own bookkeeping (never from devkit):
for each interesting ID, every event that belongs to it with file, first line,
number of physical lines, service and whether it carries a traceback.
"""
from __future__ import annotations

import argparse
import gzip
import json
import random
import shutil
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

SEED = 20261120
UTC = timezone.utc
START = datetime(2026, 11, 20, 9, 10, 0, tzinfo=UTC)
DURATION = 600.0  # seconds of traffic
ROTATE_AT = 257.25  # gateway.log was rotated (copytruncate + gzip) at START + this
SMTP_DOWN = (350.0, 425.0)  # egress path to the SMTP relay broken (the courier API sits behind it too)
PSP_DOWN = (365.0, 418.0)  # egress path to the card processor broken
OUT = Path(__file__).resolve().parent / "logs"
# outside logs/ on purpose: it holds every listed ID, so inside logs/ a recursive search would find it
EXPECTED = Path(__file__).resolve().parent / "expected.json"

# -------------------------------------------------------------------------------------
# time helpers


def at(sec: float) -> datetime:
    return START + timedelta(seconds=sec)


def epoch(sec: float) -> float:
    return round(START.timestamp() + sec, 6)


def text_ts(sec: float) -> str:
    """Python logging asctime: naive wall clock (UTC here), comma, milliseconds."""
    d = at(sec)
    return d.strftime("%Y-%m-%d %H:%M:%S") + ",%03d" % (d.microsecond // 1000)


def iso_us_z(sec: float) -> str:
    return at(sec).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_ms_z(sec: float) -> str:
    d = at(sec)
    return d.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (d.microsecond // 1000)


def nginx_ts(sec: float) -> str:
    return at(sec).strftime("%d/%b/%Y:%H:%M:%S +0000")


def oslo_ts(sec: float) -> str:
    d = at(sec)
    return d.strftime("%Y-%m-%d %H:%M:%S") + ".%03d" % (d.microsecond // 1000)


def bsd_ts(sec: float) -> str:
    d = at(sec)
    return d.strftime("%b ") + ("%2d" % d.day) + d.strftime(" %H:%M:%S")


# -------------------------------------------------------------------------------------
# tracebacks: a list of (frames, final line) joined by chain texts, rendered either as
# traceback.format_exception() chunks (JSON formatters) or as text lines.

CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


@dataclass
class Tb:
    parts: list  # [(frames, final_line)], frames = [(file, lineno, func, code, caret|None)]
    links: list = field(default_factory=list)  # CAUSE/CONTEXT between parts

    def chunks(self) -> list[str]:
        out: list[str] = []
        for i, (frames, final) in enumerate(self.parts):
            if i:
                out.append(self.links[i - 1])
            out.append("Traceback (most recent call last):\n")
            for f, n, fn, code, caret in frames:
                s = '  File "%s", line %d, in %s\n    %s\n' % (f, n, fn, code)
                caret = _caret(code) if caret and "~" not in caret else caret
                if caret:
                    s += "    " + caret + "\n"
                out.append(s)
            out.append(final + "\n")
        return out

    def text(self) -> str:
        return "".join(self.chunks())

    def lines(self) -> list[str]:
        return self.text().rstrip("\n").split("\n")


def _caret(code: str) -> str | None:
    """Python 3.11 position markers: carets under the failing expression, none for a whole line."""
    start = 0
    if " = " in code:
        start = code.index(" = ") + 3
    elif code.startswith(("return ", "with ")):
        start = code.index(" ") + 1
    end = len(code)
    if code.startswith("with ") and " as " in code:
        end = code.index(" as ")
    if start == 0 and end == len(code):
        return None
    return " " * start + "^" * (end - start)


SITE = "/usr/local/lib/python3.11/site-packages"
LIB = "/usr/local/lib/python3.11"


def tb_gateway_chained(cid: str, order_no: int) -> Tb:
    a = [
        (f"{SITE}/urllib3/connectionpool.py", 537, "_make_request",
         "response = conn.getresponse()", "^^^^^^^^^^^^^^^^^^"),
        (f"{SITE}/urllib3/connection.py", 466, "getresponse",
         "httplib_response = super().getresponse()", "^^^^^^^^^^^^^^^^^^^^^"),
        (f"{LIB}/http/client.py", 1378, "getresponse", "response.begin()", None),
        (f"{LIB}/http/client.py", 318, "begin", "version, status, reason = self._read_status()",
         "                         ^^^^^^^^^^^^^^^^^^^"),
        (f"{LIB}/http/client.py", 279, "_read_status",
         'line = str(self.fp.readline(_MAXLINE + 1), "iso-8859-1")', "           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"),
        (f"{LIB}/socket.py", 706, "readinto", "return self._sock.recv_into(b)", "^^^^^^^^^^^^^^^^^^^^^^^^^^^"),
    ]
    b = [
        ("/srv/gateway/gate/orders_client.py", 58, "get_order",
         "resp = self.session.get(url, headers=add_corr_id(), timeout=self.timeout)",
         "       ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"),
        (f"{SITE}/requests/sessions.py", 602, "get", 'return self.request("GET", url, **kwargs)',
         "^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"),
        (f"{SITE}/requests/sessions.py", 589, "request", "resp = self.send(prep, **send_kwargs)",
         "^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"),
        (f"{SITE}/requests/sessions.py", 703, "send", "r = adapter.send(request, **kwargs)",
         "^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"),
        (f"{SITE}/requests/adapters.py", 713, "send", "raise ReadTimeout(e, request=request)", None),
    ]
    c = [
        ("/srv/gateway/gate/views.py", 141, "order_detail", "order = orders.get_order(order_no)",
         "        ^^^^^^^^^^^^^^^^^^^^^^^^^^^"),
        ("/srv/gateway/gate/orders_client.py", 61, "get_order", "raise UpstreamTimeout(", None),
    ]
    return Tb(
        [
            (a, "TimeoutError: timed out"),
            (b, "requests.exceptions.ReadTimeout: HTTPConnectionPool(host='orders', port=8000): "
                "Read timed out. (read timeout=2.0)"),
            (c, f"gate.errors.UpstreamTimeout: orders did not answer within 2.0s "
                f"for order {order_no} (request {cid})"),
        ],
        [CONTEXT, CONTEXT],
    )


def tb_gateway_cart(qty: str) -> Tb:
    fr = [
        ("/srv/gateway/gate/views.py", 207, "add_cart_item", "item = CartItem.from_payload(request.get_json())",
         "       ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"),
        ("/srv/gateway/gate/cart.py", 33, "from_payload", 'quantity=int(payload["quantity"]),',
         "         ^^^^^^^^^^^^^^^^^^^^^^^^"),
    ]
    return Tb([(fr, f"ValueError: invalid literal for int() with base 10: '{qty}'")])


def tb_payments_timeout() -> Tb:
    a = [
        (f"{SITE}/httpcore/_exceptions.py", 10, "map_exceptions", "yield", None),
        (f"{SITE}/httpcore/_backends/sync.py", 206, "connect_tcp", "sock = socket.create_connection(",
         "       ^^^^^^^^^^^^^^^^^^^^^^^^^"),
        (f"{LIB}/socket.py", 851, "create_connection", "raise exceptions[0]", None),
        (f"{LIB}/socket.py", 836, "create_connection", "sock.connect(sa)", None),
    ]
    b = [
        ("/app/payments/psp.py", 88, "authorise", 'resp = self.client.post("/v1/charges", json=body, timeout=3.0)',
         "       ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"),
        (f"{SITE}/httpx/_client.py", 1145, "post", "return self.request(", "       ^^^^^^^^^^^^^"),
        (f"{SITE}/httpx/_client.py", 827, "request", "return self.send(request, auth=auth, follow_redirects=follow_redirects)",
         "       ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"),
        (f"{SITE}/httpx/_transports/default.py", 232, "handle_request", "with map_httpcore_exceptions():", None),
        (f"{LIB}/contextlib.py", 155, "__exit__", "self.gen.throw(typ, value, traceback)", None),
        (f"{SITE}/httpx/_transports/default.py", 86, "map_httpcore_exceptions",
         "raise mapped_exc(message) from exc", None),
    ]
    return Tb([(a, "TimeoutError: timed out"), (b, "httpx.ConnectTimeout: timed out")], [CAUSE])


def tb_orders_payment(order_no: int, status: int, detail: str) -> Tb:
    fr = [
        ("/srv/orders/orders/service.py", 214, "place_order", "charge = payments.charge(order, corr_id=ctx.corr_id)",
         "         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"),
        ("/srv/orders/orders/clients/payments.py", 47, "charge", "raise_for_payment_status(resp, order.id, corr_id)", None),
        ("/srv/orders/orders/clients/payments.py", 22, "raise_for_payment_status", "raise exc_class(", None),
    ]
    return Tb([(fr, detail)])


def tb_inventory_keyerror(sku: str) -> Tb:
    fr = [
        ("/srv/inventory/inventory/api.py", 96, "reserve", "reservation = allocator.reserve(lines, ttl=900)",
         "              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"),
        ("/srv/inventory/inventory/allocator.py", 141, "reserve", "wh = self.pick_warehouse(line)",
         "     ^^^^^^^^^^^^^^^^^^^^^^^^^"),
        ("/srv/inventory/inventory/allocator.py", 77, "pick_warehouse", "bins = self.bin_map[line.sku]",
         "       ~~~~~~~~~~~~^^^^^^^^^^"),
    ]
    return Tb([(fr, f"KeyError: '{sku}'")])


def tb_notifier_smtp() -> Tb:
    fr = [
        ("/app/notifier/tasks.py", 64, "send_email", "with smtplib.SMTP(settings.SMTP_HOST, 587, timeout=10) as smtp:",
         "     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"),
        (f"{LIB}/smtplib.py", 255, "__init__", "(code, msg) = self.connect(host, port)",
         "              ^^^^^^^^^^^^^^^^^^^^^^^^"),
        (f"{LIB}/smtplib.py", 341, "connect", "self.sock = self._get_socket(host, port, self.timeout)",
         "            ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"),
        (f"{LIB}/smtplib.py", 312, "_get_socket", "return socket.create_connection((host, port), timeout,",
         "       ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"),
        (f"{LIB}/socket.py", 851, "create_connection", "raise exceptions[0]", None),
        (f"{LIB}/socket.py", 836, "create_connection", "sock.connect(sa)", None),
    ]
    return Tb([(fr, "TimeoutError: timed out")])


def tb_search_timeout() -> Tb:
    fr = [
        ("/srv/search/search/views.py", 52, "search", "hits = index.query(q, size=24, filters=filters)",
         "       ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"),
        ("/srv/search/search/index.py", 118, "query", 'res = self.client.search(index="products", body=body, request_timeout=1.5)',
         "      ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"),
        (f"{SITE}/opensearchpy/client/utils.py", 176, "_wrapped", "return func(*args, params=params, headers=headers, **kwargs)",
         "       ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"),
        (f"{SITE}/opensearchpy/transport.py", 457, "perform_request", "raise e", None),
        (f"{SITE}/opensearchpy/connection/http_urllib3.py", 264, "perform_request",
         'raise ConnectionTimeout("TIMEOUT", str(e), e)', None),
    ]
    return Tb([(fr, "opensearchpy.exceptions.ConnectionTimeout: ConnectionTimeout caused by - "
                    "ReadTimeoutError(HTTPConnectionPool(host='opensearch', port=9200): Read timed out. "
                    "(read timeout=1.5))")])


def tb_scheduler(depot: str, day: str) -> Tb:
    fr = [
        ("/opt/scheduler/scheduler/manager.py", 312, "plan_routes", "slots = self.slot_api.list_free(depot, day)",
         "        ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"),
        ("/opt/scheduler/scheduler/clients/carrier.py", 71, "list_free", "resp.raise_for_status()", None),
        (f"{SITE}/requests/models.py", 1021, "raise_for_status", "raise HTTPError(http_error_msg, response=self)", None),
    ]
    return Tb([(fr, "requests.exceptions.HTTPError: 503 Server Error: Service Unavailable for url: "
                    f"https://api.carrier.example.net/v2/slots?depot={depot}&day={day}")])


# -------------------------------------------------------------------------------------
# output bookkeeping


@dataclass
class Entry:
    t: float
    seq: int
    lines: list
    cid: str | None
    service: str
    tb: bool
    group: int | None = None  # syslog records stitched into one event share a group


class Book:
    def __init__(self) -> None:
        self.files: dict[str, list[Entry]] = {}
        self.seq = 0
        self.groups = 0

    def add(self, path: str, t: float, lines, cid, service, tb=False, group=None) -> None:
        self.seq += 1
        if isinstance(lines, str):
            lines = [lines]
        self.files.setdefault(path, []).append(Entry(t, self.seq, list(lines), cid, service, tb, group))

    def new_group(self) -> int:
        self.groups += 1
        return self.groups


BOOK = Book()

# -------------------------------------------------------------------------------------
# writers, one per format


class Gateway:
    """Flask + the seed blog's InjectingFilter: '%(corrId)s - %(asctime)s - %(filename)s - %(funcName)s - %(message)s'."""

    def log(self, t, cid, filename, func, msg, tb: Tb | None = None):
        line = f"{cid or 'Internal'} - {text_ts(t)} - {filename} - {func} - {msg}"
        lines = [line] + (tb.lines() if tb else [])
        path = "gateway/gateway.log.1.gz" if t < ROTATE_AT else "gateway/gateway.log"
        BOOK.add(path, t, lines, cid, "gateway", tb is not None)


class PyRecord:
    """Attributes of a Python 3.11 LogRecord in __dict__ order, for the logstash formatters."""

    def __init__(self, host, pid, start, threads, pkgdir):
        self.host, self.pid, self.start, self.threads, self.pkgdir = host, pid, start, threads, pkgdir

    def fields(self, rng, t, name, level, module_file, lineno, func, msg, args):
        created = epoch(t)
        levelno = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40}[level]
        thread_name, thread_id = rng.choice(self.threads)
        return {
            "name": name,
            "msg": msg,
            "args": list(args),
            "levelname": level,
            "levelno": levelno,
            "pathname": f"{self.pkgdir}/{module_file}",
            "filename": module_file.rsplit("/", 1)[-1],
            "module": module_file.rsplit("/", 1)[-1][:-3],
            "stack_info": None,
            "lineno": lineno,
            "funcName": func,
            "created": created,
            "msecs": float(int((created - int(created)) * 1000)),
            "relativeCreated": round((created - self.start) * 1000, 6),
            "thread": thread_id,
            "threadName": thread_name,
            "processName": "MainProcess",
            "process": self.pid,
        }


class Orders(PyRecord):
    """logstash_formatter.LogstashFormatter (v0): @message/@timestamp/@source_host/@fields."""

    def log(self, rng, t, cid, level, name, module_file, lineno, func, msg, args=(), tb: Tb | None = None):
        f = self.fields(rng, t, name, level, module_file, lineno, func, msg, args)
        message = msg % tuple(args) if args else msg
        f.pop("msg")
        f["corrId"] = cid or "Internal"
        if tb:
            f["exception"] = tb.chunks()
        fmt_t = t + rng.uniform(0.00004, 0.00031)
        rec = {"@message": message, "@timestamp": iso_us_z(fmt_t), "@source_host": self.host, "@fields": f}
        BOOK.add("orders/orders.log", t, json.dumps(rec), cid, "orders", tb is not None)


class Inventory(PyRecord):
    """logstash_formatter.LogstashFormatterV1: flat, @timestamp in ms, @version 1, message, exception."""

    def log(self, rng, t, cid, level, name, module_file, lineno, func, msg, args=(), tb: Tb | None = None, extra=None):
        f = self.fields(rng, t, name, level, module_file, lineno, func, msg, args)
        f.pop("msg")
        f["corrId"] = cid or "Internal"
        for k, v in (extra or {}).items():
            f[k] = v
        f["message"] = msg % tuple(args) if args else msg
        if tb:
            f["exception"] = tb.chunks()
        fmt_t = t + rng.uniform(0.00004, 0.00031)
        rec = {"@timestamp": iso_ms_z(fmt_t), "@version": 1, "source_host": self.host}
        rec.update(f)
        BOOK.add("inventory/inventory.log", t, json.dumps(rec), cid, "inventory", tb is not None)


class Payments:
    """structlog: merge_contextvars, add_log_level, TimeStamper(iso, utc), format_exc_info, JSONRenderer."""

    def log(self, t, cid, event, level="info", tb: Tb | None = None, **kw):
        d = {}
        if cid:
            d["request_id"] = cid
        d.update(kw)
        d["event"] = event
        d["level"] = level
        d["timestamp"] = iso_us_z(t)
        if tb:
            d["exception"] = tb.text().rstrip("\n")
        BOOK.add("payments/payments.log", t, json.dumps(d), cid, "payments", tb is not None)


class Search:
    """ecs-logging-python StdlibFormatter with elastic-apm: trace.id carries the request ID."""

    def __init__(self):
        self.pid = 17

    def log(self, rng, t, cid, level, func, lineno, msg, tx=None, tb: Tb | None = None, exc_type="", exc_msg=""):
        d = {"@timestamp": iso_ms_z(t), "log.level": level, "message": msg}
        rest = {
            "ecs": {"version": "1.6.0"},
            "log": {"logger": "search.views", "origin": {"file": {"line": lineno, "name": "views.py"},
                                                          "function": func}, "original": msg},
            "process": {"name": "MainProcess", "pid": self.pid,
                        "thread": {"id": 140245118527232, "name": "MainThread"}},
            "service": {"name": "search"},
        }
        if cid:
            rest["trace"] = {"id": cid}
            rest["transaction"] = {"id": tx}
        if tb:
            rest["error"] = {"message": exc_msg, "stack_trace": tb.text().rstrip("\n"), "type": exc_type}
        for k in sorted(rest):
            d[k] = rest[k]
        BOOK.add("search/search.log", t, json.dumps(d, separators=(",", ":")), cid, "search", tb is not None)


class Nginx:
    """log_format main '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
    "$http_referer" "$http_user_agent" corr=$request_id rt=$request_time';"""

    def log(self, t_start, t_end, cid, ip, method, path, status, size, ref, ua):
        rt = "%.3f" % (t_end - t_start)
        line = (f'{ip} - - [{nginx_ts(t_end)}] "{method} {path} HTTP/1.1" {status} {size} "{ref}" "{ua}" '
                f"corr={cid} rt={rt}")
        BOOK.add("nginx/access.log", t_end, line, cid, "nginx")


SYSLOG = "syslog/docker.log"


class Container:
    """logspout RFC5424: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID - - MSG (fractional seconds here)."""

    def __init__(self, host, name, pid, service):
        self.host, self.name, self.pid, self.service = host, name, pid, service

    def record(self, t, msg, pri=14, cid=None, tb=False, group=None):
        BOOK.add(SYSLOG, t, f"<{pri}>1 {iso_ms_z(t)} {self.host} {self.name} {self.pid} - - {msg}",
                 cid, self.service, tb, group)


def host_syslog(t, pri, tag, msg):
    BOOK.add(SYSLOG, t, f"<{pri}>{bsd_ts(t)} shop-host {tag}: {msg}", None, "host")


# -------------------------------------------------------------------------------------
# the container corner: pricing in a Kubernetes pod, fulfilment under docker compose. They draw
# from their own random generator, so the rest of the shop's files stay byte for byte the same.

PRICING_POD = "shop_pricing-6f9c7d5b4-k2x8p_3f1d2c4b-8a9e-4b7c-9d6e-5a4b3c2d1e0f"
PRICING_LOG = f"pods/{PRICING_POD}/pricing/0.log"
COMPOSE_LOG = "compose/fulfilment.log"


def rfc3339_nano(sec: float, fixed: bool = False) -> str:
    """containerd trims trailing zeros of RFC3339Nano; docker compose -t prints all nine digits."""
    d = at(sec)
    digits = "%06d000" % d.microsecond
    digits = digits if fixed else digits.rstrip("0")
    return d.strftime("%Y-%m-%dT%H:%M:%S") + (f".{digits}" if digits else "") + "Z"


class Pricing:
    """Django behind gunicorn in a pod. gunicorn's access log on stdout, with %(L)s and the
    X-Correlation-Id header; Django's documented verbose formatter on stderr; containerd's CRI
    framing (one record per line, so a traceback is split over stderr records while kubelet's
    probes keep stdout writing)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def cri(self, t, stream, text, cid=None, tb=False, group=None) -> None:
        BOOK.add(PRICING_LOG, t, f"{rfc3339_nano(t)} {stream} F {text}", cid, "pricing", tb, group)

    def access(self, t0, t1, cid, method, path, status, size, ua) -> None:
        tail = f" {cid}" if cid else " -"
        self.cri(t1, "stdout", f'10.244.1.{self.rng.randint(10, 40)} - - [{nginx_ts(t1)}] "{method} {path} HTTP/1.1" '
                               f'{status} {size} "-" "{ua}" {t1 - t0:.6f}{tail}', cid)

    def quote(self, t, cid, no, items, amount) -> None:
        r = self.rng
        t1 = t + r.uniform(0.0008, 0.0022)
        self.cri(t1, "stderr", f"INFO {text_ts(t1)} views 1 140211 quote for order {no} (request {cid}): "
                               f"{amount} EUR, {items} items", cid)
        t2 = t1 + r.uniform(0.0004, 0.0011)
        self.access(t, t2, cid, "POST", "/api/quote", 200, r.randint(80, 120), "python-httpx/0.27.2")

    def background(self) -> None:
        r = self.rng
        t = 2.05
        while t < DURATION:
            self.access(t, t + 0.0004, None, "GET", "/healthz", 200, 2, "kube-probe/1.31")
            t += 10
        for t in (181.5, 481.5):  # the price table refresh fails twice, with a traceback on stderr
            g = BOOK.new_group()
            self.cri(t, "stderr", f"ERROR {text_ts(t)} tasks 1 140215 price table refresh failed", tb=True, group=g)
            lines = ["Traceback (most recent call last):",
                     '  File "/srv/pricing/pricing/tasks.py", line 58, in refresh_table',
                     "    rows = fetch_rates(source=settings.RATES_URL)",
                     '  File "/srv/pricing/pricing/rates.py", line 23, in fetch_rates',
                     "    raise RatesUnavailable(f\"{source}: HTTP {resp.status_code}\")",
                     "pricing.rates.RatesUnavailable: https://rates.example.net/v2/eur: HTTP 503"]
            tt = t
            for k, line in enumerate(lines):
                tt += 0.00031
                if k == 2:  # a kubelet probe lands between two records of the traceback
                    self.access(tt - 0.0001, tt, None, "GET", "/healthz", 200, 2, "kube-probe/1.31")
                    tt += 0.00007
                self.cri(tt, "stderr", line, group=g)
            t += r.uniform(0.1, 0.2)


class Fulfilment:
    """Celery workers booking couriers, read with `docker compose logs -t` (names padded, docker's
    RFC3339Nano after the bar). The courier API sits behind the same egress proxy as SMTP."""

    NAMES = ("fulfilment-1", "fulfilment-2", "redis-1")

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.width = max(len(n) for n in self.NAMES)
        self.courier = 55210

    def line(self, t, name, text, cid=None, tb=False, group=None) -> None:
        BOOK.add(COMPOSE_LOG, t, f"{name.ljust(self.width)}  | {rfc3339_nano(t, fixed=True)} {text}", cid, name,
                 tb, group)

    def celery(self, t, level, process, text) -> str:
        return f"[{text_ts(t)}: {level}/{process}] {text}"

    def book(self, t, cid, no) -> None:
        r = self.rng
        name = r.choice(self.NAMES[:2])
        pool = f"ForkPoolWorker-{r.randint(1, 4)}"
        task = "%08x-%04x-4%03x-%04x-%012x" % (r.getrandbits(32), r.getrandbits(16), r.getrandbits(12),
                                               0x8000 | r.getrandbits(14), r.getrandbits(48))
        full = f"shop.fulfilment.book_courier[{task}]"
        self.line(t, name, self.celery(t, "INFO", "MainProcess", f"Task {full} received"))
        t += r.uniform(0.002, 0.02)
        self.line(t, name, self.celery(t, "INFO", pool, f"{full}: booking courier for order {no} (request {cid})"),
                  cid)
        if SMTP_DOWN[0] <= t <= SMTP_DOWN[1]:
            t += 5.0 + r.uniform(0.001, 0.004)  # requests' connect timeout
            g = BOOK.new_group()
            self.line(t, name, self.celery(t, "ERROR", pool, f"Task {full} raised unexpected: ConnectTimeout("
                                                             "'api.courier.example.net timed out')"), tb=True, group=g)
            lines = ["Traceback (most recent call last):",
                     '  File "/usr/local/lib/python3.11/site-packages/celery/app/trace.py", line 477, in trace_task',
                     "    R = retval = fun(*args, **kwargs)",
                     '  File "/srv/fulfilment/tasks.py", line 31, in book_courier',
                     "    resp = courier.post('/v1/bookings', json=payload, timeout=5)",
                     "requests.exceptions.ConnectTimeout: api.courier.example.net timed out"]
            for k, text in enumerate(lines):
                t += 0.00018
                if k in (1, 4):  # other containers' lines land between the records of the traceback
                    other = self.NAMES[1] if name == self.NAMES[0] else self.NAMES[0]
                    redis = "1:M " + at(t).strftime("%d %b %Y %H:%M:%S") + ".%03d" % (at(t).microsecond // 1000)
                    self.line(t, other if k == 1 else "redis-1",
                              f"{redis} * 100 changes in 300 seconds. Saving..." if k == 4 else
                              self.celery(t, "INFO", "MainProcess", "celery@fulfilment events: heartbeat"))
                    t += 0.00005
                self.line(t, name, text, group=g)
            return
        t += r.uniform(0.2, 0.6)
        self.courier += r.randint(1, 9)
        self.line(t, name, self.celery(t, "INFO", pool, f"Task {full} succeeded in {r.uniform(0.2, 0.6):.3f}s: "
                                                       f"'CR-{self.courier}'"))


# -------------------------------------------------------------------------------------
# the pretend system


class Shop:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.gw = Gateway()
        self.orders = Orders("b7e1c0a94f3d", 9, epoch(-4271.3), [
            ("ThreadPoolExecutor-0_0", 140388561884928), ("ThreadPoolExecutor-0_1", 140388553492224),
            ("ThreadPoolExecutor-0_2", 140388545099520), ("ThreadPoolExecutor-0_3", 140388536706816)],
            "/srv/orders")
        self.inv = Inventory("3d5a91c7e2b8", 8, epoch(-9812.6), [
            ("ThreadPoolExecutor-0_0", 139911204017920), ("ThreadPoolExecutor-0_1", 139911195625216)],
            "/srv/inventory/inventory")
        self.pay = Payments()
        self.search = Search()
        self.nginx = Nginx()
        self.notifier = Container("9f2c4e1a7b30", "/notifier", 23817, "notifier")
        self.worker = Container("c41d8e2f6a95", "/worker", 24102, "worker")
        self.redis = Container("5e7a0b3c9d12", "/redis", 2291, "redis")
        self.order_no = 1000200
        self.reservation = 88100
        corner = random.Random(SEED + 1)
        self.pricing = Pricing(corner)
        self.fulfilment = Fulfilment(corner)

    # ---- small utilities
    def cid(self) -> str:
        return "%032x" % self.rng.getrandbits(128)

    def ms(self, lo, hi) -> float:
        return self.rng.uniform(lo, hi) / 1000.0

    def ip(self) -> str:
        r = self.rng
        return r.choice(["203.0.113.", "198.51.100.", "192.0.2."]) + str(r.randint(2, 250))

    def ua(self) -> str:
        return self.rng.choice([
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "ShopApp/4.12.1 (Android 15; Pixel 8)",
        ])

    def sku(self) -> str:
        return "SKU-%04d" % self.rng.choice([1042, 1187, 2210, 2231, 3005, 3019, 3377, 4102, 4415, 5120, 5533, 6001])

    def customer(self) -> int:
        return self.rng.randint(18000, 18999)

    # ---- gateway request framing
    def gw_in(self, t, cid):
        self.gw.log(t, cid, "log.py", "log_incoming", f"corrID {cid} extracted")

    def gw_out(self, t, cid):
        self.gw.log(t, cid, "log.py", "cleanup_after_outgoing", f"Removing corrID {cid} from thread local storage")

    # ---- request kinds; each returns the end time at nginx
    def static(self, t0, cid):
        r = self.rng
        path, status, size = r.choice([
            ("/static/js/app.3f9c1e.js", 200, 48213), ("/static/css/main.a81b2c.css", 200, 15876),
            ("/static/img/logo.svg", 200, 3391), ("/favicon.ico", 404, 153), ("/robots.txt", 200, 67),
            ("/static/js/app.3f9c1e.js", 304, 0)])
        t1 = t0 + self.ms(0.2, 2.5)
        self.nginx.log(t0, t1, cid, self.ip(), "GET", path, status, size, "https://shop.example.com/", self.ua())

    def product(self, t0, cid):
        sku = self.sku()
        t = t0 + self.ms(1, 3)
        self.gw_in(t, cid)
        t += self.ms(0.3, 1.2)
        self.gw.log(t, cid, "views.py", "product_detail", f"Fetching product {sku}")
        t += self.ms(3, 9)
        avail = self.rng.randint(0, 40)
        self.inv.log(self.rng, t, cid, "INFO", "inventory.api", "api.py", 61, "stock_level",
                     "Stock lookup %s: %d available in %d warehouses", (sku, avail, self.rng.randint(1, 3)))
        t += self.ms(2, 8)
        self.gw_out(t, cid)
        t1 = t + self.ms(0.5, 2)
        self.nginx.log(t0, t1, cid, self.ip(), "GET", f"/api/products/{sku}", 200, self.rng.randint(900, 2400),
                       "https://shop.example.com/catalog", self.ua())

    def search_req(self, t0, cid, fail=False):
        r = self.rng
        q = r.choice(["winter+jacket", "gloves", "thermos", "hiking+boots", "scarf", "rain+cover", "headlamp"])
        t = t0 + self.ms(1, 3)
        self.gw_in(t, cid)
        t += self.ms(0.3, 1)
        self.gw.log(t, cid, "views.py", "search", f"Searching products q='{q.replace('+', ' ')}'")
        t += self.ms(3, 8)
        tx = "%016x" % r.getrandbits(64)
        self.search.log(r, t, cid, "info", "search", 47, f"query q='{q.replace('+', ' ')}' page=1", tx)
        if fail:
            t += 1.5 + self.ms(1, 4)
            tb = tb_search_timeout()
            self.search.log(r, t, cid, "error", "search", 58, "search backend timed out, returning 503", tx, tb,
                            "ConnectionTimeout", tb.parts[-1][1].split(": ", 1)[1])
            t += self.ms(2, 5)
            self.gw.log(t, cid, "views.py", "search",
                        "search answered 503, serving cached results for q='%s'" % q.replace("+", " "))
            size, status = r.randint(4000, 9000), 200
        else:
            t += self.ms(8, 40)
            self.search.log(r, t, cid, "info", "search", 55, f"{r.randint(0, 60)} hits in {r.randint(6, 38)} ms", tx)
            size, status = r.randint(6000, 30000), 200
        t += self.ms(2, 6)
        self.gw_out(t, cid)
        t1 = t + self.ms(0.5, 2)
        self.nginx.log(t0, t1, cid, self.ip(), "GET", f"/api/products?q={q}", status, size,
                       "https://shop.example.com/", self.ua())

    def cart(self, t0, cid, bad_qty=None):
        r = self.rng
        sku = self.sku()
        t = t0 + self.ms(1, 3)
        self.gw_in(t, cid)
        t += self.ms(0.5, 2)
        if bad_qty:
            self.gw.log(t, cid, "views.py", "add_cart_item", "Invalid cart payload from session 7f3e...c2",
                        tb_gateway_cart(bad_qty))
            status, size = 400, 61
        else:
            n = r.randint(1, 3)
            self.gw.log(t, cid, "views.py", "add_cart_item", f"Added {n} x {sku} to cart (session cart:{r.getrandbits(32):08x})")
            status, size = 200, r.randint(300, 900)
        t += self.ms(1, 3)
        self.gw_out(t, cid)
        t1 = t + self.ms(0.5, 2)
        self.nginx.log(t0, t1, cid, self.ip(), "POST", "/api/cart/items", status, size,
                       "https://shop.example.com/product/" + sku.lower(), self.ua())

    def order_detail(self, t0, cid, slow=False):
        r = self.rng
        no = r.randint(1000100, self.order_no)
        t = t0 + self.ms(1, 3)
        self.gw_in(t, cid)
        t += self.ms(0.3, 1)
        self.gw.log(t, cid, "views.py", "order_detail", f"Loading order {no}")
        t += self.ms(3, 9)
        self.orders.log(r, t, cid, "INFO", "orders.api", "orders/api.py", 88, "get_order", "GET order %s", (no,))
        if slow:
            t_orders_done = t + 2.43 + self.ms(1, 5)
            self.orders.log(r, t_orders_done, cid, "WARNING", "orders.db", "orders/db.py", 143, "execute",
                            "Slow query: %d ms: SELECT ... FROM order_lines WHERE order_id = %%s", (2431,))
            t += 2.0 + self.ms(1, 4)
            self.gw.log(t, cid, "views.py", "order_detail", f"Unhandled error loading order {no}",
                        tb_gateway_chained(cid, no))
            t += self.ms(0.5, 1.5)
            self.gw_out(t, cid)
            t1 = t + self.ms(0.5, 1)
            self.nginx.log(t0, t1, cid, self.ip(), "GET", f"/api/orders/{no}", 504, 167,
                           "https://shop.example.com/account/orders", self.ua())
            return
        t += self.ms(4, 25)
        self.orders.log(r, t, cid, "INFO", "orders.api", "orders/api.py", 97, "get_order",
                        "Order %s found: status=%s lines=%d", (no, r.choice(["paid", "shipped", "delivered"]), r.randint(1, 4)))
        t += self.ms(2, 6)
        self.gw_out(t, cid)
        t1 = t + self.ms(0.5, 2)
        self.nginx.log(t0, t1, cid, self.ip(), "GET", f"/api/orders/{no}", 200, r.randint(700, 1800),
                       "https://shop.example.com/account/orders", self.ua())

    def checkout(self, t0, cid, mode="ok", interleave="worker"):
        """POST /api/orders: gateway -> orders -> inventory -> payments -> orders -> RabbitMQ -> notifier.

        mode: ok | declined | inventory_error | psp_timeout (payment provider unreachable)."""
        r = self.rng
        self.order_no += 1
        no = self.order_no
        cust = self.customer()
        skus = sorted({self.sku() for _ in range(r.randint(1, 3))})
        total = sum(r.choice([12.99, 19.9, 24.5, 39.0, 49.95, 89.0, 129.0]) for _ in skus)
        amount = "%.2f" % total
        t = t0 + self.ms(1, 3)
        self.gw_in(t, cid)
        t += self.ms(0.3, 1.5)
        self.gw.log(t, cid, "views.py", "create_order", f"Creating order for customer {cust} ({len(skus)} items)")
        t += self.ms(3, 8)
        o = self.orders
        o.log(r, t, cid, "INFO", "orders.api", "orders/api.py", 41, "create_order",
              "Order request: customer=%s items=%d total=%s EUR", (cust, len(skus), amount))
        t += self.ms(1, 4)
        o.log(r, t, cid, "DEBUG", "orders.service", "orders/service.py", 188, "place_order",
              "Reserving stock for %s", (", ".join(skus),))
        # inventory
        t += self.ms(3, 9)
        self.inv.log(r, t, cid, "INFO", "inventory.api", "api.py", 88, "reserve",
                     "Reserve request for %d SKUs (order %s)", (len(skus), no))
        if mode == "inventory_error":
            t += self.ms(2, 6)
            self.inv.log(r, t, cid, "ERROR", "inventory.api", "api.py", 101, "reserve",
                         "Reservation failed for order %s", (no,), tb_inventory_keyerror(skus[-1]))
            t += self.ms(3, 7)
            o.log(r, t, cid, "ERROR", "orders.service", "orders/service.py", 196, "place_order",
                  "Stock reservation failed for order %s: inventory answered 500", (no,))
            t += self.ms(3, 7)
            self.gw.log(t, cid, "views.py", "create_order", f"orders answered 503 for customer {cust}: stock reservation failed")
            t += self.ms(0.5, 1.5)
            self.gw_out(t, cid)
            t1 = t + self.ms(0.5, 2)
            self.nginx.log(t0, t1, cid, self.ip(), "POST", "/api/orders", 503, 112,
                           "https://shop.example.com/checkout", self.ua())
            return
        self.reservation += r.randint(1, 9)
        res = "r-%d" % self.reservation
        for sku in skus:
            t += self.ms(0.5, 3)
            self.inv.log(r, t, cid, "DEBUG", "inventory.allocator", "allocator.py", 152, "reserve",
                         "Reserved %s x%d in %s", (sku, r.randint(1, 2), r.choice(["WAW-1", "WAW-1", "POZ-2"])))
        t += self.ms(1, 4)
        self.inv.log(r, t, cid, "INFO", "inventory.api", "api.py", 104, "reserve",
                     "Reservation %s created (ttl 900s)", (res,), extra={"reservation": res})
        t += self.ms(2, 6)
        o.log(r, t, cid, "INFO", "orders.service", "orders/service.py", 204, "place_order",
              "Stock reserved (%s), charging %s EUR", (res, amount))
        self.pricing.quote(t + 0.0004, cid, no, len(skus), amount)
        # payments
        t += self.ms(3, 8)
        p = self.pay
        p.log(t, cid, "charge_requested", order_id=no, amount=amount, currency="EUR", psp="cardpay")
        outcome = "ok"
        if mode == "psp_timeout":
            t += 3.0 + self.ms(1, 6)
            p.log(t, cid, "psp_request_failed", "error", tb_payments_timeout(), order_id=no, psp="cardpay",
                  attempt=1, elapsed_ms=round(3000 + r.uniform(1, 6), 1))
            t += self.ms(1, 3)
            p.log(t, cid, "charge_failed", "warning", order_id=no, reason="psp_unreachable", http_status=502)
            t += self.ms(2, 6)
            tb = tb_orders_payment(no, 502, "orders.clients.payments.PaymentServiceError: payments answered 502 "
                                            f"for order {no}: psp_unreachable")
            o.log(r, t, cid, "ERROR", "orders.service", "orders/service.py", 219, "place_order",
                  "Payment failed for order %s", (no,), tb)
            outcome = "failed"
        elif mode == "declined":
            t += self.ms(150, 420)
            p.log(t, cid, "charge_declined", "warning", order_id=no, decline_code="insufficient_funds",
                  psp_ref="ch_%012x" % r.getrandbits(48))
            t += self.ms(2, 6)
            tb = tb_orders_payment(no, 402, "orders.errors.PaymentDeclined: payment declined for request "
                                            f"{cid} (order {no}: insufficient_funds)")
            o.log(r, t, cid, "ERROR", "orders.service", "orders/service.py", 219, "place_order",
                  "Payment failed for order %s", (no,), tb)
            outcome = "declined"
        else:
            t += self.ms(180, 650)
            p.log(t, cid, "charge_authorised", order_id=no, amount=amount, currency="EUR",
                  psp_ref="ch_%012x" % r.getrandbits(48))
            t += self.ms(2, 6)
            o.log(r, t, cid, "INFO", "orders.service", "orders/service.py", 231, "place_order",
                  "Order %s created, status=paid", (no,))
        if outcome != "ok":
            t += self.ms(3, 8)
            self.inv.log(r, t, cid, "INFO", "inventory.api", "api.py", 131, "release",
                         "Reservation %s released (order %s %s)", (res, no, outcome), extra={"reservation": res})
        t += self.ms(1, 3)
        event = "order.created" if outcome == "ok" else "order.payment_failed"
        o.log(r, t, cid, "DEBUG", "orders.events", "orders/events.py", 37, "publish",
              "Published %s for order %s to exchange 'shop'", (event, no))
        t_pub = t
        t += self.ms(2, 6)
        if outcome == "ok":
            self.gw.log(t, cid, "views.py", "create_order", f"Order {no} created for customer {cust}")
            status, size = 201, r.randint(400, 700)
        elif outcome == "declined":
            self.gw.log(t, cid, "views.py", "create_order", f"Checkout declined for customer {cust}: orders answered 402")
            status, size = 402, 98
        else:
            self.gw.log(t, cid, "views.py", "create_order",
                        f"Checkout failed for customer {cust}: orders answered 502 (payment provider unavailable)")
            status, size = 502, 157
        t += self.ms(0.5, 1.5)
        self.gw_out(t, cid)
        t1 = t + self.ms(0.5, 2)
        self.nginx.log(t0, t1, cid, self.ip(), "POST", "/api/orders", status, size,
                       "https://shop.example.com/checkout", self.ua())
        # notifier (async, via RabbitMQ)
        self.notify(t_pub + self.ms(15, 120), cid, no, cust, outcome, interleave)
        if outcome == "ok":
            self.fulfilment.book(t_pub + 0.031, cid, no)

    def notify(self, t, cid, no, cust, outcome, interleave):
        r = self.rng
        n = self.notifier
        kind = {"ok": "order-confirmation", "declined": "payment-declined", "failed": "payment-failed"}[outcome]

        def text(t_, file, func, msg):
            return f"{cid} - {text_ts(t_)} - {file} - {func} - {msg}"

        n.record(t, text(t, "consumer.py", "on_message", f"Received {'order.created' if outcome == 'ok' else 'order.payment_failed'} for order {no}"), cid=cid)
        t += self.ms(2, 9)
        n.record(t, text(t, "tasks.py", "send_email", f"Sending {kind} email for order {no} to customer {cust}"), cid=cid)
        if SMTP_DOWN[0] <= t <= SMTP_DOWN[1]:
            t += 10.0 + self.ms(1, 5)  # smtplib timeout=10
            g = BOOK.new_group()
            head = text(t, "tasks.py", "send_email", f"Failed to send {kind} email for order {no}")
            n.record(t, head, cid=cid, tb=True, group=g)
            other = self.worker if interleave == "worker" else self.redis
            tb_lines = tb_notifier_smtp().lines()
            # docker reads the lines a few hundred microseconds apart; another container's
            # lines land in between
            step = 0.00021
            tt = t
            pair = self.other_pair(other)
            for i, line in enumerate(tb_lines):
                tt += step
                n.record(tt, line, group=g)
                if i in (2, 7):
                    other.record(tt + step / 2, pair.pop(0)(tt + step / 2), pri=11 if other is self.worker else 14)
            t = tt + self.ms(1, 3)
            n.record(t, text(t, "tasks.py", "send_email", f"Will retry {kind} email for order {no} in 300 s"), cid=cid)
        else:
            t += self.ms(40, 400)
            n.record(t, text(t, "tasks.py", "send_email",
                             f"Email for order {no} accepted by relay (queue id {r.getrandbits(36):09X})"), cid=cid)

    def other_pair(self, c: Container) -> list:
        """Two related records of another container (msg makers taking the time)."""
        r = self.rng
        if c.name == "/worker":
            tid = "%08x-%04x-4%03x-%04x-%012x" % (r.getrandbits(32), r.getrandbits(16), r.getrandbits(12),
                                                  0x8000 | r.getrandbits(14), r.getrandbits(48))
            n = r.randint(0, 9)
            return [
                lambda t: f"[{text_ts(t)}: INFO/MainProcess] Task shop.tasks.expire_carts[{tid}] received",
                lambda t: f"[{text_ts(t)}: INFO/ForkPoolWorker-2] Task shop.tasks.expire_carts[{tid}] "
                          f"succeeded in 0.000{r.randint(300, 900)}s: {n}",
            ]
        pid = r.randint(400, 900)

        def stamp(t):
            return f"{at(t).strftime('%d %b %Y %H:%M:%S')}.{at(t).microsecond // 1000:03d}"
        return [
            lambda t: f"1:M {stamp(t)} * Background saving started by pid {pid}",
            lambda t: f"{pid}:C {stamp(t)} * DB saved on disk",
        ]

    def other_record(self, c: Container, t):
        r = self.rng
        if c.name == "/worker":
            tid = "%08x-%04x-4%03x-%04x-%012x" % (r.getrandbits(32), r.getrandbits(16), r.getrandbits(12),
                                                  0x8000 | r.getrandbits(14), r.getrandbits(48))
            msg = r.choice([
                f"[{text_ts(t)}: INFO/MainProcess] Task shop.tasks.rebuild_sitemap[{tid}] received",
                f"[{text_ts(t)}: INFO/ForkPoolWorker-2] Task shop.tasks.expire_carts[{tid}] succeeded in 0.0{r.randint(10, 99)}s: {r.randint(0, 9)}",
                f"[{text_ts(t)}: WARNING/ForkPoolWorker-1] Task shop.tasks.sync_prices[{tid}] retry: Retry in 30s: ConnectionError('egress proxy refused connection')",
            ])
            c.record(t, msg, pri=11)
        else:
            msg = r.choice([
                f"1:M {at(t).strftime('%d %b %Y %H:%M:%S')}.{at(t).microsecond // 1000:03d} * 100 changes in 300 seconds. Saving...",
                f"1:M {at(t).strftime('%d %b %Y %H:%M:%S')}.{at(t).microsecond // 1000:03d} * Background saving started by pid {r.randint(400, 900)}",
                f"{r.randint(400, 900)}:C {at(t).strftime('%d %b %Y %H:%M:%S')}.{at(t).microsecond // 1000:03d} * DB saved on disk",
            ])
            c.record(t, msg, pri=14)

    # ---- background noise
    def background(self):
        r = self.rng
        t = 3.7
        while t < DURATION:
            self.gw.log(t, None, "cache.py", "refresh_catalog",
                        f"Catalog cache refreshed: {r.randint(405, 420)} products in {r.randint(21, 60)} ms")
            t += 30 + r.uniform(-0.05, 0.05)
        t = 11.2
        while t < DURATION:
            deps = "orders=ok inventory=ok search=ok"
            if PSP_DOWN[0] <= t <= PSP_DOWN[1]:
                deps = "orders=ok inventory=ok search=ok payments=degraded"
            self.gw.log(t, None, "health.py", "probe", f"Dependencies healthy: {deps}")
            t += 60 + r.uniform(-0.1, 0.1)
        t = 5.1
        while t < DURATION:
            self.orders.log(r, t, None, "INFO", "orders.outbox", "orders/outbox.py", 52, "drain",
                            "Outbox drained: %d pending events published", (r.randint(0, 2),))
            t += 45 + r.uniform(-0.2, 0.2)
        t = 20.4
        while t < DURATION:
            self.inv.log(r, t, None, "INFO", "inventory.sync", "sync.py", 33, "sync_wms",
                         "WMS sync: %d SKUs updated, %d unchanged", (r.randint(0, 6), r.randint(400, 420)))
            t += 120 + r.uniform(-0.3, 0.3)
        t = 40.0
        while t < DURATION:
            self.pay.log(t, None, "psp_token_refreshed", expires_in=3600, psp="cardpay")
            t += 300
        t = 8.0
        while t < DURATION:
            self.notifier.record(t, f"Internal - {text_ts(t)} - consumer.py - heartbeat - "
                                    f"Queue notifications: depth={r.randint(0, 2)} consumers=1")
            t += 60 + r.uniform(-0.1, 0.1)
        t = 2.0
        while t < DURATION:
            self.other_record(self.worker, t)
            t += r.uniform(20, 50)
        t = 29.0
        while t < DURATION:
            self.other_record(self.redis, t)
            t += r.uniform(60, 140)
        for t, pri, tag, msg in [
            (61.0, 30, "systemd[1]", "Starting Cleanup of Temporary Directories..."),
            (61.3, 30, "systemd[1]", "Finished Cleanup of Temporary Directories."),
            (120.0, 78, "CRON[30117]", "(root) CMD (/usr/local/bin/backup-orders-db --incremental)"),
            (SMTP_DOWN[0] + 2.5, 28, "dockerd[812]", 'level=warning msg="Health check for container c41d8e2f6a95 error: timed out"'),
            (SMTP_DOWN[0] + 8.0, 27, "squid[1432]", "WARNING: Connection to smtp.relay.example.net:587 failed: (110) Connection timed out"),
            (PSP_DOWN[0] + 5.0, 27, "squid[1432]", "WARNING: Connection to api.cardpay.example.com:443 failed: (110) Connection timed out"),
            (PSP_DOWN[1] + 3.0, 30, "squid[1432]", "Reconfiguring Squid Cache (version 6.10)..."),
            (480.0, 78, "CRON[30544]", "(root) CMD (test -x /usr/sbin/anacron || run-parts --report /etc/cron.hourly)"),
        ]:
            host_syslog(t, pri, tag, msg)

    def scheduler(self):
        """oslo.log-style delivery scheduler; its own req-<uuid> request IDs."""
        r = self.rng
        pid = 31

        def rid():
            return "req-%08x-%04x-4%03x-%04x-%012x" % (r.getrandbits(32), r.getrandbits(16), r.getrandbits(12),
                                                      0x8000 | r.getrandbits(14), r.getrandbits(48))

        def line(t, level, name, ctx, msg):
            return f"{oslo_ts(t)} {pid} {level} {name} [{ctx}] {msg}"

        failing = None
        t = 14.0
        k = 0
        while t < DURATION:
            req = rid()
            ctx = f"{req} - - - - -"
            day = "2026-11-21"
            depot = "WAW-1" if k % 2 == 0 else "POZ-2"
            BOOK.add("scheduler/scheduler.log", t, line(t, "INFO", "scheduler.manager", ctx,
                     f"Planning routes for depot {depot} day {day}"), req, "scheduler")
            t2 = t + self.ms(30, 90)
            if k == 5:
                failing = req
                tb_lines = tb_scheduler(depot, day).lines()
                prefix = f"{oslo_ts(t2)} {pid} ERROR scheduler.manager "
                lines = [line(t2, "ERROR", "scheduler.manager", ctx,
                              f"Route planning failed for depot {depot} day {day}: carrier slot API unavailable")]
                lines += [prefix + x for x in tb_lines]
                BOOK.add("scheduler/scheduler.log", t2, lines, req, "scheduler", True)
                t3 = t2 + self.ms(1, 3)
                BOOK.add("scheduler/scheduler.log", t3, line(t3, "WARNING", "scheduler.manager", ctx,
                         "Keeping previous plan for depot %s; retry in 120 s" % depot), req, "scheduler")
            else:
                BOOK.add("scheduler/scheduler.log", t2, line(t2, "DEBUG", "scheduler.clients.carrier", ctx,
                         f"GET https://api.carrier.example.net/v2/slots?depot={depot}&day={day} -> 200 "
                         f"({r.randint(40, 90)} slots)"), req, "scheduler")
                t3 = t2 + self.ms(100, 900)
                BOOK.add("scheduler/scheduler.log", t3, line(t3, "INFO", "scheduler.manager", ctx,
                         f"Planned {r.randint(8, 30)} routes for depot {depot} ({r.randint(80, 300)} stops)"),
                         req, "scheduler")
            # API calls from the back office (user/project identity)
            t4 = t + r.uniform(10, 40)
            if t4 < DURATION:
                req2 = rid()
                ctx2 = f"{req2} 6b1f0c2d9e8a4f7b 9a3c5e7d1b2f4a6c - default default"
                BOOK.add("scheduler/scheduler.log", t4, line(t4, "INFO", "scheduler.api.wsgi", ctx2,
                         f'172.18.0.9 "GET /v1/plans?depot={depot} HTTP/1.1" status: 200 len: {r.randint(2000, 9000)} '
                         f"time: 0.{r.randint(10, 99):02d}{r.randint(0, 9)}"), req2, "scheduler")
            t += 60 + r.uniform(-0.5, 0.5)
            k += 1
        return failing


def build() -> tuple[dict, dict]:
    rng = random.Random(SEED)
    shop = Shop(rng)
    special = {}

    # scheduled interesting requests (seconds after START)
    special["demo"] = (393.412, "checkout", {"mode": "psp_timeout", "interleave": "worker"})
    special["email_fail"] = (352.108, "checkout", {"mode": "ok", "interleave": "redis"})
    special["chained"] = (201.733, "order_detail", {"slow": True})
    special["declined"] = (148.905, "checkout", {"mode": "declined"})
    special["inventory_error"] = (512.264, "checkout", {"mode": "inventory_error"})
    special["straddle"] = (ROTATE_AT - 0.180, "checkout", {"mode": "ok"})
    special["bad_cart"] = (77.318, "cart", {"bad_qty": "two"})
    special["search_timeout"] = (441.07, "search", {"fail": True})

    kinds = [("static", 14), ("product", 30), ("search", 14), ("cart", 12), ("order_detail", 10), ("checkout", 14)]
    names = [k for k, _ in kinds]
    weights = [w for _, w in kinds]
    t = 0.4
    plan = []
    while t < DURATION - 3:
        plan.append((t, rng.choices(names, weights)[0], {}))
        t += rng.expovariate(1 / 2.6)
    for key, (t, kind, kw) in special.items():
        plan.append((t, kind, dict(kw, key=key)))
    plan.sort(key=lambda p: p[0])

    ids = {}
    for t, kind, kw in plan:
        key = kw.pop("key", None)
        cid = shop.cid()
        if key:
            ids[key] = cid
        elif kind == "checkout" and PSP_DOWN[0] <= t <= PSP_DOWN[1]:
            kw = {"mode": "psp_timeout"}
        fn = {"static": shop.static, "product": shop.product, "search": shop.search_req, "cart": shop.cart,
              "order_detail": shop.order_detail, "checkout": shop.checkout}[kind]
        fn(t, cid, **kw)
    shop.background()
    shop.pricing.background()
    ids["scheduler_failure"] = shop.scheduler()
    return ids, {"requests": len(plan)}


DESCRIPTIONS = {
    "demo": "README demo: checkout while the egress proxy was failing. payments: structlog exception "
            "(httpx.ConnectTimeout), orders: logstash v0 traceback, inventory: reservation released, "
            "notifier: SMTP timeout traceback split over syslog records interleaved with /worker, nginx 502.",
    "chained": "GET /api/orders/<n> timed out: chained traceback (During handling...) in the gateway text log, "
               "the ID also appears inside the last traceback line, slow-query warning in orders, nginx 504.",
    "declined": "checkout declined by the card processor: the ID appears inside the orders traceback "
                "(PaymentDeclined: payment declined for request <id>), nginx 402.",
    "straddle": "successful checkout whose gateway records straddle the log rotation "
                "(gateway.log.1.gz and gateway.log).",
    "email_fail": "successful checkout (201) whose confirmation email failed: notifier traceback split over "
                  "syslog records interleaved with /redis.",
    "inventory_error": "checkout failing in inventory: KeyError traceback in a logstash v1 record, nginx 503.",
    "bad_cart": "POST /api/cart/items with quantity 'two': plain traceback in the gateway text log, nginx 400.",
    "search_timeout": "product search timing out: ECS record with error.stack_trace, gateway serves cached results.",
    "scheduler_failure": "oslo-style scheduler request (req-<uuid>) whose traceback lines carry the oslo "
                         "prefix but not the request ID.",
}


def write(ids: dict, stats: dict) -> dict:
    known = {path.split("/")[0] for path in BOOK.files}
    if OUT.exists():
        strangers = sorted(c.name for c in OUT.iterdir() if c.name not in known)
        if strangers:
            raise SystemExit(f"make_examples: {OUT} holds {', '.join(strangers)}: not ours, refusing to clear it")
        for name in known:
            if (OUT / name).exists():
                shutil.rmtree(OUT / name)
    events: dict[str, list] = {cid: [] for cid in ids.values()}
    counts = {}
    for path in sorted(BOOK.files):
        entries = sorted(BOOK.files[path], key=lambda e: (e.t, e.seq))
        out_lines: list[str] = []
        open_groups: dict[int, dict] = {}
        for e in entries:
            first = len(out_lines) + 1
            out_lines.extend(e.lines)
            if e.group is not None and e.group in open_groups:
                open_groups[e.group]["lines"] += 1
                continue
            if e.cid in events:
                ev = {"source": path, "line": first, "lines": len(e.lines), "service": e.service,
                      "traceback": e.tb, "time": iso_us_z(e.t)}
                events[e.cid].append(ev)
                if e.group is not None:
                    open_groups[e.group] = ev
        data = ("\n".join(out_lines) + "\n").encode("utf-8")
        target = OUT / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.endswith(".gz"):
            target.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
        else:
            target.write_bytes(data)
        counts[path] = {"lines": len(out_lines), "bytes": len(data)}
    for evs in events.values():
        evs.sort(key=lambda ev: (ev["time"], ev["source"], ev["line"]))
    order = ["demo", "chained", "declined", "straddle", "email_fail", "inventory_error", "bad_cart",
             "search_timeout", "scheduler_failure"]
    expected = {
        "generator": "examples/make_examples.py",
        "seed": SEED,
        "timezone_note": "naive text timestamps (gateway, notifier messages, scheduler) are UTC wall clock",
        "files": counts,
        "ids": [
            {"name": k, "id": ids[k], "description": DESCRIPTIONS[k], "events": events[ids[k]]}
            for k in order
        ],
    }
    EXPECTED.write_text(json.dumps(expected, indent=1) + "\n", encoding="utf-8")
    return expected


def main(argv: list[str] | None = None) -> int:
    global OUT, EXPECTED
    ap = argparse.ArgumentParser(description="Rewrite the example shop logs and their ground truth.")
    ap.add_argument("--out", type=Path, default=OUT, help="log directory (default examples/logs)")
    ap.add_argument("--expected", type=Path, default=EXPECTED, help="ground truth (default examples/expected.json)")
    a = ap.parse_args(argv)
    OUT, EXPECTED = a.out, a.expected
    BOOK.__init__()
    ids, stats = build()
    expected = write(ids, stats)
    total = sum(v["bytes"] for v in expected["files"].values())
    for it in expected["ids"]:
        print(f"{it['name']:18} {it['id']}  {len(it['events'])} events")
    print(f"{stats['requests']} requests, {total} bytes uncompressed in {len(expected['files'])} files -> {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
