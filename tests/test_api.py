"""The HTTP surface through the Flask test client, on both stores."""
import pytest
from shapely.geometry import Point


@pytest.fixture
def filled(app):
    store = app.extensions["mapservice"].store
    for i in range(5):
        store.create("venues", {"name": f"馆{i}", "category": "library" if i % 2 else "museum", "free": True},
                     Point(119.40 + i / 100, 32.39))
    return store


def test_layers_lists_every_layer_in_file_order(client, filled):
    body = client.get("/api/layers").get_json()
    assert [layer["id"] for layer in body["layers"]][:2] == ["venues", "practice_bases"]
    venues = body["layers"][0]
    assert venues == {**venues, "title": "公共场馆", "kind": "supply", "count": 5, "geometry_type": "Point"}
    assert client.get("/api/layers?lang=en").get_json()["layers"][0]["title"] == "Public venues"
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "text/html" in missing.content_type


def test_features_geojson_paging_bbox_and_filters(client, filled):
    body = client.get("/api/layers/venues/features?limit=2&offset=1").get_json()
    assert body["type"] == "FeatureCollection" and body["numberMatched"] == 5 and body["numberReturned"] == 2
    first = body["features"][0]
    assert first["type"] == "Feature" and isinstance(first["id"], int)
    assert first["properties"]["name"] == "馆1" and first["geometry"]["type"] == "Point"
    boxed = client.get("/api/layers/venues/features?bbox=119.405,32.3,119.425,32.5").get_json()
    assert [f["properties"]["name"] for f in boxed["features"]] == ["馆1", "馆2"]
    museums = client.get("/api/layers/venues/features?category=博物馆").get_json()
    assert [f["properties"]["name"] for f in museums["features"]] == ["馆0", "馆2", "馆4"]


def test_one_feature_and_404s(client, filled):
    fid = client.get("/api/layers/venues/features?limit=1").get_json()["features"][0]["id"]
    assert client.get(f"/api/layers/venues/features/{fid}").get_json()["properties"]["name"] == "馆0"
    for url, field in [("/api/layers/venues/features/99999", "id"), ("/api/layers/zoo/features", "layer"),
                       ("/api/layers/zoo/features/1", "layer")]:
        response = client.get(url)
        assert response.status_code == 404
        assert response.get_json()["error"]["field"] == field
    assert client.get("/api/nothing-here").get_json()["error"]["status"] == 404


@pytest.mark.parametrize("query, field", [
    ("bbox=1,2,3", "bbox"), ("bbox=a,b,c,d", "bbox"), ("bbox=120,32,119,33", "bbox"),
    ("limit=0", "limit"), ("limit=10001", "limit"), ("limit=ten", "limit"), ("offset=-3", "offset"),
    ("colour=red", "colour"), ("category=zoo", "category"), ("free=maybe", "free"),
    ("category=%27%3B%20DROP%20TABLE%20venues%3B--", "category"),
])
def test_bad_parameters_are_400_naming_the_parameter(client, filled, query, field):
    response = client.get(f"/api/layers/venues/features?{query}")
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["status"] == 400 and error["field"] == field and error["message"]


def test_non_numeric_feature_id_is_400(client, filled):
    response = client.get("/api/layers/venues/features/abc")
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "id"


@pytest.mark.parametrize("url, status, field", [
    # ids: digits of other scripts that str.isdigit() takes and int() does not (or does), and 64-bit overflow
    ("/api/layers/nosuch/features/%C2%B2", 404, "layer"),
    ("/api/layers/nosuch/features/%E2%91%A0", 404, "layer"),
    ("/api/layers/venues/features/%C2%B2", 400, "id"),
    ("/api/layers/venues/features/%E2%91%A0", 400, "id"),
    ("/api/layers/venues/features/%D9%A3", 400, "id"),
    ("/api/layers/venues/features/9223372036854775808", 400, "id"),
    ("/api/layers/venues/features/-9223372036854775809", 400, "id"),
    # paging and filters past 64 bits, and numbers in other scripts
    ("/api/layers/venues/features?offset=9223372036854775808", 400, "offset"),
    ("/api/layers/venues/features?limit=%D9%A3", 400, "limit"),
    ("/api/layers/venues/features?limit=1_0", 400, "limit"),
    ("/api/layers/communities/features?population=1e20", 400, "population"),
    ("/api/layers/communities/features?population=9223372036854775808", 400, "population"),
    ("/api/layers/venues/features?bbox=%D9%A1,32,120,33", 400, "bbox"),
    ("/api/nearby?lat=32.39&lon=119.42&radius=%D9%A1", 400, "radius"),
    ("/api/nearby?lat=nan&lon=119.42", 400, "lat"),
    # dates whose conversion to China time overflowed
    ("/api/nearby?lat=32.39&lon=119.42&open_at=0001-01-01T00:00:00%2B14:00", 400, "open_at"),
    ("/api/nearby?lat=32.39&lon=119.42&open_at=9999-12-31T23:59:59-12:00", 400, "open_at"),
    ("/api/nearby?lat=32.39&lon=119.42&open_at=2026-13-01T00:00", 400, "open_at"),
    # NUL and other control characters, in any text parameter
    ("/api/places?q=%00", 400, "q"),
    ("/api/places?q=%E9%A6%86%1B", 400, "q"),
    ("/api/layers/venues/features?name=%00", 400, "name"),
    ("/api/layers/venues/features?category=museum%00", 400, "category"),
    ("/api/nearby?lat=32.39&lon=119.42&category=%00", 400, "category"),
    ("/api/nearby?lat=32.39&lon=119.42&layers=venues%00", 400, "layers"),
    ("/api/coverage?supply=venues&demand=communities&district=%00", 400, "district"),
    ("/api/plan?supply=venues&demand=communities&supply_where=category%3D%00", 400, "supply_where"),
    ("/api/plan?supply=venues&demand=communities&add=%D9%A1,32", 400, "add"),
    ("/api/layers?lang=fr", 400, "lang"),
    ("/api/nearby?lat=32.39&lon=119.42&free=yes", 400, "free"),
])
def test_hand_made_bad_input_is_a_4xx_naming_the_field(client, filled, url, status, field):
    response = client.get(url)
    assert response.status_code == status, (url, response.get_data(as_text=True))
    error = response.get_json()["error"]
    assert error["status"] == status and error["field"] == field and error["message"], url


def test_the_largest_offset_and_tab_in_text_are_fine(client, filled):
    body = client.get("/api/layers/venues/features?offset=9223372036854775807").get_json()
    assert body["numberMatched"] == 5 and body["features"] == []
    assert client.get("/api/places?q=%E9%A6%86%091").status_code == 200
    assert client.get("/api/nearby?lat=32.39&lon=119.42&open_at=2026-05-12T09:30:00Z").status_code == 200


@pytest.mark.parametrize("url, key", [("/api/nearby?lat=32.39&lon=119.40&radius=5000&limit=3", "features"),
                                      ("/api/places?q=%E9%A6%86&limit=3", "places")])
def test_a_layer_named_twice_counts_once(client, filled, url, key):
    once = client.get(f"{url}&layers=venues").get_json()[key]
    twice = client.get(f"{url}&layers=venues,venues,venues").get_json()[key]
    assert len(once) == 3 and twice == once
    ids = [item["id"] for item in twice]
    assert len(set(ids)) == len(ids)
