"""How ``devkit logs`` shows events: rich on a terminal, plain lines in a pipe, JSON, or raw."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Iterable

from devkit.cli.console import Terminal
from devkit.logs.event import Event
from devkit.logs.timestamps import format_utc
from devkit.logs.trace import SearchResult

if TYPE_CHECKING:
    from rich.text import Text

PALETTE = ["cyan", "magenta", "green", "blue", "yellow", "bright_cyan", "bright_magenta", "bright_green",
           "bright_blue", "orange3"]
LEVEL_STYLES = {"DEBUG": "dim", "INFO": "green", "WARNING": "yellow", "ERROR": "bold red", "CRITICAL": "bold white on red"}


class ServiceColors:
    """One colour per service, in order of appearance."""

    def __init__(self) -> None:
        self.colors: dict[str, str] = {}

    def __call__(self, service: str) -> str:
        if service not in self.colors:
            self.colors[service] = PALETTE[len(self.colors) % len(PALETTE)]
        return self.colors[service]


def _clock(ts: float | None) -> str:
    if ts is None:
        return "-" * 23
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _offset(ts: float | None, origin: float | None) -> str:
    if ts is None or origin is None:
        return "       "
    return f"{ts - origin:+.3f}s"


def write_json(events: Iterable[Event], term: Terminal) -> int:
    n = 0
    for ev in events:
        term.write(json.dumps(ev.to_json(), ensure_ascii=False, default=str) + "\n")
        n += 1
    return n


def write_raw(events: Iterable[Event]) -> int:
    out = sys.stdout.buffer if hasattr(sys.stdout, "buffer") else None
    n = 0
    for ev in events:
        data = b"\n".join(ev.raw) + b"\n"
        if out is not None:
            sys.stdout.flush()
            out.write(data)
        else:
            sys.stdout.write(data.decode("utf-8", "replace"))
        n += 1
    return n


def write_plain(events: Iterable[Event], term: Terminal, origin: float | None = None) -> int:
    """One line per event (plus indented continuation lines): greppable, no colours."""
    n = 0
    write = term.write
    for ev in events:
        if origin is None and ev.ts is not None:
            origin = ev.ts
        lines = ev.text.split("\n")
        write(f"{format_utc(ev.ts) or '-'} {_offset(ev.ts, origin)} {ev.service or '-'} "
              f"{ev.level or '-'} {lines[0]}\n")
        for extra in lines[1:]:
            write(f"    {extra}\n")
        n += 1
    return n


def _traceback_text(tb: str) -> "Text":
    from rich.text import Text

    text = Text()
    for line in tb.split("\n"):
        stripped = line.strip()
        if stripped.startswith("File ") or stripped.startswith("at "):
            style = "cyan"
        elif line.startswith(("Traceback", "During handling", "The above exception", "Caused by")):
            style = "bold yellow"
        elif line and not line[0].isspace():
            style = "bold red"
        else:
            style = "dim"
        text.append("      " + line + "\n", style=style)
    return text


def write_rich(events: Iterable[Event], term: Terminal, colors: ServiceColors, origin: float | None = None) -> int:
    """The timeline for a person: coloured service and level, tracebacks highlighted."""
    from rich.text import Text

    n = 0
    console = term.out
    for ev in events:
        if origin is None and ev.ts is not None:
            origin = ev.ts
        service = ev.service or "-"
        line = Text()
        line.append(_clock(ev.ts), style="dim")
        line.append(f" {_offset(ev.ts, origin):>9} ", style="dim")
        line.append(f"{service[:14]:<14} ", style=colors(service))
        line.append(f"{(ev.level or '-')[:8]:<8} ", style=LEVEL_STYLES.get(ev.level or "", ""))
        first, *rest = ev.message.split("\n")
        line.append(first)
        console.print(line, soft_wrap=True)
        for extra in rest:
            console.print(Text("      " + extra), soft_wrap=True)
        if ev.traceback:
            console.print(_traceback_text(ev.traceback), end="", soft_wrap=True)
        n += 1
    return n


def _bar(first: float | None, last: float | None, origin: float | None, total: float | None,
         width: int = 30) -> "Text":
    from rich.text import Text

    if first is None or origin is None or not total:
        return Text("█", style="bold")
    a = int((first - origin) / total * (width - 1))
    b = max(a + 1, int(round((last - origin) / total * (width - 1))) + 1)  # type: ignore[operator]
    return Text(" " * a + "█" * (b - a) + " " * (width - b))


def write_summary_rich(result: SearchResult, term: Terminal, colors: ServiceColors, title: str) -> None:
    from rich.table import Table
    from rich.text import Text

    console = term.out
    path = result.path
    for span in path:
        colors(span.service)
    head = Text()
    head.append(f"{title} ", style="bold")
    head.append(result.query, style="bold cyan")
    console.print(head)
    facts = (f"{len(result.events)} events · {len(path)} services · {len(result.sources)} sources · ")
    line = Text(facts)
    line.append(f"{result.errors} errors", style="bold red" if result.errors else "green")
    console.print(line)
    if result.first is not None:
        console.print(Text(f"{format_utc(result.first)} → {format_utc(result.last)}  "
                           f"({result.duration:.3f} s)", style="dim"))
    console.print(Text("sources: " + ", ".join(result.sources), style="dim"), soft_wrap=True)
    table = Table(title="Request path", title_justify="left", box=None, pad_edge=False, show_edge=False)
    table.add_column("service")
    table.add_column("first", justify="right")
    table.add_column("last", justify="right")
    table.add_column("events", justify="right")
    table.add_column("errors", justify="right")
    table.add_column("")
    for span in path:
        table.add_row(
            Text(span.service, style=colors(span.service)),
            _offset(span.first, result.first), _offset(span.last, result.first),
            str(span.events), Text(str(span.errors), style="bold red" if span.errors else ""),
            _bar(span.first, span.last, result.first, result.duration),
        )
    console.print(table)
    console.print()


def write_summary_plain(result: SearchResult, term: Terminal) -> None:
    """The request path after a piped timeline: one line per service."""
    term.write(f"\n# {len(result.events)} events, {len(result.path)} services, {len(result.sources)} sources, "
               f"{result.errors} errors, {format_utc(result.first)} -> {format_utc(result.last)}"
               f"{'' if result.duration is None else f' ({result.duration:.3f} s)'}\n")
    for span in result.path:
        term.write(f"# {span.service}: {_offset(span.first, result.first)} .. {_offset(span.last, result.first)}"
                   f", {span.events} events, {span.errors} errors\n")
