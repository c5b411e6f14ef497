"""What the ``devkit logs`` commands share: their options as one object, progress while scanning,
the pager, rendering events and reports, the "nothing found" line, follow mode, problems and exit
codes."""

from __future__ import annotations

import functools
import signal
import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, NamedTuple

from devkit.cli.console import Terminal, get_terminal
from devkit.cli.logs import render
from devkit.cli.options import (
    color_option,
    filter_options,
    follow_option,
    json_option,
    log_output_options,
    pager_option,
    tz_option,
)
from devkit.cli.pager import paged, pager_command
from devkit.logs.event import Event
from devkit.logs.filters import EventFilter, build_filter
from devkit.logs.sources import Note
from devkit.logs.timestamps import Zone
from devkit.logs.trace import SearchResult

if TYPE_CHECKING:
    from devkit.logs.trace import RenderedSearch
    from devkit.logs.follow import Follow


class LogOptions:
    """The options every ``devkit logs`` view takes, gathered once (see ``view_options``).

    (A plain class, not a dataclass: generating one is start-up time, and every command pays it.)
    """

    __slots__ = ("tz", "since", "until", "level", "services", "as_json", "raw", "raw_tty", "short_tb", "text_mode",
                 "follow", "no_pager", "_zone")

    def __init__(self, tz: str | None = None, since: str | None = None, until: str | None = None,
                 level: str | None = None, services: tuple[str, ...] = (), as_json: bool = False, raw: bool = False,
                 raw_tty: bool = False, short_tb: bool = False, text_mode: bool = False, follow: bool = False,
                 no_pager: bool = False) -> None:
        self.tz, self.since, self.until, self.level, self.services = tz, since, until, level, services
        self.as_json, self.raw, self.raw_tty, self.short_tb, self.text_mode = as_json, raw, raw_tty, short_tb, text_mode
        self.follow, self.no_pager = follow, no_pager
        self._zone: Zone | None = None

    @property
    def raw_lines(self) -> bool:
        return self.raw or self.raw_tty

    def display(self, highlight=None) -> render.Display:
        return render.Display(self.short_tb, self.raw_tty, highlight)

    @property
    def zone(self) -> Zone:
        if self._zone is None:
            self._zone = Zone.parse(self.tz)
        return self._zone

    def event_filter(self) -> EventFilter:
        return build_filter(self.since, self.until, self.level, self.services, self.zone)

    def pager(self, live: bool = False) -> list[str] | None:
        """The pager for this output: only when stdout really is a terminal (not a forced --color),
        never for live output."""
        if live or self.follow or self.raw_tty:  # --raw-tty: the exact bytes, on the terminal itself
            return None
        try:
            tty = sys.stdout.isatty()
        except (AttributeError, ValueError):
            tty = False
        return pager_command(tty, self.no_pager)


_NAMES = LogOptions.__slots__[:-1]  # the options (every slot but the zone it reads)


def view_options(*, follow: bool = True, raw: bool = True) -> Callable:
    """The shared options (--tz, filters, --json/--raw/--text/--short-tb, -f, --no-pager, --color) as ``opts``."""

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def command(*args, **kwargs):
            values = {name: kwargs.pop(name) for name in _NAMES if name in kwargs}
            return fn(*args, opts=LogOptions(**values), **kwargs)

        wrapped: Callable = command
        if follow:
            wrapped = follow_option(wrapped)
        wrapped = log_output_options(wrapped) if raw else _text_and_json(wrapped)
        for decorator in (pager_option, filter_options, tz_option, color_option):
            wrapped = decorator(wrapped)
        return wrapped

    return decorate


def _text_and_json(fn: Callable) -> Callable:
    import click

    fn = click.option("--text", "-a", "text_mode", is_flag=True,
                      help="Read files that look binary (NUL bytes) as text instead of skipping them.")(fn)
    return json_option(fn)


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


def exit_status(found: int, problems: list[str], term: Terminal, nothing: Callable[[], None] | None = None) -> int:
    """0 something found, 1 nothing (after ``nothing()`` says what was searched), 2 an input could not be
    read (after saying which; the error is the one line then)."""
    sys.stdout.flush()
    if report_problems(problems, term):
        return 2
    if not found and nothing is not None:
        nothing()
    return 0 if found else 1


def searched(files: int, nbytes: int) -> str:
    """``9 files (0.6 MB)``: what a search read, for the line that says it found nothing."""
    return f"{files} file{'s' if files != 1 else ''} ({nbytes / 1e6:.1f} MB)"


def nothing_found(term: Terminal, what: str, files: int, nbytes: int, event_filter: EventFilter | None = None,
                  hint: str | None = None) -> None:
    where = searched(files, nbytes) if files else "the input"
    scope = event_filter.describe() if event_filter else ""
    line = f"{what} in {where}{f' ({scope})' if scope else ''}"
    term.info(line + (f"; {hint}" if hint else ""))


def write_events(events: Iterable[Event], term: Terminal, opts: LogOptions, colors: render.ServiceColors | None = None,
                 origin: float | None = None, display: render.Display | None = None) -> int:
    """Events as the options ask: JSON lines, raw lines, the rich timeline or plain lines."""
    display = display or opts.display()
    if opts.as_json:
        return render.write_json(events, term)
    if opts.raw_lines:
        return render.write_raw(events, display)
    if term.is_terminal:
        return render.write_rich(events, term, colors or render.ServiceColors(), origin, display)
    return render.write_plain(events, term, origin, display)


def flushed(events: Iterable[Event]) -> Iterator[Event]:
    """Each event reaches the reader as soon as it is written (live output into a pipe)."""
    for ev in events:
        yield ev
        sys.stdout.flush()


def write_live(events: Iterable[Event], term: Terminal, opts: LogOptions, colors: render.ServiceColors | None = None,
               display: render.Display | None = None) -> int:
    """Live output (follow, a pipe on stdin): every event reaches the reader as it is written,
    not in the big chunks a full read writes."""
    display = display or opts.display()
    if opts.as_json or opts.raw_lines or term.is_terminal:
        return write_events(flushed(events), term, opts, colors, display=display)
    origin, n = None, 0
    for ev in events:
        if origin is None and ev.ts is not None:
            origin = ev.ts
        text, cut = render.plain_text(ev, display.short_tb)
        render.write_rendered([(ev.ts, text.encode("utf-8", "surrogateescape"), cut)], term, origin)
        sys.stdout.flush()
        n += 1
    return n


def warn_skew(term: Terminal, events: list[Event], zone: Zone) -> None:
    from devkit.logs.tzcheck import event_skew

    skew = event_skew(events, zone)
    if skew is not None:
        term.warning(skew.message())


class ReportFiles(NamedTuple):  # (not a dataclass: those cost start-up time)
    """What ``trace`` may write besides stdout: ``--html``, ``--svg``, ``--summary-json``."""

    html: str | None = None
    svg: str | None = None
    summary_json: bool = False
    command: str | None = None

    @property
    def files(self) -> bool:
        return bool(self.html or self.svg)


def run_search(search: Callable[..., SearchResult], sources: list[str], opts: LogOptions, title: str,
               query: str, *, display: render.Display | None = None, report: ReportFiles | None = None,
               keep: Callable[[Event], bool] | None = None,
               explain: Callable[[SearchResult], str | None] | None = None,
               stream: Callable[..., "RenderedSearch"] | None = None) -> int:
    """trace/grep: scan, then show the header, waterfall and timeline (or follow, with ``keep``).

    ``stream``: the same search rendered as it goes, for ``--json`` alone (no summary, no report),
    so a search with hundreds of thousands of hits never holds them all.
    """
    event_filter = opts.event_filter()
    display = display or opts.display()
    report = report or ReportFiles()
    if opts.follow:
        from devkit.logs.follow import Follow

        follow = Follow(sources, opts.zone, opts.text_mode, event_filter, keep)
        return run_follow(follow, opts, title, query, display)
    term = get_terminal()
    if stream is not None and opts.as_json and not opts.raw_lines and not report.files and not report.summary_json:
        run = stream(sources, render.json_text, query=query, zone=opts.zone, text_mode=opts.text_mode,
                     event_filter=event_filter)
        n = render.write_rendered(run.lines(), term)
        what = f"no event {'carries' if title == 'Request' else 'matches'} {query}"
        empty = SearchResult([], run.problems, run.sources_scanned, run.bytes_scanned, query)
        return exit_status(n, run.problems, term, lambda: nothing_found(
            term, what, run.sources_scanned, run.bytes_scanned, event_filter, explain(empty) if explain else None))
    with scan_progress(term, "scanning") as progress:
        result = search(sources, zone=opts.zone, text_mode=opts.text_mode, progress=progress,
                        event_filter=event_filter)
    if result.events and report.files:
        write_reports(result, report, term, title, display)
    to_screen = not (report.files or report.summary_json) or opts.as_json or opts.raw_lines
    with paged(opts.pager() if result.events and to_screen else None):
        term = get_terminal()
        if to_screen:
            write_result(result, term, opts, title, display)
        if report.summary_json:
            term.write(render.dumps(result.summary()) + "\n")
    if result.events:
        warn_skew(term, result.events, opts.zone)
    what = f"no event {'carries' if title == 'Request' else 'matches'} {result.query}"
    return exit_status(len(result.events), result.problems, term, lambda: nothing_found(
        term, what, result.sources_scanned, result.bytes_scanned, event_filter, explain(result) if explain else None))


def write_result(result: SearchResult, term: Terminal, opts: LogOptions, title: str, display: render.Display) -> None:
    """The events and, for a person or a pipe, the summary: header and waterfall before, # lines after."""
    if opts.as_json or opts.raw_lines:
        write_events(result.events, term, opts, display=display)
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


def write_reports(result: SearchResult, report: ReportFiles, term: Terminal, title: str,
                  display: render.Display) -> None:
    """``--html FILE`` / ``--svg FILE`` (``-`` is stdout); one line on stderr says what was written."""
    from devkit.gen.output import write_config

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


@contextmanager
def stop_on_signals() -> Iterator[Callable[[], bool]]:
    """Ctrl-C and SIGTERM ask a live run to stop (it then flushes and reports); twice forces it."""
    asked: list[int] = []

    def handler(signum, frame) -> None:
        if asked:
            raise KeyboardInterrupt
        asked.append(signum)

    saved = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            saved[sig] = signal.signal(sig, handler)
        except ValueError:  # not the main thread
            pass
    try:
        yield lambda: bool(asked)
    finally:
        for sig, old in saved.items():
            signal.signal(sig, old)


def run_follow(follow: "Follow", opts: LogOptions, title: str | None, query: str = "",
               display: render.Display | None = None) -> int:
    """Live: events as they come; on Ctrl-C/SIGTERM the summary, then the usual exit status."""
    term = get_terminal()
    colors = render.ServiceColors()
    seen: list[Event] = []

    def remember(events: Iterable[Event]) -> Iterator[Event]:
        for ev in events:
            if title is not None:
                seen.append(ev)
            yield ev

    with stop_on_signals() as stop:
        n = write_live(remember(follow.events(stop)), term, opts, colors, display)
    if seen and not (opts.as_json or opts.raw_lines):
        result = SearchResult(seen, follow.problems, len(follow.sources), 0, query)
        if term.is_terminal:
            term.out.print()
            render.write_summary_rich(result, term, colors, title or "")
        else:
            render.write_summary_plain(result, term, title or "")
    sys.stdout.flush()
    names = follow.sources
    files = sum(1 for name in names if name != "-")
    what = " and ".join(([f"{files} file{'s' if files != 1 else ''}"] if files or "-" not in names else [])
                        + (["stdin"] if "-" in names else []))
    term.info(f"followed {what}: {n} event{'s' if n != 1 else ''}")
    return exit_status(n, follow.problems, term)
