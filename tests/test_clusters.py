"""Server-side clusters (/api/clusters): both stores count the same cells with the same arithmetic,
every point in view is counted once, street zoom sends features one by one, bad views are 400s
naming the field, and the map page over a region above MAPSERVICE_MAP_BROWSER_LIMIT draws the
server's clusters in a real browser (a click zooms in, a pin opens its popup) without loading
every feature."""
from __future__ import annotations

import numpy as np
import pytest
from browsing import need_browser, opener, serving
from ogc_data import fill, filled_stores, venue_rows
from shapely.geometry import Point

from mapservice import clusters
from mapservice.app import create_app
from mapservice.demo import load_demo
from mapservice.settings import Settings
from mapservice.web import mappage

VENUES = 3000
LAYERS = ["venues", "parent_schools"]
#: Views from the whole test region down to streets, and one with nothing in it.
VIEWS = [(8, (118.9, 32.1, 120.0, 33.1)), (11, (119.2, 32.3, 119.6, 32.6)), (14, (119.38, 32.38, 119.45, 32.43)),
         (17, (119.40, 32.395, 119.42, 32.405)), (12, (100.0, 20.0, 100.1, 20.1))]


@pytest.fixture(scope="module")
def stores(tmp_path_factory, layers):
    """A GeoPackage and a PostGIS store holding the same region."""
    yield from filled_stores(tmp_path_factory.mktemp("cl"), layers, VENUES)


def _same(a: dict, b: dict) -> None:
    """Two views alike: the same cells, counts and features; the means within 1e-9 degrees (sums in
    another order differ in the last bits)."""
    assert a["features"] == b["features"]
    assert [(c["count"], c["counts"], c["bbox"]) for c in a["clusters"]] == \
        [(c["count"], c["counts"], c["bbox"]) for c in b["clusters"]]
    for c, d in zip(a["clusters"], b["clusters"]):
        assert (c["lon"], c["lat"]) == pytest.approx((d["lon"], d["lat"]), abs=1e-9)


def _inside(box, zoom) -> dict[str, int]:
    """The test region's points per layer in view, counted here: at street zoom those inside ``box``
    (edges included), below it those in the cells the box touches (each cell whole)."""
    venues = np.array([(r.geometry.x, r.geometry.y) for r in venue_rows(VENUES)])
    schools = np.array([(119.4 + i / 100, 32.4) for i in range(3)])
    if zoom >= clusters.UNCLUSTERED_ZOOM:
        minx, miny, maxx, maxy = box
        inside = lambda p: (p[:, 0] >= minx) & (p[:, 0] <= maxx) & (p[:, 1] >= miny) & (p[:, 1] <= maxy)  # noqa: E731
    else:
        i0, j0, i1, j1 = clusters.cell_range(box, zoom)

        def inside(p):
            i, j = clusters.cell_index(p[:, 0], p[:, 1], zoom)
            return (i >= i0) & (i <= i1) & (j >= j0) & (j <= j1)
    return {"venues": int(inside(venues).sum()), "parent_schools": int(inside(schools).sum())}


@pytest.mark.parametrize("zoom, box", VIEWS)
def test_both_stores_cluster_the_same_and_count_every_point_in_view_once(stores, zoom, box):
    gpkg, postgis = (clusters.view(store, LAYERS, box, zoom) for store in stores)
    _same(gpkg, postgis)
    per_layer = {layer: 0 for layer in LAYERS}
    for c in gpkg["clusters"]:
        assert c["count"] == sum(c["counts"].values()) >= 2
        minx, miny, maxx, maxy = c["bbox"]
        assert minx <= c["lon"] <= maxx and miny <= c["lat"] <= maxy
        for layer, n in c["counts"].items():
            per_layer[layer] += n
    for f in gpkg["features"]:
        per_layer[f["layer"]] += 1
        assert f["name"] and f["generated"] is (f["layer"] == "venues")
    assert per_layer == _inside(box, zoom)
    if zoom >= clusters.UNCLUSTERED_ZOOM:
        assert not gpkg["clusters"] and gpkg["features"]


def test_a_cell_holds_the_points_of_its_64_px_square(stores):
    """Cells against the grid worked out point by point: each cluster's count is the number of
    points whose cell it is, and no two clusters share a cell."""
    zoom, box = 11, (119.0, 32.2, 119.9, 33.0)
    rows = venue_rows(VENUES)
    i, j = clusters.cell_index([r.geometry.x for r in rows], [r.geometry.y for r in rows], zoom)
    expected = {}
    for key in zip(i.tolist(), j.tolist()):
        expected[key] = expected.get(key, 0) + 1
    for store in stores:
        cells = store.cells("venues", box, zoom)
        assert {(c[0], c[1]): c[2] for c in cells} == expected
        assert sum(c[2] for c in cells) == VENUES


@pytest.mark.parametrize("zoom, box", VIEWS[:2])
def test_low_zooms_come_from_the_layers_kept_cells_and_follow_its_changes(stores, zoom, box, monkeypatch):
    for store in stores:
        kept = clusters.view(store, LAYERS, box, zoom)
        monkeypatch.setattr(clusters, "CACHED_ZOOM", -1)
        _same(kept, clusters.view(store, LAYERS, box, zoom))
        monkeypatch.undo()
        assert clusters._CACHE[store]
        added = store.create("parent_schools", {"name": "新家长学校", "host": "school", "tier": "basic"},
                             Point(119.45, 32.45))
        try:
            after = clusters.view(store, LAYERS, box, zoom)
            counted = lambda v: sum(c["counts"].get("parent_schools", 0) for c in v["clusters"]) + sum(  # noqa: E731
                f["layer"] == "parent_schools" for f in v["features"])
            assert counted(after) == counted(kept) + 1
        finally:
            store.delete("parent_schools", added.id)


def test_a_layer_with_too_many_cells_to_keep_is_counted_per_view(stores, monkeypatch):
    zoom, box = VIEWS[0]
    store = stores[0]
    kept = clusters.view(store, LAYERS, box, zoom)
    clusters._CACHE.pop(store, None)
    monkeypatch.setattr(clusters, "CACHED_CELLS", 1)
    _same(kept, clusters.view(store, LAYERS, box, zoom))
    assert () in clusters._CACHE[store].values()  # remembered as too many, not counted whole again
    _same(kept, clusters.view(store, LAYERS, box, zoom))


def test_a_street_view_with_more_than_the_features_sent_one_by_one_is_clustered(stores, monkeypatch):
    zoom, box = 17, (119.0, 32.2, 119.9, 33.0)
    monkeypatch.setattr(clusters, "MAX_CELLS", 10**9)
    monkeypatch.setattr(clusters, "MAX_FEATURES", 50)
    view = clusters.view(stores[0], ["venues"], box, zoom)
    assert sum(c["count"] for c in view["clusters"]) + len(view["features"]) == VENUES
    assert view["clusters"] == [] or len(view["features"]) < VENUES


@pytest.mark.parametrize("query, field", [
    ("layers=venues&bbox=119,32,120,33", "zoom"),
    ("layers=venues&bbox=119,32,120,33&zoom=23", "zoom"),
    ("layers=venues&bbox=119,32,120,33&zoom=x", "zoom"),
    ("layers=venues&zoom=9", "bbox"),
    ("layers=venues&bbox=&zoom=9", "bbox"),
    ("layers=venues&bbox=1,2,3&zoom=9", "bbox"),
    ("layers=venues&bbox=120,32,119,33&zoom=9", "bbox"),
    ("layers=venues&bbox=nan,32,120,33&zoom=9&crs=gcj02", "bbox"),
    ("layers=venues&bbox=1e308,32,120,33&zoom=9&crs=gcj02", "bbox"),
    ("layers=venues&bbox=-180,-85,180,85&zoom=12", "bbox"),
    ("bbox=119,32,120,33&zoom=9", "layers"),
    ("layers=,&bbox=119,32,120,33&zoom=9", "layers"),
    ("layers=districts&bbox=119,32,120,33&zoom=9", "layers"),
    ("layers=venues,nope&bbox=119,32,120,33&zoom=9", "layers"),
    ("layers=venues%00&bbox=119,32,120,33&zoom=9", "layers"),
    ("layers=venues&bbox=119,32,120,33&zoom=9&free=true", "free"),
])
def test_a_bad_view_is_a_400_naming_the_field(client, query, field):
    answer = client.get(f"/api/clusters?{query}")
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert answer.json["error"]["field"] == field


def test_a_too_large_view_is_explained_in_chinese_and_in_english(client):
    zh = client.get("/api/clusters?layers=venues&bbox=-180,-85,180,85&zoom=14").json["error"]
    en = client.get("/api/clusters?layers=venues&bbox=-180,-85,180,85&zoom=14&lang=en").json["error"]
    assert zh["code"] == "bbox_too_large" and "放大地图" in zh["message"]
    assert "zoom in" in en["message"]


def test_over_amap_tiles_the_view_and_its_answer_are_gcj02(client):
    store = client.application.extensions["mapservice"].store
    fill(store, 200)
    box = "119.0,32.2,119.9,33.0"
    wgs = client.get(f"/api/clusters?layers=venues&bbox={box}&zoom=12").json
    gcj = client.get(f"/api/clusters?layers=venues&bbox={box}&zoom=12&crs=gcj02").json
    assert len(wgs["features"]) + sum(c["count"] for c in wgs["clusters"]) == 200 and wgs["zoom"] == 12
    shifted = {f["id"]: (f["lon"], f["lat"]) for f in gcj["features"]}
    for f in wgs["features"]:
        if f["id"] in shifted:  # a few near the box's edge fall out of the shifted box
            lon, lat = shifted[f["id"]]
            assert 0.001 < abs(lon - f["lon"]) + abs(lat - f["lat"]) < 0.02  # GCJ-02 is some hundred metres off
    assert len(shifted) > 150


def test_the_page_clusters_in_the_browser_up_to_the_limit_and_on_the_server_above(layers):
    counts = {"venues": 10, "parent_schools": 10, "districts": 5000}
    settings = Settings(database_url="x.gpkg", map_browser_limit=20)
    assert mappage.cluster_mode(layers.values(), counts, settings) == "browser"  # boundaries are not markers
    assert mappage.cluster_mode(layers.values(), {**counts, "venues": 11}, settings) == "server"


# -- in a real browser ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def big_site(tmp_path_factory):
    """The demo region served as if it were too big for the browser (MAPSERVICE_MAP_BROWSER_LIMIT=100)."""
    need_browser()
    app = create_app(Settings(database_url=str(tmp_path_factory.mktemp("big") / "big.gpkg"), load_demo=False,
                              basemap="none", map_browser_limit=100))
    load_demo(app.extensions["mapservice"].store)
    for url in serving(app):
        yield url
    app.extensions["mapservice"].store.close()


@pytest.fixture
def open_big(browser, big_site):
    yield from opener(browser, big_site, "/", "document.querySelectorAll('.ym-cluster').length > 3 && "
                      "document.querySelector('.folium-map').getAttribute('aria-busy') === 'false'")


MAP = "window[JSON.parse(document.getElementById('ym-config').textContent).map]"


def test_a_big_region_draws_the_servers_clusters_and_zooms_into_one_on_a_click(open_big):
    page = open_big("/")
    asked = []
    page.on("request", lambda r: asked.append(r.url))
    labels = page.eval_on_selector_all(".ym-cluster", "nodes => nodes.map((n) => n.getAttribute('aria-label'))")
    assert any("附近" in label and label.endswith("处") for label in labels)  # named after their district
    biggest = max(page.query_selector_all(".ym-cluster"), key=lambda n: int(n.inner_text().replace(",", "")))
    count = int(biggest.inner_text())
    zoom = page.evaluate(f"() => {MAP}.getZoom()")
    with page.expect_response(lambda r: "/api/clusters?" in r.url and r.status == 200):
        biggest.click()
    page.wait_for_function(f"() => {MAP}.getZoom() > {zoom} && "
                           "document.querySelector('.folium-map').getAttribute('aria-busy') === 'false'")
    shown = page.eval_on_selector_all(".ym-cluster", "nodes => nodes.map((n) => +n.innerText)")
    assert shown and max(shown) < count  # the cluster came apart

    # Down to a street: pins, whose popups open as they do on a small region.
    with page.expect_response(lambda r: "zoom=17" in r.url):
        page.evaluate(f"() => {MAP}.setView([32.3945, 119.4315], 17, {{animate: false}})")
    page.wait_for_function("document.querySelectorAll('.leaflet-marker-icon.ym-pin').length > 0 && "
                           "document.querySelector('.folium-map').getAttribute('aria-busy') === 'false'")
    assert not page.query_selector_all(".ym-cluster")
    pin = page.query_selector(".leaflet-marker-icon.ym-pin")
    name = pin.get_attribute("title")
    pin.click()
    page.wait_for_selector(".leaflet-popup .ym-popup-title")
    assert page.inner_text(".leaflet-popup .ym-popup-title") == name
    # A pan that keeps the pin in view keeps its popup open (the marker is not redrawn).
    with page.expect_response(lambda r: "/api/clusters?" in r.url):
        page.evaluate(f"() => {MAP}.panBy([40, 0], {{animate: false}})")
    page.wait_for_function("document.querySelector('.folium-map').getAttribute('aria-busy') === 'false'")
    assert page.query_selector(".leaflet-popup .ym-popup-title")
    assert not any("/features?" in url for url in asked), "no layer is loaded whole"


def test_unticking_a_layer_takes_its_share_out_of_the_clusters(open_big):
    page = open_big("/")
    total = lambda: sum(page.eval_on_selector_all(".ym-cluster", "nodes => nodes.map((n) => +n.innerText)"))  # noqa: E731
    before = total()
    with page.expect_response(lambda r: "/api/clusters?" in r.url and "parent_schools" not in r.url):
        page.click("label.ym-layer-chip:has(input[value=parent_schools])")
    page.wait_for_function("document.querySelector('.folium-map').getAttribute('aria-busy') === 'false' && "
                           "!document.querySelector('input[value=parent_schools]').checked")
    page.wait_for_timeout(100)
    after = total()
    assert 0 < after < before - 1000  # the demo's 1,300 parent schools are gone from the rings
    assert "家长学校" not in page.inner_text(".ym-legend")


def test_the_embedded_store_reads_point_envelopes_at_once_and_warms_its_indexes(stores):
    from mapservice.store.geopackage import _envelope, _envelopes

    gpkg = stores[0]
    points = [r[0] for r in gpkg._conn().execute("SELECT geom FROM venues ORDER BY fid LIMIT 500")]
    shapes = [r[0] for r in gpkg._conn().execute("SELECT geom FROM districts")]
    for blobs in (points, points + shapes, shapes):  # one length and header, and the row-by-row fallback
        assert _envelopes(blobs).tolist() == [list(_envelope(b)) for b in blobs]
    for store in stores:  # both hold their point layers in memory (store/points.py)
        store._indexes.clear()
        store.warm()
        assert {"venues", "parent_schools"} <= {layer_id for layer_id, _ in store._indexes}
