"""The `devkit load` command group (commands are registered here)."""

from __future__ import annotations

import click


@click.group()
def load() -> None:
    """load: see `devkit load --help`."""
