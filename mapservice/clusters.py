"""Clusters of the map's point layers, made on the server per zoom and view: a region with 100k
features in each layer is drawn from a few hundred cells, not by sending every feature to the page.

The grid is Web Mercator's pixel grid at the map's zoom (256 px tiles), cut into squares of
:data:`CELL_PX` pixels counted from the world's top left, so a cell is the same cell whatever the
view and a pan keeps the clusters where they were; a view gets every cell it touches whole, so a
cluster at the screen's edge keeps its count as the map moves. Each store counts the points of a
layer per cell (:meth:`Store.cells`: SQL ``GROUP BY`` on PostGIS, the in-memory point index on the GeoPackage, both
with :func:`cell_index`'s arithmetic); here the layers' cells are merged: a cell's count per layer
(the cluster's ring), the mean of its points (where it is drawn) and their box (what a click zooms
to). A cell holding one feature is that feature, and from :data:`UNCLUSTERED_ZOOM` on (street zoom)
every feature in view comes as itself, up to :data:`MAX_FEATURES`.

One request's work is bounded by the view: at most :data:`MAX_CELLS` cells a view, a 400 beyond.
Up to :data:`CACHED_ZOOM` (a region or a province on the screen) a layer's cells are counted once
per change of the layer and kept.
"""
from __future__ import annotations

import math
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import BadRequest

if TYPE_CHECKING:
    from .store.base import Store

#: The side of a cell in screen pixels (near leaflet.markercluster's radius, which the page used).
CELL_PX = 64
#: From this zoom on the features in view are sent one by one (the page draws no clusters there).
UNCLUSTERED_ZOOM = 17
MAX_ZOOM = 22
#: The most cells one view may cover (a 4K screen at 64 px cells is ~2,000).
MAX_CELLS = 10_000
#: The most features sent one by one; a street view holding more is clustered still.
MAX_FEATURES = 2_000
#: Up to this zoom a layer's cells are counted for the whole layer once per change and kept
#: (:data:`CACHED_VIEWS` layer-zooms per store, each of at most :data:`CACHED_CELLS` cells).
CACHED_ZOOM = 10
CACHED_VIEWS = 64
CACHED_CELLS = 50_000
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_CACHE_LOCK = threading.Lock()
#: Web Mercator's latitude limit: points beyond it are counted in the grid's top or bottom row.
MAX_LAT = 85.0511287798066


def cells_per_degree(zoom: int) -> float:
    """Cells across 360 degrees of longitude at ``zoom``, as a float (the stores' scale)."""
    return 256 * 2 ** zoom / CELL_PX / 360


def cell_index(lon, lat, zoom: int) -> tuple[np.ndarray, np.ndarray]:
    """The cell (column from the west, row from the north) of each point, as the stores compute it:
    ``floor((lon + 180) * s)`` and ``floor((1 - asinh(tan(lat)) / pi) / 2 * 360 * s)``."""
    s = cells_per_degree(zoom)
    lat = np.clip(np.asarray(lat, dtype=float), -MAX_LAT, MAX_LAT)
    i = np.floor((np.asarray(lon, dtype=float) + 180) * s)
    j = np.floor((1 - np.arcsinh(np.tan(np.radians(lat))) / math.pi) / 2 * 360 * s)
    return i.astype(np.int64), j.astype(np.int64)


def aggregate(fids: np.ndarray, lon: np.ndarray, lat: np.ndarray, zoom: int) -> list[tuple]:
    """Per cell: (i, j, count, sum of lon, sum of lat, min lon, min lat, max lon, max lat, least id),
    the rows :meth:`Store.cells` gives (the embedded store's; PostGIS's are the same in SQL)."""
    if not len(fids):
        return []
    i, j = cell_index(lon, lat, zoom)
    order = np.lexsort((j, i))
    i, j, fids, lon, lat = i[order], j[order], fids[order], lon[order], lat[order]
    starts = np.flatnonzero(np.r_[True, (i[1:] != i[:-1]) | (j[1:] != j[:-1])])
    counts = np.diff(np.r_[starts, len(i)])
    columns = (i[starts], j[starts], counts, np.add.reduceat(lon, starts), np.add.reduceat(lat, starts),
               np.minimum.reduceat(lon, starts), np.minimum.reduceat(lat, starts),
               np.maximum.reduceat(lon, starts), np.maximum.reduceat(lat, starts), np.minimum.reduceat(fids, starts))
    return list(zip(*(c.tolist() for c in columns)))


def cell_range(box: tuple[float, float, float, float], zoom: int) -> tuple[int, int, int, int]:
    """(first column, first row, last column, last row) of the cells ``box`` touches."""
    (i0, i1), (j1, j0) = cell_index([box[0], box[2]], [box[1], box[3]], zoom)
    return int(i0), int(j0), int(i1), int(j1)


def cells_box(cells: tuple[int, int, int, int], zoom: int) -> tuple[float, float, float, float]:
    """The lon/lat box holding those cells whole, a hair wider (the cells' own test decides), and to
    the poles at the grid's top and bottom rows (which count the points beyond Web Mercator)."""
    i0, j0, i1, j1 = cells
    s = cells_per_degree(zoom)
    rows = 360 * s
    lat = lambda j: math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * j / rows))))  # noqa: E731
    hair = 1e-9
    return (max(-180.0, i0 / s - 180 - hair), -90.0 if j1 >= rows - 1 else lat(j1 + 1) - hair,
            min(180.0, (i1 + 1) / s - 180 + hair), 90.0 if j0 <= 0 else lat(j0) + hair)


def within(rows: Iterable[tuple], cells: tuple[int, int, int, int]) -> list[tuple]:
    """The cell rows (of :meth:`Store.cells`) inside the range ``cells``."""
    i0, j0, i1, j1 = cells
    return [r for r in rows if i0 <= r[0] <= i1 and j0 <= r[1] <= j1]


def check_zoom(zoom: Any) -> int:
    """A zoom 0..MAX_ZOOM, else a 400 on ``zoom``."""
    if isinstance(zoom, bool) or not isinstance(zoom, int) or not 0 <= zoom <= MAX_ZOOM:
        raise BadRequest(f"zoom must be a whole number from 0 to {MAX_ZOOM}", field="zoom", code="out_of_range",
                         params={"min": 0, "max": MAX_ZOOM})
    return zoom


def check_view(bbox: Any, zoom: Any) -> tuple[tuple[float, float, float, float], int]:
    """The view's box and zoom, refused (400, naming the field) when the box covers too many cells."""
    from .store.base import check_bbox  # the stores count cells with this module's arithmetic

    check_zoom(zoom)
    box = check_bbox(bbox)
    if box is None:
        raise BadRequest("bbox is required: minlon,minlat,maxlon,maxlat", field="bbox", code="bad_bbox")
    i0, j0, i1, j1 = cell_range(box, zoom)
    if (i1 - i0 + 1) * (j1 - j0 + 1) > MAX_CELLS:
        raise BadRequest(f"bbox covers more than {MAX_CELLS} cells at zoom {zoom}: zoom in or ask for a smaller box",
                         field="bbox", code="bbox_too_large", params={"max": MAX_CELLS})
    return box, zoom


def point_layers(store: Store, layer_ids: Iterable[str]) -> list:
    """The layers named (each once), refused (400 on ``layers``) unless each holds points."""
    return [store.layers.require(i, "layers", points=True) for i in dict.fromkeys(layer_ids)]


def view(store: Store, layer_ids: Iterable[str], bbox: Any, zoom: Any) -> dict:
    """The clusters and single features of the point layers ``layer_ids`` in the view.

    ``{"clusters": [{lon, lat, count, counts: {layer: n}, bbox}], "features": [{layer, id, lon, lat, name,
    generated}]}``, clusters from the biggest, features by layer and id.
    """
    box, zoom = check_view(bbox, zoom)
    layers = point_layers(store, layer_ids)
    if zoom >= UNCLUSTERED_ZOOM:
        pages = [store.features(layer.id, bbox=box, limit=MAX_FEATURES) for layer in layers]
        if sum(p.number_matched for p in pages) <= MAX_FEATURES:
            return {"clusters": [], "features": [_single(f) for p in pages for f in p.features]}
    merged: dict[tuple[int, int], dict] = {}
    versions = store.layer_versions() if zoom <= CACHED_ZOOM else None
    for layer in layers:
        rows = _cached_cells(store, layer.id, versions, box, zoom) if versions else None
        for i, j, n, sx, sy, x0, y0, x1, y1, fid in rows if rows is not None else store.cells(layer.id, box, zoom):
            cell = merged.setdefault((i, j), {"count": 0, "sx": 0.0, "sy": 0.0, "counts": {}, "box": [x0, y0, x1, y1],
                                              "first": (layer.id, fid)})
            cell["count"] += n
            cell["sx"] += sx
            cell["sy"] += sy
            cell["counts"][layer.id] = n
            b = cell["box"]
            cell["box"] = [min(b[0], x0), min(b[1], y0), max(b[2], x1), max(b[3], y1)]
    clusters, singles = [], {}
    for cell in merged.values():
        if cell["count"] == 1:
            layer_id, fid = cell["first"]
            singles.setdefault(layer_id, []).append(fid)
        else:
            clusters.append({"lon": cell["sx"] / cell["count"], "lat": cell["sy"] / cell["count"],
                             "count": cell["count"], "counts": cell["counts"], "bbox": cell["box"]})
    clusters.sort(key=lambda c: (-c["count"], c["lon"], c["lat"]))
    order = {layer.id: k for k, layer in enumerate(layers)}
    features = sorted(store.get_layers(singles), key=lambda f: (order[f.layer], f.id))
    return {"clusters": clusters, "features": [_single(f) for f in features]}


def _cached_cells(store: Store, layer_id: str, versions: dict[str, int], box, zoom: int) -> list[tuple] | None:
    """The view's cells from the layer's every cell at ``zoom``, counted once per change of the layer
    (a province's 1M venues take seconds at zoom 8); None where the layer has too many cells to keep."""
    key = (layer_id, versions[layer_id], zoom)
    with _CACHE_LOCK:
        kept = _CACHE.setdefault(store, OrderedDict())
        rows = kept.get(key)
        if rows is not None:
            kept.move_to_end(key)
    if rows is None:
        rows = store.layer_cells(layer_id, zoom)
        if len(rows) > CACHED_CELLS:
            rows = ()  # remembered as too many: the views of this layer-zoom are counted one by one
        with _CACHE_LOCK:
            kept[key] = rows
            for old in [k for k in kept if k[0] == layer_id and k[1] != key[1]]:
                del kept[old]  # the layer has changed since
            while len(kept) > CACHED_VIEWS:
                kept.popitem(last=False)
    return within(rows, cell_range(box, zoom)) if rows != () else None


def _single(feature) -> dict:
    """A feature drawn as itself: where, its name (the marker's title) and whether it is generated."""
    point = feature.geometry
    return {"layer": feature.layer, "id": feature.id, "lon": point.x, "lat": point.y,
            "name": feature.properties.get("name") or "", "generated": bool(feature.properties.get("generated"))}
