"""Responses are compressed for clients that take it (flask-compress): pages, API and static files."""
import gzip
import json

import brotli
import pytest


@pytest.mark.parametrize("path", ["/", "/api/layers/venues/features?limit=1000", "/api/layers",
                                  "/static/js/map/search.js", "/static/app.css", "/static/vendor/leaflet/leaflet.js"])
def test_text_answers_are_compressed(demo_client, path):
    plain = demo_client.get(path).get_data()
    packed = demo_client.get(path, headers={"Accept-Encoding": "br, gzip, deflate"})
    assert packed.status_code == 200 and packed.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in packed.headers["Vary"]
    body = brotli.decompress(packed.get_data())
    assert len(packed.get_data()) < len(body) / 2
    if not path.startswith("/static/"):
        gzipped = demo_client.get(path, headers={"Accept-Encoding": "gzip"})
        assert gzipped.headers["Content-Encoding"] == "gzip"
        assert len(gzip.decompress(gzipped.get_data())) == len(plain) or path == "/"  # a page's nonce varies
    if path.startswith("/api/") or path.startswith("/static/"):
        assert body == plain


def test_errors_are_still_json_when_compressed(demo_client):
    answer = demo_client.get("/api/nearby?lat=32.39&lon=119.42&radius=0", headers={"Accept-Encoding": "gzip"})
    body = gzip.decompress(answer.get_data()) if answer.headers.get("Content-Encoding") == "gzip" else answer.get_data()
    assert answer.status_code == 400 and json.loads(body)["error"]["code"] == "above_min"
