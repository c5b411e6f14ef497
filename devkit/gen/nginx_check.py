"""``nginx -t`` on a generated config, in a throwaway prefix so nothing on the system changes.

A site file is included in a minimal main config (plus ``load_module`` for lua when the module
files exist, as Debian's modules-enabled would do); a snippet is wrapped in a server block.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from devkit.errors import CheckFailed, ServiceError
from devkit.gen.nginx import NginxOptions


@dataclass(frozen=True)
class NginxCheck:
    """What ``nginx -t`` said: *ran* is False when no nginx binary was found."""

    ran: bool
    ok: bool
    output: str
    nginx: str | None = None


def find_nginx() -> str | None:
    """The nginx binary: ``$DEVKIT_NGINX``, then PATH, then Debian's /usr/sbin/nginx."""
    explicit = os.environ.get("DEVKIT_NGINX")
    if explicit:
        return explicit
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


def wrap_for_test(text: str, opts: NginxOptions) -> str:
    """A main config that holds *text* the way its layout expects to be used."""
    if opts.layout == "standalone":
        return text
    head = []
    if opts.mode == "lua" and opts.load_modules:
        for module in ("ndk_http_module.so", "ngx_http_lua_module.so"):
            path = Path(opts.modules_dir) / module
            if path.exists():
                head.append(f"load_module {path};")
    head += ["pid nginx.pid;", "error_log error.log;", "events { }", "http {"]
    head += ["    client_body_temp_path client_body_temp;", "    proxy_temp_path proxy_temp;"]
    head += ["    uwsgi_temp_path uwsgi_temp;", "    fastcgi_temp_path fastcgi_temp;", "    scgi_temp_path scgi_temp;"]
    if opts.layout == "site":
        body = ["    include generated.conf;"]
    else:
        body = [
            "    server {",
            "        listen 127.0.0.1:8;",
            "        include generated.conf;",
            "        location / { proxy_pass http://127.0.0.1:9; }",
            "    }",
        ]
    return "\n".join(head + body + ["}"]) + "\n"


def check_nginx(text: str, opts: NginxOptions, nginx: str | None = None, timeout: float = 30.0) -> NginxCheck:
    """Run ``nginx -t`` on *text*; raises CheckFailed with nginx's complaint when it is invalid."""
    binary = nginx or find_nginx()
    if binary is None:
        return NginxCheck(ran=False, ok=False, output="nginx is not installed", nginx=None)
    with tempfile.TemporaryDirectory(prefix="devkit-nginx-t-") as tmp:
        prefix = Path(tmp)
        main = prefix / "nginx.conf"
        if opts.layout == "standalone":
            main.write_text(text)
        else:
            (prefix / "generated.conf").write_text(text)
            main.write_text(wrap_for_test(text, opts))
        cmd = [binary, "-t", "-p", str(prefix), "-c", str(main), "-e", str(prefix / "error.log")]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except OSError as exc:
            raise ServiceError(f"cannot run {binary}: {exc.strerror or exc}") from None
        except subprocess.TimeoutExpired:
            raise ServiceError(f"{binary} -t did not finish within {timeout:g} s") from None
        output = (proc.stdout + proc.stderr).replace(str(prefix) + "/", "")
    if proc.returncode != 0:
        first = next((line for line in output.splitlines() if "[emerg]" in line), output.strip())
        raise CheckFailed(f"nginx -t rejected the generated config: {first.strip()}")
    return NginxCheck(ran=True, ok=True, output=output.strip(), nginx=binary)
