#!/usr/bin/env python3
"""Write a multi-GB log corpus in the example shop's formats, for benchmarking log search.

    python benchmarks/make_corpus.py OUTDIR --size 1G [--files 8] [--seed N]

Each file holds one format, as each service writes its own log: nginx access, gateway text
(corrId first, unprefixed traceback lines), orders (logstash v0), inventory (logstash v1),
payments (structlog), search (ECS), docker syslog (logspout RFC5424, one traceback line per
record, interleaved with another container) and scheduler (oslo). With more files than
formats, the formats repeat. The files are about the same size and share one time window
(2026-11-20 from 00:00 UTC), so merging by time is meaningful.

Speed: each format has a few record templates with typed slots (ID, timestamps). A chunk
template of about 1000 requests is compiled once into one %-format string, and every chunk
fills it with fresh IDs and timestamps in a single C-level % operation. Writes stream in chunks
(a few MB of memory).

The corpus also holds one *rare* ID: a request (retried twice with the same ID) that leaves
about 30 events across most files, including tracebacks. It also gets a *missing* ID that
occurs nowhere. Both are printed and written to OUTDIR/ids.json.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

START = datetime(2026, 11, 20, 0, 0, 0, tzinfo=timezone.utc)
START_EPOCH = int(START.timestamp())
SPAN_MS = 24 * 3600 * 1000  # every file covers one day
CHUNK_GROUPS = 1000

# ------------------------------------------------------------------------------------
# templates: {ID} request id (32 hex), {RID} oslo req-<uuid> built from it,
# {T<+off>:fmt} a timestamp off milliseconds after the group's base time.

TB_GATEWAY = """Traceback (most recent call last):
  File "/srv/gateway/gate/orders_client.py", line 58, in get_order
    resp = self.session.get(url, headers=add_corr_id(), timeout=self.timeout)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/usr/local/lib/python3.11/site-packages/requests/adapters.py", line 713, in send
    raise ReadTimeout(e, request=request)
requests.exceptions.ReadTimeout: HTTPConnectionPool(host='orders', port=8000): Read timed out. (read timeout=2.0)

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/srv/gateway/gate/views.py", line 141, in order_detail
    order = orders.get_order(order_no)
            ^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/srv/gateway/gate/orders_client.py", line 61, in get_order
    raise UpstreamTimeout(
gate.errors.UpstreamTimeout: orders did not answer within 2.0s (request {ID})"""

TB_ORDERS = [
    "Traceback (most recent call last):\n",
    '  File "/srv/orders/orders/service.py", line 214, in place_order\n'
    "    charge = payments.charge(order, corr_id=ctx.corr_id)\n"
    "             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n",
    '  File "/srv/orders/orders/clients/payments.py", line 22, in raise_for_payment_status\n'
    "    raise exc_class(\n",
    "orders.errors.PaymentDeclined: payment declined for request {ID} (insufficient_funds)\n",
]

TB_INVENTORY = [
    "Traceback (most recent call last):\n",
    '  File "/srv/inventory/inventory/allocator.py", line 77, in pick_warehouse\n'
    "    bins = self.bin_map[line.sku]\n"
    "           ~~~~~~~~~~~~^^^^^^^^^^\n",
    "KeyError: 'SKU-6001'\n",
]

TB_PY = """Traceback (most recent call last):
  File "/usr/local/lib/python3.11/site-packages/httpx/_transports/default.py", line 86, in map_httpcore_exceptions
    raise mapped_exc(message) from exc
httpx.ConnectTimeout: timed out"""

TB_NOTIFIER = """Traceback (most recent call last):
  File "/app/notifier/tasks.py", line 64, in send_email
    with smtplib.SMTP(settings.SMTP_HOST, 587, timeout=10) as smtp:
         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/usr/local/lib/python3.11/smtplib.py", line 341, in connect
    self.sock = self._get_socket(host, port, self.timeout)
                ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/usr/local/lib/python3.11/socket.py", line 836, in create_connection
    sock.connect(sa)
TimeoutError: timed out"""

UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
APP_UA = "ShopApp/4.12.1 (Android 15; Pixel 8)"


def _v0(msg, name, level, func, lineno, args, t, exc=None):
    fields = {"name": name, "args": args, "levelname": level, "levelno": {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40}[level],
              "pathname": "/srv/orders/orders/" + func[0], "filename": func[0].rsplit("/", 1)[-1],
              "module": func[0].rsplit("/", 1)[-1][:-3], "stack_info": None, "lineno": lineno, "funcName": func[1],
              "created": "@@CREATED%s@@" % t, "msecs": 412.0, "relativeCreated": 4420452.044964,
              "thread": 140388545099520, "threadName": "ThreadPoolExecutor-0_2", "processName": "MainProcess",
              "process": 9, "corrId": "{ID}"}
    if exc:
        fields["exception"] = exc
    rec = {"@message": msg, "@timestamp": "{T%s:iso6}" % t, "@source_host": "b7e1c0a94f3d", "@fields": fields}
    return json.dumps(rec).replace('"@@CREATED%s@@"' % t, "{T%s:epoch}" % t)


def _v1(msg, name, level, func, lineno, args, t, exc=None):
    rec = {"@timestamp": "{T%s:iso3}" % t, "@version": 1, "source_host": "3d5a91c7e2b8", "name": name, "args": args,
           "levelname": level, "levelno": {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40}[level],
           "pathname": "/srv/inventory/inventory/" + func[0], "filename": func[0], "module": func[0][:-3],
           "stack_info": None, "lineno": lineno, "funcName": func[1], "created": "@@CREATED@@", "msecs": 86.0,
           "relativeCreated": 10324886.674881, "thread": 139911204017920, "threadName": "ThreadPoolExecutor-0_0",
           "processName": "MainProcess", "process": 8, "corrId": "{ID}", "message": msg}
    if exc:
        rec["exception"] = exc
    return json.dumps(rec).replace('"@@CREATED@@"', "{T%s:epoch}" % t)


def _sl(t, event, level="info", exc=None, **kw):
    d = {"request_id": "{ID}"}
    d.update(kw)
    d.update(event=event, level=level, timestamp="{T%s:iso6}" % t)
    if exc:
        d["exception"] = exc
    return json.dumps(d)


def _ecs(t, level, msg, lineno, exc=None):
    d = {"@timestamp": "{T%s:iso3}" % t, "log.level": level, "message": msg, "ecs": {"version": "1.6.0"}}
    if exc:
        d["error"] = {"message": "ConnectionTimeout caused by - ReadTimeoutError(read timeout=1.5)",
                      "stack_trace": exc, "type": "ConnectionTimeout"}
    d.update({"log": {"logger": "search.views", "origin": {"file": {"line": lineno, "name": "views.py"},
                                                             "function": "search"}, "original": msg},
              "process": {"name": "MainProcess", "pid": 17, "thread": {"id": 140245118527232, "name": "MainThread"}},
              "service": {"name": "search"}, "trace": {"id": "{ID}"}, "transaction": {"id": "2fca2619caaca0f7"}})
    return json.dumps(d, separators=(",", ":"))


def _gw(t, filename, func, msg):
    return "{ID} - {T%s:text} - %s - %s - %s" % (t, filename, func, msg)


def _ntf(t, msg, pri=14):
    return "<%d>1 {T%s:iso3} 9f2c4e1a7b30 /notifier 23817 - - {ID} - {T%s:text} - tasks.py - send_email - %s" % (
        pri, t, t, msg)


def _ntf_raw(t, line):
    return "<14>1 {T%s:iso3} 9f2c4e1a7b30 /notifier 23817 - - %s" % (t, line)


def _worker(t, msg):
    return "<11>1 {T%s:iso3} c41d8e2f6a95 /worker 24102 - - [{T%s:text}: INFO/ForkPoolWorker-2] %s" % (t, t, msg)


def _syslog_tb_group(t):
    lines = [_ntf(t, "Failed to send order-confirmation email for order 1000219")]
    for i, tl in enumerate(TB_NOTIFIER.split("\n")):
        lines.append(_ntf_raw(t, tl))
        if i in (1, 6):
            lines.append(_worker(t, "Task shop.tasks.expire_carts[5b2c1e0a-7d3f-4a9e-8c21-0f6b3d9e4a17] succeeded in 0.0041s: 3"))
    return lines


def _oslo(t, level, name, msg):
    return "{T%s:oslo} 31 %s %s [{RID} - - - - -] %s" % (t, level, name, msg)


# each format: (file name, [(weight, [records...], events_for_rare)]); a group is one request.
FORMATS = {
    "nginx": ("access.log", [
        (5, ['203.0.113.79 - - [{T9:nginx}] "GET /api/products/SKU-3019 HTTP/1.1" 200 990 '
             '"https://shop.example.com/catalog" "%s" corr={ID} rt=0.015' % APP_UA]),
        (3, ['192.0.2.151 - - [{T31:nginx}] "GET /api/products?q=winter+jacket HTTP/1.1" 200 18234 '
             '"https://shop.example.com/" "%s" corr={ID} rt=0.031' % UA]),
        (2, ['198.51.100.130 - - [{T420:nginx}] "POST /api/orders HTTP/1.1" 201 512 '
             '"https://shop.example.com/checkout" "%s" corr={ID} rt=0.420' % UA]),
        (1, ['198.51.100.7 - - [{T2:nginx}] "GET /static/js/app.3f9c1e.js HTTP/1.1" 304 0 '
             '"https://shop.example.com/" "%s" corr={ID} rt=0.002' % UA]),
        (1, ['203.0.113.14 - - [{T2004:nginx}] "GET /api/orders/1000133 HTTP/1.1" 504 167 '
             '"https://shop.example.com/account/orders" "%s" corr={ID} rt=2.004' % UA]),
    ]),
    "gateway": ("gateway.log", [
        (6, [_gw(0, "log.py", "log_incoming", "corrID {ID} extracted"),
             _gw(1, "views.py", "product_detail", "Fetching product SKU-1042"),
             _gw(9, "log.py", "cleanup_after_outgoing", "Removing corrID {ID} from thread local storage")]),
        (3, [_gw(0, "log.py", "log_incoming", "corrID {ID} extracted"),
             _gw(1, "views.py", "create_order", "Creating order for customer 18906 (2 items)"),
             _gw(412, "views.py", "create_order", "Order 1000223 created for customer 18906"),
             _gw(413, "log.py", "cleanup_after_outgoing", "Removing corrID {ID} from thread local storage")]),
        (1, ["Internal - {T0:text} - cache.py - refresh_catalog - Catalog cache refreshed: 412 products in 38 ms"]),
        (1, [_gw(0, "log.py", "log_incoming", "corrID {ID} extracted"),
             _gw(2001, "views.py", "order_detail", "Unhandled error loading order 1000133") + "\n" + TB_GATEWAY,
             _gw(2002, "log.py", "cleanup_after_outgoing", "Removing corrID {ID} from thread local storage")]),
    ]),
    "orders": ("orders.log", [
        (6, [_v0("GET order 1000133", "orders.api", "INFO", ("api.py", "get_order"), 88, [1000133], 0),
             _v0("Order 1000133 found: status=shipped lines=2", "orders.api", "INFO", ("api.py", "get_order"), 97,
                 [1000133, "shipped", 2], 14)]),
        (3, [_v0("Order request: customer=18906 items=2 total=108.90 EUR", "orders.api", "INFO",
                 ("api.py", "create_order"), 41, [18906, 2, "108.90"], 0),
             _v0("Stock reserved (r-88218), charging 108.90 EUR", "orders.service", "INFO",
                 ("service.py", "place_order"), 204, ["r-88218", "108.90"], 21),
             _v0("Order 1000223 created, status=paid", "orders.service", "INFO", ("service.py", "place_order"),
                 231, [1000223], 402)]),
        (1, [_v0("Payment failed for order 1000212", "orders.service", "ERROR", ("service.py", "place_order"),
                 219, [1000212], 3, TB_ORDERS)]),
    ]),
    "inventory": ("inventory.log", [
        (8, [_v1("Stock lookup SKU-1042: 14 available in 2 warehouses", "inventory.api", "INFO",
                 ("api.py", "stock_level"), 61, ["SKU-1042", 14, 2], 0)]),
        (3, [_v1("Reserve request for 2 SKUs (order 1000223)", "inventory.api", "INFO", ("api.py", "reserve"), 88,
                 [2, 1000223], 0),
             _v1("Reservation r-88218 created (ttl 900s)", "inventory.api", "INFO", ("api.py", "reserve"), 104,
                 ["r-88218"], 7)]),
        (1, [_v1("Reservation failed for order 1000239", "inventory.api", "ERROR", ("api.py", "reserve"), 101,
                 [1000239], 3, TB_INVENTORY)]),
    ]),
    "payments": ("payments.log", [
        (6, [_sl(0, "charge_requested", order_id=1000223, amount="108.90", currency="EUR", psp="cardpay"),
             _sl(305, "charge_authorised", order_id=1000223, amount="108.90", currency="EUR", psp_ref="ch_3fa9c2e81b7d")]),
        (1, [_sl(0, "charge_requested", order_id=1000224, amount="49.95", currency="EUR", psp="cardpay"),
             _sl(3004, "psp_request_failed", "error", TB_PY, order_id=1000224, psp="cardpay", attempt=1)]),
    ]),
    "search": ("search.log", [
        (8, [_ecs(0, "info", "query q='gloves' page=1", 47), _ecs(22, "info", "37 hits in 19 ms", 55)]),
        (1, [_ecs(0, "info", "query q='thermos' page=1", 47),
             _ecs(1503, "error", "search backend timed out, returning 503", 58, TB_PY)]),
    ]),
    "syslog": ("docker.log", [
        (6, [_ntf(0, "Sending order-confirmation email for order 1000223 to customer 18906"),
             _ntf(212, "Email for order 1000223 accepted by relay (queue id 0A41F3C2B)")]),
        (2, ["<14>1 {T0:iso3} 5e7a0b3c9d12 /redis 2291 - - 1:M {T0:redis} * 100 changes in 300 seconds. Saving...",
             "<11>1 {T4:iso3} c41d8e2f6a95 /worker 24102 - - [{T4:text}: INFO/MainProcess] Task shop.tasks.rebuild_sitemap[8d1f0c2a-4b3e-4f5a-9c6d-7e8f9a0b1c2d] received"]),
        (1, ["<30>{T0:bsd} shop-host squid[1432]: WARNING: Connection to smtp.relay.example.net:587 failed: (110) Connection timed out"]),
        (1, [_ntf(0, "Sending order-confirmation email for order 1000219 to customer 18111")] + _syslog_tb_group(10004)),
    ]),
    "scheduler": ("scheduler.log", [
        (6, [_oslo(0, "INFO", "scheduler.manager", "Planning routes for depot WAW-1 day 2026-11-21"),
             _oslo(61, "DEBUG", "scheduler.clients.carrier",
                   "GET https://api.carrier.example.net/v2/slots?depot=WAW-1&day=2026-11-21 -> 200 (57 slots)"),
             _oslo(480, "INFO", "scheduler.manager", "Planned 17 routes for depot WAW-1 (211 stops)")]),
        (1, [_oslo(0, "ERROR", "scheduler.manager", "Route planning failed for depot POZ-2: carrier slot API unavailable")
             + "".join("\n{T0:oslo} 31 ERROR scheduler.manager " + ln for ln in TB_PY.split("\n"))]),
    ]),
}

# the rare request: per format, the records it leaves (same templates, tracebacks included)
RARE = {
    "nginx": ['198.51.100.130 - - [{T420:nginx}] "POST /api/orders HTTP/1.1" 502 157 '
              '"https://shop.example.com/checkout" "%s" corr={ID} rt=0.420' % APP_UA],
    "gateway": [_gw(0, "log.py", "log_incoming", "corrID {ID} extracted"),
                _gw(2001, "views.py", "order_detail", "Unhandled error loading order 1000133") + "\n" + TB_GATEWAY,
                _gw(2002, "log.py", "cleanup_after_outgoing", "Removing corrID {ID} from thread local storage")],
    "orders": [_v0("Order request: customer=18906 items=2 total=108.90 EUR", "orders.api", "INFO",
                   ("api.py", "create_order"), 41, [18906, 2, "108.90"], 0),
               _v0("Payment failed for order 1000212", "orders.service", "ERROR", ("service.py", "place_order"),
                   219, [1000212], 3, TB_ORDERS)],
    "inventory": [_v1("Reserve request for 2 SKUs (order 1000223)", "inventory.api", "INFO", ("api.py", "reserve"), 88,
                      [2, 1000223], 0),
                  _v1("Reservation r-88218 released (order 1000223 failed)", "inventory.api", "INFO",
                      ("api.py", "release"), 131, ["r-88218", 1000223, "failed"], 9)],
    "payments": [_sl(0, "charge_requested", order_id=1000224, amount="49.95", currency="EUR", psp="cardpay"),
                 _sl(3004, "psp_request_failed", "error", TB_PY, order_id=1000224, psp="cardpay", attempt=1)],
    "search": [_ecs(0, "info", "query q='thermos' page=1", 47)],
    "syslog": [_ntf(0, "Sending payment-failed email for order 1000224 to customer 18111")] + _syslog_tb_group(10004),
}
RARE_AT = (0.31, 0.74)
# events the rare request leaves per format (a syslog traceback split over records is one event)
RARE_EVENTS = {"nginx": 1, "gateway": 3, "orders": 2, "inventory": 2, "payments": 2, "search": 1, "syslog": 2}  # relative positions in each file where the rare request (and its retry) land

# ------------------------------------------------------------------------------------
# timestamp renderers with a per-second cache

_MS = ["%03d" % i for i in range(1000)]


_2D = ["%02d" % i for i in range(100)]


class Clock:
    """Renders the timestamp formats; the whole-second part is cached per format."""

    def __init__(self):
        self.cache: dict[str, dict[int, str]] = {}
        self.days: dict[int, tuple] = {}

    def _day(self, day: int) -> tuple:
        v = self.days.get(day)
        if v is None:
            d = START + timedelta(days=day)
            v = (d.strftime("%Y-%m-%d"), d.strftime("%d/%b/%Y"), d.strftime("%b ") + "%2d" % d.day,
                 d.strftime("%d %b %Y"))
            self.days[day] = v
        return v

    def sec(self, fmt: str, s: int) -> str:
        c = self.cache.get(fmt)
        if c is None:
            c = self.cache[fmt] = {}
        v = c.get(s)
        if v is None:
            if len(c) > 20000:
                c.clear()
            day, rest = divmod(s, 86400)
            hh, rest = divmod(rest, 3600)
            mm, ss = divmod(rest, 60)
            hms = _2D[hh] + ":" + _2D[mm] + ":" + _2D[ss]
            iso, ngx, bsd, rds = self._day(day)
            if fmt == "text":
                v = iso + " " + hms + ","
            elif fmt == "oslo":
                v = iso + " " + hms + "."
            elif fmt in ("iso3", "iso6"):
                v = iso + "T" + hms + "."
            elif fmt == "epoch":
                v = "%d." % (START_EPOCH + s)
            elif fmt == "nginx":
                v = ngx + ":" + hms + " +0000"
            elif fmt == "bsd":
                v = bsd + " " + hms
            elif fmt == "redis":
                v = rds + " " + hms + "."
            else:
                raise ValueError(fmt)
            c[s] = v
        return v

    def render(self, fmt: str, ms: int) -> str:
        s, m = divmod(ms, 1000)
        base = self.sec(fmt, s)
        if fmt in ("nginx", "bsd"):
            return base
        if fmt == "iso3":
            return base + _MS[m] + "Z"
        if fmt == "iso6":
            return base + _MS[m] + "318Z"
        if fmt == "epoch":
            return base + _MS[m] + "318"
        return base + _MS[m]


SLOT = re.compile(r"\{(ID|RID|T(\d*):(\w+))\}")


def compile_group(records: list[str]) -> tuple[str, list]:
    """One group template -> (%-format string, slots); slot = 'ID' | 'RID' | (fmt, offset_ms)."""
    text = "\n".join(records) + "\n"
    slots: list = []
    out = []
    pos = 0
    for m in SLOT.finditer(text):
        out.append(text[pos:m.start()].replace("%", "%%"))
        out.append("%s")
        if m.group(1) in ("ID", "RID"):
            slots.append(m.group(1))
        else:
            slots.append((m.group(3), int(m.group(2) or 0)))
        pos = m.end()
    out.append(text[pos:].replace("%", "%%"))
    return "".join(out), slots


def rid(h: str) -> str:
    return "req-%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def fill(slots: list, ident: str, base_ms: int, clock: Clock, cap: int) -> list:
    """Values for one group; offsets are capped below the group spacing so files stay time-sorted."""
    vals = []
    for s in slots:
        if s == "ID":
            vals.append(ident)
        elif s == "RID":
            vals.append(rid(ident))
        else:
            vals.append(clock.render(s[0], base_ms + min(s[1], cap)))
    return vals


class FileWriter:
    """One file of one format: a compiled chunk template filled again and again."""

    def __init__(self, path: Path, fmt: str, target: int, rng: random.Random, rare_id: str):
        self.path, self.fmt, self.target, self.rng, self.rare_id = path, fmt, target, rng, rare_id
        groups = FORMATS[fmt][1]
        weights = [w for w, _ in groups]
        self.compiled = [compile_group(recs) for _, recs in groups]
        order = rng.choices(range(len(groups)), weights, k=CHUNK_GROUPS)
        self._compile(order)
        # small files: smaller chunks, so the size is met closely and the rare request
        # lands in two different chunks
        groups_needed = target * CHUNK_GROUPS // self.chunk_bytes
        if groups_needed < 8 * CHUNK_GROUPS:
            self._compile(order[:max(2, groups_needed // 8)])
        self.n_chunks = max(1, round(target / self.chunk_bytes))
        self.step_ms = max(1, SPAN_MS // (self.n_chunks * self.k))
        self.rare = compile_group(RARE[fmt]) if fmt in RARE else None
        self.rare_events = 0

    def _compile(self, order: list[int]) -> None:
        c = self.compiled
        self.k = len(order)
        half = self.k // 2
        self.chunk_fmt = "".join(c[i][0] for i in order)
        self.halves = ("".join(c[i][0] for i in order[:half]), "".join(c[i][0] for i in order[half:]))
        self.chunk_slots = [c[i][1] for i in order]
        self.split = sum(len(c[i][1]) for i in order[:half])
        sample = self.chunk_fmt % tuple(v for sl in self.chunk_slots for v in fill(sl, "0" * 32, 0, Clock(), 0))
        self.chunk_bytes = len(sample.encode())

    def write(self) -> int:
        clock = Clock()
        rare_chunks = {int(p * self.n_chunks) for p in RARE_AT} if self.rare else set()
        written = 0
        t_ms = 0
        k = self.k
        half = k // 2
        step = self.step_ms
        cap = step - 1
        with open(self.path, "wb", buffering=0) as f:
            for c in range(self.n_chunks):
                ids_hex = self.rng.randbytes(16 * k).hex()
                vals: list = []
                rare_here = c in rare_chunks
                t_rare = 0
                for g, slots in enumerate(self.chunk_slots):
                    if rare_here and g == half:
                        t_rare = t_ms  # the rare request gets its own time slot between the halves
                        t_ms += step
                    vals.extend(fill(slots, ids_hex[32 * g:32 * g + 32], t_ms, clock, cap))
                    t_ms += step
                if rare_here:
                    fmt_s, slots = self.rare
                    rare = fmt_s % tuple(fill(slots, self.rare_id, t_rare, clock, cap))
                    data = (self.halves[0] % tuple(vals[:self.split]) + rare
                            + self.halves[1] % tuple(vals[self.split:]))
                    self.rare_events += RARE_EVENTS[self.fmt]
                else:
                    data = self.chunk_fmt % tuple(vals)
                b = data.encode()
                f.write(b)
                written += len(b)
        return written


def parse_size(text: str) -> int:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]?)B?", text.strip().upper())
    if not m:
        raise argparse.ArgumentTypeError(f"bad size {text!r}: use e.g. 500M, 1G, 2.5G")
    return int(float(m.group(1)) * 1024 ** " KMGT".index(m.group(2) or " "))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--size", type=parse_size, default=parse_size("1G"), help="total size (K/M/G, 1024-based; default 1G)")
    ap.add_argument("--files", type=int, default=8, help="number of files (default 8, one per format)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    a = ap.parse_args(argv)
    if a.files < 1:
        ap.error("--files must be at least 1")
    a.outdir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(a.seed)
    rare_id = "%032x" % rng.getrandbits(128)
    missing_id = "%032x" % rng.getrandbits(128)
    names = list(FORMATS)
    per_file = a.size // a.files
    t0 = time.perf_counter()
    files = []
    rare_by_file = {}
    for i in range(a.files):
        fmt = names[i % len(names)]
        base = FORMATS[fmt][0]
        rep = i // len(names)
        name = f"{fmt}/{base}" if rep == 0 else f"{fmt}-{rep + 1}/{base}"
        path = a.outdir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        w = FileWriter(path, fmt, per_file, random.Random(f"{a.seed}:{i}"), rare_id)
        n = w.write()
        files.append({"path": name, "format": fmt, "bytes": n})
        if w.rare_events:
            rare_by_file[name] = w.rare_events
    dt = time.perf_counter() - t0
    total = sum(f["bytes"] for f in files)
    ids = {
        "seed": a.seed,
        "bytes": total,
        "files": files,
        "rare": {"id": rare_id, "events": sum(rare_by_file.values()), "events_by_file": rare_by_file,
                 "traceback": True,
                 "note": "syslog: a traceback split over records counts as one event; records in gateway/orders "
                         "/payments/syslog carry tracebacks; the ID also appears inside gateway and orders "
                         "traceback text; scheduler files carry oslo req-<uuid> IDs only"},
        "missing": {"id": missing_id, "events": 0},
    }
    (a.outdir / "ids.json").write_text(json.dumps(ids, indent=1) + "\n")
    print(f"wrote {total} bytes in {len(files)} files to {a.outdir} in {dt:.1f}s ({total / dt / 1e6:.0f} MB/s)")
    print(f"rare ID    {rare_id}  ({ids['rare']['events']} events in {len(rare_by_file)} files)")
    print(f"missing ID {missing_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
