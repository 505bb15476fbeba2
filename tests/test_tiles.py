"""Vector tiles: the same features and attributes from both stores (decoded and compared), the layers'
change counters that key them, ETags that follow edits, 304s, TileJSON, and bad addresses as 400s."""
from __future__ import annotations

import mapbox_vector_tile
import pytest
from ogc_data import fill, filled_stores
from shapely.geometry import Point

from mapservice import tiles
from mapservice.app import create_app
from mapservice.settings import Settings

VENUES = 3000
#: Tiles over the test region from region-wide to street level, and one outside it.
ADDRESSES = [(6, 53, 25), (8, 213, 103), (10, 851, 414), (12, 3405, 1656), (14, 13620, 6625), (3, 0, 0)]


@pytest.fixture(scope="module")
def stores(tmp_path_factory, layers):
    """A GeoPackage and a PostGIS store holding the same region."""
    yield from filled_stores(tmp_path_factory.mktemp("tiles"), layers, VENUES)


def decoded(data: bytes, layer_id: str) -> dict[int, tuple]:
    """{feature id: (geometry type, coordinates, properties)} of a tile."""
    if not data:
        return {}
    layer = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})[layer_id]
    assert layer["extent"] == tiles.EXTENT
    return {f["id"]: (f["geometry"]["type"], f["geometry"]["coordinates"], f["properties"])
            for f in layer["features"]}


@pytest.mark.parametrize("z, x, y", ADDRESSES)
def test_both_stores_make_the_same_point_tiles(stores, z, x, y):
    gpkg, postgis = (decoded(store.tile("venues", z, x, y), "venues") for store in stores)
    assert gpkg.keys() == postgis.keys()
    if (z, x, y) != (3, 0, 0):
        assert gpkg
    for fid, (kind, coords, properties) in gpkg.items():
        other_kind, other_coords, other_properties = postgis[fid]
        assert kind == other_kind == "Point" and properties == other_properties
        assert abs(coords[0] - other_coords[0]) <= 1 and abs(coords[1] - other_coords[1]) <= 1
        assert -tiles.BUFFER <= coords[0] <= tiles.EXTENT + tiles.BUFFER
    some = next(iter(gpkg.values()), None)
    if some:
        assert set(some[2]) <= {"generated", *stores[0].layers["venues"].attribute_names}
        assert "source_id" not in some[2]


def test_both_stores_tile_the_same_polygons(stores):
    gpkg, postgis = (decoded(store.tile("districts", 10, 851, 414), "districts") for store in stores)
    assert gpkg.keys() == postgis.keys() and gpkg
    assert {fid: p for fid, (_, _, p) in gpkg.items()} == {fid: p for fid, (_, _, p) in postgis.items()}
    assert {kind for kind, _, _ in gpkg.values()} <= {"Polygon", "MultiPolygon"}


def test_change_counters_move_with_every_write(stores):
    for store in stores:
        before = store.layer_versions()
        assert set(before) == set(store.layers)
        feature = store.create("venues", {"name": "新馆", "category": "museum", "free": True}, Point(119.45, 32.41))
        after_create = store.layer_versions()
        assert after_create["venues"] > before["venues"] and after_create["districts"] == before["districts"]
        store.delete("venues", feature.id)
        assert store.layer_versions()["venues"] > after_create["venues"]


def test_tiles_carry_etags_that_follow_edits(tmp_path):
    app = create_app(Settings(database_url=str(tmp_path / "e.gpkg"), load_demo=False))
    store = app.extensions["mapservice"].store
    fill(store, 200)
    client = app.test_client()
    first = client.get("/tiles/venues/8/213/103.mvt")
    assert first.status_code == 200 and first.content_type == "application/vnd.mapbox-vector-tile"
    assert first.headers["ETag"] and "max-age" in first.headers["Cache-Control"]
    assert client.get("/tiles/venues/8/213/103.mvt", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    store.create("venues", {"name": "新馆", "category": "museum", "free": True}, Point(119.7, 32.6))
    second = client.get("/tiles/venues/8/213/103.mvt", headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200 and second.headers["ETag"] != first.headers["ETag"]
    assert len(decoded(second.data, "venues")) == len(decoded(first.data, "venues")) + 1
    empty = client.get("/tiles/venues/3/0/0.mvt")
    assert empty.status_code == 200 and empty.data == b""


@pytest.mark.parametrize("path, field", [("/tiles/venues/8/256/103.mvt", "x"), ("/tiles/venues/8/1/-1.mvt", "y"),
                                         ("/tiles/venues/23/0/0.mvt", "z"), ("/tiles/venues/a/0/0.mvt", "z"),
                                         ("/tiles/venues/99999999999999999999/0/0.mvt", "z"),
                                         ("/tiles/venues/1/0/0.mvt?x=1", "x")])
def test_bad_tile_addresses_are_400(client, path, field):
    response = client.get(path)
    assert response.status_code == 400 and response.get_json()["error"]["field"] == field


def test_tilejson_names_the_tiles_and_fields(client):
    document = client.get("/tiles/venues.json?lang=en").get_json()
    assert document["tilejson"] == "3.0.0" and document["tiles"][0].endswith("/tiles/venues/{z}/{x}/{y}.mvt")
    assert document["vector_layers"][0]["id"] == "venues" and "category" in document["vector_layers"][0]["fields"]
    assert client.get("/tiles/nowhere.json").status_code == 404
    assert client.get("/tiles/nowhere/1/0/0.mvt").status_code == 404


def test_an_outline_reaching_the_pole_is_cut_at_web_mercators_edge(stores):
    from shapely.geometry import MultiPolygon, box

    for store in stores:
        polar = store.create("districts", {"name": "极地", "adcode": "999999"},
                             MultiPolygon([box(100.0, 80.0, 120.0, 90.0)]))
        try:
            assert polar.id in decoded(store.tile("districts", 0, 0, 0), "districts")
        finally:
            store.delete("districts", polar.id)


def test_points_that_snap_onto_the_buffers_edge_are_in_both_stores_tiles(stores):
    """A point up to half a tile unit beyond the buffer snaps onto its edge and is drawn; one further
    out is not: the same on both stores (PostGIS's float4 index boxes once found some of the first
    kind that the GeoPackage's exact box missed)."""
    import math

    z, x, y = 15, 27250, 13263
    minx, miny, maxx, maxy = tiles.mercator_bounds(z, x, y)
    unit = (maxx - minx) / tiles.EXTENT

    def lonlat(u: float, v: float) -> Point:  # tile units (y down) to WGS 84
        mx, my = minx + u * unit, maxy - v * unit
        return Point(math.degrees(mx / 6378137.0), math.degrees(2 * math.atan(math.exp(my / 6378137.0)) - math.pi / 2))

    low, high = -tiles.BUFFER, tiles.EXTENT + tiles.BUFFER
    spots = {"in-left": (low - 0.3, 2000), "out-left": (low - 0.8, 2100), "in-top": (1500, low - 0.3),
             "out-top": (1600, low - 0.8), "in-right": (high + 0.3, 900), "out-right": (high + 0.8, 1000),
             "in-bottom": (700, high + 0.3), "out-bottom": (800, high + 0.8)}
    made = {store: {name: store.create("venues", {"name": name, "category": "museum", "free": True},
                                       lonlat(*uv)).id for name, uv in spots.items()} for store in stores}
    try:
        for store in stores:
            drawn = decoded(store.tile("venues", z, x, y), "venues")
            assert {name for name, fid in made[store].items() if fid in drawn} == \
                {"in-left", "in-top", "in-right", "in-bottom"}, store.name
    finally:
        for store, ids in made.items():
            for fid in ids.values():
                store.delete("venues", fid)


def test_a_low_zoom_tile_of_points_keeps_one_per_few_pixels_alike_on_both_stores(stores):
    """Below THIN_BELOW_ZOOM a point tile is an overview: of the points in one THIN_PX-pixel square
    the lowest id; from that zoom on every point. Both stores pick the same ones."""
    import math

    def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
        n = 2 ** z
        return z, int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)

    a, b, c = (118.30, 32.90), (118.3001, 32.9001), (118.40, 32.95)  # a and b ~14 m apart, c ~10 km off
    made = {store: [store.create("venues", {"name": n, "category": "museum", "free": True}, Point(*xy)).id
                    for n, xy in (("甲", a), ("乙", b), ("丙", c))] for store in stores}
    try:
        for store, (ida, idb, idc) in made.items():
            low = decoded(store.tile("venues", *tile_of(*a, 8)), "venues")
            assert ida in low and idc in low and idb not in low, store.name
            street = decoded(store.tile("venues", *tile_of(*a, tiles.THIN_BELOW_ZOOM)), "venues")
            assert {ida, idb} <= set(street), store.name
        gpkg, postgis = (decoded(store.tile("venues", *tile_of(*a, 8)), "venues") for store in stores)
        assert gpkg.keys() == postgis.keys()
    finally:
        for store, ids in made.items():
            for fid in ids:
                store.delete("venues", fid)
