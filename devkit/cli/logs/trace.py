"""``devkit logs trace``: one request's story across services."""

from __future__ import annotations

from functools import partial

import click

from devkit.cli.logs.common import LogOptions, run_search, view_options
from devkit.cli.options import es_options, paths_argument, sources_or_stdin
from devkit.logs.match import IdMatcher
from devkit.logs.trace import SearchResult
from devkit.logs.trace import trace as trace_request


@click.command()
@click.argument("ident", metavar="ID")
@paths_argument
@click.option("--field", metavar="NAME", help="Match the ID only in this field (corrId, request_id, trace.id, ...).")
@es_options
@click.option("--index", metavar="PATTERN", help="With --es: indices to search [default: logstash-*,logs-*].")
@view_options()
def trace(ident: str, paths: tuple[str, ...], field: str | None, opts: LogOptions, es_url: str | None = None,
          index: str | None = None, api_key: str | None = None, ca_certs: str | None = None,
          insecure: bool = False) -> int:
    """Every event that carries a correlation ID, from all services, in time order.

    PATHs are files, directories (searched recursively), globs or - for stdin; .gz, .bz2 and .xz
    are read transparently. The ID matches as a whole token (123 does not match 1234). With --es
    the events come from Elasticsearch/OpenSearch instead (no PATHs), stitched the same way; their
    source is INDEX/DOC_ID. With -f the files are followed and new events of the ID shown as they
    are written. Exit status: 0 found, 1 not found, 2 an input could not be read.

    \b
    Examples:
      devkit logs trace e5f011c3c08395f59280cb8e102d796b examples/logs --tz UTC
      devkit logs trace req-ae9aff48-4eaf-4985-bacd-bcef6f04c6a5 examples/logs --field request_id --json
      zcat examples/logs/gateway/gateway.log.1.gz | devkit logs trace 2acb754d65408462a48ea796e1de5dd4 -
      devkit logs trace e5f011c3c08395f59280cb8e102d796b examples/logs --service 'pay*' --level ERROR
      devkit logs trace e5f011c3c08395f59280cb8e102d796b --es http://127.0.0.1:9200 --index 'logs-*'
    """
    matcher = IdMatcher(ident, field)
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

        return run_search(from_es, [], opts, "Request", ident, explain=_whole_tokens(ident, []))
    sources = sources_or_stdin(paths)
    return run_search(partial(trace_request, ident, field=field), sources, opts, "Request", ident,
                      keep=lambda ev: any(matcher.in_raw(r) for r in ev.raw) and matcher.matches(ev),
                      explain=_whole_tokens(ident, sources))


def _whole_tokens(ident: str, sources: list[str]):
    """When the ID found nothing: say that IDs match whole tokens, and which longer ones start with it."""

    def explain(result: SearchResult) -> str | None:
        from devkit.logs.nearmiss import longer_tokens

        longer = longer_tokens(sources, ident) if sources and "-" not in sources else []
        if longer:
            more = f", e.g. {longer[0]}" if len(longer) == 1 else f", e.g. {', '.join(longer[:2])}"
            return f"IDs match as whole tokens, and {ident!r} is only part of longer ones here{more}"
        if len(ident) < 16:
            return f"IDs match as whole tokens ({ident!r} does not match {ident + '7f'!r}); give the whole ID"
        return None

    return explain
