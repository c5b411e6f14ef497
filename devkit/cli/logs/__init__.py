"""The ``devkit logs`` group: it only registers its commands, imported when one is used."""

from __future__ import annotations

import importlib

import click

#: Commands and where they live: ``devkit logs trace ID small.log`` imports only what trace needs.
COMMANDS = {
    "requests": "devkit.cli.logs.requests:requests",
    "trace": "devkit.cli.logs.trace:trace",
    "grep": "devkit.cli.logs.grep:grep",
    "merge": "devkit.cli.logs.merge:merge",
    "ship": "devkit.cli.logs.ship:ship",
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use (``--help`` lists them in this order)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS and name not in self.commands:
            from devkit.cli.imports import gc_paused
            from devkit.cli.options import add_color_option

            module, attr = COMMANDS[name].split(":")
            with gc_paused():  # the command's modules: most of a search's start-up
                command = getattr(importlib.import_module(module), attr)
            self.add_command(add_color_option(command), name)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup)
def logs() -> None:
    """Follow one request through many services' logs.

    \b
    Examples:
      devkit logs requests examples/logs --failed
      devkit logs trace e5f011c3c08395f59280cb8e102d796b examples/logs --tz UTC
      devkit logs grep -F KeyError examples/logs
      devkit logs merge examples/logs | less -R
    """
