"""The `devkit pkg` command group: rate a package's metadata, bump and show its version."""

from __future__ import annotations

import click

from devkit.cli.pkg.bump import bump
from devkit.cli.pkg.rate import rate
from devkit.cli.pkg.version import version


@click.group()
def pkg() -> None:
    """Rate packaging metadata (pyroma + dependency hygiene) and bump versions with git.

    \b
    Examples:
      devkit pkg rate .
      devkit pkg rate dist/mypkg-1.2.0.tar.gz --min 9 --strict
      devkit pkg version
      devkit pkg bump --dry-run minor --pre rc
    """


for command in (rate, bump, version):
    pkg.add_command(command)
