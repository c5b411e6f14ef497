"""Regular expressions with Python's syntax and meaning that never run for minutes.

Python's ``re`` backtracks: ``(a+)+$`` on a line of 40 a's and a ``!`` takes hours, and even
``.*x.*y`` is quadratic on a 50 MB line. devkit compiles the pattern for RE2 (google-re2), whose
automata run in time linear in the text, by walking Python's own parse of the pattern:

- ``text``: an exact RE2 translation for the decoded event text, with Python's Unicode meaning of
  ``\\d``, ``\\w`` and ``\\s``. RE2's ``\\b`` only knows ASCII word characters, so a pattern with
  ``\\b``/``\\B`` is exact on ASCII text only.
- ``raw``: a wider RE2 pattern over the raw bytes (Latin-1 mode, so bytes that are not UTF-8 still
  match ``.``), used to find candidate lines; every candidate is then checked on its event.

What RE2 cannot express (look-around, backreferences, atomic groups, possessive repeats, counts
over 1000, ``\\b`` next to non-ASCII text) is checked with the ``regex`` module, under a time
limit per event: an event it gives up on is reported, never waited for.
"""

from __future__ import annotations

import re
from re import _constants as C  # the parse tree of Python's own regex parser
from re import _parser

from devkit.errors import InputError

_MAX_COUNT = 1000  # RE2's largest {n,m}
_NONASCII = r"[\x80-\xff]+"  # one or more non-ASCII characters, as bytes (a wide guess)
_ICASE_PARTNERS = {"i": "\u0130\u0131", "k": "\u212a", "s": "\u017f"}  # non-ASCII chars Python's (?i) folds to
_ICASE_GROUPS = [("iI", "\u0130\u0131"), ("kK", "\u212a"), ("sS", "\u017f")]  # ... which RE2's (?i) may not
_WORD_U, _DIGIT_U = r"\p{L}\p{N}_", r"\p{Nd}"
_SPACE_U = r"\t\n\x0b\x0c\r\x1c-\x20\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
_ASCII_SETS = {  # category -> the ASCII code points in it
    C.CATEGORY_DIGIT: set(range(48, 58)),
    C.CATEGORY_WORD: set(range(48, 58)) | set(range(65, 91)) | set(range(97, 123)) | {95},
    C.CATEGORY_SPACE: {9, 10, 11, 12, 13, 28, 29, 30, 31, 32},
}
_NEGATED = {C.CATEGORY_NOT_DIGIT: C.CATEGORY_DIGIT, C.CATEGORY_NOT_WORD: C.CATEGORY_WORD,
            C.CATEGORY_NOT_SPACE: C.CATEGORY_SPACE}


class Inexact(Exception):
    """RE2 has no construct with the same meaning."""


def _cp(c: int) -> str:
    ch = chr(c)
    return ch if ch.isascii() and ch.isalnum() else f"\\x{{{c:x}}}"


def _byte(c: int) -> str:
    ch = chr(c)
    return ch if ch.isascii() and ch.isalnum() else f"\\x{c:02x}"


def _utf8(c: int) -> str:
    return "".join(_byte(b) for b in chr(c).encode("utf-8", "surrogatepass"))


class _Emitter:
    """Writes RE2 syntax for a Python parse tree; ``raw`` mode writes the wide byte pattern."""

    def __init__(self, raw: bool) -> None:
        self.raw = raw
        self.ascii_only = False  # the exact pattern is exact on ASCII text only (\b, \B)

    def seq(self, items, flags: int) -> str:
        return "".join(self.node(op, av, flags) for op, av in items)

    def node(self, op, av, flags: int) -> str:  # noqa: C901 - one case per node type
        icase = bool(flags & C.SRE_FLAG_IGNORECASE)
        if op is C.LITERAL:
            return self.literal(av, icase)
        if op is C.NOT_LITERAL:
            return self.charset([(C.NEGATE, None), (C.LITERAL, av)], flags)
        if op is C.IN:
            return self.charset(av, flags)
        if op is C.ANY:
            dotall = flags & C.SRE_FLAG_DOTALL
            if self.raw:
                return r"(?:[\x00-\x7f]|" + _NONASCII + ")" if dotall else r"(?:[^\n\x80-\xff]|" + _NONASCII + ")"
            return "(?s:.)" if dotall else "."
        if op is C.BRANCH:
            return "(?:" + "|".join(self.seq(b, flags) for b in av[1]) + ")"
        if op is C.SUBPATTERN:
            _, add, drop, body = av
            inner = (flags | add) & ~drop
            if self.raw:
                return "(?:" + self.seq(body, inner) + ")"
            mode = ("i" if inner & C.SRE_FLAG_IGNORECASE else "-i")
            return f"(?{mode}:" + self.seq(body, inner) + ")"
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            if op is C.POSSESSIVE_REPEAT and not self.raw:
                raise Inexact("possessive repeat")
            lo, hi, body = av
            return "(?:" + self.seq(body, flags) + ")" + self.count(lo, hi)
        if op is C.ATOMIC_GROUP:
            if not self.raw:
                raise Inexact("atomic group")
            return "(?:" + self.seq(av, flags) + ")"
        if op is C.AT:
            return self.at(av)
        if op in (C.ASSERT, C.ASSERT_NOT):
            if not self.raw:
                raise Inexact("look-around")
            return ""  # wider: the assertion is dropped
        if op is C.GROUPREF:
            if not self.raw:
                raise Inexact("backreference")
            return r"(?s:.*)"
        if op is C.GROUPREF_EXISTS:
            if not self.raw:
                raise Inexact("conditional group")
            _, yes, no = av
            return "(?:" + self.seq(yes, flags) + "|" + (self.seq(no, flags) if no else "") + ")"
        raise Inexact(str(op))

    def count(self, lo: int, hi: int) -> str:
        unbounded = hi is C.MAXREPEAT or hi == C.MAXREPEAT
        if lo > _MAX_COUNT or (not unbounded and hi > _MAX_COUNT):
            if not self.raw:
                raise Inexact("a count over 1000")
            return "{%d,}" % min(lo, _MAX_COUNT)  # wider: at least as many
        if unbounded:
            return {0: "*", 1: "+"}.get(lo, "{%d,}" % lo)
        if (lo, hi) == (0, 1):
            return "?"
        return "{%d}" % lo if lo == hi else "{%d,%d}" % (lo, hi)

    def at(self, where) -> str:
        if where is C.AT_BEGINNING:
            return "(?m:^)"
        if where is C.AT_END:
            return r"\r?(?m:$)" if self.raw else "(?m:$)"
        if where is C.AT_BEGINNING_STRING:
            return "(?m:^)" if self.raw else r"\A"  # raw: the event starts at some line start
        if where is C.AT_END_STRING:
            return r"\r?(?m:$)" if self.raw else r"\z"
        if where in (C.AT_BOUNDARY, C.AT_NON_BOUNDARY):
            if self.raw:
                return ""
            self.ascii_only = True
            return r"\b" if where is C.AT_BOUNDARY else r"\B"
        raise Inexact(str(where))

    def literal(self, c: int, icase: bool) -> str:
        if not self.raw:
            group = _icase_group(chr(c)) if icase else ""
            return "(?:" + "|".join(_cp(ord(x)) for x in group) + ")" if group else _cp(c)
        if c < 0x80:
            partners = _ICASE_PARTNERS.get(chr(c).lower(), "") if icase else ""
            if icase and chr(c).isalpha():
                body = f"[{chr(c).lower()}{chr(c).upper()}]"
                return "(?:" + "|".join([body] + [_utf8(ord(p)) for p in partners]) + ")" if partners else body
            return _byte(c)
        return _NONASCII if icase else _utf8(c)

    def charset(self, items, flags: int) -> str:
        ascii_flag = bool(flags & C.SRE_FLAG_ASCII)
        if self.raw:
            return self._raw_charset(items, flags & C.SRE_FLAG_IGNORECASE, ascii_flag)
        negate = bool(items) and items[0][0] is C.NEGATE
        parts, outside = [], []
        for op, av in items[1:] if negate else items:
            if op is C.LITERAL:
                parts.append(_cp(av))
            elif op is C.RANGE:
                parts.append(f"{_cp(av[0])}-{_cp(av[1])}")
            elif op is C.CATEGORY and av in _ASCII_SETS:
                parts.append(self._category(av, ascii_flag))
            elif op is C.CATEGORY and av in _NEGATED:
                outside.append("[^" + self._category(_NEGATED[av], ascii_flag) + "]")
            else:
                raise Inexact(str(op))
        if outside and negate:
            raise Inexact("a negated class holding \\D, \\W or \\S")
        if flags & C.SRE_FLAG_IGNORECASE:
            extra = _icase_class_extra(items[1:] if negate else items)
            if extra and negate:
                raise Inexact("a negated class with i, k or s ignoring case")
            parts.extend(_cp(ord(x)) for x in extra)
        prefix = ("(?i:" if flags & C.SRE_FLAG_IGNORECASE else "(?-i:")
        cls = ("[^" if negate else "[") + "".join(parts) + "]" if parts or negate else ""
        if not outside:
            return prefix + (cls or r"[^\x00-\x{10ffff}]") + ")"
        return prefix + "(?:" + "|".join(([cls] if cls else []) + outside) + "))"

    @staticmethod
    def _category(cat, ascii_flag: bool) -> str:
        if ascii_flag:
            return {C.CATEGORY_DIGIT: "0-9", C.CATEGORY_WORD: "0-9A-Za-z_",
                    C.CATEGORY_SPACE: r"\t\n\x0b\x0c\r "}[cat]
        return {C.CATEGORY_DIGIT: _DIGIT_U, C.CATEGORY_WORD: _WORD_U, C.CATEGORY_SPACE: _SPACE_U}[cat]

    def _raw_charset(self, items, icase: bool, ascii_flag: bool) -> str:
        """The ASCII members exactly, and any run of non-ASCII bytes when a non-ASCII one is in."""
        negate = bool(items) and items[0][0] is C.NEGATE
        members: set[int] = set()
        nonascii = False
        for op, av in items[1:] if negate else items:
            if op is C.LITERAL and av < 0x80:
                members.add(av)
            elif op is C.LITERAL:
                nonascii = True
            elif op is C.RANGE:
                members.update(range(av[0], min(av[1], 0x7F) + 1))
                nonascii |= av[1] >= 0x80
            elif op is C.CATEGORY and av in _ASCII_SETS:
                members |= _ASCII_SETS[av]
                nonascii |= not ascii_flag
            elif op is C.CATEGORY and av in _NEGATED:
                members |= set(range(128)) - _ASCII_SETS[_NEGATED[av]]
                nonascii = True
            else:
                raise Inexact(str(op))
        if icase:
            letters = {ord(chr(m).swapcase()) for m in members if chr(m).isalpha()}
            nonascii |= any(chr(m).lower() in _ICASE_PARTNERS for m in members)
            members |= letters
        if negate:
            members, nonascii = set(range(128)) - members, True
        alts = []
        if members:
            alts.append("[" + "".join(_byte(m) for m in sorted(members)) + "]")
        if nonascii:
            alts.append(_NONASCII)
        if not alts:
            return r"[^\x00-\xff]"
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"


def _icase_group(ch: str) -> str:
    """All the characters Python's (?i) matches for ``ch``, when RE2's folding differs."""
    for ascii_pair, others in _ICASE_GROUPS:
        if ch in ascii_pair or ch in others:
            return ascii_pair + others
    return ""


def _icase_class_extra(items) -> str:
    """Characters to add to a case-insensitive class so that it folds as Python's does."""
    def holds(ch: str) -> bool:
        c = ord(ch)
        return any((op is C.LITERAL and av == c) or (op is C.RANGE and av[0] <= c <= av[1]) for op, av in items)

    return "".join(ascii_pair + others for ascii_pair, others in _ICASE_GROUPS
                   if any(holds(ch) for ch in ascii_pair + others))


def _re2():
    import re2

    return re2


def _options(latin1: bool):
    re2 = _re2()
    options = re2.Options()
    options.log_errors = False  # RE2 would print its own errors on stderr
    options.max_mem = 64 << 20
    if latin1:
        options.encoding = re2.Options.Encoding.LATIN1
    return options


class Pattern:
    """A compiled user pattern: ``raw`` finds candidates in bytes, ``search`` decides on text."""

    def __init__(self, pattern: str, ignore_case: bool = False) -> None:
        flags = re.IGNORECASE if ignore_case else 0
        try:
            re.compile(pattern, flags)  # Python's verdict on the syntax, and its error message
            tree = _parser.parse(pattern, flags)
        except re.error as exc:
            raise InputError(f"invalid pattern {pattern!r}: {exc}") from None
        except RecursionError:
            raise InputError(f"invalid pattern {pattern!r}: nested too deeply") from None
        self.pattern, self.flags = pattern, flags
        top = tree.state.flags
        re2 = _re2()
        try:
            self.raw = re2.compile(_Emitter(raw=True).seq(tree, top).encode("latin-1"), _options(latin1=True))
        except re2.error as exc:
            raise InputError(f"pattern {pattern!r} is too large for the linear-time engine ({_why(exc)})") from None
        emitter = _Emitter(raw=False)
        self.text = None
        try:
            icase = "(?i)" if top & C.SRE_FLAG_IGNORECASE else ""
            self.text = re2.compile(icase + emitter.seq(tree, top), _options(latin1=False))
        except (Inexact, re2.error):
            pass
        self.ascii_only = emitter.ascii_only
        self._fallback = None

    @property
    def exact(self) -> bool:
        """True when RE2 alone decides every text (no backtracking engine is ever used)."""
        return self.text is not None and not self.ascii_only

    def search(self, text: str) -> bool:
        """Does the pattern match ``text``? Raises ``TimeoutError`` when the backtracking check gives up."""
        if self.text is not None and (not self.ascii_only or text.isascii()):
            return self.text.search(text) is not None
        if self._fallback is None:
            import regex

            self._fallback = regex.compile(self.pattern, self.flags | regex.MULTILINE | regex.VERSION0)
        return self._fallback.search(text, timeout=1.0 + len(text) / 50e6) is not None


def _why(exc: Exception) -> str:
    text = exc.args[0] if exc.args else str(exc)
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
