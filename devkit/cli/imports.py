"""Start-up: the garbage collector does not scan what devkit imported.

Importing click and a command's modules makes tens of thousands of objects that live as long as
the process, and next to no garbage; the collector scanned them again and again while they were
made and later on: about 7% of the instructions of ``devkit logs trace ID small.log``. So imports
run with collection paused, and in a devkit process (the console script's ``main``) what they
made is then frozen (``gc.freeze``: kept where collections never look), so only the command's
own objects are scanned. Imported as a library (tests, ``CliRunner``) nothing is frozen.

A search or a merge then makes millions of short-lived objects (records, events, their dicts),
nearly all freed by their reference counts, few in cycles: a young collection every 700 of them
(Python's default) cost a dense trace about 9% of its time (trace POZ-2 --json on the benchmark
corpus, three alternating runs: 1.96-2.09 s, against 1.71-1.87 s with one every 50,000; a merge
was unchanged). So ``main`` collects less often.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

_freezing = False
YOUNG = 50_000  # objects made (net) between two young collections in a devkit process


def tune_gc() -> None:
    """For ``main``: freeze what is imported so far, and what ``gc_paused`` imports from now on;
    collect young objects every ``YOUNG`` of them."""
    global _freezing
    _freezing = True
    gc.freeze()
    gc.set_threshold(YOUNG, *gc.get_threshold()[1:])


@contextmanager
def gc_paused() -> Iterator[None]:
    """The block (an import) runs without cyclic garbage collection; afterwards it is as it was,
    and in a devkit process what the block made is frozen."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if _freezing:
            gc.freeze()
        gc.enable()
