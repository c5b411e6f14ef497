"""The ``devkit gen`` group: it only registers the commands (one module each)."""

from __future__ import annotations

import click

from devkit.cli.gen.logging_cmd import logging_cmd
from devkit.cli.gen.logstash import logstash
from devkit.cli.gen.nginx import nginx


@click.group()
def gen() -> None:
    """Generate nginx, Logstash and logging configs that carry one correlation ID end to end.

    \b
    Examples:
      devkit gen nginx --upstream 127.0.0.1:8000 -o /etc/nginx/conf.d/correlation-id.conf --check
      devkit gen logging --style ini --service gate -o log-config.ini
      devkit gen logstash --syslog --es-hosts http://es:9200 -o pipeline.conf
    """


gen.add_command(nginx)
gen.add_command(logstash)
gen.add_command(logging_cmd)
