"""Log content never drives the terminal: control characters are shown, not obeyed.

A log line or a file name may hold an OSC sequence that retitles the window (``ESC ] 0 ;``) or
writes the clipboard (OSC 52), ``ESC [ 2 J`` that clears the screen, a C1 ``CSI`` (U+009B) that
some terminals obey like ``ESC [``, or bidi overrides that make text read differently from what
it is (Trojan Source). Like ``less -R`` and lnav, devkit renders them visibly instead:

* C0 controls and DEL as their Unicode control pictures: ESC -> ``␛``, BEL -> ``␇``, CR -> ``␍``
  (tab and newline stay, except in one-line diagnostics, where a newline is ``␊``);
* C1 controls, bidi embeddings/overrides/isolates/marks, line and paragraph separators and the
  interlinear annotation characters as ``<U+009B>``, ``<U+202E>``, ...

``--raw`` is the only way to get the bytes, and only into a pipe or with ``--raw-tty``.
"""

from __future__ import annotations

import re

from devkit.lazyre import lazy

_UNSAFE_CODES = [
    *range(0x00, 0x09), *range(0x0B, 0x20), 0x7F,  # C0 (without tab and newline) and DEL
    *range(0x80, 0xA0),  # C1: U+009B is CSI, U+009D is OSC on terminals that honour 8-bit controls
    0x061C, 0x200E, 0x200F,  # bidi marks (ALM, LRM, RLM)
    *range(0x202A, 0x202F),  # LRE RLE PDF LRO RLO
    *range(0x2066, 0x206A),  # LRI RLI FSI PDI
    0x2028, 0x2029,  # line and paragraph separators (newlines to some terminals and to JavaScript)
    0xFFF9, 0xFFFA, 0xFFFB,  # interlinear annotations
]


def _shown(code: int) -> str:
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    return f"<U+{code:04X}>"


#: What each unsafe character is shown as.
SHOWN: dict[str, str] = {chr(c): _shown(c) for c in _UNSAFE_CODES}
_UNSAFE = lazy("[" + "".join(re.escape(ch) for ch in SHOWN) + "]")
_UNSAFE_OR_NEWLINE = lazy("[\n" + "".join(re.escape(ch) for ch in SHOWN) + "]")
_LINE = {**SHOWN, "\n": "\u240a"}
#: Escapes that keep JSON valid and lossless but inert: C1, bidi and separators as ``\\uXXXX``.
_JSON_UNSAFE = lazy("[" + "".join(re.escape(chr(c)) for c in _UNSAFE_CODES if c >= 0x7F) + "]")


def visible(text: str) -> str:
    """``text`` with every terminal-controlling character made visible; tabs and newlines kept."""
    if text.isascii() and text.isprintable():  # no control at all: the usual line, without a regex
        return text
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(lambda m: SHOWN[m.group()], text)


def visible_line(text: str) -> str:
    """Like :func:`visible`, and a newline too: for one-line diagnostics (file names may hold one)."""
    if text.isascii() and text.isprintable():  # no control character, nothing past ASCII: all safe
        return text
    if _UNSAFE_OR_NEWLINE.search(text) is None:
        return text
    return _UNSAFE_OR_NEWLINE.sub(lambda m: _LINE[m.group()], text)


def has_unsafe(text: str) -> bool:
    return _UNSAFE.search(text) is not None


def inert_json(dumped: str) -> str:
    """A JSON text with C1, bidi and separator characters escaped (``json.dumps`` leaves them raw)."""
    if dumped.isascii() and "\x7f" not in dumped:  # of the unsafe characters, only DEL is ASCII
        return dumped
    if _JSON_UNSAFE.search(dumped) is None:
        return dumped
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)
