"""What every ``devkit gen`` command shares: the ``-o`` option and writing the result."""

from __future__ import annotations

from typing import Callable

import click

from devkit.cli.console import get_terminal
from devkit.gen.output import write_config

F = Callable[..., object]


def output_option(fn: F) -> F:
    return click.option(
        "-o", "--output", "output", type=click.Path(dir_okay=False, writable=False), default=None,
        help="Write to FILE (atomically) instead of stdout.",
    )(fn)


def emit(text: str, output: str | None) -> None:
    """The config to stdout, or to *output* with a one-line note on stderr."""
    if output is None or output == "-":
        get_terminal().write(text)
        return
    path = write_config(text, output)
    get_terminal().info(f"wrote {path}")
