"""The bounds every load run shares: a count or a duration, never both, and a sane rate.

All generators (``amqp``, ``http``, ``celery``) stop by themselves; checking the bounds in one
place keeps the rule and its messages the same for each of them.
"""

from __future__ import annotations

import math

from devkit.errors import InputError


def check_run_bounds(count: int | None, duration: float | None, rate: float | None) -> None:
    """Reject a run without a bound, with two, or with a count, duration or rate out of range."""
    if count is None and duration is None:
        raise InputError("give -n/--count or --duration to bound the run")
    if count is not None and duration is not None:
        raise InputError("use either -n/--count or --duration, not both")
    if count is not None and count < 1:
        raise InputError(f"--count must be at least 1, got {count}")
    for name, value in (("--duration", duration), ("--rate", rate)):
        if value is not None and not (value > 0 and math.isfinite(value)):
            raise InputError(f"{name} must be a positive number, got {value}")


def check_workers(flag: str, workers: int, count: int | None, most: int | None = None) -> None:
    """Reject fewer than one worker, more than ``most``, or more workers than messages to send."""
    if workers < 1 or (most is not None and workers > most):
        span = f"1 to {most}" if most is not None else "at least 1"
        raise InputError(f"{flag} must be {span}, got {workers}")
    if count is not None and workers > count:
        raise InputError(f"{flag} {workers} is more than --count {count}")
