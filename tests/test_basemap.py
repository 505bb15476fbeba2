"""The base map by name (MAPSERVICE_BASEMAP): streets by default, Tianditu with a key, Amap's GCJ-02
shift, none; the page's tile URLs and the CSP's image source follow (item 3 of issue 11)."""
import json
from html.parser import HTMLParser

import pytest

from mapservice import basemap
from mapservice.app import create_app
from mapservice.settings import Settings, SettingsError
from mapservice.web.security import tile_source


def settings(tmp_path, **values) -> Settings:
    return Settings(database_url=str(tmp_path / "b.gpkg"), load_demo=False, **values)


def test_streets_by_default_and_by_name(tmp_path):
    assert basemap.resolve(settings(tmp_path)).name == "osm"  # a fresh install shows streets
    tianditu = basemap.resolve(settings(tmp_path, tianditu_key="k3y"))
    assert tianditu.name == "tianditu" and len(tianditu.urls) == 2  # the base and its labels
    assert all("tk=k3y" in url and "tianditu.gov.cn" in url for url in tianditu.urls) and tianditu.crs == "wgs84"
    amap = basemap.resolve(settings(tmp_path, basemap="amap"))
    assert amap.crs == "gcj02" and "autonavi.com" in amap.urls[0]
    assert basemap.resolve(settings(tmp_path, basemap="none")) is None
    custom = basemap.resolve(settings(tmp_path, basemap="osm", tile_url="https://t.example.org/{z}/{x}/{y}.png"))
    assert custom.name == "custom" and custom.attribution == "t.example.org"


def test_tianditu_needs_its_key_and_names_are_checked(tmp_path):
    with pytest.raises(SettingsError) as refused:
        settings(tmp_path, basemap="tianditu")
    assert refused.value.field == "MAPSERVICE_TIANDITU_KEY"
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"MAPSERVICE_BASEMAP": "google", "MAPSERVICE_DATABASE_URL": str(tmp_path / "x.gpkg")})
    assert refused.value.field == "MAPSERVICE_BASEMAP"


def test_csp_allows_the_provider_hosts(tmp_path):
    assert tile_source(settings(tmp_path)) == "https://tile.openstreetmap.org"
    assert tile_source(settings(tmp_path, tianditu_key="k")) == "https://*.tianditu.gov.cn"
    assert tile_source(settings(tmp_path, basemap="amap")) == "https://*.is.autonavi.com"
    assert tile_source(settings(tmp_path, basemap="none")) is None


class _Config(HTMLParser):
    config = ""
    inside = False

    def handle_starttag(self, tag, attrs):
        self.inside = tag == "script" and ("id", "ym-config") in attrs

    def handle_data(self, data):
        if self.inside:
            self.config += data


@pytest.mark.parametrize("values, tiles, crs, hosts", [
    ({}, True, "", {"tile.openstreetmap.org"}),
    ({"tianditu_key": "k"}, True, "", {"t{s}.tianditu.gov.cn"}),
    ({"basemap": "amap"}, True, "gcj02", {"webrd0{s}.is.autonavi.com"}),
    ({"basemap": "none"}, False, "", set()),
])
def test_the_map_page_draws_the_chosen_base(tmp_path, values, tiles, crs, hosts):
    app = create_app(settings(tmp_path, **values))
    try:
        html = app.test_client().get("/").get_data(as_text=True)
    finally:
        app.extensions["mapservice"].store.close()
    parser = _Config()
    parser.feed(html)
    config = json.loads(parser.config)
    assert (config["tiles"], config["crs"]) == (tiles, crs)
    assert all(host in html for host in hosts)
