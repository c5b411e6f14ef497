"""The ``devkit logs`` group: it only registers its commands."""

from __future__ import annotations

import click

from devkit.cli.logs.grep import grep
from devkit.cli.logs.merge import merge
from devkit.cli.logs.ship import ship
from devkit.cli.logs.trace import trace


@click.group()
def logs() -> None:
    """Follow one request through many services' logs.

    \b
    Examples:
      devkit logs trace 4bf92f3577b34da6a3ce929d0e0e4736 examples/logs
      devkit logs grep -F KeyError examples/logs
      devkit logs merge examples/logs | less -R
    """


for _command in (trace, grep, merge, ship):
    logs.add_command(_command)
