"""A few threads for the raw search: ``_speedups.scan`` and ``pread`` release the GIL.

Not ``concurrent.futures``: importing it, with the ``logging`` it brings, costs 20M instructions
(4-5 ms, callgrind, after click) of a 1 GB search that takes 100-150 ms; ``threading`` and
``queue`` cost a tenth of that. What the search needs is this much: results as they come, or all
in order, errors raised in the caller, and nothing left running once the block is left.
"""

from __future__ import annotations

import queue
import threading
from typing import Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Threads:
    """``workers`` threads taking tasks in turn; use as a context manager."""

    def __init__(self, workers: int, name: str) -> None:
        self._tasks: queue.SimpleQueue = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True)
                         for i in range(max(1, workers))]
        for thread in self._threads:
            thread.start()

    def _work(self) -> None:
        while True:
            task = self._tasks.get()
            if task is None:
                return
            fn, item, done = task
            try:
                done.put((item, True, fn(item)))
            except BaseException as exc:  # handed to the caller, which raises it
                done.put((item, False, exc))

    def unordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R]]:
        """``(item, fn(item))`` as each task ends; the first error is raised here."""
        done: queue.SimpleQueue = queue.SimpleQueue()
        count = 0
        for item in items:
            self._tasks.put((fn, item, done))
            count += 1
        for _ in range(count):
            item, ok, value = done.get()
            if not ok:
                raise value
            yield item, value

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``[fn(item) for item in items]``, shared out; every task has ended when it returns or
        raises (a caller may close what the tasks read)."""
        items = list(items)
        got: dict[int, R] = {}
        error: BaseException | None = None
        for (i, _), (ok, value) in self.unordered(_guarded(fn), list(enumerate(items))):
            if ok:
                got[i] = value
            elif error is None:
                error = value
        if error is not None:
            raise error
        return [got[i] for i in range(len(items))]

    def close(self) -> None:
        """Drop the tasks not started, let the running ones end, and stop the threads."""
        try:
            while True:
                task = self._tasks.get_nowait()
                if task is not None:
                    task[2].put((task[1], False, RuntimeError("cancelled")))
        except queue.Empty:
            pass
        for _ in self._threads:
            self._tasks.put(None)
        for thread in self._threads:
            thread.join()

    def __enter__(self) -> Threads:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _guarded(fn: Callable[[T], R]) -> Callable[[tuple[int, T]], tuple[bool, object]]:
    """``fn`` on an enumerated item, its error returned rather than raised (``map`` waits for all)."""
    def run(pair: tuple[int, T]) -> tuple[bool, object]:
        try:
            return True, fn(pair[1])
        except Exception as exc:
            return False, exc
    return run
