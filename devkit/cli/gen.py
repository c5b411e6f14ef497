"""The `devkit gen` command group (commands are registered here)."""

from __future__ import annotations

import click


@click.group()
def gen() -> None:
    """gen: see `devkit gen --help`."""
