"""JSON API under /api. Query schemas validate requests and describe them in /openapi.json."""
from __future__ import annotations

import io
import tempfile
from pathlib import Path

import shapely
from apiflask import APIBlueprint
from flask import g, jsonify, send_file, url_for
from marshmallow import INCLUDE, RAISE

from .. import booking, clusters, geo, i18n, nearby, parsing, placeindex, planning
from ..describe import admission_free, anchor, describe, kind_text
from ..errors import BadRequest
from ..i18n import pick_lang, t
from ..report import downloads, view
from ..report.query import PlannerQuery
from ..store.base import Feature, check_bbox, geojson_geometry
from . import args, heavy, responses, store
from .schemas import (
    ClustersArgs,
    CompareArgs,
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
#: The errors every operation may answer, in the one error shape (414 and 503: responses.describe).
ERRORS = {400: "a parameter is wrong: `field` names it", 404: "no such layer or feature"}


def _split(text: str | None) -> tuple[str, ...] | None:
    return tuple(part.strip() for part in text.split(",") if part.strip()) if text else None


def _place_pages(lang: str) -> str:
    """The address of the place page of layer ``LAYER``, feature 0: url_for once per request and
    language (per result it was a sixth of a nearby answer's time), the layer and id put in its place."""
    pages = g.setdefault("place_pages", {})
    if lang not in pages:
        pages[lang] = url_for("pages.place", layer_id="LAYER", fid=0, lang="en" if lang == "en" else None)
    return pages[lang]


def _geometries(features: list[Feature], crs: str) -> list[dict]:
    """The features' GeoJSON geometries in ``crs`` (wgs84 or gcj02), converted all at once."""
    shapes = geo.np.array([f.geometry for f in features], dtype=object)
    if crs == "gcj02":
        shapes = shapely.transform(shapes, lambda xy: geo.np.column_stack(geo.wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
    if len(shapes) and (shapely.get_type_id(shapes) == 0).all() and not shapely.has_z(shapes).any():
        return [{"type": "Point", "coordinates": xy} for xy in shapely.get_coordinates(shapes).tolist()]
    return [geojson_geometry(shape) for shape in shapes]


def _geojson(features: list[Feature], query: dict, extras: list[dict] | None = None,
             popup: bool = False) -> list[dict]:
    """GeoJSON of ``features`` (with each one's ``extras``); a popup's or a search result's link to
    their place's own page."""
    lang = pick_lang(query["lang"])
    page = _place_pages(lang) if popup or extras is not None else None
    layers_ = store().layers
    out = []
    for i, (feature, geometry) in enumerate(zip(features, _geometries(features, query["crs"]))):
        properties = {**feature.properties, **extras[i]} if extras is not None else dict(feature.properties)
        if page is not None:
            properties["page"] = page.replace("/LAYER/0", f"/{feature.layer}/{feature.id}", 1)
        if popup:
            properties["popup"] = {**describe(layers_[feature.layer], feature, lang), "page": properties["page"]}
        out.append({"type": "Feature", "id": feature.id, "geometry": geometry, "properties": properties})
    return out


@bp.get("/layers")
@bp.output(responses.Layers)
@bp.doc(responses=ERRORS)
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
@bp.output(responses.FeatureCollection)
@bp.doc(responses=ERRORS)
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
                   features=_geojson(page.features, query, popup=query["popup"]))


@bp.get("/clusters")
@bp.output(responses.Clusters)
@bp.doc(responses=ERRORS)
@bp.input(ClustersArgs, location="query", arg_name="query", unknown=RAISE)
def cluster_view(query):
    """The map's view of point layers at a zoom: clusters made on the server (per 64 px cell, with
    counts per layer) and the features alone in their cell; from zoom 17 every feature in view."""
    layer_ids = _split(query["layers"])
    if not layer_ids:
        raise BadRequest("layers must name at least one point layer", field="layers", code="empty")
    bbox = check_bbox(args.bbox(query["bbox"]))
    gcj02 = query["crs"] == "gcj02"
    if gcj02 and bbox:  # the view is over Amap's tiles: its box is GCJ-02
        lon, lat = geo.gcj02_to_wgs84(geo.np.array(bbox[::2]), geo.np.array(bbox[1::2]))
        bbox = (float(lon[0]), float(lat[0]), float(lon[1]), float(lat[1]))
    found = clusters.view(store(), layer_ids, bbox, query["zoom"])

    def out(item: dict) -> dict:
        if gcj02:
            lon, lat = geo.wgs84_to_gcj02(item["lon"], item["lat"])
            item = {**item, "lon": float(lon), "lat": float(lat)}
            if "bbox" in item:
                xs, ys = geo.wgs84_to_gcj02(geo.np.array(item["bbox"][::2]), geo.np.array(item["bbox"][1::2]))
                item["bbox"] = [float(xs[0]), float(ys[0]), float(xs[1]), float(ys[1])]
        return item

    return jsonify(zoom=query["zoom"], clusters=[out(c) for c in found["clusters"]],
                   features=[out(f) for f in found["features"]])


@bp.get("/layers/<layer_id>/features/<fid>")
@bp.output(responses.Feature)
@bp.doc(responses=ERRORS)
@bp.input(OutputArgs, location="query", arg_name="query", unknown=RAISE)
def feature(layer_id: str, fid: str, query):
    """One feature as GeoJSON, with its `popup`."""
    store().layers.require(layer_id)  # an unknown layer is a 404 whatever the id
    try:
        number = parsing.whole_number(fid)
    except ValueError as exc:
        raise BadRequest(f"feature id: {exc}", field="id") from None
    found = store().get(layer_id, number)
    version = store().stewardship.version(layer_id, number)[0]  # what an edit names in If-Match (editing.py)
    out = _geojson([found], query, popup=True)[0]
    lang = pick_lang(query["lang"])
    upcoming = booking.upcoming_sessions(store(), layer_id, number)
    if upcoming is not None:
        out["properties"]["popup"].update(sessions_title=t("booking_popup_title", lang), sessions=[
            {"date": s["date"], "time": f"{s['start']}–{s['end']}", "remaining": s["remaining"],
             "text": t("booking_remaining", lang, count=s["remaining"]) if s["remaining"] else t("booking_full", lang)}
            for s in upcoming], sessions_none=t("booking_no_sessions", lang))
    response = jsonify(out)
    response.headers["ETag"] = f'"{version}"'
    return response


def _center(lon: float, lat: float, crs: str) -> dict:
    """The search centre in the output CRS (the input as given when no conversion happened)."""
    if crs == "gcj02":
        lon, lat = (round(float(v), 7) for v in geo.wgs84_to_gcj02(lon, lat))
    return {"lon": lon, "lat": lat}


@bp.get("/nearby")
@bp.output(responses.NearbyCollection)
@bp.doc(responses=ERRORS)
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
    said = nearby.notice(store(), request_, hits, lang, layers_.presets.region)
    if said and "centre" in said:
        said["centre"] = _center(said["centre"]["lon"], said["centre"]["lat"], query["crs"])
    return jsonify(
        type="FeatureCollection", center=_center(request_.lon, request_.lat, query["crs"]), radius_m=query["radius"],
        radius_text=i18n.distance(query["radius"], lang), numberReturned=len(hits), notice=said,
        features=_geojson([h.feature for h in hits], query, _hit_extras(hits, layers_, lang), popup=query["popup"]))


def _hit_extras(hits: list[nearby.Nearby], layers_, lang: str) -> list[dict]:
    """What a search result says besides its feature's attributes: its layer, distance and walk."""
    titles = {layer.id: layer.title(lang) for layer in layers_.values()}
    walk = i18n.template("walk_minutes", lang)
    out = []
    for h in hits:
        layer, minutes = layers_[h.feature.layer], nearby.walk_minutes(h.distance_m)
        out.append({"layer": layer.id, "layer_title": titles[layer.id], "distance_m": round(h.distance_m, 1),
                    "walk_min": minutes, "distance_text": i18n.distance(h.distance_m, lang),
                    "walk_text": walk.format(minutes=minutes), "kind_text": kind_text(layer, h.feature, lang),
                    "admission_free": admission_free(layer, h.feature)})
    return out


@bp.get("/places")
@bp.output(responses.Places)
@bp.doc(responses=ERRORS)
@bp.input(PlacesArgs, location="query", arg_name="query", unknown=RAISE)
def places(query):
    """Places matching `q`, to start a search from, grouped and best first: townships and streets
    (乡镇/街道, also by pinyin: `dongguan`, `dgjd`), roads from the features' addresses, then
    features whose name contains `q` (communities, schools, venues...) or whose name's pinyin
    matches it (`dgtsg`, `dongguantushuguan`), then features whose own address contains it
    (`兴城南路51号`, `兴城南路51`: grouped as addresses, the address as the note)."""
    lang = pick_lang(query["lang"])
    layer_ids = _split(query.get("layers"))
    found = store().find_by_name(query["q"], layer_ids, query["limit"])
    seen = {(f.layer, f.id) for f in found}  # then by the pinyin of the names (dgtsg: 东关图书馆)
    found += [f for f in placeindex.find_features(store(), query["q"], layer_ids, query["limit"])
              if (f.layer, f.id) not in seen]
    seen |= {(f.layer, f.id) for f in found}  # then by their own addresses (兴城南路51号)
    by_address = [(f, a) for f, a in store().find_by_address(query["q"], layer_ids, query["limit"])
                  if (f.layer, f.id) not in seen]
    # Townships and roads are no layer: asked for only when no layer is named.
    named = [] if layer_ids else placeindex.find(store(), query["q"], query["limit"])

    def out(lon, lat):
        if query["crs"] == "gcj02":
            lon, lat = (float(v) for v in geo.wgs84_to_gcj02(lon, lat))
        return round(lon, 7), round(lat, 7)

    places_ = []
    for p in named:
        lon, lat = out(p.lon, p.lat)
        places_.append({"kind": p.kind, "group": i18n.t(f"place_group_{p.kind}", lang), "layer": None,
                        "layer_title": p.district, "id": None, "name": p.name, "lon": lon, "lat": lat,
                        "note": i18n.t("place_placed_from", lang, count=p.count)})
    address_group = i18n.t("place_group_address", lang)
    for f, address in [*((f, None) for f in found), *by_address][:max(0, query["limit"] - len(places_))]:
        lon, lat = out(*anchor(f.geometry))
        title = store().layers[f.layer].title(lang)
        places_.append({"kind": "feature", "group": title if address is None else address_group,
                        "layer": f.layer, "layer_title": title, "id": f.id, "name": f.properties["name"],
                        "lon": lon, "lat": lat, "note": address})
    return jsonify(places=places_)


def _plan(query, count: int = 0) -> planning.Plan:
    """The plan of a coverage query (``count`` suggested sites)."""
    request = PlannerQuery.from_args(query, store().layers).request()
    return planning.plan(store(), request, count, query.get("candidates", "sites"))


@bp.get("/plan")
@bp.output(responses.Plan)
@bp.doc(responses=ERRORS)
@bp.input(PlanArgs, location="query", arg_name="query", unknown=RAISE)
@heavy
def plan(query):
    """The planner's whole answer in one request: coverage by district, demand, the supply used, gap
    cells with their classes, suggested sites, and `view`, every text of it in `lang`."""
    planner_query = PlannerQuery.from_args(query, store().layers)
    return jsonify(view.page_data(store(), planner_query, pick_lang(query["lang"])))


@bp.get("/plan/compare")
@bp.output(responses.Compare)
@bp.doc(responses=ERRORS)
@bp.input(CompareArgs, location="query", arg_name="query", unknown=RAISE)
@heavy
def plan_compare(query):
    """Two what-ifs of one question side by side: scenario A (`a_add`, `a_close`) and B (`add`,
    `close`), their headline figures and the covered share per district with the difference."""
    b = PlannerQuery.from_args(query, store().layers)
    a = PlannerQuery.from_args({**query, "add": query.get("a_add"), "close": query.get("a_close")}, store().layers)
    return jsonify(view.compare(store(), a, b, pick_lang(query["lang"])))


@bp.get("/coverage")
@bp.output(responses.Coverage)
@bp.doc(responses=ERRORS)
@bp.input(CoverageArgs, location="query", arg_name="query", unknown=RAISE)
@heavy
def coverage(query):
    """Who is within reach of the chosen supply: per demand unit, per district and gap cells (H3)."""
    data = _plan(query).to_dict()
    return jsonify(
        radius_m=data["radius_m"], weight=data["weight"], h3_resolution=data["h3_resolution"],
        summary={"region": data["region"], "by_district": data["by_district"]}, demand=data["demand"],
        gaps=data["gaps"], h3_overview_resolution=data["h3_overview_resolution"], gaps_overview=data["gaps_overview"])


@bp.get("/coverage/suggestions")
@bp.output(responses.Suggestions)
@bp.doc(responses=ERRORS)
@bp.input(SuggestionArgs, location="query", arg_name="query", unknown=RAISE)
@heavy
def coverage_suggestions(query):
    """The next sites, chosen greedily to cover the most still-uncovered demand weight."""
    data = _plan(query, query["count"]).to_dict()
    return jsonify(radius_m=data["radius_m"], covered_share_before=data["region"]["covered_share"],
                   suggestions=data["suggestions"])


@bp.get("/coverage/export")
@bp.output(responses.Download, content_type=responses.XLSX, description="format=xlsx: four sheets; format=gpkg: "
           f"a GeoPackage ({responses.GPKG}) of four layers")
@bp.doc(responses={**ERRORS, 200: {"description": "the download", "content": {
    responses.XLSX: {"schema": {"type": "string", "format": "binary"}},
    responses.GPKG: {"schema": {"type": "string", "format": "binary"}}}}})
@bp.input(ExportArgs, location="query", arg_name="query", unknown=RAISE)
@heavy
def coverage_export(query):
    """The district table, demand rows, gap cells and suggestions as one download."""
    result, lang = _plan(query, query["count"]), pick_lang(query["lang"])
    name = downloads.file_name(result, store().layers, lang, f".{query['format']}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"plan.{query['format']}"
        downloads.write(result, path, store().layers, lang)
        data = io.BytesIO(path.read_bytes())
    mimetype = responses.XLSX if query["format"] == "xlsx" else responses.GPKG
    return send_file(data, download_name=name, as_attachment=True, mimetype=mimetype)
