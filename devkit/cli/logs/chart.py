"""The waterfall on a terminal: one row per hop, bars scaled to the width, a time axis on top.

    service          start   total    own  ev err  0        1s       2s       3s
    nginx 502       +0.000  3.054s    3ms   1   1  ██████████████████████████▌
    └─ gateway      +0.002  3.051s   10ms   4   0  ██████████████████████████▌
       └─ orders    +0.007  3.041s   29ms   5   1  ▕█████████████████████████▍

The geometry (ticks, tree prefixes) is shared with the SVG renderer.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from devkit.cli.visible import visible

if TYPE_CHECKING:
    from rich.text import Text

    from devkit.cli.logs.render import ServiceColors
    from devkit.logs.waterfall import Hop, Waterfall

_EIGHTHS = " ▏▎▍▌▋▊▉█"
ERROR_MARK = "×"


def ticks(total: float, slots: int) -> tuple[float, list[float]]:
    """A 1-2-5 step giving at most ``slots`` intervals over ``total`` seconds, and the tick times."""
    if total <= 0:
        return 1.0, [0.0]
    raw = total / max(1, slots)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw * (1 - 1e-9))
    count = int(total / step + 1e-9)
    return step, [i * step for i in range(count + 1)]


def tick_label(t: float, step: float) -> str:
    """``0``, ``250ms``, ``1s``, ``2.5s``, ``2m``: precise enough for the step."""
    if t == 0:
        return "0"
    if step >= 60 and t % 60 == 0:
        return f"{t / 60:g}m"
    if step >= 0.1:
        return f"{round(t, 6):g}s"
    if step >= 0.0001:
        return f"{round(t * 1000, 3):g}ms"
    return f"{round(t * 1e6, 3):g}µs"


def tree_prefixes(hops: list["Hop"]) -> list[str]:
    """``├─ `` / ``└─ `` / ``│  `` per row, from the parents and children of the hops."""
    out = []
    for hop in hops:
        parts: list[str] = []
        node = hop
        while node.parent is not None:
            parent = hops[node.parent]
            last = parent.children[-1] == node.row
            if node is hop:
                parts.append("└─ " if last else "├─ ")
            else:
                parts.append("   " if last else "│  ")
            node = parent
        out.append("".join(reversed(parts)))
    return out


def _bar_cells(x0: float, x1: float, width: int) -> dict[int, str]:
    """Cell index -> block glyph for a bar over [x0, x1] cells (eighths at the right edge)."""
    x0, x1 = max(0.0, min(x0, width)), max(0.0, min(x1, width))
    if x1 - x0 < 1 / 8:
        return {min(width - 1, int(x0)): "▏"}
    cells = {}
    for c in range(int(x0), min(width, math.ceil(x1))):
        cover = min(c + 1, x1) - max(c, x0)
        if cover >= 7 / 8:
            cells[c] = "█"
        elif x0 > c and x1 < c + 1:
            cells[c] = "▌" if (x0 + x1) / 2 - c < 0.5 else "▐"
        elif x0 > c:  # the bar starts inside this cell: only halves and eighths on the right exist
            cells[c] = "▐" if cover >= 0.5 else "▕"
        else:
            cells[c] = _EIGHTHS[max(1, round(cover * 8))]
    return cells


def waterfall_lines(wf: "Waterfall", colors: "ServiceColors", width: int) -> list["Text"]:
    """The chart as rich Text lines, at most ``width`` cells each (wider only below ~40 columns)."""
    from rich.text import Text

    from devkit.cli.logs.render import offset, seconds

    hops = wf.hops
    prefixes = tree_prefixes(hops)
    names = []
    for hop, prefix in zip(hops, prefixes):
        status = f" {hop.status}" if hop.status is not None else ""
        names.append((prefix, visible(hop.label), status, " async" if hop.asynchronous else ""))
    name_w = min(32, max(len("service"), *(sum(map(len, n)) for n in names)))
    cols = {
        "start": max(6, *(len(offset(h.start, wf.start)) for h in hops)),
        "total": max(5, *(len(seconds(h.duration)) for h in hops)),
        "own": max(5, *(len(seconds(h.own)) for h in hops)),
        "ev": max(2, *(len(str(len(h.events))) for h in hops)),
        "err": max(3, *(len(str(h.errors)) for h in hops)),
    }
    for drop in ("own", "ev", "start", "err", None):  # narrow terminals lose columns, not the bars
        bar_w = width - name_w - sum(w + 1 for w in cols.values()) - 2
        if bar_w >= max(12, width // 4) or drop is None:
            break
        del cols[drop]
    bar_w = max(10, bar_w)
    total = wf.duration or 0.0
    scale = bar_w / total if total > 0 else 0.0

    def x(t: float) -> float:
        return (t - wf.start) * scale  # type: ignore[operator]

    header = Text(f"{'service':<{name_w}} ", style="bold")
    titles = {"start": "start", "total": "total", "own": "own", "ev": "ev", "err": "err"}
    for key, w in cols.items():
        header.append(f"{titles[key]:>{w}} ", style="bold")
    header.append(" " + _axis(total, bar_w), style="dim")
    lines = [header]
    rc = wf.root_cause
    for hop, (prefix, label, status, tag) in zip(hops, names):
        color = colors(hop.service)
        row = Text(prefix, style="dim")
        room = name_w - len(prefix)
        row.append(label[:room], style=f"bold {color}" if hop.errors else color)
        rest = room - min(room, len(label))
        row.append(status[:rest], style="bold red" if hop.status and hop.status >= 500 else "dim")
        rest -= min(rest, len(status))
        row.append(tag[:rest], style="italic dim")
        rest -= min(rest, len(tag))
        row.append(" " * rest + " ")
        values = {"start": offset(hop.start, wf.start), "total": seconds(hop.duration), "own": seconds(hop.own),
                  "ev": str(len(hop.events)), "err": str(hop.errors)}
        for key, w in cols.items():
            style = "bold red" if key == "err" and hop.errors else ("" if key != "own" else "dim")
            row.append(f"{values[key] if hop.start is not None or key in ('ev', 'err') else '-':>{w}} ",
                       style=style)
        row.append(" ")
        if hop.start is None or wf.start is None:
            row.append("(no time)", style="dim italic")
            lines.append(row)
            continue
        cells: dict[int, tuple[str, str]] = {}
        if hop.asynchronous and hop.gap:
            for c in range(int(x(hop.start - hop.gap)), int(x(hop.start))):
                cells[c] = ("┄", "dim")
        for c, glyph in _bar_cells(x(hop.start), x(hop.end), bar_w).items():  # type: ignore[arg-type]
            cells[c] = (glyph, color)
        for ev in hop.error_events:
            t = wf.when(ev)
            if t is not None:
                c = min(bar_w - 1, int(x(t)))
                root = rc is not None and rc.event is ev
                cells[c] = (ERROR_MARK, "bold white on red" if root else "bold red")
        for c in range(max(cells) + 1 if cells else 0):
            glyph, style = cells.get(c, (" ", ""))
            row.append(glyph, style=style)
        lines.append(row)
    return lines


def _axis(total: float, width: int) -> str:
    """Tick labels over the bar area, left-aligned at their tick, never overlapping."""
    step, marks = ticks(total, max(2, width // 9))
    cells = [" "] * width
    last_end = -1
    for t in marks:
        label = tick_label(t, step)
        pos = int(t / total * width) if total > 0 else 0
        if pos >= width:
            continue
        if pos <= last_end:
            continue
        if pos + len(label) > width:
            pos = width - len(label)
            if pos <= last_end:
                continue
        cells[pos:pos + len(label)] = label
        last_end = pos + len(label)
    return "".join(cells).rstrip()
