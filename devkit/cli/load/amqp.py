"""``devkit load amqp``: parse options, run the library's load, render progress and summary."""

from __future__ import annotations

import json

import click

from devkit.cli.console import get_terminal
from devkit.cli.load.common import Duration, fmt_int, latency_row
from devkit.cli.options import json_option
from devkit.load.amqp_config import DEFAULT_URL, MAX_PRODUCERS, MAX_QUEUES, RUN_QUEUE_PREFIX
from devkit.secrets import mask_url_passwords


@click.command()
@click.option("--url", default=DEFAULT_URL, show_default=mask_url_passwords(DEFAULT_URL), envvar="DEVKIT_AMQP_URL",
              help="Broker URL [env var: DEVKIT_AMQP_URL]; the password is masked in all output.")
@click.option("--queue", "-q", default=None,
              help=f"Queue to publish to, declared durable unless --passive (default: one of this run's own, "
                   f"{RUN_QUEUE_PREFIX}<run-id>; the summary says how many messages are left in it).")
@click.option("--queues", "queues_pattern", metavar="PATTERN",
              help="Spread producers over several queues: 'perf-%d' (with --queue-count) or 'a,b,c'.")
@click.option("--queue-count", type=click.IntRange(1, MAX_QUEUES), default=None,
              help="How many queues 'PATTERN-%d' expands to (default and most: --producers).")
@click.option("--exchange", "-e", default="", help="Exchange to publish to (must exist); default: the default exchange.")
@click.option("--routing-key", "-k", default=None, help="Routing key (default: the queue name).")
@click.option("--count", "-n", type=int, default=None, help="Messages to send in total.")
@click.option("--duration", "-d", type=Duration(), default=None, help="Send for this long instead: 30s, 2m.")
@click.option("--rate", "-r", type=float, default=None, help="Messages per second in total (default: as fast as confirms allow).")
@click.option("--producers", "-x", type=click.IntRange(1, MAX_PRODUCERS), default=1, show_default=True,
              help="Producer processes, one connection each.")
@click.option("--size", "-s", type=int, default=None, help="Body size in bytes (default 100).")
@click.option("--body", default=None, help="Body text for every message.")
@click.option("--body-file", type=click.Path(dir_okay=False), default=None, help="Body read from a file.")
@click.option("--persistent/--transient", default=True, show_default=True, help="Delivery mode 2 or 1.")
@click.option("--confirm/--no-confirm", default=True, show_default=True, help="Publisher confirms with a sliding window.")
@click.option("--window", "-c", type=int, default=1000, show_default=True, help="Unconfirmed messages in flight per producer.")
@click.option("--mandatory/--no-mandatory", default=True, show_default=True,
              help="Have unroutable messages returned (counted as 'returned') instead of dropped.")
@click.option("--passive", is_flag=True, help="Only check that the queue(s) exist; never declare.")
@click.option("--consume", is_flag=True, help="Also drain the queue(s) and measure end-to-end latency.")
@click.option("--prefetch", type=click.IntRange(1, 65535), default=1000, show_default=True,
              help="Consumer prefetch with --consume (1-65535, what basic.qos takes).")
@click.option("--drain-timeout", type=Duration(), default=5.0, show_default=True,
              help="With --consume: give up waiting for missing messages after this long without one.")
@click.option("--confirm-timeout", type=Duration(), default=30.0, show_default=True,
              help="Give up when a message waits this long for its confirm (a stalled broker or network).")
@click.option("--connect-timeout", type=Duration(), default=10.0, show_default=True,
              help="Give up on a connection whose TCP connect and AMQP handshake take longer.")
@click.option("--run-id", default=None, help="Prefix of the correlation IDs (<run-id>.<producer>.<seq>); default random.")
@json_option
def amqp(url, queue, queues_pattern, queue_count, exchange, routing_key, count, duration, rate, producers,
         size, body, body_file, persistent, confirm, window, mandatory, passive, consume, prefetch,
         drain_timeout, confirm_timeout, connect_timeout, run_id, as_json) -> int:
    """Load RabbitMQ like PerfTest and account for every message.

    Every message carries a correlation_id and a 'devkit-sent-ns' header. Exit 0 when all were
    confirmed (and received with --consume), 1 when any was nacked, returned, unconfirmed or
    lost, 2 on bad options or when the broker is unreachable or goes away, 130 when stopped by
    Ctrl-C and 143 by SIGTERM (the report is still exact, and no producer outlives the run).

    \b
    Examples:
      devkit load amqp -n 20000 --confirm
      devkit load amqp --duration 30s --rate 2000 --consume --json
      devkit load amqp -n 100000 --producers 2 --queues 'perf-%d'
    """
    from devkit.errors import InputError
    from devkit.load import (
        AmqpLoadConfig,
        expand_queue_pattern,
        make_body,
        run_amqp_load,
    )

    if queue is not None and queues_pattern:
        raise click.UsageError("use either --queue or --queues, not both")
    queues = expand_queue_pattern(queues_pattern, queue_count or producers) if queues_pattern else []
    if queue_count is not None and not (queues_pattern and "%d" in queues_pattern):
        raise InputError("--queue-count only goes with --queues 'name-%d'")
    cfg = AmqpLoadConfig(
        url=url,
        queue=queue,
        queues=queues,
        exchange=exchange,
        routing_key=routing_key,
        count=count,
        duration=duration,
        rate=rate,
        producers=producers,
        body=make_body(size, body, body_file),
        persistent=persistent,
        confirm=confirm,
        window=window,
        mandatory=mandatory,
        passive=passive,
        consume=consume,
        prefetch=prefetch,
        drain_timeout=drain_timeout,
        confirm_timeout=confirm_timeout,
        connect_timeout=connect_timeout,
    )
    if run_id:
        cfg.run_id = run_id
    cfg.validate()
    term = get_terminal()
    with _live_progress(term) as progress:
        result = run_amqp_load(cfg, progress)
    if as_json:
        term.write(json.dumps(result.to_dict()) + "\n")
    else:
        _render_summary(term, cfg, result)
    depth = (result.left_in_queues or {}).get(cfg.run_queue)
    if depth:
        term.info(f"{depth:,} messages are left in this run's queue {cfg.run_queue}; drain it (--consume) or "
                  f"delete it: rabbitmqctl delete_queue {cfg.run_queue}")
    for message in result.errors:
        term.error(message)
    if not result.ok and not result.errors:
        term.error(result.verdict)
    return result.exit_code


class _live_progress:
    """A one-line live status on stderr, only when a person watches it."""

    def __init__(self, term) -> None:
        self.term = term
        self.live = None
        self.started = False

    def __enter__(self):
        if not self.term.progress_enabled:
            return None
        from rich.live import Live
        from rich.text import Text

        self.text = Text
        self.live = Live(Text("connecting..."), console=self.term.err, transient=True, refresh_per_second=10)
        return self.update

    def update(self, p) -> None:
        if not self.started:  # started on the first report: after the workers are forked
            self.live.start()
            self.started = True
        parts = [f"sent {p.sent:,}"]
        if p.confirm:
            parts.append(f"confirmed {p.confirmed:,}")
        if p.nacked or p.returned:
            parts.append(f"nacked {p.nacked:,}  returned {p.returned:,}")
        if p.consume:
            parts.append(f"received {p.received:,}")
        parts.append(f"{p.rate:,.0f} msg/s")
        if p.target:
            parts.append(f"{100.0 * (p.confirmed if p.confirm else p.sent) / p.target:.0f}%")
        parts.append(f"{p.elapsed_s:.1f}s" + (f"/{p.duration:g}s" if p.duration else ""))
        self.live.update(self.text("  ".join(parts)))

    def __exit__(self, *exc) -> None:
        if self.live is not None and self.started:
            self.live.stop()


def _render_summary(term, cfg, result) -> None:
    from rich.table import Table

    target = ", ".join(result.queues) if result.queues else f"exchange {cfg.exchange!r}"
    term.out.print(f"devkit load amqp → {target} ({cfg.safe_url})", soft_wrap=True)
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column("metric", style="bold")
    table.add_column("value", justify="right")
    table.add_column("detail")
    rows = [("sent", fmt_int(result.sent), f"of {fmt_int(result.requested)} requested" if result.requested else "")]
    if result.confirm:
        rows += [
            ("confirmed", fmt_int(result.confirmed), ""),
            ("nacked", fmt_int(result.nacked), ""),
            ("returned", fmt_int(result.returned), "unroutable" if result.returned else ""),
            ("unconfirmed", fmt_int(result.unconfirmed), ""),
        ]
    else:
        rows.append(("confirmed", "-", "--no-confirm: the broker acknowledged nothing"))
    if result.consume:
        rows += [
            ("received", fmt_int(result.received), f"+{fmt_int(result.foreign)} from other runs" if result.foreign else ""),
        ]
        if result.ack_unsettled:
            rows.append(("ack unsettled", fmt_int(result.ack_unsettled),
                         "acked as the connection ended, unproven: each consumed or back in the queue"))
        rows.append(("lost", fmt_int(result.lost), ""))
    rows += [
        ("elapsed", f"{result.elapsed_s:,.3f} s", ""),
        ("rate", f"{result.rate:,.0f} msg/s", "confirmed" if result.confirm else "sent"),
    ]
    if result.confirm:
        rows.append(("confirm latency", "ms", latency_row(result.confirm_latency_ms)))
    if result.consume:
        rows.append(("end-to-end latency", "ms", latency_row(result.e2e_latency_ms)))
    if len(result.producers) > 1:
        for p in result.producers:
            done = p["confirmed"] if result.confirm else p["sent"]
            rows.append((f"producer {p['index']}", fmt_int(done), f"→ {p['queue'] or cfg.exchange}"))
    for queue, depth in (result.left_in_queues or {}).items():
        rows.append(("left in queue", fmt_int(depth), queue))
    for row in rows:
        table.add_row(*row)
    term.out.print(table)
