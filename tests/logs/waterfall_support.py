"""Logs of one checkout with a known call structure, for the waterfall tests.

    nginx (entry; whole-second $time_local, rt=1.500)
    └─ gateway
       └─ orders
          ├─ inventory      reserve
          ├─ payments       the root cause: ConnectTimeout at +1.440
          └─ inventory #2   release (orders logged in between)
    notifier (async: a queue consumer that starts 0.370 s after nginx answered)

Errors cascade after the root cause: orders +1.450, gateway +1.480, nginx 502 at +1.500 (its
stamp says 12:00:01, i.e. +0.900, which would wrongly make it the first error), notifier +1.900.
Times are seconds from START, the instant nginx received the request.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

CID = "7d1c0a55e2f44d6c9a1b3e5f70812abc"
OTHER = "0badc0de0badc0de0badc0de0badc0de"
START = datetime(2026, 11, 20, 12, 0, 0, 100000, tzinfo=timezone.utc)
RT = 1.5

PSP_TB = [
    "Traceback (most recent call last):",
    '  File "/app/payments/psp.py", line 88, in authorise',
    '    resp = self.client.post("/v1/charges", json=body, timeout=1.4)',
    '  File "/usr/lib/python3/site-packages/httpx/_client.py", line 1145, in post',
    "    return self.request(",
    "httpx.ConnectTimeout: timed out",
]
GATEWAY_TB = [
    "Traceback (most recent call last):",
    '  File "/app/gateway/views.py", line 41, in checkout',
    "    resp.raise_for_status()",
    "gateway.errors.UpstreamError: orders answered 502",
]
NOTIFIER_TB = [
    "Traceback (most recent call last):",
    '  File "/app/notifier/tasks.py", line 64, in send_email',
    "    smtp.send_message(msg)",
    "smtplib.SMTPServerDisconnected: Connection unexpectedly closed",
]

#: What the waterfall must say: (label, depth, parent row, async, start, end, own, events, errors).
EXPECTED_ROWS = [
    ("nginx", 0, None, False, 0.000, 1.500, 0.004, 1, 1),
    ("gateway", 1, 0, False, 0.002, 1.498, 0.036, 4, 1),
    ("orders", 2, 1, False, 0.010, 1.470, 0.050, 5, 1),
    ("inventory", 3, 2, False, 0.015, 0.025, 0.010, 3, 0),
    ("payments", 3, 2, False, 0.040, 1.440, 1.400, 2, 1),
    ("inventory #2", 3, 2, False, 1.460, 1.460, 0.000, 1, 0),
    ("notifier", 0, None, True, 1.870, 1.950, 0.080, 3, 1),
]


def at(offset: float) -> datetime:
    return START + timedelta(seconds=offset)


def _iso(offset: float) -> str:
    return at(offset).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _text_ts(offset: float) -> str:
    t = at(offset)
    return t.strftime("%Y-%m-%d %H:%M:%S,") + f"{t.microsecond // 1000:03d}"


def write_checkout(root: Path, msec: bool = False) -> list[Path]:
    """Write the five services' logs (plus another request's noise) under ``root``."""
    def gw(offset: float, cid: str, msg: str, tb: list[str] | None = None) -> list[str]:
        return [f"{cid} - {_text_ts(offset)} - app.py - handle - {msg}", *(tb or [])]

    gateway = [
        *gw(-0.500, "Internal", "health check ok"),
        *gw(0.002, CID, f"corrID {CID} extracted"),
        *gw(0.003, CID, "Checkout for customer 18906"),
        *gw(0.300, OTHER, f"corrID {OTHER} extracted"),
        *gw(1.480, CID, "Checkout failed", GATEWAY_TB),
        *gw(1.498, CID, f"Removing corrID {CID} from thread local storage"),
    ]

    def js(offset: float, cid: str, event: str, level: str = "info", **kw) -> str:
        return json.dumps({"event": event, "level": level, "timestamp": _iso(offset), "request_id": cid, **kw})

    orders = [
        js(0.010, CID, "order_request", customer=18906),
        js(0.011, CID, "reserving_stock", skus=2),
        js(0.030, CID, "stock_reserved", reservation="r-1"),
        js(0.310, OTHER, "order_request", customer=5),
        js(1.450, CID, "payment_failed", "error", reason="psp_unreachable"),
        js(1.470, CID, "order_failed_published", exchange="shop"),
    ]

    def v1(offset: float, cid: str, message: str, level: str = "INFO") -> str:
        return json.dumps({"@timestamp": _iso(offset)[:-4] + "Z", "@version": "1", "message": message,
                           "levelname": level, "corrId": cid})

    inventory = [
        v1(0.015, CID, "Reserve request for 2 SKUs"),
        v1(0.020, CID, "Reserved SKU-1 x1"),
        v1(0.025, CID, "Reservation r-1 created"),
        v1(1.460, CID, "Reservation r-1 released"),
    ]
    payments = [
        js(0.040, CID, "charge_requested", amount="10.00"),
        js(1.440, CID, "psp_request_failed", "error", elapsed_ms=1399.0, exception="\n".join(PSP_TB)),
    ]
    end = at(RT)
    stamp = end.strftime("%d/%b/%Y:%H:%M:%S +0000")
    extra = f" msec={end.timestamp():.3f}" if msec else ""
    nginx = [
        f'192.0.2.7 - - [{at(0.9).strftime("%d/%b/%Y:%H:%M:%S +0000")}] "GET /api/products HTTP/1.1" 200 12 "-" '
        f'"curl/8" corr={OTHER} rt=0.020',
        f'198.51.100.130 - - [{stamp}] "POST /api/orders HTTP/1.1" 502 157 "-" "ShopApp/4.12" '
        f"corr={CID} rt={RT:.3f}{extra}",
    ]

    def nt(offset: float, level: str, msg: str, tb: list[str] | None = None) -> list[str]:
        return [f"{_text_ts(offset)} {level} notifier.tasks: {msg}", *(tb or [])]

    notifier = [
        *nt(1.870, "INFO", f"Received order.payment_failed for request {CID}"),
        *nt(1.900, "ERROR", f"Failed to send email for request {CID}", NOTIFIER_TB),
        *nt(1.950, "INFO", f"Will retry email for request {CID} in 300 s"),
    ]
    files = {"gateway/gateway.log": gateway, "orders/orders.log": orders, "inventory/inventory.log": inventory,
             "payments/payments.log": payments, "nginx/access.log": nginx, "notifier/notifier.log": notifier}
    paths = []
    for name, lines in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n")
        paths.append(path)
    return paths
