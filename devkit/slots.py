"""Equality and repr for hand-written ``__slots__`` classes, from their slot names.

Classes made by the thousand on every line (``Record``, ``Peeled``) are written out by hand
instead of as dataclasses: generating a dataclass costs 0.5-1 ms of every command's start-up,
which a 50 ms goal cannot afford. This base gives them what the dataclass gave besides
``__init__``: comparison by value (tests compare records) and a readable repr.
"""

from __future__ import annotations


class Slotted:
    __slots__ = ()

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]  # mutable and compared by value, as a dataclass with eq

    def __repr__(self) -> str:
        pairs = ", ".join(f"{n}={v!r}" for n, v in zip(self.__slots__, self._values()))
        return f"{type(self).__name__}({pairs})"
