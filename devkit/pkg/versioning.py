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
    """``--to``: any valid PEP 440 version newer than the current one."""
    new = parse(target)
    if new <= parse(current):
        raise InputError(f"--to {target} is not newer than the current version {current}")
    return target


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
