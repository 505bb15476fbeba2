"""Nearby search for families: features around a point (supply by default), filtered for one child.

Walking minutes assume 1000 m in 15 minutes (about 67 m a minute), the 15-minute circle of the
community life circle in GB 50180-2018, rounded up to whole minutes.
"""
from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, fields, replace
from datetime import datetime

import shapely

from . import hours, i18n
from .errors import BadRequest
from .i18n import t
from .layers import Layer, Region, Role
from .store.base import Nearby, Store

WALK_METRES_PER_MINUTE = 1000 / 15
DEFAULT_RADIUS_M = 3000
MAX_RADIUS_M = 50_000
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_FETCH = 10_000
# A pupil in grade g is about g + 6 years old (school starts at six in China).
GRADE_AGE_OFFSET = 6
#: The ages of a preschool child (幼儿园, 3 to 6), youngest and oldest.
PRESCHOOL_AGES = (3, 6)


@dataclass(frozen=True)
class NearbyQuery:
    """A parent's question. ``grade`` 1-12 or ``age`` 0-18; ``open_at`` in China local time."""

    lon: float
    lat: float
    radius_m: float = DEFAULT_RADIUS_M
    layers: tuple[str, ...] | None = None
    limit: int = DEFAULT_LIMIT
    category: str | None = None
    free: bool | None = None
    grade: int | None = None
    age: int | None = None
    open_at: datetime | None = None
    #: True: for a preschool child (学前, ages :data:`PRESCHOOL_AGES`): places whose ages overlap them.
    preschool: bool | None = None


#: The filters of a :class:`NearbyQuery` (the fields after ``limit``), which the API takes under the same names.
FILTERS = tuple(f.name for f in fields(NearbyQuery))[[f.name for f in fields(NearbyQuery)].index("limit") + 1:]


def walk_minutes(distance_m: float) -> int:
    """Whole walking minutes for a distance in metres (at least 1)."""
    return max(1, math.ceil(distance_m / WALK_METRES_PER_MINUTE))


def age_range(layer: Layer, props: dict) -> tuple[int | None, int | None] | None:
    """The youngest and oldest age a feature suits, in years, from its age range or else its grade
    range (grade g is about age g + 6); None when the layer has neither."""
    ends = [layer.role(role) for role in (Role.MIN_AGE, Role.MAX_AGE)]
    offset = 0
    if not any(ends):
        ends = [layer.role(role) for role in (Role.MIN_GRADE, Role.MAX_GRADE)]
        offset = GRADE_AGE_OFFSET
    if not any(ends):
        return None
    values = [props.get(a.name) if a is not None else None for a in ends]
    return tuple(v + offset if v is not None else None for v in values)


def _fits_age(layer: Layer, props: dict, youngest: int, oldest: int) -> bool:
    """The feature's age or grade range overlaps ``youngest..oldest``; a feature without one suits every age."""
    ages = age_range(layer, props)
    if ages is None:
        return True
    low, high = ages
    return (low is None or low <= oldest) and (high is None or youngest <= high)


def _layer_filters(layer: Layer, query: NearbyQuery) -> dict | None:
    """Store filters for one layer, or None when the layer cannot match the query at all."""
    filters = {}
    if query.category is not None:
        category = layer.role(Role.CATEGORY)
        if category is None:
            return None
        filters[category.name] = query.category
    if query.free is not None:
        free = layer.role(Role.PRICE_FREE)
        if free is not None:
            filters[free.name] = "true" if query.free else "false"
        elif not query.free:
            return None  # layers without a price are free public services
    if query.open_at is not None and not layer.role(Role.OPENING_HOURS):
        return None  # no hours known: cannot promise it is open
    return filters


def search(store: Store, query: NearbyQuery) -> list[Nearby]:
    """Supply features near ``query``'s point, nearest first, at most ``query.limit``."""
    if not 0 < query.radius_m <= MAX_RADIUS_M:
        raise BadRequest(f"radius must be more than 0 and at most {MAX_RADIUS_M} m", field="radius",
                         code="above_min", params={"min": 0, "max": MAX_RADIUS_M})
    if not 1 <= query.limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be from 1 to {MAX_LIMIT}", field="limit", code="out_of_range",
                         params={"min": 1, "max": MAX_LIMIT})
    if query.grade is not None and not 1 <= query.grade <= 12:
        raise BadRequest("grade must be from 1 to 12", field="grade", code="out_of_range", params={"min": 1, "max": 12})
    if query.age is not None and not 0 <= query.age <= 18:
        raise BadRequest("age must be from 0 to 18", field="age", code="out_of_range", params={"min": 0, "max": 18})
    age = query.age if query.age is not None else (query.grade + GRADE_AGE_OFFSET if query.grade else None)
    ages = PRESCHOOL_AGES if query.preschool else (age, age) if age is not None else None
    layers = _search_layers(store, query.layers)
    if query.category is not None and not any(layer.role(Role.CATEGORY) for layer in layers):
        # A filter that none of the chosen layers has does not apply to them: it is ignored.
        query = replace(query, category=None)
    chosen = [(layer, filters) for layer in layers if (filters := _layer_filters(layer, query)) is not None]
    if ages is None and query.open_at is None:
        return store.nearest_per_layer(query.lon, query.lat, [(lay.id, f) for lay, f in chosen],
                                       query.radius_m, query.limit)
    found: list[Nearby] = []
    for layer, filters in chosen:

        hours_attribute = layer.role(Role.OPENING_HOURS)

        def keep(hit: Nearby, layer=layer, hours_attribute=hours_attribute) -> bool:
            props = hit.feature.properties
            return ((ages is None or _fits_age(layer, props, *ages))
                    and (query.open_at is None or hours.is_open(props.get(hours_attribute.name), query.open_at)))

        fetch = min(max(4 * query.limit, 100), MAX_FETCH)
        while True:
            hits = store.nearest_per_layer(query.lon, query.lat, [(layer.id, filters)], query.radius_m, fetch)
            kept = [h for h in hits if keep(h)]
            if len(kept) >= query.limit or len(hits) < fetch or fetch == MAX_FETCH:
                break
            fetch = min(fetch * 4, MAX_FETCH)
        found.extend(kept[:query.limit])
    found.sort(key=lambda h: (h.distance_m, h.feature.layer, h.feature.id))
    return found[:query.limit]


def _search_layers(store: Store, layer_ids) -> list[Layer]:
    """The layers to search: those named (any layer of points, each once), else every supply layer of points."""
    if not layer_ids:
        return [layer for layer in store.layers.of_kind("supply") if layer.is_point]
    chosen = []
    for layer_id in dict.fromkeys(layer_ids):
        layer = store.layers.require(layer_id, "layers")
        if not layer.is_point:
            raise BadRequest(f"layer {layer_id} has no points to search", field="layers", code="not_points",
                             params={"layer": {"zh": layer.title_zh, "en": layer.title_en}})
        chosen.append(layer)
    return chosen


# -- what a search's answer says besides its places: outside the region, nothing open ------------

_REGIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _region_shape(store: Store):
    """The union of the boundary layers' features (prepared), or None without boundaries; kept per
    store until a boundary layer changes (its change counter: one small read, where counting every
    layer's rows was most of a nearby search's time on a big region)."""
    boundary = [layer.id for layer in store.layers.of_kind("boundary")]
    versions = store.layer_versions()
    key = tuple(versions.get(i, 0) for i in boundary) if versions is not None else \
        tuple(store.counts().get(i, 0) for i in boundary)
    cached = _REGIONS.get(store)
    if cached is None or cached[0] != key:
        from .exporter import iter_features

        shapes = [f.geometry for i in boundary for f in iter_features(store, i)]
        union = shapely.union_all(shapes) if shapes else None
        if union is not None:
            shapely.prepare(union)
        cached = _REGIONS[store] = (key, union)
    return cached[1]


def inside_region(store: Store, lon: float, lat: float) -> bool:
    """Whether (lon, lat), WGS 84, lies within the region's boundaries (True when there are none)."""
    shape = _region_shape(store)
    return shape is None or shape.intersects(shapely.Point(lon, lat))


def notice(store: Store, query: NearbyQuery, hits: list[Nearby], lang: str, region: Region | None,
           now: datetime | None = None) -> dict | None:
    """What the answer says besides its places, or None: ``outside_region`` (the point is outside the
    region: its name and the centre to search from instead) or, when nothing is open at
    ``query.open_at``, ``none_open`` with when the nearest place that fits the rest of the question
    opens next (``now``, China time, says which day is today)."""
    if region is not None and not inside_region(store, query.lon, query.lat):
        name = region.name(lang)
        lon, lat = region.centre
        return {"code": "outside_region", "text": t("outside_region", lang, region=name),
                "action": t("outside_region_action", lang, region=name), "centre": {"lon": lon, "lat": lat},
                "centre_label": name}
    if hits or query.open_at is None:
        return None
    now = now or datetime.now(hours.CHINA_TIME).replace(tzinfo=None)
    for hit in search(store, replace(query, open_at=None)):
        attribute = store.layers[hit.feature.layer].role(Role.OPENING_HOURS)
        when = hours.next_opening(hit.feature.properties.get(attribute.name), query.open_at) if attribute else None
        if when is not None:
            return {"code": "none_open", "text": t("none_open", lang, name=hit.feature.properties.get("name", ""),
                                                   distance=i18n.distance(hit.distance_m, lang),
                                                   when=hours.when_words(when, now, lang)),
                    "place": {"layer": hit.feature.layer, "id": hit.feature.id}}
    return {"code": "none_open", "text": t("none_open_soon", lang)}
