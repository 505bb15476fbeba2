"""The study-tour booking API (研学预约): sessions of the bookable layers' features (practice bases),
schools' bookings, the base's answers, the day's list and exports. Every rule and every right is
decided in :mod:`mapservice.booking`; a view parses the request, names the acting account and
renders the answer. ``<base_layer>`` is any layer with a ``bookable`` attribute.
"""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import Response, jsonify, request

from .. import auth, booking
from ..errors import wording
from ..i18n import pick_lang
from . import responses, service, store
from .auth import current_user
from .schemas import (
    BaseSettingsBody,
    BookingArgs,
    BookingBody,
    BookingListArgs,
    DayArgs,
    DeclineBody,
    ExportBookingsArgs,
    FindBasesArgs,
    PatternBody,
    SessionBody,
    SessionCancelBody,
    SessionCapacityBody,
    SessionsArgs,
    ToursArgs,
)

bp = APIBlueprint("bookings", __name__, url_prefix="/api", tag="Study-tour booking")

#: The statuses each operation may answer beyond 200/201 (the shared error shape).
ERRORS = {400: "a parameter is wrong (it is named)", 401: "sign in, or send a Bearer token",
          403: "signed in without the right for this", 404: "no such object, or not yours to see",
          409: "the object changed meanwhile (or too few places remain)",
          422: "a rule refuses it (window, grades, filing period, duplicate)"}


def _answer(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    """A JSON response as built (APIFlask would serialize a (body, status) tuple's first item again)."""
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _worded(body: dict) -> dict:
    """A refusal kept with its idempotency key (in English, with its code), worded in the request's language."""
    error = body["error"]
    worded = wording(error.get("code") or "", pick_lang(request.args.get("lang")), error.get("field"),
                     error.get("params"))
    return {"error": {**error, "message": worded or error["message"]}}


def _actor() -> booking.Actor:
    return booking.actor_for(auth.authorize(current_user(), "signed_in"), store())


def _rules() -> booking.Rules:
    settings = service().settings
    return booking.Rules(settings.filing_headcount, settings.filing_days)


def _spec(body: dict) -> booking.SessionSpec:
    return booking.SessionSpec(body["start"], body["end"], body["capacity"], body["grades"],
                               body.get("window_from_days", booking.WINDOW_FROM_DAYS),
                               body.get("window_to_days", booking.WINDOW_TO_DAYS))


def _booking_out(b, names: dict | None = None) -> dict:
    names = names or booking.names_of(store(), [b])
    lang = pick_lang(request.args.get("lang"))
    return {**booking.booking_dict(b), "base_name": names[(b.session.base_layer, b.session.base_id)],
            "school_name": names[(b.school_layer, b.school_id)], "status_text": booking.status_text(b.status, lang),
            "history": store().bookings.history("booking", b.id)}


# -- sessions ---------------------------------------------------------------------------------

@bp.post("/<base_layer>/<id:base_id>/sessions")
@bp.input(SessionBody, location="json", arg_name="body")
@bp.output(responses.BookingSession, status_code=201)
@bp.doc(summary="Offer one session of a base (its manager, or the bureau)", responses=ERRORS)
def add_session(base_layer: str, base_id: int, body):
    session = booking.add_session(store(), _actor(), base_layer, base_id, body["date"], _spec(body))
    return _answer(booking.session_dict(session), 201)


@bp.post("/<base_layer>/<id:base_id>/sessions/pattern")
@bp.input(PatternBody, location="json", arg_name="body")
@bp.output(responses.SessionPattern, status_code=201)
@bp.doc(summary="Offer sessions on weekdays over a date range, skipping China's public holidays",
        responses=ERRORS)
def add_pattern(base_layer: str, base_id: int, body):
    made = booking.add_pattern(store(), _actor(), base_layer, base_id, body["date_from"], body["date_to"],
                               body["weekdays"], _spec(body))
    return _answer({"sessions": [booking.session_dict(s) for s in made.sessions],
                    "skipped_holidays": made.skipped_holidays}, 201)


@bp.get("/<base_layer>/<id:base_id>/sessions")
@bp.input(SessionsArgs, location="query", arg_name="query")
@bp.output(responses.BookingSessions)
@bp.doc(summary="A base's open sessions with their remaining places (public: no school names)",
        responses={400: ERRORS[400], 404: ERRORS[404], 422: ERRORS[422]})
def sessions(base_layer: str, base_id: int, query):
    found = booking.public_sessions(store(), base_layer, base_id, query.get("from_"), query.get("to"))
    return jsonify({"sessions": found})


@bp.put("/<base_layer>/<id:base_id>/booking-settings")
@bp.input(BaseSettingsBody, location="json", arg_name="body")
@bp.output(responses.BaseSettings)
@bp.doc(summary="A base's booking settings: days an unanswered request waits before it expires", responses=ERRORS)
def base_settings(base_layer: str, base_id: int, body):
    return _answer({"expire_days": booking.set_expire_days(store(), _actor(), base_layer, base_id,
                                                           body["expire_days"])})


@bp.patch("/sessions/<id:session_id>")
@bp.input(SessionCapacityBody, location="json", arg_name="body")
@bp.output(responses.BookingSession)
@bp.doc(summary="Change a session's capacity (never below what is booked)", responses=ERRORS)
def set_capacity(session_id: int, body):
    return jsonify(booking.session_dict(booking.set_capacity(store(), _actor(), session_id, body["capacity"])))


@bp.post("/sessions/<id:session_id>/cancel")
@bp.input(SessionCancelBody, location="json", arg_name="body")
@bp.output(responses.CancelledSession)
@bp.doc(summary="Cancel a session with a reason: its bookings become cancelled_by_base", responses=ERRORS)
def cancel_session(session_id: int, body):
    cancelled = booking.cancel_session(store(), _actor(), session_id, body["reason"])
    return jsonify({"session": booking.session_dict(store().bookings.session(session_id)),
                    "cancelled_bookings": cancelled})


# -- bookings ---------------------------------------------------------------------------------

@bp.post("/bookings")
@bp.input(BookingBody, location="json", arg_name="body")
@bp.output(responses.BookingOut, status_code=201)
@bp.doc(summary="A school books places in a session (Idempotency-Key header: a retry gets the first answer)",
        responses=ERRORS)
def create_booking(body):
    key = request.headers.get("Idempotency-Key")
    req = booking.Request(body["session_id"], body["pupils"], body.get("teachers", 0), body["grades"],
                          body["unit"], body["contact_name"], body["contact_phone"], body.get("note", ""))
    outcome = booking.book(store(), _actor(), req, _rules(), key=key)
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    if outcome.status == 201:
        return _answer(_booking_out(store().bookings.booking(outcome.body["id"])), 201, headers)
    return _answer(_worded(outcome.body), outcome.status, headers)


def _listed(query) -> list:
    base = (query["base_layer"], query["base_id"]) if query.get("base_id") is not None else None
    school = (query["school_layer"], query["school_id"]) if query.get("school_id") is not None else None
    statuses = [s for s in (query.get("status") or "").split(",") if s]
    found = booking.listed_bookings(store(), _actor(), query.get("from_"), query.get("to"), statuses, base, school)
    district = query.get("district")
    if district:
        found = booking.in_district(store(), found, district)
    return found


@bp.get("/bookings")
@bp.input(BookingListArgs, location="query", arg_name="query")
@bp.output(responses.BookingList)
@bp.doc(summary="The caller's bookings: a school its own, a manager its bases', the bureau all (filters)",
        responses=ERRORS)
def list_bookings(query):
    found = _listed(query)
    names = booking.names_of(store(), found)
    return jsonify({"bookings": [_booking_out(b, names) for b in found]})


@bp.get("/bookings/export")
@bp.input(ExportBookingsArgs, location="query", arg_name="query")
@bp.output(responses.Download, content_type=responses.XLSX, description="format=xlsx or csv, Chinese headers "
           "(English with lang=en)")
@bp.doc(responses={**ERRORS, 200: {"description": "the download", "content": {
    responses.XLSX: {"schema": {"type": "string", "format": "binary"}},
    "text/csv": {"schema": {"type": "string"}}}}})
def export_bookings(query):
    lang = pick_lang(query.get("lang"))
    data = booking.export_file(store(), _listed(query), query["format"], lang)
    kind = "text/csv" if query["format"] == "csv" else responses.XLSX
    name = f"bookings-{query.get('from_') or 'all'}-{query.get('to') or 'all'}.{query['format']}"
    return Response(data, mimetype=kind, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/bookings/<id:booking_id>")
@bp.input(BookingArgs, location="query", arg_name="query")
@bp.output(responses.BookingOut)
@bp.doc(summary="One booking with its history (another school's answers 404)", responses=ERRORS)
def get_booking(booking_id: int, query):
    return jsonify(_booking_out(booking.visible_booking(store(), _actor(), booking_id)))


@bp.post("/bookings/<id:booking_id>/confirm")
@bp.output(responses.BookingOut)
@bp.doc(summary="The base confirms a request (a filed trip after the bureau's acknowledgement)",
        responses=ERRORS)
def confirm(booking_id: int):
    return jsonify(_booking_out(booking.confirm(store(), _actor(), booking_id)))


@bp.post("/bookings/<id:booking_id>/decline")
@bp.input(DeclineBody, location="json", arg_name="body")
@bp.output(responses.BookingOut)
@bp.doc(summary="The base declines a request with a reason the school sees", responses=ERRORS)
def decline(booking_id: int, body):
    return jsonify(_booking_out(booking.decline(store(), _actor(), booking_id, body["reason"])))


@bp.post("/bookings/<id:booking_id>/cancel")
@bp.output(responses.BookingOut)
@bp.doc(summary="The school cancels its booking, until the session's cut-off", responses=ERRORS)
def cancel(booking_id: int):
    return jsonify(_booking_out(booking.cancel(store(), _actor(), booking_id)))


@bp.post("/bookings/<id:booking_id>/acknowledge-filing")
@bp.output(responses.BookingOut)
@bp.doc(summary="The bureau acknowledges a trip filed with it (需备案)", responses=ERRORS)
def acknowledge_filing(booking_id: int):
    return jsonify(_booking_out(booking.acknowledge_filing(store(), _actor(), booking_id)))


@bp.get("/<base_layer>/<id:base_id>/day")
@bp.input(DayArgs, location="query", arg_name="query")
@bp.output(responses.DayList)
@bp.doc(summary="A base's day: the schools coming, their headcounts, contacts and notes (its manager)",
        responses=ERRORS)
def day(base_layer: str, base_id: int, query):
    feature, found = booking.day_list(store(), _actor(), base_layer, base_id, query["date"])
    names = booking.names_of(store(), found)
    return jsonify({"date": query["date"].isoformat(), "base_name": feature.properties.get("name"),
                    "headcount": sum(b.headcount for b in found),
                    "bookings": [_booking_out(b, names) for b in found]})


@bp.get("/school/bases")
@bp.input(FindBasesArgs, location="query", arg_name="query")
@bp.output(responses.FoundBases)
@bp.doc(summary="Bases a school may book, nearest first, with their next sessions' free places", responses=ERRORS)
def find_bases(query):
    found = booking.find_bases(store(), _actor(), query.get("grade"), query.get("from_"), query.get("to"),
                               query.get("where"))
    return jsonify({"bases": found})


@bp.get("/bookings/schools-without-tours")
@bp.input(ToursArgs, location="query", arg_name="query")
@bp.output(responses.SchoolsWithoutTours)
@bp.doc(summary="The bureau: schools with no confirmed study tour in a date range, by district", responses=ERRORS)
def schools_without_tours(query):
    schools = booking.schools_without_tours(store(), _actor(), query["from_"], query["to"])
    by_district: dict[str, int] = {}
    for school in schools:
        by_district[school["district"] or ""] = by_district.get(school["district"] or "", 0) + 1
    return jsonify({"without_tours": schools, "by_district": by_district})

