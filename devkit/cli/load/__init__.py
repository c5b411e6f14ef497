"""The ``devkit load`` group: it only registers the commands (one module each)."""

from __future__ import annotations

import click

from devkit.cli.load.amqp import amqp
from devkit.cli.load.celery import celery
from devkit.cli.load.http import http


@click.group()
def load() -> None:
    """Load-test RabbitMQ and HTTP services, counting every message and correlation ID.

    \b
    Examples:
      devkit load amqp -n 20000 --confirm
      devkit load amqp --duration 30s --rate 5000 --producers 2 --queues 'perf-%d' --consume
      devkit load http http://127.0.0.1:8080/ -n 1000 --concurrency 8 --json
    """


load.add_command(amqp)
load.add_command(celery)
load.add_command(http)
