"""What trace and grep share: progress while scanning, rendering, problems, exit codes."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from devkit.cli.console import Terminal, get_terminal
from devkit.cli.logs import render
from devkit.logs.sources import Note
from devkit.logs.timestamps import Zone
from devkit.logs.trace import SearchResult


@contextmanager
def scan_progress(term: Terminal, label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A byte progress bar on stderr when a person is watching, else nothing."""
    if not term.progress_enabled:
        yield None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TransferSpeedColumn,
    )

    with Progress(TextColumn(label), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                  console=term.err, transient=True) as progress:
        task = progress.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update


def report_problems(problems: list[str], term: Terminal) -> bool:
    """Print each problem on one line; True when any of them is an error (exit 2)."""
    failed = False
    for p in problems:
        if isinstance(p, Note):
            term.warning(p)
        else:
            term.error(p)
            failed = True
    return failed


def run_search(search: Callable[..., SearchResult], sources: list[str], tz: str | None, text_mode: bool,
               as_json: bool, raw: bool, title: str) -> int:
    term = get_terminal()
    zone = Zone.parse(tz)
    with scan_progress(term, "scanning") as progress:
        result = search(sources, zone=zone, text_mode=text_mode, progress=progress)
    if as_json:
        render.write_json(result.events, term)
    elif raw:
        render.write_raw(result.events)
    elif term.is_terminal:
        colors = render.ServiceColors()
        if result.events:
            render.write_summary_rich(result, term, colors, title)
        render.write_rich(result.events, term, colors, result.first)
    else:
        render.write_plain(result.events, term, result.first)
        if result.events:
            render.write_summary_plain(result, term)
    failed = report_problems(result.problems, term)
    if failed:
        return 2
    return 0 if result.events else 1
