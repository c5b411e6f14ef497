"""Keep credentials out of every message and report devkit writes."""

from __future__ import annotations

import re

_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)(?P<pw>[^@\s/]*)(?=@)")


def mask_url_passwords(text: str) -> str:
    """Replace the password part of every ``scheme://user:password@host`` in *text* by ``***``."""
    return _URL_PASSWORD.sub(lambda m: m.group("head") + "***", text)
