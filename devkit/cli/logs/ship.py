"""``devkit logs ship``: stitched events into Elasticsearch/OpenSearch, from files or an AMQP queue."""

from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Callable, Iterator

import click

from devkit.cli.console import Terminal, get_terminal
from devkit.cli.logs.common import report_problems
from devkit.cli.options import (
    es_options,
    json_option,
    paths_argument,
    sources_or_stdin,
    tz_option,
)
from devkit.errors import InputError
from devkit.logs.timestamps import Zone


@contextmanager
def ship_progress(term: Terminal) -> Iterator[Callable | None]:
    """Counts on stderr while a person watches: read, indexed, failed, docs/s."""
    if not term.progress_enabled:
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=term.err,
                  transient=True) as progress:
        task = progress.add_task("shipping", total=None)

        def update(stats) -> None:
            progress.update(task, description=f"read {stats.read}  indexed {stats.indexed}  failed {stats.failed}")

        yield update


def _summary(stats) -> str:
    line = (f"{stats.read} events read, {stats.indexed} indexed, {stats.failed} failed into {stats.index} "
            f"({stats.server}) in {stats.seconds:.2f} s, {stats.docs_per_s:.0f} docs/s")
    if stats.retries:
        line += f", {stats.retries} retries"
    if stats.text_messages:
        line += f", {stats.text_messages} messages were not JSON (each is a document of its own)"
    if stats.failed:
        line += f"; failed documents are in {stats.dead_letter}"
    return line + "\n"


@click.command()
@paths_argument
@es_options
@click.option("--index", default="logs-devkit", show_default=True, metavar="NAME",
              help="Index to write (created with devkit's mapping if missing).")
@click.option("--from-amqp", "amqp_url", metavar="URL", help="Consume JSON log records from this AMQP broker.")
@click.option("--queue", "queue_name", metavar="Q", help="With --from-amqp: the queue to consume.")
@click.option("--batch", default=1000, show_default=True, type=click.IntRange(1, 100000),
              help="Flush when this many documents are waiting.")
@click.option("--flush-interval", default=5.0, show_default=True, type=click.FloatRange(0.0, 3600.0),
              metavar="SECONDS", help="...or when the oldest waiting document is this old.")
@click.option("--dead-letter", metavar="FILE", type=click.Path(dir_okay=False),
              help="Where documents that still fail after retries go [default: NAME.dead-letter.ndjson].")
@click.option("--retries", default=5, show_default=True, type=click.IntRange(0, 20),
              help="Retries of a batch on 429/5xx or a lost connection (exponential backoff).")
@click.option("--idle-exit", type=click.FloatRange(0.0), metavar="SECONDS",
              help="With --from-amqp: stop after the queue was empty this long [default: run until Ctrl-C].")
@tz_option
@click.option("--text", "-a", "text_mode", is_flag=True, help="Read files that look binary as text.")
@json_option
def ship(paths: tuple[str, ...], es_url: str | None, api_key: str | None, ca_certs: str | None, insecure: bool,
         index: str, amqp_url: str | None, queue_name: str | None, batch: int, flush_interval: float,
         dead_letter: str | None, retries: int, idle_exit: float | None, tz: str | None, text_mode: bool,
         as_json: bool) -> int:
    """Stitch log events and index them (bulk API), from files or an AMQP queue.

    One document per event (a traceback split over syslog records is one document), with an id
    from its source and first line: shipping a file twice does not duplicate it. Batches go out
    at --batch documents or --flush-interval seconds; 429/5xx are retried, documents that still
    fail go to the dead-letter file. With --from-amqp a message is acked only after its document
    was indexed or dead-lettered. Exit status: 0 all indexed, 1 some dead-lettered (or nothing
    read), 2 bad input or the server/broker refused us.

    \b
    Examples:
      devkit logs ship examples/logs --es http://127.0.0.1:9200 --index logs-shop
      devkit logs ship /var/log/app --es https://elastic:$PW@es:9200 --ca-certs ca.pem --json
      devkit logs ship --from-amqp amqp://guest:guest@127.0.0.1:5672/ --queue logs \\
          --es http://127.0.0.1:9200 --batch 500 --flush-interval 2
    """
    from devkit.logs.es.client import connect

    term = get_terminal()
    if not es_url:
        raise InputError("--es URL is required (where to ship), e.g. --es http://127.0.0.1:9200")
    if amqp_url and paths:
        raise InputError("give PATHs or --from-amqp, not both")
    if amqp_url and not queue_name:
        raise InputError("--from-amqp needs --queue Q")
    from devkit.logs.es.client import index_path

    index_path(index)  # a bad --index is a usage error before anything connects
    zone = Zone.parse(tz)
    with connect(es_url, api_key=api_key, ca_certs=ca_certs, insecure=insecure) as conn:
        with ship_progress(term) as progress:
            common = dict(batch=batch, flush_interval=flush_interval, dead_letter=dead_letter, max_retries=retries,
                          progress=progress)
            if amqp_url:
                from devkit.logs.es.amqp import ship_amqp

                stats = ship_amqp(amqp_url, queue_name or "", conn, index, zone=zone, idle_exit=idle_exit, **common)
            else:
                from devkit.logs.es.ship import ship_files

                stats = ship_files(sources_or_stdin(paths), index=index, conn=conn, zone=zone, text_mode=text_mode,
                                   **common)
    if as_json:
        term.write(json.dumps(stats.to_json()) + "\n")
    else:
        term.write(_summary(stats))
    if report_problems(stats.problems, term):
        return 2
    if stats.failed:
        return 1
    return 0 if stats.read else 1
