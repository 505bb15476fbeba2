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
