"""Service names from where a log file lives, for events whose payload and wrapper name none.

Container runtimes name their files after IDs and counters: kubelet writes
``/var/log/pods/NS_POD_UID/CONTAINER/0.log`` (symlinked as
``/var/log/containers/POD_NS_CONTAINER-<64 hex>.log``), docker
``/var/lib/docker/containers/<64 hex>/<64 hex>-json.log`` with the container's name in
``config.v2.json`` beside it. None of ``0``, ``<hex>-json`` or a whole kubelet stem reads well.
"""

from __future__ import annotations

import os

from devkit.lazyre import lazy
from devkit.logs.sources import COMPRESSED, service_from_path

_DOCKER_LOG = lazy(r"(?P<id>[0-9a-f]{64})-json\.log(?:\.\d+)*\Z")
_ROTATED = lazy(r"\.log(?:\.[\d-]+)*\Z|(?:\.\d+)+\Z")
_CONTAINERS_LINK = lazy(r"(?P<pod>[a-z0-9][-a-z0-9.]*)_(?P<ns>[a-z0-9][-a-z0-9]*)_(?P<container>[a-z0-9][-a-z0-9]*)"
                        r"-(?P<id>[0-9a-f]{64})\.log\Z")
_PODS_DIR = lazy(r"(?P<ns>[a-z0-9][-a-z0-9]*)_(?P<pod>[a-z0-9][-a-z0-9.]*)_(?P<uid>[0-9a-f-]{36})\Z")
_ID_NAMED = 73  # the shortest name either layout matches: a 64-hex ID and "-json.log"
_CONFIG_BYTES = 4 << 20


def _strip_compression(base: str) -> str:
    for ext in COMPRESSED:
        if base.lower().endswith(ext):
            return base[: -len(ext)]
    return base


def docker_container_name(path: str) -> str | None:
    """The ``Name`` in ``config.v2.json`` beside a json-file log (``/orders-1`` -> ``orders-1``)."""
    import json  # here: only a docker json-file log needs it

    config = os.path.join(os.path.dirname(path), "config.v2.json")
    try:
        with open(config, "rb") as fh:
            data = fh.read(_CONFIG_BYTES)
        name = json.loads(data).get("Name")
    except (OSError, ValueError, AttributeError, RecursionError):
        return None
    return name.lstrip("/") if isinstance(name, str) and name.strip("/") else None


def source_service(name: str, path: str | None = None) -> str:
    """The service a file's events belong to, when nothing in the events says."""
    if name == "-" or path is None:
        return service_from_path(name)
    base = _strip_compression(os.path.basename(path))
    parent = os.path.basename(os.path.dirname(os.path.abspath(path)))
    grandparent = os.path.basename(os.path.dirname(os.path.dirname(os.path.abspath(path))))
    id_named = len(base) >= _ID_NAMED  # (shorter names need neither regex compiled: start-up)
    m = _CONTAINERS_LINK.match(base) if id_named else None
    if m:
        return m["container"]
    stem = _ROTATED.sub("", base)
    if stem.isdigit() and _PODS_DIR.match(grandparent):  # /var/log/pods/NS_POD_UID/CONTAINER/0.log
        return parent
    m = _DOCKER_LOG.match(base) if id_named else None
    if m:
        return docker_container_name(path) or m["id"][:12]
    if stem.isdigit() and parent:
        return parent
    return service_from_path(name)
