"""Turn the timestamp spellings found in logs into UTC epoch seconds.

Aware timestamps keep their offset; naive ones are read in the zone the user chose (``--tz``),
local time by default. Everything downstream compares plain floats.
"""

from __future__ import annotations

import math
import re
import time
from datetime import date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache

from devkit.errors import InputError
from devkit.lazyre import lazy

ISO_PATTERN = (
    r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})[T ](?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})"
    r"(?:[.,](?P<frac>\d{1,9}))?(?P<tz>\s?(?:Z|[+-]\d{2}:?\d{2}))?"
)
_ISO = lazy(ISO_PATTERN)
_CLF = lazy(r"(\d{2})/([A-Z][a-z]{2})/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?: ([+-]\d{4}))?")
_BSD = lazy(r"([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?")
_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                                        "Dec"), 1)}  # as logs write them, whatever the locale
_EPOCH_DAY = 719163  # date(1970, 1, 1).toordinal()


def timegm(parts: tuple) -> int:
    """``calendar.timegm`` (the same arithmetic): calendar imports locale, 1 ms of start-up."""
    y, mo, d, h, mi, s = parts[:6]
    days = date(y, mo, 1).toordinal() - _EPOCH_DAY + d - 1
    return ((days * 24 + h) * 60 + mi) * 60 + s


class Zone:
    """How to read naive timestamps: a fixed tzinfo, or the machine's local time.

    ``reference`` is the time a year-less stamp (syslog's ``Nov 20 09:14:03``, logcat's
    ``03-17 16:13:38.811``) is read against: the file's modification time, else now.
    """

    def __init__(self, tz: tzinfo | None = None, reference: float | None = None) -> None:
        self.tz = tz
        self.reference = reference
        self.cache: dict[tuple, float] = {}  # minutes already converted (remember)

    def remember(self, key: tuple, value: float | None) -> float | None:
        """Keep a conversion (a minute's epoch) for ``key``; logs repeat their minutes."""
        if value is not None:
            if len(self.cache) > 8192:
                self.cache.clear()
            self.cache[key] = value
        return value

    def at(self, reference: float | None) -> "Zone":
        """The same zone, reading year-less stamps against ``reference`` (a file's mtime)."""
        return Zone(self.tz, reference)

    @classmethod
    def parse(cls, name: str | None) -> "Zone":
        if not name or name.lower() == "local":
            return cls(None)
        if name.upper() in {"UTC", "Z", "GMT"}:
            return cls(timezone.utc)
        m = re.fullmatch(r"([+-])(\d{1,2})(?::?(\d{2}))?", name)
        if m:
            hours, minutes = int(m.group(2)), int(m.group(3) or 0)
            if hours > 18 or minutes > 59 or (hours == 18 and minutes):
                raise InputError(f"invalid UTC offset {name!r}: it must lie between -18:00 and +18:00 (e.g. +02:00)")
            delta = timedelta(hours=hours, minutes=minutes)
            return cls(timezone(delta if m.group(1) == "+" else -delta))
        try:
            from zoneinfo import ZoneInfo

            return cls(ZoneInfo(name))
        except Exception:
            raise InputError(f"unknown time zone {name!r} (use an IANA name like Europe/Warsaw, UTC or +02:00)") from None

    def naive_to_epoch(self, y: int, mo: int, d: int, h: int, mi: int, s: int, frac: float) -> float:
        if self.tz is None:
            return _local_epoch(y, mo, d, h, mi, s) + frac
        if self.tz is timezone.utc:
            return timegm((y, mo, d, h, mi, s)) + frac
        return datetime(y, mo, d, h, mi, s, tzinfo=self.tz).timestamp() + frac


@lru_cache(maxsize=4096)
def _local_epoch(y: int, mo: int, d: int, h: int, mi: int, s: int) -> float:
    return time.mktime((y, mo, d, h, mi, s, 0, 0, -1))


def _frac(text: str | None) -> float:
    return int(text) / 10 ** len(text) if text else 0.0


def _offset_seconds(tz: str) -> int:
    tz = tz.strip()
    if tz == "Z":
        return 0
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    return sign * (int(digits[:2]) * 3600 + int(digits[2:4]) * 60)


def iso_match_to_epoch(m: re.Match, zone: Zone) -> float | None:
    """Epoch seconds from a match of ``ISO_PATTERN`` (named groups), or None if out of range."""
    try:
        y, mo, d = int(m["y"]), int(m["mo"]), int(m["d"])
        h, mi, s = int(m["h"]), int(m["mi"]), int(m["s"])
        frac = _frac(m["frac"])
        if not (1 <= mo <= 12 and 1 <= d <= 31 and h < 24 and mi < 60 and s < 61):
            return None
        if m["tz"]:
            return timegm((y, mo, d, h, mi, s)) + frac - _offset_seconds(m["tz"])
        return zone.naive_to_epoch(y, mo, d, h, mi, s, frac)
    except (ValueError, OverflowError):
        return None


def parse_timestamp(value: object, zone: Zone) -> float | None:
    """Best effort: ISO 8601/RFC 3339, common log format, BSD syslog, or epoch numbers."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        v = float(value)
        if v > 1e14:  # microseconds
            v /= 1e6
        elif v > 1e11:  # milliseconds
            v /= 1e3
        return v if v > 0 else None
    if not isinstance(value, str):
        return None
    m = _ISO.match(value)
    if m:
        return iso_cached(m, zone)
    m = _CLF.match(value)
    if m:
        return clf_to_epoch(m, zone)
    m = _BSD.match(value)
    if m:
        return bsd_to_epoch(m, zone)
    try:
        return parse_timestamp(float(value), zone)
    except ValueError:
        return None


def iso_cached(m: re.Match, zone: Zone) -> float | None:
    """``iso_match_to_epoch`` with the minute converted once per zone (JSON logs repeat it)."""
    y, mo, d, h, mi, sec, frac, tz = m.group("y", "mo", "d", "h", "mi", "s", "frac", "tz")
    if int(sec) > 60:
        return None
    key = ("iso", y, mo, d, h, mi, tz)
    base = zone.cache.get(key)
    if base is None:
        base = zone.remember(key, iso_match_to_epoch(_ISO.match(f"{y}-{mo}-{d}T{h}:{mi}:00{tz or ''}"), zone))  # type: ignore[arg-type]
        if base is None:
            return None
    base += int(sec)
    return base + int(frac) / 10 ** len(frac) if frac else base


def clf_to_epoch(m: re.Match, zone: Zone) -> float | None:
    """``20/Nov/2026:09:14:03 +0000`` (nginx/Apache ``$time_local``)."""
    mo = _MONTHS.get(m.group(2))
    if not mo:
        return None
    parts = (int(m.group(3)), mo, int(m.group(1)), int(m.group(4)), int(m.group(5)), int(m.group(6)))
    frac = _frac(m.group(7))
    if m.group(8):
        return timegm(parts) + frac - _offset_seconds(m.group(8))
    return zone.naive_to_epoch(*parts, frac)


def bsd_to_epoch(m: re.Match, zone: Zone, now: float | None = None) -> float | None:
    """``Nov 20 09:14:03``: no year, so take the one that puts it closest before now."""
    mo = _MONTHS.get(m.group(1))
    if not mo:
        return None
    now = now if now is not None else zone.reference if zone.reference is not None else time.time()
    year = time.gmtime(now).tm_year
    day, h, mi, s = int(m.group(2)), int(m.group(3)), int(m.group(4)), int(m.group(5))
    try:
        ts = zone.naive_to_epoch(year, mo, day, h, mi, s, _frac(m.group(6)))
        if ts > now + 86400:
            ts = zone.naive_to_epoch(year - 1, mo, day, h, mi, s, _frac(m.group(6)))
    except (ValueError, OverflowError):
        return None
    return ts


def _format_utc_py(ts: float | None) -> str | None:
    """ISO 8601 in UTC with milliseconds and an explicit offset (the definition ``format_utc`` is held to).

    Every event of a full read is written with its time, and a log repeats its seconds: the
    second's text is made once, the milliseconds put in (as ``datetime`` rounds a float to
    microseconds, half to even, then ``isoformat`` cuts to milliseconds).
    """
    if ts is None:
        return None
    if not 0.0 <= ts < 253402300799.0:  # before 1970 or near year 9999: datetime says it (or raises)
        return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds")
    frac, whole = math.modf(ts)
    us = round(frac * 1e6)
    if us >= 1000000:
        us -= 1000000
        whole += 1.0
    sec = int(whole)
    head = _SECONDS.get(sec)
    if head is None:
        if len(_SECONDS) > 4096:
            _SECONDS.clear()
        head = _SECONDS[sec] = datetime.fromtimestamp(sec, timezone.utc).isoformat()[:-6]
    return f"{head}.{us // 1000:03d}+00:00"


_SECONDS: dict[int, str] = {}  # whole second -> "YYYY-MM-DDTHH:MM:SS"

try:  # the optional C accelerator (pyproject.toml: ext-modules): every event of a full read is written with its time
    from devkit.logs._records import format_utc
except ImportError:  # pragma: no cover - built wherever a C compiler is
    format_utc = _format_utc_py


_OFFSET_AT_END = lazy(r"(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT)\s*\Z")
_FRACTION = lazy(r":\d{2}[.,](\d{1,9})")


_DIGITS = str.maketrans("123456789", "000000000")


def stamp_traits(text: str | None) -> tuple[bool, float]:
    """(naive, resolution in seconds) of a timestamp as written; (False, 0.0) when unknown."""
    if not text:
        return False, 0.0
    return _traits(text.translate(_DIGITS))  # the answer depends on the stamp's shape only


@lru_cache(maxsize=1024)
def _traits(text: str | None) -> tuple[bool, float]:
    """(naive, resolution in seconds) of a timestamp as written; (False, 0.0) when unknown.

    Naive stamps were read in ``--tz``; a whole-second stamp (resolution 1.0) may be up to a
    second early, which matters where a log's time is the end of a request (nginx ``$time_local``).
    """
    if not text:
        return False, 0.0
    text = text.strip()
    frac = _FRACTION.search(text)
    resolution = 10.0 ** -len(frac.group(1)) if frac else 1.0
    return _OFFSET_AT_END.search(text) is None, resolution


# --- layouts: the timestamp spellings a format definition can name -----------------------------

#: Regex fragments with the named groups ``epoch_from_match`` reads: y (or yy), mo (or mon), d, h,
#: mi, s, frac (decimal fraction) or ms (milliseconds), tz; or epoch. Year-less layouts take the
#: year as syslog does (see ``Zone.reference``).
LAYOUTS: dict[str, str] = {
    "iso": ISO_PATTERN,
    "clf": r"(?P<d>\d{2})/(?P<mon>[A-Z][a-z]{2})/(?P<y>\d{4}):(?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})"
           r"(?:\.(?P<frac>\d+))?(?: (?P<tz>[+-]\d{4}))?",
    "django": r"(?P<d>\d{2})/(?P<mon>[A-Z][a-z]{2})/(?P<y>\d{4}) (?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})",
    "bsd": r"(?P<mon>[A-Z][a-z]{2}) +(?P<d>\d{1,2}) (?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})(?:\.(?P<frac>\d+))?",
    "ctime": r"[A-Z][a-z]{2} (?P<mon>[A-Z][a-z]{2}) +(?P<d>\d{1,2}) (?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})"
             r"(?:\.(?P<frac>\d+))? (?P<y>\d{4})",
    "yy/MM/dd": r"(?P<yy>\d{2})/(?P<mo>\d{2})/(?P<d>\d{2}) (?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})",
    "yyMMdd": r"(?P<yy>\d{2})(?P<mo>\d{2})(?P<d>\d{2}) (?P<h>\d{2})(?P<mi>\d{2})(?P<s>\d{2})",
    "MM-dd": r"(?P<mo>\d{2})-(?P<d>\d{2}) (?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})\.(?P<frac>\d{3})",
    "yyyyMMdd-HH:mm:ss:SSS": r"(?P<y>\d{4})(?P<mo>\d{2})(?P<d>\d{2})-(?P<h>\d{1,2}):(?P<mi>\d{1,2}):(?P<s>\d{1,2})"
                             r":(?P<ms>\d{1,3})",
    "MM.dd": r"(?P<mo>\d{2})\.(?P<d>\d{2}) (?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})",
    "yyyy-MM-dd-HH.mm.ss": r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})-(?P<h>\d{2})\.(?P<mi>\d{2})\.(?P<s>\d{2})"
                           r"(?:\.(?P<frac>\d{1,9}))?",
    "epoch": r"(?P<epoch>\d{10}(?:\.\d{1,9})?)",
}
YEARLESS = frozenset({"bsd", "MM-dd", "MM.dd"})


def epoch_from_match(m: re.Match, zone: Zone) -> float | None:
    """Epoch seconds from a match of a pattern built on ``LAYOUTS``, or None if out of range."""
    return epoch_from_groups(m.groupdict(), zone)


def epoch_from_groups(g: dict, zone: Zone) -> float | None:
    """Epoch seconds from a layout's group values (y, mo, d, ...), or None if out of range."""
    epoch = g.get("epoch")
    if epoch:
        return float(epoch)
    try:
        if g.get("mo"):
            mo = int(g["mo"])
        else:
            mo = _MONTHS.get(g.get("mon") or "", 0)
        d, h, mi, s = int(g["d"]), int(g["h"]), int(g["mi"]), int(g["s"])
        frac = _frac(g.get("frac"))
        if g.get("ms"):
            frac = int(g["ms"]) / 1000
        if not (1 <= mo <= 12 and 1 <= d <= 31 and h < 24 and mi < 60 and s < 61):
            return None
        if g.get("y"):
            y = int(g["y"])
        elif g.get("yy"):
            y = 2000 + int(g["yy"])
        else:
            return _yearless(zone, mo, d, h, mi, s, frac)
        tz = g.get("tz")
        if tz:
            return timegm((y, mo, d, h, mi, s)) + frac - _offset_seconds(tz)
        return zone.naive_to_epoch(y, mo, d, h, mi, s, frac)
    except (ValueError, OverflowError, KeyError, TypeError):
        return None


def _yearless(zone: Zone, mo: int, d: int, h: int, mi: int, s: int, frac: float) -> float | None:
    """A stamp without a year: the year that puts it closest before the reference time."""
    now = zone.reference if zone.reference is not None else time.time()
    year = time.gmtime(now).tm_year
    try:
        ts = zone.naive_to_epoch(year, mo, d, h, mi, s, frac)
        if ts > now + 86400:  # e.g. "Dec 31" read in January: last year's
            ts = zone.naive_to_epoch(year - 1, mo, d, h, mi, s, frac)
    except (ValueError, OverflowError):
        return None
    return ts
