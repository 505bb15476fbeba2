"""JSON API under /api."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from ..errors import BadRequest
from . import args, store

bp = Blueprint("api", __name__, url_prefix="/api")
_PAGING = {"bbox", "limit", "offset"}


@bp.get("/layers")
def layers():
    counts = store().counts()
    return jsonify(layers=[
        {"id": layer.id, "title": layer.title(request.args.get("lang", "zh")), "title_zh": layer.title_zh,
         "title_en": layer.title_en, "kind": layer.kind, "count": counts[layer.id],
         "geometry_type": layer.geometry_type, "color": layer.color, "radius_m": layer.radius_m}
        for layer in current_app.extensions["mapservice"]["layers"].values()])


@bp.get("/layers/<layer_id>/features")
def features(layer_id: str):
    filters = {k: v for k, v in request.args.items() if k not in _PAGING and k != "lang"}
    page = store().features(layer_id, bbox=args.bbox(request.args), filters=filters,
                            limit=args.integer(request.args, "limit", 100),
                            offset=args.integer(request.args, "offset", 0))
    return jsonify(type="FeatureCollection", numberMatched=page.number_matched,
                   numberReturned=len(page.features), features=[f.to_geojson() for f in page.features])


@bp.get("/layers/<layer_id>/features/<fid>")
def feature(layer_id: str, fid: str):
    if not fid.isdigit():
        store().layers.require(layer_id)
        raise BadRequest("feature id must be a whole number", field="id")
    return jsonify(store().get(layer_id, int(fid)).to_geojson())
