"""PEP 440 version arithmetic for ``pkg bump``: every result parses with ``packaging``.

Rules (npm/poetry semantics for finishing pre-releases, PEP 440 ordering always upheld):

- ``major``/``minor``/``patch`` increment that part and zero the ones below; on a pre- or dev
  release whose lower parts are already zero they finish it instead (``2.0.0rc1`` major ->
  ``2.0.0``). With ``pre=`` they always increment and start that pre-release (``minor --pre rc``:
  ``1.2.0`` -> ``1.3.0rc1``).
- ``pre`` (or ``--pre`` alone) advances a pre-release: same label -> next number, a later label ->
  number 1 (``a2`` -> ``b1``); an earlier label is refused.
- ``post`` -> next post-release; ``dev`` -> next dev-release of a dev version; ``release`` drops
  the pre and dev parts.
- ``dev=True`` appends ``.dev0`` to the result (``patch --dev``: ``1.2.0`` -> ``1.2.1.dev0``).

The release segment keeps its length (``1.2`` patch -> ``1.2.1``, minor -> ``1.3``) and the
spelling of semver-style pre-releases is kept (``1.2.0-rc.1`` -> ``1.2.0-rc.2``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from devkit.errors import InputError

PARTS = ("major", "minor", "patch", "pre", "post", "dev", "release")
PRE_LABELS = ("a", "b", "rc")
_SPELLING = re.compile(r"(?P<sep1>[-_.]?)(?P<label>alpha|beta|rc|c|a|b|pre|preview)(?P<sep2>[-_.]?)\d*", re.IGNORECASE)


def parse(text: str):  # -> packaging.version.Version
    from packaging.version import InvalidVersion, Version

    try:
        return Version(text)
    except InvalidVersion:
        raise InputError(f"{text!r} is not a valid PEP 440 version") from None


@dataclass(frozen=True)
class _Style:
    sep1: str = ""
    sep2: str = ""
    names: tuple[str, str, str] = ("a", "b", "rc")


def _style(text: str) -> _Style:
    """How the current version spells a pre-release, so semver-style projects keep theirs."""
    release = re.match(r"^v?(\d+!)?\d+(\.\d+)*", text)
    rest = text[release.end():] if release else ""
    match = _SPELLING.match(rest)
    if not match or not (match.group("sep1") or match.group("sep2")):
        return _Style()
    label = match.group("label").lower()
    long = label in ("alpha", "beta")
    names = ("alpha", "beta", "rc") if long else ("a", "b", "rc")
    return _Style(match.group("sep1"), match.group("sep2"), names)


def render(epoch: int, release: tuple[int, ...], pre: tuple[str, int] | None, post: int | None,
           dev: int | None, style: _Style = _Style()) -> str:
    text = (f"{epoch}!" if epoch else "") + ".".join(map(str, release))
    if pre:
        name = style.names[PRE_LABELS.index(pre[0])]
        text += f"{style.sep1}{name}{style.sep2}{pre[1]}"
    if post is not None:
        text += f".post{post}"
    if dev is not None:
        text += f".dev{dev}"
    return text


def _increment(release: tuple[int, ...], index: int) -> tuple[int, ...]:
    padded = list(release) + [0] * max(0, index + 1 - len(release))
    padded[index] += 1
    for i in range(index + 1, len(padded)):
        padded[i] = 0
    return tuple(padded)


def bump(current: str, part: str | None, pre: str | None = None, dev: bool = False) -> str:
    """The next version after ``current``; raises InputError when the request makes no sense."""
    v = parse(current)
    style = _style(current)
    if pre is not None and pre not in PRE_LABELS:
        raise InputError(f"--pre must be one of {', '.join(PRE_LABELS)}, not {pre!r}")
    if part is None:
        if pre is None:
            raise InputError("say what to bump: a PART (major, minor, patch, pre, post, dev, release) or --to")
        part = "pre"
    if part not in PARTS:
        raise InputError(f"unknown part {part!r}: use one of {', '.join(PARTS)}")
    unfinished = v.pre is not None or v.dev is not None
    release, new_pre, new_post, new_dev = v.release, None, None, None

    if part in ("major", "minor", "patch"):
        index = ("major", "minor", "patch").index(part)
        padded = tuple(list(release) + [0] * max(0, index + 1 - len(release)))
        lower_zero = all(x == 0 for x in padded[index + 1:])
        if unfinished and pre is None and v.post is None and lower_zero:
            release = padded  # finish the pre/dev release of exactly this version
        else:
            release = _increment(release, index)
        if pre:
            new_pre = (pre, 1)
    elif part == "pre" and v.pre is None and v.dev is not None and v.post is None and pre:
        new_pre = (pre, 1)  # 1.4.1.dev0 --pre rc -> 1.4.1rc1: the dev release was of 1.4.1
    elif part == "pre":
        label = pre
        if v.pre is None:
            raise InputError(f"{current} is not a pre-release: start one with e.g. `bump minor --pre {label or 'rc'}`")
        cur_label, cur_n = v.pre
        label = label or cur_label
        if PRE_LABELS.index(label) < PRE_LABELS.index(cur_label):
            raise InputError(f"{current} is already past {label!r}: a {label} release would be older")
        new_pre = (label, cur_n + 1) if label == cur_label else (label, 1)
        if label == cur_label and v.dev is not None and v.post is None:
            new_pre = (label, cur_n)  # 1.0rc1.dev3 -> 1.0rc1 is the next version up
    elif part == "post":
        new_pre = v.pre
        new_post = v.post if (v.dev is not None and v.post is not None) else (v.post or 0) + 1
    elif part == "dev":
        if v.dev is None:
            raise InputError(
                f"{current} has no dev part and {current}.dev0 would be older: use e.g. `bump patch --dev`"
            )
        new_pre, new_post, new_dev = v.pre, v.post, v.dev + 1
    elif part == "release":
        if not unfinished:
            raise InputError(f"{current} is already a final release: nothing to drop")
        new_pre, new_post = None, v.post

    if dev and part != "dev":
        new_dev = 0
    result = render(v.epoch, release, new_pre, new_post, new_dev, style)
    new = parse(result)
    if new <= v:
        raise InputError(f"bumping {part} of {current} gives {result}, which is not newer")
    return result


def check_target(current: str, target: str) -> str:
    """``--to``: any valid PEP 440 version newer than the current one, in its canonical spelling
    (``v2.0.0`` -> ``2.0.0``, ``01.02.01`` -> ``1.2.1``), so the files and the tag agree."""
    from packaging.version import InvalidVersion, Version

    try:
        new = Version(target)
    except InvalidVersion:
        raise InputError(f"--to {target!r} is not a PEP 440 version (e.g. 2.0.0, 2.1.0rc1)") from None
    if new <= parse(current):
        raise InputError(f"--to {target} is not newer than the current version {current}")
    return str(new)


CALVER_DEFAULT = "YYYY.MM.PATCH"
_CALVER_TOKENS = {
    "YYYY": lambda d: str(d.year), "YY": lambda d: str(d.year % 100), "0Y": lambda d: f"{d.year % 100:02d}",
    "MM": lambda d: str(d.month), "0M": lambda d: f"{d.month:02d}",
    "DD": lambda d: str(d.day), "0D": lambda d: f"{d.day:02d}",
}
_CALVER_SPLIT = re.compile(r"(YYYY|0Y|YY|0M|MM|0D|DD|PATCH|MICRO)")


def calver(current: str, fmt: str = CALVER_DEFAULT, today=None) -> str:  # today: datetime.date
    """The next calendar version: today's date in ``fmt``, and PATCH counting releases that day
    (or month): ``2025.6.0`` -> ``2025.6.1`` in June 2025, ``2025.7.0`` in July."""
    import datetime as dt

    today = today or dt.date.today()
    parts = _CALVER_SPLIT.split(fmt)
    if not any(p in _CALVER_TOKENS for p in parts):
        raise InputError(f"calver format {fmt!r} has no date part (use YYYY, YY, 0Y, MM, 0M, DD, 0D and PATCH)")
    regex, date_text = "", ""
    for token in parts:
        if token in _CALVER_TOKENS:
            regex += re.escape(_CALVER_TOKENS[token](today))
            date_text += _CALVER_TOKENS[token](today)
        elif token in ("PATCH", "MICRO"):
            regex += r"(?P<patch>\d+)"
            date_text += "{patch}"
        else:
            regex += re.escape(token)
            date_text += token
    same_period = re.fullmatch(regex, current)
    patch = int(same_period.group("patch")) + 1 if same_period and "patch" in same_period.groupdict() else 0
    if same_period and "{patch}" not in date_text:
        raise InputError(f"{current} is already today's version in {fmt!r}: add PATCH to the format for several releases a day")
    result = date_text.replace("{patch}", str(patch))
    new = parse(result)
    if new <= parse(current):
        raise InputError(f"calver {fmt!r} gives {result}, which is not newer than {current}")
    return result


def preview(current: str) -> dict[str, str]:
    """What each part would bump ``current`` to (parts that make no sense are left out)."""
    out: dict[str, str] = {}
    for part in PARTS:
        try:
            out[part] = bump(current, part)
        except InputError:
            continue
    for label in PRE_LABELS:
        for part in (("pre",) if parse(current).pre else ("patch", "minor", "major")):
            try:
                new = bump(current, part, pre=label)
            except InputError:
                continue
            if new not in (out.get("pre"), out.get(part)):
                out[f"{part} --pre {label}"] = new
    return out
