#!/usr/bin/env python3
"""Bad-input samples for the log readers (run it to rewrite them; the output is deterministic).

    python tests/data/make_samples.py

Tests can also import ``write_long_line_log`` (a 50 MB line is too big to commit):

    from data.make_samples import write_long_line_log, LONG_LINE_ID
"""
from __future__ import annotations

import bz2
import gzip
import json
import lzma
import random
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent

CRLF_ID = "3b8e5f0a9c2d4e71b6f8a0c3d5e7f912"
UTF8_ID = "9d4c2b7e1f0a3c5e8b6d4f2a0c9e7b15"
GZ_ID = "5a1f3e7c9b2d4f6a8c0e2b4d6f8a1c3e"
BZ_XZ_ID = "e27b9c4f1a3d5e7b9c0f2a4d6e8b1c35"
BINARY_ID = "7f6e5d4c3b2a19080f1e2d3c4b5a6978"
LONG_LINE_ID = "0c9a8b7e6d5f4a3b2c1d0e9f8a7b6c5d"
GAP_ID = "a3c5e7f9b1d2c4e6f8a0b2d4f6e8c0a1"
UTF16_ID = "b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a3"
XZ_CORRUPT_ID = "c5e7a9b1d3f5c7e9a1b3d5f7c9e1a3b4"

TB = [
    "Traceback (most recent call last):",
    '  File "/srv/gateway/gate/views.py", line 207, in add_cart_item',
    "    item = CartItem.from_payload(request.get_json())",
    "           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
    '  File "/srv/gateway/gate/cart.py", line 33, in from_payload',
    '    quantity=int(payload["quantity"]),',
    "             ^^^^^^^^^^^^^^^^^^^^^^^^",
    "ValueError: invalid literal for int() with base 10: 'two'",
]


def gw(cid: str, ts: str, filename: str, func: str, msg: str) -> str:
    return f"{cid} - 2026-11-20 {ts} - {filename} - {func} - {msg}"


def crlf_lines() -> list[str]:
    return [
        gw(CRLF_ID, "09:14:03,412", "log.py", "log_incoming", f"corrID {CRLF_ID} extracted"),
        gw("Internal", "09:14:03,598", "cache.py", "refresh_catalog", "Catalog cache refreshed: 412 products in 38 ms"),
        gw(CRLF_ID, "09:14:03,613", "views.py", "add_cart_item", "Invalid cart payload from session 7f3e...c2"),
        *TB,
        gw(CRLF_ID, "09:14:03,615", "log.py", "cleanup_after_outgoing",
           f"Removing corrID {CRLF_ID} from thread local storage"),
    ]


def utf8_bytes() -> bytes:
    lines = [
        gw("Internal", "09:15:00,002", "health.py", "probe", "Dependencies healthy: orders=ok inventory=ok").encode(),
        # latin-1 bytes (not UTF-8) in a gateway line carrying the ID
        gw(UTF8_ID, "09:15:00,118", "views.py", "create_order", "Creating order for customer 18234 ").encode()
        + b"(name 'Zo\xe9 M\xfcller', note \xff\xfe)",
        # an invalid sequence (\xc3 then '(') inside a JSON string value
        json.dumps({"request_id": UTF8_ID, "order_id": 1000301, "event": "charge_requested", "level": "info",
                    "timestamp": "2026-11-20T09:15:00.131402Z", "card_holder": "@@"}).encode().replace(b"@@", b"J\xc3(rgen"),
        gw(UTF8_ID, "09:15:00,402", "log.py", "cleanup_after_outgoing",
           f"Removing corrID {UTF8_ID} from thread local storage").encode(),
    ]
    return b"\n".join(lines) + b"\n"


def orders_lines(n: int = 240) -> tuple[list[str], list[int]]:
    """logstash v0 lines with random IDs; GZ_ID on a few lines spread through the file."""
    rng = random.Random(7)
    out, hits = [], []
    for i in range(1, n + 1):
        cid = GZ_ID if i in (3, 4, 60, 200, 201) else "%032x" % rng.getrandbits(128)
        if cid == GZ_ID:
            hits.append(i)
        sec = 1795165200 + i * 1.7  # 2026-11-20 09:00:00 UTC + i * 1.7 s
        rec = {"@message": f"GET order {1000100 + rng.randint(0, 200)}",
               "@timestamp": "2026-11-20T09:%02d:%09.6fZ" % (i * 1.7 // 60, (i * 1.7) % 60),
               "@source_host": "b7e1c0a94f3d",
               "@fields": {"name": "orders.api", "levelname": "INFO", "funcName": "get_order", "lineno": 88,
                           "created": round(sec, 6), "process": 9, "corrId": cid}}
        out.append(json.dumps(rec))
    return out, hits


def truncated_gzip() -> tuple[bytes, int, list[int]]:
    lines, hits = orders_lines()
    data = ("\n".join(lines) + "\n").encode()
    gz = gzip.compress(data, compresslevel=9, mtime=0)
    cut = gz[: len(gz) // 2]
    d = zlib.decompressobj(wbits=31)
    prefix = d.decompress(cut)
    complete = prefix.count(b"\n")
    return cut, complete, hits


def nginx_lines() -> list[str]:
    ua = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
    rows = [
        ("203.0.113.9", "09:16:01", "GET /api/products/SKU-1042", 200, 1596, "5c4d2e1f0a9b8c7d6e5f4a3b2c1d0e9f", "0.014"),
        ("198.51.100.23", "09:16:02", "POST /api/orders", 201, 512, BZ_XZ_ID, "0.402"),
        ("192.0.2.77", "09:16:02", "GET /static/js/app.3f9c1e.js", 304, 0, "a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5", "0.001"),
        ("203.0.113.9", "09:16:03", "GET /api/products?q=gloves", 200, 18234, "f0e1d2c3b4a5968778695a4b3c2d1e0f", "0.031"),
        ("198.51.100.23", "09:16:05", "GET /api/orders/1000302", 200, 1103, BZ_XZ_ID, "0.021"),
    ]
    return [f'{ip} - - [20/Nov/2026:{t} +0000] "{req} HTTP/1.1" {st} {size} "-" "{ua}" corr={cid} rt={rt}'
            for ip, t, req, st, size, cid, rt in rows]


def xz_lines() -> list[str]:
    return [
        gw(BZ_XZ_ID, "09:16:02,001", "log.py", "log_incoming", f"corrID {BZ_XZ_ID} extracted"),
        gw(BZ_XZ_ID, "09:16:02,002", "views.py", "create_order", "Creating order for customer 18422 (1 items)"),
        gw("Internal", "09:16:02,210", "cache.py", "refresh_catalog", "Catalog cache refreshed: 412 products in 41 ms"),
        gw(BZ_XZ_ID, "09:16:02,398", "views.py", "create_order", "Order 1000302 created for customer 18422"),
        gw(BZ_XZ_ID, "09:16:05,003", "views.py", "order_detail", "Unhandled error rendering order 1000302"),
        *TB,
    ]


def binary_bytes() -> bytes:
    rng = random.Random(11)
    head = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x04\x00\x3e\x00"
    body = bytes(rng.getrandbits(8) for _ in range(700))
    return head + body[:300] + b"\x00corr=" + BINARY_ID.encode() + b"\x00" + body[300:] + bytes(16)


def copytruncate_bytes() -> bytes:
    """What logrotate's copytruncate leaves when the writer kept its offset: NULs, then new lines."""
    lines = [gw(GAP_ID, f"09:18:00,{i:03d}", "views.py", "list_orders", f"Listing orders, page {i}") for i in (1, 2, 3)]
    return b"\0" * 8192 + ("\n".join(lines) + "\n").encode()


def utf16_bytes() -> bytes:
    """A Windows service's log: UTF-16 little-endian with a BOM and CRLF line ends."""
    lines = [gw(UTF16_ID, "09:19:00,001", "svc.py", "start", "Dienst gestartet (Zoë Müller)"),
             gw("Internal", "09:19:00,500", "svc.py", "beat", "heartbeat"),
             gw(UTF16_ID, "09:19:01,002", "svc.py", "stop", "Dienst beendet \u2713")]
    return b"\xff\xfe" + ("\r\n".join(lines) + "\r\n").encode("utf-16-le")


def corrupt_xz() -> tuple[bytes, int]:
    """400 gateway lines in xz, one byte flipped in the middle; returns the file and how many
    complete lines before the damage decode intact."""
    rng = random.Random(13)
    lines = [gw(XZ_CORRUPT_ID if i % 50 == 1 else "%032x" % rng.getrandbits(128), f"09:20:{i % 60:02d},{i % 1000:03d}",
                "views.py", "order_detail", f"order {1000000 + rng.randint(0, 99999)} rendered in {rng.randint(1, 90)} ms")
             for i in range(1, 401)]
    data = ("\n".join(lines) + "\n").encode()
    packed = bytearray(lzma.compress(data))
    packed[len(packed) // 2] ^= 0xFF
    d = lzma.LZMADecompressor()
    out = b""
    try:
        for i in range(len(packed)):
            out += d.decompress(bytes(packed[i:i + 1]))
    except lzma.LZMAError:
        pass
    good = next(i for i, (a, b) in enumerate(zip(out + b"\1", data + b"\2")) if a != b)
    return bytes(packed), data[:good].count(b"\n")


def write_long_line_log(path: Path, size: int = 50 << 20) -> Path:
    """Three gateway lines carrying LONG_LINE_ID; line 2 is ``size`` bytes of message, ID at its end."""
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(gw(LONG_LINE_ID, "09:17:00,001", "log.py", "log_incoming", f"corrID {LONG_LINE_ID} extracted") + "\n")
        f.write(gw(LONG_LINE_ID, "09:17:00,002", "views.py", "import_catalog", "payload="))
        chunk = "x" * (1 << 20)
        for _ in range(size >> 20):
            f.write(chunk)
        f.write("x" * (size & ((1 << 20) - 1)))
        f.write(f" end of payload for {LONG_LINE_ID}\n")
        f.write(gw(LONG_LINE_ID, "09:17:00,950", "log.py", "cleanup_after_outgoing",
                   f"Removing corrID {LONG_LINE_ID} from thread local storage") + "\n")
    return path


def main() -> None:
    (HERE / "crlf.log").write_bytes(("\r\n".join(crlf_lines()) + "\r\n").encode())
    (HERE / "invalid-utf8.log").write_bytes(utf8_bytes())
    cut, complete, hits = truncated_gzip()
    (HERE / "truncated.log.gz").write_bytes(cut)
    (HERE / "nginx.log.bz2").write_bytes(bz2.compress(("\n".join(nginx_lines()) + "\n").encode(), 9))
    (HERE / "gateway.log.xz").write_bytes(lzma.compress(("\n".join(xz_lines()) + "\n").encode()))
    (HERE / "empty.log").write_bytes(b"")
    (HERE / "core.bin").write_bytes(binary_bytes())
    (HERE / "copytruncate.log").write_bytes(copytruncate_bytes())
    (HERE / "utf16.log").write_bytes(utf16_bytes())
    packed, intact = corrupt_xz()
    (HERE / "corrupt.log.xz").write_bytes(packed)
    (HERE / "empty.log.gz").write_bytes(gzip.compress(b"", mtime=0))
    (HERE / "zero.log.bz2").write_bytes(b"")
    print(f"truncated.log.gz: {complete} complete lines recoverable of 240; {GZ_ID} on lines {hits}")
    print(f"corrupt.log.xz: {intact} complete lines intact before the damage of 400")


if __name__ == "__main__":
    main()
