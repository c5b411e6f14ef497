"""``devkit logs grep``: a pattern anywhere in a stitched event."""

from __future__ import annotations

from functools import partial

import click

from devkit.cli.logs.common import LogOptions, run_search, view_options
from devkit.cli.options import paths_argument, sources_or_stdin
from devkit.logs.match import PatternMatcher
from devkit.logs.trace import grep as grep_events
from devkit.logs.trace import search_rendered


@click.command()
@click.argument("pattern")
@paths_argument
@click.option("-F", "--fixed-strings", "fixed", is_flag=True, help="PATTERN is a literal string, not a regex.")
@click.option("-i", "--ignore-case", is_flag=True, help="Match without regard to case.")
@click.option("--field", metavar="NAME", help="Match only in this field.")
@view_options()
def grep(pattern: str, paths: tuple[str, ...], fixed: bool, ignore_case: bool, field: str | None,
         opts: LogOptions) -> int:
    """Events matching a regex anywhere, traceback lines included, merged in time order.

    Unlike grep, a hit in line 7 of a traceback returns the whole record it belongs to.
    PATTERN is a Python regex, matched in linear time (RE2), so no pattern can hang a search;
    look-around and backreferences are checked with a time limit per event. With -f the files
    are followed and new matching events shown as they are written.
    Exit status: 0 found, 1 not found, 2 an input could not be read.

    \b
    Examples:
      devkit logs grep 'payment declined' examples/logs
      devkit logs grep -F 'KeyError' examples/logs --json
      devkit logs grep -i timeout examples/logs --since '2026-11-20 09:16' --until 09:17 --level ERROR
    """
    matcher = PatternMatcher(pattern, fixed, ignore_case, field)
    search = partial(grep_events, pattern, fixed=fixed, ignore_case=ignore_case, field=field)
    display = opts.display(PatternMatcher(pattern, fixed, ignore_case).highlighter)
    return run_search(search, sources_or_stdin(paths), opts, "Pattern", pattern, display=display,
                      keep=lambda ev: any(matcher.in_raw(r) for r in ev.raw) and matcher.matches(ev),
                      stream=lambda paths, render, **kw: search_rendered(paths, matcher, render, **kw))
