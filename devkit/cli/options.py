"""Options shared by several commands, so ``--json`` means the same everywhere."""

from __future__ import annotations

from typing import Callable

import click

F = Callable[..., object]


def json_option(fn: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON output.")(fn)
