"""The HTML pages: the map page (/) loads nothing from off-site, speaks zh and en; /layers."""
from __future__ import annotations

import json
import re
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urlsplit

from mapservice.app import create_app
from mapservice.i18n import t
from mapservice.resources import resource_dir
from mapservice.settings import Settings
from mapservice.web import mappage

URL = re.compile(r"https?://[^\s\"'<>)]+")
# Links that open the two navigation apps are the only remote URLs a page may name.
NAVIGATION_HOSTS = ("amap.com", "baidu.com")


class Assets(HTMLParser):
    """Collects every script src, link href and img src of a page, and the app's JSON config."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.config_text = ""
        self._in_config = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])
        if tag == "img" and attrs.get("src"):
            self.urls.append(attrs["src"])
        self._in_config = tag == "script" and attrs.get("id") == "ym-config"

    def handle_endtag(self, tag):
        self._in_config = False

    def handle_data(self, data):
        if self._in_config:
            self.config_text += data


def parse(html: str) -> Assets:
    assets = Assets()
    assets.feed(html)
    return assets


def remote_urls(html: str) -> list[str]:
    return [url for url in URL.findall(html)
            if not urlsplit(url).hostname.endswith(NAVIGATION_HOSTS)]


def test_map_page_references_only_local_assets(demo_client):
    response = demo_client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert remote_urls(html) == []
    assets = parse(html)
    assert assets.urls, "the page links its scripts and styles"
    assert all(url.startswith("/static/") for url in assets.urls), assets.urls
    # folium's CDN defaults are gone: no jQuery, Bootstrap, awesome-markers or Font Awesome at all.
    for name in ("jquery", "bootstrap", "awesome", "fontawesome", "cdn"):
        assert name not in html.lower()


def test_every_linked_asset_is_served(demo_client):
    assets = parse(demo_client.get("/").get_data(as_text=True))
    for url in assets.urls:
        response = demo_client.get(url)
        assert response.status_code == 200, url
        response.close()
    for name in ("leaflet/leaflet.js", "leaflet/leaflet.css", "leaflet.markercluster/leaflet.markercluster.js"):
        assert any(url.split("?")[0].endswith(name) for url in assets.urls)


def test_vendored_libraries_carry_their_licences():
    vendor = resource_dir("static") / "vendor"
    assert (vendor / "leaflet" / "LICENSE").is_file()
    assert (vendor / "leaflet.markercluster" / "MIT-LICENCE.txt").is_file()
    assert "leaflet@1.9.4" in (resource_dir("static") / "README.md").read_text(encoding="utf-8")


def test_configured_tiles_are_the_only_remote_url(tmp_path):
    tiles = "https://tiles.example.org/{z}/{x}/{y}.png"
    app = create_app(Settings(database_url=str(tmp_path / "x.gpkg"), load_demo=False, tile_url=tiles,
                              tile_attribution="© Example tiles"))
    try:
        html = app.test_client().get("/").get_data(as_text=True)
    finally:
        app.extensions["mapservice"].store.close()
    assert set(remote_urls(html)) == {tiles}
    assert all(url.startswith("/static/") for url in parse(html).urls)
    assert "Example tiles" in html
    assert json.loads(parse(html).config_text)["tiles"] is True


def test_gcj02_tiles_ask_the_api_for_gcj02(tmp_path):
    app = create_app(Settings(database_url=str(tmp_path / "x.gpkg"), load_demo=False,
                              tile_url="https://tiles.example.org/{z}/{x}/{y}.png", tile_attribution="x",
                              tile_crs="gcj02"))
    try:
        config = json.loads(parse(app.test_client().get("/").get_data(as_text=True)).config_text)
    finally:
        app.extensions["mapservice"].store.close()
    assert config["crs"] == "gcj02"


def test_without_tiles_the_page_draws_districts(demo_client):
    config = json.loads(parse(demo_client.get("/").get_data(as_text=True)).config_text)
    assert config["tiles"] is False
    assert config["crs"] == ""
    assert [layer["id"] for layer in config["layers"] if layer["kind"] == "boundary"] == ["districts"]


def test_map_fits_the_region(demo_client):
    html = demo_client.get("/").get_data(as_text=True)
    fit = re.search(r"\.fitBounds\(\s*(\[\[.*?\]\])", html, re.S)
    (south, west), (north, east) = json.loads(fit.group(1))
    # Yangzhou: about 32.2-33.4 N, 119.0-119.9 E.
    assert 32.0 < south < north < 33.6 and 118.9 < west < east < 120.0


def test_page_is_chinese_first_with_an_english_switch(demo_client):
    zh = demo_client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in zh
    assert t("app_title", "zh") in zh and t("where_title", "zh") in zh
    assert 'href="/?lang=en"' in zh
    en = demo_client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in en
    assert t("app_title", "en") in en and t("where_title", "en") in en and "Public venues" in en
    assert t("where_title", "zh") not in en
    assert 'href="/?lang=zh"' in en


def test_map_page_links_the_planner_in_its_language(demo_client):
    zh = tables_links(demo_client.get("/").get_data(as_text=True))
    assert zh["ym-planner-link"] == "/planner"
    en = tables_links(demo_client.get("/?lang=en").get_data(as_text=True))
    assert en["ym-planner-link"] == "/planner?lang=en"
    assert demo_client.get(en["ym-planner-link"]).status_code == 200


def tables_links(html: str) -> dict[str, str]:
    """href of every <a> with an id."""
    return {m.group(1): m.group(2).replace("&amp;", "&")
            for m in re.finditer(r'<a id="([^"]+)"[^>]*?href="([^"]*)"', html, re.S)}


def test_script_strings_come_from_the_catalogue(demo_client):
    for lang in ("zh", "en"):
        config = json.loads(parse(demo_client.get(f"/?lang={lang}").get_data(as_text=True)).config_text)
        assert config["lang"] == lang
        assert set(config["strings"]) == set(mappage.SCRIPT_KEYS)
        # Placeholders are left for the script to fill.
        assert config["strings"]["results_count"] == t("results_count", lang, radius="{radius}", count="{count}")
        # Codes, distances and walking times arrive as words in the API's answers, so the page gets
        # no code labels or units to write them with.
        venues = next(layer for layer in config["layers"] if layer["id"] == "venues")
        assert set(venues) == {"id", "title", "kind", "color", "filters"}
        assert venues["filters"] == ["category", "open"]  # the filters the page disables for other layers
        assert venues["title"] == ("Public venues" if lang == "en" else "公共场馆")
        assert not {"metres", "kilometres", "walk_minutes"} & set(config["strings"])


def test_filters_offer_radii_grades_and_venue_categories(demo_client):
    html = demo_client.get("/?lang=en").get_data(as_text=True)
    for metres in mappage.RADII_M:
        assert f'<option value="{metres}"' in html
    assert '<option value="1000" selected>1 km</option>' in html
    assert html.count('<option value="12">') == 1 and "Grade 12" in html
    assert '<option value="museum">Museum</option>' in html
    supply = ("venues", "practice_bases", "community_stations", "parent_schools")
    for layer_id in supply:
        assert f'name="layers" value="{layer_id}" data-map-layer checked' in html
    assert 'name="layers" value="schools"' not in html


def test_map_page_works_on_an_empty_store(client):
    response = client.get("/")
    assert response.status_code == 200
    assert ".fitBounds(" not in response.get_data(as_text=True)


def test_layer_table(demo_client):
    html = demo_client.get("/layers?lang=en").get_data(as_text=True)
    assert "Doorstep parent schools" in html and "1,300" in html
    assert "/api/layers/venues/features?limit=10" in html
    assert "家门口的家长学校" in demo_client.get("/layers").get_data(as_text=True)


def test_presets_carry_every_filter(demo_client):
    html = demo_client.get("/").get_data(as_text=True)
    found = [json.loads(unescape(m)) for m in re.findall(r'data-preset="([^"]*)"', html)]
    assert [p["id"] for p in found] == ["museum_saturday", "library_now", "parent_schools"]
    for preset in found:
        assert {"layers", "category", "free_only", "open", "radius"} <= set(preset)
        assert preset["layers"] and isinstance(preset["free_only"], bool) and preset["radius"] > 0


def test_pages_share_the_layout(demo_client):
    """The layer table and error pages have the map page's bar, language switch and stylesheet."""
    for path, status in (("/layers?lang=en", 200), ("/no-such-page?lang=en", 404)):
        response = demo_client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == status
        assert '<html lang="en">' in html and 'class="ym-bar"' in html
        assert tables_links(html)["ym-lang"] == path.replace("lang=en", "lang=zh")
        assert remote_urls(html) == [] and all(url.startswith("/static/") for url in parse(html).urls)
        assert "/static/app.css" in [url.split("?")[0] for url in parse(html).urls]
    error = demo_client.get("/no-such-page").get_data(as_text=True)
    assert '<html lang="zh-CN">' in error and t("back_to_map", "zh") in error


def test_a_place_page_is_rendered_on_the_server(demo_client):
    venue = demo_client.get("/api/layers/venues/features?limit=1").get_json()["features"][0]
    page = demo_client.get(f"/place/venues/{venue['id']}?from=32.39,119.42")
    html = page.get_data(as_text=True)
    name = venue["properties"]["name"]
    assert page.status_code == 200 and f"<h1>{name}</h1>" in html
    assert f'<meta property="og:title" content="{name}">' in html and "application/ld+json" in html
    assert 'href="tel:' in html and "uri.amap.com/navigation?" in html and "mode=walk" in html
    assert "api.map.baidu.com/direction?" in html and "mode=walking" in html
    assert "附近的其他资源" in html and ("现在开放" in html or "现在关门" in html)
    english = demo_client.get(f"/place/venues/{venue['id']}?lang=en").get_data(as_text=True)
    assert "Nearby, of other kinds" in english and "Walk there" in english
    assert demo_client.get("/place/venues/999999").status_code == 404
    assert demo_client.get("/place/zoo/1").status_code == 404
    assert demo_client.get("/place/venues/abc").status_code == 400
    assert demo_client.get(f"/place/venues/{venue['id']}?from=north").status_code == 200
    popup = demo_client.get(f"/api/layers/venues/features/{venue['id']}").get_json()["properties"]["popup"]
    assert popup["page"] == f"/place/venues/{venue['id']}"


def test_hours_now_in_words():
    from datetime import datetime

    from mapservice.placeview import hours_now

    wednesday = datetime(2026, 12, 2, 10, 0)
    assert hours_now("Mo-Su 09:00-17:00", wednesday, "zh") == "现在开放，今天 17:00关门"
    assert hours_now("Mo-Su 09:00-17:00", datetime(2026, 12, 2, 22, 30), "en") == "closed now, opens tomorrow 09:00"
    assert hours_now(None, wednesday, "zh") is None
