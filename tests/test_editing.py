"""Editing over the API on both stores: the layer schema (as the importer), versions refused when
stale, the change log per feature, one entry per import, and who may edit what."""
from __future__ import annotations

import pytest
from shapely.geometry import Point

from mapservice import editing
from mapservice.auth import Accounts
from mapservice.importer import import_file

PASSWORD = "correct horse battery"
VENUE = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [119.4, 32.39]},
         "properties": {"name": "图书馆", "category": "library", "free": True}}


@pytest.fixture
def people(app):
    store = app.extensions["mapservice"].store
    accounts = Accounts(store)
    base = store.create("practice_bases", {"name": "基地", "themes": ["science"], "level": "municipal"},
                        Point(119.41, 32.39))
    other = store.create("practice_bases", {"name": "别的基地", "themes": ["science"], "level": "municipal"},
                         Point(119.42, 32.39))
    tokens = {}
    for name, role, features in [("admin", "admin", []), ("admin2", "admin", []),
                                 ("manager", "base_manager", [f"practice_bases:{base.id}"])]:
        tokens[name] = {"Authorization": "Bearer " + accounts.create_token(
            accounts.add_user(name, role, PASSWORD, features))}
    return {"store": store, "base": base, "other": other, **tokens}


def test_add_edit_move_delete_with_versions_and_a_change_log(client, people):
    admin, admin2 = people["admin"], people["admin2"]
    created = client.post("/api/layers/venues/features", json=VENUE, headers=admin)
    assert created.status_code == 201 and created.get_json()["version"] == 1
    fid = created.get_json()["id"]
    url = f"/api/layers/venues/features/{fid}"
    assert client.get(url).headers["ETag"] == '"1"'
    # Two admins opened version 1; the first saves, the second is refused with who and when.
    first = client.patch(url, json={"properties": {"opening_hours": "Tu-Su 09:00-17:00"}, "version": 1}, headers=admin)
    assert first.status_code == 200 and first.get_json()["version"] == 2
    stale = client.patch(url, json={"properties": {"phone": "0514-1234567"}}, headers={**admin2, "If-Match": '"1"'})
    assert stale.status_code == 409 and "admin" in stale.get_json()["error"]["message"]
    assert "Changed by admin at" in client.patch(url + "?lang=en", json={"properties": {}, "version": 1},
                                                 headers=admin2).get_json()["error"]["message"]
    assert client.get(url).get_json()["properties"]["phone"] is None
    # The ETag as a browser reads it after a compressed answer ("2:br"): the same version.
    etag = client.get(url, headers={"Accept-Encoding": "br"}).headers["ETag"]
    assert etag.strip('"').split(":")[0] == "2"
    moved = client.patch(url, json={"geometry": {"type": "Point", "coordinates": [119.4, 32.3918]}},
                         headers={**admin2, "If-Match": etag})
    assert moved.status_code == 200 and 195 < moved.get_json()["moved_m"] < 205
    changes = client.get(url + "/changes", headers=admin).get_json()
    assert changes["version"] == 3 and [c["action"] for c in changes["changes"]] == ["update", "update", "create"]
    move, hours = changes["changes"][0], changes["changes"][1]
    assert hours["actor"] == "admin" and hours["change"]["properties"] == {
        "opening_hours": [None, "Tu-Su 09:00-17:00"]}
    assert move["actor"] == "admin2" and move["change"]["geometry"]["from"] == [119.4, 32.39]
    assert move["change"]["geometry"]["to"] == [119.4, 32.3918] and "properties" not in move["change"] or \
        move["change"]["properties"] == {}
    assert client.delete(url, headers={**admin, "If-Match": '"2"'}).status_code == 409
    assert client.delete(url, headers={**admin, "If-Match": '"3"'}).status_code == 204
    assert client.get(url).status_code == 404
    assert client.get(url + "/changes", headers=admin).get_json()["changes"][0]["action"] == "delete"


def test_every_bad_value_is_named_and_nothing_is_half_saved(client, people):
    fid = client.post("/api/layers/venues/features", json=VENUE, headers=people["admin"]).get_json()["id"]
    url = f"/api/layers/venues/features/{fid}"
    bad = client.patch(url, json={"properties": {"name": "新名", "category": "zoo", "age_min": "x"}, "version": 1},
                       headers=people["admin"])
    assert bad.status_code == 400 and set(bad.get_json()["error"]["fields"]) == {"category", "age_min"}
    assert client.get(url).get_json()["properties"]["name"] == "图书馆"
    assert client.get(url).headers["ETag"] == '"1"'
    for body, field in [({**VENUE, "properties": {"category": "library"}}, "name"),
                        ({**VENUE, "geometry": {"type": "Polygon", "coordinates": []}}, "geometry"),
                        ({**VENUE, "geometry": {"type": "Point", "coordinates": [500, 0]}}, "geometry"),
                        ({**VENUE, "properties": {**VENUE["properties"], "colour": "red"}}, "colour")]:
        answer = client.post("/api/layers/venues/features", json=body, headers=people["admin"])
        assert answer.status_code == 400 and answer.get_json()["error"]["field"] == field, body
    assert client.patch(url, json={"properties": {"name": "x"}}, headers=people["admin"]).status_code == 428
    assert client.patch(url, json={"properties": {"name": "x"}, "version": "one"},
                        headers=people["admin"]).status_code == 400
    assert client.patch(url, json={"properties": {"name": "x"}}, headers={**people["admin"], "If-Match": "abc"}
                        ).status_code == 400


def test_base_managers_edit_the_facts_of_their_own_bases_only(client, people):
    manager, base, other = people["manager"], people["base"], people["other"]
    own = f"/api/layers/practice_bases/features/{base.id}"
    assert client.patch(own, json={"properties": {"phone": "0514-7654321"}, "version": 1},
                        headers=manager).status_code == 200
    assert client.get(own).get_json()["properties"]["phone"] == "0514-7654321"
    for method, url, body in [
            ("patch", own, {"geometry": {"type": "Point", "coordinates": [119.5, 32.4]}, "version": 2}),
            ("patch", own, {"properties": {"generated": True}, "version": 2}),
            ("patch", f"/api/layers/practice_bases/features/{other.id}", {"properties": {"phone": "1"}, "version": 1}),
            ("delete", own, None), ("post", "/api/layers/practice_bases/features", VENUE),
            ("get", own + "/changes", None)]:
        answer = getattr(client, method)(url, json=body, headers=manager)
        assert answer.status_code == 403, (method, url)
    assert client.patch(own, json={"properties": {"phone": "1"}, "version": 2}).status_code == 401


def test_an_edited_demo_feature_stays_generated_until_an_admin_clears_it(client, people):
    store = people["store"]
    feature = store.create("venues", VENUE["properties"], Point(119.4, 32.39), generated=True)
    url = f"/api/layers/venues/features/{feature.id}"
    client.patch(url, json={"properties": {"phone": "0514-1"}, "version": 1}, headers=people["admin"])
    assert store.get("venues", feature.id).properties["generated"] is True
    cleared = client.patch(url, json={"properties": {"generated": False}, "version": 2}, headers=people["admin"])
    assert cleared.status_code == 200 and store.get("venues", feature.id).properties["generated"] is False
    assert store.get("venues", feature.id).properties["phone"] == "0514-1"
    log = client.get(url + "/changes", headers=people["admin"]).get_json()["changes"]
    assert log[0]["change"]["properties"] == {"generated": [True, False]}


def test_an_import_writes_one_entry_and_makes_open_edits_stale(client, people, tmp_path):
    store = people["store"]
    fid = client.post("/api/layers/venues/features", json=VENUE, headers=people["admin"]).get_json()["id"]
    untouched = store.create("venues", VENUE["properties"], Point(119.45, 32.39)).id
    client.patch(f"/api/layers/venues/features/{fid}", json={"properties": {"phone": "1"}, "version": 1},
                 headers=people["admin"])
    csv = tmp_path / "venues.csv"
    csv.write_text("名称,类别,免费,经度,纬度\n馆,博物馆,是,119.4,32.39\n坏,zoo,是,119.42,32.39\n", encoding="utf-8")
    report = import_file(store, "venues", csv, actor="admin (mapservice import)")
    entries = store.stewardship.changes(layer="venues", fid=None, actor="admin (mapservice import)")
    assert len(entries) == 1 and entries[0]["fid"] is None and entries[0]["action"] == "import"
    assert entries[0]["change"] == {"file": "venues.csv", "rows": 2, "inserted": report.inserted,
                                    "updated": 0, "rejected": 1}
    for feature_id, opened in [(fid, 2), (untouched, 1)]:
        answer = client.patch(f"/api/layers/venues/features/{feature_id}",
                              json={"properties": {"phone": "2"}, "version": opened}, headers=people["admin"])
        assert answer.status_code == 409, feature_id
    assert editing.version_of(store, "venues", untouched) == 2 and editing.version_of(store, "venues", fid) == 3


def test_concurrent_first_edits_one_wins(people):
    store = people["store"]
    feature = store.create("venues", VENUE["properties"], Point(119.4, 32.39))
    first = store.stewardship.advance("venues", feature.id, 1, "a", "2026-12-02T08:00:00Z")
    second = store.stewardship.advance("venues", feature.id, 1, "b", "2026-12-02T08:00:01Z")
    assert (first, second) == (2, None)


def test_no_input_gives_a_server_error(client, people):
    admin = people["admin"]
    fid = client.post("/api/layers/venues/features", json=VENUE, headers=admin).get_json()["id"]
    nul, huge = "a\x00b", 2**64 - 1  # past every 64-bit signed id (and what orjson still writes)
    requests = [
        ("patch", f"/api/layers/venues/features/{fid}", {"properties": {"name": nul}, "version": 1}),
        ("patch", f"/api/layers/venues/features/{fid}", {"properties": {nul: 1}, "version": 1}),
        ("patch", f"/api/layers/venues/features/{huge}", {"properties": {}, "version": 1}),
        ("patch", f"/api/layers/{nul}/features/1", {"properties": {}, "version": 1}),
        ("patch", f"/api/layers/venues/features/{fid}", {"geometry": {"type": "Point", "coordinates": [1e400, 0]},
                                                          "version": 1}),
        ("patch", f"/api/layers/venues/features/{fid}", {"properties": [], "version": 1}),
        ("patch", f"/api/layers/venues/features/{fid}", {"version": huge}),
        ("post", "/api/layers/venues/features", {"type": "Feature", "geometry": {"type": "Point"}, "properties": {}}),
        ("post", "/api/layers/venues/features", {"type": "Feature", "geometry": {}, "properties": {"name": [1]}}),
        ("post", "/api/reports", {"layer": "venues", "fid": huge, "kind": "other", "text": "x"}),
        ("post", "/api/reports", {"layer": nul, "fid": 1, "kind": "other", "text": "x"}),
        ("post", "/api/reports", {"layer": "venues", "fid": fid, "kind": "other", "text": "x", "contact": nul}),
        ("post", f"/api/reports/{huge}/close", {"outcome": "fixed"}),
        ("post", "/api/reports/1/close", {"outcome": "fixed", "note": nul}),
        ("get", f"/api/hours?value={nul}", None), ("get", f"/api/layers/venues/features/{huge}/changes", None),
        ("get", "/admin/changes?user=a%00b", None), ("get", "/admin/changes?from=2026-13-01", None),
        ("get", f"/admin/changes?layer={nul}", None),
    ]
    for method, url, body in requests:
        answer = getattr(client, method)(url, json=body, headers=admin)
        assert 400 <= answer.status_code < 500, (method, url, body, answer.status_code)
    for form in [{"action": "revoke", "username": "admin", "name": nul}, {"action": "add", "username": nul},
                 {"action": "password", "username": nul}, {"action": nul}, {"action": "token", "username": "admin",
                                                                            "name": nul}]:
        answer = client.post("/admin/users", data=form, headers=admin)
        assert 400 <= answer.status_code < 500, (form, answer.status_code)
