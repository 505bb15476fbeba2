"""JSON API under /api. Query schemas validate requests and describe them in /openapi.json."""
from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

import shapely
from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, DateTime, Float, Integer, String
from apiflask.validators import Length, OneOf, Range
from flask import jsonify, send_file
from marshmallow import INCLUDE, RAISE

from .. import geo, i18n, nearby, planning
from ..describe import admission_free, anchor, describe, kind_text
from ..errors import BadRequest
from ..i18n import pick_lang
from ..store.base import MAX_LIMIT, Feature
from . import args, store

bp = APIBlueprint("api", __name__, url_prefix="/api")


class OutputArgs(Schema):
    lang = String(load_default="zh", metadata={"description": "zh (default) or en: language of `popup` texts"})
    crs = String(load_default="wgs84", validate=OneOf(["wgs84", "gcj02"]),
                 metadata={"description": "coordinates out: wgs84, or gcj02 to overlay Amap tiles"})


class PopupArgs(OutputArgs):
    popup = Boolean(load_default=False, metadata={"description": "add `popup` (facts in words, navigate links) "
                                                                 "to each feature; one feature's is also at "
                                                                 "/api/layers/{layer_id}/features/{fid}"})


class FeaturesArgs(PopupArgs):
    bbox = String(metadata={"description": "minlon,minlat,maxlon,maxlat (WGS 84 degrees)"})
    limit = Integer(load_default=100, validate=Range(1, MAX_LIMIT))
    offset = Integer(load_default=0, validate=Range(min=0))


class NearbyArgs(PopupArgs):
    lat = Float(required=True, validate=Range(-90, 90), metadata={"description": "latitude, WGS 84"})
    lon = Float(required=True, validate=Range(-180, 180), metadata={"description": "longitude, WGS 84"})
    radius = Float(load_default=nearby.DEFAULT_RADIUS_M,
                   validate=Range(0, nearby.MAX_RADIUS_M, min_inclusive=False),
                   metadata={"description": "search radius in metres (geodesic)"})
    layers = String(metadata={"description": "comma-separated supply layer ids (default: all)"})
    limit = Integer(load_default=nearby.DEFAULT_LIMIT, validate=Range(1, nearby.MAX_LIMIT))
    category = String(metadata={"description": "venue category code or label, e.g. museum or 博物馆"})
    free = Boolean(metadata={"description": "true: free only (layers without a price count as free)"})
    grade = Integer(validate=Range(1, 12), metadata={"description": "school grade 1-12"})
    age = Integer(validate=Range(0, 18), metadata={"description": "child's age in years"})
    point_crs = String(validate=OneOf(["wgs84", "gcj02"]),
                       metadata={"description": "coordinates of lat/lon in: default the same as `crs`"})
    open_at = DateTime(metadata={"description": "ISO datetime (China local time unless it has an offset): "
                                                "only features open then, from their opening hours"})


class PlacesArgs(OutputArgs):
    q = String(required=True, validate=Length(1, 50), metadata={"description": "part of a name, e.g. 东关"})
    limit = Integer(load_default=10, validate=Range(1, 50))
    layers = String(metadata={"description": "comma-separated layer ids (default: all)"})


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


class CoverageArgs(Schema):
    supply = String(required=True, metadata={"description": "comma-separated supply layer ids, e.g. parent_schools"})
    demand = String(required=True, metadata={"description": "demand layer: communities or schools"})
    radius = Float(validate=Range(0, 50_000, min_inclusive=False),
                   metadata={"description": "metres (default: the supply layer's GB 50180-2018 radius)"})
    minutes = Float(validate=Range(0, 120, min_inclusive=False), metadata={"description": "walking minutes instead of radius"})
    district = String(metadata={"description": "district name or adcode, e.g. 广陵区 or 321002"})
    weight = String(metadata={"description": "demand attribute to weight by (default population / enrollment)"})
    supply_where = String(metadata={"description": "supply filter, e.g. tier>=示范 or category=museum"})


class SuggestionArgs(CoverageArgs):
    count = Integer(load_default=5, validate=Range(1, planning.MAX_SUGGESTIONS))
    candidates = String(load_default="sites", validate=OneOf(["sites", "hexagons"]),
                        metadata={"description": "sites: schools and communities without a supply feature; "
                                                 "hexagons: centres of gap cells"})


def coverage_request(query) -> planning.CoverageRequest:
    return planning.CoverageRequest(
        supply=_split(query["supply"]) or (), demand=query["demand"], radius_m=query.get("radius"),
        minutes=query.get("minutes"), district=query.get("district") or None, weight=query.get("weight"),
        supply_where=query.get("supply_where"))


def _records(frame) -> list[dict]:
    return json.loads(frame.to_json(orient="records", force_ascii=False))


@bp.get("/coverage")
@bp.input(CoverageArgs, location="query", arg_name="query", unknown=RAISE)
def coverage(query):
    """Who is within reach of the chosen supply: per demand unit, per district and gap cells (H3)."""
    report = planning.analyse(store(), coverage_request(query))
    demand = report.demand.drop(columns=["source_id", "generated"], errors="ignore")
    return jsonify(
        radius_m=report.radius_m, weight=report.weight_name, h3_resolution=report.h3_resolution,
        summary={"region": _records(report.by_district.tail(1))[0],
                 "by_district": _records(report.by_district.iloc[:-1])},
        demand=json.loads(planning._flat(demand).to_json(drop_id=True)),
        gaps=json.loads(report.gaps.to_json(drop_id=True)),
        h3_overview_resolution=report.overview_resolution,
        gaps_overview=json.loads(report.gaps_overview.to_json(drop_id=True)))


@bp.get("/coverage/suggestions")
@bp.input(SuggestionArgs, location="query", arg_name="query", unknown=RAISE)
def coverage_suggestions(query):
    """The next sites, chosen greedily to cover the most still-uncovered demand weight."""
    report = planning.analyse(store(), coverage_request(query))
    picks = planning.suggest(store(), report, query["count"], query["candidates"])
    return jsonify(radius_m=report.radius_m, covered_share_before=report.region["covered_share"],
                   suggestions=_records(picks.drop(columns="geometry")))


class ExportArgs(SuggestionArgs):
    format = String(load_default="xlsx", validate=OneOf(["xlsx", "gpkg"]),
                    metadata={"description": "xlsx (four sheets) or gpkg (four layers, opens in QGIS)"})


@bp.get("/coverage/export")
@bp.input(ExportArgs, location="query", arg_name="query", unknown=RAISE)
def coverage_export(query):
    """The district table, demand rows, gap cells and suggestions as one download."""
    report = planning.analyse(store(), coverage_request(query))
    picks = planning.suggest(store(), report, query["count"], query["candidates"])
    name = f"coverage-{'-'.join(report.request.supply)}-{report.request.demand}-{report.radius_m:.0f}m.{query['format']}"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        planning.write_outputs(report, picks, path)
        data = io.BytesIO(path.read_bytes())
    return send_file(data, download_name=name, as_attachment=True)
