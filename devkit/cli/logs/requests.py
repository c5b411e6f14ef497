"""``devkit logs requests``: one row per request, to find the failing or slow ones, then trace one."""

from __future__ import annotations

import json
import shlex
import sys
from datetime import datetime, timezone
from typing import Sequence

import click

from devkit.cli.console import Terminal, get_terminal
from devkit.cli.logs.common import LogOptions, exit_status, nothing_found, scan_progress, view_options
from devkit.cli.options import paths_argument, sources_or_stdin
from devkit.cli.pager import paged
from devkit.logs.requests import SORTS, RequestRow, RequestsResult
from devkit.logs.requests import requests as read_requests


@click.command()
@paths_argument
@click.option("--failed", is_flag=True, help="Only requests with errors (ERROR/CRITICAL, a traceback, a 5xx).")
@click.option("--slowest", type=click.IntRange(1), metavar="N", help="The N slowest requests (--sort duration --limit N).")
@click.option("--sort", type=click.Choice(SORTS), default=None, help="Order of the rows [default: time].")
@click.option("--limit", type=click.IntRange(1), metavar="N", help="At most N rows.")
@view_options(follow=False, raw=False)
def requests(paths: tuple[str, ...], failed: bool, slowest: int | None, sort: str | None, limit: int | None,
             opts: LogOptions) -> int:
    """One row per correlation ID: when, how long, which services, status, errors, first error.

    Duration and status are the entry hop's (nginx rt= and its status, or another access log),
    else last - first. Errors are ERROR/CRITICAL events, tracebacks and 5xx answers. --since and
    --until count only the events in that window; --service and --level keep the requests that
    have such events (their rows stay whole). IDs such as Internal or - are not requests. The
    table ends with the command that traces the first row. Exit status: 0 rows shown, 1 no
    request matched, 2 an input could not be read.

    \b
    Examples:
      devkit logs requests examples/logs --failed
      devkit logs requests examples/logs --slowest 5
      devkit logs requests examples/logs --service payments --sort errors --limit 10
      devkit logs requests examples/logs --since '2026-11-20 09:16' --until 09:17 --json
    """
    if slowest is not None:
        if sort not in (None, "duration"):
            raise click.UsageError("--slowest N sorts by duration; leave out --sort or say --sort duration")
        sort, limit = "duration", slowest if limit is None else min(limit, slowest)
    sources = sources_or_stdin(paths)
    event_filter = opts.event_filter()
    term = get_terminal()
    with scan_progress(term, "reading") as progress:
        result = read_requests(sources, zone=opts.zone, text_mode=opts.text_mode, event_filter=event_filter,
                               progress=progress)
    rows = result.select(failed=failed, services=opts.services, level=event_filter.level, sort=sort or "time",
                         limit=limit)
    with paged(opts.pager() if rows else None):
        term = get_terminal()
        if opts.as_json:
            for row in rows:
                term.write(json.dumps(row.to_json(), ensure_ascii=False) + "\n")
        elif term.is_terminal:
            write_table(rows, term)
            if rows:
                term.out.print(hint(rows[0], paths, opts), style="dim", soft_wrap=True)
        else:
            write_plain(rows, term)
    sys.stdout.flush()
    if not opts.as_json and rows and not term.is_terminal:
        term.info(hint(rows[0], paths, opts))
    _warn_skew(result, rows, term)
    what = "no failed request" if failed else "no request"
    return exit_status(len(rows), result.problems, term,
                       lambda: nothing_found(term, what, result.sources_scanned, result.bytes_scanned, event_filter))


def hint(row: RequestRow, paths: Sequence[str], opts: LogOptions) -> str:
    """The command that tells the first row's story."""
    words = ["devkit", "logs", "trace", row.correlation_id, *(paths or ["-"])]
    if opts.tz:
        words += ["--tz", opts.tz]
    return "trace the first: " + " ".join(shlex.quote(w) for w in words)


def _warn_skew(result: RequestsResult, rows: list[RequestRow], term: Terminal) -> None:
    from devkit.logs.tzcheck import rows_skew

    mixed = [(r.naive_skew, r.first or 0.0) for r in rows if r.naive_skew is not None]
    skew = rows_skew(mixed, result.zone) if mixed else None
    if skew is not None:
        term.warning(f"in {len(mixed)} request{'s' if len(mixed) != 1 else ''}, " + skew.message())


def _clock(ts: float | None) -> str:
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _duration(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.3f}s"


def _error(row: RequestRow) -> str:
    if row.first_error is None:
        return ""
    text = f"{row.first_error_service}: {row.first_error}"
    if row.first_error_exception and row.first_error_exception not in row.first_error:
        text += f" ({row.first_error_exception})"
    return text


COLUMNS = ("REQUEST", "FIRST (UTC)", "DURATION", "STATUS", "EVENTS", "ERRORS", "SERVICES", "FIRST ERROR")


def plain_fields(row: RequestRow) -> tuple[str, ...]:
    return (row.correlation_id, _clock(row.first), _duration(row.duration),
            "-" if row.status is None else str(row.status), str(row.events), str(row.errors),
            ",".join(row.services), _error(row))


def write_plain(rows: list[RequestRow], term: Terminal) -> None:
    """Aligned columns with a header, one request per line (the first error last: it has spaces)."""
    if not rows:
        return
    table = [COLUMNS] + [plain_fields(r) for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(COLUMNS) - 1)]
    for line in table:
        cells = [cell.ljust(w) if i in (0, 1, 6) else cell.rjust(w) for i, (cell, w) in enumerate(zip(line, widths))]
        term.write("  ".join(cells + [line[-1]]).rstrip() + "\n")


def write_table(rows: list[RequestRow], term: Terminal) -> None:
    """For a person: aligned columns, services coloured as in the timeline, the first error beneath
    its request (cut to the terminal's width), then the count."""
    from rich.text import Text

    from devkit.cli.logs.render import ServiceColors

    colors = ServiceColors()
    days = {_clock(r.first)[:10] for r in rows if r.first is not None}
    one_day = len(days) == 1
    when = (lambda ts: _clock(ts)[11:] if ts is not None else "-") if one_day else _clock
    cells = [(r.correlation_id, when(r.first), _duration(r.duration), "-" if r.status is None else str(r.status),
              str(r.events), str(r.errors)) for r in rows]
    head = ("request", "first", "duration", "status", "events", "errors")
    widths = [max(len(c[i]) for c in [head, *cells]) for i in range(len(head))]
    width = term.out.width
    line = Text(style="bold")
    for i, (name, w) in enumerate(zip(head, widths)):
        line.append((name.ljust(w) if i < 2 else name.rjust(w)) + "  ")
    line.append("services")
    term.out.print(line, soft_wrap=True)
    for row, cell in zip(rows, cells):
        line = Text()
        for i, (value, w) in enumerate(zip(cell, widths)):
            style = ""
            if i == 3 and row.status is not None:
                style = "bold red" if row.status >= 500 else "yellow" if row.status >= 400 else "green"
            elif i == 5 and row.errors:
                style = "bold red"
            line.append(value.ljust(w) if i < 2 else value.rjust(w), style=style)
            line.append("  ")
        for i, name in enumerate(row.services):
            if i:
                line.append(" → ", style="dim")
            line.append(name, style=colors(name))
        term.out.print(line, soft_wrap=True)
        if row.first_error is not None:
            error = Text("    " + _error(row), style="red", no_wrap=True, overflow="ellipsis")
            error.truncate(width, overflow="ellipsis")
            term.out.print(error, soft_wrap=True)
    failed = sum(r.failed for r in rows)
    times = [r.first for r in rows if r.first is not None]
    span = f" · {_clock(min(times))} → {when(max(times))} UTC" if times else ""
    term.out.print(Text(f"{len(rows)} request{'s' if len(rows) != 1 else ''}, {failed} failed{span}", style="bold"))
