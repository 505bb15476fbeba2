"""Study-tour booking on both stores: the rules in words, the database's guarantees under concurrency."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from shapely.geometry import Point

from mapservice import booking
from mapservice.booking import Actor, Request, Rules, SessionSpec
from mapservice.errors import BadRequest, Conflict, Forbidden, NotFound

ADMIN = Actor("bureau", "admin")


@pytest.fixture
def region(store):
    """A bookable base for grades 3-9 with its manager, a second base, and 60 schools."""
    base = store.create("practice_bases", {"name": "红色教育基地", "themes": ["patriotic"], "level": "municipal",
                                           "grade_min": 3, "grade_max": 9, "capacity": 50, "bookable": True},
                        Point(119.42, 32.39))
    other = store.create("practice_bases", {"name": "农耕基地", "themes": ["labour"], "level": "municipal",
                                            "bookable": True}, Point(119.5, 32.4))
    closed = store.create("practice_bases", {"name": "不接待基地", "themes": ["labour"], "level": "municipal",
                                             "bookable": False}, Point(119.5, 32.5))
    schools = [store.create("schools", {"name": f"学校{i}", "stage": "primary"}, Point(119.4 + i / 1000, 32.3)).id
               for i in range(60)]
    manager = Actor("base-manager", "base_manager", bases=frozenset({("practice_bases", base.id)}))
    return {"store": store, "base": base.id, "other": other.id, "closed": closed.id, "manager": manager,
            "schools": [Actor(f"school-{i}", "school", school=("schools", sid)) for i, sid in enumerate(schools)]}


def in_days(days: int) -> str:
    return (booking.today_china() + timedelta(days=days)).isoformat()


def session(region, days=20, capacity=50, grades=(3, 4, 5, 6), **window):
    spec = SessionSpec("09:00", "11:30", capacity, list(grades), **window)
    return booking.add_session(region["store"], region["manager"], "practice_bases", region["base"], in_days(days), spec)


def request(session_id, pupils=45, teachers=0, grades=(5,), unit="class", **more):
    return Request(session_id, pupils, teachers, list(grades), unit, "王老师", "13812345678", **more)


def test_a_school_books_and_the_base_confirms(region):
    store, manager, school = region["store"], region["manager"], region["schools"][0]
    made = session(region)
    outcome = booking.book(store, school, request(made.id, pupils=42, teachers=3))
    assert outcome.status == 201 and outcome.body["status"] == "requested" and outcome.body["headcount"] == 45
    assert store.bookings.session(made.id).remaining == 5
    # Another school asks for 10 of the 5 left: refused, saying how many remain.
    refused = booking.book(store, region["schools"][1], request(made.id, pupils=10))
    assert refused.status == 409 and refused.body["error"]["remaining"] == 5 and "only 5 places" in \
        refused.body["error"]["message"]
    confirmed = booking.confirm(store, manager, outcome.body["id"])
    assert confirmed.status == "confirmed"
    assert [h["change"]["status"] for h in store.bookings.history("booking", confirmed.id)] == \
        [[None, "requested"], ["requested", "confirmed"]]
    assert [b.id for b in booking.visible_bookings(store, school)] == [confirmed.id]
    assert booking.visible_bookings(store, region["schools"][1]) == []
    assert [b.id for b in booking.visible_bookings(store, manager)] == [confirmed.id]
    assert booking.check(store) == []


def test_the_rules_are_named(region):
    store, school = region["store"], region["schools"][0]
    made = session(region)
    cases = [
        (request(made.id, grades=(8,)), 422, "grades"),                     # not a grade of this session
        (request(made.id, unit="field trip"), 400, "unit"),
        (request(made.id, pupils=0), 400, "pupils"),
        (Request(made.id, 5, 1, [5], "class", "王老师", "12345"), 400, "contact_phone"),
        (Request(made.id, 5, 1, [5], "class", "王\x00老师", "13812345678"), 400, "contact_name"),
        (request(made.id, note="长" * 501), 400, "note"),
        (request(999_999), 404, "session_id"),
    ]
    for sent, status, field in cases:
        outcome = booking.book(store, school, sent)
        assert (outcome.status, outcome.body["error"]["field"]) == (status, field), sent
    # Outside the booking window: closes three days ahead, opens sixty days ahead.
    soon, far = session(region, days=2), session(region, days=61)
    for made_ in (soon, far):
        outcome = booking.book(store, school, request(made_.id))
        assert outcome.status == 422 and "takes bookings from" in outcome.body["error"]["message"]
    # The bureau's filing rule: a whole grade, or 200 people, at least seven days ahead.
    near = session(region, days=5, capacity=300)
    outcome = booking.book(store, school, request(near.id, unit="grade"))
    assert outcome.status == 422 and "filed with the education bureau at least 7 days" in outcome.body["error"]["message"]
    outcome = booking.book(store, school, request(near.id, pupils=199, teachers=1), Rules(filing_headcount=200))
    assert outcome.status == 422
    # One active booking per school and session.
    assert booking.book(store, school, request(made.id, pupils=5)).status == 201
    duplicate = booking.book(store, school, request(made.id, pupils=5))
    assert duplicate.status == 422 and duplicate.body["error"]["field"] == "session_id"
    assert store.bookings.session(made.id).booked == 5


def test_filed_trips_wait_for_the_bureau(region):
    store, manager, school = region["store"], region["manager"], region["schools"][0]
    made = session(region, capacity=300)
    outcome = booking.book(store, school, request(made.id, pupils=180, teachers=20))
    assert outcome.status == 201 and outcome.body["filing_required"] is True
    with pytest.raises(booking.RuleRefused, match="需备案"):
        booking.confirm(store, manager, outcome.body["id"])
    with pytest.raises(Forbidden):
        booking.acknowledge_filing(store, manager, outcome.body["id"])
    booking.acknowledge_filing(store, ADMIN, outcome.body["id"])
    assert booking.confirm(store, manager, outcome.body["id"]).status == "confirmed"


def test_answers_are_compare_and_swap_and_free_places(region):
    store, manager = region["store"], region["manager"]
    made = session(region)
    first = booking.book(store, region["schools"][0], request(made.id, pupils=20)).body["id"]
    second = booking.book(store, region["schools"][1], request(made.id, pupils=20)).body["id"]
    booking.decline(store, manager, first, "那天有施工")
    assert store.bookings.session(made.id).booked == 20
    with pytest.raises(Conflict, match="declined now"):
        booking.confirm(store, manager, first)
    assert store.bookings.booking(first).reason == "那天有施工"
    booking.cancel(store, region["schools"][1], second)
    assert store.bookings.session(made.id).booked == 0
    # Who may not see a booking finds nothing; a base manager of another base neither.
    other_manager = Actor("other", "base_manager", bases=frozenset({("practice_bases", region["other"])}))
    for actor in (region["schools"][2], other_manager):
        with pytest.raises(NotFound):
            booking.confirm(store, actor, first)
    with pytest.raises(Forbidden):
        booking.confirm(store, region["schools"][0], first)
    # A school cannot cancel after the cut-off (the end of the booking window).
    third = booking.book(store, region["schools"][3], request(made.id, pupils=5)).body["id"]
    late = datetime.now(timezone.utc) + timedelta(days=18)
    with pytest.raises(booking.RuleRefused, match="cancelled until"):
        booking.cancel(store, region["schools"][3], third, moment=late)


def test_sessions_patterns_capacity_and_cancellation(region):
    store, manager = region["store"], region["manager"]
    with pytest.raises(NotFound):  # another base's manager may not add sessions here
        booking.add_session(store, Actor("x", "base_manager"), "practice_bases", region["base"], in_days(20),
                            SessionSpec("09:00", "10:00", 10, [5]))
    with pytest.raises(booking.RuleRefused, match="takes no bookings"):
        booking.add_session(store, ADMIN, "practice_bases", region["closed"], in_days(20),
                            SessionSpec("09:00", "10:00", 10, [5]))
    for spec, field in ((SessionSpec("10:00", "09:00", 10, [5]), "end"), (SessionSpec("9:00", "10:00", 10, [5]), "start"),
                        (SessionSpec("09:00", "10:00", 0, [5]), "capacity")):
        with pytest.raises(BadRequest) as caught:
            booking.add_session(store, manager, "practice_bases", region["base"], in_days(20), spec)
        assert caught.value.field == field
    with pytest.raises(booking.RuleRefused, match="grades 3-9"):
        booking.add_session(store, manager, "practice_bases", region["base"], in_days(20),
                            SessionSpec("09:00", "10:00", 10, [1, 2]))
    # Weekdays from 27 September to 8 October 2027: ten days, less National Day (1 October, a Friday).
    pattern = booking.add_pattern(store, manager, "practice_bases", region["base"], "2027-09-27", "2027-10-08",
                                  [1, 2, 3, 4, 5], SessionSpec("09:00", "11:30", 40, [5, 6]))
    assert pattern.skipped_holidays == ["2027-10-01"] and len(pattern.sessions) == 9
    made = session(region, capacity=30)
    school = region["schools"][0]
    held = booking.book(store, school, request(made.id, pupils=25)).body["id"]
    with pytest.raises(Conflict, match="below the 25 places"):
        booking.set_capacity(store, manager, made.id, 20)
    assert booking.set_capacity(store, manager, made.id, 25).capacity == 25
    assert booking.cancel_session(store, manager, made.id, "暴雨预警") == [held]
    cancelled = store.bookings.booking(held)
    assert cancelled.status == "cancelled_by_base" and cancelled.reason == "暴雨预警"
    assert booking.public_sessions(store, "practice_bases", region["base"], in_days(19), in_days(21)) == []
    assert booking.check(store) == []


def test_unanswered_requests_expire_and_free_their_places(region):
    store = region["store"]
    made = session(region)
    store.bookings.set_expire_days("practice_bases", region["base"], 2)
    held = booking.book(store, region["schools"][0], request(made.id, pupils=30)).body
    assert booking.expire_due(store) == []
    assert booking.expire_due(store, datetime.now(timezone.utc) + timedelta(days=2, minutes=1)) == [held["id"]]
    assert store.bookings.booking(held["id"]).status == "expired" and store.bookings.session(made.id).booked == 0


def test_an_idempotency_key_gives_the_same_answer_and_refuses_another_body(region):
    store, school = region["store"], region["schools"][0]
    made = session(region)
    first = booking.book(store, school, request(made.id, pupils=10), key="k-1")
    again = booking.book(store, school, request(made.id, pupils=10), key="k-1")
    assert (again.status, again.body, again.replayed) == (first.status, first.body, True)
    with pytest.raises(booking.RuleRefused, match="another request"):
        booking.book(store, school, request(made.id, pupils=11), key="k-1")
    # Keys belong to an account: another school's same key is its own.
    assert booking.book(store, region["schools"][1], request(made.id, pupils=10), key="k-1").status == 201
    # A refusal is an answer too, and is replayed.
    full = booking.book(store, region["schools"][2], request(made.id, pupils=40), key="k-2")
    assert full.status == 409
    assert booking.book(store, region["schools"][2], request(made.id, pupils=40), key="k-2").body == full.body
    assert store.bookings.session(made.id).booked == 20


def _at_once(calls):
    """Run the calls in threads released together; their results (or exceptions) in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - the outcome under test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_fifty_schools_for_the_last_forty_places(region):
    store = region["store"]
    made = session(region, capacity=40)
    outcomes = _at_once([lambda s=s: booking.book(store, s, request(made.id, pupils=1)) for s in region["schools"][:50]])
    statuses = sorted(o.status for o in outcomes)
    assert statuses == [201] * 40 + [409] * 10
    assert store.bookings.session(made.id).booked == 40 and booking.check(store) == []


def test_ten_requests_with_one_key_make_one_booking(region):
    store, school = region["store"], region["schools"][0]
    made = session(region)
    outcomes = _at_once([lambda: booking.book(store, school, request(made.id, pupils=3), key="same")] * 10)
    assert {o.body["id"] for o in outcomes} == {outcomes[0].body["id"]}
    assert len(store.bookings.bookings(school=school.school)) == 1 and store.bookings.session(made.id).booked == 3


def test_a_confirm_and_a_decline_at_once_end_with_one_outcome(region):
    store, manager = region["store"], region["manager"]
    made = session(region)
    for school in region["schools"][:5]:
        held = booking.book(store, school, request(made.id, pupils=2)).body["id"]
        results = _at_once([lambda held=held: booking.confirm(store, manager, held),
                            lambda held=held: booking.decline(store, manager, held, "满了")])
        assert sum(isinstance(r, Conflict) for r in results) == 1, results
        assert store.bookings.booking(held).status in ("confirmed", "declined")
    assert booking.check(store) == []


def test_the_integrity_check_finds_a_tampered_counter(region):
    store = region["store"]
    made = session(region)
    booking.book(store, region["schools"][0], request(made.id, pupils=7))
    assert booking.check(store) == []
    with store.transaction():
        store._run("UPDATE {booking_sessions} SET booked = booked + 1 WHERE id = %s", [made.id])
    assert booking.check(store) == [(made.id, 8, 7)]


def test_the_nightly_check_command(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from mapservice.cli import main

    monkeypatch.setenv("MAPSERVICE_DATABASE_URL", str(tmp_path / "b.gpkg"))
    monkeypatch.setenv("MAPSERVICE_LOAD_DEMO", "false")
    result = CliRunner().invoke(main, ["bookings", "check"])
    assert result.exit_code == 0 and "0 个场次" in result.output
    assert CliRunner().invoke(main, ["bookings", "expire"]).exit_code == 0


# -- what the pages list -----------------------------------------------------------------------

def test_a_school_finds_bases_nearest_first_for_its_grade_with_free_places(region):
    store, school = region["store"], region["schools"][0]
    early = session(region, days=10, capacity=50)
    session(region, days=30, capacity=20, grades=(7, 8))
    other = booking.add_session(store, ADMIN, "practice_bases", region["other"], in_days(12),
                                SessionSpec("13:00", "15:00", 30, [5, 6]))
    found = booking.find_bases(store, school, grade=5)
    assert [b["id"] for b in found] == [region["base"], region["other"]]  # nearest first
    assert found[0]["distance_m"] < found[1]["distance_m"] and found[0]["distance_m"] > 0
    assert [s["id"] for s in found[0]["sessions"]] == [early.id]  # the grade 7-8 session is left out
    # Full on the day asked for: a base with no free places then is not listed.
    booking.book(store, school, request(early.id, pupils=50))
    on_day = booking.find_bases(store, school, grade=5, date_from=in_days(10), date_to=in_days(10))
    assert on_day == []
    assert [b["id"] for b in booking.find_bases(store, school, date_from=in_days(12), date_to=in_days(12))] == \
        [region["other"]]
    assert other.id in [s["id"] for s in booking.find_bases(store, school, date_from=in_days(12))[-1]["sessions"]]
    # Filters by the layer's code attributes; the closed base is never listed.
    assert [b["id"] for b in booking.find_bases(store, school, where="themes:labour")] == [region["other"]]
    assert region["closed"] not in [b["id"] for b in booking.find_bases(store, school)]
    with pytest.raises(BadRequest) as wrong:
        booking.find_bases(store, school, where="themes:cooking")
    assert wrong.value.field == "where"


def test_the_bureau_sees_the_schools_with_no_study_tour(region):
    store, manager = region["store"], region["manager"]
    made = session(region)
    toured = region["schools"][:3]
    for school in toured:
        outcome = booking.book(store, school, request(made.id, pupils=10))
        booking.confirm(store, manager, outcome.body["id"])
    # A requested booking is no study tour yet.
    booking.book(store, region["schools"][3], request(made.id, pupils=5))
    untoured = booking.schools_without_tours(store, ADMIN, in_days(0), in_days(60))
    ids = {s["id"] for s in untoured}
    assert len(untoured) == 57 and not ids & {s.school[1] for s in toured}
    assert region["schools"][3].school[1] in ids
    assert all({"name", "district", "lon", "lat"} <= set(s) for s in untoured)
    with pytest.raises(Forbidden):
        booking.schools_without_tours(store, manager, in_days(0), in_days(60))


def test_exports_have_chinese_headers_and_defuse_formulas(region):
    store, school = region["store"], region["schools"][0]
    made = session(region)
    booking.book(store, school, request(made.id, pupils=20, teachers=2, note="=HYPERLINK(\"x\")"))
    found = booking.listed_bookings(store, ADMIN)
    csv_text = booking.export_file(store, found, "csv").decode("utf-8-sig")
    header, row = csv_text.splitlines()[:2]
    assert header.startswith("预约编号,日期,时间,基地,学校,学生,带队教师,合计人数")
    assert "红色教育基地" in row and "学校0" in row and "待确认" in row and "'=HYPERLINK" in row
    assert booking.export_file(store, found, "csv", "en").decode("utf-8-sig").startswith("Booking no.,Date")
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(booking.export_file(store, found, "xlsx"))).active
    assert sheet.title == "研学预约" and sheet["D2"].value == "红色教育基地" and sheet["H2"].value == 22
    with pytest.raises(BadRequest):
        booking.export_file(store, found, "pdf")


def test_an_account_acts_for_its_features(region):
    from types import SimpleNamespace

    store = region["store"]
    school_id = region["schools"][0].school[1]
    user = SimpleNamespace(username="t1", role="school", features=(("schools", school_id),))
    assert booking.actor_for(user, store) == Actor("t1", "school", ("schools", school_id))
    manager = SimpleNamespace(username="m1", role="base_manager",
                              features=(("practice_bases", region["base"]), ("schools", school_id)))
    assert booking.actor_for(manager, store).bases == frozenset({("practice_bases", region["base"])})
    assert booking.actor_for(manager, store).school is None
    # The day's list is the manager's; another manager's base answers as if it did not exist.
    made = session(region)
    booking.book(store, region["schools"][0], request(made.id, pupils=12))
    feature, day = booking.day_list(store, region["manager"], "practice_bases", region["base"], made.date)
    assert feature.properties["name"] == "红色教育基地" and [b.pupils for b in day] == [12]
    stranger = Actor("m2", "base_manager", bases=frozenset({("practice_bases", region["other"])}))
    with pytest.raises(NotFound):
        booking.day_list(store, stranger, "practice_bases", region["base"], made.date)
