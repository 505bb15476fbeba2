"""Error reports from families (报错): "this place is wrong", sent without an account, handled by admins.

A report names a feature, what is wrong (:data:`REPORT_KINDS`), up to 500 characters of text and,
if the family wants an answer, a contact. Sending is limited per client address in the store
(:data:`MAX_PER_HOUR`), so the limit holds across workers; the address is kept only as a digest,
for the hour it counts. Text is stored as text; the pages show it escaped. Contacts are personal
data: only admins read them, and nothing logs them.
"""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from . import parsing
from .auth import User, authorize, now_text, too_many, translated
from .errors import BadRequest, Conflict, NotFound
from .i18n import t
from .store.base import Store
from .store.stewardship import REPORT_KINDS, REPORT_STATUSES

MAX_PER_HOUR = 10
WINDOW = timedelta(hours=1)
MAX_TEXT = 500
MAX_CONTACT = 100
MAX_NOTE = 500


def _text(value: Any, name: str, limit: int, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise translated(BadRequest(t("report_text_missing"), field=name), "report_text_missing")
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise translated(BadRequest(t("report_too_long", limit=limit), field=name), "report_too_long", limit=limit)
    try:
        return parsing.text(value).strip()
    except ValueError as exc:
        raise BadRequest(f"{name} {exc}", field=name) from None


def submit(store: Store, layer_id: str, fid: Any, kind: Any, text: Any, contact: Any, client: str,
           now: datetime | None = None) -> dict:
    """Record a report about feature ``fid`` of ``layer_id`` from the address ``client``; 429 with
    Retry-After once that address sent :data:`MAX_PER_HOUR` within the hour."""
    store.get(layer_id, fid)  # 404 for what is not there
    if kind not in REPORT_KINDS:
        raise translated(BadRequest(t("report_bad_kind"), field="kind"), "report_bad_kind")
    text = _text(text, "text", MAX_TEXT) or ""
    if kind == "other" and not text:
        raise translated(BadRequest(t("report_text_missing"), field="text"), "report_text_missing")
    contact = _text(contact, "contact", MAX_CONTACT)
    now = now or datetime.now(UTC)
    key = hashlib.sha256(client.encode("utf-8")).hexdigest()
    with store.transaction():
        events = store.accounts
        count, oldest = events.events_since("report", key, now_text(now - WINDOW))
        if count >= MAX_PER_HOUR:
            raise too_many(oldest, WINDOW, now, "report_throttled")
        events.forget_events_before("report", now_text(now - WINDOW))
        events.add_event("report", key, now_text(now))
        report_id = store.stewardship.add_report(layer_id, fid, kind, text, contact, now_text(now))
    return {"id": report_id, "status": "open"}


def open_count(store: Store, user: User | None) -> int | None:
    """How many reports are open, for an admin's top bar (None for anyone else)."""
    if user is None or not user.is_admin:
        return None
    return store.stewardship.count_reports("open")


def listing(store: Store, user: User | None, status: str | None = "open") -> list[dict]:
    """Reports with ``status`` (``open``, ``fixed``, ``rejected``, or None for all), newest first (admins),
    each with the feature's name (None when it was deleted since)."""
    authorize(user, "reports.read")
    if status is not None and status not in REPORT_STATUSES:
        raise BadRequest(f"status must be one of {', '.join(REPORT_STATUSES)} or all", field="status")
    found = store.stewardship.reports(status)
    for report in found:
        try:
            feature = store.get(report["layer"], report["fid"])
            report["name"] = feature.properties.get("name")
            report["position"] = [feature.geometry.centroid.x, feature.geometry.centroid.y]
        except (NotFound, BadRequest):
            report["name"], report["position"] = None, None
    return found


def close(store: Store, user: User | None, report_id: int, outcome: Any, note: Any) -> dict:
    """Close an open report as ``fixed`` or ``rejected`` with a note (admins); 409 when it is closed already."""
    authorize(user, "reports.close")
    if outcome not in ("fixed", "rejected"):
        raise translated(BadRequest(t("report_bad_outcome"), field="outcome"), "report_bad_outcome")
    note = _text(note, "note", MAX_NOTE) or ""
    if store.stewardship.report(report_id) is None:
        raise NotFound(f"no report {report_id}", field="id")
    if not store.stewardship.close_report(report_id, outcome, note, user.username, now_text()):
        raise translated(Conflict(t("report_closed_already"), field="id"), "report_closed_already")
    return store.stewardship.report(report_id)
