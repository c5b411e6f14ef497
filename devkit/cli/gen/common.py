"""What every ``devkit gen`` command shares: the ``-o`` option and writing the result."""

from __future__ import annotations

from typing import Callable

import click

from devkit.cli.console import get_terminal
from devkit.gen.output import resolve_output, write_config

F = Callable[..., object]


def _check_output(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """Refuse a device, FIFO or directory before any work (and before --check runs nginx)."""
    if value is not None and value != "-":
        resolve_output(value)
    return value


def output_option(fn: F) -> F:
    return click.option(
        "-o", "--output", "output", metavar="FILE", default=None, callback=_check_output,
        help="Write to FILE atomically (through a symlink to its target; '-' is stdout). "
             "A device, FIFO or directory is refused, never replaced.",
    )(fn)


def emit(text: str, output: str | None) -> None:
    """The config to stdout, or to *output* with a one-line note on stderr."""
    if output is None or output == "-":
        get_terminal().write(text)
        return
    path = write_config(text, output)
    get_terminal().info(f"wrote {path}")
