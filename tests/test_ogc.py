"""OGC API – Features Part 1 Core, checked from the standard's requirement classes (OGC 17-069r4:
landing page, conformance, collections, items, limit, bbox, links, unknown parameters) on both
stores over real HTTP, then read by real clients: OWSLib and GDAL's OAPIF driver (through pyogrio)."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import uuid
from urllib.error import HTTPError
from urllib.parse import parse_qs, urlsplit
from urllib.request import Request, urlopen

import psycopg
import pytest
from conftest import _postgis_url
from ogc_data import fill, serving

from mapservice.app import create_app
from mapservice.ogc import CONFORMANCE, CRS84, MAX_LIMIT
from mapservice.settings import Settings

#: Venues in the big layer: GDAL reads all of them page by page (the 100k case is bench/ogc_items.py).
VENUES = 20_000


@pytest.fixture(scope="module", params=["geopackage", "postgis"])
def site(request, tmp_path_factory):
    """(base URL of /ogc, the app's store) over a fresh store of each kind holding the test region."""
    if request.param == "geopackage":
        settings, schema = Settings(database_url=str(tmp_path_factory.mktemp("ogc") / "ogc.gpkg"),
                                    load_demo=False), None
    else:
        schema = f"test_{uuid.uuid4().hex[:12]}"
        settings = Settings(database_url=_postgis_url(), database_schema=schema, load_demo=False,
                            secret_key=f"test-secret-{schema}")
    app = create_app(settings)
    store = app.extensions["mapservice"].store
    fill(store, VENUES)
    with serving(app) as base:
        yield f"{base}/ogc", store
    store.close()
    if schema:
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def get(url: str, accept: str | None = None):
    """(status, content type, parsed JSON or text) of a GET."""
    request = Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urlopen(request, timeout=30) as response:
            body, status, kind = response.read(), response.status, response.headers["Content-Type"]
    except HTTPError as error:
        body, status, kind = error.read(), error.code, error.headers["Content-Type"]
    return status, kind, json.loads(body) if "json" in kind else body.decode()


def rels(document: dict) -> dict[str, dict]:
    return {link["rel"]: link for link in document["links"]}


# -- /req/core/root-op, root-success --------------------------------------------------------------
def test_landing_page_links_api_conformance_and_data(site):
    base, _ = site
    status, kind, landing = get(f"{base}/")
    assert status == 200 and kind == "application/json"
    links = rels(landing)
    assert {"self", "alternate", "service-desc", "service-doc", "conformance", "data"} <= set(links)
    assert all(link.get("type") for link in landing["links"])
    status, kind, api = get(links["service-desc"]["href"])
    assert status == 200 and kind.startswith("application/vnd.oai.openapi+json") and api["openapi"].startswith("3.0")
    assert get(links["service-doc"]["href"])[0] == 200
    assert get(links["data"]["href"])[0] == 200


# -- /req/core/conformance-op, conformance-success ----------------------------------------------
def test_conformance_declares_core_geojson_html_and_openapi(site):
    status, _, document = get(f"{site[0]}/conformance")
    assert status == 200 and set(CONFORMANCE) <= set(document["conformsTo"])


# -- /req/core/fc-md-op, fc-md-success, fc-md-links, fc-md-extent, sfc-md-op ---------------------
def test_collections_describe_every_layer_with_extent_in_crs84(site):
    base, store = site
    status, _, document = get(f"{base}/collections")
    assert status == 200
    assert [c["id"] for c in document["collections"]] == list(store.layers)
    for described in document["collections"]:
        items = [link for link in described["links"] if link["rel"] == "items"]
        assert {link["type"] for link in items} == {"application/geo+json", "text/html"}
        assert described["extent"]["spatial"]["crs"] == CRS84 and CRS84 in described["crs"]
        one = get(f"{base}/collections/{described['id']}")[2]
        assert one["id"] == described["id"] and one["extent"] == described["extent"]
    venues = next(c for c in document["collections"] if c["id"] == "venues")
    minx, miny, maxx, maxy = venues["extent"]["spatial"]["bbox"][0]
    assert 119.0 <= minx < 119.01 and 32.99 < maxy <= 33.0001
    assert get(f"{base}/collections/nowhere")[0] == 404


# -- /req/core/fc-op, fc-response, fc-numberMatched, fc-numberReturned, /req/geojson --------------
def test_items_are_geojson_with_exact_counts_and_public_attributes_only(site):
    base, store = site
    status, kind, page = get(f"{base}/collections/venues/items")
    assert status == 200 and kind == "application/geo+json"
    assert page["type"] == "FeatureCollection" and page["numberMatched"] == VENUES == store.counts()["venues"]
    assert page["numberReturned"] == len(page["features"]) == 10  # the default limit
    assert [f["id"] for f in page["features"]] == sorted(f["id"] for f in page["features"])
    properties = page["features"][0]["properties"]
    assert set(properties) == {"generated", *store.layers["venues"].attribute_names}
    assert "source_id" not in properties
    assert get(f"{base}/collections/venues/items?f=json")[1] == "application/geo+json"
    one = page["features"][0]
    status, kind, fetched = get(f"{base}/collections/venues/items/{one['id']}")
    assert status == 200 and kind == "application/geo+json" and fetched["properties"] == one["properties"]
    assert {"self", "alternate", "collection"} <= set(rels(fetched))
    assert get(f"{base}/collections/venues/items/999999999")[0] == 404
    assert get(f"{base}/collections/venues/items/x1")[0] == 404


# -- /req/core/fc-limit-definition, fc-limit-response-1 -------------------------------------------
@pytest.mark.parametrize("asked, returned", [("1", 1), ("10000", 10000), ("10001", 10000),
                                             ("99999999999999999999999999", 10000)])
def test_limit_larger_than_the_maximum_is_clamped(site, asked, returned):
    page = get(f"{site[0]}/collections/venues/items?limit={asked}")[2]
    assert page["numberReturned"] == returned and min(MAX_LIMIT, int(asked)) == returned
    assert parse_qs(urlsplit(rels(page)["next"]["href"]).query)["limit"] == [str(returned)]


@pytest.mark.parametrize("query, field", [("limit=0", "limit"), ("limit=-3", "limit"), ("limit=ten", "limit"),
                                          ("offset=-1", "offset"), ("offset=1.5", "offset"),
                                          ("bbox=1,2,3", "bbox"), ("bbox=119,33,119.5,32", "bbox"),
                                          ("bbox=119.5,32,119,33", "bbox"), ("f=xml", "f"),
                                          ("category=submarine", "category"), ("limit=1&limit=2", "limit")])
def test_bad_parameters_are_400_naming_them(site, query, field):
    status, kind, answer = get(f"{site[0]}/collections/venues/items?{query}")
    assert status == 400 and kind == "application/json" and answer["error"]["field"] == field


# -- /req/core/query-param-unknown ----------------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/conformance", "/collections", "/collections/venues",
                                  "/collections/venues/items", "/collections/venues/items/1"])
def test_unknown_parameters_are_400(site, path):
    status, _, answer = get(f"{site[0]}{path}?colour=red")
    assert status == 400 and answer["error"]["field"] == "colour"


# -- /req/core/fc-bbox-definition, fc-bbox-response -----------------------------------------------
def test_bbox_selects_exactly_the_features_inside(site):
    base, store = site
    box = (119.40, 32.40, 119.43, 32.43)
    page = get(f"{base}/collections/venues/items?bbox={','.join(map(str, box))}&limit=10000")[2]
    expected = store.features("venues", bbox=box, limit=10000)
    assert page["numberMatched"] == expected.number_matched > 0
    assert [f["id"] for f in page["features"]] == [f.id for f in expected.features]
    for feature in page["features"]:
        x, y = feature["geometry"]["coordinates"]
        assert box[0] <= x <= box[2] and box[1] <= y <= box[3]
    with_heights = get(f"{base}/collections/venues/items?bbox=119.40,32.40,0,119.43,32.43,100&limit=10000")[2]
    assert with_heights["numberMatched"] == page["numberMatched"]
    polygons = get(f"{base}/collections/districts/items?bbox=119.35,32.35,119.36,32.36")[2]
    assert [f["properties"]["name"] for f in polygons["features"]] == ["广陵区"]


def test_attribute_filters_are_declared_and_applied(site):
    base, store = site
    api = get(f"{base}/api")[2]
    declared = {p["name"] for p in api["paths"]["/collections/venues/items"]["get"]["parameters"]}
    assert {"bbox", "limit", "offset", "category", "free", "age_min"} <= declared
    page = get(f"{base}/collections/venues/items?category=library&free=true&limit=5")[2]
    assert page["numberMatched"] == store.features("venues", filters={"category": "library", "free": "true"},
                                                   limit=1).number_matched
    assert all(f["properties"]["category"] == "library" and f["properties"]["free"] for f in page["features"])


# -- /req/core/fc-links, fc-next-1..3, fc-rel-type ------------------------------------------------
def test_links_page_through_and_carry_types(site):
    base, _ = site
    page = get(f"{base}/collections/venues/items?limit=7&offset=14&category=museum")[2]
    links = rels(page)
    assert links["self"]["type"] == links["next"]["type"] == links["prev"]["type"] == "application/geo+json"
    assert links["alternate"]["type"] == "text/html"
    following = get(links["next"]["href"])[2]
    previous = get(links["prev"]["href"])[2]
    assert [f["id"] for f in previous["features"]] == [f["id"] for f in
                                                      get(f"{base}/collections/venues/items?limit=7&offset=7"
                                                          "&category=museum")[2]["features"]]
    assert following["features"][0]["id"] > page["features"][-1]["id"]
    assert parse_qs(urlsplit(links["next"]["href"]).query)["category"] == ["museum"]
    last = get(f"{base}/collections/venues/items?offset={VENUES - 3}&limit=10")[2]
    assert last["numberReturned"] == 3 and "next" not in rels(last)
    assert "prev" not in rels(get(f"{base}/collections/venues/items")[2])


# -- /req/html ------------------------------------------------------------------------------------
def test_every_resource_has_an_html_view_by_negotiation(site):
    base, _ = site
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    for path in ("/", "/conformance", "/collections", "/collections/venues", "/collections/venues/items",
                 "/collections/districts/items/1"):
        status, kind, html = get(f"{base}{path}", accept=browser)
        assert status == 200 and kind.startswith("text/html"), path
        assert "cdn" not in html.lower() and "https://" not in html.split("<main")[0]
    items = get(f"{base}/collections/venues/items?f=html&lang=en")[2]
    assert "/static/vendor/leaflet/leaflet.js" in items and "ym-ogc-config" in items and "Features" in items
    assert "场馆" in get(f"{base}/collections/venues/items?f=html")[2]
    assert get(f"{base}/collections/venues/items?colour=red", accept=browser)[1].startswith("text/html")


# -- real clients -----------------------------------------------------------------------------------
def test_owslib_reads_every_collection_paging_by_offset(site):
    from owslib.ogcapi.features import Features

    base, store = site
    api = Features(base)
    assert {c["id"] for c in api.collections()["collections"]} == set(store.layers)
    counts = store.counts()
    for layer_id in store.layers:
        seen, offset = [], 0
        while True:
            page = api.collection_items(layer_id, limit=5000, offset=offset)
            seen += [f["id"] for f in page["features"]]
            offset += page["numberReturned"]
            if offset >= page["numberMatched"] or not page["features"]:
                break
        assert len(seen) == len(set(seen)) == counts[layer_id], layer_id


# pyogrio holds the GIL while GDAL reads, so GDAL runs in a process of its own (the server is in this one).
GDAL_READ = """
import hashlib, json, sys, pyogrio
frame = pyogrio.read_dataframe("OAPIF:" + sys.argv[1], layer="venues", fid_as_index=True)
ids = ",".join(map(str, sorted(int(i) for i in frame.index)))
print(json.dumps({"count": len(frame), "sha": hashlib.sha256(ids.encode()).hexdigest(), "crs": list(frame.crs.to_authority()),
                  "categories": sorted(set(frame["category"]))}))
"""


def test_gdal_reads_the_whole_big_layer_following_next_links(site):
    base, store = site
    done = subprocess.run([sys.executable, "-c", GDAL_READ, base], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    read = json.loads(done.stdout)
    ids = [f.id for offset in range(0, VENUES, MAX_LIMIT)
           for f in store.features("venues", limit=MAX_LIMIT, offset=offset).features]
    assert read["count"] == VENUES == len(ids)
    assert read["sha"] == hashlib.sha256(",".join(map(str, sorted(ids))).encode()).hexdigest()
    assert read["crs"] in (["OGC", "CRS84"], ["EPSG", "4326"]) and read["categories"] == ["library", "museum", "park", "science_museum"]
