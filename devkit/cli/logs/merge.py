"""``devkit logs merge``: every event of all sources in one timeline."""

from __future__ import annotations

from functools import partial

import click

from devkit.cli.console import get_terminal
from devkit.cli.logs import render
from devkit.cli.logs.common import report_problems
from devkit.cli.options import (
    log_output_options,
    paths_argument,
    sources_or_stdin,
    tz_option,
)
from devkit.logs.timestamps import Zone
from devkit.logs.trace import merge as merge_sources


@click.command()
@paths_argument
@tz_option
@log_output_options
def merge(paths: tuple[str, ...], tz: str | None, as_json: bool, raw: bool, raw_tty: bool, text_mode: bool,
          short_tb: bool) -> int:
    """All events of all sources, stitched and merged in time order (pipe it anywhere).

    Each source keeps its own order; multi-line records stay whole. Exit status: 0 events
    written, 1 no events, 2 an input could not be read.

    \b
    Examples:
      devkit logs merge examples/logs | less -R
      devkit logs merge examples/logs --json | jq 'select(.level == "ERROR")'
    """
    term = get_terminal()
    run = merge_sources(sources_or_stdin(paths), zone=Zone.parse(tz), text_mode=text_mode)
    events = run.events
    display = render.Display(short_tb=short_tb, raw_tty=raw_tty)
    if as_json:
        n = render.write_rendered(run.rendered(render.json_text), term)
    elif raw or raw_tty:
        n = render.write_raw(events, display)
    elif term.is_terminal:
        n = render.write_rich(events, term, render.ServiceColors(), display=display)
    else:
        n = render.write_rendered(run.rendered(partial(render.plain_text, short_tb=short_tb)), term)
    if report_problems(run.problems, term):
        return 2
    return 0 if n else 1
