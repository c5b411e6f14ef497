"""What trace and grep share: progress while scanning, rendering, problems, exit codes."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

from devkit.cli.console import Terminal, get_terminal
from devkit.cli.logs import render
from devkit.gen.output import write_config
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


@dataclass
class ReportFiles:
    """What ``trace`` may write besides stdout: ``--html``, ``--svg``, ``--summary-json``."""

    html: str | None = None
    svg: str | None = None
    summary_json: bool = False
    command: str | None = None

    @property
    def files(self) -> bool:
        return bool(self.html or self.svg)


def run_search(search: Callable[..., SearchResult], sources: list[str], tz: str | None, text_mode: bool,
               as_json: bool, raw: bool, title: str, *, display: render.Display | None = None,
               report: ReportFiles | None = None) -> int:
    term = get_terminal()
    zone = Zone.parse(tz)
    display = display or render.Display()
    report = report or ReportFiles()
    with scan_progress(term, "scanning") as progress:
        result = search(sources, zone=zone, text_mode=text_mode, progress=progress)
    if result.events and report.files:
        write_reports(result, report, term, title, display)
    if as_json:
        render.write_json(result.events, term)
    elif raw:
        render.write_raw(result.events, display)
    elif report.files or report.summary_json:
        pass  # the files (or the summary object) were asked for instead of the timeline
    elif term.is_terminal:
        colors = render.ServiceColors()
        wf = result.waterfall
        if result.events:
            render.write_summary_rich(result, term, colors, title)
        render.write_rich(result.events, term, colors, wf.start, display, render.root_cause_marks(result),
                          wf.services)
    else:
        render.write_plain(result.events, term, result.waterfall.start, display)
        if result.events:
            render.write_summary_plain(result, term, title)
    if report.summary_json:
        term.write(render.dumps(result.summary()) + "\n")
    failed = report_problems(result.problems, term)
    if failed:
        return 2
    return 0 if result.events else 1


def write_reports(result: SearchResult, report: ReportFiles, term: Terminal, title: str,
                  display: render.Display) -> None:
    """``--html FILE`` / ``--svg FILE`` (``-`` is stdout); one line on stderr says what was written."""
    from devkit.cli.logs.html import trace_html
    from devkit.cli.logs.svg import waterfall_svg

    outputs = []
    if report.html:
        outputs.append((report.html, trace_html(result, title=title, highlight=display.highlight,
                                                command=report.command)))
    if report.svg:
        outputs.append((report.svg, waterfall_svg(result)))
    for path, text in outputs:
        if path == "-":
            term.write(text)
            continue
        write_config(text, path)  # atomic: a failed write leaves no half report
        term.info(f"wrote {path} ({len(text.encode()) / 1024:.0f} KB: {render.plural(len(result.events), 'event')}, "
                  f"{render.plural(len(result.waterfall.services), 'service')})")
