"""The study-tour booking in the browser (Debian's chromium, offline): a school signs in, finds a base
for grade 5 with free places on a date and books 45 of a session's 50 places; the base's manager
confirms it; the school sees it confirmed; the day's list prints on one A4 page."""
from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from browsing import opener
from test_booking_http import PASSWORD, make_world

from mapservice import booking
from mapservice.app import create_app
from mapservice.settings import Settings


@pytest.fixture(scope="module")
def booking_server(tmp_path_factory, browser):
    from werkzeug.serving import make_server

    app = create_app(Settings(database_url=str(tmp_path_factory.mktemp("booking") / "b.gpkg"), load_demo=False,
                              basemap="none"))
    store = app.extensions["mapservice"].store
    world = make_world(store, schools=2)
    manager = booking.Actor("manager", "base_manager", bases=frozenset({("practice_bases", world["base"])}))
    day = booking.today_china() + timedelta(days=20)
    spec = booking.SessionSpec("09:00", "11:30", 50, [4, 5, 6])
    world["session"] = booking.add_session(store, manager, "practice_bases", world["base"], day, spec)
    booking.add_session(store, booking.Actor("bureau", "admin"), "practice_bases", world["other"], day + timedelta(days=1),
                        booking.SessionSpec("09:00", "11:30", 30, [5]))
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", world
    httpd.shutdown()
    thread.join(5)
    store.close()


@pytest.fixture
def open_page(browser, booking_server):
    yield from opener(browser, booking_server[0], "/school", "document.readyState === 'complete'")


def sign_in(page, username: str) -> None:
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click(".ym-login-form button[type=submit]")
    page.wait_for_load_state()


def test_a_school_books_the_manager_confirms_and_the_day_prints(open_page, booking_server):
    url, world = booking_server
    day = world["session"].date
    # The school: sent to sign in, then back to /school.
    page = open_page("/school")
    assert "/login" in page.url
    sign_in(page, "school0")
    assert page.url.split("?")[0].endswith("/school")
    assert "school0" in page.locator(".ym-user").inner_text()
    page.select_option("select[name=grade]", "5")
    page.fill("input[name=from]", day)
    page.fill("input[name=to]", day)
    page.click(".bk-filters button[type=submit]")
    page.wait_for_load_state()
    bases = page.locator(".bk-base")
    assert bases.count() == 1 and bases.locator(".bk-base-name").inner_text() == "红色教育基地"
    assert "剩余 50 个名额" in bases.inner_text()
    page.wait_for_function("document.querySelectorAll('#bk-map .leaflet-interactive').length >= 2")
    page.click(".bk-book")
    dialog = page.locator("#bk-dialog")
    assert dialog.is_visible()
    page.wait_for_function("document.getElementById('bk-live').textContent.includes('50')")
    # The form refuses more people than remain before it sends anything.
    page.fill("#bk-form input[name=pupils]", "51")
    assert page.locator("#bk-send").is_disabled()
    assert "51" not in page.locator("#bk-rule").inner_text() and "50" in page.locator("#bk-rule").inner_text()
    page.fill("#bk-form input[name=pupils]", "45")
    page.select_option("#bk-form select[name=grades]", "5")
    page.fill("#bk-form input[name=contact_name]", "王老师")
    page.fill("#bk-form input[name=contact_phone]", "13812345678")
    assert not page.locator("#bk-send").is_disabled()
    with page.expect_navigation():
        page.click("#bk-send")
    mine = page.locator("#bk-mine tbody tr")
    assert mine.count() == 1 and "待确认" in mine.inner_text() and "45" in mine.inner_text()
    assert "剩余 5 个名额" in page.locator(".bk-base").inner_text()

    # The manager confirms it.
    manager = open_page(f"/base?start={day}")
    sign_in(manager, "manager")
    assert "45/50" in manager.locator(".bk-calendar").inner_text()
    request_row = manager.locator(".bk-requests tbody tr")
    assert "学校0" in request_row.inner_text() and "还剩" in request_row.inner_text()
    with manager.expect_navigation():
        request_row.locator("[data-action=confirm]").click()
    assert manager.locator(".bk-requests tbody tr").count() == 0

    # The school sees it confirmed.
    page.reload()
    assert "已确认" in page.locator("#bk-mine tbody tr").inner_text()

    # The day's list prints on one A4 page.
    with manager.expect_navigation():
        manager.locator(f"td[data-date='{day}'] a", has_text="当日名单").first.click()
    assert "13812345678" in manager.locator(".bk-day-table").inner_text()
    pdf = manager.pdf(format="A4", print_background=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
