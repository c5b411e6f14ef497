"""Small helpers shared by the load commands: duration parsing and number formatting."""

from __future__ import annotations

import re

import click

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


class Duration(click.ParamType):
    """Seconds as ``30``, ``30s``, ``1.5m``, ``500ms`` or ``1h``."""

    name = "DURATION"

    def convert(self, value, param, ctx):
        if isinstance(value, (int, float)):
            return float(value)
        match = _DURATION.match(str(value))
        if not match:
            self.fail(f"{value!r} is not a duration like 30s, 2m or 500ms", param, ctx)
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
        if seconds <= 0:
            self.fail(f"{value!r} must be more than zero", param, ctx)
        return seconds


_SIZE = re.compile(r"^\s*(\d+)\s*([kmg]i?b?|b)?\s*$", re.I)
_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}


class Size(click.ParamType):
    """Bytes as ``1048576``, ``512K``, ``1M`` or ``1MiB`` (binary units)."""

    name = "SIZE"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        match = _SIZE.match(str(value))
        if not match:
            self.fail(f"{value!r} is not a size like 1048576, 512K or 1M", param, ctx)
        unit = (match.group(2) or "").lower()[:1]
        return int(match.group(1)) * _SIZE_UNITS[unit]


def fmt_int(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def fmt_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def latency_row(stats: dict | None) -> str:
    if not stats or stats.get("p50") is None:
        return "-"
    return "  ".join(f"{key} {fmt_ms(stats.get(key))}" for key in ("p50", "p95", "p99", "max"))
