"""Error reports on both stores: anyone sends one, limited per client address in the store (across
app instances), admins list and close them; text stays text."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from shapely.geometry import Point

from mapservice import reports
from mapservice.app import create_app
from mapservice.auth import Accounts, TooManyAttempts

PASSWORD = "correct horse battery"


@pytest.fixture
def venue(app):
    return app.extensions["mapservice"].store.create(
        "venues", {"name": "图书馆", "category": "library", "free": True}, Point(119.4, 32.39))


def _report(venue, **changes):
    return {"layer": "venues", "fid": venue.id, "kind": "closed_permanently", "text": "<b>关门了</b>",
            "contact": "138 0000 0000", **changes}


def test_a_family_reports_and_an_admin_closes_it(app, client, venue):
    accounts = Accounts(app.extensions["mapservice"].store)
    admin = {"Authorization": "Bearer " + accounts.create_token(accounts.add_user("admin", "admin", PASSWORD))}
    school = {"Authorization": "Bearer " + accounts.create_token(
        accounts.add_user("school1", "school", PASSWORD, ["schools:1"]))}
    sent = client.post("/api/reports", json=_report(venue))
    assert sent.status_code == 201 and sent.get_json()["status"] == "open"
    assert client.get("/api/reports").status_code == 401 and client.get("/api/reports", headers=school).status_code == 403
    listed = client.get("/api/reports?status=open", headers=admin).get_json()
    assert listed["open"] == 1 and listed["reports"][0]["text"] == "<b>关门了</b>"
    assert listed["reports"][0]["name"] == "图书馆" and listed["reports"][0]["contact"] == "138 0000 0000"
    report_id = listed["reports"][0]["id"]
    url = f"/api/reports/{report_id}/close"
    assert client.post(url, json={"outcome": "fixed", "note": "已核实"}, headers=school).status_code == 403
    closed = client.post(url, json={"outcome": "fixed", "note": "已核实"}, headers=admin)
    assert closed.status_code == 200 and closed.get_json()["status"] == "fixed"
    assert closed.get_json()["closed_by"] == "admin"
    assert client.post(url, json={"outcome": "rejected"}, headers=admin).status_code == 409
    assert client.get("/api/reports", headers=admin).get_json() == {"reports": [], "open": 0}
    assert len(client.get("/api/reports?status=all", headers=admin).get_json()["reports"]) == 1
    assert client.post("/api/reports/99999/close", json={"outcome": "fixed"}, headers=admin).status_code == 404


def test_bad_reports_name_their_field(client, venue):
    for changes, field in [({"kind": "ufo"}, "kind"), ({"text": "x" * 501}, "text"), ({"fid": 999999}, "id"),
                           ({"layer": "zoo"}, "layer"), ({"kind": "other", "text": " "}, "text"),
                           ({"contact": "y" * 101}, "contact"), ({"text": "a\x00b"}, "text")]:
        answer = client.post("/api/reports", json=_report(venue, **changes))
        assert 400 <= answer.status_code < 500 and answer.get_json()["error"]["field"] == field, changes
    assert client.post("/api/reports", json={"layer": "venues"}).status_code == 400


def test_the_limit_per_address_holds_across_two_apps(settings, venue):
    other = create_app(settings)
    try:
        first = other.test_client()
        for _ in range(reports.MAX_PER_HOUR):
            assert first.post("/api/reports", json=_report(venue)).status_code == 201
        second = create_app(settings)
        try:
            refused = second.test_client().post("/api/reports", json=_report(venue))
            assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 3000
            elsewhere = second.test_client().post("/api/reports", json=_report(venue),
                                                  environ_base={"REMOTE_ADDR": "10.0.0.9"})
            assert elsewhere.status_code == 201
        finally:
            second.extensions["mapservice"].store.close()
    finally:
        other.extensions["mapservice"].store.close()


def test_the_hour_passes(store):
    feature = store.create("venues", {"name": "馆", "category": "museum", "free": True}, Point(119.4, 32.39))
    now = datetime(2026, 12, 2, 8, tzinfo=UTC)
    for minute in range(reports.MAX_PER_HOUR):
        reports.submit(store, "venues", feature.id, "wrong_phone", "", None, "1.2.3.4", now + timedelta(minutes=minute))
    with pytest.raises(TooManyAttempts):
        reports.submit(store, "venues", feature.id, "wrong_phone", "", None, "1.2.3.4", now + timedelta(minutes=30))
    assert reports.submit(store, "venues", feature.id, "wrong_phone", "", None, "1.2.3.4",
                          now + timedelta(minutes=61))["status"] == "open"
    assert "1.2.3.4" not in repr(store._run("SELECT * FROM {throttle_events}", []))


def test_a_visitor_with_a_session_sends_its_csrf_token(client, venue):
    import json
    import re

    client.get("/login")  # a visitor who once opened the sign-in page holds a session cookie
    assert client.post("/api/reports", json=_report(venue)).status_code == 400
    page = client.get("/").get_data(as_text=True)
    config = json.loads(re.search(r'<script id="ym-config" type="application/json">(.*?)</script>', page, re.S)[1])
    assert config["me"] is None and config["schema"] == {} and config["csrf"]
    sent = client.post("/api/reports", json=_report(venue), headers={"X-CSRF-Token": config["csrf"]})
    assert sent.status_code == 201
