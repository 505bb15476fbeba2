"""The map page in a real browser: Debian's chromium driven by Playwright over a live server.

The server (conftest.py) runs in a thread on 127.0.0.1 over a GeoPackage holding the demo region.
Every test fails if the page logs a console error or asks anything of a host other than the
server (browsing.py). Screenshots go to test-artifacts/.
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from urllib.parse import parse_qs, urlencode, urlsplit
from urllib.request import urlopen

import pytest
from browsing import PHONE, opener, shot

CITY_CENTRE = (32.394, 119.425)  # lat, lon: central Yangzhou, where the demo points are dense
SUPPLY = ("venues", "practice_bases", "community_stations", "parent_schools")


@pytest.fixture
def open_page(browser, server):
    """``open_page(path, viewport=DESKTOP, **context options)`` -> a loaded page with its markers."""
    # Every supply layer is on by default: the legend lists each once it has loaded.
    yield from opener(browser, server, "/", f"document.querySelectorAll('.ym-legend-row').length === {len(SUPPLY)}")


# Where on screen a point of the map is, nudged off any marker so a click lands on the map itself.
FREE_SPOT = """([lat, lon, zoom]) => {
  const map = window[JSON.parse(document.getElementById('ym-config').textContent).map];
  if (zoom) map.setView([lat, lon], zoom, {animate: false});
  const box = map.getContainer().getBoundingClientRect();
  const p = map.latLngToContainerPoint([lat, lon]);
  for (let d = 0; d < 240; d += 4) {
    for (const [dx, dy] of [[d, 0], [-d, 0], [0, d], [0, -d], [d, d], [-d, -d], [d, -d], [-d, d]]) {
      const x = box.left + p.x + dx, y = box.top + p.y + dy;
      const hit = document.elementFromPoint(x, y);
      if (hit && map.getContainer().contains(hit)
          && !hit.closest('.leaflet-marker-icon, .leaflet-control, .leaflet-popup')) return [x, y];
    }
  }
  return null;
}"""

# Markers the map shows: single pins plus the markers inside each cluster icon.
SHOWN_MARKERS = """() => [...document.querySelectorAll('.ym-cluster b')].reduce((n, b) => n + Number(b.textContent), 0)
  + document.querySelectorAll('.ym-pin').length"""


def click_map(page, lat: float, lon: float, zoom: int | None = 14) -> None:
    """Click free map near the point; on a slow machine a cluster may still be moving under the
    cursor (the click then zooms instead), so click again until the search circle appears."""
    spot = page.evaluate(FREE_SPOT, [lat, lon, zoom])
    assert spot, "no free spot on the map near the point"
    for _ in range(4):
        page.wait_for_timeout(400)  # let the clusters settle at the new zoom
        spot = page.evaluate(FREE_SPOT, [lat, lon, None])
        page.mouse.click(*spot)
        try:
            page.wait_for_selector(".ym-here", timeout=5000)
            return
        except Exception as exc:  # playwright's TimeoutError; the module is imported lazily
            if type(exc).__name__ != "TimeoutError":
                raise
    raise AssertionError("a click on the map did not start a search")


def wait_for_results(page) -> list:
    page.wait_for_selector("#ym-results li")
    page.wait_for_function("!document.getElementById('ym-results').hasAttribute('aria-busy')")
    return page.locator("#ym-results li").all()


def test_page_loads_everything_from_the_server(open_page, layer_counts):
    page = open_page("/")
    assert page.title() == "育人地图"
    page.wait_for_function(f"({SHOWN_MARKERS})() === {sum(layer_counts[i] for i in SUPPLY)}")
    # District boundaries and their names are the base map when no tiles are configured.
    assert page.locator(".ym-district-label").count() == layer_counts["districts"]
    assert page.locator("#ym-demo-note").is_visible()
    shot(page, "map-overview")


def test_layers_toggle(open_page, layer_counts):
    """One model of what a family looks for: a chip shows its layer on the map and searches it, and
    a hidden layer's features do not come back from the search (defect 10)."""
    page = open_page("/?lang=en")
    total = sum(layer_counts[i] for i in SUPPLY)
    page.wait_for_function(f"({SHOWN_MARKERS})() === {total}")
    assert page.locator(".ym-layer:has(input[value=parent_schools])").count() == 0  # no second switch
    legend = page.locator(".ym-legend-row")
    page.click(".ym-chip:has(input[value=parent_schools])")
    page.wait_for_function(f"({SHOWN_MARKERS})() === {total - layer_counts['parent_schools']}")
    assert legend.all_inner_texts() == ["Public venues", "Study-tour & practice bases", "Community stations"]
    page.click(".ym-chip:has(input[value=parent_schools])")
    page.wait_for_function(f"({SHOWN_MARKERS})() === {total}")
    # Demand layers are off until asked for, then load on demand.
    page.click(".ym-layer:has(input[value=schools])")
    page.wait_for_function(f"({SHOWN_MARKERS})() === {total + layer_counts['schools']}")
    assert legend.all_inner_texts()[-1] == "Schools"
    page.click(".ym-layer:has(input[value=schools])")
    click_map(page, *CITY_CENTRE)
    wait_for_results(page)
    page.click(".ym-chip:has(input[value=parent_schools])")
    page.wait_for_function("!document.getElementById('ym-results').hasAttribute('aria-busy')")
    kinds = page.locator("#ym-results .ym-result-meta > span:first-child").all_inner_texts()
    assert kinds and "Doorstep parent schools" not in kinds and set(kinds) <= set(legend.all_inner_texts())


def test_map_click_lists_nearby_places_by_distance(open_page):
    page = open_page("/")
    click_map(page, *CITY_CENTRE)
    rows = wait_for_results(page)
    assert len(rows) > 3
    distances = [float(row.get_attribute("data-distance")) for row in rows]
    assert distances == sorted(distances)
    assert distances[-1] <= 1000  # the default radius
    assert page.locator(".ym-rpin").count() == len(rows)
    assert "1 公里内找到" in page.locator("#ym-status").inner_text()
    first = rows[0].inner_text()
    assert "米" in first and "步行约" in first and "分钟" in first
    # The search circle is drawn around the clicked point.
    assert page.locator(".leaflet-overlay-pane path").count() >= 1
    shot(page, "map-nearby-results")


def test_hovering_a_result_highlights_its_marker_and_clicking_opens_its_popup(open_page):
    page = open_page("/")
    click_map(page, *CITY_CENTRE)
    rows = wait_for_results(page)
    name = rows[1].locator(".ym-result-name").inner_text()
    rows[1].hover()
    assert page.locator(".ym-rpin.is-active").inner_text() == "2"
    rows[1].click()
    popup = page.locator(".leaflet-popup")
    popup.wait_for()
    assert popup.locator(".ym-popup-title").inner_text() == name
    assert popup.locator(".ym-facts dt").count() >= 2
    assert popup.locator(".ym-generated").inner_text() == "示例数据（生成，非真实场所）"
    links = popup.locator("a.ym-nav-link")
    assert links.all_inner_texts() == ["高德地图", "百度地图"]
    assert urlsplit(links.nth(0).get_attribute("href")).hostname == "uri.amap.com"
    assert urlsplit(links.nth(1).get_attribute("href")).hostname == "api.map.baidu.com"
    assert {links.nth(i).get_attribute("target") for i in range(2)} == {"_blank"}
    shot(page, "map-result-popup")


def test_clicking_a_layer_marker_loads_its_popup(open_page):
    page = open_page("/")
    page.evaluate(FREE_SPOT, [*CITY_CENTRE, 17])  # no clustering from zoom 17 on
    page.wait_for_selector(".ym-pin")
    page.wait_for_timeout(400)  # markercluster's zoom animation
    nearest = page.evaluate("""() => {
      const box = document.querySelector('.folium-map').getBoundingClientRect();
      const cx = box.left + box.width / 2, cy = box.top + box.height / 2;
      const centres = [...document.querySelectorAll('.ym-pin')].map((pin) => pin.getBoundingClientRect())
        .map((r) => [r.left + r.width / 2, r.top + r.height / 2]);
      centres.sort((a, b) => Math.hypot(a[0] - cx, a[1] - cy) - Math.hypot(b[0] - cx, b[1] - cy));
      return centres[0];
    }""")
    page.mouse.click(*nearest)
    page.wait_for_selector(".leaflet-popup .ym-popup-title")
    assert page.locator(".leaflet-popup .ym-nav-link").count() == 2


def test_filters_narrow_the_search(open_page):
    page = open_page("/?lang=en")
    page.select_option("select[name=radius]", "5000")
    page.select_option("select[name=category]", "museum")
    click_map(page, *CITY_CENTRE, zoom=None)
    rows = wait_for_results(page)
    assert rows and all(row.locator(".ym-kind").inner_text() == "Museum" for row in rows)
    assert "within 5 km" in page.locator("#ym-status").inner_text()
    page.check("input[name=free]")
    page.wait_for_function("!document.getElementById('ym-results').hasAttribute('aria-busy')")
    assert all(row.locator(".ym-free").inner_text() == "Free" for row in page.locator("#ym-results li").all())
    page.select_option("select[name=open]", "saturday")
    page.wait_for_function("!document.getElementById('ym-results').hasAttribute('aria-busy')")
    page.select_option("select[name=open]", "custom")
    assert page.locator("input[name=open_custom]").is_visible()


def test_a_filter_that_the_chosen_layers_lack_is_disabled_never_an_error(open_page):
    """Defect 1: 博物馆 chosen, then 公共场馆 unticked: the category no longer applies."""
    page = open_page("/")
    click_map(page, *CITY_CENTRE)
    wait_for_results(page)
    page.select_option("select[name=category]", "museum")
    page.wait_for_function("!document.getElementById('ym-results').hasAttribute('aria-busy')")
    page.click(".ym-chip:has(input[value=venues])")
    page.wait_for_function("!document.getElementById('ym-results').hasAttribute('aria-busy')")
    assert page.locator("select[name=category]").is_disabled()
    assert "is-error" not in (page.locator("#ym-status").get_attribute("class") or "")
    assert page.locator("#ym-results li").count() > 0
    page.select_option("select[name=radius]", "3000")  # and later changes still work
    page.wait_for_function("!document.getElementById('ym-results').hasAttribute('aria-busy')")
    assert "3 公里内找到" in page.locator("#ym-status").inner_text()
    page.click(".ym-chip:has(input[value=venues])")
    assert page.locator("select[name=category]").is_enabled()


def searched_at_the_centre(open_page):
    """A page that searched from the city centre, and the list of /api/nearby URLs it asks from then on."""
    page = open_page("/")
    asked = []
    page.on("request", lambda request: "/api/nearby?" in request.url and asked.append(request.url))
    click_map(page, *CITY_CENTRE)
    wait_for_results(page)
    return page, asked


def test_a_preset_sets_every_filter_and_shows_it_is_active(open_page):
    """Defect 6: a one-tap search does not inherit a grade, radius or category from before."""
    page, asked = searched_at_the_centre(open_page)
    page.click("#ym-preset-museum_saturday")
    page.wait_for_function("document.getElementById('ym-preset-museum_saturday').getAttribute('aria-pressed') === 'true'")
    page.select_option("select[name=grade]", "5")
    page.wait_for_function("document.getElementById('ym-preset-museum_saturday').getAttribute('aria-pressed') === 'false'")
    page.click("#ym-preset-parent_schools")
    page.wait_for_function("!document.getElementById('ym-results').hasAttribute('aria-busy')")
    page.wait_for_function("() => document.querySelectorAll('#ym-results li').length > 0")
    query = parse_qs(urlsplit(asked[-1]).query)
    assert query["layers"] == ["parent_schools"] and query["radius"] == ["1000"]
    assert not {"grade", "category", "open_at", "free"} & set(query)
    assert page.locator("#ym-preset-parent_schools").get_attribute("aria-pressed") == "true"
    assert page.locator("#ym-preset-museum_saturday").get_attribute("aria-pressed") == "false"
    assert page.locator(".ym-legend-row").all_inner_texts() == ["家门口的家长学校"]


def test_api_errors_are_shown(open_page):
    open_page.allowed.append("the server responded with a status of 400")
    page = open_page("/?lang=en")
    message = "radius must be more than 0 and at most 50000."
    page.route("**/api/nearby?*", lambda route: route.fulfill(
        status=400, content_type="application/json",
        body=json.dumps({"error": {"status": 400, "code": "above_min", "message": message, "field": "radius"}})))
    click_map(page, *CITY_CENTRE)
    page.wait_for_selector("#ym-status.is-error")
    assert page.locator("#ym-status").inner_text() == message
    assert page.locator("#ym-results li").count() == 0


def test_no_english_system_text_reaches_a_chinese_page(open_page):
    """The API words its errors in the page's language; what the browser says itself (a refused
    location, a failed fetch) the page says from its catalogue."""
    open_page.allowed += ["the server responded with a status of 400", "Failed to load resource"]
    page = open_page("/")  # no geolocation permission: the browser refuses ("User denied Geolocation")
    page.locator("#ym-locate").click()
    page.wait_for_selector("#ym-status.is-error")
    assert page.locator("#ym-status").inner_text().startswith("未获准使用位置")
    # The server's own refusal, in Chinese: the page passes it on as it is.
    page.route("**/api/nearby?*", lambda route: route.continue_(url=re.sub(r"radius=\d+", "radius=0",
                                                                           route.request.url)))
    click_map(page, *CITY_CENTRE)
    page.wait_for_selector("#ym-status.is-error")
    assert page.locator("#ym-status").inner_text() == "半径应大于 0，且不超过 50000。"
    page.unroute("**/api/nearby?*")
    page.route("**/api/nearby?*", lambda route: route.abort())
    click_map(page, CITY_CENTRE[0] + 0.01, CITY_CENTRE[1], zoom=None)
    page.wait_for_function("document.getElementById('ym-status').textContent.startsWith('无法连接服务器')")
    page.route("**/api/places?*", lambda route: route.abort())
    page.fill("#ym-place", "东关")
    page.wait_for_selector(".ym-place-none")
    assert page.locator(".ym-place-none").inner_text() == "无法连接服务器，请检查网络后重试。"


def test_free_museum_open_on_saturday_morning_in_two_taps_on_a_phone(open_page, server):
    page = open_page("/", viewport=PHONE, is_mobile=True, has_touch=True,
                     geolocation={"latitude": CITY_CENTRE[0], "longitude": CITY_CENTRE[1]}, permissions=["geolocation"])
    asked = []
    page.on("request", lambda request: "/api/nearby?" in request.url and asked.append(request.url))
    page.locator("#ym-panel-toggle").tap()  # 1
    page.locator("#ym-preset-museum_saturday").tap()  # 2
    rows = wait_for_results(page)
    query = parse_qs(urlsplit(asked[-1]).query)
    assert query["category"] == ["museum"] and query["free"] == ["true"] and query["layers"] == ["venues"]
    assert query["open_at"][0].endswith("T10:00:00")
    assert datetime.fromisoformat(query["open_at"][0]).weekday() == 5  # a Saturday
    assert rows and all(row.locator(".ym-kind").inner_text() == "博物馆" for row in rows)
    assert all(row.locator(".ym-free").inner_text() == "免费" for row in rows)
    # The first is the nearest such museum: what the API says for the same question.
    with urlopen(f"{server}/api/nearby?{urlencode({k: v[0] for k, v in query.items()})}") as response:
        nearest = json.load(response)["features"][0]["properties"]["name"]
    assert rows[0].locator(".ym-result-name").inner_text() == nearest
    assert page.locator("#ym-panel").is_visible()
    # Two taps end with the answer in view: the status line and the first result, unscrolled (defect 5).
    page.wait_for_timeout(600)  # the sheet's smooth scroll
    in_view(page, "#ym-status")
    in_view(page, "#ym-results li:first-child")
    shot(page, "phone-museum-saturday")


def in_view(page, selector: str) -> None:
    """``selector``'s element lies wholly within the viewport (no scrolling needed to see it)."""
    box = page.locator(selector).first.bounding_box()
    size = page.viewport_size
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= size["height"] + 1, (selector, box, size)
    assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"] + 1, (selector, box, size)


def place_chosen_on_a_phone(open_page, text: str):
    """A 375 px page on which ``text`` was typed in the place search and the first place tapped."""
    page = open_page("/", viewport=PHONE, is_mobile=True, has_touch=True)
    page.locator("#ym-panel-toggle").tap()
    page.fill("#ym-place", text)
    page.wait_for_selector("#ym-place-list .ym-place")
    page.locator("#ym-place-list .ym-place").first.tap()
    wait_for_results(page)
    return page


def test_choosing_a_place_on_a_phone_ends_with_the_answer_in_view(open_page):
    page = place_chosen_on_a_phone(open_page, "东关")
    page.wait_for_timeout(600)
    in_view(page, "#ym-status")
    in_view(page, "#ym-results li:first-child")


MAP_OF = "window[JSON.parse(document.getElementById('ym-config').textContent).map]"


def test_a_popup_near_the_top_right_keeps_its_close_button_clear_of_the_zoom_control(open_page):
    """Defect 2: at zoom 16 a popup's × sat under the zoom control; clicking it zoomed in."""
    page = open_page("/")
    click_map(page, *CITY_CENTRE, zoom=16)
    wait_for_results(page)
    # Put result 1 near the top right corner, left of the zoom control, and click its pin.
    spot = page.evaluate(f"""() => {{
      const map = {MAP_OF};
      const pin = document.querySelector('.ym-rpin');
      const box = pin.getBoundingClientRect(), size = map.getSize(), frame = map.getContainer().getBoundingClientRect();
      const x = box.left + box.width / 2 - frame.left, y = box.top + box.height / 2 - frame.top;
      map.panBy([x - (size.x - 90), y - 40], {{animate: false}});
      const moved = pin.getBoundingClientRect();
      return [moved.left + moved.width / 2, moved.top + moved.height / 2];
    }}""")
    page.mouse.click(*spot)
    page.wait_for_selector(".leaflet-popup .ym-popup-title")
    page.wait_for_timeout(400)  # the autopan
    close = page.locator(".leaflet-popup-close-button").bounding_box()
    zoom = page.locator(".leaflet-control-zoom").bounding_box()
    before = page.evaluate(f"{MAP_OF}.getZoom()")
    apart = (close["x"] >= zoom["x"] + zoom["width"] or close["x"] + close["width"] <= zoom["x"]
             or close["y"] >= zoom["y"] + zoom["height"] or close["y"] + close["height"] <= zoom["y"])
    assert apart, (close, zoom)
    page.locator(".leaflet-popup-close-button").click()
    page.wait_for_selector(".leaflet-popup", state="detached")
    assert page.evaluate(f"{MAP_OF}.getZoom()") == before


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_popup_opened_from_a_result_shows_its_title(open_page, viewport):
    """Defect 3: en, 5 km, museum, result 1: the popup panned while it said "Loading…" and its title
    ended under the bar."""
    options = {"viewport": PHONE, "is_mobile": True, "has_touch": True} if viewport == "phone" else {}
    page = open_page("/?lang=en&r=5000&category=museum&lat=32.394&lon=119.425", **options)
    if viewport == "phone":
        page.wait_for_selector("#ym-badge:not([hidden])")
        page.locator("#ym-panel-toggle").tap()
        page.wait_for_timeout(400)
        wait_for_results(page)[0].locator("button").tap()
    else:
        wait_for_results(page)[0].locator("button").click()
    page.wait_for_selector(".leaflet-popup .ym-popup-title")
    page.wait_for_timeout(600)
    title = page.locator(".leaflet-popup .ym-popup-title").bounding_box()
    frame = page.locator(".ym-map").bounding_box()
    assert title["y"] >= frame["y"] and title["y"] + title["height"] <= frame["y"] + frame["height"], (title, frame)
    if viewport == "phone":  # the sheet reopened covers the map: the popup closes rather than hide under it
        page.locator("#ym-panel-toggle").tap()
        page.wait_for_selector(".leaflet-popup", state="detached")


def test_result_one_is_not_hidden_by_the_search_point_and_pins_do_not_pile_up(open_page):
    """Defect 4."""
    page = open_page("/")
    click_map(page, *CITY_CENTRE)
    wait_for_results(page)
    page.wait_for_timeout(300)
    z = page.evaluate(f"() => [{MAP_OF}.getPane('ym-results').style.zIndex, {MAP_OF}.getPane('ym-here').style.zIndex]")
    assert int(z[0]) > int(z[1])
    # What shows at result 1's place is its pin, whatever else (the search point) lies there.
    on_top = page.evaluate("""() => {
      const disc = document.querySelector('.ym-rpin span');
      const box = disc.getBoundingClientRect();
      const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
      return hit && hit.closest('.ym-rpin') !== null;
    }""")
    assert on_top
    centres = page.evaluate("""() => [...document.querySelectorAll('.ym-rpin span')].map((s) => {
      const b = s.getBoundingClientRect(); return [b.left + b.width / 2, b.top + b.height / 2]; })""")
    close = [(a, b) for i, a in enumerate(centres) for b in centres[i + 1:]
             if abs(a[0] - b[0]) < 12 and abs(a[1] - b[1]) < 12]
    assert close == [], "a numbered pin lies under another"


def test_place_search_starts_a_search_there(open_page):
    page = open_page("/")
    page.fill("#ym-place", "东关")
    page.wait_for_selector("#ym-place-list .ym-place")
    first = page.locator("#ym-place-list .ym-place-name").first.inner_text()
    assert "东关" in first
    page.press("#ym-place", "Enter")
    wait_for_results(page)
    assert page.locator("#ym-status").inner_text().startswith(first)
    assert page.locator("#ym-place-list").is_hidden()


def test_an_address_with_its_number_is_found_and_searched_from(open_page):
    page = open_page("/")
    page.fill("#ym-place", "兴城南路51号")
    page.wait_for_selector("#ym-place-list .ym-place")
    groups = page.locator("#ym-place-list .ym-place-group").all_inner_texts()
    assert "地址" in groups
    at = page.locator("#ym-place-list .ym-place", has=page.locator(".ym-place-note", has_text="兴城南路51号"))
    assert at.count() == 2
    name = at.first.locator(".ym-place-name").inner_text()
    at.first.click()
    wait_for_results(page)
    assert page.locator("#ym-status").inner_text().startswith(name)


def test_my_location_starts_a_search_there(open_page):
    page = open_page("/?lang=en", geolocation={"latitude": CITY_CENTRE[0], "longitude": CITY_CENTRE[1]},
                     permissions=["geolocation"])
    page.click("#ym-locate")
    wait_for_results(page)
    assert page.locator("#ym-status").inner_text().startswith("your location")


def test_english_switch(open_page):
    page = open_page("/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator(".ym-where h2").inner_text() == "我们在哪儿？"
    page.click("#ym-lang")
    page.wait_for_url("**/?lang=en")
    page.wait_for_function("document.querySelectorAll('.ym-legend-row').length === 4")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.title() == "Yuren Map"
    assert page.locator(".ym-where h2").inner_text() == "Where are you?"
    assert page.locator(".ym-filters summary").inner_text() == "Filters"
    assert "Public venues" in page.locator(".ym-legend").inner_text()
    click_map(page, *CITY_CENTRE)
    row = wait_for_results(page)[0].inner_text()
    assert " m" in row and "min walk" in row
    page.click("#ym-lang")
    page.wait_for_function("document.documentElement.lang === 'zh-CN'")
    assert page.locator(".ym-where h2").inner_text() == "我们在哪儿？"
    assert "lat=" in page.url  # the search came along (defect 11)


def test_phone(open_page):
    page = open_page("/", viewport=PHONE, is_mobile=True, has_touch=True)
    panel = page.locator("#ym-panel")
    toggle = page.locator("#ym-panel-toggle")
    assert not panel.is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "nothing sticks out sideways"
    shot(page, "phone-map")

    click_map(page, *CITY_CENTRE)
    page.wait_for_selector("#ym-badge:not([hidden])")
    assert int(page.locator("#ym-badge").inner_text()) > 0
    toggle.click()
    page.wait_for_function("getComputedStyle(document.getElementById('ym-panel')).transform === 'none'")
    assert panel.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    panel_box = panel.bounding_box()
    assert panel_box["width"] == PHONE["width"] and panel_box["y"] + panel_box["height"] <= PHONE["height"] + 1
    # Everything to tap is at least 44 px high.
    for selector in ("#ym-panel-toggle", "#ym-lang", ".ym-panel .ym-btn", ".ym-filters summary", ".ym-result",
                     ".ym-layer", ".leaflet-control-zoom a"):
        for handle in page.locator(selector).all():
            if handle.is_visible():
                assert handle.bounding_box()["height"] >= 44, selector
    shot(page, "phone-panel")

    rows = page.locator("#ym-results li").all()
    name = rows[0].locator(".ym-result-name").inner_text()
    rows[0].locator(".ym-result").tap()
    page.wait_for_selector(".leaflet-popup .ym-popup-title")
    assert page.locator(".leaflet-popup .ym-popup-title").inner_text() == name
    page.wait_for_function("getComputedStyle(document.getElementById('ym-panel')).visibility === 'hidden'")
    assert toggle.get_attribute("aria-expanded") == "false"
    # The map was not scrolled away: its top edge is still right under the bar.
    assert page.evaluate("document.querySelector('.folium-map').getBoundingClientRect().top") == \
        page.evaluate("document.querySelector('.ym-bar').getBoundingClientRect().bottom")
    shot(page, "phone-popup")


def test_the_search_lives_in_the_address_back_forward_and_language_keep_it(open_page):
    """Defect 11: switching language drops the search; item: the page's state in the URL."""
    page = open_page("/")
    page.select_option("select[name=radius]", "3000")
    click_map(page, *CITY_CENTRE)
    wait_for_results(page)
    first = parse_qs(urlsplit(page.url).query)
    assert first["r"] == ["3000"] and "lat" in first and "lon" in first
    click_map(page, CITY_CENTRE[0] + 0.02, CITY_CENTRE[1] + 0.02, zoom=None)
    page.wait_for_function(f"!location.search.includes('lat={first['lat'][0]}')")
    second = parse_qs(urlsplit(page.url).query)
    page.go_back()
    page.wait_for_function(f"location.search.includes('lat={first['lat'][0]}')")
    wait_for_results(page)
    page.go_forward()
    page.wait_for_function(f"location.search.includes('lat={second['lat'][0]}')")
    wait_for_results(page)
    page.click("#ym-lang")
    page.wait_for_url("**lang=en**")
    rows = wait_for_results(page)
    query = parse_qs(urlsplit(page.url).query)
    assert (query["lat"], query["lon"], query["r"]) == (second["lat"], second["lon"], ["3000"])
    assert rows and "within 3 km" in page.locator("#ym-status").inner_text()
    assert page.locator("select[name=radius]").input_value() == "3000"


def test_a_shared_link_opens_the_same_search_and_place(open_page, browser, server):
    page = open_page("/")
    click_map(page, *CITY_CENTRE)
    rows = wait_for_results(page)
    rows[0].locator("button").click()
    page.wait_for_selector(".leaflet-popup .ym-popup-title")
    title = page.locator(".leaflet-popup .ym-popup-title").inner_text()
    page.wait_for_function("location.search.includes('place=')")
    link = page.url
    page.locator("#ym-share").click()
    page.wait_for_selector("#ym-share-note:not([hidden])")
    friend = open_page(link.removeprefix(server))
    friend.wait_for_selector(".leaflet-popup .ym-popup-title")
    assert friend.locator(".leaflet-popup .ym-popup-title").inner_text() == title
    assert friend.locator("#ym-results li").count() == len(rows)


def test_keyboard_zoom_and_names_on_the_map(open_page, server):
    """Defect 11: pinch zoom allowed, Esc closes a popup opened from a result, clusters named."""
    page = open_page("/")
    assert "user-scalable=no" not in page.locator("meta[name=viewport]").first.get_attribute("content")
    assert page.locator("meta[name=viewport]").count() == 1
    page.wait_for_function("() => [...document.querySelectorAll('.ym-cluster')].some("
                           "(c) => /区附近 \\d+ 处$/.test(c.getAttribute('aria-label') || ''))")
    for cluster in page.locator(".ym-cluster").all():
        assert cluster.get_attribute("aria-label").endswith(" 处"), cluster.get_attribute("aria-label")
        assert cluster.get_attribute("tabindex") == "0"
    click_map(page, *CITY_CENTRE)
    rows = wait_for_results(page)
    rows[0].locator("button").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(".leaflet-popup")
    page.keyboard.press("Escape")
    page.wait_for_selector(".leaflet-popup", state="detached")


def test_the_layer_table_asks_for_nothing_missing(open_page, server):
    failed = []
    page = open_page("/")
    page.on("response", lambda response: response.status >= 400 and failed.append(response.url))
    page.goto(f"{server}/layers")
    page.wait_for_load_state("networkidle")
    assert failed == []
    with urlopen(f"{server}/favicon.ico") as response:
        assert response.status == 200 and response.headers["Content-Type"].startswith("image/svg+xml")


def test_outside_the_region_the_page_says_so_and_offers_the_city_centre(open_page):
    """Defect 9: a point outside 扬州市 got "try a larger radius"."""
    page = open_page("/?lat=31.23&lon=121.47")  # Shanghai
    page.wait_for_function("document.getElementById('ym-status').textContent.includes('扬州市以外')")
    assert "扩大范围" not in page.locator("#ym-status").inner_text()
    action = page.locator("#ym-notice-action")
    assert action.inner_text() == "从扬州市市中心查找"
    action.click()
    rows = wait_for_results(page)
    assert rows and page.locator("#ym-status").inner_text().startswith("扬州市")
    assert action.is_hidden()


def test_nothing_open_now_says_when_the_nearest_opens(open_page):
    page = open_page("/?lat=32.394&lon=119.425&r=5000&category=museum&open=custom&at=2026-12-02T22:30")
    page.wait_for_function("document.getElementById('ym-status').textContent.includes('最近的')")
    assert page.locator("#ym-status").inner_text().startswith("地图上选定的位置 · 此时范围内没有开放的地点。最近的")


@pytest.fixture(scope="module")
def tiled_server(tmp_path_factory):
    """The demo region under street tiles that never arrive: a tile URL on the server's own host
    (so the page asks nothing of another host) that the tests hold or answer 404."""
    from browsing import serving

    from mapservice.app import create_app
    from mapservice.demo import load_demo
    from mapservice.settings import Settings

    app = create_app(Settings(database_url=str(tmp_path_factory.mktemp("tiled") / "demo.gpkg"), load_demo=False,
                              tile_url="/no-such-tiles/{z}/{x}/{y}.png", tile_attribution="Street tiles"))
    load_demo(app.extensions["mapservice"].store)
    yield from serving(app)
    app.extensions["mapservice"].store.close()


@pytest.mark.parametrize("page_path, ready", [
    ("/", "document.querySelectorAll('.ym-legend-row').length === 4"),
    ("/planner", "document.querySelectorAll('#pl-table tbody tr').length > 0"),
])
@pytest.mark.parametrize("how", ["blocked", "hanging"])
def test_tiles_that_do_not_load_fall_back_to_the_offline_base_and_say_so(browser, tiled_server, page_path, ready, how):
    """Item 3: a page that cannot load its tiles notices within a few seconds, falls back to the
    district base and says so in the attribution line; offline (no request leaves the machine)."""
    from browsing import Watched

    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    watched = Watched(page, tiled_server)
    if how == "hanging":  # a blocked network: the tiles never answer
        page.route("**/no-such-tiles/**", lambda route: None)
    started = datetime.now()
    page.goto(tiled_server + page_path)
    page.wait_for_function(ready)
    page.wait_for_function("document.querySelector('.leaflet-control-attribution').textContent"
                           ".includes('已改用离线底图')", timeout=10_000)
    assert (datetime.now() - started).total_seconds() < 9
    assert page.locator(".leaflet-tile-container img").count() == 0
    assert page.locator(".ym-no-tiles").count() == 1
    attribution = page.locator(".leaflet-control-attribution").inner_text()
    assert "Street tiles" not in attribution
    if page_path == "/":
        assert page.locator(".ym-district-label").count() > 0
    problems = [p for p in watched.problems if "404" not in p and "Failed to load resource" not in p]
    context.close()
    assert problems == []


def test_typing_pinyin_initials_finds_the_street_and_searches_there(open_page):
    """Done means: a parent types dgjd and taps 东关街道."""
    page = open_page("/", viewport=PHONE, is_mobile=True, has_touch=True)
    page.locator("#ym-panel-toggle").tap()
    page.fill("#ym-place", "dgjd")
    page.wait_for_selector("#ym-place-list .ym-place")
    assert page.locator("#ym-place-list .ym-place-group").first.inner_text() == "乡镇/街道"
    first = page.locator("#ym-place-list .ym-place").first
    assert first.locator(".ym-place-name").inner_text() == "东关街道"
    first.tap()
    wait_for_results(page)
    assert page.locator("#ym-status").inner_text().startswith("东关街道")
    assert "near=" in page.url


def test_more_results_beyond_the_first_fifty(open_page):
    page = open_page("/?r=5000&lat=32.394&lon=119.425")
    rows = wait_for_results(page)
    assert len(rows) == 50 and "只列出最近的 50 处" in page.locator("#ym-status").inner_text()
    more = page.locator("#ym-more")
    assert more.inner_text() == "再显示 50 处"
    last = float(rows[-1].get_attribute("data-distance"))
    more.click()
    page.wait_for_function("document.querySelectorAll('#ym-results li').length > 50")
    rows = page.locator("#ym-results li").all()
    distances = [float(row.get_attribute("data-distance")) for row in rows]
    assert distances == sorted(distances) and distances[50] >= last and len(rows) <= 100
    page.select_option("select[name=radius]", "1000")  # another question starts at its first page again
    page.wait_for_function("!document.getElementById('ym-results').hasAttribute('aria-busy')")
    assert page.locator("#ym-results li").count() <= 50


def test_a_preschool_choice_beside_the_grades(open_page):
    page, asked = searched_at_the_centre(open_page)
    page.select_option("select[name=grade]", "preschool")
    page.wait_for_function("location.search.includes('grade=preschool')")
    page.wait_for_function("!document.getElementById('ym-results').hasAttribute('aria-busy')")
    query = parse_qs(urlsplit(asked[-1]).query)
    assert query["preschool"] == ["true"] and "grade" not in query


def test_done_means_on_a_phone_from_dgjd_to_a_shared_place_page(open_page, browser):
    """The issue's "done means": 375 px, Chinese: dgjd, 东关街道, the museum preset, the answer in view,
    the first result's page, call, walk there in Amap, and the page's link opens the same place."""
    page = place_chosen_on_a_phone(open_page, "dgjd")
    page.locator("#ym-preset-museum_saturday").tap()
    page.wait_for_function("document.getElementById('ym-preset-museum_saturday').getAttribute('aria-pressed') === 'true'")
    page.wait_for_function("!document.getElementById('ym-results').hasAttribute('aria-busy')")
    page.wait_for_timeout(600)
    in_view(page, "#ym-status")
    first = page.locator("#ym-results li").first
    name = first.locator(".ym-result-name").inner_text()
    first.locator(".ym-result-page").tap()
    page.wait_for_selector(".ym-place-article h1")
    assert page.locator("h1").inner_text() == name
    assert "/place/venues/" in page.url and "from=" in page.url
    assert page.locator("a[href^='tel:']").count() >= 1
    walk = page.locator("#ym-walk-amap").get_attribute("href")
    assert walk.startswith("https://uri.amap.com/navigation?") and "mode=walk" in walk and "from=" in walk
    assert page.locator("meta[property='og:title']").get_attribute("content") == name
    ld = json.loads(page.locator("script[type='application/ld+json']").inner_text())
    assert ld["name"] == name and ld["@type"] in ("Museum", "Place")
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    friend = context.new_page()
    open_page.watch(friend)
    friend.goto(page.url)
    assert friend.locator("h1").inner_text() == name
    friend.wait_for_selector(".ym-place-map .leaflet-interactive")  # the small map marks the place
    context.close()


def test_enter_on_the_focused_map_searches_from_its_centre(open_page):
    page = open_page("/")
    page.evaluate(f"{MAP_OF}.setView([{CITY_CENTRE[0]}, {CITY_CENTRE[1]}], 14, {{animate: false}})")
    page.focus(".folium-map")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    wait_for_results(page)
    centre = page.evaluate(f"(() => {{ const c = {MAP_OF}.getCenter(); return [c.lat, c.lng]; }})()")
    query = parse_qs(urlsplit(page.url).query)
    assert abs(float(query["lat"][0]) - centre[0]) < 0.01 and abs(float(query["lon"][0]) - centre[1]) < 0.01


def test_a_family_reports_a_problem_from_a_place_page(open_page, server):
    """信息有误？ on a place page: the popup's form, sent without an account, lands as an open report."""
    venue = json.load(urlopen(f"{server}/api/layers/venues/features?limit=1"))["features"][0]
    page = open_page()
    page.goto(f"{server}/place/venues/{venue['id']}")
    report = page.locator("#ym-place-report details.ym-report")
    report.locator("summary").click()
    report.locator("select[name=kind]").select_option("wrong_hours")
    report.locator("textarea[name=text]").fill("周一闭馆，页面写着开放")
    report.locator("button[type=submit]").click()
    page.wait_for_function("!document.querySelector('#ym-place-report select')")
    # The form is replaced by the thanks only when the API answered 201 (the report is stored).
    assert page.locator("#ym-place-report .ym-report-status").inner_text() == "谢谢！我们会尽快核实。"
