"""The waterfall as one self-contained SVG (``trace --svg FILE``, and inline in the HTML report).

No fonts, images or scripts are referenced: it opens offline in any browser or image viewer.
Log text is shown visibly (:func:`visible`) and XML-escaped; hover a bar for its numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

from devkit.cli.logs.chart import ticks, tick_label
from devkit.cli.logs.render import ROOT_CAUSE, ServiceColors, offset, plural, root_cause_text, seconds, span_text
from devkit.cli.visible import visible

if TYPE_CHECKING:
    from devkit.logs.trace import SearchResult

ROW = 24
LABEL_W = 250
RIGHT_PAD = 70
TITLE = 40  # title and facts lines (standalone only)
AXIS = 18  # axis labels
CSS = """
.wf text{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;fill:#24292f}
.wf .title{font:600 14px system-ui,-apple-system,'Segoe UI',sans-serif}
.wf .sub{font:12px system-ui,-apple-system,'Segoe UI',sans-serif;fill:#57606a}
.wf .axis{fill:#57606a;font-size:11px}.wf .grid{stroke:#d0d7de;stroke-width:1}
.wf .band{fill:#f6f8fa}.wf .dur{fill:#57606a;font-size:11px}.wf .tree{fill:#8c959f}
.wf .err{fill:#cf222e;stroke:#fff;stroke-width:1}.wf .root{fill:#cf222e;stroke:#24292f;stroke-width:1.5}
.wf .async{stroke-dasharray:4 3;stroke:#57606a;stroke-width:1.2;fill:none}.wf .errtxt{fill:#cf222e}
.wf .hop{cursor:pointer}.wf .hop:hover rect.bar{stroke:#24292f;stroke-width:1}
@media (prefers-color-scheme:dark){.wf text{fill:#e6edf3}.wf .sub,.wf .axis,.wf .dur{fill:#9198a1}
.wf .band{fill:#161b22}.wf .grid{stroke:#30363d}.wf .err{stroke:#0d1117}.wf .async{stroke:#9198a1}
.wf .bg{fill:#0d1117}}
""".strip()


def _text(x: float, y: float, content: str, cls: str = "", anchor: str = "start") -> str:
    attrs = f' class="{cls}"' if cls else ""
    if anchor != "start":
        attrs += f' text-anchor="{anchor}"'
    return f'<text x="{x:.1f}" y="{y:.1f}"{attrs}>{escape(content)}</text>'


def waterfall_svg(result: "SearchResult", colors: ServiceColors | None = None, width: int = 1100,
                  standalone: bool = True) -> str:
    """The request's waterfall as SVG markup; ``standalone`` adds the XML prolog and a background."""
    colors = colors or ServiceColors()
    wf = result.waterfall
    hops = wf.hops
    bar_x = LABEL_W + 10
    bar_w = width - bar_x - RIGHT_PAD
    cause = root_cause_text(wf) if standalone else None  # the HTML report says it in its header
    top = (TITLE if standalone else 6) + AXIS
    height = top + ROW * max(1, len(hops)) + 12 + (ROW if cause else 0)
    total = wf.duration or 0.0
    scale = bar_w / total if total > 0 else 0.0

    def x(t: float) -> float:
        return bar_x + (t - wf.start) * scale  # type: ignore[operator]

    out = []
    if standalone:
        out.append('<?xml version="1.0" encoding="UTF-8"?>')
    out.append(f'<svg xmlns="http://www.w3.org/2000/svg" class="wf" width="{width}" height="{height}" '
               f'viewBox="0 0 {width} {height}" role="img" aria-label={quoteattr("waterfall of " + visible(result.query))}>')
    out.append(f"<style>{CSS}</style>")
    if standalone:
        out.append(f'<rect class="bg" width="{width}" height="{height}" fill="#ffffff"/>')
    if standalone:
        facts = " · ".join([plural(len(result.events), "event"), plural(len(wf.services), "service"),
                            plural(result.errors, "error"), span_text(wf.start, wf.end)])
        out.append(_text(8, 18, f"Request {visible(result.query)}", "title"))
        out.append(_text(8, 34, facts, "sub"))
    step, marks = ticks(total, max(1, bar_w // 80))
    for t in marks:
        gx = bar_x + t * scale
        out.append(f'<line class="grid" x1="{gx:.1f}" y1="{top - 8}" x2="{gx:.1f}" y2="{top + ROW * len(hops)}"/>')
        out.append(_text(gx + 2, top - 10, tick_label(t, step), "axis"))
    rc = wf.root_cause
    for i, hop in enumerate(hops):
        y = top + i * ROW
        color = colors.hex(hop.service)
        if i % 2:
            out.append(f'<rect class="band" x="0" y="{y}" width="{width}" height="{ROW}"/>')
        tip = (f"{visible(hop.label)}: {offset(hop.start, wf.start) or 'no time'}, {seconds(hop.duration)} "
               f"(own {seconds(hop.own)}), {plural(len(hop.events), 'event')}, {plural(hop.errors, 'error')}"
               + (f", status {hop.status}" if hop.status is not None else "")
               + (", asynchronous" if hop.asynchronous else ""))
        out.append(f'<g class="hop" data-hop="{hop.row}"><title>{escape(tip)}</title>')
        label = visible(hop.label)
        label += f" {hop.status}" if hop.status is not None else ""
        label += " (async)" if hop.asynchronous else ""
        indent = 8 + 14 * min(hop.depth, 8)
        room = max(4, (LABEL_W - indent) // 7)
        if len(label) > room:
            label = label[:room - 1] + "…"
        if hop.depth:
            out.append(_text(indent - 12, y + 16, "└", "tree"))
        out.append(_text(indent, y + 16, label, "errtxt" if hop.errors else ""))
        if hop.start is not None and wf.start is not None:
            x0, x1 = x(hop.start), x(hop.end)  # type: ignore[arg-type]
            if hop.asynchronous and hop.gap:
                out.append(f'<line class="async" x1="{x(hop.start - hop.gap):.1f}" y1="{y + 12}" '
                           f'x2="{x0:.1f}" y2="{y + 12}"/>')
            w = max(2.0, x1 - x0)
            dash = ' stroke="#57606a" stroke-dasharray="3 2"' if hop.asynchronous else ""
            out.append(f'<rect class="bar" x="{x0:.1f}" y="{y + 5}" width="{w:.1f}" height="{ROW - 10}" rx="2" '
                       f'fill="{color}"{dash}/>')
            out.append(_text(x0 + w + 8, y + 16, seconds(hop.duration), "dur"))
            for ev in hop.error_events:
                t = wf.when(ev)
                if t is None:
                    continue
                root = rc is not None and rc.event is ev
                cx, cy = x(t), y + ROW / 2
                r = 5.5 if root else 4
                out.append(f'<path class="{"root" if root else "err"}" d="M{cx:.1f} {cy - r:.1f}L{cx + r:.1f} {cy:.1f}'
                           f'L{cx:.1f} {cy + r:.1f}L{cx - r:.1f} {cy:.1f}Z"/>')
        else:
            out.append(_text(bar_x, y + 16, "(no time)", "sub"))
        out.append("</g>")
    if cause:
        y = top + ROW * len(hops) + 20
        cx = 12
        out.append(f'<path class="root" d="M{cx} {y - 5.5}L{cx + 5.5} {y}L{cx} {y + 5.5}L{cx - 5.5} {y}Z"/>')
        text = f"{ROOT_CAUSE}: {cause}"
        room = int((width - 30) / 7.4)
        out.append(_text(24, y + 4, text if len(text) <= room else text[:room - 1] + "…", "errtxt"))
    out.append("</svg>")
    return "\n".join(out) + "\n"
