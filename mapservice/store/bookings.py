"""Study-tour sessions and bookings in the store's database, the same SQL on both stores.

The rules that must never break are the database's: a session's ``booked`` never exceeds its
``capacity`` (a conditional counter update in the booking's own transaction, with a CHECK
constraint behind it), one active booking per school and session (a partial unique index), and
status changes as compare-and-swap (``... WHERE status = 'requested'``), so that two people
confirming and declining one request at once end with exactly one outcome. Declined, cancelled
and expired bookings free their places in the transaction that changes their status.

Each store runs these statements through ``_run(query, params)`` (``%s`` placeholders; table
names are the constants below, quoted by the store) inside its ``transaction()``; on the
GeoPackage that is ``BEGIN IMMEDIATE``, so writers queue instead of failing with SQLITE_BUSY.
Times are ISO 8601 text in UTC; dates ISO; session times HH:MM China time.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..errors import Conflict, MapserviceError, NotFound
from ..i18n import LANGS, t

#: Statuses of a booking; the first two hold places.
ACTIVE = ("requested", "confirmed")
STATUSES = ("requested", "confirmed", "declined", "cancelled", "cancelled_by_base", "expired")
TABLES = ("booking_sessions", "bookings", "booking_history", "booking_idempotency", "booking_base_settings")


class DuplicateBooking(MapserviceError):
    """The school already holds an active booking of this session (422; the partial unique index)."""

    status = 422


@dataclass
class Session:
    """A bookable slot of a practice base: ``capacity`` places, ``booked`` held by active bookings."""

    id: int
    base_layer: str
    base_id: int
    date: str
    start: str
    end: str
    capacity: int
    booked: int
    grades: list[int]
    window_from_days: int
    window_to_days: int
    status: str = "open"
    cancel_reason: str | None = None

    @property
    def remaining(self) -> int:
        return max(0, self.capacity - self.booked) if self.status == "open" else 0


@dataclass
class Booking:
    """A school's request for places in a session, and what became of it."""

    id: int
    session_id: int
    school_layer: str
    school_id: int
    pupils: int
    teachers: int
    grades: list[int]
    unit: str
    contact_name: str
    contact_phone: str
    note: str
    status: str
    reason: str | None
    filing_required: bool
    filing_acknowledged: bool
    created_at: str
    expires_at: str | None
    created_by: str
    session: Session | None = field(default=None, repr=False)

    @property
    def headcount(self) -> int:
        return self.pupils + self.teachers


_SESSION = ("id, base_layer, base_id, date, start_time, end_time, capacity, booked, grades, window_from_days, "
            "window_to_days, status, cancel_reason")
_BOOKING = ("id, session_id, school_layer, school_id, pupils, teachers, grades, unit, contact_name, contact_phone, "
            "note, status, reason, filing_required, filing_acknowledged, created_at, expires_at, created_by")


def _grades(text: str | None) -> list[int]:
    return [int(g) for g in text.split(";")] if text else []


def grades_text(grades) -> str:
    return ";".join(str(int(g)) for g in sorted(set(grades)))


def _session(row) -> Session:
    (sid, layer, base, date, start, end, capacity, booked, grades, window_from, window_to, status, reason) = row
    return Session(int(sid), layer, int(base), date, start, end, int(capacity), int(booked), _grades(grades),
                   int(window_from), int(window_to), status, reason)


def _booking(row) -> Booking:
    values = list(row)
    values[6] = _grades(values[6])
    values[13], values[14] = bool(values[13]), bool(values[14])
    return Booking(*values)


def _in(column: str, values) -> tuple[str, list]:
    """``column IN (%s, ...)`` and its parameters (an empty list matches nothing)."""
    values = list(values) or [None]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", values


class BookingTables:
    """The booking statements of one store. ``store`` provides ``_run``, ``transaction`` and the
    DDL types of its database (``_booking_types``)."""

    def __init__(self, store):
        self.store = store

    def _q(self, query: str, params=()) -> list[tuple]:
        return self.store._run(query, list(params))

    # -- schema -------------------------------------------------------------------------
    def init(self) -> None:
        serial = self.store._booking_types["serial"]
        for statement in (
            f"""CREATE TABLE IF NOT EXISTS {{booking_sessions}} (
                id {serial}, base_layer TEXT NOT NULL, base_id BIGINT NOT NULL, date TEXT NOT NULL,
                start_time TEXT NOT NULL, end_time TEXT NOT NULL,
                capacity INTEGER NOT NULL CHECK (capacity >= 1),
                booked INTEGER NOT NULL DEFAULT 0 CHECK (booked >= 0),
                grades TEXT NOT NULL, window_from_days INTEGER NOT NULL, window_to_days INTEGER NOT NULL,
                status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'cancelled')),
                cancel_reason TEXT, created_at TEXT NOT NULL, created_by TEXT NOT NULL,
                CONSTRAINT booked_within_capacity CHECK (booked <= capacity))""",
            "CREATE INDEX IF NOT EXISTS booking_sessions_base ON {booking_sessions} (base_layer, base_id, date)",
            f"""CREATE TABLE IF NOT EXISTS {{bookings}} (
                id {serial}, session_id BIGINT NOT NULL REFERENCES {{booking_sessions}} (id),
                school_layer TEXT NOT NULL, school_id BIGINT NOT NULL,
                pupils INTEGER NOT NULL CHECK (pupils >= 0), teachers INTEGER NOT NULL CHECK (teachers >= 0),
                grades TEXT NOT NULL, unit TEXT NOT NULL, contact_name TEXT NOT NULL, contact_phone TEXT NOT NULL,
                note TEXT NOT NULL DEFAULT '',
                status TEXT NOT NULL CHECK (status IN ('requested', 'confirmed', 'declined', 'cancelled',
                                                        'cancelled_by_base', 'expired')),
                reason TEXT, filing_required INTEGER NOT NULL DEFAULT 0, filing_acknowledged INTEGER NOT NULL DEFAULT 0,
                created_at TEXT NOT NULL, expires_at TEXT, created_by TEXT NOT NULL,
                CHECK (pupils + teachers >= 1))""",
            # One active booking per school and session.
            "CREATE UNIQUE INDEX IF NOT EXISTS bookings_one_active ON {bookings} (session_id, school_layer, school_id) "
            "WHERE status IN ('requested', 'confirmed')",
            "CREATE INDEX IF NOT EXISTS bookings_session ON {bookings} (session_id, status)",
            "CREATE INDEX IF NOT EXISTS bookings_school ON {bookings} (school_layer, school_id)",
            f"""CREATE TABLE IF NOT EXISTS {{booking_history}} (
                id {serial}, kind TEXT NOT NULL, object_id BIGINT NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL,
                change TEXT NOT NULL)""",
            "CREATE INDEX IF NOT EXISTS booking_history_object ON {booking_history} (kind, object_id)",
            """CREATE TABLE IF NOT EXISTS {booking_idempotency} (
                account TEXT NOT NULL, key TEXT NOT NULL, body_hash TEXT NOT NULL, status INTEGER NOT NULL,
                response TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (account, key))""",
            """CREATE TABLE IF NOT EXISTS {booking_base_settings} (
                base_layer TEXT NOT NULL, base_id BIGINT NOT NULL,
                expire_days INTEGER NOT NULL CHECK (expire_days >= 1), PRIMARY KEY (base_layer, base_id))""",
        ):
            self._q(statement)

    # -- sessions -----------------------------------------------------------------------
    def add_sessions(self, rows: list[dict], actor: str, now: str) -> list[Session]:
        """Insert sessions (``base_layer, base_id, date, start, end, capacity, grades, window_from_days,
        window_to_days``), with their history; returns them with their ids."""
        created = []
        for row in rows:
            (sid,), = self._q(
                "INSERT INTO {booking_sessions} (base_layer, base_id, date, start_time, end_time, capacity, grades, "
                "window_from_days, window_to_days, created_at, created_by) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, "
                "%s, %s) RETURNING id",
                (row["base_layer"], row["base_id"], row["date"], row["start"], row["end"], row["capacity"],
                 grades_text(row["grades"]), row["window_from_days"], row["window_to_days"], now, actor))
            created_with = {k: row[k] for k in ("date", "start", "end", "capacity")}
            self._history("session", sid, actor, now, {"created": created_with})
            created.append(self.session(sid))
        return created

    def session(self, session_id: int) -> Session:
        rows = self._q(f"SELECT {_SESSION} FROM {{booking_sessions}} WHERE id = %s", (session_id,))
        if not rows:
            raise NotFound(f"no session {session_id}", field="session_id", code="booking_session_not_found",
                           params={"id": session_id})
        return _session(rows[0])

    def sessions(self, base_layer: str | None = None, base_ids=None, date_from: str | None = None,
                 date_to: str | None = None, include_cancelled: bool = False) -> list[Session]:
        clauses, params = [], []
        if base_layer is not None:
            clauses.append("base_layer = %s")
            params.append(base_layer)
        if base_ids is not None:
            clause, values = _in("base_id", (int(i) for i in base_ids))
            clauses.append(clause)
            params += values
        if date_from:
            clauses.append("date >= %s")
            params.append(date_from)
        if date_to:
            clauses.append("date <= %s")
            params.append(date_to)
        if not include_cancelled:
            clauses.append("status = 'open'")
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        return [_session(r) for r in self._q(f"SELECT {_SESSION} FROM {{booking_sessions}}{where} "
                                             "ORDER BY date, start_time, id", params)]

    def set_capacity(self, session_id: int, capacity: int, actor: str, now: str) -> Session:
        """Change a session's capacity, never below what is booked (the update's own condition)."""
        before = self.session(session_id)
        rows = self._q("UPDATE {booking_sessions} SET capacity = %s WHERE id = %s AND booked <= %s AND status = 'open' "
                       "RETURNING id", (capacity, session_id, capacity))
        if not rows:
            raise Conflict(f"capacity {capacity} is below the {before.booked} places already booked",
                           field="capacity", code="booking_capacity_below", params={"booked": before.booked})
        self._history("session", session_id, actor, now, {"capacity": [before.capacity, capacity]})
        return self.session(session_id)

    def cancel_session(self, session_id: int, reason: str, actor: str, now: str) -> list[int]:
        """Cancel a session with a reason; its active bookings become ``cancelled_by_base``. Returns their ids."""
        rows = self._q("UPDATE {booking_sessions} SET status = 'cancelled', cancel_reason = %s, booked = 0 "
                       "WHERE id = %s AND status = 'open' RETURNING id", (reason, session_id))
        if not rows:
            raise Conflict("the session is already cancelled", field="session_id",
                           code="booking_session_cancelled_already")
        ids = [r[0] for r in self._q("UPDATE {bookings} SET status = 'cancelled_by_base', reason = %s "
                                     "WHERE session_id = %s AND status IN ('requested', 'confirmed') RETURNING id",
                                     (reason, session_id))]
        self._history("session", session_id, actor, now, {"status": ["open", "cancelled"], "reason": reason})
        for booking_id in ids:
            self._history("booking", booking_id, actor, now, {"status": ["active", "cancelled_by_base"],
                                                              "reason": reason})
        return ids

    # -- bookings -----------------------------------------------------------------------
    def take_places(self, session_id: int, headcount: int) -> bool:
        """Hold ``headcount`` places if that many remain: the one statement that decides, atomically."""
        return bool(self._q("UPDATE {booking_sessions} SET booked = booked + %s WHERE id = %s AND status = 'open' "
                            "AND booked + %s <= capacity RETURNING id", (headcount, session_id, headcount)))

    def insert_booking(self, values: dict) -> int:
        try:
            return self._insert_booking(values)
        except Conflict:  # bookings_one_active: another request of this school got there first
            raise DuplicateBooking("your school already has a booking for this session", field="session_id",
                                   code="booking_duplicate") from None

    def _insert_booking(self, values: dict) -> int:
        (booking_id,), = self._q(
            "INSERT INTO {bookings} (session_id, school_layer, school_id, pupils, teachers, grades, unit, "
            "contact_name, contact_phone, note, status, filing_required, created_at, expires_at, created_by) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'requested', %s, %s, %s, %s) RETURNING id",
            (values["session_id"], values["school_layer"], values["school_id"], values["pupils"], values["teachers"],
             grades_text(values["grades"]), values["unit"], values["contact_name"], values["contact_phone"],
             values["note"], int(values["filing_required"]), values["created_at"], values["expires_at"],
             values["created_by"]))
        return booking_id

    def active_booking_of(self, session_id: int, school_layer: str, school_id: int) -> int | None:
        rows = self._q("SELECT id FROM {bookings} WHERE session_id = %s AND school_layer = %s AND school_id = %s "
                       "AND status IN ('requested', 'confirmed')", (session_id, school_layer, school_id))
        return rows[0][0] if rows else None

    def booking(self, booking_id: int) -> Booking:
        rows = self._q(f"SELECT {_BOOKING} FROM {{bookings}} WHERE id = %s", (booking_id,))
        if not rows:
            raise NotFound(f"no booking {booking_id}", field="id", code="booking_not_found", params={"id": booking_id})
        booking = _booking(rows[0])
        booking.session = self.session(booking.session_id)
        return booking

    def bookings(self, school: tuple[str, int] | None = None, session_ids=None, statuses=None,
                 date_from: str | None = None, date_to: str | None = None,
                 base: tuple[str, list[int]] | None = None, limit: int | None = None) -> list[Booking]:
        """Bookings with their sessions, by date and time, filtered by school, base, status and date;
        the first ``limit`` of them when given."""
        clauses, params = [], []
        if school is not None:
            clauses.append("b.school_layer = %s AND b.school_id = %s")
            params += list(school)
        for column, values in (("b.session_id", session_ids), ("b.status", statuses or None)):
            if values is not None:
                clause, values = _in(column, values)
                clauses.append(clause)
                params += values
        if base is not None:
            layer, ids = base
            clause, values = _in("s.base_id", (int(i) for i in ids))
            clauses.append(f"s.base_layer = %s AND {clause}")
            params += [layer, *values]
        if date_from:
            clauses.append("s.date >= %s")
            params.append(date_from)
        if date_to:
            clauses.append("s.date <= %s")
            params.append(date_to)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        columns = ", ".join(f"b.{c.strip()}" for c in _BOOKING.split(","))
        session_columns = ", ".join(f"s.{c.strip()}" for c in _SESSION.split(","))
        rows = self._q(f"SELECT {columns}, {session_columns} FROM {{bookings}} b JOIN {{booking_sessions}} s "
                       f"ON s.id = b.session_id{where} ORDER BY s.date, s.start_time, b.id"
                       + (" LIMIT %s" if limit is not None else ""), [*params, *([limit] if limit is not None else [])])
        width = len(_BOOKING.split(","))
        out = []
        for row in rows:
            booking = _booking(row[:width])
            booking.session = _session(row[width:])
            out.append(booking)
        return out

    def change_status(self, booking_id: int, before: tuple[str, ...], after: str, reason: str | None,
                      actor: str, now: str) -> Booking:
        """Compare-and-swap a booking's status from one of ``before`` to ``after``; places are freed
        in the same transaction when an active booking stops being one. Conflict when it has moved on."""
        current = self.booking(booking_id)
        placeholders = ", ".join(["%s"] * len(before))
        rows = self._q(f"UPDATE {{bookings}} SET status = %s, reason = %s WHERE id = %s "
                       f"AND status IN ({placeholders}) RETURNING session_id, pupils + teachers",
                       (after, reason, booking_id, *before))
        if not rows:
            now_status = self.booking(booking_id).status
            raise Conflict(f"the booking is {now_status} now, not {' or '.join(before)}", field="status",
                           code="booking_status_changed",
                           params={"status": {lang: t(f"booking_status_{now_status}", lang) for lang in LANGS}})
        session_id, headcount = rows[0]
        if current.status in ACTIVE and after not in ACTIVE:
            self._q("UPDATE {booking_sessions} SET booked = booked - %s WHERE id = %s AND status = 'open'",
                    (headcount, session_id))
        self._history("booking", booking_id, actor, now, {"status": [current.status, after],
                                                          **({"reason": reason} if reason else {})})
        return self.booking(booking_id)

    def acknowledge_filing(self, booking_id: int, actor: str, now: str) -> Booking:
        rows = self._q("UPDATE {bookings} SET filing_acknowledged = 1 WHERE id = %s AND filing_required = 1 "
                       "AND filing_acknowledged = 0 AND status IN ('requested', 'confirmed') RETURNING id",
                       (booking_id,))
        if not rows:
            raise Conflict("this booking needs no filing, or it is already acknowledged", field="status",
                           code="booking_no_filing")
        self._history("booking", booking_id, actor, now, {"filing_acknowledged": [False, True]})
        return self.booking(booking_id)

    def due_for_expiry(self, now: str) -> list[int]:
        return [r[0] for r in self._q("SELECT id FROM {bookings} WHERE status = 'requested' AND expires_at IS NOT NULL "
                                      "AND expires_at <= %s ORDER BY id", (now,))]

    # -- settings, history, idempotency ------------------------------------------------------
    def expire_days(self, base_layer: str, base_id: int, default: int) -> int:
        rows = self._q("SELECT expire_days FROM {booking_base_settings} WHERE base_layer = %s AND base_id = %s",
                       (base_layer, base_id))
        return int(rows[0][0]) if rows else default

    def set_expire_days(self, base_layer: str, base_id: int, days: int) -> None:
        self._q("INSERT INTO {booking_base_settings} (base_layer, base_id, expire_days) VALUES (%s, %s, %s) "
                "ON CONFLICT (base_layer, base_id) DO UPDATE SET expire_days = excluded.expire_days",
                (base_layer, base_id, days))

    def _history(self, kind: str, object_id: int, actor: str, now: str, change: dict) -> None:
        self._q("INSERT INTO {booking_history} (kind, object_id, at, actor, change) VALUES (%s, %s, %s, %s, %s)",
                (kind, object_id, now, actor, json.dumps(change, ensure_ascii=False)))

    def history(self, kind: str, object_id: int) -> list[dict]:
        return [{"at": at, "actor": actor, "change": json.loads(change)} for at, actor, change in self._q(
            "SELECT at, actor, change FROM {booking_history} WHERE kind = %s AND object_id = %s ORDER BY id",
            (kind, object_id))]

    def claim_key(self, account: str, key: str, body_hash: str, now: str) -> tuple[str, int, str] | None:
        """Claim an idempotency key in the booking's transaction; None when it is new, else the stored
        ``(body_hash, status, response)`` of the first request with it."""
        claimed = self._q("INSERT INTO {booking_idempotency} (account, key, body_hash, status, response, created_at) "
                          "VALUES (%s, %s, %s, 0, '', %s) ON CONFLICT (account, key) DO NOTHING RETURNING key",
                          (account, key, body_hash, now))
        if claimed:
            return None
        (stored,) = self._q("SELECT body_hash, status, response FROM {booking_idempotency} WHERE account = %s "
                            "AND key = %s", (account, key))
        return stored

    def store_response(self, account: str, key: str, status: int, response: str) -> None:
        self._q("UPDATE {booking_idempotency} SET status = %s, response = %s WHERE account = %s AND key = %s",
                (status, response, account, key))

    def forget_keys_before(self, when: str) -> None:
        self._q("DELETE FROM {booking_idempotency} WHERE created_at < %s", (when,))

    def integrity(self) -> list[tuple[int, int, int]]:
        """``(session id, booked, held)`` of every session whose counter differs from the sum of its
        active bookings' headcounts (there must never be one)."""
        return [tuple(int(v) for v in row) for row in self._q(
            "SELECT s.id, s.booked, COALESCE(SUM(b.pupils + b.teachers), 0) AS held FROM {booking_sessions} s "
            "LEFT JOIN {bookings} b ON b.session_id = s.id AND b.status IN ('requested', 'confirmed') "
            "WHERE s.status = 'open' GROUP BY s.id, s.booked "
            "HAVING s.booked <> COALESCE(SUM(b.pupils + b.teachers), 0) ORDER BY s.id")]
