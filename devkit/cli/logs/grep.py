"""``devkit logs grep``: a pattern anywhere in a stitched event."""

from __future__ import annotations

from functools import partial

import click

from devkit.cli.logs.common import run_search
from devkit.cli.logs.render import Display
from devkit.cli.options import (
    log_output_options,
    paths_argument,
    sources_or_stdin,
    tz_option,
)
from devkit.logs.match import PatternMatcher
from devkit.logs.trace import grep as grep_events


@click.command()
@click.argument("pattern")
@paths_argument
@click.option("-F", "--fixed-strings", "fixed", is_flag=True, help="PATTERN is a literal string, not a regex.")
@click.option("-i", "--ignore-case", is_flag=True, help="Match without regard to case.")
@click.option("--field", metavar="NAME", help="Match only in this field.")
@tz_option
@log_output_options
def grep(pattern: str, paths: tuple[str, ...], fixed: bool, ignore_case: bool, field: str | None, tz: str | None,
         as_json: bool, raw: bool, raw_tty: bool, text_mode: bool, short_tb: bool) -> int:
    """Events matching a regex anywhere, traceback lines included, merged in time order.

    Unlike grep, a hit in line 7 of a traceback returns the whole record it belongs to.
    Exit status: 0 found, 1 not found, 2 an input could not be read.

    \b
    Examples:
      devkit logs grep 'payment declined' examples/logs
      devkit logs grep -F 'KeyError' examples/logs --json
    """
    search = partial(grep_events, pattern, fixed=fixed, ignore_case=ignore_case, field=field)
    display = Display(short_tb, raw_tty, PatternMatcher(pattern, fixed, ignore_case).regex)
    return run_search(search, sources_or_stdin(paths), tz, text_mode, as_json, raw or raw_tty, "Pattern",
                      display=display)
