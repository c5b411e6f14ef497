"""`devkit pkg version`: the current version, where it lives, and what each bump gives."""

from __future__ import annotations

import json

import click

from devkit.cli.console import get_terminal
from devkit.cli.options import json_option


@click.command()
@click.option("-C", "--project", "project", default=".", show_default=True,
              type=click.Path(file_okay=False), help="Project directory.")
@json_option
def version(project: str, as_json: bool) -> None:
    """Show the project's version, every place it is kept, and what each part would bump it to.

    \b
    Examples:
      devkit pkg version
      devkit pkg version -C services/orders --json
    """
    from devkit.pkg.bump import version_info

    info = version_info(project)
    term = get_terminal()
    for note in info["notes"]:
        term.info(note)
    if as_json:
        term.write(json.dumps(info, indent=2, ensure_ascii=False) + "\n")
        return
    lines = [info["version"], "found in:"]
    lines += [f"  {p['file']}:{p['line']}  {p['key']}" for p in info["places"]]
    if info["vcs"]:
        lines.append(f"  git tags ({info['vcs']})")
    lines.append("bump:")
    width = max(len(k) for k in info["bumps"]) if info["bumps"] else 0
    lines += [f"  {part.ljust(width)}  {new}" for part, new in info["bumps"].items()]
    term.write("\n".join(lines) + "\n")
