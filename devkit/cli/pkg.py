"""The `devkit pkg` command group (commands are registered here)."""

from __future__ import annotations

import click


@click.group()
def pkg() -> None:
    """pkg: see `devkit pkg --help`."""
