"""Options shared by several commands, so ``--json`` means the same everywhere."""

from __future__ import annotations

import sys
from typing import Callable

import click

F = Callable[..., object]


def json_option(fn: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON output.")(fn)


def tz_option(fn: F) -> F:
    return click.option(
        "--tz",
        metavar="ZONE",
        envvar="DEVKIT_TZ",
        show_envvar=True,
        help="Zone of naive timestamps: an IANA name (Europe/Warsaw), UTC or +02:00 [default: local time].",
    )(fn)


def paths_argument(fn: F) -> F:
    # readable=False: an unreadable PATH is reported by the reader as one problem while the other
    # PATHs are still read, not refused up front as a usage error
    return click.argument("paths", nargs=-1, metavar="[PATH]...", type=click.Path(readable=False))(fn)


def log_output_options(fn: F) -> F:
    """``--json`` / ``--raw`` / ``--text`` / ``--short-tb`` for the ``devkit logs`` commands."""
    fn = click.option("--short-tb", is_flag=True,
                      help="Tracebacks as their last frame and exception line (default: in full).")(fn)
    fn = click.option("--text", "-a", "text_mode", is_flag=True,
                      help="Read files that look binary (NUL bytes) as text instead of skipping them.")(fn)
    fn = click.option("--raw-tty", is_flag=True,
                      help="Like --raw, and the exact bytes even on a terminal, control sequences and all "
                           "(--raw shows them visibly there; into a pipe --raw is always exact).")(fn)
    fn = click.option("--raw", is_flag=True,
                      help="Print each event's original lines: the exact bytes into a pipe; on a terminal "
                           "control characters are shown visibly (see --raw-tty).")(fn)
    fn = json_option(fn)
    return fn


def es_options(fn: F) -> F:
    """``--es`` / ``--api-key`` / ``--ca-certs`` / ``--insecure``: where the search server is."""
    fn = click.option("--insecure", is_flag=True, help="Do not verify the server's TLS certificate.")(fn)
    fn = click.option("--ca-certs", metavar="FILE", type=click.Path(dir_okay=False, exists=True),
                      help="CA bundle that signed the server's certificate.")(fn)
    fn = click.option("--api-key", metavar="KEY", envvar="DEVKIT_ES_API_KEY", show_envvar=True,
                      help="API key (base64 id:key) instead of user:password in the URL.")(fn)
    fn = click.option("--es", "es_url", metavar="URL",
                      help="Elasticsearch 8/9 or OpenSearch 2/3, e.g. https://user:pass@host:9200 "
                           "(the password is masked in every message).")(fn)
    return fn


def sources_or_stdin(paths: tuple[str, ...]) -> list[str]:
    """The PATHs given, or ``-`` (stdin) when there are none and something is piped in."""
    if paths:
        return list(paths)
    try:
        interactive = sys.stdin.isatty()
    except (AttributeError, ValueError):
        interactive = False
    if interactive:
        raise click.UsageError("give one or more PATHs, or pipe logs in (PATH - reads stdin)")
    return ["-"]


def _set_color(ctx: click.Context, param: click.Parameter, value: bool | None) -> None:
    if value is not None:
        from devkit.cli.console import set_color

        set_color(value)


def color_option(fn: F) -> F:
    """``--color/--no-color`` after any command too, not only before it (``devkit logs trace ... --no-color``)."""
    return click.option("--color/--no-color", default=None, expose_value=False, is_eager=True, callback=_set_color,
                        help="Force colours on or off [default: on for terminals; NO_COLOR, FORCE_COLOR].")(fn)


def filter_options(fn: F) -> F:
    """``--since`` / ``--until`` / ``--level`` / ``--service``: which events count (never parts of one)."""
    fn = click.option("--service", "services", multiple=True, metavar="NAME",
                      help="Only these services (repeatable; globs like 'order*').")(fn)
    fn = click.option("--level", metavar="LEVEL",
                      help="Only events at LEVEL or above (DEBUG, INFO, WARNING, ERROR, CRITICAL); "
                           "events that state no level count as INFO.")(fn)
    fn = click.option("--until", metavar="TIME",
                      help="Only events before TIME (a bare time of day takes --since's date).")(fn)
    fn = click.option("--since", metavar="TIME",
                      help="Only events from TIME on: 2026-11-20T09:15, 09:15 (today, in --tz), 10m, 2h, 1d, "
                           "today, yesterday. Files in time order are not read before it.")(fn)
    return fn


def follow_option(fn: F) -> F:
    return click.option("-f", "--follow", is_flag=True,
                        help="Keep reading: new lines, new files in the directories, across rotation and "
                             "truncation; Ctrl-C ends with the summary.")(fn)


def pager_option(fn: F) -> F:
    return click.option("--no-pager", "no_pager", is_flag=True,
                        help="Do not page long output on a terminal [pager: $DEVKIT_PAGER, $PAGER, less -FRX].")(fn)


def add_color_option(command: click.Command) -> click.Command:
    """Give ``command`` and every command under it ``--color/--no-color`` (once)."""
    if not any(p.name == "color" for p in command.params):
        color_option(command)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_color_option(sub)
    return command
