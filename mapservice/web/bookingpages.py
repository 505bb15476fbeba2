"""The study-tour booking pages: /school (find a base, book, my bookings), /base (sessions, requests,
the day's list, exports) and /admin/bookings (the city's bookings, schools with no study tour).

The pages are rendered on the server from :mod:`mapservice.booking` (the same calls as the API); their
buttons and forms call the API (static/js/booking/main.js) and reload. Whoever is not signed in is
sent to the sign-in page; a signed-in account of another role gets 403.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from apiflask import APIBlueprint
from flask import redirect, render_template, request, url_for
from marshmallow import RAISE

from .. import booking, i18n, parsing
from ..errors import BadRequest, Forbidden
from ..i18n import pick_lang, t
from . import schemas, service, store
from .auth import current_user
from .mappage import ERROR_KEYS

bp = APIBlueprint("booking_pages", __name__, enable_openapi=False)

#: Catalogue keys the page script needs at run time.
SCRIPT_KEYS = ("booking_sending", "booking_done", "booking_failed", "booking_reason_prompt",
               "booking_cancel_confirm", "booking_remaining", "booking_too_many", "booking_filing_rule",
               "booking_capacity_prompt", "booking_session_cancel_prompt", *ERROR_KEYS)


@bp.app_template_filter("urlencode_clean")
def _urlencode_clean(params: dict) -> str:
    """A query string of ``params`` without their empty values."""
    from urllib.parse import urlencode

    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


def _feature_ref(text: str | None) -> tuple[str, int] | None:
    """``"layer:id"`` from a page's address as (layer, id); None when it is not one."""
    layer, _, fid = (text or "").partition(":")
    try:
        return layer, parsing.whole_number(fid, 0)
    except ValueError:
        return None


def _lang() -> str:
    return pick_lang(request.args.get("lang"))


def _actor(role: str | None = None):
    """The acting account (None: send to sign-in); an account of another role is refused."""
    user = current_user()
    if user is None:
        return None
    actor = booking.actor_for(user, store())
    if role is not None and actor.role != role and not actor.is_admin:
        raise Forbidden("this page is not for your account's role", field="role", code="booking_wrong_role")
    return actor


def _sign_in():
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")), 303)


def _page(template: str, points=(), **context):
    """Render a booking page; ``points`` ([lon, lat, name, note, kind]) go on its map."""
    lang = context.setdefault("lang", _lang())
    context["config"] = {"api": request.script_root + "/api", "lang": lang, "points": list(points),
                         "strings": i18n.templates(SCRIPT_KEYS, lang),
                         "boundaries": [layer.id for layer in store().layers.of_kind("boundary")],
                         "attribution": t("boundaries_attribution", lang)}
    return render_template(template, status_text=booking.status_text, **context)


def distance_text(metres, lang: str) -> str:
    return i18n.distance(metres, lang) if metres is not None else ""


def _term(today: date) -> tuple[date, date]:
    """The school term holding ``today``: 1 Sep - 31 Jan or 1 Feb - 31 Jul (the bureau's default range)."""
    if today.month >= 9:
        return date(today.year, 9, 1), date(today.year + 1, 1, 31)
    if today.month == 1:
        return date(today.year - 1, 9, 1), date(today.year, 1, 31)
    if today.month >= 8:
        return date(today.year, 9, 1), date(today.year + 1, 1, 31)
    return date(today.year, 2, 1), date(today.year, 7, 31)


def _code_filters(lang: str) -> list[dict]:
    """The code attributes of the bookable layers, as the school page's filter selects."""
    out = []
    for layer in booking.bookable_layers(store()):
        for attribute in layer.attributes:
            if attribute.type in ("code", "codes") and attribute.values:
                out.append({"name": attribute.name, "label": attribute.label(lang),
                            "options": [(code, names.get(lang, code)) for code, names in attribute.values.items()]})
    return out


# -- the school ---------------------------------------------------------------------------------

@bp.get("/school")
@bp.input(schemas.SchoolPageArgs, location="query", arg_name="query")
def school(query):
    actor = _actor("school")
    if actor is None:
        return _sign_in()
    lang = _lang()
    known = {"grade", "from", "to", "where", "lang"} | {f["name"] for f in _code_filters(lang)}
    unknown = sorted(set(request.args) - known)
    if unknown:
        raise BadRequest(f"unknown parameter {unknown[0]}", field=unknown[0], code="unknown_parameter")
    where = ",".join(f"{f['name']}:{request.args[f['name']]}" for f in _code_filters(lang)
                     if request.args.get(f["name"]))
    bases = booking.find_bases(store(), actor, query.get("grade"), query.get("from_"), query.get("to"),
                               where or None)
    mine = booking.listed_bookings(store(), actor) if actor.school else []
    names = booking.names_of(store(), mine)
    school_name = booking.feature_names(store(), [actor.school])[actor.school] if actor.school else None
    settings = service().settings
    points = [[b["lon"], b["lat"], b["name"], distance_text(b["distance_m"], lang), "base"] for b in bases]
    if actor.school:
        from ..describe import anchor

        lon, lat = anchor(store().get(*actor.school).geometry)
        points.append([lon, lat, school_name, "", "home"])
    return _page("school.html", points=points, lang=lang, actor=actor, school_name=school_name, bases=bases, mine=mine,
                 base_names=names, query=query, filters=_code_filters(lang), grades=range(1, 13),
                 rules={"headcount": settings.filing_headcount, "days": settings.filing_days},
                 distance=lambda m: distance_text(m, lang),
                 history=lambda booking_id: booking.history_lines(store(), booking_id, lang))


@bp.get("/bookings/<id:booking_id>/print")
def booking_print(booking_id: int):
    """A confirmed booking on paper, for the school's own records (and the base's)."""
    actor = _actor()
    if actor is None:
        return _sign_in()
    found = booking.visible_booking(store(), actor, booking_id)
    names = booking.names_of(store(), [found])
    return _page("booking_print.html", booking=found, names=names)


# -- the base -----------------------------------------------------------------------------------

def _managed(actor) -> list[tuple[str, int]]:
    if actor.is_admin:
        chosen = request.args.get("base", "")
        ref = _feature_ref(chosen)
        return [ref] if ref and ref[0] in {lay.id for lay in booking.bookable_layers(store())} else []
    return sorted(actor.bases)


def _calendar(view: str, start: date) -> list[list[date]]:
    """Weeks (Monday first) of the month holding ``start``, or the one week holding it."""
    first = start - timedelta(days=start.weekday())
    if view == "week":
        return [[first + timedelta(days=i) for i in range(7)]]
    month_first = start.replace(day=1)
    first = month_first - timedelta(days=month_first.weekday())
    weeks = []
    while first <= (month_first + timedelta(days=31)).replace(day=1) - timedelta(days=1):
        weeks.append([first + timedelta(days=i) for i in range(7)])
        first += timedelta(days=7)
    return weeks


@bp.get("/base")
@bp.input(schemas.BasePageArgs, location="query", arg_name="query", unknown=RAISE)
def base(query):
    actor = _actor("base_manager")
    if actor is None:
        return _sign_in()
    lang, today = _lang(), booking.today_china()
    start = query.get("start") or today
    weeks = _calendar(query["view"], start)
    bases = []
    for layer_id, fid in _managed(actor):
        layer, feature = booking.base_feature(store(), layer_id, fid)
        sessions = store().bookings.sessions(layer_id, [fid], weeks[0][0].isoformat(), weeks[-1][-1].isoformat(),
                                             include_cancelled=True)
        by_day = defaultdict(list)
        for s in sessions:
            by_day[s.date].append(s)
        requests = booking.listed_bookings(store(), actor, statuses=["requested"], base=(layer_id, fid))
        bases.append({"layer": layer_id, "id": fid, "name": feature.properties.get("name"), "by_day": by_day,
                      "grades": booking.grade_range(layer, feature), "requests": requests,
                      "school_names": booking.names_of(store(), requests),
                      "expire_days": store().bookings.expire_days(layer_id, fid, booking.EXPIRE_DAYS)})
    step = timedelta(days=7) if query["view"] == "week" else timedelta(days=31)
    return _page("base_page.html", actor=actor, bases=bases, weeks=weeks, view=query["view"], start=start, today=today,
                 previous=(start - step).replace(day=1) if query["view"] == "month" else start - step,
                 following=(start + step).replace(day=1) if query["view"] == "month" else start + step,
                 base_param=request.args.get("base"), grades=range(1, 13),
                 export_from=today.isoformat(), export_to=(today + timedelta(days=60)).isoformat(),
                 left=lambda b: booking.time_left(b, lang))


@bp.get("/base/day")
@bp.input(schemas.DayPageArgs, location="query", arg_name="query", unknown=RAISE)
def base_day(query):
    """The day's list of one base, printable on one A4 page."""
    actor = _actor("base_manager")
    if actor is None:
        return _sign_in()
    ref = _feature_ref(query["base"])
    if ref is None:
        raise BadRequest("base must be layer:id", field="base", code="booking_base_param")
    feature, found = booking.day_list(store(), actor, *ref, query["date"])
    names = booking.names_of(store(), found)
    return _page("base_day.html", base_name=feature.properties.get("name"), day=query["date"], bookings=found,
                 names=names, headcount=sum(b.headcount for b in found))


# -- the bureau ---------------------------------------------------------------------------------

@bp.get("/admin/bookings")
@bp.input(schemas.AdminBookingsArgs, location="query", arg_name="query", unknown=RAISE)
def admin_bookings(query):
    actor = _actor("admin")
    if actor is None:
        return _sign_in()
    lang, today = _lang(), booking.today_china()
    term_from, term_to = _term(today)
    first, last = query.get("from_") or term_from, query.get("to") or term_to
    base = None
    if query.get("base"):
        base = _feature_ref(query["base"])
    school = _feature_ref(query.get("school")) if query.get("school") else None
    statuses = [query["status"]] if query.get("status") else None
    in_range = booking.listed_bookings(store(), actor, first, last)
    found = booking.listed_bookings(store(), actor, first, last, statuses, base, school)
    if query.get("district"):
        found = booking.in_district(store(), found, query["district"])
    names = booking.names_of(store(), in_range)
    schools = sorted({(f"{b.school_layer}:{b.school_id}", names[(b.school_layer, b.school_id)]) for b in in_range},
                     key=lambda pair: pair[1])
    months = sorted({b.session.date[:7] for b in found if b.status == "confirmed"})
    table = defaultdict(lambda: defaultdict(int))
    for b in found:
        if b.status == "confirmed":
            table[(b.session.base_layer, b.session.base_id)][b.session.date[:7]] += b.headcount
    untoured = booking.schools_without_tours(store(), actor, first, last)
    by_district = defaultdict(int)
    for school in untoured:
        by_district[school["district"] or t("booking_no_district", lang)] += 1
    bases = [(f"{layer.id}:{f.id}", f.properties.get("name")) for layer in booking.bookable_layers(store())
             for f in booking.bookable_features(store(), layer)]
    districts = sorted({d for d in by_district})
    points = [[s["lon"], s["lat"], s["name"], s["district"] or "", "school"] for s in untoured]
    return _page("admin_bookings.html", points=points, bookings=found, names=names, months=months,
                 table={k: dict(v) for k, v in table.items()}, untoured=untoured, by_district=dict(by_district),
                 first=first, last=last, query=query, bases=bases, districts=districts, schools=schools,
                 statuses=booking.STATUSES)
