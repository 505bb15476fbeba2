"""One contract, two stores: every test here runs on GeoPackage and on PostGIS."""
import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import MultiPolygon, Point, Polygon

from mapservice.errors import BadRequest, Conflict, NotFound
from mapservice.store import open_store
from mapservice.store.base import Row

GEOD = Geod(ellps="WGS84")
VENUE = {"name": "扬州博物馆", "category": "museum", "free": True}


def venue_rows(lons, lats, **extra):
    return [Row(f"v{i}", {**VENUE, "name": f"场馆{i}", **extra}, Point(x, y))
            for i, (x, y) in enumerate(zip(lons, lats))]


def test_init_is_idempotent_and_counts_start_at_zero(store):
    store.init()
    assert store.counts() == {layer_id: 0 for layer_id in store.layers}


def test_create_get_update_delete(store):
    created = store.create("venues", {"name": "扬州博物馆", "category": "博物馆", "free": "是", "age_min": "6"},
                           Point(119.4, 32.39))
    assert created.properties["category"] == "museum" and created.properties["age_min"] == 6
    assert created.properties["generated"] is False and created.properties["source_id"].startswith("api-")
    got = store.get("venues", created.id)
    assert got.properties == created.properties and got.geometry.equals(Point(119.4, 32.39))
    updated = store.update("venues", created.id, {"free": False, "price_note": "20 元"}, Point(119.41, 32.4))
    assert updated.properties["free"] is False and updated.properties["price_note"] == "20 元"
    assert updated.properties["name"] == "扬州博物馆" and updated.geometry.equals(Point(119.41, 32.4))
    store.delete("venues", created.id)
    with pytest.raises(NotFound):
        store.get("venues", created.id)
    with pytest.raises(NotFound):
        store.delete("venues", created.id)


def test_codes_lists_and_polygons_round_trip(store):
    base = store.create("practice_bases", {"name": "基地", "themes": "科学技术;labour", "level": "省级",
                                           "capacity": 120}, Point(119.5, 32.5))
    assert base.properties["themes"] == ["science", "labour"] and base.properties["level"] == "provincial"
    square = Polygon([(119.3, 32.3), (119.5, 32.3), (119.5, 32.5), (119.3, 32.5)])
    district = store.create("districts", {"name": "广陵区", "adcode": "321002"}, square)
    assert isinstance(district.geometry, MultiPolygon) and district.geometry.equals(MultiPolygon([square]))


def test_database_refuses_duplicate_source_id(store):
    store.create("venues", VENUE, Point(119.4, 32.39), source_id="same")
    with pytest.raises(Conflict):
        store.create("venues", VENUE, Point(119.5, 32.39), source_id="same")
    assert store.counts()["venues"] == 1


def test_upsert_inserts_then_updates_in_place(store):
    rows = venue_rows([119.40, 119.41, 119.42], [32.39] * 3)
    first = store.upsert("venues", rows)
    assert (first.inserted, first.updated) == (3, 0)
    ids = [f.id for f in store.features("venues").features]
    rows[1].properties["name"] = "改名"
    again = store.upsert("venues", rows)
    assert (again.inserted, again.updated) == (0, 3)
    page = store.features("venues")
    assert [f.id for f in page.features] == ids and page.features[1].properties["name"] == "改名"


def test_a_source_id_twice_in_one_batch_is_refused_whole(store):
    rows = venue_rows([119.40, 119.41, 119.42], [32.39] * 3)
    rows[2].source_id = rows[0].source_id
    with pytest.raises(Conflict) as caught:
        store.upsert("venues", rows)
    assert caught.value.field == "source_id" and rows[0].source_id in caught.value.message
    assert store.counts()["venues"] == 0


def test_transaction_rolls_back_everything(store):
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.create("venues", VENUE, Point(119.4, 32.39))
            store.upsert("venues", venue_rows([119.5], [32.5]))
            raise RuntimeError("boom")
    assert store.counts()["venues"] == 0


def test_bbox_filters_and_stable_paging(store):
    rng = np.random.default_rng(3)
    lons, lats = rng.uniform(119.0, 120.0, 300), rng.uniform(32.0, 33.0, 300)
    rows = venue_rows(lons, lats)
    for i, row in enumerate(rows):
        row.properties["category"] = "library" if i % 3 == 0 else "museum"
        row.properties["free"] = i % 2 == 0
    store.upsert("venues", rows)
    bbox = (119.2, 32.2, 119.7, 32.6)
    inside = (lons >= 119.2) & (lons <= 119.7) & (lats >= 32.2) & (lats <= 32.6)
    page = store.features("venues", bbox=bbox, limit=10_000)
    assert page.number_matched == inside.sum() == len(page.features)
    assert {f.properties["source_id"] for f in page.features} == {f"v{i}" for i in np.flatnonzero(inside)}
    wanted = {f"v{i}" for i in np.flatnonzero(inside) if i % 3 == 0 and i % 2 == 0}
    filtered = store.features("venues", bbox=bbox, filters={"category": "图书馆", "free": "true"}, limit=10_000)
    assert {f.properties["source_id"] for f in filtered.features} == wanted
    pages = [store.features("venues", limit=7, offset=o) for o in range(0, 300, 7)]
    ids = [f.id for p in pages for f in p.features]
    assert ids == sorted(ids) and len(set(ids)) == 300 and all(p.number_matched == 300 for p in pages)
    assert store.features("venues", limit=5, offset=1000).features == []


def test_bbox_edges_count_as_inside(store):
    # Corners, edges and latitudes on round numbers; south of the equator too.
    lons = [119.4, 119.45, 119.5, 119.5, 119.4, 119.3999, 119.45, -70.0, -70.01]
    lats = [32.39, 32.4, 32.41, 32.39, 32.41, 32.4, 32.4101, -33.45, -33.46]
    store.upsert("venues", venue_rows(lons, lats))

    def found(bbox):
        return sorted(int(f.properties["source_id"][1:]) for f in store.features("venues", bbox=bbox).features)

    assert found((119.4, 32.39, 119.5, 32.41)) == [0, 1, 2, 3, 4]
    assert found((119.45, 32.4, 119.45, 32.4)) == [1]
    assert found((119.4, 32.4, 119.45, 32.41)) == [1, 4]
    assert found((-70.01, -33.46, -70.0, -33.45)) == [7, 8]
    assert found((-180, -90, 180, 90)) == list(range(9))


def test_codes_filter_matches_membership(store):
    for i, themes in enumerate(["science", "science;labour", "labour", "nature"]):
        store.create("practice_bases", {"name": f"基地{i}", "themes": themes, "level": "municipal"},
                     Point(119.4 + i / 100, 32.4))
    found = store.features("practice_bases", filters={"themes": "劳动实践"}).features
    assert sorted(f.properties["name"] for f in found) == ["基地1", "基地2"]


def test_nearest_matches_pyproj_geodesic_brute_force(store):
    rng = np.random.default_rng(11)
    lons, lats = rng.normal(119.42, 0.05, 2000), rng.normal(32.39, 0.05, 2000)
    store.upsert("venues", venue_rows(lons, lats))
    for qlon, qlat in zip(rng.normal(119.42, 0.06, 25), rng.normal(32.39, 0.06, 25)):
        found = store.nearest(qlon, qlat, ["venues"], radius_m=3000, limit=20)
        _, _, dist = GEOD.inv(np.full(2000, qlon), np.full(2000, qlat), lons, lats)
        within = np.flatnonzero(dist <= 3000)
        expected = within[np.argsort(dist[within], kind="stable")][:20]
        assert [h.feature.properties["source_id"] for h in found] == [f"v{i}" for i in expected]
        assert np.allclose([h.distance_m for h in found], dist[expected], rtol=1e-6, atol=0.01)


def test_nearest_across_layers_with_filters(store):
    store.create("venues", {**VENUE, "name": "近馆"}, Point(119.401, 32.39))
    store.create("venues", {**VENUE, "name": "远馆", "category": "library"}, Point(119.43, 32.39))
    store.create("parent_schools", {"name": "家长学校", "host": "school", "tier": "示范"}, Point(119.405, 32.39))
    hits = store.nearest(119.4, 32.39, ["venues", "parent_schools"], radius_m=5000, limit=10)
    assert [h.feature.properties["name"] for h in hits] == ["近馆", "家长学校", "远馆"]
    assert [h.feature.layer for h in hits] == ["venues", "parent_schools", "venues"]
    assert hits[0].distance_m == pytest.approx(94.0, abs=1.0)
    libraries = store.nearest(119.4, 32.39, None, radius_m=5000, limit=10, filters={"category": "library"})
    assert [h.feature.properties["name"] for h in libraries] == ["远馆"]
    assert store.nearest(0.0, 0.0, ["venues"], radius_m=1000) == []
    assert len(store.nearest(119.4, 32.39, ["venues"], radius_m=5000, limit=1)) == 1


def test_nearest_over_several_layers_sees_every_edit(store, settings, layers):
    store.create("venues", {**VENUE, "name": "馆"}, Point(119.402, 32.39))
    school = store.create("parent_schools", {"name": "学校", "host": "school", "tier": "示范"}, Point(119.402, 32.39))

    def names(layer_ids=("venues", "parent_schools")):
        return [h.feature.properties["name"] for h in store.nearest(119.4, 32.39, list(layer_ids), radius_m=5000)]

    assert names() == ["学校", "馆"]  # the same spot: ties go by layer id, then id
    store.create("venues", {**VENUE, "name": "新馆"}, Point(119.401, 32.39))
    store.delete("parent_schools", school.id)
    assert names() == ["新馆", "馆"]
    other = open_store(settings, layers)  # another process writing to the same store
    try:
        other.create("community_stations", {"name": "驿站", "kind": "after_school_station"}, Point(119.4005, 32.39))
        assert names(("venues", "community_stations", "parent_schools")) == ["驿站", "新馆", "馆"]
        other.create("parent_schools", {"name": "又一学校", "host": "school", "tier": "示范"}, Point(119.403, 32.39))
    finally:
        other.close()
    assert names(("venues", "community_stations", "parent_schools")) == ["驿站", "新馆", "馆", "又一学校"]


def test_nearest_over_several_layers_reads_each_feature_as_get_does(store):
    """The rows of a search over several layers are read together (on PostGIS in one statement,
    its attributes as text and typed again): every value comes back as a read of the one feature
    gives it, nulls, falses, whole numbers, code lists and hours included."""
    made = [
        store.create("venues", {"name": "馆", "category": "museum", "free": False, "age_max": 12,
                                "opening_hours": "Tu-Su 09:00-17:00"}, Point(119.401, 32.39)),
        store.create("practice_bases", {"name": "基地", "themes": ["science", "patriotic"], "level": "municipal",
                                        "grade_min": 3, "grade_max": 9, "capacity": 40}, Point(119.402, 32.39)),
        store.create("community_stations", {"name": "驿站", "kind": "after_school_station"}, Point(119.403, 32.39)),
        store.create("parent_schools", {"name": "学校", "host": "school", "tier": "示范"}, Point(119.404, 32.39)),
    ]
    for _ in range(2):  # the first from the store, the second from the points held
        hits = store.nearest(119.4, 32.39, list(store.layers)[:4], radius_m=2000, limit=10)
        assert [(h.feature.layer, h.feature.id) for h in hits] == [(f.layer, f.id) for f in made]
        for hit, feature in zip(hits, made):
            again = store.get(feature.layer, feature.id)
            assert hit.feature.properties == again.properties and hit.feature.geometry.equals(again.geometry)
            assert [type(v) for v in hit.feature.properties.values()] == [type(v) for v in again.properties.values()]
    assert made[0].properties["free"] is False and made[0].properties["age_min"] is None
    assert made[1].properties["themes"] == ["science", "patriotic"] and made[1].properties["capacity"] == 40


@pytest.mark.parametrize("call, field", [
    (lambda s: s.features("nowhere"), "layer"),
    (lambda s: s.features("venues", bbox=(1, 2, 3)), "bbox"),
    (lambda s: s.features("venues", bbox=(120, 32, 119, 33)), "bbox"),
    (lambda s: s.features("venues", bbox=(0, -91, 1, 0)), "bbox"),
    (lambda s: s.features("venues", limit=0), "limit"),
    (lambda s: s.features("venues", limit=10_001), "limit"),
    (lambda s: s.features("venues", offset=-1), "offset"),
    (lambda s: s.features("venues", filters={"colour": "red"}), "colour"),
    (lambda s: s.features("venues", filters={"category": "zoo"}), "category"),
    (lambda s: s.features("venues", filters={"category": "'; DROP TABLE venues; --"}), "category"),
    (lambda s: s.get("venues", "1"), "id"),
    (lambda s: s.get("venues", 999), "id"),
    (lambda s: s.nearest(200, 32, ["venues"]), "lon"),
    (lambda s: s.nearest(119, float("nan"), ["venues"]), "lat"),
    (lambda s: s.nearest(119, 32, ["venues"], radius_m=-5), "radius"),
    (lambda s: s.nearest(119, 32, ["districts"]), "layers"),
    (lambda s: s.nearest(119, 32, ["nowhere"]), "layers"),
    (lambda s: s.create("venues", {"name": "x", "category": "museum"}, Point(119, 32)), "free"),
    (lambda s: s.create("venues", {**VENUE, "colour": "red"}, Point(119, 32)), "colour"),
    (lambda s: s.create("venues", VENUE, Point(219, 32)), "geometry"),
    (lambda s: s.create("venues", VENUE, Polygon([(0, 0), (1, 0), (1, 1)])), "geometry"),
])
def test_bad_input_is_a_4xx_naming_the_field(store, call, field):
    with pytest.raises((BadRequest, NotFound)) as info:
        call(store)
    assert info.value.status in (400, 404) and info.value.field == field
    assert store.counts()["venues"] == 0


@pytest.mark.parametrize("call, field", [
    (lambda s: s.create("venues", {**VENUE, "name": "馆\x00"}, Point(119, 32)), "name"),
    (lambda s: s.create("venues", {**VENUE, "address": "路\x1b"}, Point(119, 32)), "address"),
    (lambda s: s.create("communities", {"name": "社区", "kind": "village", "population": 2**63}, Point(119, 32)), "population"),
    (lambda s: s.features("venues", filters={"name": "\x00"}), "name"),
    (lambda s: s.features("communities", filters={"population": "1e20"}), "population"),
    (lambda s: s.features("communities", filters={"population": "٣"}), "population"),
    (lambda s: s.features("venues", offset=2**63), "offset"),
    (lambda s: s.get("venues", 2**63), "id"),
    (lambda s: s.find_by_name("\x00"), "q"),
    (lambda s: s.find_by_name("馆\x7f"), "q"),
    (lambda s: s.find_by_address("路\x00"), "q"),
    (lambda s: s.find_by_address("路", limit=51), "limit"),
    (lambda s: s.nearest(119, 32, ["venues"], filters={"category": "museum\x00"}), "category"),
])
def test_out_of_range_numbers_and_control_characters_are_refused_alike(store, call, field):
    store.create("communities", {"name": "社区", "kind": "village", "population": 2**63 - 1}, Point(119.4, 32.4))
    with pytest.raises(BadRequest) as info:
        call(store)
    assert info.value.field == field
    assert store.counts()["venues"] == 0
    assert store.features("communities").features[0].properties["population"] == 2**63 - 1


def test_features_are_found_by_their_own_address(store):
    store.upsert("venues", [
        Row("a", {**VENUE, "name": "甲馆", "address": "扬州市广陵区东关街道兴城南路51号"}, Point(119.40, 32.39)),
        Row("b", {**VENUE, "name": "乙馆", "address": "扬州市广陵区东关街道兴城南路510号"}, Point(119.41, 32.39)),
        Row("c", {**VENUE, "name": "丙馆", "address": "扬州市邗江区文昌西路51号"}, Point(119.35, 32.39)),
    ])
    store.upsert("practice_bases", [Row("p", {"name": "丁基地", "themes": ["science"], "level": "municipal", "address":
                                              "扬州市广陵区东关街道兴城南路51号"}, Point(119.40, 32.391))])

    def found(text, layers=None):
        return [(f.properties["name"], address) for f, address in store.find_by_address(text, layers)]

    at_51 = [("甲馆", "扬州市广陵区东关街道兴城南路51号"), ("丁基地", "扬州市广陵区东关街道兴城南路51号")]
    assert found("兴城南路51号") == at_51
    assert found("兴城南路51") == [*at_51, ("乙馆", "扬州市广陵区东关街道兴城南路510号")]  # the number itself first
    assert [n for n, _ in found("兴城南路")] == ["甲馆", "丁基地", "乙馆"]
    assert found("兴城南路51号", ["practice_bases"]) == at_51[1:]
    assert found("琼花路") == [] and found("扬州市邗江区文昌西路51号")[0][0] == "丙馆"
    assert len(store.find_by_address("扬州市", limit=2)) == 2


def test_a_layer_named_twice_is_searched_once(store):
    store.upsert("venues", venue_rows([119.40, 119.41], [32.39] * 2))
    hits = store.nearest(119.4, 32.39, ["venues", "venues"], radius_m=5000, limit=2)
    assert [h.feature.properties["source_id"] for h in hits] == ["v0", "v1"]


def test_bbox_answers_are_exact_over_random_boxes(store):
    """200 random 3 km boxes against a shapely reference: exactly the features in each box (edges
    included), the exact numberMatched and the same first page, on points a hair inside and outside."""
    rng = np.random.default_rng(15)
    lons, lats = rng.uniform(119.30, 119.50, 3000), rng.uniform(32.30, 32.50, 3000)
    boxes = []
    for _ in range(200):
        minx, miny = rng.uniform(119.30, 119.47), rng.uniform(32.30, 32.47)
        boxes.append((minx, miny, minx + 0.032, miny + 0.027))  # about 3 km each way
    # Points on the edges of some boxes, and 1e-7 degree (about 1 cm) inside and outside them.
    for minx, miny, maxx, maxy in boxes[:40]:
        for dx in (-1e-7, 0.0, 1e-7):
            lons = np.append(lons, [minx + dx, maxx + dx, (minx + maxx) / 2])
            lats = np.append(lats, [(miny + maxy) / 2, (miny + maxy) / 2, maxy + dx])
    store.upsert("venues", venue_rows(lons, lats))
    fids = np.array(sorted(f.id for f in store.features("venues", limit=10_000).features))
    points = shapely.points(lons, lats)
    for bbox in boxes:
        inside = np.flatnonzero(shapely.covers(shapely.box(*bbox), points))
        page = store.features("venues", bbox=bbox, limit=50)
        assert page.number_matched == len(inside), bbox
        assert [f.id for f in page.features] == fids[inside][:50].tolist(), bbox


@pytest.mark.parametrize("settings", ["postgis"], indirect=True)  # the GeoPackage has no SQL way
def test_postgis_answers_alike_from_memory_and_in_sql(store, monkeypatch):
    """Point layers up to MEMORY_POINTS_MAX are searched in memory (store/points.py), bigger ones
    in SQL: the same features, distances and counts either way."""
    from mapservice.store import postgis

    rng = np.random.default_rng(21)
    store.upsert("venues", venue_rows(rng.normal(119.42, 0.04, 1500), rng.normal(32.39, 0.04, 1500)))
    store.upsert("venues", [Row(f"lib{i}", {**VENUE, "name": f"图书馆{i}", "category": "library"},
                                Point(x, y)) for i, (x, y) in enumerate(zip(rng.normal(119.42, 0.04, 200),
                                                                            rng.normal(32.39, 0.04, 200)))])
    store.upsert("parent_schools", [Row(f"p{i}", {"name": f"学校{i}", "host": "school", "tier": "basic"},
                                        Point(x, y)) for i, (x, y) in enumerate(zip(rng.normal(119.42, 0.04, 500),
                                                                                    rng.normal(32.39, 0.04, 500)))])
    points = list(zip(rng.normal(119.42, 0.05, 15), rng.normal(32.39, 0.05, 15)))
    boxes = [(x - 0.016, y - 0.0135, x + 0.016, y + 0.0135) for x, y in points]

    def answers():
        found = []
        for x, y in points:
            for layers, filters in ((["venues", "parent_schools"], None), (["venues"], None),
                                    (["venues", "parent_schools"], {"category": "library"})):
                hits = store.nearest(x, y, layers, radius_m=2500, limit=20, filters=filters)
                found.append([(h.feature.layer, h.feature.id, round(h.distance_m, 3)) for h in hits])
        for bbox in boxes:
            page = store.features("venues", bbox=bbox, limit=30, offset=5)
            found.append((page.number_matched, [f.id for f in page.features]))
        return found

    in_memory = answers()
    assert store._indexes and all(index is not None for index in store._indexes.values())
    monkeypatch.setattr(postgis, "MEMORY_POINTS_MAX", 0)
    store._indexes.clear()
    store._combined.clear()
    assert answers() == in_memory
    assert store._indexes and all(index is None for index in store._indexes.values())  # none held: SQL


def test_a_rolled_back_write_leaves_no_trace_in_the_points_held(store):
    """Inside a transaction, reads see its own writes; the points held in memory stay as
    committed, so a rollback (which takes the change counter back) leaves them right."""
    store.create("venues", {**VENUE, "name": "馆"}, Point(119.402, 32.39))

    def names():
        return [h.feature.properties["name"] for h in store.nearest(119.4, 32.39, ["venues"], radius_m=5000)]

    assert names() == ["馆"]
    with pytest.raises(RuntimeError), store.transaction():
        store.create("venues", {**VENUE, "name": "未存馆"}, Point(119.401, 32.39))
        assert names() == ["未存馆", "馆"]
        raise RuntimeError("roll back")
    assert names() == ["馆"]
    # The same change counter again, and (on the GeoPackage) the same id, but elsewhere.
    store.create("venues", {**VENUE, "name": "新馆"}, Point(119.45, 32.39))
    assert names() == ["馆", "新馆"]


@pytest.mark.parametrize("settings", ["postgis"], indirect=True)  # SQLite's triggers are per row, in place
def test_a_batch_moves_the_change_counter_alike_at_any_size_and_keeps_its_table_small(store):
    """One statement per batch: the statement trigger bumps the counter as often for 3,000 rows as
    for 2, not a row version per feature (which no one may prune before the import commits)."""
    rng = np.random.default_rng(5)
    store.upsert("venues", venue_rows([119.4], [32.4]))

    def bumps(rows):
        before = store.layer_versions()["venues"]
        result = store.upsert("venues", rows)
        return store.layer_versions()["venues"] - before, (result.inserted, result.updated)

    big = bumps(venue_rows(rng.uniform(119.3, 119.5, 3000), rng.uniform(32.3, 32.5, 3000)))
    small = bumps(venue_rows([119.4, 119.41], [32.4, 32.41], category="library"))
    assert big[1] == (2999, 1) and small[1] == (0, 2)
    assert big[0] == small[0] <= 2
    assert [f.properties["category"] for f in store.features("venues", limit=2).features] == ["library"] * 2
    pages = store._execute("SELECT pg_relation_size(%s) / current_setting('block_size')::int",
                           [f"{store.schema}.mapservice_layer_version"])[0][0]
    assert pages <= 2
