"""How a closed channel or connection is told to the user (pika's reasons as one line)."""

from __future__ import annotations

from devkit.load.amqp_shared import describe_reason

__all__ = ["channel_closed_text", "describe_reason"]


def channel_closed_text(reason) -> str:
    """A channel closes with its connection too: say which of the two the broker ended."""
    from pika.exceptions import ConnectionClosed

    if isinstance(reason, ConnectionClosed):
        return f"connection lost: {describe_reason(reason)}"
    return f"channel closed by the broker: {describe_reason(reason)}"
