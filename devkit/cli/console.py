"""The one place devkit's output goes through: data to stdout, diagnostics to stderr.

Colour follows rich's rules (``NO_COLOR``, ``FORCE_COLOR``, TTY detection) unless the user
forces it with ``--color/--no-color`` on the root command.
"""

from __future__ import annotations

import sys

from rich.console import Console

from devkit.secrets import mask_url_passwords


class Terminal:
    """Holds the stdout and stderr consoles; commands get it from ``get_terminal()``."""

    def __init__(self, color: bool | None = None) -> None:
        kwargs: dict = {"highlight": False, "markup": False, "emoji": False}
        if color is True:
            kwargs["force_terminal"] = True
        elif color is False:
            kwargs["no_color"] = True
        self.out = Console(file=sys.stdout, **kwargs)
        self.err = Console(file=sys.stderr, stderr=True, **kwargs)
        if color is False:
            self.out.no_color = self.err.no_color = True

    @property
    def is_terminal(self) -> bool:
        """True when stdout is an interactive terminal (rich layout, colours)."""
        return self.out.is_terminal

    @property
    def progress_enabled(self) -> bool:
        """Progress bars only where a person watches stderr."""
        return self.err.is_terminal

    def write(self, text: str) -> None:
        """Plain data to stdout, unwrapped (for pipes, JSON, raw lines)."""
        sys.stdout.write(text)

    def error(self, message: str) -> None:
        self.err.print("devkit: error: " + mask_url_passwords(message), style="bold red", soft_wrap=True)

    def warning(self, message: str) -> None:
        self.err.print("devkit: warning: " + mask_url_passwords(message), style="yellow", soft_wrap=True)

    def info(self, message: str) -> None:
        self.err.print(mask_url_passwords(message), style="dim", soft_wrap=True)


_terminal: Terminal | None = None


def get_terminal() -> Terminal:
    """The shared terminal, created on first use (so tests' captured streams are honoured)."""
    global _terminal
    if _terminal is None or _terminal.out.file is not sys.stdout or _terminal.err.file is not sys.stderr:
        _terminal = Terminal(_color_choice)
    return _terminal


_color_choice: bool | None = None


def set_color(choice: bool | None) -> None:
    global _color_choice, _terminal
    _color_choice = choice
    _terminal = None
