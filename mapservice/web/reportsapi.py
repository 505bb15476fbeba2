"""Error reports over the API: anyone sends one, admins list and close them (mapservice.reports)."""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import jsonify, request
from marshmallow import RAISE

from .. import parsing, reports
from ..errors import BadRequest
from . import auth, store
from .editschemas import CloseIn, Report, ReportIn, Reports, ReportsArgs, ReportSent

bp = APIBlueprint("reports", __name__, url_prefix="/api")
ERRORS = {400: "a value is wrong: `field` names it", 401: "not signed in", 403: "not an admin",
          404: "no such layer, feature or report", 409: "closed already",
          429: "too many reports from this address: ask again after Retry-After seconds"}


@bp.post("/reports")
@bp.input(ReportIn, location="json", arg_name="body", unknown=RAISE)
@bp.output(ReportSent, status_code=201)
@bp.doc(responses=ERRORS)
def send_report(body):
    """Report a problem with a feature (no account needed): `kind`, `text` up to 500 characters, an optional
    `contact`. Limited per client address."""
    sent = reports.submit(store(), body["layer"], body["fid"], body["kind"], body["text"], body["contact"],
                          request.remote_addr or "unknown")
    response = jsonify(sent)
    response.status_code = 201
    return response


@bp.get("/reports")
@bp.auth_required(auth.token_auth, optional=True)
@bp.input(ReportsArgs, location="query", arg_name="query", unknown=RAISE)
@bp.output(Reports)
@bp.doc(responses=ERRORS)
def list_reports(query):
    """Reports by `status` (default open; `all`), newest first, with the feature's name and position (admins)."""
    user = auth.current_user()
    found = reports.listing(store(), user, None if query["status"] == "all" else query["status"])
    return jsonify(reports=found, open=reports.open_count(store(), user))


@bp.post("/reports/<report_id>/close")
@bp.auth_required(auth.token_auth, optional=True)
@bp.input(CloseIn, location="json", arg_name="body", unknown=RAISE)
@bp.output(Report)
@bp.doc(responses=ERRORS)
def close_report(report_id: str, body):
    """Close an open report as `fixed` or `rejected`, with a `note` (admins)."""
    try:
        number = parsing.whole_number(report_id)
    except ValueError as exc:
        raise BadRequest(f"report id: {exc}", field="id") from None
    return jsonify(reports.close(store(), auth.current_user(), number, body["outcome"], body["note"]))
