"""How ``devkit logs`` shows events: rich on a terminal, plain lines in a pipe, JSON, or raw.

Every string that comes from a log or a file name goes through :func:`visible` before it reaches
stdout or stderr (JSON through :func:`inert_json`): log content never drives the terminal.
"""

from __future__ import annotations

import re
import sys
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Iterable, Iterator, NamedTuple

from devkit.cli.console import Terminal, get_terminal
from devkit.cli.visible import has_unsafe, inert_json, visible
from devkit.logs.event import Event
from devkit.logs.timestamps import format_utc

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from devkit.logs.trace import SearchResult
    from devkit.logs.waterfall import Waterfall

#: Service colours, by order of appearance: rich names on the terminal, the same hues in HTML/SVG.
PALETTE = ["cyan", "magenta", "green", "blue", "yellow", "medium_purple", "dark_orange", "chartreuse4",
           "dodger_blue2", "orchid"]
PALETTE_HEX = ["#0e9aa7", "#b03a9c", "#2e8b3a", "#3462c4", "#b8860b", "#7c5cd6", "#d9480f", "#5c940d",
               "#1c7ed6", "#c2459e"]
LEVEL_STYLES = {"DEBUG": "dim", "INFO": "green", "WARNING": "yellow", "ERROR": "bold red", "CRITICAL": "bold white on red"}
LEVEL_SHORT = {"WARNING": "WARN", "CRITICAL": "CRIT"}
HIGHLIGHT = "bold black on yellow"
ROOT_CAUSE = "probable root cause"


class ServiceColors:
    """One colour per service, in order of appearance."""

    def __init__(self) -> None:
        self.colors: dict[str, int] = {}

    def index(self, service: str) -> int:
        if service not in self.colors:
            self.colors[service] = len(self.colors) % len(PALETTE)
        return self.colors[service]

    def __call__(self, service: str) -> str:
        return PALETTE[self.index(service)]

    def hex(self, service: str) -> str:
        return PALETTE_HEX[self.index(service)]


class Display(NamedTuple):  # (not a dataclass: those cost start-up time)
    """How the timeline is drawn: tracebacks in full or short, what to highlight, raw to a TTY."""

    short_tb: bool = False
    raw_tty: bool = False
    highlight: object = None  # an re or RE2 pattern: anything with finditer()


def exception_line(tb: str | None) -> str | None:
    """The exception a traceback ends with (the waterfall module's rule, imported when needed)."""
    from devkit.logs.waterfall import exception_line as rule

    return rule(tb)


# --- words and numbers ------------------------------------------------------------------------------

def plural(n: int, word: str) -> str:
    """``1 service``, ``2 services``, ``0 errors``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def seconds(s: float | None) -> str:
    """A duration a person reads at a glance: ``0.4ms``, ``41ms``, ``3.054s``, ``13.11s``, ``2m05s``."""
    if s is None:
        return "-"
    ms = s * 1000
    if ms < 9.95:
        return f"{ms:.1f}ms" if round(ms, 1) else "0ms"
    if ms < 999.5:
        return f"{ms:.0f}ms"
    if s < 10:
        return f"{s:.3f}s"
    if s < 60:
        return f"{s:.2f}s"
    minutes, rest = divmod(int(round(s)), 60)
    return f"{minutes}m{rest:02d}s" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"


def offset(ts: float | None, origin: float | None) -> str:
    if ts is None or origin is None:
        return ""
    return f"{ts - origin:+.3f}s"


def clock(ts: float | None) -> str:
    """Time of day in UTC with milliseconds (the date is said once, above)."""
    if ts is None:
        return "--:--:--.---"
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%H:%M:%S.%f")[:-3]


def day(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d")


def span_text(start: float | None, end: float | None) -> str:
    """``2026-11-20 09:16:33.412 → 09:16:46.522 UTC (13.11s)``; dates repeated only if they differ."""
    if start is None or end is None:
        return "no timestamps"
    a = datetime.fromtimestamp(start, timezone.utc)
    b = datetime.fromtimestamp(end, timezone.utc)
    right = b.strftime("%H:%M:%S.%f")[:-3] if a.date() == b.date() else b.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    return f"{a.strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]} → {right} UTC ({seconds(end - start)})"


def short_traceback(tb: str) -> list[str]:
    """The last frame (with its code line) and the exception line; a note says what was left out."""
    lines = [ln for ln in tb.split("\n") if ln.strip()]
    if len(lines) <= 3:
        return lines
    keep: list[str] = []
    frames = [i for i, ln in enumerate(lines) if ln.lstrip().startswith("File ")]
    if lines[0].startswith("Traceback") and frames:
        last = frames[-1]
        keep.append(lines[last])
        code = lines[last + 1] if last + 1 < len(lines) else ""
        if code.startswith(" ") and not code.lstrip().startswith("File ") and set(code.strip()) - set("^~"):
            keep.append(code)
        keep.append(exception_line(tb) or lines[-1])
    else:  # Java and friends: the exception first, then the innermost frame
        keep.append(lines[0])
        at = next((ln for ln in lines[1:] if ln.lstrip().startswith("at ")), None)
        if at:
            keep.append(at)
    hidden = len(lines) - len(keep)
    return ([f"… {plural(hidden, 'more line')} (drop --short-tb for the whole traceback)"] if hidden else []) + keep


# --- JSON and raw -------------------------------------------------------------------------------------

def dumps(obj: object) -> str:
    """JSON for a terminal or a pipe: UTF-8 kept, controls escaped (C1 and bidi too)."""
    if _dump_json is not None:  # what an event holds, in C; anything else by its definition below
        text = _dump_json(obj)
        if text is not NotImplemented:
            return text
    return _dumps_py(obj)


def _dumps_py(obj: object) -> str:
    """``dumps``' definition (``_records.dump_json`` is held to it)."""
    global _encode
    if _encode is None:  # json.dumps with these options, made once, when first needed (not at start-up)
        import json

        _encode = json.JSONEncoder(ensure_ascii=False, default=str).encode
    return inert_json(_encode(obj))


_encode = None


def write_json(events: Iterable[Event], term: Terminal) -> int:
    n = 0
    for ev in events:
        term.write(dumps(ev.to_json()) + "\n")
        n += 1
    return n


def _stdout_is_tty() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def write_raw(events: Iterable[Event], display: Display | None = None) -> int:
    """Each event's original lines. Into a pipe: the exact bytes. To a terminal: control characters
    shown visibly, unless ``--raw-tty`` asks for the bytes anyway."""
    exact = not _stdout_is_tty() or (display is not None and display.raw_tty)
    out = sys.stdout.buffer if hasattr(sys.stdout, "buffer") else None
    n = shown = 0
    for ev in events:
        data = b"\n".join(ev.raw) + b"\n"
        if exact and out is not None:
            sys.stdout.flush()
            out.write(data)
        else:
            text = data.decode("utf-8", "replace")
            if not exact and has_unsafe(text):
                text, shown = visible(text), shown + 1
            sys.stdout.write(text)
        n += 1
    if shown:
        get_terminal().warning(f"{plural(shown, 'event')} held terminal control characters, shown visibly; "
                               "pipe the output, or add --raw-tty, for the exact bytes")
    return n


# --- the plain timeline (pipes) -------------------------------------------------------------------

def plain_text(ev: Event, short_tb: bool = False) -> tuple[str, int]:
    """An event as plain lines (continuation lines indented), and where its offset goes."""
    if not short_tb and _render_plain is not None:  # the usual event, written in C
        done = _render_plain(ev.ts, ev.service, ev.level, ev.message, ev.traceback)
        if done is not None:
            return done
    return _plain_text_py(ev, short_tb)


def _plain_text_py(ev: Event, short_tb: bool = False) -> tuple[str, int]:
    """``plain_text`` in Python: its definition, and what writes what C leaves (text to show
    visibly, a time out of range, ``--short-tb``)."""
    message, *more = visible(ev.message).split("\n")
    if ev.traceback:
        tb = visible(ev.traceback)
        more += short_traceback(tb) if short_tb else tb.split("\n")
    head = f"{format_utc(ev.ts) or '-'} "
    text = f"{head} {visible(ev.service or '-')} {ev.level or '-'} {message}\n"
    if more:
        text += "".join(f"    {extra}\n" for extra in more)
    return text, len(head)


try:  # the optional C accelerator (pyproject.toml: ext-modules): a full read writes every event
    from devkit.logs._records import dump_json as _dump_json, render_plain as _render_plain
except ImportError:  # pragma: no cover - built wherever a C compiler is
    _dump_json = _render_plain = None


def json_text(ev: Event) -> tuple[str, int]:
    """An event as one JSON line (nothing to insert)."""
    return dumps(ev.to_json()) + "\n", -1


def write_rendered(lines: Iterable[tuple[float | None, bytes, int]], term: Terminal,
                   origin: float | None = None) -> int:
    """Rendered events to stdout as bytes, with each plain line's offset from the first time."""
    out = getattr(term.stdout, "buffer", None)
    term.stdout.flush()
    chunks = getattr(lines, "chunks", None)
    if chunks is not None:  # a parallel read's output, merged and offset in C
        total = 0
        for data, count in chunks(origin):
            _emit(out, term, [data])
            total += count
        return total
    chunk: list[bytes] = []
    size = n = 0
    for ts, data, cut in lines:
        if cut >= 0:
            if origin is None and ts is not None:
                origin = ts
            off = f"{ts - origin:+.3f}s" if ts is not None and origin is not None else "-"
            data = data[:cut] + off.encode() + data[cut:]
        chunk.append(data)
        size += len(data)
        n += 1
        if size >= 1 << 18:
            _emit(out, term, chunk)
            chunk, size = [], 0
    _emit(out, term, chunk)
    return n


def _emit(out, term: Terminal, chunk: list[bytes]) -> None:
    if not chunk:
        return
    data = b"".join(chunk)
    if out is not None:
        out.write(data)
        out.flush()
    else:
        term.write(data.decode("utf-8", "surrogateescape"))


def write_plain(events: Iterable[Event], term: Terminal, origin: float | None = None,
                display: Display | None = None) -> int:
    """One line per event (plus indented continuation lines): greppable, no colours."""
    short = display is not None and display.short_tb

    def lines() -> Iterator[tuple[float | None, bytes, int]]:
        for ev in events:
            text, cut = plain_text(ev, short)
            yield ev.ts, text.encode("utf-8", "surrogateescape"), cut

    return write_rendered(lines(), term, origin)


# --- the rich timeline (terminals) ----------------------------------------------------------------

def _traceback_style(line: str) -> str:
    stripped = line.strip()
    if stripped.startswith("File ") or stripped.startswith("at "):
        return "cyan"
    if line.startswith(("Traceback", "During handling", "The above exception", "Caused by")):
        return "bold yellow"
    if line.startswith("… "):
        return "dim italic"
    if line and not line[0].isspace():
        return "bold red"
    return "dim"


class Timeline:
    """The timeline for a person, readable at any width.

    Columns: time of day (the date as a rule line whenever it changes), offset from the request's
    start (trace/grep), service, level, message. Messages wrap with a hanging indent under the
    message column; tracebacks follow, full or short, wrapped the same way.
    """

    def __init__(self, term: Terminal, colors: ServiceColors, origin: float | None = None,
                 display: Display | None = None, marks: dict[int, str] | None = None,
                 services: Iterable[str] = (), offset_width: int = 8) -> None:
        self.console: Console = term.out
        self.colors = colors
        self.origin = origin
        self.display = display or Display()
        self.marks = marks or {}
        self.day: str | None = None
        names = [visible(s) for s in services]
        self.service_width = max([7, *(len(s) for s in names)]) if names else 14
        self.service_width = min(self.service_width, 16)
        self.offset_width = offset_width if origin is not None else 0

    def _prefix_width(self, with_offset: bool) -> int:
        return 12 + 1 + (self.offset_width + 1 if with_offset else 0) + self.service_width + 1 + 5 + 1

    def write(self, ev: Event) -> None:
        from rich.text import Text

        width = max(20, self.console.width)
        with_offset = self.offset_width > 0 and width - self._prefix_width(True) >= 30
        prefix_width = self._prefix_width(with_offset)
        own_line = width - prefix_width < 24  # very narrow: the message goes under the columns
        if ev.ts is not None and day(ev.ts) != self.day:
            self.day = day(ev.ts)
            self.console.print(Text(f"── {self.day} (UTC) ──", style="dim"), soft_wrap=True)
        service = visible(ev.service or "-")
        head = Text()
        head.append(clock(ev.ts), style="dim")
        head.append(" ")
        if with_offset:
            head.append(f"{offset(ev.ts, self.origin):>{self.offset_width}} ", style="dim")
        head.append(f"{service[:self.service_width]:<{self.service_width}} ", style=self.colors(ev.service or "-"))
        level = ev.level or "-"
        head.append(f"{LEVEL_SHORT.get(level, level)[:5]:<5} ", style=LEVEL_STYLES.get(level, ""))
        message = self._message(ev)
        indent = 4 if own_line else prefix_width
        out = Text()
        lines = message.wrap(self.console, max(10, width - indent), overflow="fold")
        if own_line:
            out.append_text(head.rstrip() or head)
            out.append("\n")
            head = Text(" " * indent)
        for i, line in enumerate(lines):
            out.append_text(head if i == 0 else Text(" " * indent))
            out.append_text(line)
            out.append("\n")
        if ev.traceback:
            self._traceback(out, ev.traceback, width, prefix_width if width - prefix_width >= 50 else 4)
        out.rstrip()
        self.console.print(out, soft_wrap=True)

    def _message(self, ev: Event) -> "Text":
        from rich.text import Text

        text = Text(visible(ev.message).expandtabs(4))
        if self.display.highlight is not None:
            text.highlight_regex(self.display.highlight, style=HIGHLIGHT)
        mark = self.marks.get(id(ev))
        if mark:
            text.append(f"  ◀ {mark}", style="bold red")
        return text

    def _traceback(self, out: "Text", tb: str, width: int, indent: int) -> None:
        from rich.text import Text

        tb = visible(tb).expandtabs(4)
        lines = short_traceback(tb) if self.display.short_tb else tb.split("\n")
        pad = Text(" " * indent)
        for line in lines:
            piece = Text(line, style=_traceback_style(line))
            if self.display.highlight is not None:
                piece.highlight_regex(self.display.highlight, style=HIGHLIGHT)
            hang = indent + len(line) - len(line.lstrip(" ")) + 2
            for i, part in enumerate(_fold(piece, max(10, width - indent), max(10, width - hang))):
                out.append_text(pad if i == 0 else Text(" " * hang))
                out.append_text(part)
                out.append("\n")


def _fold(text: "Text", first: int, rest: int) -> list["Text"]:
    """Wrap a code line: at a space near the width, else right at the width (a long path is cut,
    not pushed whole to the next line)."""
    plain = text.plain
    if len(plain) <= first:
        return [text]
    cuts, pos, width = [], 0, first
    while len(plain) - pos > width:
        space = plain.rfind(" ", pos + int(width * 0.6), pos + width + 1)
        pos = space + 1 if space > pos else pos + width
        cuts.append(pos)
        width = rest
    return list(text.divide(cuts))


def write_rich(events: Iterable[Event], term: Terminal, colors: ServiceColors, origin: float | None = None,
               display: Display | None = None, marks: dict[int, str] | None = None,
               services: Iterable[str] = ()) -> int:
    """The timeline for a person: coloured service and level, tracebacks highlighted, wrapped."""
    timeline = Timeline(term, colors, origin, display, marks, services)
    n = 0
    for ev in events:
        timeline.write(ev)
        n += 1
    return n


# --- header and summaries -----------------------------------------------------------------------

def facts(result: "SearchResult", services: int) -> list[str]:
    return [plural(len(result.events), "event"), plural(services, "service"),
            plural(len(result.sources), "source"), plural(result.errors, "error")]


def root_cause_text(wf: "Waterfall") -> str | None:
    rc = wf.root_cause
    if rc is None:
        return None
    where = f"{visible(rc.event.source)}:{rc.event.line}"
    head = f"{visible(wf.hops[rc.row].label)} {offset(rc.time, wf.start)}".rstrip()
    text = f"{head} {rc.event.level or ''} {visible(rc.message)}".replace("  ", " ")
    if rc.exception and rc.exception not in rc.message:
        text += f" — {visible(rc.exception)}"
    return f"{text} ({where})"


def placement_notes(wf: "Waterfall") -> list[str]:
    """Why a hop sits where it does when its stamp was coarser than the chart."""
    notes = []
    for hop in wf.hops:
        if hop.placed == "refined":
            notes.append(f"{visible(hop.label)}: whole-second stamp; placed by its logged duration around the "
                         f"records it must contain (±{seconds(hop.uncertainty)})")
    return notes


def print_hanging(console: "Console", text: "Text", indent: int = 2) -> None:
    """Print ``text`` wrapped to the console, continuation lines indented (never at column 0)."""
    from rich.text import Text

    lines = text.wrap(console, max(10, console.width - indent), overflow="fold")
    out = Text()
    for i, line in enumerate(lines):
        out.append(" " * indent if i else "")
        out.append_text(line)
        out.append("\n")
    out.rstrip()
    console.print(out, soft_wrap=True)


def write_header_rich(result: "SearchResult", term: Terminal, title: str) -> None:
    from rich.text import Text

    console = term.out
    wf = result.waterfall
    head = Text()
    head.append(f"{title} ", style="bold")
    head.append(visible(result.query), style="bold cyan")
    console.print(head, soft_wrap=True)
    *counts, errors = facts(result, len(wf.services))
    line = Text(" · ".join(counts) + " · ")
    line.append(errors, style="bold red" if result.errors else "green")
    console.print(line)
    console.print(Text(span_text(wf.start, wf.end), style="dim"))
    print_hanging(console, Text("sources: " + ", ".join(visible(s) for s in result.sources), style="dim"), 9)


def write_summary_rich(result: "SearchResult", term: Terminal, colors: ServiceColors, title: str) -> None:
    """Header, the waterfall (trace) or the services (grep), and the probable root cause."""
    from rich.text import Text

    from devkit.cli.logs.chart import waterfall_lines

    console = term.out
    wf = result.waterfall
    for hop in wf.hops:
        colors(hop.service)
    write_header_rich(result, term, title)
    if title == "Request":
        console.print(Text("Request path", style="bold"))
        for line in waterfall_lines(wf, colors, console.width):
            console.print(line, soft_wrap=True, overflow="crop", no_wrap=True)
        cause = root_cause_text(wf)
        if cause:
            line = Text(f"× {ROOT_CAUSE}: ", style="bold red")
            line.append(cause)
            print_hanging(console, line)
        for note in placement_notes(wf):
            print_hanging(console, Text(note, style="dim"))
    else:
        line = Text("services: ", style="dim")
        for i, totals in enumerate(result.service_totals()):
            line.append(", " if i else "")
            line.append(visible(totals["service"]), style=colors(totals["service"]))
            line.append(f" {totals['events']}" + (f" ({totals['errors']} err)" if totals["errors"] else ""))
        print_hanging(console, line)
    console.print()


def summary_plain_lines(result: "SearchResult", title: str) -> list[str]:
    """The summary after a piped timeline, as ``#`` lines: never ``None``, counts pluralised."""
    wf = result.waterfall
    out = [f"{title} {visible(result.query)}: " + ", ".join(facts(result, len(wf.services)))]
    if result.first is None:
        out.append("no timestamps")
    else:
        out.append(f"first {format_utc(result.first)}, last {format_utc(result.last)} ({seconds(result.duration)})")
    if title != "Request":
        out += [f"{visible(t['service'])}: {plural(t['events'], 'event')}, {plural(t['errors'], 'error')}"
                for t in result.service_totals()]
        return out
    if wf.start is not None:
        out.append(f"path from {format_utc(wf.start)} to {format_utc(wf.end)} ({seconds(wf.duration)}), "
                   "offsets from its start:")
    for hop in wf.hops:
        name = visible(hop.label) + (" (async" + (f", {seconds(hop.gap)} after the request)" if hop.gap is not None
                                                  else ")") if hop.asynchronous else "")
        if hop.start is None:
            when = "no time"
        else:
            when = (f"{offset(hop.start, wf.start)} .. {offset(hop.end, wf.start)}, {seconds(hop.duration)}, "
                    f"own {seconds(hop.own)}")
        status = f", status {hop.status}" if hop.status is not None else ""
        out.append(f"{'  ' * hop.depth}{name}: {when}, {plural(len(hop.events), 'event')}, "
                   f"{plural(hop.errors, 'error')}{status}")
    cause = root_cause_text(wf)
    if cause:
        out.append(f"{ROOT_CAUSE}: {cause}")
    out += placement_notes(wf)
    return out


def write_summary_plain(result: "SearchResult", term: Terminal, title: str = "Request") -> None:
    term.write("\n" + "".join(f"# {line}\n" for line in summary_plain_lines(result, title)))


def root_cause_marks(result: "SearchResult") -> dict[int, str]:
    rc = result.waterfall.root_cause
    return {} if rc is None else {id(rc.event): ROOT_CAUSE}
