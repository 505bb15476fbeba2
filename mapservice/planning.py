"""Coverage analysis for planners on a store's layers: the glue between the Store and analysis/.

Reads supply and demand features through the Store contract, assigns districts by polygon,
runs the pure functions in :mod:`mapservice.analysis`, and returns frames ready for the API,
the CLI and the planner page. Distances are geodesic metres; coordinates WGS 84.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely

from .analysis.access import two_step_fca
from .analysis.coverage import REGION_TOTAL, coarser_gaps, coverage, gap_cells, h3_resolution_for_radius, radius_for_minutes, summarize_by_district
from .analysis.siting import greedy_max_coverage
from .errors import BadRequest
from .exporter import iter_features
from .layers import Layer
from .store.base import Store

# Demand weight by layer: residents for communities, pupils for schools.
DEFAULT_WEIGHT = {"communities": "population", "schools": "enrollment"}
CANDIDATE_LAYERS = ("schools", "communities")
# A school or community with a supply feature this close already hosts one.
HOSTS_WITHIN_M = 50.0
MAX_SUGGESTIONS = 50
#: H3 resolution of the gap cells' overview on a whole-region map: cells of ~36 km² (edge ~3.7 km).
OVERVIEW_RESOLUTION = 6
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


@dataclass
class CoverageReport:
    """Results: ``demand`` and ``gaps`` are GeoDataFrames (EPSG:4326), ``by_district`` a table."""

    request: CoverageRequest
    radius_m: float
    weight_name: str | None
    demand: gpd.GeoDataFrame
    supply: gpd.GeoDataFrame
    by_district: pd.DataFrame
    gaps: gpd.GeoDataFrame
    h3_resolution: int
    districts: gpd.GeoDataFrame = field(repr=False)

    @property
    def region(self) -> dict:
        return self.by_district[self.by_district["district"] == REGION_TOTAL].iloc[0].to_dict()

    @property
    def overview_resolution(self) -> int:
        """H3 resolution of :attr:`gaps_overview`: :data:`OVERVIEW_RESOLUTION`, or the analysis' if coarser."""
        return min(self.h3_resolution, OVERVIEW_RESOLUTION)

    @property
    def gaps_overview(self) -> gpd.GeoDataFrame:
        """The gap cells merged into coarser ones, to show where the gaps are on a whole-region map."""
        return coarser_gaps(self.gaps, self.overview_resolution)


def _points(store: Store, layer: Layer, where=None) -> gpd.GeoDataFrame:
    features = [f for f in iter_features(store, layer.id) if where is None or where(f.properties)]
    rows = [{"id": f.id, "layer": layer.id, "name": f.properties["name"], **f.properties} for f in features]
    geometry = [f.geometry if f.geometry.geom_type == "Point" else f.geometry.representative_point()
                for f in features]
    return gpd.GeoDataFrame(rows, geometry=geometry, crs="EPSG:4326") if rows else gpd.GeoDataFrame(
        {"id": [], "layer": [], "name": []}, geometry=[], crs="EPSG:4326")


def _where(layers: list[Layer], text: str | None):
    """A predicate on properties from ``attr=value`` or ``attr>=value`` (codes in file order)."""
    if not text:
        return None
    match = _WHERE.match(text)
    if not match:
        raise BadRequest("supply_where must look like tier>=示范 or category=museum", field="supply_where")
    name, op, raw = match.groups()
    attribute = next((lay.attribute(name) for lay in layers if lay.attribute(name)), None)
    if attribute is None:
        raise BadRequest(f"no chosen supply layer has the attribute {name!r}", field="supply_where")
    try:
        value = attribute.parse(raw)
    except ValueError as exc:
        raise BadRequest(f"supply_where: {exc}", field="supply_where") from None
    if op == "=":
        return lambda props: (value in (props.get(name) or [])) if attribute.type == "codes" else props.get(name) == value
    if attribute.type == "code":
        order = list(attribute.values)
        return lambda props: props.get(name) in order and order.index(props[name]) >= order.index(value)
    if attribute.type in ("integer", "number"):
        return lambda props: props.get(name) is not None and props[name] >= value
    raise BadRequest(f"{name} cannot be compared with >=", field="supply_where")


def _district_of(points: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> np.ndarray:
    """The district name each point falls in (None outside every district)."""
    names = np.full(len(points), None, dtype=object)
    if len(points) and len(districts):
        tree = shapely.STRtree(districts.geometry.values)
        point_idx, district_idx = tree.query(points.geometry.values, predicate="intersects")
        names[point_idx] = districts["name"].values[district_idx]
    return names


def _resolve(store: Store, request: CoverageRequest) -> tuple[list[Layer], Layer, float]:
    if not request.supply:
        raise BadRequest("choose at least one supply layer", field="supply")
    supply = [store.layers.require(i, "supply") for i in request.supply]
    for layer in supply:
        if layer.kind != "supply" or not layer.is_point:
            raise BadRequest(f"{layer.id} is not a supply layer", field="supply")
    demand = store.layers.require(request.demand, "demand")
    if demand.kind != "demand" or not demand.is_point:
        raise BadRequest(f"{demand.id} is not a demand layer", field="demand")
    if request.radius_m is not None and request.minutes is not None:
        raise BadRequest("give radius or minutes, not both", field="radius")
    if request.minutes is not None:
        if not 0 < request.minutes <= 120:
            raise BadRequest("minutes must be more than 0 and at most 120", field="minutes")
        radius = float(radius_for_minutes(request.minutes))
    elif request.radius_m is not None:
        radius = float(request.radius_m)
    else:
        radius = min(layer.radius_m for layer in supply)
    if not 0 < radius <= 50_000:
        raise BadRequest("radius must be more than 0 and at most 50,000 m", field="radius")
    return supply, demand, radius


def analyse(store: Store, request: CoverageRequest) -> CoverageReport:
    """Coverage of ``request.demand`` by the chosen supply, per demand unit and per district."""
    supply_layers, demand_layer, radius = _resolve(store, request)
    weight_name = request.weight or DEFAULT_WEIGHT.get(demand_layer.id)
    if weight_name and not demand_layer.attribute(weight_name):
        raise BadRequest(f"{demand_layer.id} has no attribute {weight_name!r} to weight by", field="weight")
    districts = _points_or_polygons(store)
    if request.district and request.district not in set(districts["name"]) | set(districts["adcode"]):
        raise BadRequest(f"unknown district {request.district!r}; known: {', '.join(districts['name'])}",
                         field="district")
    where = _where(supply_layers, request.supply_where)
    supply = pd.concat([_points(store, layer, where) for layer in supply_layers], ignore_index=True)
    supply = gpd.GeoDataFrame(supply, geometry="geometry", crs="EPSG:4326")
    demand = _points(store, demand_layer)
    demand["district"] = _district_of(demand, districts)
    supply["district"] = _district_of(supply, districts)
    if request.district:
        chosen = districts.loc[(districts["name"] == request.district) | (districts["adcode"] == request.district),
                               "name"].iloc[0]
        demand = demand[demand["district"] == chosen].reset_index(drop=True)
    weight = (pd.to_numeric(demand[weight_name], errors="coerce").fillna(0).to_numpy(float)
              if weight_name and len(demand) else np.ones(len(demand)))
    result = coverage(demand.geometry.x.to_numpy(), demand.geometry.y.to_numpy(), weight,
                      supply.geometry.x.to_numpy(), supply.geometry.y.to_numpy(), radius)
    found = result.nearest_index >= 0
    demand["weight"] = weight
    demand["nearest_m"] = np.where(found, np.round(result.nearest_m, 1), np.nan)
    demand["nearest_id"] = np.where(found, supply["id"].to_numpy()[np.maximum(result.nearest_index, 0)], None)
    demand["nearest_layer"] = np.where(found, supply["layer"].to_numpy()[np.maximum(result.nearest_index, 0)], None)
    demand["nearest_name"] = np.where(found, supply["name"].to_numpy()[np.maximum(result.nearest_index, 0)], None)
    demand["covered"] = result.covered
    capacity = pd.to_numeric(supply["capacity"], errors="coerce").fillna(1).to_numpy(float) \
        if "capacity" in supply else np.ones(len(supply))
    demand["access"] = two_step_fca(demand.geometry.x.to_numpy(), demand.geometry.y.to_numpy(), weight,
                                    supply.geometry.x.to_numpy(), supply.geometry.y.to_numpy(), capacity, radius)
    supply_in_scope = supply if not request.district else supply[supply["district"] == chosen]
    table = summarize_by_district(demand["district"].to_numpy(), weight, result.covered,
                                  supply_in_scope["district"].to_numpy())
    resolution = h3_resolution_for_radius(radius)
    gaps = gap_cells(demand.geometry.x.to_numpy(), demand.geometry.y.to_numpy(), weight, result.covered, resolution)
    return CoverageReport(request, radius, weight_name, demand, supply, table, gaps, resolution, districts)


def _points_or_polygons(store: Store) -> gpd.GeoDataFrame:
    boundaries = [layer for layer in store.layers.values() if layer.kind == "boundary"]
    features = [f for layer in boundaries for f in iter_features(store, layer.id)]
    return gpd.GeoDataFrame({"name": [f.properties["name"] for f in features],
                             "adcode": [f.properties.get("adcode") for f in features]},
                            geometry=[f.geometry for f in features], crs="EPSG:4326")


def suggest(store: Store, report: CoverageReport, count: int = 5, candidates: str = "sites") -> pd.DataFrame:
    """The next ``count`` sites, chosen greedily to cover the most still-uncovered weight.

    ``candidates``: ``sites`` = schools and communities that host no supply feature yet (none
    within 50 m); ``hexagons`` = centres of the gap cells.
    """
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_SUGGESTIONS:
        raise BadRequest(f"count must be a whole number from 1 to {MAX_SUGGESTIONS}", field="count")
    if candidates == "sites":
        pool = pd.concat([_points(store, store.layers[i]) for i in CANDIDATE_LAYERS if i in store.layers],
                         ignore_index=True)
        pool = gpd.GeoDataFrame(pool, geometry="geometry", crs="EPSG:4326")
        if report.request.district:
            pool = pool[_district_of(pool, report.districts) == report.demand["district"].iloc[0]] \
                if len(report.demand) else pool.iloc[0:0]
        if len(pool) and len(report.supply):
            hosted = coverage(pool.geometry.x.to_numpy(), pool.geometry.y.to_numpy(), None,
                              report.supply.geometry.x.to_numpy(), report.supply.geometry.y.to_numpy(),
                              HOSTS_WITHIN_M).covered
            pool = pool[~hosted]
        pool = pool[["layer", "id", "name", "geometry"]].reset_index(drop=True)
    elif candidates == "hexagons":
        cells = list(report.gaps["cell"]) if len(report.gaps) else []
        centres = [h3.cell_to_latlng(cell) for cell in cells]
        pool = gpd.GeoDataFrame({"layer": "hexagon", "id": cells, "name": cells},
                                geometry=gpd.points_from_xy([c[1] for c in centres], [c[0] for c in centres]),
                                crs="EPSG:4326")
    else:
        raise BadRequest("candidates must be sites or hexagons", field="candidates")
    demand = report.demand
    picks = greedy_max_coverage(demand.geometry.x.to_numpy(), demand.geometry.y.to_numpy(),
                                demand["weight"].to_numpy(), demand["covered"].to_numpy(),
                                pool.geometry.x.to_numpy(), pool.geometry.y.to_numpy(), report.radius_m, count)
    rows = [{"rank": rank, "layer": pool["layer"].iloc[s.index], "id": pool["id"].iloc[s.index],
             "name": pool["name"].iloc[s.index], "lon": round(s.lon, 7), "lat": round(s.lat, 7),
             "added_weight": s.added_weight, "covered_weight_after": s.covered_weight_after,
             "covered_share_after": s.covered_share_after} for rank, s in enumerate(picks, start=1)]
    return gpd.GeoDataFrame(rows, geometry=gpd.points_from_xy([r["lon"] for r in rows], [r["lat"] for r in rows]),
                            crs="EPSG:4326") if rows else gpd.GeoDataFrame(
        {"rank": [], "name": [], "added_weight": []}, geometry=[], crs="EPSG:4326")


def write_outputs(report: CoverageReport, suggestions: gpd.GeoDataFrame, path) -> list[str]:
    """Write the district table, demand rows, gap cells and suggestions; returns the files written.

    ``.gpkg``: four layers in one file (opens in QGIS); ``.xlsx``: four sheets; ``.geojson`` and
    ``.csv``: one file per part, named ``<stem>_<part>.<suffix>``.
    """
    from pathlib import Path

    import pyogrio

    path = Path(path)
    parts = {"districts": report.by_district, "demand": report.demand.drop(columns=["source_id"], errors="ignore"),
             "gaps": report.gaps, "suggestions": suggestions}
    parts = {name: _flat(frame) for name, frame in parts.items()}
    suffix = path.suffix.lower()
    if suffix == ".gpkg":
        path.unlink(missing_ok=True)
        for name, frame in parts.items():
            pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG", append=path.exists())
        return [str(path)]
    if suffix == ".xlsx":
        with pd.ExcelWriter(path) as book:
            for name, frame in parts.items():
                table = pd.DataFrame(frame.drop(columns="geometry")) if "geometry" in frame else frame
                if isinstance(frame, gpd.GeoDataFrame) and name != "gaps":
                    table["lon"], table["lat"] = frame.geometry.x, frame.geometry.y
                table.to_excel(book, sheet_name=name, index=False)
        return [str(path)]
    if suffix not in (".geojson", ".json", ".csv"):
        raise BadRequest("output must end in .gpkg, .geojson, .csv or .xlsx", field="output")
    written = []
    for name, frame in parts.items():
        target = path.with_name(f"{path.stem}_{name}{path.suffix}")
        if suffix == ".csv":
            table = pd.DataFrame(frame.drop(columns="geometry")) if "geometry" in frame else frame
            if "geometry" in frame:
                table["wkt"] = frame.geometry.to_wkt()
            table.to_csv(target, index=False, encoding="utf-8-sig")
        elif isinstance(frame, gpd.GeoDataFrame):
            frame.to_file(target, driver="GeoJSON")
        else:
            target = target.with_suffix(".csv")
            frame.to_csv(target, index=False, encoding="utf-8-sig")
        written.append(str(target))
    return written


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """Lists (codes attributes) joined with ';' so every format can hold them."""
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object and frame[column].map(lambda v: isinstance(v, list)).any():
            frame[column] = frame[column].map(lambda v: ";".join(v) if isinstance(v, list) else v)
    return frame
