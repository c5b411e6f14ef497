"""The search's thread pool: results in order or as they end, errors raised in the caller, and
no thread left once the block is left."""

import threading
import time

import pytest

from devkit.logs.threads import Threads


def _ours() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("test-pool")]


def test_map_keeps_the_order_and_unordered_gives_every_result():
    with Threads(2, "test-pool") as pool:
        assert pool.map(lambda n: (time.sleep(0.01 * (n % 3)), n * n)[1], range(20)) == [n * n for n in range(20)]
        got = dict(pool.unordered(lambda n: -n, range(50)))
        assert got == {n: -n for n in range(50)}
        assert len(_ours()) == 2
    assert _ours() == []


def test_an_error_is_raised_once_every_task_of_the_map_has_ended():
    ended = []

    def task(n):
        if n == 0:
            raise ValueError("bad range")
        time.sleep(0.05)
        ended.append(n)
        return n

    with Threads(2, "test-pool") as pool:
        with pytest.raises(ValueError, match="bad range"):
            pool.map(task, range(4))
        assert sorted(ended) == [1, 2, 3]  # none still reading what the caller may now close
        assert pool.map(abs, [-1, 2]) == [1, 2]  # the pool still works
    assert _ours() == []


def test_leaving_early_drops_the_tasks_not_started_and_stops_the_threads():
    started = []

    def task(n):
        started.append(n)
        time.sleep(0.05)
        return n

    with Threads(2, "test-pool") as pool:
        for _ in pool.unordered(task, range(40)):
            break
    assert _ours() == []
    assert len(started) < 10
