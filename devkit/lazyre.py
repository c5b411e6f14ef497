"""Module-level regexes compiled on first use, so importing a module costs nothing for them.

``devkit logs trace ID small.log`` should start in well under 50 ms, and compiling every pattern
of every format, wrapper, hook and path rule at import took several of them, for the few patterns
a run uses. ``lazy(pattern, flags)`` stands where ``re.compile(pattern, flags)`` stood:

    _CRI = lazy(r"(\\S+) (stdout|stderr) ([PF]) ?(.*)\\Z", re.S)

The first attribute looked up (``match``, ``search``, ``groupindex``, ...) compiles it. The
module global that holds it is then rebound to the compiled pattern, so the hot paths that use
it pay nothing after that first call; a reference held elsewhere (``from m import _CRI``, a
default argument) keeps working through the stand-in, whose attributes are cached on it.
"""

from __future__ import annotations

import re
import sys

__all__ = ["lazy", "LazyPattern"]


class LazyPattern:
    """A stand-in for ``re.compile(pattern, flags)``; ``compiled`` is the real pattern."""

    def __init__(self, pattern: str | bytes, flags: int, namespace: dict | None) -> None:
        self._source = pattern
        self._flags = flags
        self._namespace = namespace  # the defining module's globals, rebound once compiled

    @property
    def compiled(self) -> re.Pattern:
        """The real pattern (for APIs that insist on one, e.g. ``isinstance`` or ``re.sub``)."""
        compiled = self.__dict__.get("_compiled")
        if compiled is None:
            compiled = self.__dict__["_compiled"] = re.compile(self._source, self._flags)
            namespace, self._namespace = self._namespace, None
            if namespace is not None:
                for name, value in list(namespace.items()):
                    if value is self:
                        namespace[name] = compiled
        return compiled

    def __getattr__(self, name: str):
        # Only reached for names not yet on the instance: compile, then keep the attribute so the
        # next lookup never comes here. Private names and dunders are never the pattern's (copy
        # and pickle probe them before __init__ has run).
        if name.startswith("_"):
            raise AttributeError(name)
        value = getattr(self.compiled, name)
        setattr(self, name, value)
        return value

    def __repr__(self) -> str:
        return f"lazy({self._source!r}, {self._flags!r})"


def lazy(pattern: str | bytes, flags: int = 0) -> re.Pattern:
    """``re.compile(pattern, flags)`` when first used; meant for module-level constants."""
    namespace = sys._getframe(1).f_globals  # the caller's module, whose global is rebound later
    return LazyPattern(pattern, flags, namespace)  # type: ignore[return-value]
