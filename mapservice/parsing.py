"""One parser per type for the values that come from a request or a file, each range-checked where it parses.

Whole numbers, numbers, date-times and text: the API's query fields (:mod:`mapservice.web.schemas`),
attribute filters and the importer (both through :meth:`mapservice.layers.Attribute.parse`) all
parse here, so a value one of them takes the others take too, and a value that a store could not
hold (an integer past 64 bits, a NUL character) is refused before any store sees it. Every parser
raises :class:`ValueError` with a reason a person can act on; callers name the field.

Only ASCII digits count: Python's ``int`` and ``float`` also take the digits of other scripts
(``٣``, ``３``) and underscores (``1_000``), which no form or spreadsheet means as a number.
"""
from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone

#: What a store's integer column holds: a signed 64-bit integer (PostgreSQL bigint, SQLite INTEGER).
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
#: Date-times are taken from these years (as written, before any conversion to China time).
FIRST_YEAR, LAST_YEAR = 1900, 2099
#: China Standard Time, in which opening hours are read.
CHINA_TIME = timezone(timedelta(hours=8))
_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# Control characters other than tab, line feed and carriage return (which cells and notes may hold).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: The same rule as a JSON Schema (ECMA-262) pattern, for the API description.
TEXT_PATTERN = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$"
#: The years of :data:`FIRST_YEAR` .. :data:`LAST_YEAR` as a pattern on the start of a date-time.
YEAR_PATTERN = r"^(19|20)[0-9]{2}-"
_LEAP_SECOND = re.compile(r"(T\d{2}:\d{2}:)60")


def whole_number(raw: object, low: int = INT64_MIN, high: int = INT64_MAX) -> int:
    """``raw`` (text of ASCII digits, or an int, or a float with no fraction) as an int in ``low..high``."""
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is not a whole number")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float):
        if not math.isfinite(raw) or raw != int(raw):
            raise ValueError(f"{raw!r} is not a whole number")
        value = int(raw)
    else:
        text = str(raw).strip()
        if _INTEGER.fullmatch(text):
            value = int(text)
        elif _NUMBER.fullmatch(text) and math.isfinite(number := float(text)) and number == int(number):
            value = int(number)  # 1e3, 12.0: spreadsheets write whole numbers so
        else:
            raise ValueError(f"{_shown(raw)} is not a whole number")
    if not low <= value <= high:
        raise ValueError(_range_reason(value, low, high, "whole number"))
    return value


def number(raw: object, low: float | None = None, high: float | None = None) -> float:
    """``raw`` (decimal text, or an int or float) as a finite float within ``low..high`` (inclusive)."""
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is not a number")
    if isinstance(raw, (int, float)):
        value = float(raw)
    else:
        text = str(raw).strip()
        if not _NUMBER.fullmatch(text):
            raise ValueError(f"{_shown(raw)} is not a number")
        value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{_shown(raw)} is not a finite number")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(_range_reason(value, low, high, "number"))
    return value


def text(raw: object, max_length: int | None = None) -> str:
    """``raw`` as text, refused when it holds a control character (tab and line breaks are fine) or
    is longer than ``max_length`` characters."""
    value = raw if isinstance(raw, str) else str(raw)
    found = _CONTROL.search(value)
    if found:
        raise ValueError(f"contains the control character U+{ord(found.group()):04X}")
    if max_length is not None and len(value) > max_length:
        raise ValueError(f"is longer than {max_length} characters")
    return value


def moment(raw: object) -> datetime:
    """An ISO 8601 / RFC 3339 date-time (``2026-05-12T09:30``, ``...+08:00``, ``...Z``) of the years
    :data:`FIRST_YEAR` to :data:`LAST_YEAR`, as a naive China-time wall clock (an offset is converted).

    A leap second (``:60``) is read as the last instant of its minute.
    """
    if isinstance(raw, datetime):
        value = raw
    else:
        source = text(raw).strip()
        normal = _LEAP_SECOND.sub(r"\g<1>59.999999", source.upper())
        try:
            value = datetime.fromisoformat(normal)
        except ValueError:
            raise ValueError(f"{_shown(source)} is not an ISO date-time such as 2026-05-12T09:30:00+08:00") from None
        if _LEAP_SECOND.search(source.upper()):
            value = value.replace(microsecond=999_999)
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"the year must be from {FIRST_YEAR} to {LAST_YEAR}")
    return value.astimezone(CHINA_TIME).replace(tzinfo=None) if value.tzinfo else value


def visible(value: str) -> str:
    """``value`` with its control characters written as ``\\xNN``, to show in a report or a terminal."""
    return _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", value)


def _shown(raw: object) -> str:
    return repr(visible(str(raw)[:40]))


def _range_reason(value: float, low: float | None, high: float | None, kind: str) -> str:
    def shown(v):
        return f"{v:g}" if isinstance(v, float) else str(v)

    if low is not None and high is not None:
        return f"{shown(value)} is not a {kind} from {shown(low)} to {shown(high)}"
    if low is not None:
        return f"{shown(value)} is below the minimum {shown(low)}"
    return f"{shown(value)} is above the maximum {shown(high)}"
