"""Query-string parsing shared by the API views; every failure names the parameter."""
from __future__ import annotations

import math

from ..errors import BadRequest


def number(args, name: str, default: float | None = None) -> float | None:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a number, not {raw[:40]!r}", field=name) from None
    if not math.isfinite(value):
        raise BadRequest(f"{name} must be a finite number", field=name)
    return value


def integer(args, name: str, default: int) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number, not {raw[:40]!r}", field=name) from None


def bbox(args) -> tuple[float, ...] | None:
    raw = args.get("bbox")
    if raw is None or raw == "":
        return None
    parts = raw.split(",")
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != 4:
        raise BadRequest("bbox must be minlon,minlat,maxlon,maxlat", field="bbox")
    return values
