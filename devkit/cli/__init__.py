"""The ``devkit`` command: a root group that only registers the command groups.

Errors are turned into exit codes here and nowhere else: 0 ok, 1 nothing found or check failed,
2 usage or I/O error. Set ``DEVKIT_DEBUG=1`` to see the traceback of an unexpected error.
"""

from __future__ import annotations

from devkit.cli.imports import gc_paused, tune_gc

with gc_paused():  # importing click is most of start-up (devkit.cli.imports says why)
    import importlib
    import os
    import signal
    import sys

    import click

    from devkit import __version__
    from devkit.cli.console import get_terminal, set_color
    from devkit.errors import DevkitError

#: Command groups, imported only when used so ``devkit logs`` never pays for pika or pyroma.
GROUPS = {
    "logs": "devkit.cli.logs:logs",
    "pkg": "devkit.cli.pkg:pkg",
    "gen": "devkit.cli.gen:gen",
    "load": "devkit.cli.load:load",
    "completion": "devkit.cli.completion:completion",
}


class DevkitGroup(click.Group):
    """Root group: loads command groups lazily and maps errors to exit codes in one place."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *GROUPS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in GROUPS and name not in self.commands:
            from devkit.cli.options import add_color_option

            module, attr = GROUPS[name].split(":")
            with gc_paused():
                group = getattr(importlib.import_module(module), attr)
            self.add_command(add_color_option(group), name)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            rv = super().invoke(ctx)
        except DevkitError as exc:
            get_terminal().error(str(exc))
            raise click.exceptions.Exit(exc.exit_code) from None
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            raise click.exceptions.Exit(130) from None
        except BrokenPipeError:
            raise
        except Exception as exc:  # one place for the unexpected
            if os.environ.get("DEVKIT_DEBUG"):
                import traceback  # only here: it is a measurable part of start-up

                traceback.print_exc()
            get_terminal().error(
                f"internal error: {type(exc).__name__}: {exc} (set DEVKIT_DEBUG=1 for a traceback)"
            )
            raise click.exceptions.Exit(2) from None
        if isinstance(rv, int) and rv:
            raise click.exceptions.Exit(rv)
        return rv


@click.group(cls=DevkitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="devkit")
@click.option(
    "--color/--no-color",
    default=None,
    help="Force colours on or off (default: on for terminals; NO_COLOR and FORCE_COLOR are honoured).",
)
def cli(color: bool | None) -> None:
    """devkit: follow requests through logs, rate and bump packages, generate configs, load-test.

    \b
    Examples:
      devkit logs requests examples/logs --failed
      devkit logs trace e5f011c3c08395f59280cb8e102d796b examples/logs --tz UTC
      devkit pkg rate .
      devkit gen nginx --upstream 127.0.0.1:8000
      devkit load amqp -n 20000 --confirm
    """
    set_color(color)




def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: quiet on a closed pipe (``devkit logs merge | head``)."""
    tune_gc()  # a devkit process: the collector never scans the imports, and runs less often (devkit.cli.imports)
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        cli.main(args=argv, prog_name="devkit")
    except BrokenPipeError:
        # Pipe closed under us: drop what is buffered and leave quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
