"""The ``devkit logs`` group: it only registers its commands."""

from __future__ import annotations

import click


@click.group()
def logs() -> None:
    """Follow one request through many services' logs."""
