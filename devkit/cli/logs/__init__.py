"""The ``devkit logs`` group: it only registers its commands."""

from __future__ import annotations

import click

from devkit.cli.logs.grep import grep
from devkit.cli.logs.merge import merge
from devkit.cli.logs.requests import requests
from devkit.cli.logs.ship import ship
from devkit.cli.logs.trace import trace


@click.group()
def logs() -> None:
    """Follow one request through many services' logs.

    \b
    Examples:
      devkit logs requests examples/logs --failed
      devkit logs trace e5f011c3c08395f59280cb8e102d796b examples/logs --tz UTC
      devkit logs grep -F KeyError examples/logs
      devkit logs merge examples/logs | less -R
    """


for _command in (requests, trace, grep, merge, ship):
    logs.add_command(_command)
