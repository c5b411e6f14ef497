"""``devkit logs merge``: every event of all sources in one timeline."""

from __future__ import annotations

from functools import partial

import click

from devkit.cli.console import get_terminal
from devkit.cli.logs import render
from devkit.cli.logs.common import (
    LogOptions,
    exit_status,
    nothing_found,
    run_follow,
    view_options,
    write_events,
    write_live,
)
from devkit.cli.options import paths_argument, sources_or_stdin
from devkit.cli.pager import paged
from devkit.logs.trace import merge as merge_sources


@click.command()
@paths_argument
@view_options()
def merge(paths: tuple[str, ...], opts: LogOptions) -> int:
    """All events of all sources, stitched and merged in time order (pipe it anywhere).

    Each source keeps its own order; multi-line records stay whole. From a pipe (PATH -) each
    event is out as soon as the pipe pauses; with -f files are followed as they grow (and new
    files in the directories given), events merged in time order as they come. Exit status:
    0 events written, 1 no events, 2 an input could not be read.

    \b
    Examples:
      devkit logs merge examples/logs | less -R
      devkit logs merge examples/logs --json | jq -c 'select(.level == "ERROR")'
      devkit logs merge examples/logs --since '2026-11-20 09:16' --until 09:17 --service 'pay*'
      devkit logs merge examples/logs/nginx examples/logs/gateway --level WARNING --no-color
    """
    sources = sources_or_stdin(paths)
    event_filter = opts.event_filter()
    if opts.follow:
        from devkit.logs.follow import Follow

        return run_follow(Follow(sources, opts.zone, opts.text_mode, event_filter), opts, None)
    run = merge_sources(sources, zone=opts.zone, text_mode=opts.text_mode, event_filter=event_filter)
    live = any(s.path is None for s in run.sources)
    term = get_terminal()
    with paged(opts.pager(live)):
        term = get_terminal()
        if live:  # from a pipe: each event out as it comes
            n = write_live(run.events, term, opts)
        elif opts.as_json:
            n = render.write_rendered(run.rendered(render.json_text), term)
        elif opts.raw_lines or term.is_terminal:
            n = write_events(run.events, term, opts)
        else:
            n = render.write_rendered(run.rendered(partial(render.plain_text, short_tb=opts.short_tb)), term)
    # no events at all: the sources held no text (or said why); with a filter, say what was searched
    nothing = (lambda: nothing_found(term, "no events", len(run.sources), run.bytes_total, event_filter)
               ) if event_filter else None
    return exit_status(n, run.problems, term, nothing)
