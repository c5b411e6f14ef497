"""``devkit load celery``: parse options, run the library's load, render progress and report."""

from __future__ import annotations

import json

import click

from devkit.cli.console import get_terminal
from devkit.cli.load.common import Duration, fmt_int, fmt_ms
from devkit.cli.options import json_option
from devkit.cli.visible import visible, visible_line
from devkit.load.celery.config import (
    DEFAULT_BROKER,
    DEFAULT_CONTROL_EXCHANGE,
    DEFAULT_EVENTS_EXCHANGE,
    DEFAULT_QUEUE,
)
from devkit.secrets import mask_url_passwords



@click.command()
@click.argument("task_name", required=False, metavar="TASK_NAME")
@click.option("--args", "args_json", metavar="JSON", help="Positional arguments, a JSON list: '[2, 3]'.")
@click.option("--kwargs", "kwargs_json", metavar="JSON", help='Keyword arguments, a JSON object: \'{"x": 1}\'.')
@click.option("--broker", "-b", default=DEFAULT_BROKER, show_default=mask_url_passwords(DEFAULT_BROKER),
              envvar=["DEVKIT_CELERY_BROKER", "CELERY_BROKER_URL"],
              help="RabbitMQ URL as Celery writes it ('//' is vhost '/') [env var: DEVKIT_CELERY_BROKER, "
                   "CELERY_BROKER_URL]; the password is masked in all output.")
@click.option("--result-backend", metavar="URL", envvar="CELERY_RESULT_BACKEND",
              help="Also read task states from the workers' backend: rpc:// or file:///path. Custom states "
                   "(update_state) are only seen there [env var: CELERY_RESULT_BACKEND].")
@click.option("--count", "-n", type=int, default=None, help="Tasks to send in total.")
@click.option("--duration", "-d", type=Duration(), default=None, help="Send for this long instead: 30s, 2m.")
@click.option("--rate", "-r", type=float, default=None, help="Tasks per second in total (default: as fast as confirms allow).")
@click.option("--queue", "-Q", default=DEFAULT_QUEUE, show_default=True, help="Queue the workers consume (must exist unless --declare).")
@click.option("--routing-key", "-k", default=None, help="Routing key (default: the queue name).")
@click.option("--exchange", "-e", default="", help="Exchange to publish to (default: the default exchange, as Celery does).")
@click.option("--declare", is_flag=True, help="Declare the queue as Celery does if it is missing (tasks wait for workers).")
@click.option("--countdown", type=Duration(), default=None, help="Run each task this long after it is sent (ETA).")
@click.option("--eta", default=None, metavar="TIME", help="Run every task at this ISO 8601 time (no zone: local time).")
@click.option("--expires", default=None, metavar="SECONDS|TIME",
              help="Expire each task this long after it is sent (30s, 2m) or at an ISO 8601 time.")
@click.option("--priority", type=click.IntRange(0, 255), default=None, help="AMQP message priority.")
@click.option("--concurrency", "-c", type=int, default=1, show_default=True, help="Publisher connections.")
@click.option("--window", type=int, default=1000, show_default=True, help="Unconfirmed tasks in flight per publisher.")
@click.option("--wait", "-w", type=Duration(), default=60.0, show_default=True,
              help="After the last task is sent, wait at most this long for every task to end.")
@click.option("--events/--no-events", default=True, show_default=True,
              help="Track tasks by the workers' events (task-received, -started, -succeeded, ...).")
@click.option("--enable-events/--no-enable-events", default=True, show_default=True,
              help="Send the enable_events control command first (as Flower does); devkit switches events "
                   "back off afterwards on workers that had them off.")
@click.option("--events-exchange", default=DEFAULT_EVENTS_EXCHANGE, show_default=True, help="The app's event_exchange.")
@click.option("--control-exchange", default=DEFAULT_CONTROL_EXCHANGE, show_default=True,
              help="The app's control_exchange (commands go to NAME.pidbox).")
@click.option("--control-timeout", type=Duration(), default=1.0, show_default=True,
              help="How long to collect workers' replies to control commands.")
@click.option("--confirm-timeout", type=Duration(), default=30.0, show_default=True,
              help="Give up waiting for the broker's confirms after this long.")
@click.option("--run-id", default=None, metavar="HEX", help="First 12 hex digits of every task ID (default random).")
@click.option("--inspect", "inspect_only", is_flag=True,
              help="Only list the running workers: registered tasks and the queues they consume.")
@json_option
def celery(task_name, args_json, kwargs_json, broker, result_backend, count, duration, rate, queue, routing_key,
           exchange, declare, countdown, eta, expires, priority, concurrency, window, wait, events, enable_events,
           events_exchange, control_exchange, control_timeout, confirm_timeout, run_id, inspect_only,
           as_json) -> int:
    """Send real Celery tasks to your workers and account for every one.

    Each task is a protocol-2 message (what 'app.send_task' sends) with its own task ID, also
    its AMQP correlation_id, published with confirms. devkit follows each through the
    workers' events (it sends enable_events first and says so) and, with --result-backend,
    the backend; it needs neither celery nor your app. Exit 0 when every task reached
    SUCCESS, 1 when any failed, expired, was revoked or never finished, 2 on bad options or
    when the broker is unreachable or goes away (the report still has the exact counts).
    SIGINT/SIGTERM stop sending and print the report so far.

    \b
    Examples:
      devkit load celery --inspect
      devkit load celery tasks.add --args '[2, 3]' -n 10000
      devkit load celery tasks.add --args '[2, 3]' --duration 1m --rate 200 --result-backend rpc://
      devkit load celery tasks.report -n 500 --countdown 5s --expires 30s --json
    """
    term = get_terminal()
    if inspect_only:
        return _inspect(term, broker, control_exchange, control_timeout, as_json)
    from devkit.load.celery import CeleryLoadConfig, parse_json_arg, parse_when, run_celery_load

    if not task_name:
        raise click.UsageError("give the TASK_NAME to send (devkit load celery --inspect lists them)")
    cfg = CeleryLoadConfig(
        task=task_name, args=parse_json_arg(args_json, "--args", list),
        kwargs=parse_json_arg(kwargs_json, "--kwargs", dict), broker=broker, queue=queue, exchange=exchange,
        routing_key=routing_key, declare=declare, count=count, duration=duration, rate=rate,
        concurrency=concurrency, window=window, countdown=countdown,
        eta=parse_when(eta, "--eta") if eta else None, expires=_expires(expires), priority=priority,
        result_backend=result_backend, events=events, enable_events=enable_events,
        events_exchange=events_exchange, control_exchange=control_exchange, control_timeout=control_timeout,
        wait=wait, confirm_timeout=confirm_timeout,
    )
    if run_id:
        cfg.run_id = run_id
    cfg.validate()
    with _LiveProgress(term) as progress:
        result = run_celery_load(cfg, progress.update if progress else None)
    if as_json:
        term.write(json.dumps(result.to_dict()) + "\n")
    else:
        _render(term, result)
    for note in result.notes[progress.shown if progress else 0:]:
        term.info(note)
    for message in result.errors:
        term.error(message)
    if not result.ok and not result.errors:
        term.error(result.verdict)
    return result.exit_code


def _expires(text: str | None):
    from devkit.load.celery import parse_expires

    if text is None:
        return None
    try:
        return Duration().convert(text, None, None)
    except click.BadParameter:
        return parse_expires(text)


# ---- --inspect -------------------------------------------------------------------------------
def _inspect(term, broker, control_exchange, timeout, as_json) -> int:
    from devkit.load.celery import inspect_workers

    workers = inspect_workers(broker, control_exchange, timeout)
    if as_json:
        term.write(json.dumps({"broker": mask_url_passwords(broker), "workers": [w.to_dict() for w in workers]}) + "\n")
    else:
        for worker in workers:
            term.out.print(visible_line(worker.hostname), style="bold", soft_wrap=True)
            for q in worker.queues:
                term.out.print(f"  queue {visible_line(q['name'])}  (exchange {visible_line(q['exchange'])!r} "
                               f"{visible_line(q['exchange_type'])}, key {visible_line(q['routing_key'])!r})",
                               soft_wrap=True)
            term.out.print(f"  {len(worker.registered)} registered tasks:", soft_wrap=True)
            for name in worker.registered:
                term.out.print(f"    {visible_line(name)}", soft_wrap=True)
    if not workers:
        term.error(f"no Celery worker answered on {control_exchange}.pidbox at {mask_url_passwords(broker)} "
                   f"within {timeout:g}s")
        return 1
    return 0


# ---- progress and report ---------------------------------------------------------------------
class _LiveProgress:
    """A one-line live status on stderr, only when a person watches it."""

    def __init__(self, term) -> None:
        self.term = term
        self.live = None
        self.shown = 0  # notes already printed

    def __enter__(self):
        if not self.term.progress_enabled:
            return None
        from rich.live import Live
        from rich.text import Text

        self.text = Text
        self.live = Live(Text("connecting..."), console=self.term.err, transient=True, refresh_per_second=10)
        self.live.start()
        return self

    def update(self, p) -> None:
        for note in p.notes[self.shown:]:
            self.term.info(note)
        self.shown = len(p.notes)
        parts = [p.phase, f"sent {p.sent:,}", f"confirmed {p.confirmed:,}", f"received {p.received:,}",
                 f"started {p.started:,}", f"succeeded {p.succeeded:,}", f"failed {p.failed:,}"]
        if p.target:
            parts.append(f"{100.0 * p.finished / p.target:.0f}% done")
        parts.append(f"{p.elapsed_s:.1f}s" + (f"/{p.duration:g}s" if p.duration and p.phase == "publishing" else ""))
        if p.wait_left_s is not None:
            parts.append(f"waiting ≤{p.wait_left_s:.0f}s more")
        self.live.update(self.text("  ".join(parts)))

    def __exit__(self, *exc) -> None:
        if self.live is not None:
            self.live.stop()


def _rows(r) -> list[tuple[str, str, str]]:
    requested = f"of {fmt_int(r.requested)} requested" if r.requested else ""
    rows = [("sent", fmt_int(r.sent), requested), ("confirmed", fmt_int(r.confirmed), "by the broker")]
    for name in ("nacked", "returned", "unconfirmed"):
        if getattr(r, name):
            rows.append((name, fmt_int(getattr(r, name)), "unroutable" if name == "returned" else ""))
    rows += [
        ("received", fmt_int(r.received), "by a worker" if r.received is not None else "not observable without events"),
        ("started", fmt_int(r.started), ""),
        ("succeeded", fmt_int(r.succeeded), ""),
        ("failed", fmt_int(r.failed), ", ".join(f"{visible_line(k)} {v['count']:,}" for k, v in r.failures.items())),
        ("retried", fmt_int(r.retried), f"{r.retries:,} retries" if r.retried else ""),
        ("revoked", fmt_int(r.revoked), ""),
        ("expired", fmt_int(r.expired), ""),
    ]
    if r.rejected:
        rows.append(("rejected", fmt_int(r.rejected), ""))
    if r.custom_states:
        rows.append(("custom states", fmt_int(sum(r.custom_states.values())),
                     ", ".join(f"{visible_line(k)} {v:,}" for k, v in r.custom_states.items())))
    rows.append(("unfinished", fmt_int(r.unfinished), ", ".join(f"{visible_line(k)} {v:,}" for k, v in r.unfinished_by_state.items())))
    if r.redelivered or r.ran_again:
        rows.append(("redelivered", fmt_int(r.redelivered), f"{r.ran_again:,} ran again" if r.ran_again else ""))
    rows += [
        ("publish rate", f"{r.rate:,.0f} tasks/s", f"confirmed in {r.elapsed_s:,.3f} s"),
        ("completed rate", f"{r.completed_rate:,.0f} tasks/s", f"first sent to last done: {r.tracked_s:,.3f} s"),
    ]
    return rows


_LATENCIES = (("confirm", "confirm_latency_ms"), ("queue wait", "queue_wait_ms"), ("run time", "run_time_ms"),
              ("end-to-end", "e2e_latency_ms"))
_WORKER_COLUMNS = ("received", "succeeded", "failed", "retried", "revoked", "expired", "rejected")


def _table(*columns: str, header: bool = False):
    from rich.table import Table

    table = Table(show_header=header, box=None, pad_edge=False, header_style="bold")
    for k, name in enumerate(columns):
        table.add_column(name, style="bold" if k == 0 else None, justify="left" if k == 0 or name == "" else "right")
    return table


def _render(term, r) -> None:
    term.out.print(f"devkit load celery {visible_line(r.task)} → {visible_line(r.queue)} ({r.broker})", soft_wrap=True)
    counts = _table("metric", "value", "")
    for row in _rows(r):
        counts.add_row(*row)
    term.out.print(counts)
    latency = _table("latency (ms)", "p50", "p95", "p99", "max", header=True)
    for label, key in _LATENCIES:
        stats = getattr(r, key) or {}
        latency.add_row(label, *(fmt_ms(stats.get(p)) for p in ("p50", "p95", "p99", "max")))
    term.out.print(latency)
    if r.workers:
        used = [c for c in _WORKER_COLUMNS if any(w.get(c) for w in r.workers.values()) or c in _WORKER_COLUMNS[:3]]
        workers = _table("worker", *used, header=True)
        for host, worker_counts in r.workers.items():
            workers.add_row(visible_line(host), *(fmt_int(worker_counts.get(c, 0)) for c in used))
        term.out.print(workers)
    for kind, failure in list(r.failures.items())[:1]:
        term.out.print(f"example {visible_line(kind)}: task {failure['task_id']}: {visible_line(failure['exception'])}",
                       soft_wrap=True)
        if failure.get("traceback"):
            for line in visible(failure["traceback"]).rstrip("\n").splitlines():
                term.out.print("    " + line, soft_wrap=True)
