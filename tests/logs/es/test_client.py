"""Connecting: server detection, the content type OpenSearch accepts, credentials sent and masked."""

from __future__ import annotations

import base64

import pytest

from devkit.errors import InputError
from devkit.logs.es import connect
from devkit.logs.es.client import split_url

from .test_ship import start_proxy

pytestmark = pytest.mark.service


def test_opensearch_is_detected_and_gets_plain_json(es_url):
    from elasticsearch import ApiError, Elasticsearch

    with pytest.raises(ApiError) as plain_client:  # why devkit does not use the 9.x client's API as is
        Elasticsearch(es_url).search(index="*", size=0)
    assert plain_client.value.meta.status == 406
    with connect(es_url) as conn:
        assert conn.server.is_opensearch and str(conn.server).startswith("OpenSearch ")
        assert conn.request("POST", "/_search", {"size": 0})["hits"]["hits"] == []


def test_credentials_from_the_url_and_the_api_key_are_sent(es_url):
    proxy, handler = start_proxy(es_url, [])
    url = f"http://127.0.0.1:{proxy.server_port}"
    try:
        with connect(url.replace("http://", "http://elastic:p%40ss@")) as conn:
            conn.request("GET", "/")
        with connect(url, api_key="aWQ6a2V5") as conn:
            conn.request("GET", "/")
    finally:
        proxy.shutdown()
    auths = [h.get("authorization") for h in handler.seen]
    assert "Basic " + base64.b64encode(b"elastic:p@ss").decode() in auths
    assert "ApiKey aWQ6a2V5" in auths
    assert all(h["content-type"] == "application/json" for h in handler.seen if "content-type" in h)


def test_url_parsing_keeps_credentials_out_of_the_host():
    assert split_url("https://u:p%2Fw@es.local:9200/") == ("https://es.local:9200", ("u", "p/w"))
    assert split_url("127.0.0.1:9200") == ("http://127.0.0.1:9200", None)
    with pytest.raises(InputError) as bad:
        split_url("ftp://u:secret@host")
    assert "secret" not in str(bad.value) and "u:***@host" in str(bad.value)
