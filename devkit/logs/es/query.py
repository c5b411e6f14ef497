"""Every hit of a query, in time order, none dropped or repeated at a page boundary.

Sorted by ``@timestamp`` and then a unique tiebreaker, paged with ``search_after``: inside a
point in time (Elasticsearch ``/_pit``, OpenSearch ``/_search/point_in_time``) the tiebreaker is
``_shard_doc``; without one (old servers, no permission) it is ``_id``. Paging on ``@timestamp``
alone would drop or repeat records that share a millisecond.
"""

from __future__ import annotations

from typing import Callable, Iterator

from devkit.errors import InputError
from devkit.logs.es.client import EsConnection, EsRequestError, error_reason, index_path

DEFAULT_INDEX = "logstash-*,logs-*"
KEEP_ALIVE = "2m"
_TIME_SORT = {"@timestamp": {"order": "asc", "unmapped_type": "date"}}


def id_query(ident: str, fields: tuple[str, ...] | list[str]) -> dict:
    """A phrase match on each field: exact on keyword fields, a (wider) phrase on text fields.

    The engine's ``IdMatcher`` then keeps only whole-token hits, so a ``text`` mapping still
    gives exact results; ``lenient`` keeps numeric fields from failing the query.
    """
    return {"multi_match": {"query": ident, "type": "phrase", "fields": list(fields), "lenient": True}}


def stream_query(streams: list[tuple[dict, float, float]]) -> dict:
    """Records of these streams (field -> value) within their time windows (epoch seconds)."""
    should = []
    for terms, start, end in streams:
        must: list[dict] = [{"range": {"@timestamp": {"gte": int(start * 1000), "lte": int(end * 1000) + 1,
                                                      "format": "epoch_millis"}}}]
        for field, value in terms.items():
            must.append({"match_phrase": {field: value}})
        should.append({"bool": {"filter": must}})
    return {"bool": {"should": should, "minimum_should_match": 1}}


class _Pit:
    """A point in time, opened the way the detected server wants, closed on exit."""

    def __init__(self, conn: EsConnection, index: str) -> None:
        self.conn = conn
        self.index = index
        self.path = index_path(index, pattern=True)
        self.id: str | None = None

    def open(self) -> str | None:
        conn = self.conn
        path = (f"/{self.path}/_search/point_in_time" if conn.server.is_opensearch else f"/{self.path}/_pit")
        try:
            body = conn.request("POST", path, params={"keep_alive": KEEP_ALIVE})
        except EsRequestError as exc:
            if exc.status in (400, 404, 405) and exc.error_type != "index_not_found_exception":
                return None  # no point-in-time support here: page without one
            raise
        self.id = body.get("pit_id") or body.get("id")
        return self.id

    def close(self) -> None:
        if not self.id:
            return
        conn = self.conn
        try:
            if conn.server.is_opensearch:
                conn.request("DELETE", "/_search/point_in_time", {"pit_id": [self.id]}, ok=(404,))
            else:
                conn.request("DELETE", "/_pit", {"id": self.id}, ok=(404,))
        except Exception:  # a PIT left behind expires by itself
            pass


def search_hits(conn: EsConnection, index: str, query: dict, *, page_size: int = 1000,
                limit: int | None = None, progress: Callable[[int], None] | None = None) -> Iterator[dict]:
    """Hits (with ``_index``, ``_id``, ``_source``, ``sort``) in ``@timestamp`` order."""
    pit = _Pit(conn, index)
    try:
        pit_id = pit.open()
    except EsRequestError as exc:
        raise _explain(exc, index, conn.shown) from None
    try:
        tiebreakers = [{"_shard_doc": "asc"}, {"_id": "asc"}] if pit_id else [{"_id": "asc"}]
        after = None
        seen = 0
        while True:
            body: dict = {"query": query, "size": page_size, "sort": [_TIME_SORT, tiebreakers[0]],
                          "track_total_hits": False}
            if after is not None:
                body["search_after"] = after
            if pit_id:
                body["pit"] = {"id": pit_id, "keep_alive": KEEP_ALIVE}
                path, params = "/_search", None
            else:
                path, params = f"/{pit.path}/_search", {"ignore_unavailable": "false", "allow_no_indices": "true"}
            try:
                res = conn.request("POST", path, body, params=params)
            except EsRequestError as exc:
                if len(tiebreakers) > 1 and after is None and exc.status == 400 and "_shard_doc" in str(exc.body):
                    tiebreakers.pop(0)  # a server without _shard_doc sorting: _id is unique as well
                    continue
                raise _explain(exc, index, conn.shown) from None
            if pit_id and res.get("pit_id"):
                pit_id = pit.id = res["pit_id"]
            hits = res.get("hits", {}).get("hits", [])
            for hit in hits:
                yield hit
                seen += 1
                if limit is not None and seen >= limit:
                    return
            if progress:
                progress(seen)
            if len(hits) < page_size:
                return
            after = hits[-1].get("sort")
            if not after:
                return
    finally:
        pit.close()


def _explain(exc: EsRequestError, index: str, shown: str) -> Exception:
    """The errors a person can fix, said so."""
    reason = error_reason(exc.body)
    if exc.error_type == "index_not_found_exception" or "no such index" in reason:
        return InputError(f"{shown}: no index matches {index!r}; pass --index PATTERN "
                          "(devkit logs ship --index NAME writes one)")
    text = str(exc.body)
    if "Text fields are not optimised" in text or "fielddata" in text.lower():
        return InputError(f"{shown}: @timestamp is mapped as text in {index!r}, so hits cannot be sorted by "
                          "time; map it as date (devkit logs ship creates such an index) or reindex")
    return exc


def field_mapping_types(conn: EsConnection, index: str, field: str) -> dict[str, set[str]]:
    """Types of ``field`` (and ``field.keyword``) in the indices of ``index``."""
    try:
        res = conn.request("GET", f"/{index_path(index, pattern=True)}/_field_caps", params={"fields": f"{field},{field}.keyword",
                                                                   "allow_no_indices": "true"})
    except EsRequestError:
        return {}
    out: dict[str, set[str]] = {}
    for name, types in (res.get("fields") or {}).items():
        out[name] = set(types)
    return out
