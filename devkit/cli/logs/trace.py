"""``devkit logs trace``: one request's story across services."""

from __future__ import annotations

from functools import partial

import click

from devkit.cli.logs.common import run_search
from devkit.cli.options import (
    es_options,
    log_output_options,
    paths_argument,
    sources_or_stdin,
    tz_option,
)
from devkit.logs.trace import trace as trace_request


@click.command()
@click.argument("ident", metavar="ID")
@paths_argument
@click.option("--field", metavar="NAME", help="Match the ID only in this field (corrId, request_id, trace.id, ...).")
@es_options
@click.option("--index", metavar="PATTERN", help="With --es: indices to search [default: logstash-*,logs-*].")
@tz_option
@log_output_options
def trace(ident: str, paths: tuple[str, ...], field: str | None, tz: str | None, as_json: bool, raw: bool,
          text_mode: bool, es_url: str | None = None, index: str | None = None, api_key: str | None = None,
          ca_certs: str | None = None, insecure: bool = False) -> int:
    """Every event that carries a correlation ID, from all services, in time order.

    PATHs are files, directories (searched recursively), globs or - for stdin; .gz, .bz2 and .xz
    are read transparently. The ID matches as a whole token (123 does not match 1234). With --es
    the events come from Elasticsearch/OpenSearch instead (no PATHs), stitched the same way; their
    source is INDEX/DOC_ID. Exit status: 0 found, 1 not found, 2 an input could not be read.

    \b
    Examples:
      devkit logs trace 4bf92f3577b34da6a3ce929d0e0e4736 examples/logs
      devkit logs trace req-38101a0b /var/log/nova --field request_id --json
      zcat old.log.gz | devkit logs trace 123456 -
      devkit logs trace 4bf92f3577b34da6a3ce929d0e0e4736 --es http://127.0.0.1:9200 --index 'logs-*'
    """
    if es_url:
        from devkit.logs.es.trace import search_es

        if paths:
            raise click.UsageError("give PATHs or --es, not both (ship files first: devkit logs ship PATH --es URL)")
        search = partial(search_es, ident, es_url, index=index, field=field, api_key=api_key,
                         ca_certs=ca_certs, insecure=insecure)
        return run_search(search, [], tz, text_mode, as_json, raw, "Request")
    return run_search(partial(trace_request, ident, field=field), sources_or_stdin(paths), tz, text_mode, as_json, raw,
                      "Request")
