"""Container-era captures of a small shop, with the generator's own ground truth.

    python tests/data/make_containers.py        # rewrites tests/data/containers/ byte for byte

The same few requests run through four containers (web: gunicorn; orders: JSON on stdout and
logging text with tracebacks on stderr; notifier: a Celery worker; quotes: Django), captured the
ways teams read them: docker json-file (with config.v2.json, and with attrs.tag), CRI files under
/var/log/pods (containerd and CRI-O), `docker compose logs` with and without -t, `kubectl logs
--prefix --timestamps`, stern, `journalctl -o json` (docker's journald driver and a systemd unit)
and `-o short-iso`. Tracebacks go to stderr one record per line while stdout keeps writing; a
40 KB JSON record and a line with an ID across the 16 KiB boundary are split into partial
records; a few lines are damaged on purpose. ``expected.json`` lists every event devkit must
read from each file: first line, physical lines, service, level, time, traceback, ID, format.
"""

from __future__ import annotations

import calendar
import datetime
import json
import os
import random
import shutil
import sys
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "containers")
SEED = 20261120
T0 = calendar.timegm((2026, 11, 20, 9, 13, 0))
SPLIT = 16384  # docker, containerd and CRI-O split lines longer than this
ORDERS_ID = "a" * 12 + "1" * 4 + "b" * 48  # docker container IDs are 64 hex
NOTIFIER_ID = "c" * 16 + "2" * 48
POD_UID = "1b4e2c3d-5a6f-4e7d-8c9b-0a1b2c3d4e5f"
TB = ["Traceback (most recent call last):",
      '  File "/srv/orders/orders/api.py", line 88, in create_order',
      "    charge(order)",
      '  File "/srv/orders/orders/payments.py", line 41, in charge',
      "    raise PaymentError(f\"declined for {{order.request_id}}\")",
      "orders.payments.PaymentError: declined for {id}"]


def iso_ns(ts: float, fixed: bool = False, offset: bool = False) -> str:
    """RFC3339Nano: docker trims trailing zeros, CRI-O and compose -t print all nine digits."""
    ns = int(round(ts * 1e9))
    sec, frac = divmod(ns, 1_000_000_000)
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
    digits = f"{frac:09d}" if fixed else f"{frac:09d}".rstrip("0")
    stamp = f"{base}.{digits}" if digits else base
    return stamp + ("+00:00" if offset else "Z")


def iso_ms(ts: float) -> str:
    """What devkit prints: UTC with milliseconds (format_utc)."""
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).isoformat(timespec="milliseconds")


def q(ts: float) -> float:
    """A time in whole microseconds, as a parsed stamp gives it back (no float surprises at ms edges)."""
    whole = int(ts)
    return whole + round((ts - whole) * 1e6) / 1e6


def py_asctime(ts: float) -> str:
    ms = int(ts * 1000)
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms // 1000)) + f",{ms % 1000:03d}"


@dataclass
class Ev:
    """One record as the application wrote it: its physical lines on one stream."""

    service: str
    stream: str
    ts: float  # when the runtime saw the first line
    lines: list[str]
    level: str | None
    fmt: str
    corr: str | None = None
    traceback: bool = False
    payload_ts: float | None = None  # the application's own stamp (None: the event takes the wrapper's)
    payload_aware: bool = False  # the payload stamp has an offset (it wins even when far from the wrapper's)
    expect: dict = field(default_factory=dict)
    priority: str = "6"  # journald PRIORITY of a systemd unit's entry
    payload_whole: bool = False  # the payload stamp has whole seconds: a finer wrapper stamp in that second wins


class Shop:
    """The requests and what each service writes for them."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.ids = [f"{rng.getrandbits(128):032x}" for _ in range(6)]
        self.tasks = [f"{rng.getrandbits(32):08x}-{rng.getrandbits(16):04x}-4{rng.getrandbits(12):03x}-"
                      f"a{rng.getrandbits(12):03x}-{rng.getrandbits(48):012x}" for _ in range(4)]

    def orders(self, big: bool) -> list[Ev]:
        out, t = [], T0 + 1.0
        for i, rid in enumerate(self.ids):
            t = q(t + 1.7 + self.rng.random())
            msg = {"message": f"order request for customer {18000 + i}", "timestamp": py_iso(t), "level": "INFO",
                   "request_id": rid, "logger": "orders.api"}
            out.append(Ev("orders", "stdout", t + 0.0004, [json.dumps(msg)], "INFO", "json", rid, payload_ts=t,
                          payload_aware=True))
            if i in (1, 4):  # a failing charge: logging text and its traceback on stderr
                t2 = q(t + 0.21)
                head = f"{py_asctime(t2)} ERROR orders.api: charge failed for request {rid}"
                out.append(Ev("orders", "stderr", t2 + 0.0007, [head, *(x.format(id=rid) for x in TB)], "ERROR",
                              "timestamped", None, True, payload_ts=int(t2 * 1000) / 1000))
                # stdout keeps writing while the traceback is on stderr
                t3 = q(t2 + 0.0001)
                msg = {"message": "releasing reservation <r-77> & notifying", "timestamp": py_iso(t3),
                       "level": "WARNING", "request_id": rid}
                out.append(Ev("orders", "stdout", t3 + 0.0003, [json.dumps(msg)], "WARNING", "json", rid,
                              payload_ts=t3, payload_aware=True,
                              expect={"message": "releasing reservation <r-77> & notifying"}))
            else:
                t2 = q(t + 0.3)
                msg = {"message": f"order {1000300 + i} created", "timestamp": py_iso(t2), "level": "INFO",
                       "request_id": rid}
                out.append(Ev("orders", "stdout", t2 + 0.0005, [json.dumps(msg)], "INFO", "json", rid,
                              payload_ts=t2, payload_aware=True))
            if big and i == 2:  # a 40 KB JSON record (a cart dump): split into three partial records
                t4 = q(t2 + 0.01)
                msg = {"message": "cart snapshot", "timestamp": py_iso(t4), "level": "DEBUG", "request_id": rid,
                       "cart": [{"sku": f"SKU-{n:05d}", "qty": n % 7 + 1, "note": "x" * 30} for n in range(560)]}
                out.append(Ev("orders", "stdout", t4 + 0.0002, [json.dumps(msg)], "DEBUG", "json", rid,
                              payload_ts=t4, payload_aware=True))
            if big and i == 3:  # print() of a long line whose ID the 16 KiB split cuts in two
                pad = "p" * (SPLIT - len("audit trail ") - 17)
                line = f"audit trail {pad} {rid} done"
                out.append(Ev("orders", "stdout", t2 + 0.02, [line], None, "text", None))
        return out

    def notifier(self) -> list[Ev]:
        out, t = [], T0 + 2.5
        for i, task in enumerate(self.tasks):
            t = q(t + 2.1)
            name = "shop.tasks.send_email"
            rec = f"[{py_asctime(t)}: INFO/MainProcess] Task {name}[{task}] received"
            out.append(Ev("notifier", "stderr", t + 0.001, [rec], "INFO", "celery", task,
                          payload_ts=int(t * 1000) / 1000))
            t2 = q(t + 0.05)
            if i == 2:
                rec = (f"[{py_asctime(t2)}: ERROR/ForkPoolWorker-1] Task {name}[{task}] raised unexpected: "
                       "SMTPServerDisconnected('Connection unexpectedly closed')")
                tb = ["Traceback (most recent call last):",
                      '  File "/usr/lib/python3.11/site-packages/celery/app/trace.py", line 477, in trace_task',
                      "    R = retval = fun(*args, **kwargs)",
                      '  File "/srv/notifier/tasks.py", line 19, in send_email',
                      "    smtp.send_message(msg)",
                      "smtplib.SMTPServerDisconnected: Connection unexpectedly closed"]
                out.append(Ev("notifier", "stderr", t2 + 0.001, [rec, *tb], "ERROR", "celery", task, True,
                              payload_ts=int(t2 * 1000) / 1000))
            else:
                rec = (f"[{py_asctime(t2)}: INFO/ForkPoolWorker-1] Task {name}[{task}] succeeded in "
                       f"{0.04 + i / 100:.3f}s: None")
                out.append(Ev("notifier", "stderr", t2 + 0.001, [rec], "INFO", "celery", task,
                              payload_ts=int(t2 * 1000) / 1000, expect={"duration": round(0.04 + i / 100, 3)}))
        return out

    def web(self) -> list[Ev]:
        out, t = [], T0 + 0.9
        for i, rid in enumerate(self.ids):
            t = q(t + 1.9)
            end = q(t + 0.35)
            status = 502 if i in (1, 4) else 201
            line = (f'10.0.0.{7 + i} - - [{time.strftime("%d/%b/%Y:%H:%M:%S", time.gmtime(int(end)))} +0000] '
                    f'"POST /api/orders HTTP/1.1" {status} {17 if status == 201 else 0} "-" "ShopApp/4.12" '
                    f"{end - t:.6f} {rid}")
            out.append(Ev("web", "stdout", end + 0.0002, [line], "ERROR" if status >= 500 else "INFO", "access", rid,
                          payload_ts=float(int(end)), payload_aware=True, payload_whole=True,
                          expect={"status": status, "duration": round(end - t, 6)}))
            if i == 4:
                err = f"[{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(int(end)))} +0000] [9] [ERROR] Error handling request /api/orders"
                tb = ["Traceback (most recent call last):",
                      '  File "/usr/lib/python3.11/site-packages/gunicorn/workers/sync.py", line 135, in handle',
                      "    self.handle_request(listener, req, client, addr)",
                      "BrokenPipeError: [Errno 32] Broken pipe"]
                out.append(Ev("web", "stderr", end + 0.0001, [err, *tb], "ERROR", "gunicorn", None, True,
                              payload_ts=float(int(end)), payload_aware=True, payload_whole=True))
        return out

    def quotes(self) -> list[Ev]:
        out, t = [], T0 + 1.3
        for i, rid in enumerate(self.ids[:4]):
            t = q(t + 2.3)
            out.append(Ev("quotes", "stdout", t, [f"quote computed for {rid} in {12 + i} ms"], None, "text", None))
            if i == 1:
                t2 = q(t + 0.01)
                head = f"ERROR {py_asctime(t2)} views 1 140211 Internal Server Error: /quote/{rid}"
                tb = ["Traceback (most recent call last):",
                      '  File "/srv/quotes/views.py", line 31, in quote',
                      "    price = table[sku]",
                      "KeyError: 'SKU-5120'"]
                out.append(Ev("quotes", "stderr", t2 + 0.0004, [head, *tb], "ERROR", "django-verbose", None, True,
                              payload_ts=int(t2 * 1000) / 1000))
        return out


def py_iso(ts: float) -> str:
    """python-json-logger's ISO time with microseconds and +00:00."""
    us = int(round(ts * 1e6))
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(us // 1_000_000)) + f".{us % 1_000_000:06d}+00:00"


# --- writing captures -----------------------------------------------------------------------------

def go_json(obj: dict) -> str:
    """json.Marshal as moby writes it: HTML characters escaped, no spaces."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def schedule(rng: random.Random, events: list[Ev], merged: bool = False) -> list[tuple[Ev, int, int, float]]:
    """Physical lines in the order the runtime wrote them: (event, line index, piece, time).

    Each stream writes its events' lines in order; different streams interleave (a traceback on
    stderr with stdout lines between its lines). ``merged``: the capture merged each container's
    stdout and stderr into one stream (compose, kubectl, stern), so only other containers' lines
    can sit inside a traceback. Lines over 16 KiB become pieces.
    """
    streams: dict[tuple, list[tuple[Ev, int]]] = {}
    for ev in sorted(events, key=lambda e: e.ts):
        for k in range(len(ev.lines)):
            streams.setdefault((ev.service,) if merged else (ev.service, ev.stream), []).append((ev, k))
    out: list[tuple[Ev, int, int, float]] = []
    cursors = {key: 0 for key in streams}
    clock = {key: 0.0 for key in streams}
    while cursors:
        ready = sorted(cursors, key=lambda k: streams[k][cursors[k]][0].ts + cursors[k] * 1e-6)
        key = ready[0] if len(ready) == 1 or rng.random() < 0.6 else rng.choice(ready[:3])
        ev, k = streams[key][cursors[key]]
        t = q(max(ev.ts + k * 0.00005, clock[key] + 0.00001))
        clock[key] = t
        pieces = max(1, -(-len(ev.lines[k]) // SPLIT))
        for p in range(pieces):
            out.append((ev, k, p, q(t + p * 0.000001)))
        cursors[key] += 1
        if cursors[key] == len(streams[key]):
            del cursors[key]
    return out


def piece_text(ev: Ev, k: int, p: int) -> tuple[str, bool]:
    text = ev.lines[k]
    pieces = max(1, -(-len(text) // SPLIT))
    return text[p * SPLIT:(p + 1) * SPLIT], p < pieces - 1


class Capture:
    """One file being written, and the events it must read back as."""

    def __init__(self, rel: str) -> None:
        self.rel = rel
        self.lines: list[str] = []
        self.firsts: dict[int, int] = {}  # id(ev) -> first line number
        self.counts: dict[int, int] = {}
        self.order: list[Ev] = []
        self.extra: list[dict] = []  # events of lines written on purpose outside the model
        self.seen_time: float | None = None  # latest time a line of this file gave (for inheritance)
        self.inherit: dict[int, float | None] = {}
        self.first_time: dict[int, float | None] = {}

    def add(self, ev: Ev, line: str, has_time: float | None) -> None:
        self.lines.append(line)
        n = len(self.lines)
        if id(ev) not in self.firsts:
            self.firsts[id(ev)] = n
            self.order.append(ev)
            self.inherit[id(ev)] = self.seen_time
            self.first_time[id(ev)] = has_time
        self.counts[id(ev)] = self.counts.get(id(ev), 0) + 1
        if has_time is not None:
            self.seen_time = has_time

    def raw(self, line: str, expect: dict, inherits: bool = False) -> None:
        """A line outside the model (damaged on purpose) and what it must read as."""
        self.lines.append(line)
        if inherits:
            expect = {**expect, "timestamp": iso_ms(self.seen_time) if self.seen_time is not None else None}
        self.extra.append({"line": len(self.lines), **expect})

    def expected(self, service: str | None, wrapper_time: bool, wrapper: str | None) -> list[dict]:
        out = []
        for ev in self.order:
            wrapped_at = self.first_time[id(ev)]
            if (wrapper_time and ev.payload_whole and wrapped_at is not None
                    and ev.payload_ts <= wrapped_at < ev.payload_ts + 2.5):  # type: ignore[operator]
                ts = wrapped_at  # the wrapper's nanoseconds beat a whole-second stamp of the same second
            elif ev.payload_ts is not None and (not wrapper_time or ev.payload_aware
                                                or abs(ev.payload_ts - ev.ts) < 1.5):
                ts = ev.payload_ts
            elif wrapper_time:
                ts = wrapped_at
            else:
                ts = self.inherit[id(ev)]
            item = {"line": self.firsts[id(ev)], "lines": self.counts[id(ev)], "service": service or ev.service,
                    "level": ev.level, "timestamp": iso_ms(ts) if ts is not None else None,
                    "traceback": ev.traceback, "correlation_id": ev.corr, "format": ev.fmt, "wrapper": wrapper,
                    **ev.expect}
            out.append(item)
        out.extend(self.extra)
        return sorted(out, key=lambda e: e["line"])

    def write(self) -> None:
        path = os.path.join(OUT, self.rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write("".join(line + "\n" for line in self.lines))


def docker_file(rng, rel, events, tag: str | None = None) -> Capture:
    cap = Capture(rel)
    for ev, k, p, t in schedule(rng, events):
        text, partial = piece_text(ev, k, p)
        obj: dict = {"log": text if partial else text + "\n", "stream": ev.stream}
        if tag:
            obj["attrs"] = {"tag": tag}
        obj["time"] = iso_ns(t)
        cap.add(ev, go_json(obj), t)
    return cap


def cri_file(rng, rel, events, crio: bool) -> Capture:
    cap = Capture(rel)
    for ev, k, p, t in schedule(rng, events):
        text, partial = piece_text(ev, k, p)
        cap.add(ev, f"{iso_ns(t, fixed=crio, offset=crio)} {ev.stream} {'P' if partial else 'F'} {text}", t)
    return cap


def compose_file(rng, rel, events, names: dict[str, str], stamps: bool, cap: Capture | None = None) -> Capture:
    cap = cap or Capture(rel)
    width = max(len(n) for n in names.values())
    for ev, k, _p, t in schedule(rng, events, merged=True):
        name = names[ev.service].ljust(width)
        text = ev.lines[k]
        if stamps:
            cap.add(ev, f"{name}  | {iso_ns(t, fixed=True)} {text}", t)
        else:
            payload_time = ev.payload_ts if k == 0 else None
            cap.add(ev, f"{name}  | {text}", payload_time)
    return cap


def kubectl_file(rng, rel, events, pods: dict[str, str]) -> Capture:
    cap = Capture(rel)
    for ev, k, _p, t in schedule(rng, events, merged=True):
        cap.add(ev, f"[pod/{pods[ev.service]}/{ev.service}] {iso_ns(t)} {ev.lines[k]}", t)
    return cap


def stern_file(rng, rel, events, pods: dict[str, str]) -> Capture:
    cap = Capture(rel)
    for ev, k, _p, t in schedule(rng, events, merged=True):
        cap.add(ev, f"{pods[ev.service]} {ev.service} {iso_ns(t)} {ev.lines[k]}", t)
    return cap


def journal_json(rng, rel, events, name: str) -> Capture:
    cap = Capture(rel)
    for n, (ev, k, p, t) in enumerate(schedule(rng, events)):
        text, partial = piece_text(ev, k, p)
        entry = {"__CURSOR": f"s=6f1e;i={0x1000 + n:x}", "__REALTIME_TIMESTAMP": str(int(round(t * 1e6))),
                 "PRIORITY": "3" if ev.stream == "stderr" else "6", "_HOSTNAME": "shop-1", "_PID": "913",
                 "_TRANSPORT": "journal", "SYSLOG_IDENTIFIER": ORDERS_ID[:12], "MESSAGE": text,
                 "CONTAINER_NAME": name, "CONTAINER_ID": ORDERS_ID[:12], "CONTAINER_ID_FULL": ORDERS_ID,
                 "CONTAINER_TAG": ORDERS_ID[:12]}
        if partial:
            entry["CONTAINER_PARTIAL_MESSAGE"] = "true"
        cap.add(ev, json.dumps(entry, separators=(",", ":")), int(round(t * 1e6)) / 1e6)
    return cap


def billing_events(levels: bool) -> list[Ev]:
    """A systemd unit (not a container): journald's PRIORITY is the level; short-iso drops it."""
    out = []
    for i in range(4):
        t = q(T0 + 3 + i * 4.4)
        level = ["INFO", "WARNING", "ERROR", "INFO"][i]
        text = ["invoice run started", "slow ledger query (2.3 s)", "ledger unreachable", "invoice run done"][i]
        out.append(Ev("billing", "journal", t, [text], level if levels else None, "text", None,
                      priority=["6", "4", "3", "6"][i]))
    return out


def billing_journal(rel: str, events: list[Ev]) -> Capture:
    cap = Capture(rel)
    for n, ev in enumerate(events):
        entry = {"__CURSOR": f"s=6f1e;i={0x2000 + n:x}", "__REALTIME_TIMESTAMP": str(int(round(ev.ts * 1e6))),
                 "PRIORITY": ev.priority, "_HOSTNAME": "shop-1", "_PID": "77", "_SYSTEMD_UNIT": "billing.service",
                 "SYSLOG_IDENTIFIER": "billing", "MESSAGE": ev.lines[0]}
        cap.add(ev, json.dumps(entry, separators=(",", ":")), ev.ts)
    # a binary MESSAGE (journalctl writes it as an array of bytes): kept, decoded with replacement
    t = T0 + 20.0
    entry = {"__REALTIME_TIMESTAMP": str(int(t * 1e6)), "PRIORITY": "6", "_PID": "77",
             "_SYSTEMD_UNIT": "billing.service", "SYSLOG_IDENTIFIER": "billing",
             "MESSAGE": list(b"binary \xff\xfe payload")}
    cap.raw(json.dumps(entry, separators=(",", ":")),
            {"lines": 1, "service": "billing", "level": "INFO", "timestamp": iso_ms(t), "traceback": False,
             "correlation_id": None, "format": "text", "wrapper": "journald-json",
             "message": "binary \ufffd\ufffd payload"})
    return cap


def billing_short(rel: str, events: list[Ev]) -> Capture:
    cap = Capture(rel)
    for ev in events:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(int(ev.ts)))
        cap.add(ev, f"{stamp} shop-1 billing[77]: {ev.lines[0]}", float(int(ev.ts)))
    return cap


def build(out: str = OUT) -> dict:
    global OUT
    OUT = out
    rng = random.Random(SEED)
    shop = Shop(rng)
    orders, notifier, web, quotes = shop.orders(big=True), shop.notifier(), shop.web(), shop.quotes()
    small_orders = shop.orders(big=False)
    captures: list[tuple[Capture, str | None, bool, str | None]] = []

    docker = docker_file(rng, f"docker/containers/{ORDERS_ID}/{ORDERS_ID}-json.log", orders)
    # damaged on purpose: a json-file line cut mid-object is kept as text
    docker.raw('{"log":"order request for customer 9\\n","stream":"stdout","ti',
               {"lines": 1, "service": "orders-1", "level": None, "traceback": False,
                "correlation_id": None, "format": "text", "wrapper": None}, inherits=True)
    captures.append((docker, "orders-1", True, "docker-json"))
    captures.append((docker_file(rng, f"docker/containers/{NOTIFIER_ID}/{NOTIFIER_ID}-json.log", notifier,
                                 tag="notifier"), "notifier", True, "docker-json"))

    web_pod = "shop_web-6d4cf9b7c-8zq2m_" + POD_UID
    web_cri = cri_file(rng, f"pods/{web_pod}/web/0.log", web, crio=False)
    web_cri.raw(f"{iso_ns(T0 + 30)} stdout X unknown tag from a newer runtime",
                {"lines": 1, "service": "web", "level": None, "timestamp": iso_ms(T0 + 30), "traceback": False,
                 "correlation_id": None, "format": "timestamped", "wrapper": None})
    captures.append((web_cri, "web", True, "cri"))
    orders_pod = "shop_orders-5f7d8c9b6-q4w7e_" + POD_UID
    captures.append((cri_file(rng, f"pods/{orders_pod}/orders/0.log", orders, crio=True), "orders", True, "cri"))

    names = {"orders": "orders-1", "notifier": "notifier-1", "quotes": "quotes-1"}
    both = [*small_orders, *notifier, *quotes]
    compose_t = Capture("compose/compose-t.log")  # a prefix without a message first: kept, its own event
    compose_t.raw("quotes-1    |", {"lines": 1, "service": "quotes-1", "level": None, "timestamp": None,
                                   "traceback": False, "correlation_id": None, "format": "text",
                                   "wrapper": "compose"})
    compose_t = compose_file(rng, "compose/compose-t.log", both, names, stamps=True, cap=compose_t)
    captures.append((compose_t, None, True, "compose"))
    captures.append((compose_file(rng, "compose/compose.log", both, names, stamps=False), None, False, "compose"))

    pods = {"quotes": "quotes-77b9c5d4f-x2k4q", "web": "web-6d4cf9b7c-8zq2m"}
    captures.append((kubectl_file(rng, "kubectl/quotes.log", quotes, pods), None, True, "kubectl"))
    captures.append((stern_file(rng, "stern/shop.log", [*quotes, *web], pods), None, True, "stern"))

    captures.append((journal_json(rng, "journald/orders.json", orders, "orders-1"), "orders-1", True, "journald-json"))
    captures.append((billing_journal("journald/billing.json", billing_events(True)), "billing", True,
                     "journald-json"))
    captures.append((billing_short("journald/billing-short.log", billing_events(False)), "billing", True,
                     "journald-short"))

    expected: dict = {"generator": "tests/data/make_containers.py", "seed": SEED, "zone": "UTC",
                      "ids": shop.ids, "tasks": shop.tasks, "files": {}}
    for cap, service, wrapper_time, wrapper in captures:
        events = cap.expected(service, wrapper_time, wrapper)
        for item in events:
            if cap.rel.startswith("compose/") and item["service"] in names:
                item["service"] = names[item["service"]]
        expected["files"][cap.rel] = events
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    for cap, *_ in captures:
        cap.write()
    config = {"ID": ORDERS_ID, "Name": "/orders-1", "Config": {"Image": "shop/orders:4.12"}}
    with open(os.path.join(OUT, f"docker/containers/{ORDERS_ID}/config.v2.json"), "w") as fh:
        json.dump(config, fh)
    with open(os.path.join(OUT, "expected.json"), "w") as fh:
        json.dump(expected, fh, indent=1, sort_keys=True)
        fh.write("\n")
    return expected


if __name__ == "__main__":
    build()
    sys.exit(0)
