"""The one place devkit's output goes through: data to stdout, diagnostics to stderr.

Colour follows rich's rules (``NO_COLOR``, ``FORCE_COLOR``, TTY detection) unless the user
forces it with ``--color/--no-color`` on the root command.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, TextIO

from devkit.cli.visible import visible_line

if TYPE_CHECKING:
    from rich.console import Console

_FORCING_ENV = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")


class Terminal:
    """Holds the stdout and stderr consoles; commands get it from ``get_terminal()``.

    The rich consoles are made on first use, so a command that only writes JSON to a pipe
    never imports rich (a measurable part of a fast ``logs trace``).
    """

    def __init__(self, color: bool | None = None) -> None:
        self.color = color
        self.stdout: TextIO = sys.stdout
        self.stderr: TextIO = sys.stderr
        self._out: Console | None = None
        self._err: Console | None = None

    def _console(self, file: TextIO, stderr: bool) -> "Console":
        from rich.console import Console

        kwargs: dict = {"highlight": False, "markup": False, "emoji": False}
        if self.color is True:
            kwargs["force_terminal"] = True
        elif self.color is False:
            kwargs["no_color"] = True
        console = Console(file=file, stderr=stderr, **kwargs)
        if self.color is False:
            console.no_color = True
        return console

    @property
    def out(self) -> "Console":
        if self._out is None:
            self._out = self._console(self.stdout, False)
        return self._out

    @property
    def err(self) -> "Console":
        if self._err is None:
            self._err = self._console(self.stderr, True)
        return self._err

    def _surely_not_a_terminal(self, stream: TextIO) -> bool:
        """Decide without rich when nothing could make ``stream`` count as a terminal."""
        if self.color is not None or any(os.environ.get(v) for v in _FORCING_ENV):
            return False
        try:
            return not stream.isatty()
        except (AttributeError, ValueError):
            return True

    @property
    def is_terminal(self) -> bool:
        """True when stdout is an interactive terminal (rich layout, colours)."""
        return False if self._surely_not_a_terminal(self.stdout) else self.out.is_terminal

    @property
    def progress_enabled(self) -> bool:
        """Progress bars only where a person watches stderr."""
        return False if self._surely_not_a_terminal(self.stderr) else self.err.is_terminal

    def write(self, text: str) -> None:
        """Plain data to stdout, unwrapped (for pipes, JSON, raw lines)."""
        self.stdout.write(text)

    def error(self, message: str) -> None:
        self._say("devkit: error: " + _diagnostic(message), "bold red")

    def warning(self, message: str) -> None:
        self._say("devkit: warning: " + _diagnostic(message), "yellow")

    def info(self, message: str) -> None:
        self._say(_diagnostic(message), "dim")

    def _say(self, line: str, style: str) -> None:
        """One diagnostic line; into a pipe or a file it is plain text, written without rich."""
        if self._err is None and self._surely_not_a_terminal(self.stderr):
            self.stderr.write(line + "\n")
            self.stderr.flush()
            return
        self.err.print(line, style=style, soft_wrap=True)


def _diagnostic(message: str) -> str:
    """One line on stderr: passwords masked, control characters (file names!) shown, not obeyed."""
    # Without an "@" only passwords devkit.secrets has seen can be in it, and it saw none if it
    # was never imported: the common "nothing found" line does not import it (start-up time).
    if "@" in message or "devkit.secrets" in sys.modules:
        from devkit.secrets import mask_url_passwords

        message = mask_url_passwords(message)
    return visible_line(message)


_terminal: Terminal | None = None


def get_terminal() -> Terminal:
    """The shared terminal, created on first use (so tests' captured streams are honoured)."""
    global _terminal
    if _terminal is None or _terminal.stdout is not sys.stdout or _terminal.stderr is not sys.stderr:
        _terminal = Terminal(_color_choice)
    return _terminal


_color_choice: bool | None = None


def set_color(choice: bool | None) -> None:
    global _color_choice, _terminal
    _color_choice = choice
    _terminal = None
