"""``devkit gen nginx``: parse options, render the config, optionally ``nginx -t`` it, write it."""

from __future__ import annotations

import click

from devkit.cli.console import get_terminal
from devkit.cli.gen.common import emit, output_option
from devkit.gen.nginx import (
    DEFAULT_MODULES_DIR,
    LOG_FORMATS,
    MODES,
    NginxOptions,
    render_nginx,
)


@click.command()
@click.option("--header", default="Correlation-Id", show_default=True, help="Request/response header that carries the ID.")
@click.option("--upstream", "upstreams", multiple=True, metavar="HOST:PORT",
              help="App server (repeatable; unix:/path works too). Default 127.0.0.1:8000.")
@click.option("--listen", default="80", show_default=True, help="nginx listen address: 80, 127.0.0.1:8080, '443 ssl'.")
@click.option("--server-name", default="_", show_default=True, help="server_name value.")
@click.option("--uwsgi", is_flag=True, help="uwsgi_pass and uwsgi_param HTTP_CORRELATION_ID instead of proxy_pass/proxy_set_header.")
@click.option("--mode", type=click.Choice(MODES), default="map", show_default=True,
              help="map: a map on $request_id; lua: set_by_lua_block (nginx-extras), also on $request_id.")
@click.option("--snippet", is_flag=True, help="Only the directives to paste into an existing server block.")
@click.option("--standalone", is_flag=True, help="A whole nginx.conf for `nginx -p DIR -c nginx.conf` (paths relative to DIR).")
@click.option("--log-format", type=click.Choice(LOG_FORMATS), default="combined", show_default=True,
              help="Access log: combined plus corr=ID rt=SECONDS, or one JSON object per line (escape=json).")
@click.option("--access-log", default=None, metavar="PATH",
              help="Access log path (default /var/log/nginx/access.log; access.log in the prefix with --standalone).")
@click.option("--name", default="app", show_default=True, help="Upstream name prefix (<name>_upstream).")
@click.option("--workers", default="auto", show_default=True, help="worker_processes, with --standalone.")
@click.option("--modules-dir", default=DEFAULT_MODULES_DIR, show_default=True,
              help="Where ndk_http_module.so and ngx_http_lua_module.so are (lua mode with --standalone).")
@click.option("--no-load-module", "no_load_module", is_flag=True,
              help="With --standalone --mode lua: no load_module lines (lua compiled in, e.g. OpenResty).")
@click.option("--check", is_flag=True, help="Run `nginx -t` on the result (in a temporary prefix) before writing it.")
@output_option
def nginx(header, upstreams, listen, server_name, uwsgi, mode, snippet, standalone, log_format, access_log,
          name, workers, modules_dir, no_load_module, check, output) -> int:
    """Write nginx config that gives every request a correlation ID and passes it on.

    A valid incoming ID (1-128 of A-Za-z0-9._:-) is kept; a missing or hostile one is replaced by
    $request_id. The ID goes to the app, into the access log and back in the response. Exit 1
    when --check finds the config invalid, 2 on bad options.

    \b
    Examples:
      devkit gen nginx --upstream 127.0.0.1:8000 -o /etc/nginx/conf.d/correlation-id.conf --check
      devkit gen nginx --mode lua --uwsgi --upstream 127.0.0.1:3031
      devkit gen nginx --snippet
      devkit gen nginx --standalone --listen 127.0.0.1:8080 --log-format json -o nginx.conf
    """
    from devkit.errors import InputError
    from devkit.gen.nginx_check import check_nginx

    if snippet and standalone:
        raise InputError("--snippet and --standalone exclude each other")
    opts = NginxOptions(
        header=header,
        upstreams=tuple(upstreams) or ("127.0.0.1:8000",),
        listen=listen,
        server_name=server_name,
        uwsgi=uwsgi,
        mode=mode,
        layout="snippet" if snippet else "standalone" if standalone else "site",
        log_format=log_format,
        access_log=access_log,
        name=name,
        workers=workers,
        modules_dir=modules_dir,
        load_modules=not no_load_module,
    )
    text = render_nginx(opts)
    if check:
        result = check_nginx(text, opts)
        if result.ran:
            get_terminal().info(f"nginx -t: ok ({result.nginx})")
        else:
            get_terminal().warning("--check skipped: nginx is not installed (apt-get install nginx-extras)")
    emit(text, output)
    return 0
