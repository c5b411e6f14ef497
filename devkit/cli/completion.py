"""``devkit completion SHELL``: print the shell completion script shipped in completions/."""

from __future__ import annotations

import click

from devkit.cli.console import get_terminal

SHELLS = {"bash": "devkit.bash", "zsh": "_devkit", "fish": "devkit.fish"}


def completion_script(shell: str) -> str:
    """click's completion script for ``devkit`` in ``shell``; it asks devkit itself for candidates,
    so choices, file paths and dynamic values stay current with the installed version."""
    from click.shell_completion import get_completion_class

    from devkit.cli import cli

    cls = get_completion_class(shell)
    if cls is None:  # pragma: no cover - click ships all three
        raise click.UsageError(f"unsupported shell {shell!r}")
    return cls(cli, {}, "devkit", "_DEVKIT_COMPLETE").source().rstrip("\n") + "\n"


@click.command()
@click.argument("shell", type=click.Choice(sorted(SHELLS)))
def completion(shell: str) -> None:
    """Print the completion script for bash, zsh or fish.

    \b
    Examples:
      devkit completion bash > ~/.local/share/bash-completion/completions/devkit
      devkit completion zsh > "${fpath[1]}/_devkit"
      devkit completion fish > ~/.config/fish/completions/devkit.fish
    """
    get_terminal().write(completion_script(shell))
