"""Accounts, editing and error reports in a real browser (Debian's chromium, offline): an admin signs
in, edits a venue's opening hours and drags it 200 m, and sees both in the change log; a family reports
a problem and the admin closes the report."""
from __future__ import annotations

import pytest
from browsing import need_browser, opener, serving
from shapely.geometry import Point

from mapservice import geo
from mapservice.app import create_app
from mapservice.auth import Accounts
from mapservice.settings import Settings

PASSWORD = "correct horse battery"
VENUE = (119.42, 32.39)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A live server over a small store: one venue, one admin. Yields (base URL, store, venue id)."""
    need_browser()
    app = create_app(Settings(database_url=str(tmp_path_factory.mktemp("edit") / "edit.gpkg"), load_demo=False,
                                basemap="none"))
    store = app.extensions["mapservice"].store
    venue = store.create("venues", {"name": "东关图书馆", "category": "library", "free": True,
                                    "opening_hours": "Tu-Su 09:00-17:00"}, Point(*VENUE))
    Accounts(store).add_user("admin", "admin", PASSWORD)
    for url in serving(app):
        yield url, store, venue.id
    store.close()


@pytest.fixture
def open_page(browser, site):
    # conftest's browser (one per session; it starts with the demo server the map tests share).
    yield from opener(browser, site[0], "/", "document.querySelectorAll('.ym-pin').length >= 1")


MAP = "window[JSON.parse(document.getElementById('ym-config').textContent).map]"


def _sign_in(open_page):
    page = open_page("/")
    page.click("#ym-login")  # the top bar's sign-in link, back to the map afterwards
    page.wait_for_selector("input[name=username]")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_function("document.querySelectorAll('.ym-pin').length >= 1")
    assert "admin · 管理员（教育局）" in page.inner_text(".ym-bar")
    return page


def _open_venue(page):
    page.evaluate(f"([lon, lat]) => {MAP}.setView([lat, lon], 17, {{animate: false}})", list(VENUE))
    page.wait_for_timeout(300)
    page.click(".leaflet-marker-icon.ym-pin")
    page.wait_for_selector(".leaflet-popup .ym-popup-title")


def test_an_admin_edits_hours_drags_the_venue_200_m_and_sees_both_in_the_log(open_page, site):
    _, store, fid = site
    page = _sign_in(open_page)
    _open_venue(page)
    page.click(".leaflet-popup [data-edit=edit]")
    page.fill(".leaflet-popup input[name=opening_hours]", "Sa-Su 10:00-16:00")
    page.dispatch_event(".leaflet-popup input[name=opening_hours]", "change")
    page.wait_for_function("document.querySelector('.ym-hours-preview')?.textContent.includes('周六')")
    page.click(".leaflet-popup .ym-edit-form button[type=submit]")
    page.wait_for_function("document.querySelector('.ym-edit-form .ym-edit-status')?.textContent === '已保存'")
    assert store.get("venues", fid).properties["opening_hours"] == "Sa-Su 10:00-16:00"

    page.click(".leaflet-popup [data-edit=move]")
    page.wait_for_function("document.querySelector('.leaflet-marker-icon.ym-pin.leaflet-marker-draggable')")
    # Where a point 200 m north of the venue is on screen, and the marker's centre.
    dy = page.evaluate(f"""([lon, lat]) => {{
        const map = {MAP};
        return map.latLngToContainerPoint([lat + 200 / 110900, lon]).y - map.latLngToContainerPoint([lat, lon]).y;
    }}""", list(VENUE))
    box = page.locator(".leaflet-marker-icon.ym-pin").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x, y + dy * step / 10)
    page.mouse.up()
    # Leaflet closes a marker's popup when its drag starts; it opens again once the move is saved.
    page.wait_for_function("document.querySelector('.leaflet-popup .ym-edit-status')?.textContent.includes('已移动')")
    moved = store.get("venues", fid).geometry
    metres = float(geo.geodesic_m(VENUE[0], VENUE[1], moved.x, moved.y))
    assert 190 < metres < 210 and moved.y > VENUE[1]
    assert "已移动 2" in page.inner_text(".leaflet-popup .ym-edit-status")

    page.click(".leaflet-popup [data-edit=history]")
    page.wait_for_selector(".leaflet-popup .ym-history")
    history = page.inner_text(".leaflet-popup .ym-history")
    assert "开放时间: Tu-Su 09:00-17:00 → Sa-Su 10:00-16:00" in history and "位置移动了" in history

    page.goto(site[0] + "/admin/changes")
    log = page.inner_text("#ym-changes")
    assert "Sa-Su 10:00-16:00" in log and "位置移动了 2" in log


def test_a_family_reports_a_problem_and_the_admin_closes_it(open_page, site):
    family = open_page("/")
    _open_venue(family)
    family.click(".leaflet-popup .ym-report summary")
    family.select_option(".leaflet-popup select[name=kind]", "closed_permanently")
    family.fill(".leaflet-popup textarea[name=text]", "<b>已经关门了</b>")
    family.click(".leaflet-popup .ym-report-form button[type=submit]")
    family.wait_for_function("document.querySelector('.leaflet-popup .ym-report')?.textContent.includes('谢谢')")
    assert not family.context.cookies(), "a family gets no cookie"

    admin = _sign_in(open_page)
    assert "待处理报错 1" in admin.inner_text(".ym-bar")
    admin.goto(site[0] + "/admin/reports")
    entry = admin.locator("#ym-reports li").first
    assert "<b>已经关门了</b>" in entry.inner_text() and "已永久关闭" in entry.inner_text()
    admin.wait_for_selector("#ym-reports-map .leaflet-interactive")
    entry.locator("input[name=note]").fill("核实后已更新")
    entry.locator("button[value=fixed]").click()
    admin.wait_for_selector("#ym-no-reports")
    assert "待处理报错 0" in admin.inner_text(".ym-bar")
    assert site[1].stewardship.reports("fixed")[0]["note"] == "核实后已更新"
