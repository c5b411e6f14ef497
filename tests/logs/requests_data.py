"""Generated logs of known requests, for ``requests``, the filters and follow (ground truth, not devkit's).

A small shop: nginx (access log, ``corr=``/``rt=``, ``msec=`` for most requests, whole seconds
only for some), gateway (Python text, naive UTC times, tracebacks on unprefixed lines), orders
(logstash v1 JSON), payments (structlog JSON; a provider's ``http_status`` deep in a record) and
a notifier whose tracebacks reach syslog one record per line, interleaved with a worker. Plus
background jobs with no nginx hop, and ``Internal`` / ``-`` records that are no request.

Every request is built from a plan (start, nginx duration and status, which hops fail), and the
row ``devkit logs requests`` must show is derived from the plan and the events as written:
``expected_row``. Every event is kept with its time, service and level for the filter tests.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

BASE = datetime(2026, 11, 20, 10, 0, 0, tzinfo=timezone.utc).timestamp()
TB = ["Traceback (most recent call last):", '  File "/srv/app/{svc}.py", line 41, in handle',
      "    result = call(order)", "{exc}"]


@dataclass
class Ev:
    """One event as written: its file, time, service, level and whether it is an error."""

    file: str
    ts: float
    service: str
    level: str | None
    lines: list[str]
    cid: str | None
    error: bool
    message: str
    access: bool = False
    fine: bool = True  # stamped to the millisecond or better

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class Req:
    cid: str
    start: float
    rt: float | None  # nginx's $request_time; None: no nginx hop (a background job)
    status: int | None
    msec: bool = True  # nginx logs msec= (exact end); else only $time_local (whole seconds)
    events: list[Ev] = field(default_factory=list)


def _parts(ts: float) -> tuple[datetime, int]:
    """The second and the millisecond of ``ts``, rounded once (times are whole milliseconds)."""
    ms = round(ts * 1000)
    return datetime.fromtimestamp(ms // 1000, timezone.utc), ms % 1000


def _iso(ts: float) -> str:
    d, ms = _parts(ts)
    return d.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % ms


def _text_ts(ts: float) -> str:
    d, ms = _parts(ts)
    return d.strftime("%Y-%m-%d %H:%M:%S") + ",%03d" % ms


def _clf(ts: float) -> str:
    return _parts(ts)[0].strftime("%d/%b/%Y:%H:%M:%S +0000")


def ms(ts: float) -> float:
    return round(ts * 1000) / 1000


class Shop:
    def __init__(self, seed: int = 7, n: int = 30, jobs: int = 4) -> None:
        self.rng = random.Random(seed)
        self.requests: list[Req] = []
        self.noise: list[Ev] = []
        t = BASE
        for i in range(n):
            t += self.rng.uniform(4.0, 9.0)
            self.requests.append(self._request(i, t))
        for j in range(jobs):
            t += self.rng.uniform(4.0, 9.0)
            self.requests.append(self._job(j, t))
            self.noise.append(self._internal(t + 1.5, "Internal" if j % 2 else "-"))

    # -- building ---------------------------------------------------------------------------------

    def _cid(self) -> str:
        return "%032x" % self.rng.getrandbits(128)

    def gateway(self, ts: float, cid: str, msg: str, exc: str | None = None) -> Ev:
        head = f"{cid} - {_text_ts(ts)} - views.py - handle - {msg}"
        lines = [head] + ([x.format(svc="gateway", exc=exc) for x in TB] if exc else [])
        return Ev("gateway/gateway.log", ms(ts), "gateway", "ERROR" if exc else None, lines, cid, bool(exc), msg)

    def orders(self, ts: float, cid: str, level: str, msg: str, exc: str | None = None) -> Ev:
        rec = {"@timestamp": _iso(ts), "@version": 1, "levelname": level, "message": msg, "corrId": cid,
               "name": "orders.service"}
        if exc:
            rec["exception"] = [x.format(svc="orders", exc=exc) + "\n" for x in TB]
        return Ev("orders/orders.log", ms(ts), "orders", level, [json.dumps(rec)], cid,
                  level in ("ERROR", "CRITICAL") or bool(exc), msg)

    def payments(self, ts: float, cid: str, event: str, level: str = "info", **kw) -> Ev:
        rec = {"request_id": cid, **kw, "event": event, "level": level, "timestamp": _iso(ts)}
        msg = " ".join([event] + [f"{k}={v}" for k, v in kw.items()])
        lvl = {"info": "INFO", "warning": "WARNING", "error": "ERROR"}[level]
        return Ev("payments/payments.log", ms(ts), "payments", lvl, [json.dumps(rec)], cid, lvl == "ERROR", msg)

    def notifier(self, ts: float, cid: str, msg: str, exc: str | None = None) -> Ev:
        """A logspout record; a traceback goes one record per line (joined into one event)."""
        def rec(line: str, t: float) -> str:
            return f"<14>1 {_iso(t)} 9f2c4e1a7b30 /notifier 23817 - - {line}"

        lines = [rec(f"{cid} - {_text_ts(ts)} - tasks.py - send - {msg}", ts)]
        if exc:
            lines += [rec(x.format(svc="notifier", exc=exc), ts) for x in TB]
        return Ev("syslog/docker.log", ms(ts), "notifier", "ERROR" if exc else None, lines, cid, bool(exc), msg)

    def nginx(self, r: Req) -> Ev:
        end = ms(r.start + (r.rt or 0.0))
        path = "/api/orders" if r.status in (201, 502) else "/api/orders/1001"
        method = "POST" if r.status in (201, 502) else "GET"
        extra = f" msec={end:.3f}" if r.msec else ""
        ts = end if r.msec else float(int(end))
        line = (f'198.51.100.7 - - [{_clf(end)}] "{method} {path} HTTP/1.1" {r.status} 312 "-" "curl/8.5" '
                f"corr={r.cid} rt={r.rt:.3f}{extra}")
        level = "ERROR" if r.status >= 500 else "WARNING" if r.status >= 400 else "INFO"
        return Ev("nginx/access.log", ts, "nginx", level, [line], r.cid, r.status >= 500,
                  "", access=True, fine=r.msec)

    def _request(self, i: int, t: float) -> Req:
        kind = i % 6
        status = {0: 200, 1: 201, 2: 502, 3: 200, 4: 404, 5: 201}[kind]
        rt = round(self.rng.uniform(0.05, 0.9) + (2.5 if kind == 2 else 0.0), 3)
        r = Req(self._cid(), round(t, 3), rt, status, msec=(i % 4 != 3))
        cid, s = r.cid, r.start
        ev = r.events
        ev.append(self.gateway(s + 0.002, cid, "request in"))
        if kind in (1, 2, 5):  # a checkout
            ev.append(self.orders(s + 0.010, cid, "INFO", "order request"))
            ev.append(self.payments(s + 0.020, cid, "charge_requested", amount="10.00"))
            if kind == 2:  # the provider is down: a 502 from it deep in payments, then errors up the chain
                ev.append(self.payments(s + rt - 0.08, cid, "charge_failed", "warning", http_status=502))
                ev.append(self.payments(s + rt - 0.07, cid, "psp_request_failed", "error", attempt=1))
                ev.append(self.orders(s + rt - 0.05, cid, "ERROR", "payment failed", "PaymentError: psp down"))
                ev.append(self.gateway(s + rt - 0.01, cid, "checkout failed", "UpstreamError: orders said 502"))
            else:
                ev.append(self.payments(s + rt * 0.6, cid, "charge_authorised", amount="10.00"))
                ev.append(self.orders(s + rt * 0.8, cid, "INFO", "order created"))
                failing = kind == 5
                ev.append(self.notifier(s + rt + 0.3, cid, "sending confirmation",
                                        "TimeoutError: timed out" if failing else None))
        elif kind == 4:
            ev.append(self.gateway(s + rt - 0.01, cid, "order 1001 not found"))
        else:
            ev.append(self.orders(s + rt * 0.5, cid, "DEBUG", "order lookup"))
        ev.append(self.nginx(r))
        return r

    def _job(self, j: int, t: float) -> Req:
        """A background job: orders then payments, no nginx; odd ones fail in payments."""
        r = Req(self._cid(), round(t, 3), None, None)
        r.events.append(self.orders(r.start, r.cid, "INFO", f"nightly job {j}"))
        if j % 2:
            r.events.append(self.payments(r.start + 0.4, r.cid, "reconcile_failed", "error", batch=j))
        else:
            r.events.append(self.payments(r.start + 0.4, r.cid, "reconciled", batch=j))
        r.events.append(self.orders(r.start + 0.9, r.cid, "INFO", f"nightly job {j} done"))
        return r

    def _internal(self, ts: float, cid: str) -> Ev:
        return Ev("gateway/gateway.log", ms(ts), "gateway", None,
                  [f"{cid} - {_text_ts(ts)} - cache.py - refresh - cache refreshed"], None, False, "cache refreshed")

    # -- output -----------------------------------------------------------------------------------

    @property
    def events(self) -> list[Ev]:
        return sorted([e for r in self.requests for e in r.events] + self.noise, key=lambda e: e.ts)

    def write(self, root: Path, worker_noise: bool = True) -> Path:
        """Every file in time order (the notifier's traceback records interleaved with a worker's)."""
        files: dict[str, list[str]] = {}
        self.worker: list[Ev] = []
        for e in self.events:
            out = files.setdefault(e.file, [])
            if e.file.startswith("syslog") and len(e.lines) > 1 and worker_noise:
                head, *rest = e.lines
                out.append(head)
                for k, line in enumerate(rest):
                    out.append(line)
                    if k == 1:
                        tick = f"<14>1 {_iso(e.ts)} c41d8e2f6a95 /worker 24102 - - beat: tick"
                        out.append(tick)
                        self.worker.append(Ev(e.file, e.ts, "worker", "INFO", [tick], None, False, "beat: tick"))
            else:
                out.extend(e.lines)
        for name, lines in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(lines) + "\n")
        return root

    def written(self) -> list[Ev]:
        """Every event of the files as written (the worker's interleaved records too), in time order."""
        return sorted(self.events + getattr(self, "worker", []), key=lambda e: e.ts)


def expected_row(r: Req) -> dict:
    """The row of one request, from its plan and events, by the rules ``requests`` documents."""
    services: dict[str, float] = {}
    for e in r.events:
        services[e.service] = min(e.ts, services.get(e.service, e.ts))
    non_access = [e for e in r.events if not e.access]
    first = min(e.ts for e in non_access)
    last = max(e.ts for e in r.events)
    if r.rt is not None:
        start = r.start
        if not r.msec:  # whole-second end: the start is placed at the first finely stamped event
            raw = float(int(r.start + r.rt)) - r.rt
            start = max(raw, min(raw + 1.0, min(e.ts for e in non_access if e.fine)))
        first = min(first, start)
        last = max(last, start + r.rt)
        duration = r.rt
        order = ["nginx"] + sorted((s for s in services if s != "nginx"), key=lambda s: services[s])
    else:
        duration = last - first
        order = sorted(services, key=lambda s: services[s])
    errors = [e for e in r.events if e.error]
    first_error = min((e for e in errors if not e.access), key=lambda e: e.ts, default=None)
    if first_error is None and errors:
        first_error = errors[0]
    return {
        "correlation_id": r.cid, "first": first, "last": last, "duration": duration, "services": order,
        "status": r.status, "events": len(r.events), "errors": len(errors),
        "first_error_service": first_error.service if first_error else None,
        "first_error": first_error.message if first_error and not first_error.access else None,
    }
