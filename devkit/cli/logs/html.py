"""Reports to hand to a colleague: one self-contained HTML file (no network, no CDN, no fonts).

``trace_html``: the header, the waterfall as inline SVG and the timeline with collapsible
tracebacks, a filter box, service toggles and "errors only" (click a bar to see only its hop).
``requests_html``: one row per request, each ID linking to its trace report.

Log text is hostile input: everything is shown visibly (:func:`visible`) and HTML-escaped, and
a Content-Security-Policy admits only this file's own style and script (by hash), so nothing can
load from the network or run even if a log line tried.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime, timezone
from html import escape
from typing import TYPE_CHECKING, Iterable, Sequence
from urllib.parse import quote

from devkit import __version__
from devkit.cli.logs.render import (
    LEVEL_SHORT,
    PALETTE_HEX,
    ROOT_CAUSE,
    ServiceColors,
    clock,
    offset,
    plural,
    root_cause_text,
    seconds,
    span_text,
)
from devkit.cli.logs.svg import CSS as SVG_CSS
from devkit.cli.logs.svg import waterfall_svg
from devkit.cli.visible import visible
from devkit.logs.timestamps import format_utc
from devkit.logs.waterfall import exception_line, service_of

if TYPE_CHECKING:
    from devkit.logs.trace import SearchResult

PAGE_CSS = """
:root{color-scheme:light dark;--fg:#24292f;--muted:#57606a;--bg:#fff;--line:#d0d7de;--soft:#f6f8fa;--red:#cf222e;
--mark:#fff8c5}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--line:#30363d;--soft:#161b22;
--red:#ff7b72;--mark:#5a4a00}}
*{box-sizing:border-box}body{margin:0;padding:20px 24px;font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;
color:var(--fg);background:var(--bg)}
h1{font-size:20px;margin:0 0 4px}h1 code{font-size:18px}h2{font-size:16px;margin:22px 0 8px}
code,pre,.mono,td.t,td.o{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.facts{margin:2px 0;color:var(--muted)}.facts b.err{color:var(--red)}
.cause{margin:10px 0;padding:8px 12px;border-left:4px solid var(--red);background:var(--soft)}
.cause b{color:var(--red)}.note{color:var(--muted);font-size:12.5px;margin:2px 0}
details.sources summary{cursor:pointer;color:var(--muted)}details.sources ul{margin:4px 0}
.scroll{overflow-x:auto;border:1px solid var(--line);border-radius:6px}
.controls{display:flex;flex-wrap:wrap;gap:8px 14px;align-items:center;margin:6px 0 10px}
#filter{flex:1 1 280px;max-width:460px;padding:6px 9px;border:1px solid var(--line);border-radius:6px;
font:inherit;color:inherit;background:var(--bg)}
.chip{display:inline-flex;gap:4px;align-items:center;padding:2px 8px;border:1px solid var(--line);border-radius:12px;
cursor:pointer;user-select:none}.chip input{margin:0}
button{font:inherit;padding:4px 10px;border:1px solid var(--line);border-radius:6px;background:var(--soft);
color:inherit;cursor:pointer}
#shown{color:var(--muted)}#hop-filter{color:var(--muted)}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:3px 8px;
border-bottom:1px solid var(--line)}th{position:sticky;top:0;background:var(--soft);font-weight:600;cursor:default}
td.t,td.o{white-space:nowrap;color:var(--muted)}td.svc{white-space:nowrap;font-weight:600}
td.msg{white-space:pre-wrap;overflow-wrap:anywhere;width:100%}
tr.error td.lvl{color:var(--red);font-weight:600}tr.root{background:color-mix(in srgb,var(--red) 10%,transparent)}
.rc{color:var(--red);font-weight:600;white-space:nowrap}
mark{background:var(--mark);color:inherit;padding:0 1px;border-radius:2px}
details.tb summary{cursor:pointer;color:var(--red);white-space:normal}
details.tb pre{margin:4px 0;padding:8px;background:var(--soft);border-radius:4px;overflow-x:auto;white-space:pre}
th.sort{cursor:pointer}th.sort:after{content:" ↕";color:var(--muted)}
footer{margin-top:24px;color:var(--muted);font-size:12px}
""".strip() + "\n" + "\n".join(f".s{i}{{color:{c}}}" for i, c in enumerate(PALETTE_HEX))

TRACE_JS = """
(function(){
var rows=Array.prototype.slice.call(document.querySelectorAll('#events tbody tr'));
var texts=rows.map(function(r){return r.textContent.toLowerCase();});
var q=document.getElementById('filter'),errs=document.getElementById('errors-only');
var shown=document.getElementById('shown'),hopNote=document.getElementById('hop-filter');
var svcs=Array.prototype.slice.call(document.querySelectorAll('input[data-service]'));
var hop=null;
function apply(){
  var words=q.value.toLowerCase().split(/\\s+/).filter(Boolean);
  var on={};svcs.forEach(function(c){if(c.checked)on[c.getAttribute('data-service')]=1;});
  var n=0;
  rows.forEach(function(r,i){
    var ok=(!errs.checked||r.classList.contains('error'))&&on[r.getAttribute('data-service')]===1
      &&(hop===null||r.getAttribute('data-hop')===hop)
      &&words.every(function(w){return texts[i].indexOf(w)>=0;});
    r.hidden=!ok;if(ok)n++;
  });
  shown.textContent=n+' of '+rows.length+' events shown';
  document.body.setAttribute('data-shown',String(n));
}
q.addEventListener('input',apply);errs.addEventListener('change',apply);
svcs.forEach(function(c){c.addEventListener('change',apply);});
Array.prototype.forEach.call(document.querySelectorAll('.wf .hop'),function(g){
  g.addEventListener('click',function(){
    var h=g.getAttribute('data-hop');hop=(hop===h)?null:h;
    hopNote.textContent=hop===null?'':'only hop: '+g.querySelector('title').textContent.split(':')[0]+' (click it again for all)';
    apply();});
});
document.getElementById('expand').addEventListener('click',function(){
  var all=document.querySelectorAll('details.tb'),open=!Array.prototype.every.call(all,function(d){return d.open;});
  Array.prototype.forEach.call(all,function(d){d.open=open;});
});
var m=/^#q=(.*)$/.exec(location.hash);if(m){q.value=decodeURIComponent(m[1]);}
apply();document.body.setAttribute('data-ready','1');
})();
""".strip()

REQUESTS_JS = """
(function(){
var body=document.querySelector('#requests tbody');
var rows=Array.prototype.slice.call(body.querySelectorAll('tr'));
var texts=rows.map(function(r){return r.textContent.toLowerCase();});
var q=document.getElementById('filter'),failed=document.getElementById('failed-only');
var shown=document.getElementById('shown');
function apply(){
  var words=q.value.toLowerCase().split(/\\s+/).filter(Boolean),n=0;
  rows.forEach(function(r,i){
    var ok=(!failed.checked||r.classList.contains('error'))&&words.every(function(w){return texts[i].indexOf(w)>=0;});
    r.hidden=!ok;if(ok)n++;});
  shown.textContent=n+' of '+rows.length+' requests shown';
  document.body.setAttribute('data-shown',String(n));
}
Array.prototype.forEach.call(document.querySelectorAll('th.sort'),function(th,col){
  var dir=-1;
  th.addEventListener('click',function(){
    var k=th.getAttribute('data-key');dir=-dir;
    rows.slice().sort(function(a,b){
      var x=a.getAttribute('data-'+k),y=b.getAttribute('data-'+k),nx=parseFloat(x),ny=parseFloat(y);
      if(x==='')return y===''?0:1;if(y==='')return -1;
      if(!isNaN(nx)&&!isNaN(ny))return (nx-ny)*dir;return x<y?-dir:x>y?dir:0;
    }).forEach(function(r){body.appendChild(r);});
  });
});
q.addEventListener('input',apply);failed.addEventListener('change',apply);
var m=/^#q=(.*)$/.exec(location.hash);if(m){q.value=decodeURIComponent(m[1]);}
apply();document.body.setAttribute('data-ready','1');
})();
""".strip()


def _hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode() + "'"


def _page(title: str, body: str, script: str, styles: Sequence[str]) -> str:
    """The document: CSP first (only these styles and this script, by hash; nothing from anywhere)."""
    csp = (f"default-src 'none'; style-src {' '.join(_hash(s) for s in styles)}; script-src {_hash(script)}; "
           "img-src data:; base-uri 'none'; form-action 'none'")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"referrer\" content=\"no-referrer\">\n"
        f"<title>{escape(title)}</title>\n<style>{styles[0]}</style>\n</head>\n<body>\n{body}\n"
        f"<footer>Made by devkit {escape(__version__)} on "
        f"{datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}. One file: it needs no network.</footer>\n"
        f"<script>{script}</script>\n</body>\n</html>\n"
    )


def _text(text: str, highlight: re.Pattern | None) -> str:
    """Log text for HTML: controls visible, escaped, matches of ``highlight`` in ``<mark>``."""
    text = visible(text)
    if highlight is None:
        return escape(text, quote=False)
    out, at = [], 0
    for m in highlight.finditer(text):
        if m.end() == m.start():
            continue
        out.append(escape(text[at:m.start()], quote=False))
        out.append(f"<mark>{escape(m.group(), quote=False)}</mark>")
        at = m.end()
    out.append(escape(text[at:], quote=False))
    return "".join(out)


def trace_html(result: "SearchResult", *, title: str = "Request", highlight: re.Pattern | None = None,
               command: str | None = None) -> str:
    """The whole trace report as one HTML document."""
    colors = ServiceColors()
    wf = result.waterfall
    for hop in wf.hops:
        colors(hop.service)
    query = visible(result.query)
    parts = [f"<header><h1>{escape(title)} <code>{escape(query)}</code></h1>"]
    counts = [plural(len(result.events), "event"), plural(len(wf.services), "service"),
              plural(len(result.sources), "source")]
    errors = plural(result.errors, "error")
    parts.append(f'<p class="facts">{" · ".join(counts)} · <b class="{"err" if result.errors else ""}">'
                 f"{errors}</b></p>")
    parts.append(f'<p class="facts">{escape(span_text(wf.start, wf.end))}</p>')
    cause = root_cause_text(wf)
    if cause:
        parts.append(f'<p class="cause"><b>◆ {ROOT_CAUSE}:</b> {_text(cause, highlight)}</p>')
    for hop in wf.hops:
        if hop.placed == "refined":
            parts.append(f'<p class="note">{escape(visible(hop.label))}: whole-second stamp, placed by its logged '
                         f"duration around the records it must contain (±{seconds(hop.uncertainty)}).</p>")
    parts.append(f'<details class="sources"><summary>{plural(len(result.sources), "source")}</summary><ul>'
                 + "".join(f"<li><code>{escape(visible(s))}</code></li>" for s in result.sources) + "</ul></details>")
    if command:
        parts.append(f'<p class="note">made with <code>{escape(visible(command))}</code></p>')
    parts.append("</header>")
    if title == "Request" and wf.hops:
        parts.append('<section id="waterfall"><h2>Request path</h2><div class="scroll">')
        parts.append(waterfall_svg(result, colors, standalone=False))
        parts.append("</div></section>")
    parts.append(_timeline(result, colors, highlight))
    page_title = f"{title} {query} · devkit"
    return _page(page_title, "\n".join(parts), TRACE_JS, [PAGE_CSS, SVG_CSS])


def _timeline(result: "SearchResult", colors: ServiceColors, highlight: re.Pattern | None) -> str:
    wf = result.waterfall
    rc = wf.root_cause
    services = wf.services
    out = ['<section id="timeline"><h2>Timeline</h2><div class="controls">',
           '<input id="filter" type="search" placeholder="Filter: words in the message, traceback, service or level"'
           ' aria-label="filter events" autocomplete="off">',
           '<label class="chip"><input type="checkbox" id="errors-only"> errors only</label>']
    for svc in services:
        out.append(f'<label class="chip s{colors.index(svc)}"><input type="checkbox" checked '
                   f'data-service="{escape(visible(svc))}"> {escape(visible(svc))}</label>')
    out.append('<button id="expand" type="button">expand / collapse tracebacks</button>'
               '<span id="shown"></span><span id="hop-filter"></span></div>')
    days = {datetime.fromtimestamp(e.ts, timezone.utc).date() for e in result.events if e.ts is not None}
    out.append('<div class="scroll"><table id="events"><thead><tr><th>time' + (" (UTC)" if len(days) <= 1 else "")
               + "</th><th>offset</th><th>service</th><th>level</th><th>message</th></tr></thead><tbody>")
    for ev in result.events:
        svc = service_of(ev)
        hop = wf.hop_of(ev)
        classes = ["error"] if ev.is_error else []
        if rc is not None and rc.event is ev:
            classes.append("root")
        when = clock(ev.ts) if len(days) <= 1 else (format_utc(ev.ts) or "-")
        level = ev.level or "-"
        message = ev.message
        tb = ""
        if ev.traceback:
            summary = exception_line(ev.traceback) or "traceback"
            tb = (f'<details class="tb"><summary>{_text(summary, highlight)}</summary>'
                  f"<pre>{_text(ev.traceback, highlight)}</pre></details>")
        mark = f' <span class="rc">◆ {ROOT_CAUSE}</span>' if "root" in classes else ""
        out.append(
            f'<tr class="{" ".join(classes)}" data-service="{escape(visible(svc))}" '
            f'data-hop="{"" if hop is None else hop.row}">'
            f'<td class="t">{escape(when)}</td><td class="o">{escape(offset(ev.ts, wf.start))}</td>'
            f'<td class="svc s{colors.index(svc)}">{escape(visible(svc))}</td>'
            f'<td class="lvl">{escape(LEVEL_SHORT.get(level, level))}</td>'
            f'<td class="msg">{_text(message, highlight)}{mark}{tb}</td></tr>'
        )
    out.append("</tbody></table></div></section>")
    return "\n".join(out)


# --- the requests table --------------------------------------------------------------------------

def _when(value: object) -> tuple[str, str]:
    """(shown, sort key) for a time given as epoch seconds, an ISO string or nothing."""
    if value is None:
        return "-", ""
    if isinstance(value, (int, float)):
        return format_utc(float(value)) or "-", f"{float(value):.6f}"
    return visible(str(value)), visible(str(value))


def _failed(row: object) -> bool:
    failed = getattr(row, "failed", None)  # RequestRow says it; otherwise errors or a 5xx
    if isinstance(failed, bool):
        return failed
    return bool(getattr(row, "errors", 0)) or (getattr(row, "status", None) or 0) >= 500


def requests_html(rows: Iterable[object], *, sources: Sequence[str] = (), link: str | None = "trace-{id}.html",
                  command: str | None = None) -> str:
    """A table of requests (objects with ``correlation_id, first, last, duration, services, status,
    events, errors, first_error``, e.g. ``devkit.logs.requests.RequestRow``), each ID linking to
    ``link`` with ``{id}`` replaced (URL-quoted): the report ``trace ID --html`` writes."""
    colors = ServiceColors()
    rows = list(rows)
    failed = sum(1 for r in rows if _failed(r))
    paths = " ".join(visible(s) for s in sources) or "PATH..."
    parts = [f"<header><h1>Requests</h1><p class=\"facts\">{plural(len(rows), 'request')} · "
             f"<b class=\"{'err' if failed else ''}\">{failed} failed</b>"
             + (f" · {plural(len(sources), 'source')}" if sources else "") + "</p>"]
    if link:
        parts.append(f'<p class="note">Each ID links to its trace report; make one with <code>devkit logs trace ID '
                     f'{escape(paths)} --html {escape(link.replace("{id}", "ID"))}</code>.</p>')
    if command:
        parts.append(f'<p class="note">made with <code>{escape(visible(command))}</code></p>')
    parts.append("</header>")
    parts.append('<section><div class="controls"><input id="filter" type="search" placeholder="Filter: ID, service, '
                 'status or error text" aria-label="filter requests" autocomplete="off">'
                 '<label class="chip"><input type="checkbox" id="failed-only"> failed only</label>'
                 '<span id="shown"></span></div>')
    heads = [("id", "request"), ("first", "first"), ("duration", "duration"), ("services", "services"),
             ("status", "status"), ("events", "events"), ("errors", "errors"), ("error", "first error")]
    parts.append('<div class="scroll"><table id="requests"><thead><tr>'
                 + "".join(f'<th class="sort" data-key="{k}">{t}</th>' for k, t in heads) + "</tr></thead><tbody>")
    for r in rows:
        ident = visible(str(getattr(r, "correlation_id", "")))
        first, first_key = _when(getattr(r, "first", None))
        duration = getattr(r, "duration", None)
        services = [str(s) for s in (getattr(r, "services", None) or [])]
        status = getattr(r, "status", None)
        events = int(getattr(r, "events", 0) or 0)
        errors = int(getattr(r, "errors", 0) or 0)
        error = getattr(r, "first_error", None)
        bad = _failed(r)
        href = link.replace("{id}", quote(ident, safe="")) if link else None
        cell_id = (f'<a href="{escape(href)}" title="devkit logs trace {escape(ident)} {escape(paths)}">'
                   f"<code>{escape(ident)}</code></a>" if href else f"<code>{escape(ident)}</code>")
        chips = ", ".join(f'<span class="s{colors.index(s)}">{escape(visible(s))}</span>' for s in services)
        parts.append(
            f'<tr class="{"error" if bad else ""}" data-id="{escape(ident)}" data-first="{escape(first_key)}" '
            f'data-duration="{"" if duration is None else f"{duration:.6f}"}" '
            f'data-services="{escape(visible(" ".join(services)))}" data-status="{"" if status is None else status}" '
            f'data-events="{events}" data-errors="{errors}" data-error="{escape(visible(str(error or "")))}">'
            f"<td>{cell_id}</td><td class=\"t\">{escape(first)}</td>"
            f'<td class="o">{escape(seconds(duration))}</td><td>{chips}</td>'
            f"<td class=\"{'rc' if (status or 0) >= 500 else ''}\">{'' if status is None else status}</td>"
            f"<td>{events}</td><td class=\"{'rc' if errors else ''}\">{errors}</td>"
            f"<td class=\"msg\">{escape(visible(str(error))) if error else ''}</td></tr>")
    parts.append("</tbody></table></div></section>")
    return _page("Requests · devkit", "\n".join(parts), REQUESTS_JS, [PAGE_CSS])
