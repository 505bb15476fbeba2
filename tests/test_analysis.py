"""Analysis core against hand-computed cases and deliberately simple dense references."""
import itertools
import math

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod
from shapely.geometry import Point, Polygon

from mapservice.analysis.access import two_step_fca
from mapservice.analysis.coverage import (
    coarser_gaps,
    coverage,
    coverage_frame,
    gap_cells,
    h3_resolution_for_radius,
    nearest_supply,
    pairs_within,
    radius_for_minutes,
    summarize_by_district,
)
from mapservice.analysis.siting import greedy_max_coverage
from mapservice.errors import BadRequest

GEOD = Geod(ellps="WGS84")
LON, LAT = 119.4, 32.4


def offset(metres, azimuth=0.0, lon=LON, lat=LAT):
    """Point(s) the given geodesic metres from (lon, lat) along the azimuth (degrees)."""
    metres = np.atleast_1d(np.asarray(metres, dtype=float))
    azimuth = np.broadcast_to(np.asarray(azimuth, dtype=float), metres.shape)
    x, y, _ = GEOD.fwd(np.full(metres.shape, lon), np.full(metres.shape, lat), azimuth, metres)
    return np.asarray(x), np.asarray(y)


def dense_distances(a_lon, a_lat, b_lon, b_lat):
    """Every a against every b with pyproj.Geod.inv: the brute-force reference, shape (a, b)."""
    a = np.repeat(np.arange(len(a_lon)), len(b_lon))
    b = np.tile(np.arange(len(b_lon)), len(a_lon))
    _, _, dist = GEOD.inv(a_lon[a], a_lat[a], b_lon[b], b_lat[b])
    return np.asarray(dist).reshape(len(a_lon), len(b_lon))


def yangzhou(rng, n):
    return rng.uniform(LON - 0.1, LON + 0.1, n), rng.uniform(LAT - 0.1, LAT + 0.1, n)


# -- nearest supply and coverage -----------------------------------------------------------

def test_nearest_along_a_meridian():
    s_lon, s_lat = offset([800, 300, 1500], [0, 180, 90])
    index, metres = nearest_supply([LON], [LAT], s_lon, s_lat)
    assert index.tolist() == [1]
    assert metres[0] == pytest.approx(300, abs=1e-6)


def test_coverage_flags_and_shares_by_hand():
    d_lon, d_lat = offset([0, 400, 600, 1000])
    result = coverage(d_lon, d_lat, [1, 2, 3, 4], [LON], [LAT], 500)
    assert result.covered.tolist() == [True, True, False, False]
    assert result.nearest_index.tolist() == [0, 0, 0, 0]
    np.testing.assert_allclose(result.nearest_m, [0, 400, 600, 1000], atol=1e-6)
    assert (result.covered_weight, result.total_weight, result.covered_share) == (3.0, 10.0, 0.3)
    assert coverage(d_lon, d_lat, None, [LON], [LAT], 500).covered_share == 0.5


def test_no_supply_means_nothing_is_covered():
    index, metres = nearest_supply([LON, LON], [LAT, LAT + 0.01], [], [])
    assert index.tolist() == [-1, -1] and np.isinf(metres).all()
    result = coverage([LON], [LAT], [5], [], [], 1000)
    assert not result.covered.any() and result.covered_share == 0.0


def test_ellipsoid_order_wins_over_sphere_order():
    # At 32 deg N a metre north spans less arc than a metre east, so eleven points ~1,001.5 m to
    # the east-ish are nearer on the sphere than the one 1,000 m north; the ellipsoid disagrees
    # and the search has to widen past its first chord candidates to find it.
    east_lon, east_lat = offset(np.linspace(1001, 1002, 11), np.linspace(85, 95, 11))
    s_lon, s_lat = np.append(east_lon, offset(1000)[0]), np.append(east_lat, offset(1000)[1])
    chord_first = np.argsort(np.hypot((s_lon - LON) * math.cos(math.radians(LAT)), s_lat - LAT))
    assert chord_first[-1] == 11
    index, metres = nearest_supply([LON], [LAT], s_lon, s_lat)
    assert index.tolist() == [11] and metres[0] == pytest.approx(1000, abs=1e-6)


def test_ties_go_to_the_lowest_index():
    s_lon, s_lat = offset([900, 500, 500, 500], [0, 90, 90, 90])
    index, _ = nearest_supply([LON, LON], [LAT, LAT + 0.001], s_lon, s_lat)
    assert index.tolist() == [1, 1]


def test_nearest_and_coverage_match_brute_force_around_yangzhou():
    rng = np.random.default_rng(11)
    d_lon, d_lat = yangzhou(rng, 400)
    s_lon, s_lat = yangzhou(rng, 60)
    # Duplicates and near-duplicates stress the tie-breaking and the sphere/ellipsoid band.
    s_lon[50:], s_lat[50:] = s_lon[:10] + 1e-9, s_lat[:10]
    dense = dense_distances(d_lon, d_lat, s_lon, s_lat)
    index, metres = nearest_supply(d_lon, d_lat, s_lon, s_lat)
    np.testing.assert_array_equal(index, dense.argmin(axis=1))
    np.testing.assert_allclose(metres, dense.min(axis=1), rtol=1e-9)

    radius = float(np.sort(dense.min(axis=1))[200])  # exactly the distance of one demand point
    result = coverage(d_lon, d_lat, None, s_lon, s_lat, radius)
    reference = dense.min(axis=1) <= radius
    at_radius = np.isclose(dense.min(axis=1), radius, rtol=1e-12)
    assert at_radius.any()
    np.testing.assert_array_equal(result.covered[~at_radius], reference[~at_radius])


def test_pairs_within_match_brute_force():
    rng = np.random.default_rng(5)
    a_lon, a_lat = yangzhou(rng, 300)
    b_lon, b_lat = yangzhou(rng, 200)
    dense = dense_distances(a_lon, a_lat, b_lon, b_lat)
    ia, ib = pairs_within(a_lon, a_lat, b_lon, b_lat, 2500)
    assert sorted(zip(ia.tolist(), ib.tolist())) == sorted(zip(*np.nonzero(dense <= 2500)))


def test_bad_input_names_the_field():
    with pytest.raises(BadRequest) as error:
        nearest_supply([LON, LON], [LAT], [LON], [LAT])
    assert error.value.field == "demand" and error.value.status == 400
    with pytest.raises(BadRequest) as error:
        coverage([LON], [LAT], [-1], [LON], [LAT], 100)
    assert error.value.field == "weight"
    with pytest.raises(BadRequest):
        nearest_supply([LON], [95.0], [LON], [LAT])


# -- GeoDataFrame wrapper ----------------------------------------------------------------

def points_frame(lon, lat, crs="EPSG:4326", **columns):
    return gpd.GeoDataFrame(columns, geometry=[Point(x, y) for x, y in zip(lon, lat)], crs=crs)


def test_frame_wrapper_matches_arrays():
    d_lon, d_lat = offset([0, 400, 600, 1000])
    result = coverage_frame(points_frame(d_lon, d_lat, children=[1, 2, 3, 4]), points_frame([LON], [LAT]),
                            500, weight="children")
    assert result.covered.tolist() == [True, True, False, False] and result.covered_share == 0.3


def test_frame_wrapper_refuses_other_crs():
    supply = points_frame([LON], [LAT])
    projected = points_frame([LON], [LAT]).to_crs(3857)
    with pytest.raises(BadRequest, match="EPSG:4326") as error:
        coverage_frame(projected, supply, 500)
    assert error.value.field == "demand"
    with pytest.raises(BadRequest, match="EPSG:4326"):
        coverage_frame(supply, points_frame([LON], [LAT], crs=None), 500)
    areas = gpd.GeoDataFrame(geometry=[Point(LON, LAT).buffer(0.01)], crs=4326)
    with pytest.raises(BadRequest, match="point"):
        coverage_frame(areas, supply, 500)


# -- district table -------------------------------------------------------------------------

def test_district_table_by_hand():
    summary = summarize_by_district(
        district_ids=["广陵区", "广陵区", "邗江区", None, ""],
        weight=[100, 300, 200, 50, 50],
        covered=[True, False, True, True, False],
        supply_district_ids=["广陵区", "广陵区", "邗江区", "江都区", None],
    )
    table = summary.districts.set_index("district")
    assert table.index.tolist() == ["广陵区", "江都区", "邗江区"]
    assert table.loc["广陵区"].to_dict() == {
        "demand_count": 2, "covered_count": 1, "demand_weight": 400.0, "covered_weight": 100.0,
        "covered_share": 0.25, "supply_count": 2, "supply_per_10k": 50.0}
    assert table.loc["江都区", "demand_count"] == 0 and math.isnan(table.loc["江都区", "covered_share"])
    assert math.isnan(table.loc["江都区", "supply_per_10k"])
    assert summary.region == {
        "demand_count": 5, "covered_count": 3, "demand_weight": 700.0, "covered_weight": 350.0,
        "covered_share": 0.5, "supply_count": 5, "supply_per_10k": 5 / 700 * 10_000}


def test_district_table_uses_population_when_given():
    summary = summarize_by_district(["A", "A", "B"], None, [True, False, False], ["A", "B", "B"],
                                    population_by_district={"A": 20_000, "B": 5_000, "C": 1_000})
    table = summary.districts.set_index("district")
    assert table["supply_per_10k"].to_dict() == {"A": 0.5, "B": 4.0, "C": 0.0}
    assert summary.region["supply_per_10k"] == 3 / 26_000 * 10_000
    assert table.loc["A", "covered_share"] == 0.5 and table.loc["C", "demand_count"] == 0
    assert pd.api.types.is_integer_dtype(table["supply_count"])


# -- gap cells and radii --------------------------------------------------------------------

def test_gap_cells_sum_to_the_uncovered_weight():
    rng = np.random.default_rng(3)
    d_lon, d_lat = yangzhou(rng, 500)
    s_lon, s_lat = yangzhou(rng, 30)
    weight = rng.integers(1, 500, 500).astype(float)
    result = coverage(d_lon, d_lat, weight, s_lon, s_lat, 1000)
    cells = gap_cells(d_lon, d_lat, weight, result.covered, h3_resolution_for_radius(1000))
    assert cells["uncovered_weight"].sum() == pytest.approx(result.total_weight - result.covered_weight)
    assert cells["uncovered_count"].sum() == (~result.covered).sum()
    assert cells["uncovered_weight"].is_monotonic_decreasing and cells.crs.to_epsg() == 4326
    first = np.flatnonzero(~result.covered)[0]
    assert h3.latlng_to_cell(d_lat[first], d_lon[first], 8) in set(cells["cell"])
    assert all(isinstance(g, Polygon) and g.is_valid for g in cells.geometry)
    assert gap_cells(d_lon, d_lat, weight, np.ones(500, bool), 8).empty


def test_coarser_gaps_merge_cells_into_their_parents():
    rng = np.random.default_rng(4)
    d_lon, d_lat = yangzhou(rng, 800)
    weight = rng.integers(1, 500, 800).astype(float)
    fine = gap_cells(d_lon, d_lat, weight, np.zeros(800, bool), 9)
    coarse = coarser_gaps(fine, 7)
    assert len(coarse) < len(fine)
    assert coarse["uncovered_weight"].sum() == pytest.approx(weight.sum())
    assert coarse["uncovered_count"].sum() == 800 and coarse["uncovered_weight"].is_monotonic_decreasing
    # By hand: each parent holds what its children hold.
    expected = {}
    for cell, w in zip(fine["cell"], fine["uncovered_weight"]):
        parent = h3.cell_to_parent(cell, 7)
        expected[parent] = expected.get(parent, 0) + w
    assert dict(zip(coarse["cell"], coarse["uncovered_weight"])) == pytest.approx(expected)
    assert {h3.get_resolution(c) for c in coarse["cell"]} == {7}
    assert all(g.is_valid for g in coarse.geometry) and coarse.crs.to_epsg() == 4326
    # The same or a finer resolution, or no gaps at all, leave the cells as they are.
    assert coarser_gaps(fine, 9).equals(fine) and coarser_gaps(fine, 12).equals(fine)
    assert coarser_gaps(fine.iloc[:0], 5).empty


@pytest.mark.parametrize("radius, resolution", [(1000, 8), (531.5, 8), (500, 9), (300, 9), (200, 10), (0.1, 15)])
def test_h3_resolution_has_the_longest_edge_not_above_the_radius(radius, resolution):
    assert h3_resolution_for_radius(radius) == resolution


def test_radius_for_minutes_follows_the_life_circles():
    assert [radius_for_minutes(m) for m in (0, 5, 10, 15)] == [0.0, 300.0, 500.0, 1000.0]
    np.testing.assert_allclose(radius_for_minutes([2.5, 7.5, 12.5, 30]), [150, 400, 750, 2000])
    with pytest.raises(BadRequest):
        radius_for_minutes(-1)


# -- 2SFCA ------------------------------------------------------------------------------------

def dense_two_step_fca(d_lon, d_lat, weight, s_lon, s_lat, capacity, radius):
    within = dense_distances(d_lon, d_lat, s_lon, s_lat) <= radius
    reached = within.T.astype(float) @ weight
    ratio = np.divide(capacity, reached, out=np.zeros(len(capacity)), where=reached > 0)
    return within.astype(float) @ ratio


def test_two_step_fca_by_hand():
    # Two communities (100 and 300 children) share station 0 (40 places); the second also has
    # station 1 (10 places) to itself; station 2 is out of everyone's reach.
    d_lon, d_lat = offset([0, 900])
    s_lon, s_lat = offset([450, 1300, 5000])
    access = two_step_fca(d_lon, d_lat, [100, 300], s_lon, s_lat, [40, 10, 99], 500)
    np.testing.assert_allclose(access, [40 / 400, 40 / 400 + 10 / 300])


def test_two_step_fca_matches_dense_reference():
    rng = np.random.default_rng(8)
    d_lon, d_lat = yangzhou(rng, 300)
    s_lon, s_lat = yangzhou(rng, 80)
    weight, capacity = rng.integers(0, 1000, 300).astype(float), rng.integers(1, 60, 80).astype(float)
    expected = dense_two_step_fca(d_lon, d_lat, weight, s_lon, s_lat, capacity, 3000)
    np.testing.assert_allclose(two_step_fca(d_lon, d_lat, weight, s_lon, s_lat, capacity, 3000), expected)
    assert (expected > 0).mean() > 0.5


# -- greedy siting ----------------------------------------------------------------------------

def best_by_exhaustion(within, weight, open_, k):
    """Largest weight k candidates can newly cover, over every k-subset."""
    return max(weight[open_ & within[:, list(subset)].any(axis=1)].sum()
               for subset in itertools.combinations(range(within.shape[1]), k))


def plain_greedy(within, weight, open_, k):
    """Non-lazy greedy: re-evaluate every candidate every round, lowest index on ties."""
    open_, picks = open_.copy(), []
    for _ in range(k):
        gains = (within & open_[:, None]).T.astype(float) @ weight
        if gains.max() <= 0:
            break
        picks.append(int(gains.argmax()))
        open_ &= ~within[:, picks[-1]]
    return picks


def random_instance(seed, n=60, m=12):
    rng = np.random.default_rng(seed)
    d_lon, d_lat = yangzhou(rng, n)
    c_lon, c_lat = yangzhou(rng, m)
    weight = rng.integers(1, 100, n).astype(float)
    already = rng.random(n) < 0.2
    within = dense_distances(d_lon, d_lat, c_lon, c_lat) <= 6000
    return d_lon, d_lat, weight, already, c_lon, c_lat, within


def test_greedy_is_optimal_on_disjoint_clusters():
    # Four clusters 5 km apart, each candidate reaching exactly its own cluster: the best k
    # clusters are the k heaviest, which greedy finds.
    centres = [offset(5000 * c, 90) for c in range(4)]
    d_lon = np.concatenate([offset([0, 100, 200], 0, *centre)[0] for centre in centres])
    d_lat = np.concatenate([offset([0, 100, 200], 0, *centre)[1] for centre in centres])
    weight = np.array([5, 5, 5, 20, 1, 1, 3, 3, 3, 1, 1, 1], dtype=float)
    c_lon, c_lat = offset([0, 5000, 10000, 15000], 90)
    c_lat = c_lat + 0.0009  # ~100 m north: the middle of each cluster
    within = dense_distances(d_lon, d_lat, c_lon, c_lat) <= 500
    for k in (1, 2, 3):
        picks = greedy_max_coverage(d_lon, d_lat, weight, None, c_lon, c_lat, 500, k)
        assert picks[-1].covered_weight_after == best_by_exhaustion(within, weight, np.ones(12, bool), k)
    assert [p.index for p in picks] == [1, 0, 2]
    assert [p.added_weight for p in picks] == [22.0, 15.0, 9.0]
    assert picks[-1].covered_share_after == pytest.approx(46 / 49)


@pytest.mark.parametrize("seed", range(8))
def test_greedy_against_exhaustive_search(seed):
    d_lon, d_lat, weight, already, c_lon, c_lat, within = random_instance(seed)
    for k in (2, 3, 4):
        picks = greedy_max_coverage(d_lon, d_lat, weight, already, c_lon, c_lat, 6000, k)
        assert [p.index for p in picks] == plain_greedy(within, weight, ~already, k)
        gained = sum(p.added_weight for p in picks)
        assert gained >= (1 - 1 / math.e) * best_by_exhaustion(within, weight, ~already, k)
        assert picks[-1].covered_weight_after == pytest.approx(weight[already].sum() + gained)
        covered = already | within[:, [p.index for p in picks]].any(axis=1)
        assert picks[-1].covered_share_after == pytest.approx(weight[covered].sum() / weight.sum())


def test_greedy_stops_when_nothing_is_left_to_cover():
    d_lon, d_lat = offset([0, 100])
    picks = greedy_max_coverage(d_lon, d_lat, None, [False, True], [LON, LON + 1], [LAT, LAT], 500, 5)
    assert [(p.index, p.added_weight, p.covered_share_after) for p in picks] == [(0, 1.0, 1.0)]
    assert greedy_max_coverage(d_lon, d_lat, None, None, [], [], 500, 3) == []
    with pytest.raises(BadRequest):
        greedy_max_coverage(d_lon, d_lat, None, None, [LON], [LAT], 500, 1.5)
