"""``devkit load celery``: real Celery tasks at a team's workers, every task accounted for.

devkit speaks Celery's protocol itself (pika, JSON), so it needs neither celery nor the
team's app; see ``protocol.py``.
"""

from devkit.load.celery.config import CeleryLoadConfig, parse_expires, parse_json_arg, parse_when
from devkit.load.celery.workers import WorkerInfo, inspect_workers
from devkit.load.celery.report import CeleryLoadResult, CeleryProgress
from devkit.load.celery.run import run_celery_load

__all__ = [
    "CeleryLoadConfig",
    "CeleryLoadResult",
    "CeleryProgress",
    "WorkerInfo",
    "inspect_workers",
    "parse_expires",
    "parse_json_arg",
    "parse_when",
    "run_celery_load",
]
