"""The Store contract both stores implement, its result types and shared input checks.

Coordinates are WGS 84 longitude/latitude (EPSG:4326); distances are geodesic metres on the
WGS 84 ellipsoid. Attribute values handed to a store are already parsed (see
:meth:`mapservice.layers.Attribute.parse`); filters arrive raw and are parsed here.
"""
from __future__ import annotations

import math
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping
from shapely.geometry.base import BaseGeometry

from .. import clusters, parsing, tiles
from ..errors import BadRequest, Conflict, NotFound
from ..layers import ADCODE, Layer, LayerRegistry, Role
from ..parsing import INT64_MAX, INT64_MIN
from .districts import NO_DISTRICTS, Districts, district_layer

MAX_LIMIT = 10_000
#: The largest offset a store takes: what a 64-bit OFFSET holds (PostgreSQL bigint, SQLite).
MAX_OFFSET = INT64_MAX
MAX_RADIUS_M = 50_000_000.0  # half the planet; the API narrows this further


@dataclass
class Feature:
    """One stored feature: ``properties`` holds the attributes plus source_id and generated, and on
    every layer but a boundary layer the store-kept ``adcode`` (read only: the district it lies in)."""

    layer: str
    id: int
    properties: dict[str, Any]
    geometry: BaseGeometry

    def to_geojson(self, extra: Mapping[str, Any] | None = None) -> dict:
        props = {**self.properties, **extra} if extra else dict(self.properties)
        return {"type": "Feature", "id": self.id, "geometry": geojson_geometry(self.geometry), "properties": props}


def geojson_geometry(geometry: BaseGeometry) -> dict:
    """GeoJSON geometry: what shapely's ``mapping`` gives, a 2D point without its overhead."""
    if geometry.geom_type == "Point" and not geometry.has_z:
        return {"type": "Point", "coordinates": (geometry.x, geometry.y)}
    return mapping(geometry)


def rows_to_features(layer: Layer, rows: Iterable[tuple], geometries: Iterable[BaseGeometry],
                     flags_as_numbers: bool) -> list[Feature]:
    """Features from rows ``(fid, geometry, source_id, generated, *attributes[, adcode])`` and their decoded
    geometries: ``codes`` values arrive as ';'-joined text, booleans as 0/1 when ``flags_as_numbers``."""
    keys = ("source_id", "generated", *layer.stored_names)
    flags = ("generated", *layer.names_of_type.get("boolean", ())) if flags_as_numbers else ()
    lists = layer.names_of_type.get("codes", ())
    features = []
    for row, geometry in zip(rows, geometries):
        props = dict(zip(keys, row[2:]))
        for name in flags:
            if props[name] is not None:
                props[name] = bool(props[name])
        for name in lists:
            if props[name] is not None:
                props[name] = props[name].split(";")
        features.append(Feature(layer.id, row[0], props, geometry))
    return features


def stored_names(layer: Layer) -> tuple[str, ...]:
    """The columns of a layer's table after source_id and generated (:attr:`Layer.stored_names`)."""
    return layer.stored_names


@dataclass
class Page:
    """A page of features and how many matched in all."""

    features: list[Feature]
    number_matched: int


@dataclass
class Nearby:
    """A feature found near a point, with its geodesic distance in metres."""

    feature: Feature
    distance_m: float


def ranked_ids(ranked: Iterable[tuple[float, str, int]]) -> dict[str, list[int]]:
    """The ids of ``ranked`` (distance, layer id, fid) per layer, in rank order: what to read."""
    by_layer: dict[str, list[int]] = {}
    for _, layer_id, fid in ranked:
        by_layer.setdefault(layer_id, []).append(fid)
    return by_layer


def ranked_nearby(ranked: Iterable[tuple[float, str, int]], features: Iterable[Feature]) -> list[Nearby]:
    """``ranked`` as :class:`Nearby`, in that order, from their ``features`` (one gone since is left out)."""
    by_key = {(f.layer, f.id): f for f in features}
    return [Nearby(by_key[(layer_id, fid)], d) for d, layer_id, fid in ranked if (layer_id, fid) in by_key]


@dataclass
class Row:
    """A validated row to write: parsed attribute values, WGS 84 geometry, stable source id; the
    store fills in ``adcode`` (its district's) before writing it."""

    source_id: str
    properties: dict[str, Any]
    geometry: BaseGeometry
    generated: bool = False
    adcode: str | None = None


@dataclass
class UpsertResult:
    inserted: int = 0
    updated: int = 0


def check_bbox(bbox: Iterable[float] | None) -> tuple[float, float, float, float] | None:
    """Validate (minlon, minlat, maxlon, maxlat) in degrees."""
    if bbox is None:
        return None
    values = tuple(bbox)
    if len(values) != 4 or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
        raise BadRequest("bbox must be four numbers: minlon,minlat,maxlon,maxlat", field="bbox", code="bad_bbox")
    minx, miny, maxx, maxy = values
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90 and -90 <= maxy <= 90):
        raise BadRequest("bbox is outside -180..180 / -90..90", field="bbox", code="bad_bbox")
    if minx > maxx or miny > maxy:
        raise BadRequest("bbox minimum is greater than its maximum", field="bbox", code="bad_bbox")
    return float(minx), float(miny), float(maxx), float(maxy)


def check_point(lon: Any, lat: Any) -> tuple[float, float]:
    """Validate a longitude/latitude pair in degrees."""
    for name, value, bound in (("lon", lon, 180), ("lat", lat, 90)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise BadRequest(f"{name} must be a number", field=name, code="not_number")
        if not -bound <= value <= bound:
            raise BadRequest(f"{name} must be between -{bound} and {bound}", field=name, code="out_of_range",
                             params={"min": -bound, "max": bound})
    return float(lon), float(lat)


def check_paging(limit: Any, offset: Any) -> tuple[int, int]:
    """Limit 1..MAX_LIMIT and offset >= 0, forced to int."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}", field="limit", code="out_of_range",
                         params={"min": 1, "max": MAX_LIMIT})
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= MAX_OFFSET:
        raise BadRequest(f"offset must be a whole number from 0 to {MAX_OFFSET}", field="offset",
                         code="out_of_range", params={"min": 0, "max": MAX_OFFSET})
    return limit, offset


def check_geometry(layer: Layer, geometry: Any) -> BaseGeometry:
    """Check a geometry's type and coordinates for ``layer``; a Polygon becomes a MultiPolygon."""
    if not isinstance(geometry, BaseGeometry) or geometry.is_empty:
        raise BadRequest("geometry is missing or empty", field="geometry")
    if layer.geometry_type == "MultiPolygon" and isinstance(geometry, Polygon):
        geometry = MultiPolygon([geometry])
    if geometry.geom_type != layer.geometry_type:
        raise BadRequest(
            f"layer {layer.id} takes {layer.geometry_type} geometries, not {geometry.geom_type}", field="geometry"
        )
    coords = shapely.get_coordinates(geometry)
    if not (coords == coords).all():
        raise BadRequest("geometry has NaN coordinates", field="geometry")
    if (abs(coords[:, 0]) > 180).any() or (abs(coords[:, 1]) > 90).any():
        raise BadRequest("coordinates must be longitude -180..180 and latitude -90..90 (WGS 84)", field="geometry")
    return geometry


@dataclass(frozen=True)
class Filter:
    """An attribute filter: equality, or membership for a ``codes`` attribute."""

    column: str
    value: Any
    contains: bool


def parse_filters(layer: Layer, raw: Mapping[str, Any] | None) -> list[Filter]:
    """Parse ``{attribute: value}`` filters (values may be labels, e.g. 博物馆)."""
    parsed = []
    for name, value in (raw or {}).items():
        attribute = layer.attribute(name)
        if attribute is None and name != "generated":
            raise BadRequest(f"layer {layer.id} has no attribute {name!r}", field=name, code="unknown_attribute")
        if attribute is None:
            parsed.append(Filter("generated", _parse_flag(value, name), False))
            continue
        try:
            if attribute.type == "codes":
                codes = attribute.parse(value)
                if not codes or len(codes) != 1:
                    raise ValueError("give one value")
                parsed.append(Filter(name, codes[0], True))
                continue
            parsed.append(Filter(name, attribute.parse(value), False))
        except ValueError as exc:
            raise BadRequest(f"filter {name}: {exc}", field=name, code="invalid_value") from None
    return parsed


def _parse_flag(value: Any, name: str) -> bool:
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise BadRequest(f"{name} must be true or false", field=name, code="not_flag")


class Store(ABC):
    """What every store offers. Layer ids are checked against ``self.layers``."""

    name = "base"

    def __init__(self, layers: LayerRegistry):
        self.layers = layers
        self._district_cache: tuple[int, Districts] | None = None
        self._view = threading.local()
        self._known_versions: dict[str, int] | None = None

    # -- schema ---------------------------------------------------------------------
    @abstractmethod
    def init(self) -> None:
        """Create the tables for every layer (idempotent; adds attributes a layer file gained)."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""

    def warm(self) -> None:
        """Build what the first requests would otherwise wait for (a server calls it once, off the
        request path); a store with nothing to build does nothing."""
        return None

    # -- reads ----------------------------------------------------------------------
    @abstractmethod
    def counts(self) -> dict[str, int]:
        """Number of features per layer, in layer order."""

    def layer_versions(self) -> dict[str, int] | None:
        """A change counter per layer that moves with every write (from any process), or None when
        the store keeps none: what caches of a layer's contents are keyed by. Inside
        :meth:`one_view`, read once for the whole block."""
        versions = getattr(self._view, "versions", None)
        if versions is None:
            versions = self._layer_versions()
            self._saw_versions(versions)
        return versions

    def _layer_versions(self) -> dict[str, int] | None:
        return None

    def _saw_versions(self, versions: dict[str, int] | None) -> None:
        """The change counters as just read: the last known (what a read may assume, and check in the
        same round trip as its rows), and inside :meth:`one_view` the block's."""
        self._known_versions = versions
        if getattr(self._view, "depth", 0):
            self._view.versions = versions

    @contextmanager
    def one_view(self):
        """A block of reads on this thread (one GET request) that reads the change counters once:
        the caches it keys (point indexes, the region's outline, names, clusters, tile ETags) agree
        with one another, and the counters are one read, not one per cache. Not for blocks that
        write: their own writes would not move the counters they see."""
        self._view.depth = getattr(self._view, "depth", 0) + 1
        try:
            yield self
        finally:
            self._view.depth -= 1
            if not self._view.depth:
                self._view.versions = None

    def features(self, layer_id: str, bbox=None, filters: Mapping[str, Any] | None = None,
                 limit: int = 100, offset: int = 0) -> Page:
        """Features whose bounding box meets ``bbox``, filtered by attribute, ordered by id."""
        layer = self.layers.require(layer_id)
        limit, offset = check_paging(limit, offset)
        return self._features(layer, check_bbox(bbox), parse_filters(layer, filters), limit, offset)

    def extent(self, layer_id: str) -> tuple[float, float, float, float] | None:
        """(minlon, minlat, maxlon, maxlat) of every feature of the layer, None when it is empty
        (the bounds may be rounded outwards by up to a float32 step, as the spatial indexes keep them)."""
        return self._extent(self.layers.require(layer_id))

    def tile(self, layer_id: str, z: Any, x: Any, y: Any) -> bytes:
        """The layer's Mapbox Vector Tile at ``z/x/y`` (see :mod:`mapservice.tiles`): public attributes
        only, at most :data:`~mapservice.tiles.MAX_FEATURES` features (the lowest ids); empty bytes
        when no feature reaches the tile."""
        layer = self.layers.require(layer_id)
        return self._tile(layer, *tiles.check_tile(z, x, y))

    def get(self, layer_id: str, fid: Any) -> Feature:
        """One feature by id; NotFound when absent."""
        layer = self.layers.require(layer_id)
        if isinstance(fid, bool) or not isinstance(fid, int) or not INT64_MIN <= fid <= INT64_MAX:
            raise BadRequest("feature id must be a whole number", field="id", code="not_whole_number")
        found = self._get_many(layer, [fid])
        if not found:
            raise NotFound(f"no feature {fid} in layer {layer_id}", field="id", code="no_feature")
        return found[0]

    def nearest(self, lon: float, lat: float, layer_ids: Iterable[str] | None = None,
                radius_m: float = 3000.0, limit: int = 50,
                filters: Mapping[str, Any] | None = None) -> list[Nearby]:
        """Point features of ``layer_ids`` within ``radius_m`` geodesic metres, nearest first.

        ``filters`` apply to every chosen layer that has the attribute (a layer without it is
        left out, so ``category=museum`` keeps only layers with a category).
        """
        chosen = []
        wanted = layer_ids if layer_ids is not None else [lay.id for lay in self.layers.of_kind("supply")]
        for layer_id in dict.fromkeys(wanted):  # a layer named twice is searched once
            layer = self.layers.require(layer_id, "layers")
            applicable = {k: v for k, v in (filters or {}).items() if k == "generated" or layer.attribute(k)}
            if len(applicable) == len(filters or {}):
                chosen.append((layer_id, applicable))
        if filters and not chosen:
            raise BadRequest(f"no chosen layer has the attribute(s) {', '.join(filters)}", field=next(iter(filters)),
                             code="unknown_attribute")
        return self.nearest_per_layer(lon, lat, chosen, radius_m, limit)

    def nearest_per_layer(self, lon: float, lat: float, layer_filters: Iterable[tuple[str, Mapping[str, Any]]],
                          radius_m: float = 3000.0, limit: int = 50) -> list[Nearby]:
        """Nearest features over several layers, each with its own filters, merged nearest first.

        Only the features that make the cut are read from the store.
        """
        lon, lat = check_point(lon, lat)
        if isinstance(radius_m, bool) or not isinstance(radius_m, (int, float)) or not 0 < radius_m <= MAX_RADIUS_M:
            raise BadRequest("radius must be a positive number of metres", field="radius", code="above_min",
                             params={"min": 0, "max": MAX_RADIUS_M})
        limit, _ = check_paging(limit, 0)
        searches = []
        for layer_id, filters in layer_filters:
            layer = self.layers.require(layer_id, "layers")
            if not layer.is_point:
                raise BadRequest(f"layer {layer_id} has no points to search", field="layers", code="not_points",
                                 params={"layer": {"zh": layer.title_zh, "en": layer.title_en}})
            searches.append((layer, parse_filters(layer, filters)))
        return self._nearest_features(searches, lon, lat, float(radius_m), limit)

    def get_layers(self, fids_by_layer: Mapping[str, Iterable[int]]) -> list[Feature]:
        """Features of several layers by id, in one read where the store can (absent ones left out)."""
        wanted = {self.layers.require(layer_id).id: [int(f) for f in fids] for layer_id, fids in fids_by_layer.items()}
        return self._get_layers({k: v for k, v in wanted.items() if v}) if any(wanted.values()) else []

    def cells(self, layer_id: str, bbox, zoom: int) -> list[tuple]:
        """The points of a point layer counted per cell of the clusters' grid at ``zoom``
        (mapservice.clusters), every cell ``bbox`` touches whole: rows ``(i, j, count, sum lon, sum lat,
        min lon, min lat, max lon, max lat, least id)``, in no order."""
        bbox, zoom = clusters.check_view(bbox, zoom)
        layer = clusters.point_layers(self, [layer_id])[0]
        cells = clusters.cell_range(bbox, zoom)
        return clusters.within(self._cells(layer, clusters.cells_box(cells, zoom), zoom), cells)

    def layer_cells(self, layer_id: str, zoom: int) -> list[tuple]:
        """Every cell of a point layer at ``zoom``, as :meth:`cells` gives them: the work grows with
        the layer, not a view (what clusters keep for low zooms)."""
        layer = clusters.point_layers(self, [layer_id])[0]
        return self._cells(layer, (-180.0, -90.0, 180.0, 90.0), clusters.check_zoom(zoom))

    def find_by_name(self, text: str, layer_ids: Iterable[str] | None = None, limit: int = 10) -> list[Feature]:
        """Features whose name contains ``text`` (case-insensitive), shortest names first."""
        text, chosen = self._text_search(text, layer_ids, limit)
        found = [f for layer in chosen for f in self._find_containing(layer, "name", text, limit)]
        order = {layer.id: i for i, layer in enumerate(chosen)}
        found.sort(key=lambda f: (not f.properties["name"].startswith(text), len(f.properties["name"]),
                                  order[f.layer], f.id))
        return found[:limit]

    def find_by_address(self, text: str, layer_ids: Iterable[str] | None = None,
                        limit: int = 10) -> list[tuple[Feature, str]]:
        """Point features whose own address (the layer's ``address`` role) contains ``text``, as
        ``(feature, address)``, shortest addresses first: a road and number (``兴城南路51号``, also
        without the 号) finds the places at that number, a road finds those on it."""
        text, chosen = self._text_search(text, layer_ids, limit)
        wanted = [f"{text}号", text] if text[-1].isdigit() else [text]
        found: dict[tuple[str, int], tuple[Feature, str]] = {}
        for layer in chosen:
            address = layer.role(Role.ADDRESS)
            if address is None or not layer.is_point:
                continue
            for needle in wanted:  # "51号" before "51", which also finds 510号
                for f in self._find_containing(layer, address.name, needle, limit):
                    found.setdefault((f.layer, f.id), (f, f.properties[address.name]))
        order = {layer.id: i for i, layer in enumerate(chosen)}
        exact = wanted[0]
        return sorted(found.values(), key=lambda fa: (exact not in fa[1], len(fa[1]), order[fa[0].layer],
                                                      fa[0].id))[:limit]

    def _text_search(self, text, layer_ids, limit) -> tuple[str, list[Layer]]:
        """A search text checked (1 to 50 characters, no control characters) with ``limit`` (1 to 50),
        and the layers it searches (``layer_ids``, else all)."""
        text = text.strip() if isinstance(text, str) else ""
        if not text or len(text) > 50:
            raise BadRequest("q must be 1 to 50 characters of a name", field="q", code="out_of_range",
                             params={"min": 1, "max": 50})
        try:
            parsing.text(text)
        except ValueError as exc:
            raise BadRequest(f"q {exc}", field="q", code="bad_text") from None
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 50:
            raise BadRequest("limit must be a whole number from 1 to 50", field="limit", code="out_of_range",
                             params={"min": 1, "max": 50})
        return text, self.layers.named(layer_ids)

    # -- writes ---------------------------------------------------------------------
    def create(self, layer_id: str, properties: dict, geometry: BaseGeometry,
               source_id: str | None = None, generated: bool = False) -> Feature:
        """Insert one feature; properties are validated against the layer."""
        layer = self.layers.require(layer_id)
        values = parse_properties(layer, properties, partial=False)
        geometry = check_geometry(layer, geometry)
        row = Row(source_id or f"api-{uuid.uuid4().hex}", values, geometry, generated)
        with self.transaction():
            fid = self._insert(layer, self._coded(layer, [row])[0])
            self._districts_changed(layer)
            return self.get(layer_id, fid)

    def update(self, layer_id: str, fid: int, properties: dict | None = None,
               geometry: BaseGeometry | None = None) -> Feature:
        """Change some attributes and/or the geometry of a feature."""
        layer = self.layers.require(layer_id)
        values = parse_properties(layer, properties or {}, partial=True)
        if geometry is not None:
            geometry = check_geometry(layer, geometry)
        with self.transaction():
            self.get(layer_id, fid)
            adcode = None
            if geometry is not None and layer.carries_adcode:
                adcode = self._districts().codes_of([geometry])[0]
            self._update(layer, fid, values, geometry, adcode)
            if geometry is not None or ADCODE in values:
                self._districts_changed(layer)
            return self.get(layer_id, fid)

    def delete(self, layer_id: str, fid: int) -> None:
        """Delete a feature; NotFound when absent."""
        layer = self.layers.require(layer_id)
        with self.transaction():
            self.get(layer_id, fid)
            self._delete(layer, fid)
            self._districts_changed(layer)

    def upsert(self, layer_id: str, rows: Iterable[Row]) -> UpsertResult:
        """Insert or replace rows by source_id, all in one transaction.

        A source_id given twice in one batch is refused (:class:`Conflict`, nothing written): which of
        the two rows is meant cannot be told, and the importer reports such rows before they get here.
        """
        layer = self.layers.require(layer_id)
        rows = list(rows)
        seen: set[str] = set()
        for row in rows:
            if row.source_id in seen:
                raise Conflict(f"source_id {row.source_id!r} appears twice in one batch for layer {layer_id}",
                               field="source_id")
            seen.add(row.source_id)
        with self.transaction():
            result = self._upsert(layer, self._coded(layer, rows))
            if rows:
                self._districts_changed(layer)
            return result

    # -- the district code of each feature ----------------------------------------------
    def _districts(self, cached: bool = True) -> Districts:
        """The districts that give the codes, read again when the district layer's change counter
        moved (or, not ``cached``, read now and not kept: inside the transaction that changes them)."""
        layer = district_layer(self.layers)
        if layer is None:
            return NO_DISTRICTS
        version = self._district_version(layer) if cached else None
        kept = self._district_cache
        if version is not None and kept is not None and kept[0] == version:
            return kept[1]
        features, offset = [], 0
        while True:
            page = self._features(layer, None, [], MAX_LIMIT, offset)
            features += page.features
            offset += len(page.features)
            if not page.features or offset >= page.number_matched:
                break
        districts = Districts.of([f.properties[ADCODE] for f in features], [f.geometry for f in features])
        self._district_cache = (version, districts) if version is not None else None
        return districts

    def _district_version(self, layer: Layer) -> int | None:
        """The district layer's change counter, read in the write transaction that codes features by
        it (None when the store keeps none)."""
        return (self.layer_versions() or {}).get(layer.id)

    def _coded(self, layer: Layer, rows: list[Row]) -> list[Row]:
        """``rows``, each given the code of the district it lies in (derived for the whole batch at once)."""
        if layer.carries_adcode and rows:
            for row, code in zip(rows, self._districts().codes_of([r.geometry for r in rows])):
                row.adcode = code
        return rows

    def _districts_changed(self, layer: Layer) -> None:
        """After a write to ``layer``: when it is the district layer, every other layer's codes
        derived again (in the same transaction)."""
        districts = district_layer(self.layers)
        if districts is None or layer.id != districts.id:
            return
        self._district_cache = None
        self._rederive_adcodes([other for other in self.layers.values() if other.carries_adcode], districts)

    @abstractmethod
    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """All store calls inside the block share one transaction (nested blocks join it)."""

    @contextmanager
    def on_primary(self) -> Iterator[Store]:
        """Reads inside the block see the primary database (read-your-writes; what a booking is decided
        on), not a read replica; a store without replicas has nothing to do."""
        yield self

    @contextmanager
    def writing(self, on_wait: Callable[[], None] | None = None, wait: bool = True) -> Iterator[Store]:
        """A transaction for a long write (an import), entered before the work that fills it, so that
        a writer that cannot get in finds out before doing that work. A store whose writers exclude
        each other (a GeoPackage file) calls ``on_wait()`` and waits when another holds the file, or
        raises :class:`~mapservice.errors.StoreBusy` at once when not ``wait``; PostGIS writers do
        not exclude each other, so there it is :meth:`transaction`."""
        with self.transaction():
            yield self

    # -- what implementations provide --------------------------------------------------
    @abstractmethod
    def _features(self, layer: Layer, bbox, filters: list[Filter], limit: int, offset: int) -> Page: ...

    @abstractmethod
    def _extent(self, layer: Layer) -> tuple[float, float, float, float] | None: ...

    def _thinned(self, layer: Layer, z: int, x: int, y: int) -> list[int] | None:
        """The ids a thinned tile holds (:func:`tiles.thin_zoom`): the least id of each cell of the
        points in the tile's box, at most MAX_FEATURES of them; None when the tile is not thinned."""
        zoom = tiles.thin_zoom(layer, z)
        if zoom is None:
            return None
        return sorted(int(cell[9]) for cell in self._cells(layer, tiles.query_box(z, x, y), zoom))[:tiles.MAX_FEATURES]

    def _tile(self, layer: Layer, z: int, x: int, y: int) -> bytes:
        """The tile encoded here from the features that meet its box, page by page."""
        kept = self._thinned(layer, z, x, y)
        if kept is not None:
            return tiles.encode(layer, self._get_many(layer, kept), z, x, y)
        box = tiles.query_box(z, x, y)
        features: list[Feature] = []
        while len(features) < tiles.MAX_FEATURES:
            page = self._features(layer, box, [], min(MAX_LIMIT, tiles.MAX_FEATURES - len(features)), len(features))
            features += page.features
            if not page.features or len(features) >= page.number_matched:
                break
        return tiles.encode(layer, features, z, x, y)

    @abstractmethod
    def _get_many(self, layer: Layer, fids: list[int]) -> list[Feature]:
        """Features by id, in the order given, absent ones left out."""

    def _get_layers(self, fids_by_layer: Mapping[str, list[int]]) -> list[Feature]:
        """Features of several layers by id (absent ones left out); a store may read them at once."""
        return [f for layer_id, fids in fids_by_layer.items() for f in self._get_many(self.layers[layer_id], fids)]

    @abstractmethod
    def _cells(self, layer: Layer, bbox: tuple[float, float, float, float], zoom: int) -> list[tuple]: ...

    @abstractmethod
    def _nearest_ids(self, layer: Layer, lon: float, lat: float, radius_m: float, limit: int,
                     filters: list[Filter]) -> tuple[Iterable[int], Iterable[float]]:
        """Ids and geodesic distances (metres) of up to ``limit`` features, nearest first."""

    def _nearest_features(self, searches: list[tuple[Layer, list[Filter]]], lon: float, lat: float,
                          radius_m: float, limit: int) -> list[Nearby]:
        """The ``limit`` nearest over every (layer, filters) search, ranked, then only their rows read."""
        ranked = self._nearest_ranked(searches, lon, lat, radius_m, limit)
        wanted = ranked_ids(ranked)
        return ranked_nearby(ranked, self._get_layers(wanted) if wanted else [])

    def _nearest_ranked(self, searches: list[tuple[Layer, list[Filter]]], lon: float, lat: float,
                        radius_m: float, limit: int) -> list[tuple[float, str, int]]:
        """``(distance_m, layer_id, fid)`` of the ``limit`` nearest over every (layer, filters)
        search, sorted; a store may answer several searches at once, this asks one at a time."""
        ranked = []
        for layer, filters in searches:
            fids, dists = self._nearest_ids(layer, lon, lat, radius_m, limit, filters)
            ranked.extend((float(d), layer.id, int(f)) for f, d in zip(fids, dists))
        return sorted(ranked)[:limit]

    @abstractmethod
    def _find_containing(self, layer: Layer, column: str, text: str, limit: int) -> list[Feature]:
        """Up to ``limit`` features whose text attribute ``column`` contains ``text``
        (case-insensitive), shortest values first."""

    @abstractmethod
    def _insert(self, layer: Layer, row: Row) -> int: ...

    @abstractmethod
    def _update(self, layer: Layer, fid: int, values: dict, geometry: BaseGeometry | None,
                adcode: str | None) -> None:
        """Write ``values`` and, when given, ``geometry`` with its district's ``adcode`` (on a layer
        that carries one)."""

    @abstractmethod
    def _rederive_adcodes(self, layers: list[Layer], districts: Layer) -> None:
        """Derive every feature's adcode of ``layers`` again from the features of ``districts``, by
        the rule of :mod:`mapservice.store.districts` (rows whose code stays are left alone)."""

    @abstractmethod
    def _delete(self, layer: Layer, fid: int) -> None: ...

    @abstractmethod
    def _upsert(self, layer: Layer, rows: list[Row]) -> UpsertResult: ...


def parse_properties(layer: Layer, raw: Mapping[str, Any], partial: bool) -> dict[str, Any]:
    """Validate API-style properties; the first bad field raises BadRequest naming it."""
    values, errors = layer_values(layer, raw, partial)
    if errors:
        field_name, reason = errors[0]
        raise BadRequest(f"{field_name}: {reason}", field=field_name, code="invalid_value")
    return values


def layer_values(layer: Layer, raw: Mapping[str, Any], partial: bool) -> tuple[dict, list[tuple[str, str]]]:
    """Parse every attribute of ``raw``; returns (values, [(field, reason), ...])."""
    if not isinstance(raw, Mapping):
        return {}, [("properties", "must be an object")]
    # source_id, generated and a store-kept adcode are what a feature's GeoJSON carries besides its
    # attributes: sent back, they are not errors (and not written from here).
    errors = [(name, "is not an attribute of this layer") for name in raw
              if layer.attribute(name) is None and name not in ("source_id", "generated", ADCODE)]
    values = {}
    for attribute in layer.attributes:
        if partial and attribute.name not in raw:
            continue
        try:
            values[attribute.name] = attribute.parse(raw.get(attribute.name))
        except ValueError as exc:
            errors.append((attribute.name, str(exc)))
    return values, errors
