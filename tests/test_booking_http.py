"""Study-tour booking through HTTP, on both stores: the API with real accounts and tokens, the pages,
and the races through ``mapservice serve`` (gunicorn, several workers)."""
from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from io import BytesIO

import pytest
from shapely.geometry import Point

from mapservice import booking
from mapservice.auth import Accounts

PASSWORD = "correct-horse-battery"


def in_days(days: int) -> str:
    return (booking.today_china() + timedelta(days=days)).isoformat()


def make_world(store, schools: int = 3) -> dict:
    """Two bases (a manager for the first), ``schools`` schools with an account each, a bureau account;
    every account with an API token."""
    accounts = Accounts(store)
    base = store.create("practice_bases", {"name": "红色教育基地", "themes": ["patriotic"], "level": "municipal",
                                           "grade_min": 1, "grade_max": 9, "capacity": 50, "bookable": True},
                        Point(119.42, 32.39))
    other = store.create("practice_bases", {"name": "农耕基地", "themes": ["labour"], "level": "provincial",
                                            "bookable": True}, Point(119.5, 32.4))
    world = {"base": base.id, "other": other.id, "tokens": {}, "school_ids": []}

    def account(name, role, features=()):
        user = accounts.add_user(name, role, PASSWORD, features)
        world["tokens"][name] = accounts.create_token(user, "test")

    account("bureau", "admin")
    account("manager", "base_manager", [("practice_bases", base.id)])
    account("other-manager", "base_manager", [("practice_bases", other.id)])
    for i in range(schools):
        school = store.create("schools", {"name": f"学校{i}", "stage": "primary"}, Point(119.4 + i / 1000, 32.3))
        world["school_ids"].append(school.id)
        account(f"school{i}", "school", [("schools", school.id)])
    return world


def auth(world, name: str) -> dict:
    return {"Authorization": f"Bearer {world['tokens'][name]}"}


@pytest.fixture
def world(app):
    return make_world(app.extensions["mapservice"].store)


def new_session(client, world, days=20, capacity=50, grades=(3, 4, 5, 6), who="manager"):
    answer = client.post(f"/api/practice_bases/{world['base']}/sessions", headers=auth(world, who),
                         json={"date": in_days(days), "start": "09:00", "end": "11:30", "capacity": capacity,
                               "grades": list(grades)})
    assert answer.status_code == 201, answer.json
    return answer.json


def book(client, world, session_id, who="school0", pupils=45, key=None, **more):
    headers = {**auth(world, who), **({"Idempotency-Key": key} if key else {})}
    body = {"session_id": session_id, "pupils": pupils, "teachers": more.pop("teachers", 0), "grades": [5],
            "unit": "class", "contact_name": "王老师", "contact_phone": "13812345678", **more}
    return client.post("/api/bookings", headers=headers, json=body)


def test_school_books_manager_confirms_and_everybody_sees_what_is_theirs(client, world):
    made = new_session(client, world)
    assert made["remaining"] == 50 and made["grades"] == [3, 4, 5, 6]
    # Families (anybody) see the remaining places, no school names.
    public = client.get(f"/api/practice_bases/{world['base']}/sessions").json["sessions"]
    assert [(s["id"], s["remaining"]) for s in public] == [(made["id"], 50)]
    first = book(client, world, made["id"], "school0", pupils=42, teachers=3)
    assert first.status_code == 201 and first.json["status"] == "requested" and first.json["headcount"] == 45
    assert first.json["school_name"] == "学校0" and first.json["status_text"] == "待确认"
    # School B asks for 10 of the 5 left: 409 saying how many remain.
    second = book(client, world, made["id"], "school1", pupils=10)
    assert second.status_code == 409 and second.json["error"]["remaining"] == 5
    assert second.json["error"]["message"] == "此场次只剩 5 个名额，申请了 10 个"
    assert second.json["error"]["field"] == "pupils" and second.json["error"]["code"] == "booking_too_few_places"
    english = client.post("/api/bookings?lang=en", headers=auth(world, "school1"), json={
        "session_id": made["id"], "pupils": 10, "grades": [5], "unit": "class", "contact_name": "王老师",
        "contact_phone": "13812345678"})
    assert english.json["error"]["message"] == "only 5 places remain in this session; 10 were asked for"
    assert client.get(f"/api/practice_bases/{world['base']}/sessions").json["sessions"][0]["remaining"] == 5
    booking_id = first.json["id"]
    # Another school's booking answers 404, as does the other base's manager; no token is a 401.
    assert client.get(f"/api/bookings/{booking_id}", headers=auth(world, "school1")).status_code == 404
    assert client.get(f"/api/bookings/{booking_id}", headers=auth(world, "other-manager")).status_code == 404
    assert client.get(f"/api/bookings/{booking_id}").status_code == 401
    assert client.post(f"/api/bookings/{booking_id}/confirm", headers=auth(world, "school0")).status_code == 403
    assert client.post(f"/api/bookings/{booking_id}/confirm", headers=auth(world, "other-manager")).status_code == 404
    confirmed = client.post(f"/api/bookings/{booking_id}/confirm", headers=auth(world, "manager"))
    assert confirmed.status_code == 200 and confirmed.json["status"] == "confirmed"
    assert [h["change"]["status"] for h in confirmed.json["history"]] == [[None, "requested"],
                                                                          ["requested", "confirmed"]]
    # A second answer to the same request: the compare-and-swap refuses it.
    assert client.post(f"/api/bookings/{booking_id}/decline", headers=auth(world, "manager"),
                       json={"reason": "满了"}).status_code == 409
    mine = client.get("/api/bookings", headers=auth(world, "school0")).json["bookings"]
    assert [b["status"] for b in mine] == ["confirmed"]
    assert client.get("/api/bookings", headers=auth(world, "school1")).json["bookings"] == []
    assert len(client.get("/api/bookings", headers=auth(world, "bureau")).json["bookings"]) == 1
    assert client.get("/api/bookings", headers=auth(world, "other-manager")).json["bookings"] == []
    # The manager's day: contacts and notes.
    day = client.get(f"/api/practice_bases/{world['base']}/day?date={made['date']}", headers=auth(world, "manager"))
    assert day.status_code == 200 and day.json["headcount"] == 45
    assert day.json["bookings"][0]["contact_phone"] == "13812345678"
    assert client.get(f"/api/practice_bases/{world['base']}/day?date={made['date']}",
                      headers=auth(world, "school0")).status_code == 404


def test_rules_are_422s_naming_the_rule_and_bad_input_400s_naming_the_field(client, world):
    made = new_session(client, world, days=20)
    too_soon = new_session(client, world, days=2)  # inside the 3-day cut-off
    answer = book(client, world, too_soon["id"], pupils=10)
    assert answer.status_code == 422 and answer.json["error"]["field"] == "session_id"
    wrong_grade = book(client, world, made["id"], pupils=10, grades=[9])
    assert wrong_grade.status_code == 422 and wrong_grade.json["error"]["field"] == "grades"
    filing_soon = new_session(client, world, days=5, capacity=300)
    filed = book(client, world, filing_soon["id"], pupils=210)
    assert filed.status_code == 422 and filed.json["error"]["message"].startswith("200 人及以上或整个年级的研学须提前 7 天")
    # No English reaches a Chinese user: a rule, a bad value, a stale answer.
    for answer in (wrong_grade, filed, book(client, world, made["id"], "school1", contact_phone="call me")):
        assert not re.search("[A-Za-z]{4,}", answer.json["error"]["message"]), answer.json
    assert book(client, world, made["id"], pupils=10).status_code == 201
    duplicate = book(client, world, made["id"], pupils=10)
    assert duplicate.status_code == 422
    for body, field in (({"pupils": "many"}, "pupils"), ({"pupils": -1}, "pupils"), ({"unit": "bus"}, "unit"),
                        ({"contact_phone": "call me"}, "contact_phone"), ({"note": "x" * 501}, "note"),
                        ({"grades": [0]}, "grades"), ({"contact_name": "\x00"}, "contact_name")):
        answer = book(client, world, made["id"], "school1", **{"pupils": 3, **body})
        assert 400 <= answer.status_code < 500, (body, answer.json)
        assert field in json.dumps(answer.json), (body, answer.json)
    # Ids beyond 64 bits are no such object, not an overflow.
    for path in ("/api/bookings/76011372780691000393728/confirm", "/api/sessions/99999999999999999999/cancel"):
        assert client.post(path, headers=auth(world, "manager"), json={"reason": "x"}).status_code == 404
    assert client.get(f"/api/bookings/{2**63 - 1}", headers=auth(world, "manager")).status_code == 404
    assert client.get(f"/api/practice_bases/{2**63}/sessions").status_code == 404
    assert client.post("/api/bookings", headers=auth(world, "school1"), data="not json",
                       content_type="application/json").status_code == 400
    bad_date = client.post(f"/api/practice_bases/{world['base']}/sessions", headers=auth(world, "manager"),
                           json={"date": "2027-02-30", "start": "09:00", "end": "11:30", "capacity": 5,
                                 "grades": [3]})
    assert bad_date.status_code == 400 and "date" in json.dumps(bad_date.json)
    assert client.post("/api/venues/1/sessions", headers=auth(world, "manager"),
                       json={"date": in_days(9), "start": "09:00", "end": "11:00", "capacity": 5,
                             "grades": [3]}).status_code == 404
    # A school offers no sessions, and another manager's base is not theirs.
    assert client.post(f"/api/practice_bases/{world['base']}/sessions", headers=auth(world, "school0"),
                       json={"date": in_days(9), "start": "09:00", "end": "11:00", "capacity": 5,
                             "grades": [3]}).status_code in (403, 404)
    assert client.post(f"/api/practice_bases/{world['base']}/sessions", headers=auth(world, "other-manager"),
                       json={"date": in_days(9), "start": "09:00", "end": "11:00", "capacity": 5,
                             "grades": [3]}).status_code == 404


def test_idempotency_key_replays_the_first_answer(client, world):
    made = new_session(client, world)
    first = book(client, world, made["id"], pupils=20, key="k-1")
    again = book(client, world, made["id"], pupils=20, key="k-1")
    assert first.status_code == again.status_code == 201 and first.json["id"] == again.json["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    other_body = book(client, world, made["id"], pupils=21, key="k-1")
    assert other_body.status_code == 422 and other_body.json["error"]["field"] == "Idempotency-Key"
    assert client.get(f"/api/practice_bases/{world['base']}/sessions").json["sessions"][0]["booked"] == 20


def test_patterns_capacity_cancellation_and_exports(client, world):
    start = booking.today_china() + timedelta(days=10)
    pattern = client.post(f"/api/practice_bases/{world['base']}/sessions/pattern", headers=auth(world, "manager"),
                          json={"date_from": start.isoformat(), "date_to": (start + timedelta(days=27)).isoformat(),
                                "weekdays": [2, 4], "start": "09:00", "end": "11:30", "capacity": 40,
                                "grades": [5]})
    assert pattern.status_code == 201 and len(pattern.json["sessions"]) + len(pattern.json["skipped_holidays"]) == 8
    first = pattern.json["sessions"][0]
    made = book(client, world, first["id"], pupils=30)
    assert client.patch(f"/api/sessions/{first['id']}", headers=auth(world, "manager"),
                        json={"capacity": 20}).status_code == 409  # below what is booked
    assert client.patch(f"/api/sessions/{first['id']}", headers=auth(world, "manager"),
                        json={"capacity": 35}).json["remaining"] == 5
    csv = client.get("/api/bookings/export?format=csv", headers=auth(world, "manager"))
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert csv.data.decode("utf-8-sig").splitlines()[0].startswith("预约编号,日期")
    xlsx = client.get("/api/bookings/export?format=xlsx&lang=en", headers=auth(world, "bureau"))
    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(xlsx.data)).active
    assert sheet["A1"].value == "Booking no." and sheet["A2"].value == made.json["id"]
    assert client.get("/api/bookings/export?format=csv", headers=auth(world, "school1")).data.decode(
        "utf-8-sig").count("\n") == 1  # the headers only: not theirs
    # How long requests wait before they expire is the base's.
    settings = f"/api/practice_bases/{world['base']}/booking-settings"
    assert client.put(settings, headers=auth(world, "manager"), json={"expire_days": 2}).json == {"expire_days": 2}
    assert client.put(settings, headers=auth(world, "manager"), json={"expire_days": 0}).status_code == 400
    assert client.put(settings, headers=auth(world, "other-manager"), json={"expire_days": 2}).status_code == 404
    later = book(client, world, pattern.json["sessions"][1]["id"], "school1", pupils=3).json
    assert later["expires_at"][:10] == (booking.now_utc() + timedelta(days=2)).date().isoformat()
    cancelled = client.post(f"/api/sessions/{first['id']}/cancel", headers=auth(world, "manager"),
                            json={"reason": "场馆检修"})
    assert cancelled.status_code == 200 and cancelled.json["cancelled_bookings"] == [made.json["id"]]
    seen = client.get(f"/api/bookings/{made.json['id']}", headers=auth(world, "school0")).json
    assert seen["status"] == "cancelled_by_base" and seen["session"]["cancel_reason"] == "场馆检修"


def test_school_finds_bases_and_the_bureau_sees_schools_without_tours(client, world):
    made = new_session(client, world)
    found = client.get("/api/school/bases?grade=5", headers=auth(world, "school0")).json["bases"]
    assert found[0]["id"] == world["base"] and found[0]["sessions"][0]["id"] == made["id"]
    assert found[0]["distance_m"] > 0
    assert client.get("/api/school/bases?where=level:national", headers=auth(world, "school0")).json["bases"] == []
    assert client.get("/api/school/bases?where=colour:red", headers=auth(world, "school0")).status_code == 400
    outcome = book(client, world, made["id"], pupils=10)
    client.post(f"/api/bookings/{outcome.json['id']}/confirm", headers=auth(world, "manager"))
    tours = client.get(f"/api/bookings/schools-without-tours?from={in_days(0)}&to={in_days(60)}",
                       headers=auth(world, "bureau"))
    assert tours.status_code == 200
    assert {s["id"] for s in tours.json["without_tours"]} == set(world["school_ids"][1:])
    assert client.get(f"/api/bookings/schools-without-tours?from={in_days(0)}&to={in_days(60)}",
                      headers=auth(world, "manager")).status_code == 403


def test_a_practice_base_popup_shows_its_next_sessions(client, world):
    made = new_session(client, world)
    popup = client.get(f"/api/layers/practice_bases/features/{world['base']}").json["properties"]["popup"]
    assert popup["sessions"][0]["remaining"] == 50 and popup["sessions"][0]["date"] == made["date"]
    assert popup["sessions_title"] == "近期研学场次"
    assert "学校" not in json.dumps(popup["sessions"], ensure_ascii=False)


def test_pages_for_each_role(client, world):
    made = new_session(client, world)
    book(client, world, made["id"], pupils=12)
    # Not signed in: to the sign-in page and back.
    for path in ("/school", "/base", "/admin/bookings"):
        answer = client.get(path)
        assert answer.status_code == 303 and "/login" in answer.headers["Location"]
    page = client.get("/school", headers=auth(world, "school0")).get_data(as_text=True)
    assert "红色教育基地" in page and "剩余 38 个名额" in page and "我的预约" in page and "待确认" in page
    assert "school0 · — → 待确认" in page  # the booking's history
    assert client.get("/school?lang=en", headers=auth(world, "school0")).get_data(as_text=True).count("My bookings")
    base = client.get(f"/base?start={made['date']}", headers=auth(world, "manager")).get_data(as_text=True)
    assert "12/50" in base and "学校0" in base and "确认" in base
    day = client.get(f"/base/day?base=practice_bases:{world['base']}&date={made['date']}",
                     headers=auth(world, "manager")).get_data(as_text=True)
    assert "13812345678" in day and "学校0" in day
    assert client.get(f"/base/day?base=practice_bases:{world['base']}&date={made['date']}",
                      headers=auth(world, "other-manager")).status_code == 404
    admin = client.get(f"/admin/bookings?from={in_days(0)}&to={in_days(60)}", headers=auth(world, "bureau"))
    assert admin.status_code == 200 and "本期没有研学的学校（3 所）" in admin.get_data(as_text=True)
    one = client.get(f"/admin/bookings?from={in_days(0)}&to={in_days(60)}&school=schools:{world['school_ids'][1]}",
                     headers=auth(world, "bureau")).get_data(as_text=True)
    assert "预约（0 项）" in one
    assert client.get("/admin/bookings", headers=auth(world, "manager")).status_code == 403
    assert client.get("/base", headers=auth(world, "school0")).status_code == 403
    assert client.get("/school?colour=red", headers=auth(world, "school0")).status_code == 400
    assert client.get(f"/base/day?base=practice_bases:²&date={made['date']}",
                      headers=auth(world, "manager")).status_code == 400


# -- races through the real server -------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(port, method, path, token, body=None, key=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    if key:
        headers["Idempotency-Key"] = key
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    data = json.loads(response.read() or b"null")
    conn.close()
    return response.status, data


@pytest.fixture
def served(settings, layers):
    """``mapservice serve`` with three gunicorn workers over a store holding a world of 50 schools."""
    from mapservice.store import open_store

    store = open_store(settings, layers)
    store.init()
    world = make_world(store, schools=50)
    store.close()
    port = _free_port()
    env = {**os.environ, "MAPSERVICE_DATABASE_URL": settings.database_url, "MAPSERVICE_LOAD_DEMO": "false",
           "MAPSERVICE_DATABASE_SCHEMA": settings.database_schema or "public",
           "MAPSERVICE_SECRET_KEY": getattr(settings, "secret_key", None) or "test-secret-key-for-the-race"}
    server = subprocess.Popen([sys.executable, "-c", "from mapservice.cli import main; main()", "serve", "--port",
                               str(port), "--workers", "3", "--threads", "8"], env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while True:
        try:
            if _call(port, "GET", "/api/layers", None)[0] == 200:
                break
        except OSError:
            pass
        assert server.poll() is None and time.monotonic() < deadline, server.stderr.read().decode()
        time.sleep(0.3)
    yield port, world
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(15)


def _at_once(calls):
    results = [None] * len(calls)
    gate = threading.Barrier(len(calls))

    def run(i, call):
        gate.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    return results


def test_races_through_the_server(served):
    port, world = served
    tokens = world["tokens"]
    status, made = _call(port, "POST", f"/api/practice_bases/{world['base']}/sessions", tokens["manager"],
                         {"date": in_days(20), "start": "09:00", "end": "11:30", "capacity": 40, "grades": [5]})
    assert status == 201

    def ask(i):
        return lambda: _call(port, "POST", "/api/bookings", tokens[f"school{i}"], {
            "session_id": made["id"], "pupils": 1, "teachers": 0, "grades": [5], "unit": "class",
            "contact_name": "王老师", "contact_phone": "13812345678"})

    # 50 schools for the last 40 places, all at once: exactly 40 granted.
    results = _at_once([ask(i) for i in range(50)])
    statuses = sorted(s for s, _ in results)
    assert statuses.count(201) == 40 and statuses.count(409) == 10, statuses
    status, sessions = _call(port, "GET", f"/api/practice_bases/{world['base']}/sessions", None)
    assert sessions["sessions"][0]["booked"] == 40
    # Ten identical requests with one key: one booking.
    status, second = _call(port, "POST", f"/api/practice_bases/{world['base']}/sessions", tokens["manager"],
                           {"date": in_days(21), "start": "09:00", "end": "11:30", "capacity": 40, "grades": [5]})
    body = {"session_id": second["id"], "pupils": 5, "teachers": 0, "grades": [5], "unit": "class",
            "contact_name": "王老师", "contact_phone": "13812345678"}
    results = _at_once([lambda: _call(port, "POST", "/api/bookings", tokens["school0"], body, key="same-key")
                        for _ in range(10)])
    assert {s for s, _ in results} == {201} and len({b["id"] for _, b in results}) == 1
    # A confirm and a decline of the same request at once: one outcome.
    request_id = results[0][1]["id"]
    outcomes = _at_once([
        lambda: _call(port, "POST", f"/api/bookings/{request_id}/confirm", tokens["manager"]),
        lambda: _call(port, "POST", f"/api/bookings/{request_id}/decline", tokens["manager"], {"reason": "满"})])
    assert sorted(s for s, _ in outcomes) == [200, 409]
    status, final = _call(port, "GET", f"/api/bookings/{request_id}", tokens["school0"])
    assert final["status"] in ("confirmed", "declined")
    status, sessions = _call(port, "GET", f"/api/practice_bases/{world['base']}/sessions", None)
    booked = {s["id"]: s["booked"] for s in sessions["sessions"]}
    assert booked[second["id"]] == (5 if final["status"] == "confirmed" else 0)
