"""``devkit gen logstash``: parse options, render the pipeline, write it."""

from __future__ import annotations

import click

from devkit.cli.gen.common import emit, output_option
from devkit.gen.logstash import (
    DEFAULT_ES_HOSTS,
    DEFAULT_INDEX,
    DEFAULT_PORT,
    DEFAULT_SYSLOG_PORT,
    LogstashOptions,
    render_logstash,
)


@click.command()
@click.option("--port", type=int, default=DEFAULT_PORT, show_default=True, help="tcp and udp port for JSON lines.")
@click.option("--syslog", is_flag=True, help="Also take logspout RFC5424 lines (grok, then the JSON inside the message).")
@click.option("--syslog-port", type=int, default=DEFAULT_SYSLOG_PORT, show_default=True, help="tcp and udp port for --syslog.")
@click.option("--es-hosts", "es_hosts", multiple=True, metavar="URL",
              help=f"Elasticsearch URL (repeatable or comma-separated; default {DEFAULT_ES_HOSTS[0]}).")
@click.option("--index", default=DEFAULT_INDEX, show_default=True, help="Index name (Logstash %{+date} syntax).")
@click.option("--es-user", default=None, help="Elasticsearch user; the password is read by Logstash from ${ES_PASSWORD}.")
@output_option
def logstash(port, syslog, syslog_port, es_hosts, index, es_user, output) -> int:
    """Write a Logstash pipeline: JSON over tcp/udp (and logspout syslog) to Elasticsearch.

    Only plugins that do something: tcp/udp inputs with JSON codecs, an optional grok + json
    filter for logspout lines, one elasticsearch output. Exit 2 on bad options.

    \b
    Examples:
      devkit gen logstash -o /usr/share/logstash/pipeline/services.conf
      devkit gen logstash --syslog --es-hosts http://es1:9200,http://es2:9200 --index 'app-%{+YYYY.MM.dd}'
    """
    hosts = tuple(h.strip() for value in es_hosts for h in value.split(",") if h.strip()) or DEFAULT_ES_HOSTS
    opts = LogstashOptions(port=port, syslog=syslog, syslog_port=syslog_port, es_hosts=hosts, index=index, es_user=es_user)
    emit(render_logstash(opts), output)
    return 0
