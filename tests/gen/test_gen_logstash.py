"""`devkit gen logstash`: parsed with a Logstash config grammar (lscl), grok checked with pygrok.

Logstash itself is not run (no JVM here); the grammar and the grok patterns are what is checked.
"""

from __future__ import annotations

import json
import logging

import pytest
from click.testing import CliRunner
from lscl.lang import LsclAttribute, LsclBlock, LsclConditions, LsclMatch
from lscl.parser import parse_lscl
from pygrok import Grok

from devkit.cli import cli
from devkit.correlation import JsonFormatter

# The plugins a clean pipeline may use; the seed's do-nothing ones (gelf, heartbeat, ruby,
# stdout rubydebug) and the syslog input that tagged everything _grokparsefailure are not here.
ALLOWED = {"input": {"tcp", "udp"}, "filter": {"grok", "json", "date"}, "output": {"elasticsearch"}}


def generate(*args: str) -> str:
    result = CliRunner().invoke(cli, ["gen", "logstash", *args])
    assert result.exit_code == 0, result.output
    return result.output


def attrs(block: LsclBlock) -> dict:
    return {item.name: item.content for item in block.content if isinstance(item, LsclAttribute)}


def walk(content, section=None):
    """Yield (section, block) for every plugin block, descending into conditionals."""
    for item in content:
        if isinstance(item, LsclBlock):
            if section is None:
                yield from walk(item.content, item.name)
            else:
                yield section, item
        elif isinstance(item, LsclConditions):
            for _cond, body in item.conditions:
                yield from walk(body, section)
            if item.default:
                yield from walk(item.default, section)


def conditions(content):
    for item in content:
        if isinstance(item, LsclBlock):
            yield from conditions(item.content)
        elif isinstance(item, LsclConditions):
            for cond, body in item.conditions:
                yield cond
                yield from conditions(body)


def test_default_pipeline_json_over_tcp_and_udp_to_elasticsearch():
    tree = parse_lscl(generate())
    plugins = list(walk(tree))
    assert [(s, b.name) for s, b in plugins] == [("input", "tcp"), ("input", "udp"), ("output", "elasticsearch")]
    tcp, udp, es = (b for _s, b in plugins)
    assert attrs(tcp) == {"port": 5145, "codec": "json_lines"}
    assert attrs(udp) == {"port": 5145, "codec": "json"}
    assert attrs(es) == {"hosts": ["http://elasticsearch:9200"], "index": "services-%{+YYYY.MM.dd}"}


def test_options_reach_the_pipeline():
    text = generate("--port", "6000", "--es-hosts", "http://es1:9200,http://es2:9200", "--es-hosts", "https://es3:9243",
                    "--index", "app-%{+YYYY.MM}", "--es-user", "shipper")
    plugins = dict((b.name, attrs(b)) for _s, b in walk(parse_lscl(text)))
    assert plugins["tcp"]["port"] == 6000 and plugins["udp"]["port"] == 6000
    assert plugins["elasticsearch"] == {
        "hosts": ["http://es1:9200", "http://es2:9200", "https://es3:9243"],
        "index": "app-%{+YYYY.MM}",
        "user": "shipper",
        "password": "${ES_PASSWORD}",
    }


def test_only_plugins_that_do_something():
    tree = parse_lscl(generate("--syslog"))
    used = {(section, block.name) for section, block in walk(tree)}
    for section, name in used:
        assert name in ALLOWED[section], (section, name)
    assert ("filter", "grok") in used and ("filter", "json") in used


LOGSPOUT = [
    # (line, expected fields)
    ("<14>1 2017-03-01T12:00:01Z 3c9a3e1b2f0d /web-app 4242 - - Traceback (most recent call last):",
     {"syslog_pri": "14", "syslog_timestamp": "2017-03-01T12:00:01Z", "syslog_hostname": "3c9a3e1b2f0d",
      "container_name": "web-app", "syslog_procid": "4242", "message": "Traceback (most recent call last):"}),
    ('<11>1 2017-03-01T12:00:02.250+01:00 3c9a3e1b2f0d gate 17 - -   File "/code/gate/app.py", line 12, in f',
     {"syslog_pri": "11", "syslog_timestamp": "2017-03-01T12:00:02.250+01:00", "container_name": "gate",
      "message": '  File "/code/gate/app.py", line 12, in f'}),
    ('<14>1 2017-03-01T12:00:03Z host1 worker 9 ID47 [origin ip="10.0.0.1"] started',
     {"syslog_msgid": "ID47", "syslog_sd": '[origin ip="10.0.0.1"]', "container_name": "worker", "message": "started"}),
    ("<14>1 - - - - - - bare", {"syslog_timestamp": None, "container_name": None, "message": "bare"}),
]


def grok_patterns(tree) -> list[str]:
    patterns = []
    for _section, block in walk(tree):
        if block.name == "grok":
            match = attrs(block)["match"]
            for value in match.values():
                patterns += value if isinstance(value, list) else [value]
    return patterns


@pytest.mark.parametrize("line,expected", LOGSPOUT)
def test_grok_parses_logspout_rfc5424_lines(line, expected):
    [pattern] = grok_patterns(parse_lscl(generate("--syslog")))
    got = Grok(pattern).match(line)
    assert got is not None, line
    for key, value in expected.items():
        assert got[key] == value, (key, got)


def test_grok_refuses_lines_that_are_not_rfc5424():
    [pattern] = grok_patterns(parse_lscl(generate("--syslog")))
    grok = Grok(pattern)
    assert grok.match("<14>Mar  1 12:00:01 host tag[1]: rfc3164 line") is None
    assert grok.match("plain text") is None


def test_json_inside_the_message_is_opened():
    """A logspout line carrying devkit.correlation's JSON: grok, then the pipeline's json condition."""
    tree = parse_lscl(generate("--syslog"))
    [pattern] = grok_patterns(tree)
    [json_test] = [c for c in conditions(tree) if isinstance(c, LsclMatch)]
    try:
        1 / 0
    except ZeroDivisionError:
        import sys

        record = logging.LogRecord("gate", logging.ERROR, __file__, 1, "boom", None, sys.exc_info())
    record.correlation_id = "req-5"
    payload = JsonFormatter(service="gate").format(record)
    got = Grok(pattern).match(f"<11>1 2017-03-01T12:00:01Z 3c9a3e1b2f0d gate 42 - - {payload}")
    assert json_test.pattern.search(got["message"])
    opened = json.loads(got["message"])
    assert opened["correlation_id"] == "req-5" and "ZeroDivisionError" in opened["exception"]
    assert not json_test.pattern.search("  File \"x.py\", line 1, in f")


def test_credentials_in_hosts_are_refused_and_masked():
    result = CliRunner().invoke(cli, ["gen", "logstash", "--es-hosts", "http://elastic:s3cret@es:9200"])
    assert result.exit_code == 2
    assert "s3cret" not in result.output and "***" in result.output


@pytest.mark.parametrize("args", [["--port", "0"], ["--syslog", "--syslog-port", "5145"], ["--index", 'a"b'],
                                  ["--index", "UPPER"]])
def test_bad_options_exit_2(args):
    result = CliRunner().invoke(cli, ["gen", "logstash", *args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
