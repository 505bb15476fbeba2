"""The admins' pages: users (/admin/users), the change log (/admin/changes, with a CSV download) and
error reports (/admin/reports). Each asks mapservice.auth.authorize first; a visitor is sent to sign in."""
from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

from apiflask import APIBlueprint
from flask import Response, redirect, render_template, request, url_for

from .. import editing, parsing, reports
from ..auth import Accounts, Unauthorized, User, authorize
from ..errors import BadRequest, MapserviceError
from ..i18n import pick_lang, t
from . import auth, store

bp = APIBlueprint("admin", __name__, url_prefix="/admin", enable_openapi=False)
CHANGES_SHOWN = 500


def _lang() -> str:
    return pick_lang(request.values.get("lang"))


def _admin() -> User:
    return authorize(auth.current_user(), "users.manage")


@bp.errorhandler(Unauthorized)
def _sign_in_first(error):
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?"),
                            lang="en" if _lang() == "en" else None), 303)


def _users_page(message: str | None = None, token: str | None = None, error: MapserviceError | None = None,
                status: int = 200):
    accounts = Accounts(store())
    rows = [{"user": u, "gone": set(accounts.orphans(u)), "tokens": accounts.tokens(u)} for u in accounts.users()]
    return render_template("admin_users.html", lang=_lang(), rows=rows, message=message, token=token,
                           error=error, form=request.form if error else {}), status


@bp.get("/users")
def users():
    _admin()
    return _users_page()


@bp.post("/users")
def users_post():
    """One form per action: add, password, disable, enable, token, revoke."""
    _admin()
    accounts, form, lang = Accounts(store()), request.form, _lang()
    action = form.get("action", "")
    try:
        if action == "add":
            user = accounts.add_user(form.get("username", ""), form.get("role", ""), form.get("password", ""),
                                     form.get("features", "").split())
            return _users_page(t("admin_user_added", lang, username=user.username))
        user = accounts.by_username(form.get("username", ""))
        if action == "password":
            accounts.set_password(user, form.get("password", ""))
            return _users_page(t("admin_password_set", lang, username=user.username))
        if action in ("disable", "enable"):
            accounts.set_disabled(user, action == "disable")
            return _users_page(t(f"admin_user_{action}d", lang, username=user.username))
        if action == "token":
            token = accounts.create_token(user, form.get("name", "") or "default")
            return _users_page(t("admin_token_made", lang, username=user.username), token=token)
        if action == "revoke":
            accounts.revoke_token(user, form.get("name", ""))
            return _users_page(t("admin_token_revoked", lang, username=user.username))
        raise BadRequest("action must be add, password, disable, enable, token or revoke", field="action")
    except MapserviceError as exc:
        if getattr(exc, "i18n", None):
            key, values = exc.i18n
            exc.message = t(key, lang, **values)
        return _users_page(error=exc, status=exc.status)


def _day(name: str) -> str | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise BadRequest(f"{name} must be a date such as 2026-12-02", field=name) from None


def _change_filters() -> dict:
    layer = request.args.get("layer") or None
    if layer is not None:
        store().layers.require(layer)
    until = _day("to")
    try:
        actor = parsing.text((request.args.get("user") or "").strip(), 80) or None
    except ValueError as exc:
        raise BadRequest(f"user {exc}", field="user") from None
    return {"layer": layer, "actor": actor,
            "since": _day("from"),
            "until": (date.fromisoformat(until) + timedelta(days=1)).isoformat() if until else None}


@bp.get("/changes")
def changes():
    """The change log, newest first, filtered by layer, user and date (UTC days); ``format=csv`` downloads it."""
    _admin()
    filters = _change_filters()
    lang = _lang()
    if request.args.get("format") == "csv":
        found = store().stewardship.changes(**filters, limit=1_000_000)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["id", "at", "actor", "action", "layer", "fid", "change"])
        for entry in found:
            writer.writerow([entry["id"], entry["at"], entry["actor"], entry["action"], entry["layer"],
                             "" if entry["fid"] is None else entry["fid"],
                             json.dumps(entry["change"], ensure_ascii=False)])
        return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=changes.csv"})
    found = store().stewardship.changes(**filters, limit=CHANGES_SHOWN)
    layers = store().layers
    return render_template("admin_changes.html", lang=lang, changes=found, layers=list(layers.values()),
                           args=request.args, shown=CHANGES_SHOWN,
                           describe=lambda entry, lang: editing.describe_change(layers, entry, lang))


@bp.get("/reports")
def reports_page():
    user = _admin()
    found = reports.listing(store(), user, "open")
    return render_template("admin_reports.html", lang=_lang(), reports=found,
                           config={"reports": [{"id": r["id"], "position": r["position"], "name": r["name"]}
                                               for r in found]})


@bp.post("/reports/<report_id>")
def reports_close(report_id: str):
    """Close a report as fixed or rejected with a note, then back to the open ones."""
    user = _admin()
    try:
        number = parsing.whole_number(report_id)
    except ValueError as exc:
        raise BadRequest(f"report id: {exc}", field="id") from None
    reports.close(store(), user, number, request.form.get("outcome"), request.form.get("note"))
    return redirect(url_for("admin.reports_page", lang="en" if _lang() == "en" else None), 303)
