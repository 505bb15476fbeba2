"""Editing API: add, change, delete a feature, and its change log (admins; base managers change the
facts of their own bases). A view parses, calls mapservice.editing, answers."""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import jsonify, request
from marshmallow import RAISE

from .. import editing, hours, i18n, parsing
from ..errors import BadRequest
from ..i18n import pick_lang
from ..store.base import Feature
from . import auth, store
from .editschemas import Changes, EditedFeature, FeatureIn, FeaturePatch, HoursArgs, HoursText

bp = APIBlueprint("editing", __name__, url_prefix="/api")
ERRORS = {400: "a value does not fit the layer: `field` names it (`fields` names every one)",
          401: "not signed in", 403: "signed in without the right", 404: "no such layer or feature",
          409: "stale: someone saved the feature since this version", 428: "no version given"}


def _fid(fid: str) -> int:
    try:
        return parsing.whole_number(fid)
    except ValueError as exc:
        raise BadRequest(f"feature id: {exc}", field="id") from None


def _answer(edited: editing.Edited, status: int = 200):
    feature: Feature = edited.feature
    body = {**feature.to_geojson(), "version": edited.version}
    if edited.moved_m is not None:
        body["moved_m"] = edited.moved_m
        body["moved_text"] = i18n.distance(edited.moved_m, pick_lang(request.args.get("lang")))
    response = jsonify(body)  # a Response, so that the output schema describes it and does not re-dump it
    response.status_code = status
    response.headers["ETag"] = f'"{edited.version}"'
    return response


@bp.post("/layers/<layer_id>/features")
@bp.auth_required(auth.token_auth, optional=True)
@bp.input(FeatureIn, location="json", arg_name="body", unknown=RAISE)
@bp.output(EditedFeature, status_code=201)
@bp.doc(responses=ERRORS)
def create_feature(layer_id: str, body):
    """Add a feature (admins): a GeoJSON Feature in WGS 84, validated like an import row."""
    return _answer(editing.create(store(), auth.current_user(), layer_id, body["properties"], body["geometry"]), 201)


@bp.patch("/layers/<layer_id>/features/<fid>")
@bp.auth_required(auth.token_auth, optional=True)
@bp.input(FeaturePatch, location="json", arg_name="body", unknown=RAISE)
@bp.output(EditedFeature)
@bp.doc(responses=ERRORS)
def update_feature(layer_id: str, fid: str, body):
    """Change `properties` and/or move (`geometry`) a feature, from the version in `If-Match` or `version`."""
    version = request.headers.get("If-Match", body.get("version"))
    return _answer(editing.update(store(), auth.current_user(), layer_id, _fid(fid), version,
                                  body.get("properties"), body.get("geometry")))


@bp.delete("/layers/<layer_id>/features/<fid>")
@bp.auth_required(auth.token_auth, optional=True)
@bp.output({}, status_code=204)
@bp.doc(responses=ERRORS)
def delete_feature(layer_id: str, fid: str):
    """Delete a feature (admins); with `If-Match`, only while it is still that version."""
    editing.delete(store(), auth.current_user(), layer_id, _fid(fid), request.headers.get("If-Match"))
    return "", 204


@bp.get("/layers/<layer_id>/features/<fid>/changes")
@bp.auth_required(auth.token_auth, optional=True)
@bp.output(Changes)
@bp.doc(responses=ERRORS)
def feature_changes(layer_id: str, fid: str):
    """The feature's current `version` and its change log, newest first (admins)."""
    version, found = editing.changes(store(), auth.current_user(), layer_id, _fid(fid))
    lang = pick_lang(request.args.get("lang"))
    return jsonify(version=version, changes=[{**entry, "lines": editing.describe_change(store().layers, entry, lang)}
                                             for entry in found])


@bp.get("/hours")
@bp.input(HoursArgs, location="query", arg_name="query", unknown=RAISE)
@bp.output(HoursText)
@bp.doc(responses={400: "not opening hours: `field` is value"})
def hours_text(query):
    """Opening hours (OSM `opening_hours`) in words, in `lang`: the edit form's preview."""
    try:
        hours.parse(parsing.text(query["value"]))
    except ValueError as exc:
        raise BadRequest(f"value: {exc}", field="value") from None
    return jsonify(text=hours.describe(query["value"], pick_lang(query["lang"])))
