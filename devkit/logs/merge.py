"""Merge per-source event streams in time order without reordering any one source."""

from __future__ import annotations

import heapq
from typing import Iterable, Iterator

from devkit.logs.event import Event

_NO_TIME = float("-inf")


def _key(ev: Event) -> float:
    return _NO_TIME if ev.ts is None else ev.ts


def merge_events(streams: Iterable[Iterable[Event]]) -> Iterator[Event]:
    """A k-way merge by timestamp; ties keep the order of the sources as given.

    Each source keeps its own order even where its clock jumps backwards (a merge, not a sort).
    """
    return heapq.merge(*streams, key=_key)
