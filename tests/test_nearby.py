"""Nearby search, place search, popups and the OpenAPI document over HTTP, on both stores."""
import logging
from datetime import datetime
from urllib.parse import parse_qs, urlparse

import pytest
from pyproj import Geod
from shapely.geometry import Point

from mapservice import geo
from mapservice.nearby import walk_minutes

GEOD = Geod(ellps="WGS84")
HOME = (119.40, 32.39)  # lon, lat


@pytest.fixture
def town(app):
    """A small hand-made neighbourhood east of HOME (about 94 m per 0.001 degree of longitude)."""
    store = app.extensions["mapservice"].store
    add = store.create
    add("venues", {"name": "近博物馆", "category": "museum", "free": True, "age_min": 6, "age_max": 18,
                   "opening_hours": "Tu-Su 09:00-17:00; PH off"}, Point(119.401, 32.39))
    add("venues", {"name": "收费科技馆", "category": "science_museum", "free": False, "price_note": "30 元",
                   "opening_hours": "24/7"}, Point(119.402, 32.39))
    add("venues", {"name": "幼儿图书馆", "category": "library", "free": True, "age_min": 0, "age_max": 6,
                   "opening_hours": "Mo-Fr 09:00-17:00"}, Point(119.403, 32.39))
    add("venues", {"name": "远博物馆", "category": "博物馆", "free": True, "opening_hours": "Sa,Su 09:00-12:00"},
        Point(119.43, 32.39))
    add("parent_schools", {"name": "东关家长学校", "host": "community", "tier": "示范"}, Point(119.4015, 32.39))
    add("practice_bases", {"name": "劳动基地", "themes": "labour", "level": "municipal", "grade_min": 3,
                           "grade_max": 6, "opening_hours": "Sa 08:00-17:00"}, Point(119.404, 32.39))
    add("communities", {"name": "东关社区", "kind": "community", "population": 5000}, Point(119.399, 32.39))
    return store


def names(response):
    assert response.status_code == 200, response.get_json()
    return [f["properties"]["name"] for f in response.get_json()["features"]]


def nearby(client, **params):
    query = {"lon": HOME[0], "lat": HOME[1], **params}
    return client.get("/api/nearby", query_string=query)


def test_sorted_by_geodesic_distance_with_walking_minutes(client, town):
    body = nearby(client, popup="true").get_json()
    assert body["center"] == {"lon": HOME[0], "lat": HOME[1]} and body["radius_m"] == 3000
    got = [(f["properties"]["name"], f["properties"]["distance_m"]) for f in body["features"]]
    assert [n for n, _ in got] == ["近博物馆", "东关家长学校", "收费科技馆", "幼儿图书馆", "劳动基地", "远博物馆"]
    for feature in body["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        _, _, expected = GEOD.inv(HOME[0], HOME[1], lon, lat)
        props = feature["properties"]
        assert props["distance_m"] == pytest.approx(expected, abs=0.1)
        assert props["walk_min"] == walk_minutes(expected) and props["layer"] in ("venues", "parent_schools",
                                                                                  "practice_bases")
        assert props["popup"]["navigate"]["amap"].startswith("https://uri.amap.com/marker?")
    assert "东关社区" not in [n for n, _ in got]  # demand layers are not searched
    plain = nearby(client).get_json()  # popups only when asked for; the map fetches one when it opens
    assert all("popup" not in f["properties"] for f in plain["features"])
    assert [f["properties"] for f in plain["features"]] == [
        {k: v for k, v in f["properties"].items() if k != "popup"} for f in body["features"]]


def test_filters(client, town):
    assert names(nearby(client, category="博物馆")) == ["近博物馆", "远博物馆"]
    assert names(nearby(client, free="true", layers="venues")) == ["近博物馆", "幼儿图书馆", "远博物馆"]
    assert "东关家长学校" in names(nearby(client, free="true"))
    assert names(nearby(client, grade=1, layers="venues,practice_bases")) == ["近博物馆", "收费科技馆", "远博物馆"]
    assert names(nearby(client, grade=4, layers="practice_bases")) == ["劳动基地"]
    assert names(nearby(client, age=4, layers="venues")) == ["收费科技馆", "幼儿图书馆", "远博物馆"]
    assert names(nearby(client, radius=250)) == ["近博物馆", "东关家长学校", "收费科技馆"]
    assert names(nearby(client, limit=2)) == ["近博物馆", "东关家长学校"]
    assert names(nearby(client, layers="parent_schools")) == ["东关家长学校"]


def test_open_at_uses_opening_hours_and_holidays(client, town):
    saturday_morning = "2026-11-28T10:00:00"
    assert names(nearby(client, open_at=saturday_morning)) == ["近博物馆", "收费科技馆", "劳动基地", "远博物馆"]
    national_day = "2026-10-01T10:00:00"  # a Thursday, but a public holiday
    assert names(nearby(client, open_at=national_day, layers="venues")) == ["收费科技馆", "幼儿图书馆"]
    # 02:00 UTC on a Monday is 10:00 in Yangzhou
    assert names(nearby(client, open_at="2026-11-30T02:00:00+00:00", layers="venues")) == ["收费科技馆", "幼儿图书馆"]


@pytest.mark.parametrize("params, field", [
    ({"lat": "abc"}, "lat"), ({"lat": 91}, "lat"), ({"lon": -181}, "lon"), ({"lon": "nan"}, "lon"),
    ({"radius": 50_001}, "radius"), ({"radius": 0}, "radius"), ({"radius": "far"}, "radius"),
    ({"limit": 501}, "limit"), ({"limit": 0}, "limit"), ({"layers": "zoo"}, "layers"),
    ({"layers": "districts"}, "layers"), ({"grade": 13}, "grade"),
    ({"age": -1}, "age"), ({"open_at": "saturday"}, "open_at"), ({"free": "maybe"}, "free"),
    ({"category": "zoo"}, "category"), ({"crs": "mars"}, "crs"), ({"unknown": 1}, "unknown"),
    ({"category": "' OR 1=1 --"}, "category"),
])
def test_bad_parameters_are_400_naming_them(client, town, params, field):
    response = nearby(client, **params)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["field"] == field


def test_missing_coordinates_and_far_away_points(client, town):
    response = client.get("/api/nearby?lat=32.39")
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "lon"
    assert names(nearby(client, lon=2.35, lat=48.85)) == []  # Paris: valid, just nothing near
    assert names(nearby(client, lon=180, lat=-90)) == []


def test_english_popup_and_gcj02_output(client, town):
    feature = nearby(client, lang="en", crs="gcj02", limit=1, popup="true").get_json()["features"][0]
    popup = feature["properties"]["popup"]
    assert feature["properties"]["layer_title"] == "Public venues" and popup["title"] == "近博物馆"
    facts = dict(popup["facts"])
    assert facts["Category"] == "Museum" and facts["Admission"] == "Free" and facts["Ages"] == "ages 6–18"
    assert facts["Opening hours"] == "Tue-Sun 09:00-17:00; public holidays closed"
    lon, lat = feature["geometry"]["coordinates"]
    assert geo.geodesic_m(lon, lat, *geo.wgs84_to_gcj02(119.401, 32.39)) < 0.01
    amap = parse_qs(urlparse(popup["navigate"]["amap"]).query)["position"][0]
    assert geo.geodesic_m(*map(float, amap.split(",")), lon, lat) < 0.5  # Amap wants GCJ-02
    baidu = parse_qs(urlparse(popup["navigate"]["baidu"]).query)["location"][0]
    blat, blon = map(float, baidu.split(","))
    assert geo.geodesic_m(blon, blat, *geo.wgs84_to_bd09(119.401, 32.39)) < 0.5  # Baidu wants BD-09


def test_chinese_popup_marks_generated_features(client, town):
    store = town
    store.create("venues", {"name": "示例馆", "category": "museum", "free": True}, Point(119.4005, 32.39),
                 generated=True)
    popup = nearby(client, limit=1, popup="true").get_json()["features"][0]["properties"]["popup"]
    assert popup["title"] == "示例馆" and popup["generated"] is True and "生成" in popup["generated_note"]
    assert dict(popup["facts"])["费用"] == "免费"


def test_places_matches_partial_chinese_names(client, town):
    body = client.get("/api/places", query_string={"q": "东关"}).get_json()
    assert [p["name"] for p in body["places"]] == ["东关社区", "东关家长学校"]
    assert body["places"][0] == {**body["places"][0], "layer": "communities", "lon": 119.399, "lat": 32.39}
    assert [p["name"] for p in client.get("/api/places?q=博物").get_json()["places"]] == ["近博物馆", "远博物馆"]
    assert client.get("/api/places?q=%25").get_json()["places"] == []
    for query, field in [("", "q"), ("q=", "q"), ("q=" + "长" * 51, "q"), ("q=馆&limit=51", "limit"),
                         ("q=馆&layers=zoo", "layers")]:
        response = client.get(f"/api/places?{query}")
        assert response.status_code == 400 and response.get_json()["error"]["field"] == field, query


def test_openapi_describes_the_endpoints_and_docs_are_local(client):
    spec = client.get("/openapi.json").get_json()
    nearby_params = {p["name"]: p for p in spec["paths"]["/api/nearby"]["get"]["parameters"]}
    assert {"lat", "lon", "radius", "layers", "limit", "category", "free", "grade", "open_at", "popup"} <= set(nearby_params)
    assert nearby_params["popup"]["schema"]["default"] is False
    assert nearby_params["lat"]["required"] is True
    assert nearby_params["radius"]["schema"]["maximum"] == 50000
    assert "/api/places" in spec["paths"] and "/api/layers/{layer_id}/features" in spec["paths"]
    docs = client.get("/api/docs").get_data(as_text=True)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs
    assert "cdn" not in docs.lower() and "//unpkg" not in docs
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200


def test_query_coordinates_are_not_logged(client, town, caplog):
    caplog.set_level(logging.DEBUG)
    nearby(client, lon=119.4012345, lat=32.3912345)
    client.get("/api/nearby?lon=119.4012345&lat=999.5")
    assert "119.4012345" not in caplog.text and "32.3912345" not in caplog.text


def test_walk_minutes():
    assert [walk_minutes(m) for m in (0, 66, 67, 500, 1000, 3000)] == [1, 1, 2, 8, 15, 45]


def test_naive_and_aware_times_agree():
    from mapservice.hours import is_open, local_time
    assert local_time(datetime.fromisoformat("2026-11-30T02:00:00+00:00")) == datetime(2026, 11, 30, 10, 0)
    assert is_open("Fr-Sa 18:00-02:00", datetime(2026, 11, 28, 1, 0))      # Saturday 01:00: Friday night
    assert not is_open("Fr-Sa 18:00-02:00", datetime(2026, 11, 30, 1, 0))  # Monday 01:00
    assert is_open("24/7", datetime(2026, 10, 1, 3, 0))
    assert not is_open("Mo-Su 09:00-17:00; PH off", datetime(2026, 10, 1, 10, 0))  # National Day
    seasonal = "Apr-Oct Tu-Su 08:00-18:00; Nov-Mar Tu-Su 09:00-17:00"
    assert is_open(seasonal, datetime(2026, 7, 1, 17, 30)) and not is_open(seasonal, datetime(2026, 12, 2, 17, 30))
    assert not is_open(None, datetime(2026, 7, 1, 12, 0)) and not is_open("nonsense", datetime(2026, 7, 1))


def test_gcj02_input_places_and_english_places(client, town):
    glon, glat = (float(v) for v in geo.wgs84_to_gcj02(*HOME))
    body = nearby(client, lon=glon, lat=glat, crs="gcj02").get_json()
    assert geo.geodesic_m(body["center"]["lon"], body["center"]["lat"], glon, glat) < 0.01
    assert body["features"][0]["properties"]["distance_m"] == pytest.approx(94.1, abs=0.5)
    mixed = nearby(client, crs="gcj02", point_crs="wgs84").get_json()  # a phone's location over Amap tiles
    assert mixed["features"][0]["properties"]["distance_m"] == pytest.approx(94.1, abs=0.5)
    assert geo.geodesic_m(mixed["center"]["lon"], mixed["center"]["lat"], glon, glat) < 0.01
    place = client.get("/api/places?q=东关社区&crs=gcj02&lang=en").get_json()["places"][0]
    assert place["layer_title"] == "Communities"
    assert geo.geodesic_m(place["lon"], place["lat"], *geo.wgs84_to_gcj02(119.399, 32.39)) < 0.05


def test_a_category_none_of_the_chosen_layers_has_is_ignored(client, town):
    """Issue 11 defect 1: a category left over from venues does not refuse a search of parent schools."""
    response = nearby(client, layers="parent_schools", category="museum")
    assert response.status_code == 200
    assert names(response) == names(nearby(client, layers="parent_schools"))


def test_a_preschool_child_finds_places_for_ages_three_to_six(client, town):
    preschool = names(nearby(client, layers="venues", preschool="true"))
    assert "幼儿图书馆" in preschool  # ages 0-6
    assert "近博物馆" in preschool  # ages 6-18 overlaps 3-6 at six
    assert "幼儿图书馆" not in names(nearby(client, layers="venues", grade=5))


def test_a_read_request_reads_the_change_counters_once(client, monkeypatch):
    """A nearby answer keys the region's outline and the points held in memory by the layers'
    change counters: one read of them per request (Store.one_view; on PostGIS in the round trip
    that reads the rows), and the next request sees a write made in between."""
    store = client.application.extensions["mapservice"].store
    store.create("venues", {"name": "馆", "category": "museum", "free": True}, Point(119.402, 32.39))
    reads = []
    real = store._saw_versions  # every read of the counters from the database ends here
    monkeypatch.setattr(store, "_saw_versions", lambda versions: reads.append(1) or real(versions))

    def names():
        before = len(reads)
        answer = client.get("/api/nearby?lat=32.39&lon=119.4&radius=5000")
        assert answer.status_code == 200, answer.get_data(as_text=True)
        assert len(reads) == before + 1
        return [f["properties"]["name"] for f in answer.json["features"]]

    assert names() == ["馆"]
    store.create("venues", {"name": "新馆", "category": "museum", "free": True}, Point(119.401, 32.39))
    assert names() == ["新馆", "馆"]
