"""JSON API under /api. Query schemas validate requests and describe them in /openapi.json."""
from __future__ import annotations

import io
import tempfile
from pathlib import Path

import shapely
from apiflask import APIBlueprint
from flask import jsonify, send_file
from marshmallow import INCLUDE, RAISE

from .. import geo, i18n, nearby, planning
from ..describe import admission_free, anchor, describe, kind_text
from ..errors import BadRequest
from ..i18n import pick_lang
from ..report import downloads, view
from ..report.query import PlannerQuery
from ..store.base import Feature
from . import args, store
from .schemas import (
    CoverageArgs,
    ExportArgs,
    FeaturesArgs,
    NearbyArgs,
    OutputArgs,
    PlacesArgs,
    PlanArgs,
    SuggestionArgs,
)

bp = APIBlueprint("api", __name__, url_prefix="/api")


def _split(text: str | None) -> tuple[str, ...] | None:
    return tuple(part.strip() for part in text.split(",") if part.strip()) if text else None


def _geojson(feature: Feature, query: dict, extra: dict | None = None, popup: bool = False) -> dict:
    out = feature.to_geojson(extra)
    if query["crs"] == "gcj02":
        out["geometry"] = shapely.geometry.mapping(shapely.transform(
            feature.geometry, lambda xy: geo.np.column_stack(geo.wgs84_to_gcj02(xy[:, 0], xy[:, 1]))))
    if popup:
        layer = store().layers[feature.layer]
        out["properties"]["popup"] = describe(layer, feature, pick_lang(query["lang"]))
    return out


@bp.get("/layers")
@bp.input(OutputArgs, location="query", arg_name="query", unknown=RAISE)
def layers(query):
    """Every layer with its title, kind, feature count and style, in layer-file order."""
    lang = pick_lang(query["lang"])
    counts = store().counts()
    return jsonify(layers=[
        {"id": layer.id, "title": layer.title(lang), "title_zh": layer.title_zh, "title_en": layer.title_en,
         "kind": layer.kind, "count": counts[layer.id], "geometry_type": layer.geometry_type,
         "color": layer.color, "icon": layer.icon, "radius_m": layer.radius_m}
        for layer in store().layers.values()])


@bp.get("/layers/<layer_id>/features")
# Any other parameter is an attribute filter, checked against the layer by the store.
@bp.input(FeaturesArgs, location="query", arg_name="query", unknown=INCLUDE)
def features(layer_id: str, query):
    """Features of a layer as GeoJSON, ordered by id; other parameters filter by attribute."""
    known = set(FeaturesArgs().fields)
    filters = {k: v for k, v in query.items() if k not in known}
    page = store().features(layer_id, bbox=args.bbox(query.get("bbox")), filters=filters,
                            limit=query["limit"], offset=query["offset"])
    return jsonify(type="FeatureCollection", numberMatched=page.number_matched,
                   numberReturned=len(page.features),
                   features=[_geojson(f, query, popup=query["popup"]) for f in page.features])


@bp.get("/layers/<layer_id>/features/<fid>")
@bp.input(OutputArgs, location="query", arg_name="query", unknown=RAISE)
def feature(layer_id: str, fid: str, query):
    """One feature as GeoJSON, with its `popup`."""
    if not fid.isdigit():
        store().layers.require(layer_id)
        raise BadRequest("feature id must be a whole number", field="id")
    return jsonify(_geojson(store().get(layer_id, int(fid)), query, popup=True))


def _center(lon: float, lat: float, crs: str) -> dict:
    """The search centre in the output CRS (the input as given when no conversion happened)."""
    if crs == "gcj02":
        lon, lat = (round(float(v), 7) for v in geo.wgs84_to_gcj02(lon, lat))
    return {"lon": lon, "lat": lat}


@bp.get("/nearby")
@bp.input(NearbyArgs, location="query", arg_name="query", unknown=RAISE)
def nearby_search(query):
    """Supply features near a point, nearest first, with geodesic `distance_m` and `walk_min`."""
    lon, lat = query["lon"], query["lat"]
    if query.get("point_crs", query["crs"]) == "gcj02":
        lon, lat = (float(v) for v in geo.gcj02_to_wgs84(lon, lat))
    # The filters go through by name: the query's fields are NearbyQuery's.
    filters = {name: query[name] for name in nearby.FILTERS if name in query}
    request_ = nearby.NearbyQuery(lon=lon, lat=lat, radius_m=query["radius"], layers=_split(query.get("layers")),
                                  limit=query["limit"], **filters)
    hits = nearby.search(store(), request_)
    lang = pick_lang(query["lang"])
    layers_ = store().layers
    titles = {layer.id: layer.title(lang) for layer in layers_.values()}
    return jsonify(
        type="FeatureCollection", center=_center(request_.lon, request_.lat, query["crs"]), radius_m=query["radius"],
        radius_text=i18n.distance(query["radius"], lang), numberReturned=len(hits),
        features=[_geojson(h.feature, query, popup=query["popup"], extra={
            "layer": h.feature.layer, "layer_title": titles[h.feature.layer],
            "distance_m": round(h.distance_m, 1), "walk_min": (minutes := nearby.walk_minutes(h.distance_m)),
            "distance_text": i18n.distance(h.distance_m, lang),
            "walk_text": i18n.t("walk_minutes", lang, minutes=minutes),
            "kind_text": kind_text(layers_[h.feature.layer], h.feature, lang),
            "admission_free": admission_free(layers_[h.feature.layer], h.feature)}) for h in hits])


@bp.get("/places")
@bp.input(PlacesArgs, location="query", arg_name="query", unknown=RAISE)
def places(query):
    """Places whose name contains `q` (communities, schools, streets, venues...), to start a search from."""
    lang = pick_lang(query["lang"])
    found = store().find_by_name(query["q"], _split(query.get("layers")), query["limit"])
    places_ = []
    for f in found:
        lon, lat = anchor(f.geometry)
        if query["crs"] == "gcj02":
            lon, lat = (float(v) for v in geo.wgs84_to_gcj02(lon, lat))
        places_.append({"layer": f.layer, "layer_title": store().layers[f.layer].title(lang), "id": f.id,
                        "name": f.properties["name"], "lon": round(lon, 7), "lat": round(lat, 7)})
    return jsonify(places=places_)


def _plan(query, count: int = 0) -> planning.Plan:
    """The plan of a coverage query (``count`` suggested sites)."""
    request = planning.CoverageRequest(
        supply=_split(query["supply"]) or (), demand=query["demand"], radius_m=query.get("radius"),
        minutes=query.get("minutes"), district=query.get("district") or None, weight=query.get("weight"),
        supply_where=query.get("supply_where"))
    return planning.plan(store(), request, count, query.get("candidates", "sites"))


@bp.get("/plan")
@bp.input(PlanArgs, location="query", arg_name="query", unknown=RAISE)
def plan(query):
    """The planner's whole answer in one request: coverage by district, demand, the supply used, gap
    cells with their classes, suggested sites, and `view`, every text of it in `lang`."""
    planner_query = PlannerQuery.from_args(query, store().layers)
    return jsonify(view.page_data(store(), planner_query, pick_lang(query["lang"])))


@bp.get("/coverage")
@bp.input(CoverageArgs, location="query", arg_name="query", unknown=RAISE)
def coverage(query):
    """Who is within reach of the chosen supply: per demand unit, per district and gap cells (H3)."""
    data = _plan(query).to_dict()
    return jsonify(
        radius_m=data["radius_m"], weight=data["weight"], h3_resolution=data["h3_resolution"],
        summary={"region": data["region"], "by_district": data["by_district"]}, demand=data["demand"],
        gaps=data["gaps"], h3_overview_resolution=data["h3_overview_resolution"], gaps_overview=data["gaps_overview"])


@bp.get("/coverage/suggestions")
@bp.input(SuggestionArgs, location="query", arg_name="query", unknown=RAISE)
def coverage_suggestions(query):
    """The next sites, chosen greedily to cover the most still-uncovered demand weight."""
    data = _plan(query, query["count"]).to_dict()
    return jsonify(radius_m=data["radius_m"], covered_share_before=data["region"]["covered_share"],
                   suggestions=data["suggestions"])


@bp.get("/coverage/export")
@bp.input(ExportArgs, location="query", arg_name="query", unknown=RAISE)
def coverage_export(query):
    """The district table, demand rows, gap cells and suggestions as one download."""
    result, lang = _plan(query, query["count"]), pick_lang(query["lang"])
    name = downloads.file_name(result, store().layers, lang, f".{query['format']}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"plan.{query['format']}"
        downloads.write(result, path, store().layers, lang)
        data = io.BytesIO(path.read_bytes())
    return send_file(data, download_name=name, as_attachment=True)
