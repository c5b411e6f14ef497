"""``devkit gen logging``: parse options, render the logging config, write it."""

from __future__ import annotations

import click

from devkit.cli.gen.common import emit, output_option
from devkit.gen.logconfig import LEVELS, STREAMS, STYLES, LoggingOptions, render_logging


@click.command("logging")
@click.option("--style", type=click.Choice(STYLES), default="dictconfig", show_default=True,
              help="dictconfig: JSON for dictConfig/Django LOGGING; ini: fileConfig / gunicorn --log-config; "
                   "gunicorn: gunicorn.conf.py with logconfig_dict.")
@click.option("--service", default=None, help="Service name in every record (default: $DEVKIT_SERVICE, else the logger name).")
@click.option("--level", type=click.Choice(LEVELS, case_sensitive=False), default="INFO", show_default=True)
@click.option("--stream", type=click.Choice(STREAMS), default="stdout", show_default=True)
@click.option("--header", default="Correlation-Id", show_default=True, help="Header the ID travels in (gunicorn access line).")
@output_option
def logging_cmd(style, service, level, stream, header, output) -> int:
    """Write a logging config: one JSON object per record, correlation ID and whole traceback.

    The classes it names are in devkit.correlation (stdlib only); wrap the WSGI app in
    devkit.correlation.CorrelationMiddleware so records carry the request's ID.

    \b
    Examples:
      devkit gen logging --service gate -o logging.json
      devkit gen logging --style ini -o log-config.ini   # gunicorn --log-config log-config.ini
      devkit gen logging --style gunicorn --service gate -o gunicorn.conf.py
    """
    opts = LoggingOptions(style=style, service=service, level=level.upper(), stream=stream, header=header)
    emit(render_logging(opts), output)
    return 0
