"""Who may do what: every endpoint of the app (from its URL map: a new endpoint without a row here fails)
x every role (anonymous, school, base manager of this base, base manager of another, admin, disabled
user, revoked token) x its own or another's object."""
from __future__ import annotations

from datetime import timedelta

import pytest
from shapely.geometry import Point

from mapservice import booking
from mapservice.app import create_app
from mapservice.auth import Accounts
from mapservice.settings import Settings

PASSWORD = "correct horse battery"
ROLES = ("anonymous", "school", "manager_own", "manager_other", "admin", "disabled", "revoked")
NOBODY = ("anonymous", "disabled", "revoked")
VENUE = {"name": "馆", "category": "museum", "free": True}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    app = create_app(Settings(database_url=str(tmp_path_factory.mktemp("authz") / "a.gpkg"), load_demo=False))
    store = app.extensions["mapservice"].store
    accounts = Accounts(store)
    bases = [store.create("practice_bases", {"name": f"基地{i}", "themes": ["science"], "level": "municipal",
                                             "bookable": True},
                          Point(119.41 + i / 100, 32.39)) for i in range(2)]
    school = store.create("schools", {"name": "实验小学", "stage": "primary"}, Point(119.43, 32.39))
    store.create("venues", VENUE, Point(119.4, 32.39))
    features = {"school": [f"schools:{school.id}"], "manager_own": [f"practice_bases:{bases[0].id}"],
                "manager_other": [f"practice_bases:{bases[1].id}"], "admin": [], "disabled": [], "revoked": []}
    headers = {"anonymous": {}}
    for role, tied in features.items():
        kind = {"school": "school", "manager_own": "base_manager", "manager_other": "base_manager"}.get(role, "admin")
        user = accounts.add_user(role.replace("_", "-"), kind, PASSWORD, tied)
        headers[role] = {"Authorization": "Bearer " + accounts.create_token(user)}
        if role == "disabled":
            accounts.set_disabled(user)
        if role == "revoked":
            accounts.revoke_token(user, "default")
    yield {"app": app, "store": store, "base": bases[0], "school": school, "headers": headers}
    store.close()


def _expect(admin, school="forbidden", manager_own="forbidden", manager_other="forbidden", nobody=401,
            forbidden=403) -> dict:
    out = {"admin": admin, "school": school, "manager_own": manager_own, "manager_other": manager_other}
    out = {role: forbidden if status == "forbidden" else status for role, status in out.items()}
    return {**out, **{role: nobody for role in NOBODY}}


PUBLIC = "public"  # the same answer for every role, never 401, 403 or 5xx


def _venue(world) -> int:
    return world["store"].create("venues", VENUE, Point(119.4, 32.39)).id


def _report(world) -> int:
    return world["store"].stewardship.add_report("venues", _venue(world), "other", "x", None, "2026-12-02T00:00:00Z")


def _version_of(world, layer, fid) -> int:
    return world["store"].stewardship.version(layer, fid)[0]


def _patch_base(world, base_id, body):
    def request(client, headers):
        version = _version_of(world, "practice_bases", base_id)
        return client.patch(f"/api/layers/practice_bases/features/{base_id}", json={**body, "version": version},
                            headers=headers)
    return request


def _session(world) -> int:
    """A fresh session of the own manager's base, bookable for grade 5."""
    day = booking.today_china() + timedelta(days=20)
    spec = booking.SessionSpec("09:00", "11:30", 500, [5])
    return booking.add_session(world["store"], booking.Actor("bureau", "admin"), "practice_bases",
                               world["base"].id, day, spec).id


def _booking(world, unit="class") -> int:
    """A fresh request of the school for a fresh session of the own manager's base."""
    school = booking.Actor("school", "school", ("schools", world["school"].id))
    request = booking.Request(_session(world), 10, 1, [5], unit, "王老师", "13812345678")
    return booking.book(world["store"], school, request).body["id"]


def _booking_rows(world) -> dict:
    base, today = world["base"].id, booking.today_china()
    get = lambda url: lambda client, headers: client.get(url, headers=headers)  # noqa: E731
    post = lambda url, body=None: lambda c, h: c.post(url(), json=body, headers=h)  # noqa: E731
    spec = {"start": "09:00", "end": "11:30", "capacity": 30, "grades": [5]}
    # the base's own manager answers ``own``; another base's manager sees nothing (404), nor by default a school
    answer = lambda own, school=404: {"school": school, "manager_own": own, "manager_other": 404}  # noqa: E731
    range_ = f"from={today}&to={today + timedelta(days=90)}"
    return {
        ("POST", "/api/<base_layer>/<id:base_id>/sessions"): [(post(lambda: f"/api/practice_bases/{base}/sessions", {
            **spec, "date": (today + timedelta(days=30)).isoformat()}), _expect(201, **answer(201)))],
        ("POST", "/api/<base_layer>/<id:base_id>/sessions/pattern"): [(post(
            lambda: f"/api/practice_bases/{base}/sessions/pattern",
            {**spec, "date_from": (today + timedelta(days=30)).isoformat(),
             "date_to": (today + timedelta(days=37)).isoformat(), "weekdays": [3]}), _expect(201, **answer(201)))],
        ("GET", "/api/<base_layer>/<id:base_id>/sessions"): [(get(f"/api/practice_bases/{base}/sessions"), PUBLIC)],
        ("GET", "/api/<base_layer>/<id:base_id>/day"): [(get(f"/api/practice_bases/{base}/day?date={today}"),
                                                          _expect(200, **answer(200)))],
        ("PUT", "/api/<base_layer>/<id:base_id>/booking-settings"): [(lambda c, h: c.put(
            f"/api/practice_bases/{base}/booking-settings", json={"expire_days": 5}, headers=h),
            _expect(200, **answer(200)))],
        ("PATCH", "/api/sessions/<id:session_id>"): [(lambda c, h: c.patch(
            f"/api/sessions/{_session(world)}", json={"capacity": 600}, headers=h), _expect(200, **answer(200)))],
        ("POST", "/api/sessions/<id:session_id>/cancel"): [(post(lambda: f"/api/sessions/{_session(world)}/cancel",
                                                                  {"reason": "检修"}), _expect(200, **answer(200)))],
        # only a school books; for anybody else there is nothing to book as
        ("POST", "/api/bookings"): [(lambda c, h: c.post("/api/bookings", json={
            "session_id": _session(world), "pupils": 5, "grades": [5], "unit": "class", "contact_name": "王老师",
            "contact_phone": "13812345678"}, headers=h), _expect(404, school=201, manager_own=404, manager_other=404))],
        ("GET", "/api/bookings"): [(get("/api/bookings"), _expect(200, 200, 200, 200))],
        ("GET", "/api/bookings/export"): [(get("/api/bookings/export?format=csv"), _expect(200, 200, 200, 200))],
        ("GET", "/api/bookings/<id:booking_id>"): [(lambda c, h: c.get(f"/api/bookings/{_booking(world)}", headers=h),
                                                     _expect(200, school=200, manager_own=200, manager_other=404))],
        ("POST", "/api/bookings/<id:booking_id>/confirm"): [(post(lambda: f"/api/bookings/{_booking(world)}/confirm"),
                                                              _expect(200, **answer(200, school=403)))],
        ("POST", "/api/bookings/<id:booking_id>/decline"): [(post(
            lambda: f"/api/bookings/{_booking(world)}/decline", {"reason": "满了"}),
            _expect(200, **answer(200, school=403)))],
        ("POST", "/api/bookings/<id:booking_id>/cancel"): [(post(lambda: f"/api/bookings/{_booking(world)}/cancel"),
                                                             _expect(200, **answer(403, school=200)))],
        ("POST", "/api/bookings/<id:booking_id>/acknowledge-filing"): [(post(
            lambda: f"/api/bookings/{_booking(world, unit='grade')}/acknowledge-filing"),
            _expect(200, **answer(403, school=403)))],
        ("GET", "/api/school/bases"): [(get("/api/school/bases"), _expect(200, 200, 200, 200))],
        ("GET", "/api/bookings/schools-without-tours"): [(get(f"/api/bookings/schools-without-tours?{range_}"),
                                                          _expect(200))],
        ("GET", "/school"): [(get("/school"), _expect(200, school=200, nobody=303))],
        ("GET", "/base"): [(get("/base"), _expect(200, manager_own=200, manager_other=200, nobody=303))],
        ("GET", "/base/day"): [(get(f"/base/day?base=practice_bases:{base}&date={today}"),
                                _expect(200, manager_own=200, manager_other=404, nobody=303))],
        ("GET", "/admin/bookings"): [(get("/admin/bookings"), _expect(200, nobody=303))],
        ("GET", "/bookings/<id:booking_id>/print"): [(lambda c, h: c.get(f"/bookings/{_booking(world)}/print",
                                                                          headers=h),
                                                       _expect(200, school=200, manager_own=200, manager_other=404,
                                                               nobody=303))],
    }


def rows(world) -> dict:
    """(method, rule) -> [(request(client, headers), {role: status} or PUBLIC), ...]."""
    base = world["base"].id
    get = lambda url: lambda client, headers: client.get(url, headers=headers)  # noqa: E731
    analysis = "supply=parent_schools&demand=communities"
    return {
        ("GET", "/"): [(get("/"), PUBLIC)],
        ("GET", "/layers"): [(get("/layers"), PUBLIC)],
        ("GET", "/favicon.ico"): [(get("/favicon.ico"), PUBLIC)],
        ("GET", "/place/<layer_id>/<fid>"): [(get(f"/place/practice_bases/{base}"), PUBLIC)],
        # OGC API - Features and vector tiles: public data, the same for everybody
        **{("GET", rule): [(get(url), PUBLIC)] for rule, url in (
            ("/ogc", "/ogc"), ("/ogc/", "/ogc/"), ("/ogc/conformance", "/ogc/conformance"), ("/ogc/api", "/ogc/api"),
            ("/ogc/api.html", "/ogc/api.html"), ("/ogc/collections", "/ogc/collections"),
            ("/ogc/collections/<layer_id>", "/ogc/collections/venues"),
            ("/ogc/collections/<layer_id>/items", "/ogc/collections/venues/items"),
            ("/ogc/collections/<layer_id>/items/<fid>", f"/ogc/collections/practice_bases/items/{base}"),
            ("/tiles/<layer_id>/<z>/<x>/<y>.mvt", "/tiles/venues/12/3414/1657.mvt"),
            ("/tiles/<layer_id>.json", "/tiles/venues.json"))},
        ("GET", "/planner"): [(get("/planner"), PUBLIC)],
        ("GET", "/planner/report"): [(get(f"/planner/report?{analysis}"), PUBLIC)],
        ("GET", "/api/docs"): [(get("/api/docs"), PUBLIC)],
        ("GET", "/openapi.json"): [(get("/openapi.json"), PUBLIC)],
        ("GET", "/api/layers"): [(get("/api/layers"), PUBLIC)],
        ("GET", "/api/layers/<layer_id>/features"): [(get("/api/layers/venues/features"), PUBLIC)],
        ("GET", "/api/layers/<layer_id>/features/<fid>"): [(get(f"/api/layers/practice_bases/features/{base}"),
                                                           PUBLIC)],
        ("GET", "/api/clusters"): [(get("/api/clusters?layers=venues&bbox=119,32,120,33&zoom=10"), PUBLIC)],
        ("GET", "/api/nearby"): [(get("/api/nearby?lat=32.39&lon=119.4"), PUBLIC)],
        ("GET", "/api/places"): [(get("/api/places?q=馆"), PUBLIC)],
        ("GET", "/api/plan"): [(get(f"/api/plan?{analysis}"), PUBLIC)],
        ("GET", "/api/plan/compare"): [(get(f"/api/plan/compare?{analysis}"), PUBLIC)],
        ("GET", "/api/coverage"): [(get(f"/api/coverage?{analysis}"), PUBLIC)],
        ("GET", "/api/coverage/suggestions"): [(get(f"/api/coverage/suggestions?{analysis}"), PUBLIC)],
        ("GET", "/api/coverage/export"): [(get(f"/api/coverage/export?{analysis}"), PUBLIC)],
        ("GET", "/api/hours"): [(get("/api/hours?value=Mo-Fr%2009:00-17:00"), PUBLIC)],
        ("GET", "/login"): [(get("/login"), PUBLIC)],
        # a wrong password for everybody (one username each, so that no throttle answers instead); a page's
        # form without its CSRF token (here: the anonymous browser, with no token at all) is refused
        ("POST", "/login"): [(lambda c, h: c.post("/login", data={"username": f"x{id(h)}", "password": "y"},
                                                  headers=h), {**{role: 401 for role in ROLES}, "anonymous": 400})],
        ("POST", "/logout"): [(lambda c, h: c.post("/logout", headers=h),
                               {**{role: 303 for role in ROLES}, "anonymous": 400})],
        ("GET", "/api/me"): [(get("/api/me"), _expect(200, 200, 200, 200))],
        ("POST", "/api/layers/<layer_id>/features"): [(lambda c, h: c.post(
            "/api/layers/venues/features", json={"type": "Feature", "properties": VENUE,
                                                 "geometry": {"type": "Point", "coordinates": [119.4, 32.39]}},
            headers=h), _expect(201))],
        ("PATCH", "/api/layers/<layer_id>/features/<fid>"): [
            # attributes of a base: its own manager may, the other manager may not
            (_patch_base(world, base, {"properties": {"phone": "0514-1"}}), _expect(200, manager_own=200)),
            # moving it is for admins only
            (_patch_base(world, base, {"geometry": {"type": "Point", "coordinates": [119.41, 32.391]}}),
             _expect(200)),
            # another layer's feature
            (lambda c, h: (lambda fid: c.patch(f"/api/layers/venues/features/{fid}",
                                               json={"properties": {"phone": "1"}, "version": 1}, headers=h))(
                _venue(world)), _expect(200))],
        ("DELETE", "/api/layers/<layer_id>/features/<fid>"): [
            (lambda c, h: c.delete(f"/api/layers/venues/features/{_venue(world)}", headers=h), _expect(204)),
            (lambda c, h: c.delete(f"/api/layers/practice_bases/features/{base}", headers=h),
             {**_expect(None, manager_own=403), "admin": None})],
        ("GET", "/api/layers/<layer_id>/features/<fid>/changes"): [
            (get(f"/api/layers/practice_bases/features/{base}/changes"), _expect(200))],
        ("POST", "/api/reports"): [(lambda c, h: c.post(
            "/api/reports", json={"layer": "practice_bases", "fid": base, "kind": "wrong_phone"}, headers=h),
            {role: 201 for role in ROLES})],
        ("GET", "/api/reports"): [(get("/api/reports?status=all"), _expect(200))],
        ("POST", "/api/reports/<report_id>/close"): [(lambda c, h: c.post(
            f"/api/reports/{_report(world)}/close", json={"outcome": "fixed"}, headers=h), _expect(200))],
        ("GET", "/admin/users"): [(get("/admin/users"), _expect(200, nobody=303))],
        ("POST", "/admin/users"): [(lambda c, h: c.post("/admin/users", data={"action": "token", "username": "admin",
                                                                              "name": f"t{id(h)}"}, headers=h),
                                    {**_expect(200, nobody=303), "anonymous": 400})],
        ("GET", "/admin/changes"): [(get("/admin/changes"), _expect(200, nobody=303))],
        ("GET", "/admin/reports"): [(get("/admin/reports"), _expect(200, nobody=303))],
        ("POST", "/admin/reports/<report_id>"): [(lambda c, h: c.post(
            f"/admin/reports/{_report(world)}", data={"outcome": "rejected"}, headers=h),
            {**_expect(303, nobody=303), "anonymous": 400})],
        **_booking_rows(world),
    }


def endpoints(app) -> set[tuple[str, str]]:
    return {(method, rule.rule) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_endpoint_has_a_row(world):
    table = rows(world)
    assert endpoints(world["app"]) - set(table) == set(), "add a row to tests/test_authorization.py"
    assert set(table) - endpoints(world["app"]) == set()


def test_every_role_gets_what_its_row_says(world):
    headers = world["headers"]
    wrong = []
    for (method, rule), cases in sorted(rows(world).items()):
        for index, (request, expected) in enumerate(cases):
            got = {}
            for role in ROLES:
                if expected != PUBLIC and expected[role] is None:
                    continue  # the case is about the others (an admin would delete the base the rows use)
                # a fresh client each time: no cookie, so credentials are the role's token alone
                got[role] = request(world["app"].test_client(), headers[role]).status_code
            if expected == PUBLIC:
                if len(set(got.values())) != 1 or not all(s < 400 or s in (400, 404) for s in got.values()):
                    wrong.append((method, rule, index, got))
            elif got != {role: status for role, status in expected.items() if status is not None}:
                wrong.append((method, rule, index, got, expected))
    assert wrong == [], "\n".join(map(str, wrong))
