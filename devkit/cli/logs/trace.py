"""``devkit logs trace``: one request's story across services."""

from __future__ import annotations

from functools import partial

import click

from devkit.cli.logs.common import LogOptions, ReportFiles, run_search, view_options
from devkit.cli.options import es_options, paths_argument, sources_or_stdin
from devkit.logs.match import IdMatcher
from devkit.logs.trace import SearchResult
from devkit.logs.trace import search_rendered
from devkit.logs.trace import trace as trace_request


@click.command()
@click.argument("ident", metavar="ID")
@paths_argument
@click.option("--field", metavar="NAME", help="Match the ID only in this field (corrId, request_id, trace.id, ...).")
@es_options
@click.option("--index", metavar="PATTERN", help="With --es: indices to search [default: logstash-*,logs-*].")
@view_options()
@click.option("--html", "html_file", metavar="FILE",
              help="Write the report as one self-contained HTML file (header, waterfall, filterable timeline; "
                   "- for stdout) instead of printing the timeline.")
@click.option("--svg", "svg_file", metavar="FILE", help="Write the waterfall alone as an SVG file (- for stdout).")
@click.option("--summary-json", is_flag=True,
              help="Print the summary as one JSON object: header facts, waterfall rows, probable root cause "
                   "(after the events with --json).")
def trace(ident: str, paths: tuple[str, ...], field: str | None, opts: LogOptions, html_file: str | None,
          svg_file: str | None, summary_json: bool, es_url: str | None = None, index: str | None = None,
          api_key: str | None = None, ca_certs: str | None = None, insecure: bool = False) -> int:
    """Every event that carries a correlation ID, from all services, in time order.

    PATHs are files, directories (searched recursively), globs or - for stdin; .gz, .bz2 and .xz
    are read transparently. The ID matches as a whole token (123 does not match 1234). With --es
    the events come from Elasticsearch/OpenSearch instead (no PATHs), stitched the same way; their
    source is INDEX/DOC_ID. With -f the files are followed and new events of the ID shown as they
    are written. Exit status: 0 found, 1 not found, 2 an input could not be read.

    On a terminal: a header, the request path as a waterfall (one row per hop, nested under the
    hop that was active when it began, asynchronous hops marked, own time, the probable root
    cause) and the timeline. Piped: one line per event, then the same facts as # lines.

    \b
    Examples:
      devkit logs trace e5f011c3c08395f59280cb8e102d796b examples/logs --tz UTC
      devkit logs trace e5f011c3c08395f59280cb8e102d796b examples/logs --tz UTC --html report.html
      devkit logs trace e5f011c3c08395f59280cb8e102d796b examples/logs --tz UTC --summary-json
      devkit logs trace req-ae9aff48-4eaf-4985-bacd-bcef6f04c6a5 examples/logs --field request_id --json
      zcat examples/logs/gateway/gateway.log.1.gz | devkit logs trace 2acb754d65408462a48ea796e1de5dd4 -
      devkit logs trace e5f011c3c08395f59280cb8e102d796b examples/logs --service 'pay*' --level ERROR
      devkit logs trace e5f011c3c08395f59280cb8e102d796b --es http://127.0.0.1:9200 --index 'logs-*'
    """
    matcher = IdMatcher(ident, field)
    display = opts.display(IdMatcher(ident).token)
    report = ReportFiles(html_file, svg_file, summary_json, command=_command_line() if html_file else None)
    if es_url:
        from devkit.logs.es.trace import search_es

        if paths:
            raise click.UsageError("give PATHs or --es, not both (ship files first: devkit logs ship PATH --es URL)")
        if opts.follow:
            raise click.UsageError("--follow reads files or stdin, not --es")

        def from_es(_sources, *, event_filter, **kw) -> SearchResult:
            result = search_es(ident, es_url, index=index, field=field, api_key=api_key, ca_certs=ca_certs,
                               insecure=insecure, **kw)
            result.events = list(event_filter.apply(result.events))
            return result

        return run_search(from_es, [], opts, "Request", ident, display=display, report=report,
                          explain=_whole_tokens(ident, []))
    sources = sources_or_stdin(paths)
    return run_search(partial(trace_request, ident, field=field), sources, opts, "Request", ident, display=display,
                      report=report, keep=lambda ev: any(matcher.in_raw(r) for r in ev.raw) and matcher.matches(ev),
                      explain=_whole_tokens(ident, sources),
                      stream=lambda paths, render, **kw: search_rendered(paths, matcher, render, ident=ident, **kw))


def _whole_tokens(ident: str, sources: list[str]):
    """When the ID found nothing: say that IDs match whole tokens, and which longer ones hold it."""

    def explain(result: SearchResult) -> str | None:
        from devkit.logs.nearmiss import longer_tokens

        longer = longer_tokens(sources, ident) if sources and "-" not in sources else []
        if longer:
            return (f"IDs match as whole tokens, and {ident!r} is only part of longer ones here, e.g. "
                    + ", ".join(longer[:2]))
        if len(ident) < 16:
            return "IDs match as whole tokens, so a shortened ID finds nothing: give the whole ID"
        return None

    return explain


def _command_line() -> str | None:
    """The command as typed, for the report (passwords in URLs masked); None when devkit was not
    started from its own command line (e.g. called in-process by a test)."""
    import os
    import shlex
    import sys

    from devkit.secrets import mask_url_passwords

    if os.path.basename(sys.argv[0]) not in ("devkit", "__main__.py"):
        return None
    return mask_url_passwords("devkit " + " ".join(shlex.quote(a) for a in sys.argv[1:]))
