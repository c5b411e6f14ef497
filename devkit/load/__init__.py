"""Load generators: RabbitMQ (``amqp``) like PerfTest, and HTTP with correlation-ID checks.

The library never prints; callers pass a progress callback and render the returned result.
"""

from devkit.load.amqp import AmqpLoadResult, AmqpProgress, run_amqp_load
from devkit.load.amqp_config import AmqpLoadConfig, expand_queue_pattern, make_body

__all__ = [
    "AmqpLoadConfig",
    "AmqpLoadResult",
    "AmqpProgress",
    "expand_queue_pattern",
    "make_body",
    "run_amqp_load",
]

from devkit.load.http import HttpLoadConfig, HttpLoadResult, HttpProgress, run_http_load

__all__ += ["HttpLoadConfig", "HttpLoadResult", "HttpProgress", "run_http_load"]
