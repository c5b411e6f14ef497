"""``devkit logs trace``: one request's story across services."""

from __future__ import annotations

from functools import partial

import click

from devkit.cli.logs.common import ReportFiles, run_search
from devkit.cli.logs.render import Display
from devkit.cli.options import (
    es_options,
    log_output_options,
    paths_argument,
    sources_or_stdin,
    tz_option,
)
from devkit.logs.match import IdMatcher
from devkit.logs.trace import trace as trace_request


@click.command()
@click.argument("ident", metavar="ID")
@paths_argument
@click.option("--field", metavar="NAME", help="Match the ID only in this field (corrId, request_id, trace.id, ...).")
@es_options
@click.option("--index", metavar="PATTERN", help="With --es: indices to search [default: logstash-*,logs-*].")
@tz_option
@log_output_options
@click.option("--html", "html_file", metavar="FILE",
              help="Write the report as one self-contained HTML file (header, waterfall, filterable timeline; "
                   "- for stdout) instead of printing the timeline.")
@click.option("--svg", "svg_file", metavar="FILE", help="Write the waterfall alone as an SVG file (- for stdout).")
@click.option("--summary-json", is_flag=True,
              help="Print the summary as one JSON object: header facts, waterfall rows, probable root cause "
                   "(after the events with --json).")
def trace(ident: str, paths: tuple[str, ...], field: str | None, tz: str | None, as_json: bool, raw: bool,
          raw_tty: bool, text_mode: bool, short_tb: bool, html_file: str | None, svg_file: str | None,
          summary_json: bool, es_url: str | None = None, index: str | None = None, api_key: str | None = None,
          ca_certs: str | None = None, insecure: bool = False) -> int:
    """Every event that carries a correlation ID, from all services, in time order.

    PATHs are files, directories (searched recursively), globs or - for stdin; .gz, .bz2 and .xz
    are read transparently. The ID matches as a whole token (123 does not match 1234). With --es
    the events come from Elasticsearch/OpenSearch instead (no PATHs), stitched the same way; their
    source is INDEX/DOC_ID. Exit status: 0 found, 1 not found, 2 an input could not be read.

    On a terminal: a header, the request path as a waterfall (one row per hop, nested under the
    hop that was active when it began, asynchronous hops marked, own time, the probable root
    cause) and the timeline. Piped: one line per event, then the same facts as # lines.

    \b
    Examples:
      devkit logs trace 4bf92f3577b34da6a3ce929d0e0e4736 examples/logs
      devkit logs trace e5f011c3c08395f59280cb8e102d796b examples/logs --tz UTC --html report.html
      devkit logs trace e5f011c3c08395f59280cb8e102d796b examples/logs --tz UTC --summary-json
      devkit logs trace req-38101a0b /var/log/nova --field request_id --json
      zcat old.log.gz | devkit logs trace 123456 -
      devkit logs trace 4bf92f3577b34da6a3ce929d0e0e4736 --es http://127.0.0.1:9200 --index 'logs-*'
    """
    display = Display(short_tb=short_tb, raw_tty=raw_tty, highlight=IdMatcher(ident).token)
    report = ReportFiles(html_file, svg_file, summary_json, command=_command_line())
    raw = raw or raw_tty
    if es_url:
        from devkit.logs.es.trace import search_es

        if paths:
            raise click.UsageError("give PATHs or --es, not both (ship files first: devkit logs ship PATH --es URL)")
        search = partial(search_es, ident, es_url, index=index, field=field, api_key=api_key,
                         ca_certs=ca_certs, insecure=insecure)
        return run_search(search, [], tz, text_mode, as_json, raw, "Request", display=display, report=report)
    return run_search(partial(trace_request, ident, field=field), sources_or_stdin(paths), tz, text_mode, as_json, raw,
                      "Request", display=display, report=report)


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
