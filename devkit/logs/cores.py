"""Whether a read is worth spreading over processes (``devkit.logs.parallel`` does the spreading).

Its own module so that the many small runs that decide "no" (``trace ID small.log``) never
import the process machinery: that is start-up time.
"""

from __future__ import annotations

from devkit.logs.sources import Source

MAX_WORKERS = 32
WORTH_BYTES = 8 << 20  # below this in all, forking costs more than it saves


def worth_it(sources: list[Source], jobs: int, least: int = 2) -> bool:
    """Processes pay off for several files of some size, all on disk (stdin cannot be shared);
    ``least=1`` for a search whose one file may share its windows between processes."""
    return (jobs > 1 and least <= len(sources) <= MAX_WORKERS and all(s.path for s in sources)
            and sum(s.size for s in sources) >= WORTH_BYTES)
