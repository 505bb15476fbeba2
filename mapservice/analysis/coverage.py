"""Coverage of demand by supply: nearest-supply distance, covered share, per-district table, gaps.

Demand units are schools (``schools``) and residential communities (``communities``, 社区/村);
supply is any supply layer, e.g. doorstep parent schools (``parent_schools``, 家门口的家长学校)
or community stations (``community_stations``). All coordinates are longitude/latitude in
degrees on WGS 84 (EPSG:4326); all distances are geodesic metres on the WGS 84 ellipsoid, the
figure PostGIS ``geography`` reports. A demand unit is covered when its nearest supply point
lies at most ``radius_m`` away.

Neighbour searches run on a unit-sphere KD-tree and are then made exact on the ellipsoid: the
ellipsoid-to-sphere distance ratio stays within ``SPHERE_MARGIN`` of 1, so only points inside
that band are decided by a full geodesic computation.
"""
from __future__ import annotations

import contextvars
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from .. import budget
from ..errors import BadRequest
from ..geo import SPHERE_MARGIN, chord_for_metres, geodesic_m, metres_for_chord, unit_xyz

# Absolute slack (metres) so coincident points are not split by chord rounding (~1e-9 m).
_SLACK_M = 1e-6
_CHUNK = 10_000
# GB 50180-2018 life circles (生活圈): 5 / 10 / 15 minutes on foot ~ 300 / 500 / 1000 m.
_LIFE_CIRCLE_MIN = np.array([0.0, 5.0, 10.0, 15.0])
_LIFE_CIRCLE_M = np.array([0.0, 300.0, 500.0, 1000.0])


def as_points(lon, lat, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Validate longitude/latitude (degrees, EPSG:4326) into two equal-length float arrays."""
    lon, lat = np.asarray(lon, dtype=float).ravel(), np.asarray(lat, dtype=float).ravel()
    if lon.shape != lat.shape:
        raise BadRequest(f"{name}: {lon.size} longitudes but {lat.size} latitudes", field=name)
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        raise BadRequest(f"{name}: coordinates must be finite numbers", field=name)
    if (np.abs(lon) > 180).any() or (np.abs(lat) > 90).any():
        raise BadRequest(f"{name}: longitude must be within ±180 and latitude within ±90 degrees", field=name)
    return lon, lat


def as_values(values, size: int, name: str, default: float = 1.0) -> np.ndarray:
    """Validate per-point non-negative values (weights, capacities); ``None`` means all ``default``."""
    if values is None:
        return np.full(size, default)
    values = np.asarray(values, dtype=float).ravel()
    if values.size != size:
        raise BadRequest(f"{name}: {values.size} values for {size} points", field=name)
    if not np.isfinite(values).all() or (values < 0).any():
        raise BadRequest(f"{name}: values must be finite and not negative", field=name)
    return values


def as_radius(radius_m, name: str = "radius_m") -> float:
    """Validate a radius in metres."""
    radius = float(radius_m)
    if not np.isfinite(radius) or radius < 0:
        raise BadRequest(f"{name}: a radius must be a finite number of metres, not negative", field=name)
    return radius


def frame_points(frame: gpd.GeoDataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Longitude/latitude (degrees) of a point GeoDataFrame, refusing any CRS but EPSG:4326."""
    if frame.crs is None or frame.crs.to_epsg() != 4326:
        raise BadRequest(f"{name}: CRS is {frame.crs}, expected EPSG:4326; convert with .to_crs(4326)", field=name)
    kinds = set(frame.geom_type.dropna())
    if frame.geometry.isna().any() or frame.geometry.is_empty.any() or kinds - {"Point"}:
        raise BadRequest(f"{name}: every geometry must be a point (use .representative_point() for areas)", field=name)
    return as_points(frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy(), name)


def _threaded(fn, size: int) -> list:
    """``fn(slice)`` over ``_CHUNK``-sized slices of ``range(size)``, on all cores.

    scipy's KD-tree and pyproj's geodesic loop release the GIL, so threads give real speed-up.
    """
    slices = [slice(start, start + _CHUNK) for start in range(0, size, _CHUNK)]
    if len(slices) == 1:
        return [fn(slices[0])]
    context = contextvars.copy_context()  # the request's budget goes with each slice
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        return list(pool.map(lambda part: context.copy().run(fn, part), slices))


def nearest_supply(demand_lon, demand_lat, supply_lon, supply_lat) -> tuple[np.ndarray, np.ndarray]:
    """Nearest supply point of every demand point, exact on the WGS 84 ellipsoid.

    Parameters
    ----------
    demand_lon, demand_lat : array_like, shape (n,)
        Demand points, degrees (EPSG:4326).
    supply_lon, supply_lat : array_like, shape (m,)
        Supply points, degrees (EPSG:4326).

    Returns
    -------
    index : ndarray of int, shape (n,)
        Index into the supply arrays of the nearest supply point (the lowest index on a tie);
        -1 when there is no supply.
    distance_m : ndarray of float, shape (n,)
        Geodesic distance to it in metres; ``inf`` when there is no supply.

    Examples
    --------
    >>> index, metres = nearest_supply([119.4], [32.4], [119.4, 119.5], [32.41, 32.4])
    >>> int(index[0]), round(float(metres[0]))
    (0, 1109)
    """
    d_lon, d_lat = as_points(demand_lon, demand_lat, "demand")
    s_lon, s_lat = as_points(supply_lon, supply_lat, "supply")
    index, distance = np.full(d_lon.size, -1, dtype=np.intp), np.full(d_lon.size, np.inf)
    if not s_lon.size or not d_lon.size:
        return index, distance
    tree, xyz = cKDTree(unit_xyz(s_lon, s_lat)), unit_xyz(d_lon, d_lat)
    rows, k = np.arange(d_lon.size), min(2, s_lon.size)
    while rows.size:
        budget.check_time()
        chords, found = tree.query(xyz[rows], k=k, workers=-1)
        chords, found = chords.reshape(rows.size, k), found.reshape(rows.size, k)
        sphere = metres_for_chord(chords)
        best = _geodesic_rows(d_lon, d_lat, s_lon, s_lat, rows, found[:, 0])
        # Further chord candidates matter only if the ellipsoid could put them level with the first.
        maybe = np.zeros_like(found, dtype=bool)
        maybe[:, 1:] = sphere[:, 1:] * (1 - SPHERE_MARGIN) <= best[:, None] + _SLACK_M
        exact = np.full(found.shape, np.inf)
        exact[:, 0] = best
        r, c = np.nonzero(maybe)
        exact[r, c] = geodesic_m(d_lon[rows[r]], d_lat[rows[r]], s_lon[found[r, c]], s_lat[found[r, c]])
        best = exact.min(axis=1)
        index[rows] = np.where(exact == best[:, None], found, np.iinfo(np.intp).max).min(axis=1)
        distance[rows] = best
        # Unseen points lie beyond the k-th chord; widen where one of them could still be nearer.
        if k == s_lon.size:
            break
        rows = rows[sphere[:, -1] * (1 - SPHERE_MARGIN) <= best + _SLACK_M]
        k = min(k * 4, s_lon.size)
    return index, distance


def _geodesic_rows(d_lon, d_lat, s_lon, s_lat, rows, supply) -> np.ndarray:
    parts = _threaded(lambda s: geodesic_m(d_lon[rows[s]], d_lat[rows[s]], s_lon[supply[s]], s_lat[supply[s]]),
                      rows.size)
    return np.concatenate(parts)


def pairs_within(a_lon, a_lat, b_lon, b_lat, radius_m) -> tuple[np.ndarray, np.ndarray]:
    """All pairs of points of two sets at most ``radius_m`` geodesic metres apart.

    Parameters
    ----------
    a_lon, a_lat, b_lon, b_lat : array_like
        The two point sets, degrees (EPSG:4326).
    radius_m : float
        Largest geodesic distance in metres on the WGS 84 ellipsoid, inclusive.

    Returns
    -------
    ia, ib : ndarray of int
        Equal-length index arrays: ``a[ia[t]]`` and ``b[ib[t]]`` are within the radius.
        Memory is 16 bytes per pair, and about 80 while they are made: the pairs are counted first
        (without making them) and more than the budget's ``max_pairs`` are refused
        (:class:`~mapservice.budget.TooMuchWork`), so memory is bounded whatever the radius.
    """
    a_lon, a_lat = as_points(a_lon, a_lat, "a")
    b_lon, b_lat = as_points(b_lon, b_lat, "b")
    radius = as_radius(radius_m)
    if not a_lon.size or not b_lon.size:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
    b_tree, a_xyz = cKDTree(unit_xyz(b_lon, b_lat)), unit_xyz(a_lon, a_lat)
    reach = float(chord_for_metres((radius + _SLACK_M) / (1 - SPHERE_MARGIN)))
    _count_pairs(a_xyz, b_tree, reach)

    def chunk(part: slice) -> tuple[np.ndarray, np.ndarray]:
        budget.check_time()
        found = cKDTree(a_xyz[part]).sparse_distance_matrix(b_tree, reach, output_type="ndarray")
        ia, ib = found["i"].astype(np.intp) + part.start, found["j"].astype(np.intp)
        # Only pairs in the sphere-vs-ellipsoid band need the (slower) exact geodesic test.
        keep = metres_for_chord(found["v"]) * (1 + SPHERE_MARGIN) <= radius - _SLACK_M
        band = np.flatnonzero(~keep)
        keep[band] = geodesic_m(a_lon[ia[band]], a_lat[ia[band]], b_lon[ib[band]], b_lat[ib[band]]) <= radius
        return ia[keep], ib[keep]

    parts = _threaded(chunk, a_lon.size)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _count_pairs(a_xyz: np.ndarray, b_tree: cKDTree, reach: float) -> int:
    """How many pairs lie within chord ``reach``, counted without making them, a slice of ``a`` at a
    time so that a count past the budget's ``max_pairs`` stops early (and is refused)."""
    total = 0
    for start in range(0, len(a_xyz), _CHUNK):
        total += int(cKDTree(a_xyz[start:start + _CHUNK]).count_neighbors(b_tree, reach))
        budget.check_pairs(total)
        budget.check_time()
    return total


@dataclass(frozen=True)
class CoverageResult:
    """Outcome of :func:`coverage`; distances in metres, weights in the demand's unit."""

    nearest_index: np.ndarray  # supply index per demand point, -1 when there is no supply
    nearest_m: np.ndarray  # geodesic metres to it, inf when there is no supply
    covered: np.ndarray  # bool: nearest_m <= radius
    covered_weight: float
    total_weight: float
    covered_share: float  # covered_weight / total_weight, nan when the total is 0


def coverage(demand_lon, demand_lat, weight, supply_lon, supply_lat, radius_m) -> CoverageResult:
    """Which demand points have a supply point within ``radius_m`` metres, and what share.

    Parameters
    ----------
    demand_lon, demand_lat : array_like, shape (n,)
        Demand points, degrees (EPSG:4326).
    weight : array_like, shape (n,), or None
        Demand weight (e.g. residents or children); ``None`` counts each point once.
    supply_lon, supply_lat : array_like, shape (m,)
        Supply points, degrees (EPSG:4326).
    radius_m : float
        Coverage radius in geodesic metres, inclusive; see :func:`radius_for_minutes`.

    Returns
    -------
    CoverageResult

    Examples
    --------
    >>> result = coverage([119.4, 119.4], [32.4, 32.5], [3, 1], [119.4], [32.401], 500)
    >>> result.covered.tolist(), result.covered_share
    ([True, False], 0.75)
    """
    weights, radius = as_values(weight, np.size(demand_lon), "weight"), as_radius(radius_m)
    index, metres = nearest_supply(demand_lon, demand_lat, supply_lon, supply_lat)
    covered = metres <= radius
    covered_weight, total = float(weights[covered].sum()), float(weights.sum())
    share = covered_weight / total if total > 0 else float("nan")
    return CoverageResult(index, metres, covered, covered_weight, total, share)


def coverage_frame(demand: gpd.GeoDataFrame, supply: gpd.GeoDataFrame, radius_m: float,
                   weight: str | None = None) -> CoverageResult:
    """:func:`coverage` for point GeoDataFrames in EPSG:4326 (any other CRS is refused).

    ``weight`` names a numeric column of ``demand``; ``None`` counts each point once.
    """
    values = None if weight is None else demand[weight].to_numpy()
    return coverage(*frame_points(demand, "demand"), values, *frame_points(supply, "supply"), radius_m)


#: The columns of a district summary, after ``district``.
SUMMARY_COLUMNS = ("demand_count", "covered_count", "demand_weight", "covered_weight", "covered_share",
                   "supply_count", "supply_per_10k")


@dataclass
class DistrictSummary:
    """Coverage per district and for the whole: ``districts`` has one row per district (column
    ``district`` and :data:`SUMMARY_COLUMNS`), ``region`` the same figures for every demand unit."""

    districts: pd.DataFrame
    region: dict


def summarize_by_district(district_ids, weight, covered, supply_district_ids,
                          population_by_district=None) -> DistrictSummary:
    """Per-district coverage table and the region's totals.

    Parameters
    ----------
    district_ids : array_like, shape (n,)
        District label of each demand unit; ``None``, NaN or ``''`` for units outside every
        district, which count only in the region's totals.
    weight : array_like, shape (n,), or None
        Demand weight (e.g. residents); ``None`` counts each unit once.
    covered : array_like of bool, shape (n,)
        Coverage flags, e.g. ``CoverageResult.covered``.
    supply_district_ids : array_like, shape (m,)
        District label of each supply point (same conventions).
    population_by_district : mapping, optional
        Residents per district label. When given it is the denominator of ``supply_per_10k``
        (districts missing from it get NaN, the region uses the sum of what is given);
        otherwise the demand weight is.

    Returns
    -------
    DistrictSummary
        ``districts``: columns ``district, demand_count, covered_count, demand_weight,
        covered_weight, covered_share, supply_count, supply_per_10k`` (supply points per 10,000
        residents), one row per district seen in any input, sorted by label; ``region``: the
        same figures (without ``district``) for all units. Shares and rates are NaN where the
        denominator is 0.

    >>> summary = summarize_by_district(["A", "A", "B"], [100, 300, 200], [True, False, True], ["A", "B"])
    >>> summary.districts[["district", "covered_weight", "covered_share"]].to_dict("list")
    {'district': ['A', 'B'], 'covered_weight': [100.0, 200.0], 'covered_share': [0.25, 1.0]}
    >>> summary.region["covered_share"], summary.region["supply_count"]
    (0.5, 2)
    """
    labels = _labels(district_ids, "district_ids")
    covered = np.asarray(covered, dtype=bool).ravel()
    weights = as_values(weight, labels.size, "weight")
    if covered.size != labels.size:
        raise BadRequest(f"covered: {covered.size} flags for {labels.size} demand units", field="covered")
    supply = _labels(supply_district_ids, "supply_district_ids")
    population = pd.Series({} if population_by_district is None else population_by_district, dtype=float)
    names = sorted(set(labels[labels.notna()]) | set(supply[supply.notna()]) | set(population.index), key=str)

    demand = pd.DataFrame({"district": labels, "w": weights, "c": covered, "cw": weights * covered})
    table = demand.dropna(subset=["district"]).groupby("district").agg(
        demand_count=("w", "size"), covered_count=("c", "sum"), demand_weight=("w", "sum"),
        covered_weight=("cw", "sum"))
    table = table.reindex(names, fill_value=0)
    table["supply_count"] = supply.value_counts().reindex(names, fill_value=0)
    table = table.astype({"demand_count": int, "covered_count": int, "supply_count": int})
    residents = table["demand_weight"] if population_by_district is None else population.reindex(table.index)
    table["covered_share"] = table["covered_weight"] / table["demand_weight"].where(table["demand_weight"] > 0)
    table["supply_per_10k"] = 10_000 * table["supply_count"] / residents.where(residents > 0)
    total_weight, covered_weight = float(weights.sum()), float((weights * covered).sum())
    total_residents = total_weight if population_by_district is None else float(population.sum())
    region = {"demand_count": int(labels.size), "covered_count": int(covered.sum()), "demand_weight": total_weight,
              "covered_weight": covered_weight,
              "covered_share": covered_weight / total_weight if total_weight > 0 else float("nan"),
              "supply_count": int(supply.size),
              "supply_per_10k": 10_000 * supply.size / total_residents if total_residents > 0 else float("nan")}
    return DistrictSummary(table[list(SUMMARY_COLUMNS)].rename_axis("district").reset_index(), region)


def _labels(values, name: str) -> pd.Series:
    labels = pd.Series(np.asarray(values, dtype=object).ravel(), dtype=object)
    return labels.where(labels.notna() & (labels != ""))


def h3_resolution_for_radius(radius_m: float) -> int:
    """H3 resolution whose average hexagon edge is the longest not above ``radius_m`` metres.

    A hexagon's edge equals its circumradius, so such a cell is about as wide as the coverage
    circle: res 7 ~ 1,406 m, res 8 ~ 531 m, res 9 ~ 201 m, res 10 ~ 76 m (edge lengths from
    ``h3.average_hexagon_edge_length``). Radii below the finest edge (~0.6 m) give 15.
    """
    radius = as_radius(radius_m)
    for resolution in range(16):
        if h3.average_hexagon_edge_length(resolution, unit="m") <= radius:
            return resolution
    return 15


def gap_cells(demand_lon, demand_lat, weight, covered, resolution: int) -> gpd.GeoDataFrame:
    """Uncovered demand aggregated to H3 cells: where the coverage gaps are.

    Parameters
    ----------
    demand_lon, demand_lat : array_like, shape (n,)
        Demand points, degrees (EPSG:4326).
    weight : array_like, shape (n,), or None
        Demand weight; ``None`` counts each point once.
    covered : array_like of bool, shape (n,)
        Coverage flags, e.g. ``CoverageResult.covered``.
    resolution : int
        H3 resolution 0-15; see :func:`h3_resolution_for_radius`.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``cell`` (H3 index string), ``uncovered_count``, ``uncovered_weight`` and the
        cell's hexagon as ``geometry`` (EPSG:4326), one row per cell holding an uncovered
        point, heaviest first. ``uncovered_weight`` sums to the total uncovered weight.
    """
    lon, lat = as_points(demand_lon, demand_lat, "demand")
    weights = as_values(weight, lon.size, "weight")
    covered = np.asarray(covered, dtype=bool).ravel()
    if covered.size != lon.size:
        raise BadRequest(f"covered: {covered.size} flags for {lon.size} demand points", field="covered")
    if int(resolution) != resolution or not 0 <= resolution <= 15:
        raise BadRequest("resolution: an H3 resolution is an integer from 0 to 15", field="resolution")
    gaps = ~covered
    cells = [h3.latlng_to_cell(y, x, int(resolution)) for x, y in zip(lon[gaps], lat[gaps])]
    return _cell_frame(cells, np.ones(len(cells), dtype=np.int64), weights[gaps])


def coarser_gaps(gaps: gpd.GeoDataFrame, resolution: int) -> gpd.GeoDataFrame:
    """Gap cells (from :func:`gap_cells`) merged into their H3 parents at ``resolution``.

    For showing gaps at a scale where the analysis cells are too small to see: the same columns,
    counts and weights summed per parent, heaviest first. A ``resolution`` at or above the
    cells' own returns them as they are.
    """
    if not len(gaps) or resolution >= h3.get_resolution(gaps["cell"].iloc[0]):
        return gaps.copy()
    parents = [h3.cell_to_parent(cell, max(int(resolution), 0)) for cell in gaps["cell"]]
    return _cell_frame(parents, gaps["uncovered_count"].to_numpy(), gaps["uncovered_weight"].to_numpy())


def _cell_frame(cells: list[str], counts: np.ndarray, weights: np.ndarray) -> gpd.GeoDataFrame:
    """Counts and weights summed per H3 cell, with the cells' hexagons, heaviest first."""
    table = (pd.DataFrame({"cell": cells, "n": counts, "w": weights}).groupby("cell")
             .agg(uncovered_count=("n", "sum"), uncovered_weight=("w", "sum")).reset_index()
             .sort_values(["uncovered_weight", "cell"], ascending=[False, True], ignore_index=True))
    return gpd.GeoDataFrame(table, geometry=cell_polygons(table["cell"]), crs="EPSG:4326")


def cell_polygons(cells) -> np.ndarray:
    """The polygons of H3 cells (lon/lat, EPSG:4326), built at once for each ring length (6 for
    hexagons, 5 for the twelve pentagons per resolution, more where a cell crosses an icosahedron edge)."""
    boundaries = [h3.cell_to_boundary(cell) for cell in cells]
    polygons = np.empty(len(boundaries), dtype=object)
    sizes = np.array([len(b) for b in boundaries], dtype=int)
    for size in np.unique(sizes):
        chosen = np.flatnonzero(sizes == size)
        rings = np.array([boundaries[i] for i in chosen], dtype=float)[:, :, ::-1]  # (lat, lon) -> (lon, lat)
        polygons[chosen] = shapely.polygons(np.concatenate([rings, rings[:, :1]], axis=1))
    return polygons


def radius_for_minutes(minutes):
    """Walking radius in metres for a walk of ``minutes``, after the GB 50180-2018 life circles.

    The standard's 5-, 10- and 15-minute life circles (生活圈) reach about 300, 500 and 1,000 m.
    Between 0 and 15 minutes the radius is interpolated linearly through (0, 0), (5, 300),
    (10, 500) and (15, 1000); beyond 15 minutes it grows at the 15-minute circle's average pace,
    1000/15 ~ 66.7 m per minute (4 km/h). These are catchment sizes, not a walking speed: the
    knots are the standard's, the lines between them are this function's choice.

    >>> radius_for_minutes(10), radius_for_minutes(12), radius_for_minutes(30)
    (500.0, 700.0, 2000.0)
    """
    values = np.asarray(minutes, dtype=float)
    if not np.isfinite(values).all() or (values < 0).any():
        raise BadRequest("minutes: walking time must be a finite number of minutes, not negative", field="minutes")
    metres = np.where(values <= _LIFE_CIRCLE_MIN[-1], np.interp(values, _LIFE_CIRCLE_MIN, _LIFE_CIRCLE_M),
                      values * _LIFE_CIRCLE_M[-1] / _LIFE_CIRCLE_MIN[-1])
    return float(metres) if metres.ndim == 0 else metres
