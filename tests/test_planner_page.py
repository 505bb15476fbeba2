"""The coverage planner (/planner) and its printable report (/planner/report).

Test-client tests render both over a GeoPackage holding the demo region; browser tests drive
Debian's chromium over the live server of test_browser.py (its fixtures and launch flags), and
fail on any console error or request to a host other than the server. Screenshots and the
printed report go to test-artifacts/.
"""
from __future__ import annotations

import json
import math
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, quote, unquote, urlsplit
from urllib.request import urlopen

import pytest
from browsing import ARTIFACTS, PHONE, opener, shot
from test_pages import parse, remote_urls

from mapservice.analysis.classify import class_index, quantile_breaks
from mapservice.i18n import t
from mapservice.report import printmap, style, view
from mapservice.report.wording import TABLE_COLUMNS
from mapservice.web import plannerpage

DISTRICTS = {"广陵区", "邗江区", "江都区", "宝应县", "仪征市", "高邮市"}
SVG_NS = "http://www.w3.org/2000/svg"


def local_only(html: str) -> list[str]:
    """Remote URLs a page names, other than the SVG namespace (an identifier, never fetched)."""
    return [url for url in remote_urls(html) if url != SVG_NS]


class Tables(HTMLParser):
    """Rows of text cells per table id (tbody and tfoot apart), and the attributes of form controls."""

    def __init__(self):
        super().__init__()
        self.rows: dict[tuple[str, str], list[list[str]]] = {}
        self.controls: list[dict] = []
        self.links: dict[str, str] = {}
        self._table = self._part = None
        self._cell: list[str] | None = None
        self._row: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = attrs.get("id")
        elif tag in ("thead", "tbody", "tfoot"):
            self._part = tag
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag in ("input", "option", "select"):
            self.controls.append({"tag": tag, **attrs})
        elif tag == "a" and attrs.get("id"):
            self.links[attrs["id"]] = attrs.get("href", "")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.setdefault((self._table, self._part), []).append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> Tables:
    parser = Tables()
    parser.feed(html)
    return parser


def config_of(html: str) -> dict:
    match = re.search(r'<script id="pl-config" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


# ---------- the page, rendered ----------

def test_planner_page_is_chinese_first_with_an_english_switch(demo_client):
    zh = demo_client.get("/planner")
    assert zh.status_code == 200
    html = zh.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert f"<title>{t('planner_title', 'zh')} · {t('app_title', 'zh')}</title>" in html
    for key in ("planner_form_title", "planner_supply", "planner_demand", "planner_reach", "planner_table_title",
                "planner_chart_title", "planner_suggestions_title", "planner_print", "planner_download_xlsx"):
        assert t(key, "zh") in html, key
    links = tables(html).links
    assert urlsplit(links["pl-lang"]).path == "/planner"
    assert parse_qs(urlsplit(links["pl-lang"]).query)["lang"] == ["en"]
    en = demo_client.get("/planner?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in en
    assert "Coverage planner" in en and "Doorstep parent schools" in en and "Communities" in en
    assert t("planner_form_title", "zh") not in en
    assert parse_qs(urlsplit(tables(en).links["pl-lang"]).query)["lang"] == ["zh"]


def test_planner_form_defaults(demo_client):
    parsed = tables(demo_client.get("/planner").get_data(as_text=True))
    checked = [c["value"] for c in parsed.controls if c.get("name") == "supply" and "checked" in c]
    assert checked == ["parent_schools"]
    offered = [c["value"] for c in parsed.controls if c.get("name") == "supply"]
    assert offered == ["venues", "practice_bases", "community_stations", "parent_schools"]
    options = [c for c in parsed.controls if c["tag"] == "option"]
    assert [o["value"] for o in options if o["value"] in ("300", "500", "1000", "1500", "custom")] == \
        ["300", "500", "1000", "1500", "custom"]
    selected = {o["value"] for o in options if "selected" in o}
    assert {"communities", "500"} <= selected
    assert {o["value"] for o in options} >= DISTRICTS | {"", "communities", "schools"}
    count = next(c for c in parsed.controls if c.get("name") == "count")
    assert count["value"] == "5"
    # Supply levels: every ordered attribute of the supply layers, from its second value up; none chosen.
    levels = [o for o in options if "&gt;=" in o["value"] or ">=" in o["value"]]
    assert [o["value"] for o in levels] == ["level>=provincial", "level>=national", "tier>=excellent",
                                            "tier>=demonstration", "tier>=star"]
    assert not any("selected" in o for o in levels)
    weights = [o["value"] for o in options if o["value"] in ("population", "children")]
    assert weights == ["population", "children"]


def test_planner_page_references_only_local_assets(demo_client):
    html = demo_client.get("/planner").get_data(as_text=True)
    assert local_only(html) == []
    assets = parse(html)
    assert all(url.startswith("/static/") for url in assets.urls), assets.urls
    for name in ("jquery", "bootstrap", "awesome", "fontawesome", "cdn"):
        assert name not in html.lower()
    for name in ("vendor/leaflet/leaflet.js", "vendor/leaflet/leaflet.css", "js/planner/main.js", "planner.css",
                 "app.css"):
        assert f"/static/{name}" in [url.split("?")[0] for url in assets.urls]
    assert not any("/js/map/" in url for url in assets.urls)  # the map page's script expects the map page
    for url in assets.urls:
        response = demo_client.get(url)
        assert response.status_code == 200, url
        response.close()


def test_planner_config(demo_client):
    for lang in ("zh", "en"):
        config = config_of(demo_client.get(f"/planner?lang={lang}").get_data(as_text=True))
        assert config["lang"] == lang and config["api"] == "/api" and config["report"] == "/planner/report"
        assert set(config["strings"]) == set(plannerpage.SCRIPT_KEYS)
        assert [layer["id"] for layer in config["supply"]] == ["venues", "practice_bases", "community_stations",
                                                                "parent_schools"]
        assert set(config["demand"]) == {"schools", "communities"}
        assert config["boundaries"] == ["districts"]
    schools = config["demand"]["schools"]
    assert schools["weights"] == [{"name": "enrollment", "label": "Enrollment", "unit": "pupils"}]
    assert [w["name"] for w in config["demand"]["communities"]["weights"]] == ["population", "children"]


def test_planner_page_keeps_its_query(demo_client):
    query = ("supply=venues,parent_schools&demand=schools&radius=1200&district=广陵区"
             "&supply_where=tier>=demonstration&count=8")
    parsed = tables(demo_client.get(f"/planner?{query}").get_data(as_text=True))
    checked = [c["value"] for c in parsed.controls if c.get("name") == "supply" and "checked" in c]
    assert checked == ["venues", "parent_schools"]
    selected = {o["value"] for o in parsed.controls if o["tag"] == "option" and "selected" in o}
    assert {"schools", "custom", "广陵区"} <= selected
    custom = next(c for c in parsed.controls if c.get("name") == "radius_custom")
    assert custom["value"] == "1200"
    assert "selected" in next(c for c in parsed.controls if c.get("value") == "tier>=demonstration")
    report = parse_qs(urlsplit(parsed.links["pl-report"]).query)
    assert report == {"supply": ["venues,parent_schools"], "demand": ["schools"], "radius": ["1200"],
                      "district": ["广陵区"], "supply_where": ["tier>=demonstration"], "count": ["8"]}
    xlsx = parse_qs(urlsplit(parsed.links["pl-xlsx"]).query)
    assert xlsx["format"] == ["xlsx"] and xlsx["radius"] == ["1200"]
    # Walking minutes instead of a radius.
    parsed = tables(demo_client.get("/planner?minutes=15").get_data(as_text=True))
    assert "checked" in next(c for c in parsed.controls if c.get("name") == "reach" and c["value"] == "minutes")
    assert parse_qs(urlsplit(parsed.links["pl-report"]).query)["minutes"] == ["15"]


def test_planner_page_ignores_bad_values(demo_client):
    response = demo_client.get("/planner?radius=abc&count=0&district=nowhere&supply=nope&demand=venues&x=1")
    assert response.status_code == 200
    report = parse_qs(urlsplit(tables(response.get_data(as_text=True)).links["pl-report"]).query)
    assert report == {"supply": ["parent_schools"], "demand": ["communities"], "radius": ["500"], "count": ["5"]}


def test_planner_downloads_are_the_coverage_export(demo_client):
    links = tables(demo_client.get("/planner").get_data(as_text=True)).links
    xlsx = demo_client.get(links["pl-xlsx"])
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    name = unquote(xlsx.headers["Content-Disposition"].split("filename*=UTF-8''")[1])
    assert re.fullmatch(r"覆盖分析_全域_家门口的家长学校_社区村_500米_\d{4}-\d\d-\d\d\.xlsx", name), name
    gpkg = demo_client.get(links["pl-gpkg"])
    assert gpkg.status_code == 200 and gpkg.data[:16] == b"SQLite format 3\x00"


# ---------- the report ----------

def test_report_renders_the_table_chart_map_and_suggestions(demo_client):
    response = demo_client.get("/planner/report")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert local_only(html) == []
    assert all(url.startswith("/static/") for url in parse(html).urls)
    assert "@page" in html and "A4" in html
    assert f"<h1>{t('report_title', 'zh')}</h1>" in html
    parsed = tables(html)
    rows = parsed.rows[("rp-districts", "tbody")]
    assert {row[0] for row in rows} == DISTRICTS
    assert all(len(row) == len(TABLE_COLUMNS) for row in rows)
    (total,) = parsed.rows[("rp-districts", "tfoot")]
    assert total[0] == "全域合计" and total[1] == "1,500"
    assert sum(int(row[1].replace(",", "")) for row in rows) == 1500
    assert html.count("<svg") >= 2 and 'class="rp-map"' in html and 'class="pl-chart-svg"' in html
    assert html.count('class="pl-chart-label"') == 6
    assert html.count('<g class="rp-pick">') == 5  # the suggested sites on the map
    picks = parsed.rows[(None, "tbody")]
    assert len(picks) == 5 and all(re.fullmatch(r"\+[\d,]+ 人", row[2]) for row in picks)
    assert "家门口的家长学校" in html and "社区/村（按常住人口计）" in html and "500 米" in html
    assert re.search(r"生成日期：\d{4}-\d\d-\d\d", html)
    assert t("demo_note", "zh") in html


def test_report_figures_are_the_api_figures(demo_client):
    query = "supply=parent_schools&demand=communities&radius=1000&district=广陵区&supply_where=tier>=demonstration"
    api = demo_client.get(f"/api/coverage?{query}").get_json()["summary"]
    picks = demo_client.get(f"/api/coverage/suggestions?{query}&count=3").get_json()["suggestions"]
    html = demo_client.get(f"/planner/report?{query}&count=3").get_data(as_text=True)
    parsed = tables(html)
    assert [row[0] for row in parsed.rows[("rp-districts", "tbody")]] == ["广陵区"]
    (total,) = parsed.rows[("rp-districts", "tfoot")]
    region = api["region"]
    assert total[0] == "合计"
    assert total[1:] == [f"{region['demand_count']:,}", f"{region['covered_count']:,}",
                         f"{region['demand_weight']:,.0f}", f"{region['covered_weight']:,.0f}",
                         f"{100 * region['covered_share']:.1f}%", f"{region['supply_count']:,}",
                         f"{region['supply_per_10k']:.2f}"]
    assert [row[1].split(" ")[0] for row in parsed.rows[(None, "tbody")]] == [p["name"] for p in picks]
    assert "广陵区覆盖率" in html and "（等级：示范及以上）" in html and "1 公里" in html


def test_report_in_english_with_walking_minutes(demo_client):
    html = demo_client.get("/planner/report?lang=en&demand=schools&minutes=10").get_data(as_text=True)
    assert '<html lang="en">' in html
    parsed = tables(html)
    (total,) = parsed.rows[("rp-districts", "tfoot")]
    assert total[0] == "Region total" and total[1] == "370"
    assert "Schools (weighted by Enrollment)" in html and "10 min walk (about 500 m)" in html
    assert "Covered share, whole region" in html and "Points in the demo region are generated" in html
    assert re.search(r"Generated on \d{4}-\d\d-\d\d", html)


@pytest.mark.parametrize("query, field", [
    ("radius=abc", "radius"),
    ("radius=0", "radius"),
    ("radius=60000", "radius"),
    ("minutes=-5", "minutes"),
    ("radius=500&minutes=10", "radius"),
    ("count=0", "count"),
    ("count=2.5", "count"),
    ("district=nowhere", "district"),
    ("supply=nope", "supply"),
    ("supply=schools", "supply"),
    ("demand=venues", "demand"),
    ("supply_where=nonsense", "supply_where"),
    ("candidates=everywhere", "candidates"),
    ("radus=500", "radus"),
])
def test_report_bad_parameters_are_a_400_page(demo_client, query, field):
    response = demo_client.get(f"/planner/report?{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "<h1>400</h1>" in html and field.split("_")[0] in html


def test_gap_classes():
    assert quantile_breaks([]) == []
    values = [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1234, 5678]
    breaks = quantile_breaks(values)
    assert breaks == sorted(set(breaks)) and len(breaks) == 4
    assert all(len(f"{b:.0f}".rstrip("0")) <= 2 for b in breaks)  # two significant digits
    classes = class_index(values, breaks).tolist()
    assert classes == sorted(classes) and classes[0] == 0 and classes[-1] == len(style.GAP_COLORS) - 1
    # One value: one class, the darkest.
    assert quantile_breaks([42]) == [] and class_index([42], []).tolist() == [4]
    assert [label for _, label in view.gap_legend([1000, 2000], "zh")] == ["< 1,000", "1,000–2,000", "≥ 2,000"]


def test_projection_is_equirectangular_at_the_region_latitude():
    proj = printmap.Projection((119.0, 32.0, 120.0, 33.0), width=600, max_height=2000, pad=0)
    x, y = proj.xy([119.0, 120.0, 119.0], [33.0, 33.0, 32.0])
    assert x[0] == 0 and y[0] == 0
    assert math.isclose((x[1] - x[0]) / (y[2] - y[0]), math.cos(math.radians(32.5)))
    assert math.isclose(proj.metres_per_unit * (x[1] - x[0]), 111_195 * math.cos(math.radians(32.5)), rel_tol=1e-3)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_page_and_the_report_say_the_same(demo_client, lang):
    query = "supply=parent_schools&demand=communities&minutes=17&district=广陵区&count=3"
    data = demo_client.get(f"/api/plan?{query}&lang={lang}").get_json()
    page = data["view"]
    html = demo_client.get(f"/planner/report?{query}&lang={lang}").get_data(as_text=True)
    parsed = tables(html)
    (total,) = parsed.rows[("rp-districts", "tfoot")]
    assert total == page["total"]["cells"]
    assert parsed.rows[("rp-districts", "tbody")] == [row["cells"] for row in page["rows"]]
    assert parsed.rows[("rp-districts", "thead")] == [[label for _, label in page["columns"]]]
    for label, words in page["params"]:
        assert f"<dt>{label}</dt><dd>{words}</dd>" in html
    # A 17-minute walk reads the same everywhere: the one formatter rounds it.
    reach = dict(page["params"])[t("planner_reach", lang)]
    assert ("1.1 公里" if lang == "zh" else "1.1 km") in reach
    assert page["headline"]["share"] in html and page["headline"]["after"] in html
    for value, caption in page["headline"]["kpis"]:
        assert value in html and caption in html
    for pick in page["suggestions"]:
        assert pick["added"] in html and pick["name"] in html
    for element in page["chart"]["elements"]:
        if element["tag"] == "text":
            assert f">{element['text']}</text>" in html


# ---------- in a browser ----------

BUSY = "document.getElementById('pl-results').getAttribute('aria-busy')"
IDLE = f"{BUSY} === 'false'"
# Circle markers on the map (demand and supply dots), from Leaflet itself: they are drawn on a canvas.
DOTS = """() => {
  const map = window[JSON.parse(document.getElementById('pl-config').textContent).map];
  let n = 0;
  map.eachLayer((layer) => { if (layer instanceof L.CircleMarker && !(layer instanceof L.Circle)) n += 1; });
  return n;
}"""


@pytest.fixture
def open_planner(browser, server):
    """``open_planner(path, viewport=DESKTOP)`` -> a page whose first analysis has been drawn."""
    yield from opener(browser, server, "/planner", f"{IDLE} && document.querySelectorAll('#pl-table tbody tr').length > 0")


def after_change(page, url_part: str) -> None:
    """Wait until the analysis for a query holding ``url_part`` has been drawn."""
    page.wait_for_function(f"location.search.includes({json.dumps(url_part)}) && {IDLE}")


def share(page) -> float:
    return float(page.locator("#pl-share").inner_text().rstrip("%"))


def column(page, index: int, part: str = "tbody") -> list[str]:
    return page.locator(f"#pl-table {part} tr td:nth-child({index})").all_inner_texts()


def number(text: str) -> float:
    return float(text.replace(",", "").rstrip("%").strip())


def test_planner_draws_table_chart_map_and_suggestions(open_planner, layer_counts, server):
    page = open_planner()
    assert page.title() == "覆盖规划 · 育人地图"
    assert set(column(page, 1)) == DISTRICTS
    assert column(page, 1, "tfoot") == ["全域合计"]
    assert number(column(page, 2, "tfoot")[0]) == layer_counts["communities"]
    assert sum(number(v) for v in column(page, 2)) == layer_counts["communities"]
    assert page.locator("#pl-chart .pl-bar").count() == 6
    assert page.locator("#pl-chart .pl-ref").count() == 1
    assert "全域" in page.locator("#pl-chart").inner_text()
    # Chart bars are sorted, highest share first.
    widths = page.eval_on_selector_all("#pl-chart .pl-bar", "bars => bars.map((b) => Number(b.getAttribute('width')))")
    assert widths == sorted(widths, reverse=True)
    # Zoomed out on the whole region, the gaps show in the overview's coarser cells.
    coverage = json.load(urlopen(f"{server}/api/coverage?supply=parent_schools&demand=communities&radius=500"))
    gaps = page.locator(".leaflet-pane path.pl-gap").count()
    assert gaps == len(coverage["gaps_overview"]["features"]) < len(coverage["gaps"]["features"])
    assert page.locator("[data-count=gaps]").inner_text() == f"{gaps:,}"
    assert page.locator(".pl-pick").count() == 5
    assert page.locator("#pl-suggestion-list li").count() == 5
    added = page.locator("#pl-suggestion-list .pl-added").all_inner_texts()
    assert all(re.fullmatch(r"\+[\d,]+ 人", text) for text in added)
    assert [number(a[1:-2]) for a in added] == sorted((number(a[1:-2]) for a in added), reverse=True)
    uncovered = number(page.locator("[data-count=uncovered]").inner_text())
    covered = number(page.locator("[data-count=covered]").inner_text())
    assert uncovered + covered == layer_counts["communities"]
    assert covered == number(column(page, 3, "tfoot")[0])
    assert page.evaluate(DOTS) == layer_counts["communities"] + layer_counts["parent_schools"]
    assert page.locator(".pl-demo-note").is_visible()
    assert page.locator(".ym-district-label").count() == len(DISTRICTS)
    shot(page, "planner", full_page=True)


def test_a_wider_radius_raises_the_covered_share(open_planner):
    page = open_planner()
    before = share(page)
    assert page.locator("select[name=radius]").input_value() == "500"
    page.select_option("select[name=radius]", "1000")
    page.wait_for_function(f"{BUSY} === 'true'")
    assert page.locator(".pl-busy").is_visible()
    assert page.locator("#pl-status").inner_text() == "正在计算…"
    after_change(page, "radius=1000")
    assert share(page) > before
    assert page.locator(".pl-busy").is_hidden()
    for link in ("#pl-xlsx", "#pl-gpkg", "#pl-report"):
        query = parse_qs(urlsplit(page.locator(link).get_attribute("href")).query)
        assert query["radius"] == ["1000"] and query["supply"] == ["parent_schools"], link
    assert parse_qs(urlsplit(page.locator("#pl-xlsx").get_attribute("href")).query)["format"] == ["xlsx"]
    assert parse_qs(urlsplit(page.locator("#pl-gpkg").get_attribute("href")).query)["format"] == ["gpkg"]


def test_switching_demand_to_schools_changes_the_table(open_planner, layer_counts):
    page = open_planner()
    assert number(column(page, 2, "tfoot")[0]) == layer_counts["communities"]
    assert "常住人口" in page.locator("#pl-table thead").inner_text()
    page.select_option("select[name=demand]", "schools")
    after_change(page, "demand=schools")
    assert number(column(page, 2, "tfoot")[0]) == layer_counts["schools"]
    assert sum(number(v) for v in column(page, 2)) == layer_counts["schools"]
    headers = page.locator("#pl-table thead th").all_inner_texts()
    assert headers[3].strip() == "在校生数" and headers[4].strip() == "已覆盖在校生数"


def test_more_supply_and_the_tier_filter(open_planner, layer_counts):
    page = open_planner()
    before = share(page)
    page.click(".ym-chip:has(input[value=community_stations])")
    after_change(page, "supply=community_stations%2Cparent_schools")
    assert share(page) > before
    supply = layer_counts["parent_schools"] + layer_counts["community_stations"]
    assert number(column(page, 7, "tfoot")[0]) == supply
    page.click(".ym-chip:has(input[value=community_stations])")
    after_change(page, "supply=parent_schools&")
    page.select_option("select[name=supply_where]", "tier>=demonstration")
    after_change(page, "supply_where=tier")
    assert share(page) < before
    kept = number(page.locator("#pl-supply-count b").inner_text())
    assert 0 < kept < layer_counts["parent_schools"]
    # The map shows the same supply the analysis counted.
    assert page.evaluate(DOTS) == layer_counts["communities"] + kept
    # The tier filter is for parent schools only.
    page.click(".ym-chip:has(input[value=parent_schools])")
    # Nothing chosen: the page says so by the supply choices and asks the server nothing.
    error = page.locator("#pl-error")
    error.wait_for()
    assert t("planner_supply_none", "zh") in error.inner_text()
    assert "is-invalid" in page.locator("#pl-supply").get_attribute("class")
    page.click(".ym-chip:has(input[value=venues])")
    after_change(page, "supply=venues&")
    assert page.locator("select[name=supply_where]").is_disabled()  # no level of venues is ranked
    assert "supply_where" not in page.evaluate("location.search")


def test_sorting_a_column_reorders_the_rows(open_planner):
    page = open_planner()
    share_header = page.locator("#pl-table th[data-key=covered_share]")
    share_header.locator("button").click()
    assert share_header.get_attribute("aria-sort") == "ascending"
    shares = [number(v) for v in column(page, 6)]
    assert shares == sorted(shares)
    share_header.locator("button").click()
    assert share_header.get_attribute("aria-sort") == "descending"
    assert [number(v) for v in column(page, 6)] == sorted(shares, reverse=True)
    page.locator("#pl-table th[data-key=demand_weight] button").click()
    assert share_header.get_attribute("aria-sort") is None
    weights = [number(v) for v in column(page, 4)]
    assert weights == sorted(weights)
    assert column(page, 1, "tfoot") == ["全域合计"]  # the total stays at the bottom
    # The order survives a new analysis.
    page.select_option("select[name=radius]", "300")
    after_change(page, "radius=300")
    weights = [number(v) for v in column(page, 4)]
    assert weights == sorted(weights)


def test_suggested_sites_on_the_map_and_in_the_list(open_planner):
    page = open_planner()
    page.fill("input[name=count]", "3")
    page.press("input[name=count]", "Enter")
    after_change(page, "count=3")
    assert page.locator(".pl-pick").count() == 3
    first = page.locator("#pl-suggestion-list .pl-suggestion").first
    name = first.locator(".pl-suggestion-name").inner_text()
    first.hover()
    assert page.locator(".pl-pick.is-active").inner_text() == "1"
    first.click()
    popup = page.locator(".leaflet-popup")
    popup.wait_for()
    assert popup.locator("h3").inner_text() == name
    assert re.search(r"\+[\d,]+ 人", popup.inner_text()) and "覆盖率升至" in popup.inner_text()
    assert page.locator(".pl-pick").first.inner_text() == "1"


def test_layers_toggle(open_planner, layer_counts):
    page = open_planner()
    dots = page.evaluate(DOTS)
    covered = number(page.locator("[data-count=covered]").inner_text())
    page.uncheck(".pl-legend input[data-layer=covered]")
    assert page.evaluate(DOTS) == dots - covered
    page.uncheck(".pl-legend input[data-layer=supply]")
    assert page.evaluate(DOTS) == dots - covered - layer_counts["parent_schools"]
    page.uncheck(".pl-legend input[data-layer=gaps]")
    assert page.locator(".leaflet-pane path.pl-gap").count() == 0
    page.uncheck(".pl-legend input[data-layer=suggestions]")
    assert page.locator(".pl-pick").count() == 0
    # Switched-off layers stay off through a new analysis, and come back when asked.
    page.select_option("select[name=radius]", "1000")
    after_change(page, "radius=1000")
    assert page.locator(".pl-pick").count() == 0
    page.check(".pl-legend input[data-layer=suggestions]")
    assert page.locator(".pl-pick").count() == 5
    page.check(".pl-legend input[data-layer=covered]")
    assert page.evaluate(DOTS) == layer_counts["communities"]


def test_one_district(open_planner, server):
    page = open_planner()
    page.select_option("select[name=district]", "广陵区")
    after_change(page, "district=")
    assert column(page, 1) == ["广陵区"] and column(page, 1, "tfoot") == ["合计"]
    assert page.locator("#pl-share-label").inner_text() == "广陵区覆盖率"
    assert page.locator("#pl-chart .pl-bar").count() == 1
    # The map zooms in on the district (Leaflet starts the zoom on the next animation frame).
    page.wait_for_function("window[JSON.parse(document.getElementById('pl-config').textContent).map].getZoom() >= 10")
    # Close enough to see them, the analysis' own cells replace the overview's.
    coverage = json.load(urlopen(f"{server}/api/coverage?supply=parent_schools&demand=communities&radius=500"
                                 f"&district={quote('广陵区')}"))
    fine = len(coverage["gaps"]["features"])
    assert len(coverage["gaps_overview"]["features"]) < fine
    # Zoom in (again until it holds: Leaflet drops a zoom asked for during the fit's animation).
    page.wait_for_function(f"""() => {{
      const map = window[JSON.parse(document.getElementById('pl-config').textContent).map];
      if (map.getZoom() < 14) map.setZoom(14, {{animate: false}});
      return document.querySelector('[data-count=gaps]').textContent === '{fine:,}';
    }}""")
    assert page.locator(".leaflet-pane path.pl-gap").count() > 0  # those in view


def test_a_district_picked_on_the_map_table_or_chart_is_picked_everywhere(open_planner):
    page = open_planner()
    zoom = "window[JSON.parse(document.getElementById('pl-config').textContent).map].getZoom()"
    region_zoom = page.evaluate(zoom)
    # The districts are coloured by covered share, the region's in the middle of the scale.
    assert page.locator("path.pl-share").count() == len(DISTRICTS)
    legend = page.locator(".pl-legend").inner_text()
    assert f"全域 {page.locator('#pl-share').inner_text()} 居中" in legend
    page.locator("#pl-table tbody tr[data-district='江都区']").click()
    assert page.locator("#pl-table tbody tr.is-selected").get_attribute("data-district") == "江都区"
    assert page.locator("#pl-chart .pl-bar.is-selected").get_attribute("data-district") == "江都区"
    page.wait_for_function(f"{zoom} > {region_zoom}")
    page.locator("#pl-chart .pl-bar[data-district='宝应县']").dispatch_event("click")
    assert page.locator("#pl-table tbody tr.is-selected").get_attribute("data-district") == "宝应县"
    # On the map: a click on a district's colour picks it.
    page.locator("path.pl-share").nth(0).dispatch_event("click")
    picked = page.locator("#pl-table tbody tr.is-selected")
    assert picked.count() == 1 and picked.get_attribute("data-district") in DISTRICTS
    # Clicking the picked one again lets it go.
    picked.click()
    assert page.locator("#pl-table tbody tr.is-selected").count() == 0
    assert page.locator("#pl-chart .pl-bar.is-selected").count() == 0


def test_suggested_sites_stay_readable_at_any_zoom(open_planner):
    page = open_planner("/planner?supply=parent_schools&demand=schools&minutes=10&district=广陵区"
                        "&supply_where=tier>=demonstration")
    zoom = "window[JSON.parse(document.getElementById('pl-config').textContent).map]"
    for level in (9, 11, 13):
        page.evaluate(f"{zoom}.setZoom({level}, {{animate: false}}) && null")
        page.wait_for_timeout(200)
        boxes = [page.locator(".pl-pick").nth(i).bounding_box() for i in range(page.locator(".pl-pick").count())]
        assert len(boxes) == 5
        centres = [(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2) for b in boxes]
        closest = min(math.dist(a, b) for i, a in enumerate(centres) for b in centres[i + 1:])
        assert closest >= 24, (level, closest)


def test_what_if_sites_closures_and_a_comparison(open_planner, server):
    page = open_planner("/planner?district=广陵区")
    before = share(page)
    # Start from the suggestions: the covered share becomes what the suggestions promised.
    promised = page.locator("#pl-after").inner_text()
    page.click("#pl-take-suggestions")
    after_change(page, "add=")
    assert page.locator(".pl-new-site").count() == 5 and page.locator(".pl-scenario-site").count() == 5
    assert share(page) > before and f"{share(page):.1f}%" in promised
    # Drop one, add one by clicking the map, drag another: each time the figures follow.
    page.locator(".pl-scenario-site button").first.click()
    after_change(page, "add=")
    page.wait_for_function("document.querySelectorAll('.pl-new-site').length === 4")
    page.click("#pl-add-mode")
    box = page.locator("#pl-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.55)
    page.wait_for_function("document.querySelectorAll('.pl-new-site').length === 5")
    page.wait_for_function(IDLE)
    site = page.locator(".pl-new-site").first.bounding_box()
    start = page.evaluate("location.search")
    page.mouse.move(site["x"] + 13, site["y"] + 13)
    page.mouse.down()
    page.mouse.move(site["x"] + 80, site["y"] + 60, steps=8)
    page.mouse.up()
    page.wait_for_function(f"location.search !== {json.dumps(start)} && {IDLE}")
    added = parse_qs(urlsplit(page.url).query)["add"][0].split(";")
    assert len(added) == 5
    # Take a supply point as closed from its popup, then keep the what-if as scenario A.
    page.click("#pl-add-mode")
    page.evaluate("""() => {
      const map = window[JSON.parse(document.getElementById('pl-config').textContent).map];
      map.eachLayer((layer) => { if (layer instanceof L.CircleMarker && !(layer instanceof L.Circle)
        && layer.options.fillOpacity === 0.7 && !window.__opened) { window.__opened = true; layer.openPopup(); } });
    }""")
    page.click(".pl-take-closed")
    after_change(page, "close=")
    assert page.locator(".pl-scenario-closed").count() == 1 and page.locator(".pl-closed-site").count() == 1
    page.click("#pl-save-a")
    page.locator("#pl-compare").wait_for()
    page.click("#pl-clear-scenario")
    after_change(page, "a_add=")
    page.wait_for_function("document.querySelectorAll('.pl-new-site').length === 0")
    compare = page.locator("#pl-compare")
    compare.locator("tbody tr").first.wait_for()
    heads = compare.locator(".pl-compare-share").all_inner_texts()
    assert heads[1] == page.locator("#pl-share").inner_text()  # B is what the page shows now: no changes
    assert float(heads[0].rstrip("%")) > float(heads[1].rstrip("%"))
    (total,) = compare.locator("tfoot tr").all()
    assert "个百分点" in total.inner_text() and total.locator("td").nth(3).inner_text().startswith("-")
    # The comparison has an address: reloading it brings back both scenarios.
    page.reload()
    page.wait_for_function(f"{IDLE} && !document.getElementById('pl-compare').hidden")
    assert page.locator("#pl-compare .pl-compare-share").all_inner_texts() == heads
    # Each scenario prints on its own page, with its sites on the map.
    report_a = page.locator("#pl-compare [data-report=a]").get_attribute("href")
    html = urlopen(server + report_a).read().decode()
    assert html.count('class="rp-new-site"') == 5 and 'class="rp-closed"' in html and "新增 5 处、关闭 1 处" in html


def test_walking_minutes(open_planner):
    page = open_planner()
    page.click(".pl-segmented label:has(input[value=minutes])")
    assert page.locator("input[name=minutes]").is_visible() and page.locator("select[name=radius]").is_hidden()
    after_change(page, "minutes=10")
    assert "radius=" not in page.evaluate("location.search")
    ten = share(page)
    page.fill("input[name=minutes]", "15")
    page.press("input[name=minutes]", "Enter")
    after_change(page, "minutes=15")
    assert share(page) > ten


def test_api_errors_are_shown_next_to_the_form(open_planner):
    open_planner.allowed.append("the server responded with a status of 400")
    page = open_planner()
    page.select_option("select[name=radius]", "custom")
    page.fill("input[name=radius_custom]", "0")
    page.press("input[name=radius_custom]", "Enter")
    error = page.locator("#pl-error")
    error.wait_for()
    assert error.inner_text() == "无法计算：半径应大于 0，且不超过 50000。"
    assert "is-invalid" in page.locator("#pl-radius-custom").get_attribute("class")
    assert page.locator("input[name=radius_custom]").get_attribute("aria-invalid") == "true"
    assert "is-stale" in page.locator("#pl-results").get_attribute("class")
    # A good value clears the error.
    page.fill("input[name=radius_custom]", "800")
    page.press("input[name=radius_custom]", "Enter")
    after_change(page, "radius=800")
    assert error.is_hidden() and page.locator(".is-invalid").count() == 0
    assert "is-stale" not in page.locator("#pl-results").get_attribute("class")


def test_english(open_planner):
    page = open_planner()
    page.select_option("select[name=radius]", "1000")
    after_change(page, "radius=1000")
    page.click("#pl-lang")
    page.wait_for_url("**/planner?*lang=en*")
    page.wait_for_function(f"{IDLE} && document.querySelectorAll('#pl-table tbody tr').length > 0")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("select[name=radius]").input_value() == "1000"  # the query came along
    assert page.locator("#pl-share-label").inner_text() == "Covered share, whole region"
    assert column(page, 1, "tfoot") == ["Region total"]
    assert page.locator("#pl-table thead th").first.inner_text().strip() == "District"
    assert "Region" in page.locator("#pl-chart").inner_text()
    assert re.fullmatch(r"\+[\d,]+ people", page.locator("#pl-suggestion-list .pl-added").first.inner_text())


def test_print_report_opens_the_report(open_planner):
    page = open_planner()
    page.select_option("select[name=radius]", "1000")
    after_change(page, "radius=1000")
    with page.context.expect_page() as opened:
        page.click("#pl-report")
    report = opened.value
    open_planner.watch(report)
    report.wait_for_load_state()
    assert urlsplit(report.url).path == "/planner/report"
    assert parse_qs(urlsplit(report.url).query)["radius"] == ["1000"]
    assert report.locator("#rp-districts tbody tr").count() == 6
    assert report.locator("#rp-share").inner_text() == page.locator("#pl-share").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    report.pdf(path=str(ARTIFACTS / "planner-report.pdf"), prefer_css_page_size=True, print_background=True)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", (ARTIFACTS / "planner-report.pdf").read_bytes()))
    assert pages == 1, "the report prints on one A4 page"
    report.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    report.emulate_media(media="print")
    report.screenshot(path=str(ARTIFACTS / "planner-report.png"), full_page=True)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_report_prints_on_one_a4_page(browser, server, lang):
    page = browser.new_page()
    problems = []
    page.on("console", lambda msg: msg.type == "error" and problems.append(msg.text))
    try:
        for district in ["", *sorted(DISTRICTS)]:
            page.goto(f"{server}/planner/report?lang={lang}&district={quote(district)}")
            pdf = page.pdf(prefer_css_page_size=True, print_background=True)
            assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1, (lang, district or "region")
            # Every district name drawn on the map lies wholly inside it.
            inside = page.evaluate("""() => {
              const map = document.querySelector('.rp-map').getBoundingClientRect();
              return [...document.querySelectorAll('.rp-map-label')].every((label) => {
                const box = label.getBoundingClientRect();
                return box.left >= map.left && box.right <= map.right && box.top >= map.top && box.bottom <= map.bottom;
              });
            }""")
            assert inside, (lang, district)
    finally:
        page.close()
    assert problems == []


def test_phone(open_planner):
    page = open_planner("/planner", viewport=PHONE, is_mobile=True, has_touch=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "nothing sticks out sideways"
    box = page.locator("#pl-map").bounding_box()
    assert box["width"] <= PHONE["width"] and box["height"] >= 300
    for selector in ("select[name=demand]", "select[name=radius]", "input[name=count]", "#pl-report", "#pl-xlsx"):
        assert page.locator(selector).bounding_box()["height"] >= 40, selector
    shot(page, "planner-phone", full_page=True)
