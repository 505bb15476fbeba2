"""The planner's whole question in one call: :func:`plan` reads each layer once and answers it.

Who is within reach of the chosen supply, by district; where the gaps are (H3 cells, with their
classes); how accessible each unit is (2SFCA); and where the next sites would cover the most.
The API, the planner page, its printed report, the downloads and the CLI all take the same
:class:`Plan`. Reads go through the Store contract; the arithmetic is in :mod:`mapservice.analysis`.
Distances are geodesic metres; coordinates WGS 84 (EPSG:4326).
"""
from __future__ import annotations

import math
import re
import threading
import weakref
from dataclasses import asdict, dataclass, field

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping

from . import budget, parsing
from .analysis.access import two_step_fca
from .analysis.classify import class_index, quantile_breaks
from .analysis.coverage import (
    coarser_gaps,
    coverage,
    coverage_frame,
    gap_cells,
    h3_resolution_for_radius,
    radius_for_minutes,
    summarize_by_district,
)
from .analysis.siting import greedy_max_coverage
from .errors import BadRequest
from .exporter import iter_features
from .layers import Attribute, Layer, Role
from .store.base import Store
from .store.districts import Districts

#: A school or community with a supply feature this close already hosts one.
HOSTS_WITHIN_M = 50.0
MAX_SUGGESTIONS = 50
DEFAULT_COUNT = 5
CANDIDATES = ("sites", "hexagons")
MAX_RADIUS_M = 50_000
MAX_MINUTES = 120
#: H3 resolution of the gap cells' overview on a whole-region map: cells of ~36 km² (edge ~3.7 km).
OVERVIEW_RESOLUTION = 6
#: Colour classes of the gap cells.
GAP_CLASSES = 5
_WHERE = re.compile(r"^\s*(\w+)\s*(>=|=)\s*(.+?)\s*$")


@dataclass(frozen=True)
class CoverageRequest:
    """What a planner asks. ``supply_where`` like ``tier>=示范`` or ``category=museum``."""

    supply: tuple[str, ...]
    demand: str
    radius_m: float | None = None
    minutes: float | None = None
    district: str | None = None
    weight: str | None = None
    supply_where: str | None = None
    #: A what-if (方案): hypothetical new sites as (lon, lat) in degrees, and supply features taken
    #: as closed, as (layer id, feature id).
    added: tuple[tuple[float, float], ...] = ()
    closed: tuple[tuple[str, int], ...] = ()


#: The layer id of a scenario's hypothetical sites in a plan's supply.
SCENARIO_LAYER = "scenario"
MAX_SCENARIO_SITES = 200


def parse_sites(text: str | None) -> tuple[tuple[float, float], ...]:
    """``lon,lat;lon,lat`` (WGS 84 degrees) as pairs; BadRequest naming ``add`` when malformed."""
    if not text:
        return ()
    sites = []
    for part in text.split(";"):
        values = part.split(",")
        try:
            lon, lat = parsing.number(values[0], -180, 180), parsing.number(values[-1], -90, 90)
        except ValueError:
            raise BadRequest(f"add: {part!r} is not a longitude and latitude in degrees", field="add") from None
        if len(values) != 2:
            raise BadRequest(f"add: {part!r} is not lon,lat", field="add")
        sites.append((round(lon, 7), round(lat, 7)))
    if len(sites) > MAX_SCENARIO_SITES:
        raise BadRequest(f"add: at most {MAX_SCENARIO_SITES} hypothetical sites", field="add")
    return tuple(sites)


def parse_closed(text: str | None) -> tuple[tuple[str, int], ...]:
    """``layer:id;layer:id`` as pairs; BadRequest naming ``close`` when malformed."""
    if not text:
        return ()
    closed = []
    for part in text.split(";"):
        layer, _, fid = part.partition(":")
        if not layer or not fid.isascii() or not fid.isdigit() or len(fid) > 18:
            raise BadRequest(f"close: {part!r} is not layer:id", field="close")
        closed.append((layer, int(fid)))
    return tuple(dict.fromkeys(closed))


def sites_text(sites) -> str:
    """Inverse of :func:`parse_sites`."""
    return ";".join(f"{lon!r},{lat!r}" for lon, lat in sites)


def closed_text(closed) -> str:
    """Inverse of :func:`parse_closed`."""
    return ";".join(f"{layer}:{fid}" for layer, fid in closed)


@dataclass
class Plan:
    """The answer to one :class:`CoverageRequest`, in named parts.

    ``demand``, ``supply_used``, ``gaps``, ``gaps_overview``, ``suggestions`` and ``boundaries`` are
    GeoDataFrames in EPSG:4326; ``districts`` is the per-district table (one row per district in
    scope, column ``district`` and the summary columns) and ``region`` the same figures for the
    whole scope (the region, or the chosen district). Weights are in the unit of ``weight``
    (residents, pupils), or count units when it is None.
    """

    request: CoverageRequest
    count: int
    candidates: str
    radius_m: float
    weight: Attribute | None
    scope: str | None  # the chosen district's name, None for the whole region
    region: dict
    districts: pd.DataFrame
    demand: gpd.GeoDataFrame
    supply_used: gpd.GeoDataFrame
    h3_resolution: int
    gaps: gpd.GeoDataFrame
    gap_breaks: list[float]
    overview_resolution: int
    gaps_overview: gpd.GeoDataFrame
    overview_breaks: list[float]
    suggestions: gpd.GeoDataFrame
    boundaries: gpd.GeoDataFrame = field(repr=False)
    #: The supply a what-if takes as closed (id, layer, name): analysed as if it were not there.
    closed_supply: gpd.GeoDataFrame = field(default=None, repr=False)
    #: Whether any demand or supply feature is generated demo data.
    generated: bool = False

    @property
    def weight_name(self) -> str | None:
        return self.weight.name if self.weight else None

    @property
    def covered_share_after(self) -> float | None:
        """The covered share once every suggested site exists (None without suggestions)."""
        return float(self.suggestions["covered_share_after"].iloc[-1]) if len(self.suggestions) else None

    def to_dict(self, demand_columns: list[str] | None = None) -> dict:
        """The plan as JSON-ready data: numbers as numbers (NaN as null), frames as GeoJSON; the demand
        units with ``demand_columns`` (default: every column but source_id and generated)."""
        demand = self.demand[[*demand_columns, "geometry"]] if demand_columns is not None \
            else self.demand.drop(columns=["source_id", "generated"], errors="ignore")
        return {
            "request": {**asdict(self.request), "supply": list(self.request.supply), "count": self.count,
                        "candidates": self.candidates},
            "radius_m": self.radius_m, "weight": self.weight_name, "district": self.scope,
            "region": {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in self.region.items()},
            "by_district": records(self.districts),
            "demand": feature_collection(demand), "supply_used": feature_collection(self.supply_used),
            "h3_resolution": self.h3_resolution, "gaps": feature_collection(self.gaps),
            "gap_breaks": self.gap_breaks,
            "h3_overview_resolution": self.overview_resolution,
            "gaps_overview": feature_collection(self.gaps_overview), "overview_breaks": self.overview_breaks,
            "suggestions": records(self.suggestions.drop(columns="geometry")),
            "closed_supply": feature_collection(self.closed_supply),
            "generated": self.generated,
        }


def plan(store: Store, request: CoverageRequest, count: int = DEFAULT_COUNT, candidates: str = "sites") -> Plan:
    """Coverage of ``request.demand`` by the chosen supply, per unit and per district, the gap
    cells and up to ``count`` suggested sites (``count=0``: none) from ``candidates``: ``sites``
    (features of the candidate-site layers that host no supply yet, none within 50 m) or
    ``hexagons`` (centres of the gap cells). Raises :class:`BadRequest` naming the parameter."""
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_SUGGESTIONS:
        raise BadRequest(f"count must be a whole number from 1 to {MAX_SUGGESTIONS}", field="count")
    if candidates not in CANDIDATES:
        raise BadRequest("candidates must be sites or hexagons", field="candidates")
    supply_layers, demand_layer, radius = _resolve(store, request)
    weight = _weight(demand_layer, request.weight)
    read = _Reader(store)
    boundaries = read.boundaries()
    scope = _scope(boundaries, request.district)
    keep = _where(parse_supply_where(supply_layers, request.supply_where))
    supply, closed = _scenario(_concat([keep(read.points(layer)) for layer in supply_layers]), request)
    supply["district"] = _district_of(supply, boundaries)
    demand = read.points(demand_layer).copy()
    demand["district"] = read.districts_of(demand_layer, boundaries)
    if scope is not None:
        demand = demand[demand["district"] == scope].reset_index(drop=True)
    demand["weight"] = (pd.to_numeric(demand[weight.name], errors="coerce").fillna(0).to_numpy(float)
                        if weight is not None and len(demand) else np.ones(len(demand)))
    budget.check_time()
    result = coverage_frame(demand, supply, radius, weight="weight")
    found = result.nearest_index >= 0
    nearest = np.maximum(result.nearest_index, 0)
    demand["nearest_m"] = np.where(found, np.round(result.nearest_m, 1), np.nan)
    for column in ("id", "layer", "name"):
        demand[f"nearest_{column}"] = np.where(found, supply[column].to_numpy()[nearest], None) if len(supply) \
            else None
    demand["covered"] = result.covered
    capacity = _capacity(supply, supply_layers)
    d_lon, d_lat = demand.geometry.x.to_numpy(), demand.geometry.y.to_numpy()
    s_lon, s_lat = supply.geometry.x.to_numpy(), supply.geometry.y.to_numpy()
    budget.check_time()
    demand["access"] = two_step_fca(d_lon, d_lat, demand["weight"].to_numpy(), s_lon, s_lat, capacity, radius)
    supply["in_scope"] = supply["district"] == scope if scope is not None else True
    summary = summarize_by_district(demand["district"].to_numpy(), demand["weight"].to_numpy(), result.covered,
                                    supply.loc[supply["in_scope"], "district"].to_numpy())
    districts = summary.districts
    if scope is not None:
        districts = districts[districts["district"] == scope].reset_index(drop=True)
    resolution = h3_resolution_for_radius(radius)
    budget.check_time()
    gaps = gap_cells(d_lon, d_lat, demand["weight"].to_numpy(), result.covered, resolution)
    overview_resolution = min(resolution, OVERVIEW_RESOLUTION)
    overview = coarser_gaps(gaps, overview_resolution)
    gap_breaks, overview_breaks = (_classify(frame) for frame in (gaps, overview))
    suggestions = _suggest(read, demand, supply, boundaries, scope, radius, count, candidates, gaps) if count \
        else _no_suggestions()
    generated = any(bool(frame["generated"].fillna(False).astype(bool).any())
                    for frame in (demand, supply) if "generated" in frame and len(frame))
    return Plan(request, count, candidates, radius, weight, scope, summary.region, districts, demand,
                supply[["id", "layer", "name", "district", "in_scope", "geometry"]], resolution, gaps, gap_breaks,
                overview_resolution, overview, overview_breaks, suggestions, boundaries, closed_supply=closed,
                generated=generated)


def _scenario(supply: gpd.GeoDataFrame, request: CoverageRequest) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The supply of a what-if — without the closed features, with the hypothetical sites (layer
    :data:`SCENARIO_LAYER`, ids and names 1, 2, ... in the order given) — and the closed features."""
    closed = supply.iloc[0:0]
    if request.closed:
        known = set(zip(supply["layer"], supply["id"]))
        missing = [f"{layer}:{fid}" for layer, fid in request.closed if (layer, fid) not in known]
        if missing:
            raise BadRequest(f"close: {', '.join(missing)} is not among the supply analysed", field="close")
        shut = set(request.closed)
        open_ = np.array([key not in shut for key in zip(supply["layer"], supply["id"])], dtype=bool)
        supply, closed = supply[open_], supply[~open_]
    if request.added:
        sites = gpd.GeoDataFrame({"id": range(1, len(request.added) + 1), "layer": SCENARIO_LAYER,
                                  "name": [str(i) for i in range(1, len(request.added) + 1)]},
                                 geometry=gpd.points_from_xy(*zip(*request.added)), crs="EPSG:4326")
        supply = _concat([supply, sites])
    return supply.reset_index(drop=True), closed[["id", "layer", "name", "geometry"]].reset_index(drop=True)


# Layers read for earlier plans, per store, while their change counters stand still: a what-if
# changes only the sites, so the next plan needs no read at all.
_FRAMES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_FRAMES_LOCK = threading.Lock()


class _Reader:
    """Each layer read once per plan, as a point GeoDataFrame (polygons by a point inside); kept
    across plans when the store tells its layers' change counters. Frames are shared: read only."""

    def __init__(self, store: Store):
        self.store = store
        self.versions = store.layer_versions()
        if self.versions is None:
            self._frames: dict = {}
        else:
            with _FRAMES_LOCK:
                kept = _FRAMES.setdefault(store, {})
                for key in [k for k in kept if any(self.versions.get(i) != v for i, v in k[1])]:
                    del kept[key]  # a layer it was made from has changed since
            self._frames = kept

    def _cached(self, what: str, layer_ids: list[str], build):
        key = (what, tuple((i, self.versions[i] if self.versions else None) for i in layer_ids))
        frame = self._frames.get(key)
        if frame is None:
            frame = build()
            with _FRAMES_LOCK:
                self._frames[key] = frame
        return frame

    def points(self, layer: Layer) -> gpd.GeoDataFrame:
        return self._cached("points", [layer.id], lambda: self._read_points(layer))

    def _read_points(self, layer: Layer) -> gpd.GeoDataFrame:
        features = list(iter_features(self.store, layer.id))
        rows = [{"id": f.id, "layer": layer.id, **f.properties} for f in features]
        geometry = [f.geometry if f.geometry.geom_type == "Point" else f.geometry.representative_point()
                    for f in features]
        return gpd.GeoDataFrame(rows, geometry=geometry, crs="EPSG:4326") if rows else gpd.GeoDataFrame(
            {"id": [], "layer": [], "name": []}, geometry=[], crs="EPSG:4326")

    def districts_of(self, layer: Layer, boundaries: gpd.GeoDataFrame) -> np.ndarray:
        """The district of each of ``layer``'s points (in :meth:`points` order)."""
        ids = [layer.id, *(b.id for b in self.store.layers.of_kind("boundary"))]
        return self._cached("district_of", ids, lambda: _district_of(self.points(layer), boundaries))

    def boundaries(self) -> gpd.GeoDataFrame:
        """Every feature of the boundary layers (the districts), with ``name`` and ``adcode``."""
        layers = self.store.layers.of_kind("boundary")
        return self._cached("boundaries", [layer.id for layer in layers], lambda: self._read_boundaries(layers))

    def _read_boundaries(self, layers: list[Layer]) -> gpd.GeoDataFrame:
        features = [f for layer in layers for f in iter_features(self.store, layer.id)]
        return gpd.GeoDataFrame({"name": [f.properties["name"] for f in features],
                                 "adcode": [f.properties.get("adcode") for f in features]},
                                geometry=[f.geometry for f in features], crs="EPSG:4326")


def points_with_districts(store: Store, layer: Layer) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """A point layer's features as a frame (``id``, attributes, point) and the district of each,
    read as the planner reads them (cached while the layers are unchanged)."""
    read = _Reader(store)
    return read.points(layer), read.districts_of(layer, read.boundaries())


def _concat(frames: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs="EPSG:4326")


def _resolve(store: Store, request: CoverageRequest) -> tuple[list[Layer], Layer, float]:
    if not request.supply:
        raise BadRequest("choose at least one supply layer", field="supply", code="no_supply")
    supply = []
    for layer_id in dict.fromkeys(request.supply):  # a layer named twice counts once
        supply.append(store.layers.require(layer_id, "supply", kind="supply", points=True))
    demand = store.layers.require(request.demand, "demand", kind="demand", points=True)
    if request.radius_m is not None and request.minutes is not None:
        raise BadRequest("give radius or minutes, not both", field="radius", code="radius_and_minutes")
    if request.minutes is not None:
        if not 0 < request.minutes <= MAX_MINUTES:
            raise BadRequest(f"minutes must be more than 0 and at most {MAX_MINUTES}", field="minutes",
                             code="above_min", params={"min": 0, "max": MAX_MINUTES})
        radius = float(radius_for_minutes(request.minutes))
    elif request.radius_m is not None:
        radius = float(request.radius_m)
    else:
        radius = min(layer.radius_m for layer in supply)
    if not 0 < radius <= MAX_RADIUS_M:
        raise BadRequest(f"radius must be more than 0 and at most {MAX_RADIUS_M:,} m", field="radius",
                         code="above_min", params={"min": 0, "max": MAX_RADIUS_M})
    return supply, demand, radius


def _weight(layer: Layer, name: str | None) -> Attribute | None:
    """The attribute to weight ``layer`` by: ``name``, else the layer's default weight (None: count units)."""
    name = name or layer.weight
    if name is None:
        return None
    attribute = layer.attribute(name)
    if attribute is None or attribute.type not in ("integer", "number"):
        raise BadRequest(f"{layer.id} has no numeric attribute {name!r} to weight by", field="weight")
    return attribute


def _scope(boundaries: gpd.GeoDataFrame, district: str | None) -> str | None:
    """The name of the district chosen by name or adcode, None for the whole region."""
    if not district:
        return None
    chosen = boundaries[(boundaries["name"] == district) | (boundaries["adcode"] == district)]
    if not len(chosen):
        raise BadRequest(f"unknown district {district!r}; known: {', '.join(boundaries['name'])}", field="district",
                         code="unknown_district", params={"district": district})
    return chosen["name"].iloc[0]


@dataclass(frozen=True)
class SupplyFilter:
    """A parsed ``supply_where``: keep supply whose ``attribute`` is ``value`` (``=``), or ranks at
    or above it (``>=``, for ordered codes and numbers)."""

    attribute: Attribute
    op: str
    value: object


def parse_supply_where(layers: list[Layer], text: str | None) -> SupplyFilter | None:
    """``tier>=示范`` or ``category=museum`` for the chosen supply layers; None for no filter."""
    if not text:
        return None
    match = _WHERE.match(text)
    if not match:
        raise BadRequest("supply_where must look like tier>=示范 or category=museum", field="supply_where")
    name, op, raw = match.groups()
    attribute = next((lay.attribute(name) for lay in layers if lay.attribute(name)), None)
    if attribute is None:
        raise BadRequest(f"no chosen supply layer has the attribute {name!r}", field="supply_where")
    if op == ">=" and not (attribute.ordered or attribute.type in ("integer", "number")):
        raise BadRequest(f"{name} cannot be compared with >=", field="supply_where")
    try:
        value = attribute.parse(raw)
    except ValueError as exc:
        raise BadRequest(f"supply_where: {exc}", field="supply_where") from None
    return SupplyFilter(attribute, op, value)


def _where(rule: SupplyFilter | None):
    """The filter of a supply frame that keeps what ``rule`` keeps (a frame without the column: nothing)."""
    if rule is None:
        return lambda frame: frame
    name, value = rule.attribute.name, rule.value

    def keep(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        if name not in frame:
            return frame.iloc[0:0]
        column = frame[name]
        if rule.op == ">=" and rule.attribute.ordered:
            return frame[column.isin(rule.attribute.at_least(value))]
        if rule.op == ">=":
            return frame[pd.to_numeric(column, errors="coerce") >= value]
        if rule.attribute.type == "codes":
            return frame[[value in v if isinstance(v, list) else False for v in column]]
        return frame[column == value]

    return keep


def _district_of(points: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> np.ndarray:
    """The district name each point falls in (None outside every district), by the rule the stores
    derive each feature's adcode by (a point on a shared border goes to the first district)."""
    found = Districts.of(districts["name"], districts.geometry.values).codes_of(points.geometry.values)
    return np.array(found, dtype=object)


def _capacity(supply: gpd.GeoDataFrame, layers: list[Layer]) -> np.ndarray:
    """Each supply point's capacity for 2SFCA: its layer's capacity attribute, else 1."""
    capacity = np.ones(len(supply))
    for layer in layers:
        attribute = layer.role(Role.CAPACITY)
        if attribute is not None and attribute.name in supply:
            mine = (supply["layer"] == layer.id).to_numpy()
            values = pd.to_numeric(supply.loc[mine, attribute.name], errors="coerce").fillna(1).to_numpy(float)
            capacity[mine] = values
    return capacity


def _classify(gaps: gpd.GeoDataFrame) -> list[float]:
    """Class breaks of the cells' uncovered weight; each cell's class goes in its ``class`` column."""
    breaks = quantile_breaks(gaps["uncovered_weight"], GAP_CLASSES) if len(gaps) else []
    gaps["class"] = class_index(gaps["uncovered_weight"], breaks, GAP_CLASSES) if len(gaps) else []
    return breaks


def _suggest(read: _Reader, demand, supply, boundaries, scope, radius, count, candidates, gaps) -> gpd.GeoDataFrame:
    if candidates == "sites":
        layers = [layer for layer in read.store.layers.values() if layer.candidate_sites and layer.is_point]
        pool = _concat([read.points(layer)[["layer", "id", "name", "geometry"]] for layer in layers]) if layers \
            else _no_suggestions()
        if scope is not None and len(pool):
            pool = pool[_district_of(pool, boundaries) == scope]
        if len(pool) and len(supply):
            hosted = coverage(pool.geometry.x.to_numpy(), pool.geometry.y.to_numpy(), None,
                              supply.geometry.x.to_numpy(), supply.geometry.y.to_numpy(), HOSTS_WITHIN_M).covered
            pool = pool[~hosted]
        pool = pool.reset_index(drop=True)
    else:
        cells = list(gaps["cell"])
        centres = [h3.cell_to_latlng(cell) for cell in cells]
        pool = gpd.GeoDataFrame({"layer": "hexagon", "id": cells, "name": cells},
                                geometry=gpd.points_from_xy([c[1] for c in centres], [c[0] for c in centres]),
                                crs="EPSG:4326")
    if not len(pool):
        return _no_suggestions()
    picks = greedy_max_coverage(demand.geometry.x.to_numpy(), demand.geometry.y.to_numpy(),
                                demand["weight"].to_numpy(), demand["covered"].to_numpy(),
                                pool.geometry.x.to_numpy(), pool.geometry.y.to_numpy(), radius, count)
    rows = [{"rank": rank, "layer": pool["layer"].iloc[s.index], "id": pool["id"].iloc[s.index],
             "name": pool["name"].iloc[s.index], "lon": round(s.lon, 7), "lat": round(s.lat, 7),
             "added_weight": s.added_weight, "covered_weight_after": s.covered_weight_after,
             "covered_share_after": s.covered_share_after} for rank, s in enumerate(picks, start=1)]
    if not rows:
        return _no_suggestions()
    return gpd.GeoDataFrame(rows, geometry=gpd.points_from_xy([r["lon"] for r in rows], [r["lat"] for r in rows]),
                            crs="EPSG:4326")


def _no_suggestions() -> gpd.GeoDataFrame:
    columns = ["rank", "layer", "id", "name", "lon", "lat", "added_weight", "covered_weight_after",
               "covered_share_after"]
    return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs="EPSG:4326")


# -- frames as JSON-ready data ----------------------------------------------------------------

def records(frame: pd.DataFrame) -> list[dict]:
    """A table's rows as JSON-ready dicts: Python numbers, NaN and missing values as None."""
    keys = list(frame.columns)
    if not keys:
        return [{} for _ in range(len(frame))]
    columns = [frame[key].astype(object).where(frame[key].notna(), None).tolist() for key in keys]
    return [dict(zip(keys, values)) for values in zip(*columns)]


def feature_collection(frame: gpd.GeoDataFrame) -> dict:
    """A GeoDataFrame as a GeoJSON FeatureCollection: points and simple polygons (H3 cells) written
    straight from their coordinates, anything else by shapely."""
    rows = records(frame.drop(columns="geometry"))
    geometries = frame.geometry.values
    kinds = shapely.get_type_id(geometries) if len(frame) else np.zeros(0, dtype=int)
    shapes: list = [None] * len(frame)
    points = np.flatnonzero(kinds == 0)
    if len(points):
        xy = np.round(shapely.get_coordinates(geometries[points]), 7).tolist()
        for i, coordinates in zip(points.tolist(), xy):
            shapes[i] = {"type": "Point", "coordinates": coordinates}
    simple = np.flatnonzero((kinds == 3) & (shapely.get_num_interior_rings(geometries) == 0)) if len(frame) \
        else points[:0]
    if len(simple):
        coordinates, owner = shapely.get_coordinates(geometries[simple], return_index=True)
        coordinates = np.round(coordinates, 7).tolist()
        starts = np.searchsorted(owner, np.arange(len(simple) + 1)).tolist()
        for k, i in enumerate(simple.tolist()):
            shapes[i] = {"type": "Polygon", "coordinates": [coordinates[starts[k]:starts[k + 1]]]}
    for i, shape in enumerate(shapes):
        if shape is None:
            shapes[i] = mapping(geometries[i])
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "geometry": g, "properties": p} for g, p in zip(shapes, rows)]}
