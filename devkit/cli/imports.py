"""Start-up: the garbage collector does not scan what devkit imported.

Importing click and a command's modules makes tens of thousands of objects that live as long as
the process, and next to no garbage; the collector scanned them again and again while they were
made and later on: about 7% of the instructions of ``devkit logs trace ID small.log``. So imports
run with collection paused, and in a devkit process (the console script's ``main``) what they
made is then frozen (``gc.freeze``: kept where collections never look), so only the command's
own objects are scanned. Imported as a library (tests, ``CliRunner``) nothing is frozen.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

_freezing = False


def freeze_imports() -> None:
    """For ``main``: freeze what is imported so far, and what ``gc_paused`` imports from now on."""
    global _freezing
    _freezing = True
    gc.freeze()


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
