"""Query-string parsing the schemas cannot express; every failure names the parameter."""
from __future__ import annotations

from .. import parsing
from ..errors import BadRequest


def bbox(raw: str | None) -> tuple[float, ...] | None:
    """``minlon,minlat,maxlon,maxlat`` as four floats (range checks are the store's)."""
    if raw is None or raw == "":
        return None
    try:
        values = tuple(parsing.number(p) for p in raw.split(","))
    except ValueError:
        values = ()
    if len(values) != 4:
        raise BadRequest("bbox must be minlon,minlat,maxlon,maxlat", field="bbox", code="bad_bbox")
    return values
