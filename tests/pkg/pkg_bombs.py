"""Hostile archives built in milliseconds: members of GiBs that compress ~1000:1.

Deflate after a full flush starts from an empty history, so compressing the same 1 MiB chunk
after each full flush gives the same bytes every time: the stream for N MiB of one byte is that
block repeated N times, a valid stream that decompresses to exactly the data (CRC computed too).
"""

from __future__ import annotations

import struct
import time
import zlib
from pathlib import Path

CHUNK = 1 << 20


def _repeated(prefix: bytes, fill: bytes, size: int, suffix: bytes) -> tuple[bytes, int]:
    """(raw deflate stream, crc32) of prefix + fill*size + suffix (size a multiple of CHUNK)."""
    assert size % CHUNK == 0
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = comp.compress(prefix) + comp.flush(zlib.Z_FULL_FLUSH)
    chunk = fill * CHUNK
    block = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    tail = comp.compress(suffix) + comp.flush()
    crc = zlib.crc32(prefix)
    big = chunk * 16
    for _ in range(size // len(big)):
        crc = zlib.crc32(big, crc)
    for _ in range((size % len(big)) // CHUNK):
        crc = zlib.crc32(chunk, crc)
    return head + block * (size // CHUNK) + tail, zlib.crc32(suffix, crc)


def wheel_with_huge_metadata(path: Path, size: int = 1 << 30) -> Path:
    """A wheel whose dist-info/METADATA decompresses to ``size`` bytes (a 1 GiB one is ~1 MB)."""
    name = b"bomb-1.0.dist-info/METADATA"
    prefix = b"Metadata-Version: 2.1\nName: bomb\nVersion: 1.0\nSummary: "
    data, crc = _repeated(prefix, b"a", size, b"\n")
    total = len(prefix) + size + 1
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(data), total, len(name), 0) + name
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(data), total, len(name),
                          0, 0, 0, 0, 0, 0) + name
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local) + len(data), 0)
    path.write_bytes(local + data + central + end)
    return path


def _tar_header(name: str, size: int) -> bytes:
    fields = [name.encode().ljust(100, b"\0"), b"0000644\0", b"0000000\0", b"0000000\0",
              f"{size:011o}\0".encode(), f"{int(time.time()):011o}\0".encode(), b" " * 8, b"0",
              b"\0" * 100, b"ustar\x0000", b"\0" * 32, b"\0" * 32, b"\0" * 8, b"\0" * 8, b"\0" * 155]
    header = b"".join(fields).ljust(512, b"\0")
    checksum = f"{sum(header):06o}\0 ".encode()
    return header[:148] + checksum + header[156:]


def _tar_file(name: str, data: bytes) -> bytes:
    return _tar_header(name, len(data)) + data + b"\0" * (-len(data) % 512)


def sdist_with_huge_member(path: Path, size: int = 2 << 30, pkg_info_first: bool = False) -> Path:
    """bomb-1.0.tar.gz: a real little project plus one member of ``size`` zero bytes (~2 MB for 2 GiB)."""
    pkg_info = b"Metadata-Version: 2.1\nName: bomb\nVersion: 1.0\n"
    small = _tar_file("bomb-1.0/setup.py", b"from setuptools import setup\nsetup()\n")
    if pkg_info_first:
        small = _tar_file("bomb-1.0/PKG-INFO", pkg_info) + small
    prefix = small + _tar_header("bomb-1.0/data/blob.bin", size)
    suffix = b"\0" * 1024
    data, crc = _repeated(prefix, b"\0", size, suffix)
    total = len(prefix) + size + len(suffix)
    header = b"\x1f\x8b\x08\x00" + struct.pack("<L", int(time.time())) + b"\x02\xff"
    path.write_bytes(header + data + struct.pack("<2L", crc, total & 0xFFFFFFFF))
    return path
