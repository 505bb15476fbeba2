"""Study-tour booking (研学预约): sessions of practice bases, requests from schools, the base's answer.

The rules a person is told about (booking window, grades, the bureau's filing rule, one active
booking per school and session) are checked here, in words a teacher can act on; the ones that
must hold whatever the concurrency (capacity, one active booking, one outcome per request) are
the database's, in :mod:`mapservice.store.bookings`. Who may do what is decided here too, from
the acting user and the object: what a user may not see is :class:`NotFound`.

Dates are ISO dates, times HH:MM, both China time; grades 1-12 (1-6 小学, 7-9 初中, 10-12 高中).
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from . import hours, i18n
from .errors import BadRequest, Conflict, Forbidden, MapserviceError, NotFound
from .exporter import iter_features
from .layers import Layer, Role
from .store.base import Store
from .store.bookings import ACTIVE, STATUSES, Booking, DuplicateBooking, Session

CHINA_TIME = hours.CHINA_TIME
#: Defaults of a session's booking window: from this many days ahead to this many days ahead.
WINDOW_FROM_DAYS, WINDOW_TO_DAYS = 60, 3
#: Unanswered requests expire after this many days unless the base says otherwise.
EXPIRE_DAYS = 5
#: Idempotency keys are kept this long.
KEY_HOURS = 24
MAX_CAPACITY = 10_000
MAX_PATTERN_SESSIONS = 400
UNITS = ("class", "grade")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class RuleRefused(MapserviceError):
    """A booking that a rule refuses (422): the window, the grades, the filing period, a duplicate."""

    status = 422


class TooFewPlaces(Conflict):
    """The session has fewer places left than asked for (409); ``remaining`` says how many."""

    def __init__(self, remaining: int, asked: int):
        super().__init__(f"only {remaining} places remain in this session; {asked} were asked for", field="pupils",
                         code="booking_too_few_places", params={"remaining": remaining, "asked": asked})
        self.remaining = remaining


@dataclass(frozen=True)
class Actor:
    """Who acts: ``name`` for the history, ``role`` (admin, base_manager, school), the school a
    school user stands for and the bases a base manager runs, as (layer id, feature id)."""

    name: str
    role: str
    school: tuple[str, int] | None = None
    bases: frozenset[tuple[str, int]] = frozenset()

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class Rules:
    """The bureau's filing rule (e.g. 温州): a trip of ``filing_headcount`` people or more, or of a
    whole grade, is filed with the bureau at least ``filing_days`` days ahead."""

    filing_headcount: int = 200
    filing_days: int = 7


@dataclass
class Outcome:
    """A booking request's answer as it is sent and, under an idempotency key, replayed: the HTTP
    status and the body."""

    status: int
    body: dict
    replayed: bool = False


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def today_china(moment: datetime | None = None) -> date:
    return (moment or now_utc()).astimezone(CHINA_TIME).date()


def bookable_layers(store: Store) -> list[Layer]:
    """The layers whose features take bookings: those with a ``bookable`` attribute."""
    return [layer for layer in store.layers.values() if layer.role(Role.BOOKABLE)]


def base_feature(store: Store, base_layer: str, base_id: int):
    """A practice base that takes bookings, or NotFound / RuleRefused naming why not."""
    layer = store.layers.get(base_layer)
    if layer is None or layer not in bookable_layers(store):
        raise NotFound(f"{base_layer} takes no bookings", field="layer", code="booking_layer_not_bookable",
                       params={"layer": base_layer})
    with store.on_primary():  # a booking is decided on what the primary holds, never on a lagging replica
        feature = store.get(base_layer, base_id)
    if not feature.properties.get(layer.role(Role.BOOKABLE).name):
        raise RuleRefused(f"{feature.properties['name']} takes no bookings", field="base", code="booking_base_closed",
                          params={"name": feature.properties["name"]})
    return layer, feature


def grade_range(layer: Layer, feature) -> tuple[int, int]:
    low, high = layer.role(Role.MIN_GRADE), layer.role(Role.MAX_GRADE)
    props = feature.properties
    return ((low and props.get(low.name)) or 1, (high and props.get(high.name)) or 12)


# -- who may do what --------------------------------------------------------------------

def may_manage(actor: Actor, base: tuple[str, int]) -> bool:
    return actor.is_admin or (actor.role == "base_manager" and base in actor.bases)


def may_see(actor: Actor, booking: Booking) -> bool:
    """A school sees its own bookings, a base manager those of its bases, the bureau every one."""
    base = (booking.session.base_layer, booking.session.base_id)
    return may_manage(actor, base) or (actor.role == "school" and actor.school == (booking.school_layer,
                                                                                    booking.school_id))


def _visible(store: Store, actor: Actor, booking_id: int) -> Booking:
    booking = store.bookings.booking(booking_id)
    if not may_see(actor, booking):
        raise NotFound(f"no booking {booking_id}", field="id", code="booking_not_found", params={"id": booking_id})
    return booking


def visible_booking(store: Store, actor: Actor, booking_id: int) -> Booking:
    """A booking ``actor`` may see; any other answers NotFound, as if it did not exist."""
    return _visible(store, actor, booking_id)


def _managed_base(store: Store, actor: Actor, base_layer: str, base_id: int):
    layer, feature = base_feature(store, base_layer, base_id)
    if not may_manage(actor, (base_layer, base_id)):
        raise NotFound(f"no feature {base_id} in layer {base_layer}", field="id", code="booking_base_not_found",
                       params={"id": base_id})
    return layer, feature


# -- input checks -------------------------------------------------------------------------

def _date(value, field_name: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise BadRequest(f"{field_name} must be a date like 2027-05-12", field=field_name,
                         code="booking_bad_date") from None


def _hhmm(value, field_name: str) -> str:
    text = str(value or "")
    if not _TIME.match(text):
        raise BadRequest(f"{field_name} must be a time like 09:30", field=field_name, code="booking_bad_time")
    return text


def _whole(value, field_name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadRequest(f"{field_name} must be a whole number from {low} to {high}", field=field_name,
                         code="booking_bad_number", params={"low": low, "high": high})
    return value


def _grade_list(values, field_name: str = "grades") -> list[int]:
    if not isinstance(values, (list, tuple)) or not values:
        raise BadRequest(f"{field_name} must be a list of grades 1-12", field=field_name, code="booking_bad_grades")
    return sorted({_whole(v, field_name, 1, 12) for v in values})


def _text(value, field_name: str, limit: int, required: bool = True) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise BadRequest(f"{field_name} is required", field=field_name, code="required")
    if len(text) > limit:
        raise BadRequest(f"{field_name} is longer than {limit} characters", field=field_name, code="booking_too_long",
                         params={"limit": limit})
    if _CONTROL.search(text):
        raise BadRequest(f"{field_name} holds control characters", field=field_name, code="booking_control_characters")
    return text


# -- sessions ---------------------------------------------------------------------------------

@dataclass
class SessionSpec:
    """What a base manager offers: when, how many places, for which grades, booked how far ahead."""

    start: str
    end: str
    capacity: int
    grades: list[int]
    window_from_days: int = WINDOW_FROM_DAYS
    window_to_days: int = WINDOW_TO_DAYS

    def checked(self, layer: Layer, feature) -> SessionSpec:
        start, end = _hhmm(self.start, "start"), _hhmm(self.end, "end")
        if end <= start:
            raise BadRequest("end must be after start", field="end", code="booking_end_before_start")
        grades = _grade_list(self.grades)
        low, high = grade_range(layer, feature)
        outside = [g for g in grades if not low <= g <= high]
        if outside:
            raise RuleRefused(f"{feature.properties['name']} takes grades {low}-{high}, not {outside}",
                              code="booking_base_grades",
                              params={"name": feature.properties["name"], "low": low, "high": high, "outside": outside},
                              field="grades")
        window_from = _whole(self.window_from_days, "window_from_days", 1, 366)
        window_to = _whole(self.window_to_days, "window_to_days", 0, window_from)
        return SessionSpec(start, end, _whole(self.capacity, "capacity", 1, MAX_CAPACITY), grades, window_from,
                           window_to)


def add_session(store: Store, actor: Actor, base_layer: str, base_id: int, day, spec: SessionSpec,
                moment: datetime | None = None) -> Session:
    """One session of a base on ``day``."""
    layer, feature = _managed_base(store, actor, base_layer, base_id)
    spec = spec.checked(layer, feature)
    day = _date(day, "date")
    if day < today_china(moment):
        raise BadRequest("date is in the past", field="date", code="booking_in_the_past")
    with store.transaction():
        rows = [_row(base_layer, base_id, day, spec)]
        return store.bookings.add_sessions(rows, actor.name, _stamp(moment or now_utc()))[0]


def _row(base_layer: str, base_id: int, day: date, spec: SessionSpec) -> dict:
    return {"base_layer": base_layer, "base_id": base_id, "date": day.isoformat(), **asdict(spec)}


@dataclass
class Pattern:
    """A weekly pattern: the sessions it made and the public holidays it skipped."""

    sessions: list[Session]
    skipped_holidays: list[str] = field(default_factory=list)


def add_pattern(store: Store, actor: Actor, base_layer: str, base_id: int, date_from, date_to,
                weekdays: Iterable[int], spec: SessionSpec, moment: datetime | None = None) -> Pattern:
    """Sessions on ``weekdays`` (1 = Monday .. 7 = Sunday) from ``date_from`` to ``date_to``, leaving
    out China's public holidays (e.g. Tue/Thu 09:00-11:30 from 1 March to 30 June)."""
    layer, feature = _managed_base(store, actor, base_layer, base_id)
    spec = spec.checked(layer, feature)
    first, last = _date(date_from, "date_from"), _date(date_to, "date_to")
    if last < first:
        raise BadRequest("date_to is before date_from", field="date_to", code="booking_range_reversed")
    if first < today_china(moment):
        raise BadRequest("date_from is in the past", field="date_from", code="booking_in_the_past")
    days = sorted({_whole(d, "weekdays", 1, 7) for d in weekdays}) if weekdays else []
    if not days:
        raise BadRequest("weekdays must list days 1 (Monday) to 7 (Sunday)", field="weekdays",
                         code="booking_bad_weekdays")
    rows, skipped = [], []
    day = first
    while day <= last:
        if day.isoweekday() in days:
            if hours.is_public_holiday(day):
                skipped.append(day.isoformat())
            else:
                rows.append(_row(base_layer, base_id, day, spec))
        day += timedelta(days=1)
    if len(rows) > MAX_PATTERN_SESSIONS:
        raise BadRequest(f"a pattern makes at most {MAX_PATTERN_SESSIONS} sessions; shorten the date range",
                         code="booking_pattern_too_long", params={"count": MAX_PATTERN_SESSIONS},
                         field="date_to")
    with store.transaction():
        created = store.bookings.add_sessions(rows, actor.name, _stamp(moment or now_utc()))
    return Pattern(created, skipped)


def set_capacity(store: Store, actor: Actor, session_id: int, capacity: int) -> Session:
    session = store.bookings.session(session_id)
    _managed_base(store, actor, session.base_layer, session.base_id)
    with store.transaction():
        return store.bookings.set_capacity(session_id, _whole(capacity, "capacity", 1, MAX_CAPACITY), actor.name,
                                           _stamp(now_utc()))


def set_expire_days(store: Store, actor: Actor, base_layer: str, base_id: int, days: int) -> int:
    """How many days a base's unanswered requests wait before they expire (default :data:`EXPIRE_DAYS`)."""
    _managed_base(store, actor, base_layer, base_id)
    days = _whole(days, "expire_days", 1, 60)
    with store.transaction():
        store.bookings.set_expire_days(base_layer, base_id, days)
    return days


def cancel_session(store: Store, actor: Actor, session_id: int, reason: str) -> list[int]:
    """Cancel a session; its bookings become ``cancelled_by_base`` with the reason, which schools see."""
    session = store.bookings.session(session_id)
    _managed_base(store, actor, session.base_layer, session.base_id)
    with store.transaction():
        return store.bookings.cancel_session(session_id, _text(reason, "reason", 200), actor.name, _stamp(now_utc()))


def public_sessions(store: Store, base_layer: str, base_id: int, date_from=None, date_to=None) -> list[dict]:
    """Open sessions of a base with their remaining places: what anybody may see (no school names)."""
    base_feature(store, base_layer, base_id)
    first = _date(date_from, "from") if date_from else today_china()
    last = _date(date_to, "to") if date_to else first + timedelta(days=WINDOW_FROM_DAYS)
    return [session_dict(s) for s in store.bookings.sessions(base_layer, [base_id], first.isoformat(),
                                                             last.isoformat())]


def upcoming_sessions(store: Store, layer_id: str, feature_id: int, count: int = 3) -> list[dict] | None:
    """What a family sees in a base's popup: its next ``count`` open sessions and their remaining
    places (no school names); None for a feature that takes no bookings."""
    layer = store.layers.get(layer_id)
    if layer is None or layer not in bookable_layers(store):
        return None
    if not store.get(layer_id, feature_id).properties.get(layer.role(Role.BOOKABLE).name):
        return None
    today = today_china()
    found = store.bookings.sessions(layer_id, [feature_id], today.isoformat(),
                                    (today + timedelta(days=WINDOW_FROM_DAYS)).isoformat())
    return [session_dict(s) for s in found[:count]]


def session_dict(session: Session) -> dict:
    return {"id": session.id, "base_layer": session.base_layer, "base_id": session.base_id, "date": session.date,
            "start": session.start, "end": session.end, "capacity": session.capacity, "booked": session.booked,
            "remaining": session.remaining, "grades": session.grades, "window_from_days": session.window_from_days,
            "window_to_days": session.window_to_days, "status": session.status,
            "cancel_reason": session.cancel_reason}


# -- bookings ---------------------------------------------------------------------------------

@dataclass
class Request:
    """A school's booking request, as sent."""

    session_id: int
    pupils: int
    teachers: int
    grades: list[int]
    unit: str
    contact_name: str
    contact_phone: str
    note: str = ""

    def body_hash(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def booking_dict(booking: Booking, with_contact: bool = True) -> dict:
    out = {"id": booking.id, "session_id": booking.session_id, "school_layer": booking.school_layer,
           "school_id": booking.school_id, "pupils": booking.pupils, "teachers": booking.teachers,
           "headcount": booking.headcount, "grades": booking.grades, "unit": booking.unit, "note": booking.note,
           "status": booking.status, "reason": booking.reason, "filing_required": booking.filing_required,
           "filing_acknowledged": booking.filing_acknowledged, "created_at": booking.created_at,
           "expires_at": booking.expires_at, "session": session_dict(booking.session) if booking.session else None}
    if with_contact:
        out.update(contact_name=booking.contact_name, contact_phone=booking.contact_phone)
    return out


def _check_request(request: Request, session: Session, rules: Rules, today: date) -> bool:
    """Check ``request`` against the session and the rules; True when it must be filed with the bureau."""
    _whole(request.pupils, "pupils", 0, MAX_CAPACITY)
    _whole(request.teachers, "teachers", 0, MAX_CAPACITY)
    if request.pupils + request.teachers < 1:
        raise BadRequest("a booking is for one person or more", field="pupils", code="booking_nobody")
    grades = _grade_list(request.grades)
    if request.unit not in UNITS:
        raise BadRequest(f"unit must be one of {', '.join(UNITS)}", field="unit", code="not_one_of",
                         params={"choices": list(UNITS)})
    _text(request.contact_name, "contact_name", 40)
    phone = _text(request.contact_phone, "contact_phone", 20)
    if not _PHONE.match(phone.replace(" ", "")):
        raise BadRequest("contact_phone must be a mobile (11 digits) or a landline with its area code",
                         code="booking_bad_phone",
                         field="contact_phone")
    _text(request.note, "note", 500, required=False)
    if session.status != "open":
        raise RuleRefused(f"the session is cancelled: {session.cancel_reason}", field="session_id",
                          code="booking_session_cancelled", params={"reason": session.cancel_reason or ""})
    day = date.fromisoformat(session.date)
    opens, closes = day - timedelta(days=session.window_from_days), day - timedelta(days=session.window_to_days)
    if not opens <= today <= closes:
        raise RuleRefused(f"this session takes bookings from {opens} to {closes}", field="session_id",
                          code="booking_window", params={"opens": opens.isoformat(), "closes": closes.isoformat()})
    wrong = [g for g in grades if g not in session.grades]
    if wrong:
        raise RuleRefused(f"this session is for grades {session.grades}, not {wrong}", field="grades",
                          code="booking_session_grades", params={"grades": session.grades, "wrong": wrong})
    filing = request.pupils + request.teachers >= rules.filing_headcount or request.unit == "grade"
    if filing and (day - today).days < rules.filing_days:
        raise RuleRefused(f"a trip of {rules.filing_headcount} people or more, or of a whole grade, is filed with "
                          f"the education bureau at least {rules.filing_days} days ahead", field="session_id",
                          code="booking_filing_period",
                          params={"headcount": rules.filing_headcount, "days": rules.filing_days})
    return filing


def book(store: Store, actor: Actor, request: Request, rules: Rules = Rules(), key: str | None = None,
         moment: datetime | None = None) -> Outcome:
    """A school books places in a session: 201 with the booking (``requested``), 409 when too few
    places remain (saying how many), 422 naming the rule for the rest.

    With an idempotency ``key`` the first answer is kept with it, per account, in the booking's own
    transaction: a retry with the same key and request gets that answer again; the same key with
    another request is refused (422); keys are kept :data:`KEY_HOURS` hours.
    """
    if actor.role != "school" or actor.school is None:
        raise NotFound("only a school books study tours", field="session_id", code="booking_schools_only")
    moment = moment or now_utc()
    stamp = _stamp(moment)
    if key is not None:
        _text(key, "Idempotency-Key", 100)
    with store.transaction():
        bookings = store.bookings
        if key is not None:
            bookings.forget_keys_before(_stamp(moment - timedelta(hours=KEY_HOURS)))
            stored = bookings.claim_key(actor.name, key, request.body_hash(), stamp)
            if stored is not None:
                body_hash, status, response = stored
                if body_hash != request.body_hash():
                    raise RuleRefused("this Idempotency-Key was used with another request", field="Idempotency-Key",
                                      code="booking_key_reused")
                return Outcome(status, json.loads(response), replayed=True)
        outcome = _book(store, actor, request, rules, moment)
        if key is not None:
            bookings.store_response(actor.name, key, outcome.status, json.dumps(outcome.body, ensure_ascii=False))
    return outcome


def _book(store: Store, actor: Actor, request: Request, rules: Rules, moment: datetime) -> Outcome:
    bookings = store.bookings
    try:
        session = bookings.session(_whole(request.session_id, "session_id", 1, 2 ** 62))
        filing = _check_request(request, session, rules, today_china(moment))
        school_layer, school_id = actor.school
        if bookings.active_booking_of(session.id, school_layer, school_id) is not None:
            raise RuleRefused("your school already has a booking for this session", field="session_id",
                              code="booking_duplicate")
        headcount = request.pupils + request.teachers
        if not bookings.take_places(session.id, headcount):
            raise TooFewPlaces(bookings.session(session.id).remaining, headcount)
        expire = bookings.expire_days(session.base_layer, session.base_id, EXPIRE_DAYS)
        booking_id = bookings.insert_booking({
            **asdict(request), "school_layer": school_layer, "school_id": school_id, "filing_required": filing,
            "created_at": _stamp(moment), "expires_at": _stamp(moment + timedelta(days=expire)),
            "created_by": actor.name})
        bookings._history("booking", booking_id, actor.name, _stamp(moment), {"status": [None, "requested"]})
    except (BadRequest, RuleRefused, TooFewPlaces, NotFound, DuplicateBooking) as refused:
        body = refused.to_dict()
        if isinstance(refused, TooFewPlaces):
            body["error"]["remaining"] = refused.remaining
        return Outcome(refused.status, body)
    return Outcome(201, booking_dict(bookings.booking(booking_id)))


def _base_of(booking: Booking) -> tuple[str, int]:
    return booking.session.base_layer, booking.session.base_id


def confirm(store: Store, actor: Actor, booking_id: int) -> Booking:
    """The base confirms a request; one that must be filed waits for the bureau's acknowledgement."""
    with store.transaction():
        booking = _visible(store, actor, booking_id)
        if not may_manage(actor, _base_of(booking)):
            raise Forbidden("only the base confirms a booking", field="id", code="booking_base_answers")
        if booking.filing_required and not booking.filing_acknowledged:
            raise RuleRefused("this trip is filed with the education bureau (需备案) and waits for its "
                              "acknowledgement", field="status", code="booking_waits_filing")
        return store.bookings.change_status(booking_id, ("requested",), "confirmed", None, actor.name,
                                            _stamp(now_utc()))


def decline(store: Store, actor: Actor, booking_id: int, reason: str) -> Booking:
    with store.transaction():
        booking = _visible(store, actor, booking_id)
        if not may_manage(actor, _base_of(booking)):
            raise Forbidden("only the base declines a booking", field="id", code="booking_base_answers")
        return store.bookings.change_status(booking_id, ("requested",), "declined", _text(reason, "reason", 200),
                                            actor.name, _stamp(now_utc()))


def cancel(store: Store, actor: Actor, booking_id: int, moment: datetime | None = None) -> Booking:
    """A school cancels its booking until the session's cut-off (the end of its booking window)."""
    moment = moment or now_utc()
    with store.transaction():
        booking = _visible(store, actor, booking_id)
        if actor.school != (booking.school_layer, booking.school_id) and not actor.is_admin:
            raise Forbidden("only the school cancels its booking", field="id", code="booking_school_cancels")
        cutoff = date.fromisoformat(booking.session.date) - timedelta(days=booking.session.window_to_days)
        if today_china(moment) > cutoff:
            raise RuleRefused(f"bookings of this session can be cancelled until {cutoff}", field="status",
                              code="booking_cancel_cutoff", params={"cutoff": cutoff.isoformat()})
        return store.bookings.change_status(booking_id, ACTIVE, "cancelled", None, actor.name, _stamp(moment))


def acknowledge_filing(store: Store, actor: Actor, booking_id: int) -> Booking:
    if not actor.is_admin:
        _visible(store, actor, booking_id)
        raise Forbidden("the education bureau acknowledges a filing", field="id", code="booking_bureau_only")
    with store.transaction():
        store.bookings.booking(booking_id)
        return store.bookings.acknowledge_filing(booking_id, actor.name, _stamp(now_utc()))


def expire_due(store: Store, moment: datetime | None = None) -> list[int]:
    """Expire the requests nobody answered in time, freeing their places; returns their ids."""
    moment = moment or now_utc()
    expired = []
    for booking_id in store.bookings.due_for_expiry(_stamp(moment)):
        with store.transaction():
            try:
                store.bookings.change_status(booking_id, ("requested",), "expired", None, "system", _stamp(moment))
            except Conflict:
                continue  # answered meanwhile
            expired.append(booking_id)
    return expired


def visible_bookings(store: Store, actor: Actor, base: tuple[str, int] | None = None,
                     school: tuple[str, int] | None = None, **filters) -> list[Booking]:
    """The bookings ``actor`` may see: a school its own, a base manager its bases', the bureau all;
    narrowed to one ``base`` or one ``school`` in the query itself."""
    if not actor.is_admin and actor.role == "school":
        if actor.school is None or school not in (None, actor.school):
            return []
        school = actor.school
    if actor.is_admin:
        bases = None if base is None else [tuple(base)]
    elif actor.role == "base_manager":
        bases = sorted(actor.bases) if base is None else [b for b in actor.bases if b == tuple(base)]
    elif actor.role == "school":
        bases = None if base is None else [tuple(base)]
    else:
        return []
    if bases is None:
        return store.bookings.bookings(school=school, **filters)
    found = []
    for layer in sorted({layer for layer, _ in bases}):
        found += store.bookings.bookings(base=(layer, [fid for lay, fid in bases if lay == layer]), school=school,
                                         **filters)
    return sorted(found, key=lambda b: (b.session.date, b.session.start, b.id))


def check(store: Store) -> list[tuple[int, int, int]]:
    """Sessions whose booked count differs from the sum of their active bookings (never, by design)."""
    return store.bookings.integrity()


def session_start(session: Session) -> datetime:
    hh, mm = (int(v) for v in session.start.split(":"))
    return datetime.combine(date.fromisoformat(session.date), time(hh, mm), CHINA_TIME)


# -- who is acting ----------------------------------------------------------------------------

def booking_layers(store: Store) -> list[Layer]:
    """The layers whose features book sessions (schools): those with ``books = true``."""
    return [layer for layer in store.layers.values() if layer.books]


def actor_for(user, store: Store) -> Actor:
    """The booking actor of a signed-in account: a school account stands for its feature of a
    booking layer, a base manager runs its features of the bookable layers."""
    features = [(str(layer), int(fid)) for layer, fid in getattr(user, "features", ())]
    bookable = {layer.id for layer in bookable_layers(store)}
    booking = {layer.id for layer in booking_layers(store)}
    school = next((f for f in features if f[0] in booking), None) if user.role == "school" else None
    bases = frozenset(f for f in features if f[0] in bookable) if user.role == "base_manager" else frozenset()
    return Actor(user.username, user.role, school, bases)


# -- what the pages list ----------------------------------------------------------------------

#: The most bookings one listing or export returns (newest sessions last); narrow by date beyond.
MAX_LISTED = 5000


def listed_bookings(store: Store, actor: Actor, date_from=None, date_to=None, statuses=None,
                    base: tuple[str, int] | None = None, school: tuple[str, int] | None = None) -> list[Booking]:
    """:func:`visible_bookings` narrowed by dates, statuses, one base or one school, at most
    :data:`MAX_LISTED` (a 400 asks for a shorter range beyond)."""
    filters = {"date_from": _date(date_from, "from").isoformat() if date_from else None,
               "date_to": _date(date_to, "to").isoformat() if date_to else None}
    if statuses:
        wrong = [s for s in statuses if s not in STATUSES]
        if wrong:
            raise BadRequest(f"status must be one of {', '.join(STATUSES)}", field="status", code="not_one_of",
                             params={"choices": list(STATUSES)})
        filters["statuses"] = list(statuses)
    found = visible_bookings(store, actor, base, school, limit=MAX_LISTED + 1, **filters)
    if len(found) > MAX_LISTED:
        raise BadRequest(f"more than {MAX_LISTED} bookings match; choose a shorter date range", field="from",
                         code="booking_too_many_listed", params={"count": MAX_LISTED})
    return found


def day_list(store: Store, actor: Actor, base_layer: str, base_id: int, day) -> tuple[object, list[Booking]]:
    """A base's active bookings on ``day`` (schools, headcounts, contacts, notes), for its manager."""
    _, feature = _managed_base(store, actor, base_layer, base_id)
    day = _date(day, "date").isoformat()
    return feature, listed_bookings(store, actor, day, day, ACTIVE, base=(base_layer, base_id))


def in_district(store: Store, bookings: list[Booking], district: str) -> list[Booking]:
    """The bookings of schools in ``district`` (by the boundaries, as the planner assigns them)."""
    from . import planning

    inside = set()
    for layer in booking_layers(store):
        points, districts = planning.points_with_districts(store, layer)
        inside |= {(layer.id, int(fid)) for fid, d in zip(points["id"], districts) if d == district}
    return [b for b in bookings if (b.school_layer, b.school_id) in inside]


def names_of(store: Store, bookings: list[Booking]) -> dict[tuple[str, int], str]:
    """The names of the bases and schools of ``bookings``, each read once."""
    return feature_names(store, [p for b in bookings for p in (_base_of(b), (b.school_layer, b.school_id))])


def feature_names(store: Store, pairs) -> dict[tuple[str, int], str]:
    """The names of features given as (layer, id); a deleted one is named by its id."""
    names = {}
    for layer, fid in set(pairs):
        try:
            names[(layer, fid)] = store.get(layer, fid).properties.get("name") or f"{layer} {fid}"
        except NotFound:
            names[(layer, fid)] = f"{layer} {fid}"
    return names


def schools_without_tours(store: Store, actor: Actor, date_from, date_to) -> list[dict]:
    """The bureau's question: the schools with no confirmed booking from ``date_from`` to
    ``date_to``, each with its district and place (``{layer, id, name, district, lon, lat}``)."""
    if not actor.is_admin:
        raise Forbidden("the education bureau sees every school's study tours", field="from",
                        code="booking_bureau_only")
    first, last = _date(date_from, "from"), _date(date_to, "to")
    if last < first:
        raise BadRequest("to is before from", field="to", code="booking_range_reversed")
    toured = {(b.school_layer, b.school_id) for b in
              store.bookings.bookings(statuses=["confirmed"], date_from=first.isoformat(), date_to=last.isoformat())}
    from . import planning  # the planner's cached district of every point

    out = []
    for layer in booking_layers(store):
        points, districts = planning.points_with_districts(store, layer)
        for (fid, name, point), district in zip(zip(points["id"], points["name"], points.geometry), districts):
            if (layer.id, int(fid)) not in toured:
                out.append({"layer": layer.id, "id": int(fid), "name": name, "district": district,
                            "lon": round(point.x, 6), "lat": round(point.y, 6)})
    return sorted(out, key=lambda s: (s["district"] or "", s["name"] or ""))


def parse_where(layer: Layer, text: str | None) -> dict[str, str]:
    """``"themes:science,level:national"`` -> {attribute: code} over the layer's code attributes."""
    out = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        name, _, code = part.partition(":")
        attribute = next((a for a in layer.attributes if a.name == name and a.type in ("code", "codes")), None)
        if attribute is None or code not in (attribute.values or {}):
            codes = [a.name for a in layer.attributes if a.type in ("code", "codes")]
            raise BadRequest(f"where takes attribute:code pairs of {', '.join(codes)}", field="where",
                             code="booking_bad_where", params={"names": codes})
        out[name] = code
    return out


def bookable_features(store: Store, layer: Layer) -> list:
    """The features of a bookable layer that take bookings."""
    flag = layer.role(Role.BOOKABLE).name
    return [f for f in iter_features(store, layer.id) if f.properties.get(flag)]


def time_left(b: Booking, lang: str = "zh", moment: datetime | None = None) -> str:
    """How long an unanswered request has before it expires, in words ("还剩 2 天 3 小时")."""
    if not b.expires_at:
        return ""
    left = datetime.fromisoformat(b.expires_at) - (moment or now_utc())
    if left.total_seconds() <= 0:
        return i18n.t("booking_expiring", lang)
    days, hours_ = left.days, left.seconds // 3600
    return i18n.t("booking_time_left", lang, days=days, hours=hours_)


def find_bases(store: Store, actor: Actor, grade: int | None = None, date_from=None, date_to=None,
               where: str | None = None, sessions_shown: int = 3) -> list[dict]:
    """The bookable bases a school may book, nearest first with their distance from the school in
    metres; ``grade`` keeps those (and the sessions) for that grade, ``date_from``/``date_to`` those
    with free places in that range (default: the next 60 days); ``where`` filters by code attributes.
    Each carries its next ``sessions_shown`` sessions with free places and their count."""
    from . import geo
    from .describe import anchor

    home = None
    if actor.school is not None:
        home = anchor(store.get(*actor.school).geometry)
    first = _date(date_from, "from") if date_from else today_china()
    last = _date(date_to, "to") if date_to else first + timedelta(days=WINDOW_FROM_DAYS)
    if last < first:
        raise BadRequest("to is before from", field="to", code="booking_range_reversed")
    if grade is not None:
        _whole(grade, "grade", 1, 12)
    out = []
    for layer in bookable_layers(store):
        wanted = parse_where(layer, where)
        features = [f for f in bookable_features(store, layer) if all(
            code in (f.properties.get(name) or []) if isinstance(f.properties.get(name), list)
            else f.properties.get(name) == code for name, code in wanted.items())]
        if grade is not None:
            features = [f for f in features if grade_range(layer, f)[0] <= grade <= grade_range(layer, f)[1]]
        sessions: dict[int, list[Session]] = {}
        for s in store.bookings.sessions(layer.id, [f.id for f in features], first.isoformat(), last.isoformat()):
            if s.remaining > 0 and (grade is None or grade in s.grades):
                sessions.setdefault(s.base_id, []).append(s)
        for f in features:
            free = sessions.get(f.id, [])
            if (date_from or date_to) and not free:
                continue
            lon, lat = anchor(f.geometry)
            distance = float(geo.geodesic_m(home[0], home[1], lon, lat)) if home else None
            out.append({"layer": layer.id, "id": f.id, "name": f.properties.get("name"), "lon": lon, "lat": lat,
                        "distance_m": round(distance) if distance is not None else None,
                        "grades": list(grade_range(layer, f)), "free_sessions": len(free),
                        "sessions": [session_dict(s) for s in free[:sessions_shown]]})
    return sorted(out, key=lambda b: (b["distance_m"] is None, b["distance_m"] or 0, b["name"] or ""))


# -- exports ----------------------------------------------------------------------------------

EXPORT_COLUMNS = ("id", "date", "time", "base", "school", "pupils", "teachers", "headcount", "grades", "unit",
                  "contact", "phone", "note", "status", "reason", "filing")


def status_text(status: str, lang: str = "zh") -> str:
    return i18n.t(f"booking_status_{status}", lang)


def history_lines(store: Store, booking_id: int, lang: str = "zh") -> list[str]:
    """A booking's history in words: when (China time), who, and its status from what to what."""
    lines = []
    for entry in store.bookings.history("booking", booking_id):
        at = datetime.fromisoformat(entry["at"]).astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")
        change = entry["change"]
        if "status" in change:
            before, after = change["status"]
            what = i18n.t("booking_history_status", lang, before=status_text(before, lang) if before else "—",
                          after=status_text(after, lang))
        else:
            what = i18n.t("booking_history_filing", lang) if "filing_acknowledged" in change else ", ".join(change)
        lines.append(f"{at} · {entry['actor']} · {what}")
    return lines


def export_table(store: Store, bookings: list[Booking], lang: str = "zh") -> tuple[list[str], list[list]]:
    """The bookings as a table with headers in ``lang`` (Chinese by default), for XLSX and CSV."""
    names = names_of(store, bookings)
    headers = [i18n.t(f"booking_col_{c}", lang) for c in EXPORT_COLUMNS]
    rows = []
    for b in bookings:
        filing = "" if not b.filing_required else i18n.t("booking_filed" if b.filing_acknowledged else "booking_filing",
                                                         lang)
        rows.append([b.id, b.session.date, f"{b.session.start}-{b.session.end}", names[_base_of(b)],
                     names[(b.school_layer, b.school_id)], b.pupils, b.teachers, b.headcount,
                     "、".join(map(str, b.grades)), i18n.t(f"booking_unit_{b.unit}", lang), b.contact_name,
                     b.contact_phone, b.note, status_text(b.status, lang), b.reason or "", filing])
    return headers, rows


def export_file(store: Store, bookings: list[Booking], fmt: str, lang: str = "zh") -> bytes:
    """The bookings as ``xlsx`` or ``csv`` (UTF-8 with a byte-order mark, so Excel reads the Chinese)."""
    headers, rows = export_table(store, bookings, lang)
    if fmt == "csv":
        import csv
        import io

        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(headers)
        # A cell starting with = + - @ would run as a formula in a spreadsheet: quote it as text.
        writer.writerows([[f"'{v}" if isinstance(v, str) and v[:1] in "=+-@" else v for v in row] for row in rows])
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    if fmt != "xlsx":
        raise BadRequest("format must be xlsx or csv", field="format", code="not_one_of",
                         params={"choices": ["xlsx", "csv"]})
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = i18n.t("booking_export_sheet", lang)[:31]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([f"'{v}" if isinstance(v, str) and v[:1] in "=+-@" else v for v in row])
    for column, width in zip("ABCDEFGHIJKLMNOP", (10, 12, 13, 24, 24, 8, 8, 10, 10, 10, 10, 15, 30, 10, 20, 8)):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
