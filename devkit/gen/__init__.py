"""Configs that work together: nginx hands out correlation IDs, Python logs them as JSON,
Logstash ships them to Elasticsearch. Each generator returns text; nothing here prints."""

from __future__ import annotations

from devkit.gen.logconfig import LoggingOptions, render_logging
from devkit.gen.logstash import LogstashOptions, render_logstash
from devkit.gen.nginx import NginxOptions, render_nginx
from devkit.gen.nginx_check import NginxCheck, check_nginx
from devkit.gen.output import write_config

__all__ = [
    "LoggingOptions",
    "LogstashOptions",
    "NginxCheck",
    "NginxOptions",
    "check_nginx",
    "render_logging",
    "render_logstash",
    "render_nginx",
    "write_config",
]
