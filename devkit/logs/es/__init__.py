"""Logs at scale: trace a request in Elasticsearch/OpenSearch, ship stitched events into it.

- ``client``: one connection, the server detected (content types for ES 8/9 vs OpenSearch 2/3).
- ``query``: time-ordered paging with a unique tiebreaker (point in time where there is one).
- ``docs``: events <-> documents; foreign line-per-document records -> engine ``Record``s.
- ``trace``: ``es_trace`` returns the same ``SearchResult`` a file trace does.
- ``bulk`` / ``ship`` / ``amqp``: the Aggregator, retries, dead letters; files or an AMQP queue.

Heavy imports (elasticsearch, pika) happen inside the functions that need them.
"""

from devkit.logs.es.bulk import ShipStats
from devkit.logs.es.client import EsConnection, connect
from devkit.logs.es.query import DEFAULT_INDEX
from devkit.logs.es.ship import ship_events, ship_files
from devkit.logs.es.trace import es_trace

__all__ = ["DEFAULT_INDEX", "EsConnection", "ShipStats", "connect", "es_trace", "ship_events", "ship_files"]
