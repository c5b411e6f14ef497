"""How tests reach real services: in CI a missing service fails the run, on a laptop it skips."""

from __future__ import annotations

import os
import shutil
import socket

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def missing_service(reason: str) -> None:
    """Fail under CI=true (a missing service is a broken CI setup), skip elsewhere."""
    if in_ci():
        pytest.fail(f"service missing in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_rabbitmq(host: str = "127.0.0.1", port: int = 5672) -> None:
    if not port_open(host, port):
        missing_service(f"RabbitMQ is not listening on {host}:{port} (start it: rabbitmq-server -detached)")


def require_binary(name: str, hint: str) -> str:
    path = shutil.which(name) or (f"/usr/sbin/{name}" if os.path.exists(f"/usr/sbin/{name}") else None)
    if not path:
        missing_service(f"{name} is not installed ({hint})")
    return path  # type: ignore[return-value]
