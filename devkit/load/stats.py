"""Latency percentiles for load runs, computed the same way for AMQP and HTTP."""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable

PERCENTILES = (("p50", 50.0), ("p95", 95.0), ("p99", 99.0))


def percentiles_ms(samples: Iterable[float]) -> dict[str, float | None]:
    """``{"p50", "p95", "p99", "max"}`` in milliseconds (nearest-rank); ``None`` with no samples."""
    ordered = sorted(samples)
    if not ordered:
        return {name: None for name, _ in PERCENTILES} | {"max": None}
    out: dict[str, float | None] = {}
    n = len(ordered)
    for name, pct in PERCENTILES:
        rank = max(1, math.ceil(pct / 100.0 * n))
        out[name] = round(ordered[rank - 1], 3)
    out["max"] = round(ordered[-1], 3)
    return out


class SampleBuffer:
    """Latency samples (ms) kept as 4-byte floats; beyond *cap* every other sample is kept.

    Long runs stay bounded in memory while percentiles stay representative.
    """

    def __init__(self, cap: int = 2_000_000) -> None:
        self.samples = array("f")
        self.cap = cap
        self._stride = 1
        self._skip = 0

    def add(self, value_ms: float) -> None:
        if self._stride > 1:
            self._skip += 1
            if self._skip < self._stride:
                return
            self._skip = 0
        self.samples.append(value_ms)
        if len(self.samples) >= self.cap:
            self.samples = self.samples[::2]
            self._stride *= 2

    def tobytes(self) -> bytes:
        return self.samples.tobytes()


def samples_from_bytes(blobs: Iterable[bytes]) -> array:
    """Join sample buffers sent back by worker processes."""
    out = array("f")
    for blob in blobs:
        out.frombytes(blob)
    return out
