"""nginx config that gives every request a correlation ID and hands it to the app.

Three layouts of the same rules:

* ``site`` (default): http-context file for ``/etc/nginx/conf.d/`` on Debian/Ubuntu (map,
  log_format, upstream, server). No ``load_module``: Debian's ``modules-enabled`` loads lua.
* ``standalone``: a whole ``nginx.conf`` with every path relative to the prefix, runnable as
  ``nginx -p DIR -c nginx.conf`` (loads ndk + lua itself in lua mode).
* ``snippet``: only directives valid inside an existing ``server { }`` block.

The ID: a valid incoming header (1-128 of ``A-Za-z0-9._:-``) is kept, anything else is replaced
by ``$request_id`` (16 bytes from nginx's RAND_bytes, per request). The lua mode uses
``$request_id`` too: never ``math.random``, which nobody seeds and so repeats in every worker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from devkit.errors import InputError

MODES = ("map", "lua")
LAYOUTS = ("site", "standalone", "snippet")
LOG_FORMATS = ("combined", "json")
MAX_ID_LENGTH = 128
ID_CHARS = "A-Za-z0-9._:-"
DEFAULT_MODULES_DIR = "/usr/lib/nginx/modules"

_HEADER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}\Z")
_HOST_PORT = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):[0-9]{1,5}\Z")
_UNIX = re.compile(r"unix:/[^\s;{}'\"]+\Z")
_SAFE_WORD = re.compile(r"[^\s;{}'\"#$\\]+\Z")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,40}\Z")

# What Debian's /etc/nginx/uwsgi_params sets, inlined so the config does not depend on a file
# next to it (a standalone prefix has none).
UWSGI_PARAMS = (
    ("QUERY_STRING", "$query_string"),
    ("REQUEST_METHOD", "$request_method"),
    ("CONTENT_TYPE", "$content_type"),
    ("CONTENT_LENGTH", "$content_length"),
    ("REQUEST_URI", "$request_uri"),
    ("PATH_INFO", "$document_uri"),
    ("DOCUMENT_ROOT", "$document_root"),
    ("SERVER_PROTOCOL", "$server_protocol"),
    ("REQUEST_SCHEME", "$scheme"),
    ("HTTPS", "$https if_not_empty"),
    ("REMOTE_ADDR", "$remote_addr"),
    ("REMOTE_PORT", "$remote_port"),
    ("SERVER_PORT", "$server_port"),
    ("SERVER_NAME", "$server_name"),
)


@dataclass(frozen=True)
class NginxOptions:
    """Everything ``devkit gen nginx`` can vary; defaults give a ready Debian conf.d file."""

    header: str = "Correlation-Id"
    upstreams: tuple[str, ...] = ("127.0.0.1:8000",)
    listen: str = "80"
    server_name: str = "_"
    uwsgi: bool = False
    mode: str = "map"
    layout: str = "site"
    log_format: str = "combined"
    access_log: str | None = None
    name: str = "app"
    workers: str = "auto"
    modules_dir: str = DEFAULT_MODULES_DIR
    load_modules: bool = True

    @property
    def header_var(self) -> str:
        """nginx's variable for the incoming header: ``$http_correlation_id``."""
        return "$http_" + self.header.lower().replace("-", "_")

    @property
    def uwsgi_param(self) -> str:
        return "HTTP_" + self.header.upper().replace("-", "_")

    @property
    def log_format_name(self) -> str:
        return "correlation_json" if self.log_format == "json" else "correlation"


def validate(opts: NginxOptions) -> None:
    """Reject input that would produce a broken or injectable config, with a one-line reason."""
    if opts.mode not in MODES:
        raise InputError(f"--mode must be one of {', '.join(MODES)}, not {opts.mode!r}")
    if opts.layout not in LAYOUTS:
        raise InputError(f"layout must be one of {', '.join(LAYOUTS)}, not {opts.layout!r}")
    if opts.log_format not in LOG_FORMATS:
        raise InputError(f"--log-format must be one of {', '.join(LOG_FORMATS)}, not {opts.log_format!r}")
    if "_" in opts.header:
        raise InputError(
            f"header {opts.header!r}: nginx drops request headers with underscores by default; use hyphens"
        )
    if not _HEADER_NAME.match(opts.header):
        raise InputError(f"header {opts.header!r}: use letters, digits and hyphens only")
    if not opts.upstreams and opts.layout != "snippet":
        raise InputError("give at least one --upstream HOST:PORT")
    for up in opts.upstreams:
        if not (_HOST_PORT.match(up) or _UNIX.match(up)):
            raise InputError(f"--upstream {up!r}: expected HOST:PORT or unix:/path")
        if _HOST_PORT.match(up) and not 0 < int(up.rsplit(":", 1)[1]) < 65536:
            raise InputError(f"--upstream {up!r}: port out of range")
    for label, value in (("--listen", opts.listen), ("--server-name", opts.server_name)):
        if not all(_SAFE_WORD.match(part) for part in value.split()) or not value.strip():
            raise InputError(f"{label} {value!r}: no quotes, semicolons, braces or $ allowed")
    if opts.access_log is not None and not _SAFE_WORD.match(opts.access_log):
        raise InputError(f"--access-log {opts.access_log!r}: expected a path without spaces or quotes")
    if not _SAFE_WORD.match(opts.modules_dir):
        raise InputError(f"--modules-dir {opts.modules_dir!r}: expected a path without spaces or quotes")
    if not _NAME.match(opts.name):
        raise InputError(f"--name {opts.name!r}: letters, digits and underscores, starting with a letter")
    if opts.workers != "auto" and not (opts.workers.isdigit() and int(opts.workers) > 0):
        raise InputError(f"--workers {opts.workers!r}: a positive number or 'auto'")


def render_nginx(opts: NginxOptions) -> str:
    """The config text for *opts* (validated first)."""
    validate(opts)
    return _RENDERERS[opts.layout](opts)


# --- pieces -----------------------------------------------------------------------------------

def _id_regex(opts: NginxOptions) -> str:
    # \z, not $: PCRE's $ also matches before a trailing newline.
    return f"^[{ID_CHARS}]{{1,{MAX_ID_LENGTH}}}\\z"


def _header_comment(opts: NginxOptions, where: str) -> list[str]:
    if opts.mode == "lua":
        how = "set_by_lua_block using $request_id"
    elif opts.layout == "snippet":
        how = "set + if on $request_id, since a map cannot go in a server block"
    else:
        how = "map on $request_id"
    return [
        f"# Generated by `devkit gen nginx` ({where}, mode {opts.mode}: {how}).",
        f"# {opts.header}: a valid incoming ID (1-{MAX_ID_LENGTH} of {ID_CHARS}) is kept; a missing or",
        "# hostile one is replaced by nginx's $request_id (32 hex, random per request), so nobody",
        "# can inject into the logs through the header. The ID goes to the app, into the access",
        "# log and back to the caller.",
    ]


def _map_block(opts: NginxOptions) -> list[str]:
    return [
        f"map {opts.header_var} $correlation_id {{",
        "    default $request_id;",
        f'    "~{_id_regex(opts)}" {opts.header_var};',
        "}",
    ]


def _lua_block(opts: NginxOptions, indent: str) -> list[str]:
    var = opts.header_var[1:]
    lines = [
        "set_by_lua_block $correlation_id {",
        "    -- $request_id comes from RAND_bytes per request; never math.random here: nobody",
        "    -- seeds it, so every worker would hand out the same sequence of IDs.",
        f"    local incoming = ngx.var.{var}",
        f'    if incoming and #incoming <= {MAX_ID_LENGTH} and ngx.re.find(incoming, [[^[{ID_CHARS}]+\\z]], "jo") then',
        "        return incoming",
        "    end",
        "    return ngx.var.request_id",
        "}",
    ]
    return [indent + line for line in lines]


def _if_block(opts: NginxOptions, indent: str) -> list[str]:
    # Server-context replacement for the map (a snippet cannot add http-context directives).
    lines = [
        "set $correlation_id $request_id;",
        f'if ({opts.header_var} ~ "{_id_regex(opts)}") {{',
        f"    set $correlation_id {opts.header_var};",
        "}",
    ]
    return [indent + line for line in lines]


def _log_format(opts: NginxOptions) -> list[str]:
    """The access log with the ID, the request's duration and its end to the millisecond.

    ``$time_local`` / ``$time_iso8601`` are written when the request ends, in whole seconds;
    ``$msec`` (epoch seconds with milliseconds) makes the end exact, so with ``$request_time`` a
    waterfall can place the request at [msec - request_time, msec].
    """
    if opts.log_format == "json":
        fields = [
            ('"@timestamp"', '"$time_iso8601"'),
            ('"msec"', "$msec"),
            ('"service"', '"nginx"'),
            ('"correlation_id"', '"$correlation_id"'),
            ('"remote_addr"', '"$remote_addr"'),
            ('"method"', '"$request_method"'),
            ('"uri"', '"$request_uri"'),
            ('"protocol"', '"$server_protocol"'),
            ('"status"', "$status"),
            ('"body_bytes_sent"', "$body_bytes_sent"),
            ('"request_time"', "$request_time"),
            ('"upstream_addr"', '"$upstream_addr"'),
            ('"upstream_response_time"', '"$upstream_response_time"'),
            ('"http_referer"', '"$http_referer"'),
            ('"http_user_agent"', '"$http_user_agent"'),
            ('"message"', '"$request_method $request_uri $status"'),
        ]
        body = [f"    '{{{k}:{v},'" for k, v in fields[:1]]
        body += [f"    '{k}:{v},'" for k, v in fields[1:-1]]
        body.append(f"    '{fields[-1][0]}:{fields[-1][1]}}}';")
        return ["log_format correlation_json escape=json", *body]
    return [
        "log_format correlation '$remote_addr - $remote_user [$time_local] \"$request\" '",
        "    '$status $body_bytes_sent \"$http_referer\" \"$http_user_agent\" '",
        "    'corr=$correlation_id rt=$request_time msec=$msec';",
    ]


def _upstream(opts: NginxOptions) -> list[str]:
    lines = [f"upstream {opts.name}_upstream {{"]
    lines += [f"    server {up};" for up in opts.upstreams]
    if not opts.uwsgi:  # the uwsgi protocol has no keepalive
        lines.append("    keepalive 16;")
    lines.append("}")
    return lines


def _pass_id(opts: NginxOptions, indent: str) -> list[str]:
    """Hand the ID to the app and return it to the caller (replacing any the app sent)."""
    if opts.uwsgi:
        lines = [
            f"uwsgi_param {opts.uwsgi_param} $correlation_id;",
            f"uwsgi_hide_header {opts.header};",
        ]
    else:
        lines = [
            f"proxy_set_header {opts.header} $correlation_id;",
            f"proxy_hide_header {opts.header};",
        ]
    lines.append(f"add_header {opts.header} $correlation_id always;")
    return [indent + line for line in lines]


def _location(opts: NginxOptions, indent: str) -> list[str]:
    inner = indent + "    "
    lines = [f"{indent}location / {{"]
    if opts.uwsgi:
        lines += [f"{inner}uwsgi_param {name} {value};" for name, value in UWSGI_PARAMS]
        lines += _pass_id(opts, inner)
        lines.append(f"{inner}uwsgi_pass {opts.name}_upstream;")
    else:
        lines += [
            f"{inner}proxy_http_version 1.1;",
            f'{inner}proxy_set_header Connection "";',
            f"{inner}proxy_set_header Host $host;",
            f"{inner}proxy_set_header X-Real-IP $remote_addr;",
            f"{inner}proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
            f"{inner}proxy_set_header X-Forwarded-Proto $scheme;",
        ]
        lines += _pass_id(opts, inner)
        lines.append(f"{inner}proxy_pass http://{opts.name}_upstream;")
    lines.append(f"{indent}}}")
    return lines


def _server(opts: NginxOptions, access_log: str) -> list[str]:
    lines = [
        "server {",
        f"    listen {opts.listen};",
        f"    server_name {opts.server_name};",
        f"    access_log {access_log} {opts.log_format_name};",
    ]
    if opts.mode == "lua":
        lines += _lua_block(opts, "    ")
    lines += _location(opts, "    ")
    lines.append("}")
    return lines


def _http_body(opts: NginxOptions, access_log: str) -> list[str]:
    lines: list[str] = []
    if opts.mode == "map":
        lines += _map_block(opts) + [""]
    lines += _log_format(opts) + [""]
    lines += _upstream(opts) + [""]
    lines += _server(opts, access_log)
    return lines


# --- layouts ----------------------------------------------------------------------------------

def _render_site(opts: NginxOptions) -> str:
    lines = _header_comment(opts, "site file for the http context")
    lines += ["# Debian/Ubuntu: save as /etc/nginx/conf.d/correlation-id.conf, then nginx -t && nginx -s reload."]
    if opts.mode == "lua":
        lines += ["# Needs nginx-extras (or libnginx-mod-http-lua): its modules-enabled/ loads ndk + lua."]
    lines.append("")
    lines += _http_body(opts, opts.access_log or "/var/log/nginx/access.log")
    return "\n".join(lines) + "\n"


def _render_standalone(opts: NginxOptions) -> str:
    lines = _header_comment(opts, "standalone nginx.conf")
    lines += [
        "# Run: nginx -p DIR -c nginx.conf -e error.log  (relative paths below live in DIR).",
        "",
    ]
    if opts.mode == "lua" and opts.load_modules:
        lines += [
            f"load_module {opts.modules_dir}/ndk_http_module.so;",
            f"load_module {opts.modules_dir}/ngx_http_lua_module.so;",
        ]
    lines += [
        f"worker_processes {opts.workers};",
        "pid nginx.pid;",
        "error_log error.log;",
        "",
        "events {",
        "    worker_connections 1024;",
        "}",
        "",
        "http {",
        "    client_body_temp_path client_body_temp;",
        "    proxy_temp_path proxy_temp;",
        "    fastcgi_temp_path fastcgi_temp;",
        "    uwsgi_temp_path uwsgi_temp;",
        "    scgi_temp_path scgi_temp;",
        "",
    ]
    lines += ["    " + line if line else "" for line in _http_body(opts, opts.access_log or "access.log")]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _render_snippet(opts: NginxOptions) -> str:
    lines = _header_comment(opts, "snippet for an existing server block")
    lines += [
        "# Paste inside your server { } block. nginx ignores server-level proxy_set_header,",
        "# uwsgi_param and add_header in a location that sets any of its own (include uwsgi_params",
        "# counts): copy the three marked lines into such a location too.",
    ]
    if opts.mode == "lua":
        lines += ["# Needs nginx-extras (or libnginx-mod-http-lua) loaded in the main context."]
        lines += _lua_block(opts, "")
    else:
        lines += _if_block(opts, "")
    lines += ["# Pass the ID on and return it (copy these into locations with their own headers):"]
    lines += _pass_id(opts, "")
    fmt = _log_format(opts)
    lines += [
        "# Access log: add the ID to a log_format in the http context and use it here, e.g.",
        *("#   " + line for line in fmt),
        f"#   access_log /var/log/nginx/access.log {opts.log_format_name};",
    ]
    return "\n".join(lines) + "\n"


_RENDERERS = {"site": _render_site, "standalone": _render_standalone, "snippet": _render_snippet}
