"""``devkit load http``: parse options, run the library's HTTP load, render the summary."""

from __future__ import annotations

import json

import click

from devkit.cli.console import get_terminal
from devkit.cli.load.common import Duration, Size, fmt_int, latency_row
from devkit.cli.options import json_option


@click.command()
@click.argument("url")
@click.option("--count", "-n", type=int, default=None, help="Requests to send (default 100 unless --duration).")
@click.option("--duration", "-d", type=Duration(), default=None, help="Send for this long instead: 30s, 2m.")
@click.option("--rate", "-r", type=float, default=None, help="Requests per second in total (default: as fast as possible).")
@click.option("--concurrency", "-c", type=int, default=1, show_default=True, help="Parallel keep-alive sessions.")
@click.option("--method", "-X", default="GET", show_default=True, help="HTTP method.")
@click.option("--add-header", "-H", "extra_headers", multiple=True, metavar="'NAME: VALUE'",
              help="Extra request header (repeatable); setting the ID header fixes the ID for every request.")
@click.option("--data", default=None, help="Request body text.")
@click.option("--data-file", type=click.Path(dir_okay=False), default=None, help="Request body read from a file.")
@click.option("--header", "id_header", default="Correlation-Id", show_default=True,
              help="Header that carries the correlation ID out and back.")
@click.option("--id", "fixed_id", default=None, help="Send this ID on every request instead of a fresh one each.")
@click.option("--timeout", type=Duration(), default=10.0, show_default=True,
              help="Per-request timeout, the whole response included.")
@click.option("--max-body", type=Size(), default="1M", show_default=True,
              help="Read at most this much of each response body (as sent); the rest is dropped.")
@json_option
def http(url, count, duration, rate, concurrency, method, extra_headers, data, data_file, id_header, fixed_id,
         timeout, max_body, as_json) -> int:
    """Fire HTTP requests and check each correlation ID comes back.

    Every request gets a fresh ID (32 hex) in the --header header; the response must echo
    it. Exit 0 when every request got a < 400 answer with its own ID, 1 on any mismatch,
    missing ID, error status or failed request, 2 on bad options or when nothing answers.

    \b
    Examples:
      devkit load http http://127.0.0.1:8080/ -n 1000 --concurrency 8
      devkit load http http://127.0.0.1:8080/api -X POST --data '{"a": 1}' -H 'Content-Type: application/json'
      devkit load http http://127.0.0.1:8080/ --duration 10s --rate 200 --json
    """
    from pathlib import Path

    from devkit.errors import InputError
    from devkit.load import HttpLoadConfig, run_http_load

    if data is not None and data_file is not None:
        raise click.UsageError("use either --data or --data-file, not both")
    headers = {}
    for raw in extra_headers:
        name, sep, value = raw.partition(":")
        if not sep or not name.strip():
            raise InputError(f"-H {raw!r} is not 'Name: value'")
        headers[name.strip()] = value.strip()
    body = data.encode("utf-8") if data is not None else None
    if data_file is not None:
        try:
            body = Path(data_file).read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read --data-file {data_file}: {exc.strerror}") from None
    cfg = HttpLoadConfig(
        url=url,
        count=count if count is not None or duration is not None else 100,
        duration=duration,
        rate=rate,
        concurrency=concurrency,
        method=method.upper(),
        headers=headers,
        body=body,
        id_header=id_header,
        fixed_id=fixed_id,
        timeout=timeout,
        max_body=max_body,
    )
    cfg.validate()
    term = get_terminal()
    live = None
    update = None
    if term.progress_enabled:
        from rich.live import Live
        from rich.text import Text

        live = Live(Text("starting..."), console=term.err, transient=True, refresh_per_second=10)
        live.start()

        def update(p) -> None:
            target = f"/{p.target:,}" if p.target else ""
            live.update(Text(f"done {p.done:,}{target}  failed {p.errors:,}  id mismatches {p.mismatched:,}  "
                             f"{p.rate:,.0f} req/s  {p.elapsed_s:.1f}s"))
    try:
        result = run_http_load(cfg, update)
    finally:
        if live is not None:
            live.stop()
    if as_json:
        term.write(json.dumps(result.to_dict()) + "\n")
    else:
        _render(term, cfg, result)
    if result.fatal:
        term.error(f"the run stopped: {result.fatal}")
    elif result.connection_error:
        term.error(f"nothing answered at {cfg.safe_url}: {result.error_examples[0] if result.error_examples else 'no response'}")
    elif not result.ok:
        term.error(result.verdict)
    return result.exit_code


def _render(term, cfg, result) -> None:
    from rich.table import Table

    term.out.print(f"devkit load http → {cfg.method} {cfg.safe_url}", soft_wrap=True)
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column("metric", style="bold")
    table.add_column("value", justify="right")
    table.add_column("detail")
    status = "  ".join(f"{code}×{n:,}" for code, n in result.status_counts.items())
    rows = [
        ("sent", fmt_int(result.sent), f"of {fmt_int(result.requested)} requested" if result.requested else ""),
        ("completed", fmt_int(result.completed), status),
        ("failed", fmt_int(result.failed), result.error_examples[0] if result.error_examples else ""),
        (f"{cfg.id_header} ok", fmt_int(result.id_matched), "fixed ID" if cfg.fixed_id else "fresh ID per request"),
        ("id mismatched", fmt_int(result.id_mismatched), ""),
        ("id missing", fmt_int(result.id_missing), ""),
        ("elapsed", f"{result.elapsed_s:,.3f} s", ""),
        ("rate", f"{result.rate:,.1f} req/s", ""),
        ("latency", "ms", latency_row(result.latency_ms)),
    ]
    if result.bodies_capped:
        rows.append(("bodies capped", fmt_int(result.bodies_capped), f"read up to --max-body {cfg.max_body:,} bytes"))
    for row in rows:
        table.add_row(*row)
    term.out.print(table)
    for ex in result.mismatch_examples[:3]:
        term.out.print(f"example: status {ex['status']}, sent {ex['sent']}, got {ex['received']}", soft_wrap=True)
