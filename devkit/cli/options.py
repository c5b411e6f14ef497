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
    return click.argument("paths", nargs=-1, metavar="[PATH]...", type=click.Path())(fn)


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
