"""Vector tiles (Mapbox Vector Tile 2.1) of a layer: tile addresses, their boxes and the encoder the
embedded store uses (PostGIS encodes its own with ``ST_AsMVT``; both follow the rules here).

Tiles are in Web Mercator (EPSG:3857) on the usual XYZ grid (y from the north), ``EXTENT`` units a
side, with a ``BUFFER`` of units around each tile so that symbols at an edge are drawn whole. A
tile holds at most :data:`MAX_FEATURES` features (the lowest ids): one request's work stays bounded
whatever the zoom. Below :data:`THIN_BELOW_ZOOM` a point layer's tile is an overview: one point per
square of :data:`THIN_PX` pixels (the lowest id in it), on the grid the map's clusters count on
(:mod:`mapservice.clusters`), so neighbouring tiles agree and both stores pick the same points.
"""
from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import mapbox_vector_tile
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from .clusters import CELL_PX
from .errors import BadRequest
from .layers import Layer

EXTENT = 4096
BUFFER = 64
MAX_ZOOM = 22
#: The most features one tile holds (the lowest ids): bounds the work of a low-zoom tile of a big layer.
MAX_FEATURES = 100_000
#: Below this zoom a point layer's tile keeps one point per THIN_PX x THIN_PX pixels (256-pixel
#: tiles): the densest z8 tile of 100,000 venues holds 79,514 points and 5.9 MB whole, 1,363 and
#: 118 kB thinned; the densest z12 tile 24,431 and 1.8 MB whole, 3,878 and 306 kB thinned. From
#: this zoom on (streets) every point is in its tile.
THIN_BELOW_ZOOM = 13
THIN_PX = 4
#: Half the side of the Web Mercator square, metres.
HALF_WORLD = 20037508.342789244
#: The latitude Web Mercator stops at.
MAX_LAT = 85.0511287798066


def check_tile(z: Any, x: Any, y: Any) -> tuple[int, int, int]:
    """Validate a tile address: zoom 0..MAX_ZOOM, column and row 0..2^z-1."""
    if isinstance(z, bool) or not isinstance(z, int) or not 0 <= z <= MAX_ZOOM:
        raise BadRequest(f"z must be a whole number from 0 to {MAX_ZOOM}", field="z", code="out_of_range",
                         params={"min": 0, "max": MAX_ZOOM})
    for name, value in (("x", x), ("y", y)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2 ** z:
            raise BadRequest(f"{name} must be a whole number from 0 to {2 ** z - 1} at zoom {z}", field=name,
                             code="out_of_range", params={"min": 0, "max": 2 ** z - 1})
    return z, x, y


def thin_zoom(layer: Layer, z: int) -> int | None:
    """The zoom of the clusters' grid whose cells are THIN_PX pixels at ``z`` (their cells are
    ``CELL_PX``), when the layer's tile at ``z`` is thinned; None when it holds every feature."""
    if not layer.is_point or z >= THIN_BELOW_ZOOM:
        return None
    return z + int(math.log2(CELL_PX // THIN_PX))


def mercator_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(minx, miny, maxx, maxy) of the tile in EPSG:3857 metres, as PostGIS's ST_TileEnvelope."""
    size = 2 * HALF_WORLD / 2 ** z
    minx = -HALF_WORLD + x * size
    maxy = HALF_WORLD - y * size
    return minx, maxy - size, minx + size, maxy


def query_box(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """The longitude/latitude box (EPSG:4326) of the tile and its buffer, and one tile unit more,
    within Web Mercator's latitudes: the features that may appear in the tile are those whose
    bounding box meets it. A point up to half a unit beyond the buffer snaps onto its edge and is
    drawn: the extra unit makes it a candidate for both stores alike (PostGIS's index boxes are
    float4, rounded outwards, so it would find some of those and the GeoPackage none)."""
    minx, miny, maxx, maxy = mercator_bounds(z, x, y)
    margin = (maxx - minx) * (BUFFER + 1) / EXTENT
    lon = np.degrees(np.array([minx - margin, maxx + margin]) / 6378137.0)
    lat = np.degrees(2 * np.arctan(np.exp(np.array([miny - margin, maxy + margin]) / 6378137.0)) - math.pi / 2)
    return (max(-180.0, float(lon[0])), max(-MAX_LAT, float(lat[0])),
            min(180.0, float(lon[1])), min(MAX_LAT, float(lat[1])))


def to_mercator(xy: np.ndarray) -> np.ndarray:
    """Longitude/latitude rows to EPSG:3857 metres (spherical, as PROJ's)."""
    lat = np.clip(xy[:, 1], -MAX_LAT, MAX_LAT)
    return np.column_stack([np.radians(xy[:, 0]) * 6378137.0,
                            np.log(np.tan(math.pi / 4 + np.radians(lat) / 2)) * 6378137.0])


def tile_properties(layer: Layer, properties: dict) -> dict:
    """What a tile carries of a feature: its public attributes and ``generated``, lists joined with
    ';' (as the PostGIS columns hold them), missing values left out (as ST_AsMVT leaves them)."""
    out = {}
    for name in ("generated", *layer.attribute_names):
        value = properties.get(name)
        if value is None:
            continue
        out[name] = ";".join(value) if isinstance(value, list) else value
    return out


def encode(layer: Layer, features: Iterable, z: int, x: int, y: int) -> bytes:
    """The tile of ``features`` (:class:`~mapservice.store.base.Feature`, WGS 84): geometries in tile
    units (y down), snapped to the grid, clipped to the tile and its buffer, as ST_AsMVTGeom does."""
    minx, miny, maxx, maxy = mercator_bounds(z, x, y)
    scale = EXTENT / (maxx - minx)
    low, high = -BUFFER, EXTENT + BUFFER
    encoded = []
    for feature in features:
        geometry = shapely.transform(feature.geometry, lambda xy: _tile_units(xy, minx, maxy, scale))
        geometry = _clip(geometry, low, high)
        if geometry is None:
            continue
        encoded.append({"geometry": geometry, "properties": tile_properties(layer, feature.properties),
                        "id": feature.id})
    if not encoded:
        return b""
    return mapbox_vector_tile.encode(
        [{"name": layer.id, "features": encoded}],
        default_options={"extents": EXTENT, "y_coord_down": True,
                         "on_invalid_geometry": mapbox_vector_tile.encoder.on_invalid_geometry_make_valid})


def _tile_units(xy: np.ndarray, minx: float, maxy: float, scale: float) -> np.ndarray:
    merc = to_mercator(xy)
    return np.rint(np.column_stack([(merc[:, 0] - minx) * scale, (maxy - merc[:, 1]) * scale]))


def _clip(geometry: BaseGeometry, low: float, high: float) -> BaseGeometry | None:
    """The geometry within the tile and its buffer, or None when nothing of it is."""
    if geometry.geom_type == "Point":
        return geometry if low <= geometry.x <= high and low <= geometry.y <= high else None
    clipped = shapely.clip_by_rect(geometry, low, low, high, high)
    if clipped.is_empty or clipped.area == 0:
        return None
    return clipped


class TileCache:
    """Encoded tiles kept in memory, keyed by the layer's change counter (an edited layer's old tiles
    are never served), at most ``max_bytes`` of them, the least recently used dropped first."""

    def __init__(self, max_bytes: int = 64 << 20):
        self.max_bytes = max_bytes
        self._tiles: OrderedDict[tuple, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> bytes | None:
        with self._lock:
            data = self._tiles.get(key)
            if data is not None:
                self._tiles.move_to_end(key)
            return data

    def put(self, key: tuple, data: bytes) -> None:
        if len(data) > self.max_bytes // 8:
            return  # one huge low-zoom tile would push out hundreds of others
        with self._lock:
            if key in self._tiles:
                return
            self._tiles[key] = data
            self._size += len(data)
            while self._size > self.max_bytes:
                _, dropped = self._tiles.popitem(last=False)
                self._size -= len(dropped)


def etag(layer_id: str, version: int | None, z: int, x: int, y: int) -> str | None:
    """The tile's entity tag: the layer's change counter is part of it, so an edit changes it (None
    when the store keeps no counter: then no tag is promised)."""
    return None if version is None else f"{layer_id}-{version}-{z}-{x}-{y}"


def tilejson(layer: Layer, tile_url: str, bounds: tuple[float, float, float, float] | None, lang: str) -> dict:
    """A TileJSON 3.0 document for the layer's tiles (``tile_url`` with ``{z}/{x}/{y}``)."""
    types = {"text": "String", "code": "String", "codes": "String (codes joined with ;)",
             "opening_hours": "String (OpenStreetMap opening_hours)", "integer": "Number", "number": "Number",
             "boolean": "Boolean"}
    box = list(bounds) if bounds else [-180.0, -MAX_LAT, 180.0, MAX_LAT]
    return {"tilejson": "3.0.0", "name": layer.title(lang), "scheme": "xyz", "tiles": [tile_url],
            "minzoom": 0, "maxzoom": MAX_ZOOM, "bounds": box,
            "center": [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2, 10],
            "vector_layers": [{"id": layer.id, "description": layer.title(lang), "minzoom": 0, "maxzoom": MAX_ZOOM,
                               "fields": {"generated": "Boolean",
                                          **{a.name: f"{types[a.type]}: {a.label(lang)}" for a in layer.attributes}}}]}
