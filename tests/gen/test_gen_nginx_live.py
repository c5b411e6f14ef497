"""The generated nginx config, run by a real nginx (Debian nginx-extras) in a temporary prefix."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from gen_harness import HEX32, free_port
from services import missing_service

from devkit.cli import cli

pytestmark = pytest.mark.service

MODES = ["map", "lua"]

HOSTILE = [
    'abc" injected="1',
    "<script>alert(1)</script>",
    "abc def",
    "abc;rm -rf /",
    "x" * 129,  # one over the bound
    "a" * 4000,  # fits nginx's default header buffers, far over the bound
    "ünïcode",
]


def generate(*args: str) -> str:
    result = CliRunner().invoke(cli, ["gen", "nginx", *args])
    assert result.exit_code == 0, result.output
    return result.output


def standalone(mode: str, upstream: str, port: int, *extra: str) -> str:
    return generate("--standalone", "--mode", mode, "--upstream", upstream, "--listen", f"127.0.0.1:{port}",
                    "--workers", "2", *extra)


def response_ids(headers: list) -> list[str]:
    return [v for k, v in headers if k.lower() == "correlation-id"]


def upstream_ids(echo: dict) -> list[str]:
    return [v for k, v in echo["headers"] if k.lower() == "correlation-id"]


@pytest.mark.parametrize("mode", MODES)
def test_generated_valid_kept_hostile_replaced(mode, echo_upstream, nginx_runner):
    port = free_port()
    ngx = nginx_runner(standalone(mode, echo_upstream.address, port), port)

    # No header: nginx makes one (32 hex of $request_id), the app and the caller both get it.
    status, echo, headers, _ = ngx.get()
    assert status == 200
    [sent] = upstream_ids(echo)
    assert re.fullmatch(HEX32, sent)
    assert response_ids(headers) == [sent]  # the app's own "from-upstream" header is replaced

    # A valid incoming ID is kept as is.
    for valid in ("req-38101a0b-1c2d", "4bf92f3577b34da6a3ce929d0e0e4736", "svc.gate:42_x", "x" * 128):
        status, echo, headers, _ = ngx.get(headers={"Correlation-Id": valid})
        assert status == 200
        assert upstream_ids(echo) == [valid]
        assert response_ids(headers) == [valid]

    # A hostile one is replaced by a fresh ID, never passed on.
    fresh = set()
    for bad in HOSTILE:
        status, echo, headers, _ = ngx.get(headers={"Correlation-Id": bad.encode("utf-8").decode("latin-1")})
        assert status == 200, bad
        [sent] = upstream_ids(echo)
        assert re.fullmatch(HEX32, sent), (bad, sent)
        assert response_ids(headers) == [sent]
        fresh.add(sent)
    assert len(fresh) == len(HOSTILE)

    # Every request left one access-log line holding the ID it was given, and nothing hostile.
    lines = ngx.log_lines(expect=1 + 4 + len(HOSTILE))
    assert len(lines) == 1 + 4 + len(HOSTILE)
    text = "\n".join(lines)
    assert "<script>" not in text and 'injected="1' not in text and "x" * 129 not in text
    for cid in fresh | {"req-38101a0b-1c2d", "x" * 128}:
        assert sum(f"corr={cid} " in line for line in lines) == 1, cid


@pytest.mark.parametrize("mode", MODES)
def test_folded_or_broken_header_lines_cannot_inject(mode, echo_upstream, nginx_runner):
    """Newlines cannot ride in a header value: nginx ends the value there or refuses the request."""
    port = free_port()
    ngx = nginx_runner(standalone(mode, echo_upstream.address, port), port)
    folded = (b"GET /folded HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
              b"Correlation-Id: abc\r\n fake-line corr=evil\r\n\r\n")
    bare_cr = b"GET /cr HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCorrelation-Id: abc\rcorr=evil\r\n\r\n"
    for request in (folded, bare_cr):
        response = ngx.raw(request)
        assert b"evil" not in response
    assert all("evil" not in line and "fake-line" not in line for line in ngx.log_lines(expect=2))
    assert all("evil" not in v and "\n" not in v for seen in echo_upstream.seen for v in seen.values())


@pytest.mark.parametrize("mode", MODES)
def test_10kb_header_is_refused_by_default_buffers(mode, echo_upstream, nginx_runner):
    port = free_port()
    ngx = nginx_runner(standalone(mode, echo_upstream.address, port), port)
    status, _, _, _ = ngx.get(headers={"Correlation-Id": "a" * 10240})
    assert status == 400  # larger than large_client_header_buffers: nginx answers itself
    assert echo_upstream.seen == []
    [line] = ngx.log_lines()
    assert "a" * 200 not in line


@pytest.mark.parametrize("mode", MODES)
def test_two_workers_200_requests_200_distinct_ids(mode, echo_upstream, nginx_runner):
    port = free_port()
    conf = standalone(mode, echo_upstream.address, port)
    # Test instrumentation: reuseport spreads connections over both workers and X-Worker says who
    # answered, so the test proves both workers minted IDs.
    conf = conf.replace(f"listen 127.0.0.1:{port};", f"listen 127.0.0.1:{port} reuseport;")
    conf = conf.replace("add_header Correlation-Id $correlation_id always;",
                        "add_header Correlation-Id $correlation_id always;\n            add_header X-Worker $pid always;")
    ngx = nginx_runner(conf, port)
    ids, workers = [], set()
    for _ in range(200):
        status, echo, headers, _ = ngx.get()
        assert status == 200
        [cid] = response_ids(headers)
        assert upstream_ids(echo) == [cid]
        ids.append(cid)
        workers.update(v for k, v in headers if k.lower() == "x-worker")
    assert len(workers) == 2, workers
    assert len(set(ids)) == 200
    logged = [m.group(1) for line in ngx.log_lines(expect=200) if (m := re.search(r" corr=(\S+) ", line))]
    assert sorted(logged) == sorted(ids)


def test_distinctness_check_catches_the_seeds_unseeded_math_random(echo_upstream, nginx_runner):
    """The same harness on the seed's Lua (math.random, never seeded) sees repeated IDs."""
    port = free_port()
    conf = standalone("lua", echo_upstream.address, port)
    seed_lua = (
        "set_by_lua $correlation_id '\n"
        "            if (ngx.var.http_correlation_id == nil or ngx.var.http_correlation_id == \"\") then\n"
        "                return string.format(\"%010d\", math.random(0, 10000000000))\n"
        "            else\n"
        "                return ngx.var.http_correlation_id\n"
        "            end\n"
        "        ';"
    )
    conf = re.sub(r"set_by_lua_block \$correlation_id \{.*?\n        \}", lambda _: seed_lua, conf, flags=re.S)
    assert "math.random" in conf
    conf = conf.replace(f"listen 127.0.0.1:{port};", f"listen 127.0.0.1:{port} reuseport;")
    ngx = nginx_runner(conf, port)
    ids = [response_ids(ngx.get()[2])[0] for _ in range(200)]
    assert len(set(ids)) < 200


@pytest.mark.parametrize("mode", MODES)
def test_json_access_log_holds_the_id(mode, echo_upstream, nginx_runner):
    port = free_port()
    ngx = nginx_runner(standalone(mode, echo_upstream.address, port, "--log-format", "json"), port)
    _, _, headers, _ = ngx.get("/a?b=1", headers={"Correlation-Id": "trace-1"})
    _, _, headers2, _ = ngx.get("/c", headers={"Correlation-Id": 'ev"il\\'})
    [fresh] = response_ids(headers2)
    records = [json.loads(line) for line in ngx.log_lines(expect=2)]
    assert [r["correlation_id"] for r in records] == ["trace-1", fresh]
    assert records[0]["uri"] == "/a?b=1" and records[0]["status"] == 200
    assert records[0]["upstream_addr"] == echo_upstream.address


@pytest.mark.parametrize("mode", MODES)
def test_snippet_inside_an_existing_server_block(mode, echo_upstream, nginx_runner, tmp_path):
    """The snippet pasted into someone's server block, with buffers big enough for a 10 KB header."""
    port = free_port()
    snippet = generate("--snippet", "--mode", mode)
    load = ""
    if mode == "lua":
        load = ("load_module /usr/lib/nginx/modules/ndk_http_module.so;\n"
                "load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;\n")
    indented = "\n".join("        " + line for line in snippet.splitlines())
    conf = f"""{load}pid nginx.pid;
error_log error.log;
events {{ }}
http {{
    client_body_temp_path client_body_temp;
    proxy_temp_path proxy_temp;
    large_client_header_buffers 4 32k;
    log_format withid '$remote_addr "$request" $status corr=$correlation_id';
    server {{
        listen 127.0.0.1:{port};
        access_log access.log withid;
{indented}
        location / {{
            proxy_pass http://{echo_upstream.address};
        }}
    }}
}}
"""
    ngx = nginx_runner(conf, port)
    status, echo, headers, _ = ngx.get()
    assert status == 200 and re.fullmatch(HEX32, upstream_ids(echo)[0])
    assert response_ids(headers) == upstream_ids(echo)
    status, echo, headers, _ = ngx.get(headers={"Correlation-Id": "keep-me-1"})
    assert upstream_ids(echo) == ["keep-me-1"] and response_ids(headers) == ["keep-me-1"]
    status, echo, headers, _ = ngx.get(headers={"Correlation-Id": "a" * 10240})
    assert status == 200
    [sent] = upstream_ids(echo)
    assert re.fullmatch(HEX32, sent) and response_ids(headers) == [sent]
    lines = ngx.log_lines(expect=3)
    assert len(lines) == 3 and f"corr={sent}" in lines[2] and "a" * 200 not in lines[2]


@pytest.mark.parametrize("mode", MODES)
def test_site_file_inside_debian_nginx_conf(mode, nginx_bin, tmp_path):
    """The default output dropped into a copy of Debian's /etc/nginx (with its modules-enabled)."""
    import shutil
    import subprocess

    etc = tmp_path / "etc-nginx"
    if not (shutil.os.path.exists("/etc/nginx/nginx.conf")):
        missing_service("no Debian /etc/nginx here (apt-get install nginx-extras)")
    shutil.copytree("/etc/nginx", etc, symlinks=True)
    main = (etc / "nginx.conf").read_text().replace("/etc/nginx/", f"{etc}/")
    main = main.replace("include " + f"{etc}/sites-enabled/*;", "")  # default site listens on :80
    (etc / "nginx.conf").write_text(main)
    site = generate("--mode", mode, "--upstream", "127.0.0.1:8000", "--access-log", str(tmp_path / "access.log"))
    (etc / "conf.d" / "correlation-id.conf").write_text(site)
    proc = subprocess.run([nginx_bin, "-t", "-c", str(etc / "nginx.conf"), "-e", str(tmp_path / "error.log")],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert "test is successful" in proc.stderr
