"""HTML pages: the map (/), the layer table (/layers), the coverage planner (/planner) and its report.

static/ is served by the app itself.
"""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

import shapely
from apiflask import APIBlueprint
from flask import current_app, render_template, request, send_from_directory, url_for
from marshmallow import RAISE

from .. import geo, i18n, parsing, placeview
from ..errors import BadRequest
from ..exporter import iter_features
from ..i18n import pick_lang, t
from ..report import view
from ..report.query import PlannerQuery
from . import auth, heavy, mappage, plannerpage, schemas, service, store

# An APIBlueprint for its request validation (the API's schemas); pages stay out of /openapi.json.
bp = APIBlueprint("pages", __name__, enable_openapi=False)


def _lang_url(lang: str) -> str:
    """This page's URL in ``lang``: the same path and query, ``lang`` set (base.html's language switch)."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [lang]
    return f"{request.script_root}{request.path}?{urlencode(args, doseq=True)}"


# App-wide: error pages (base.html too) are rendered for requests outside this blueprint.
@bp.app_context_processor
def _i18n() -> dict:
    return {"t": t, "zip": zip, "lang_url": _lang_url}


def _lang() -> str:
    return pick_lang(request.args.get("lang"))


def _static_url(path: str) -> str:
    return url_for("static", filename=path)


def _boundaries(layers) -> list:
    """The features of the boundary layers (the districts)."""
    return [f for layer in layers.of_kind("boundary") for f in iter_features(store(), layer.id)]


def _region_bounds(boundaries) -> tuple[float, ...] | None:
    """(minlon, minlat, maxlon, maxlat) of the boundary features, or None when there are none."""
    geometries = [f.geometry for f in boundaries]
    return tuple(float(v) for v in shapely.total_bounds(geometries)) if geometries else None


@bp.get("/")
def index():
    ext = service()
    layers, settings, lang = ext.layers, ext.settings, _lang()
    fmap = mappage.build_map(_static_url, settings, _region_bounds(_boundaries(layers)))
    counts = store().counts()
    return render_template(
        "map.html", lang=lang, folium=mappage.render_parts(fmap),
        config={**mappage.script_config(fmap, layers.values(), settings, lang, request.script_root + "/api"),
                "clusters": mappage.cluster_mode(layers.values(), counts, settings),
                **auth.script_account(layers.values(), lang)},
        layers=list(layers.values()), counts=counts,
        radii=[(r, i18n.distance(r, lang)) for r in mappage.RADII_M],
        default_radius=mappage.DEFAULT_RADIUS_M, grades=mappage.GRADES,
        categories=mappage.categories(layers.values(), lang), presets=mappage.presets(layers.presets.map, lang))


@bp.get("/favicon.ico")
def favicon():
    """The icon browsers ask for by this name whatever the page links (the pages link favicon.svg)."""
    return send_from_directory(current_app.static_folder, "favicon.svg", mimetype="image/svg+xml", max_age=86400)


@bp.get("/place/<layer_id>/<fid>")
def place(layer_id: str, fid: str):
    """One place's page, rendered here (readable with scripts off): facts, hours now, calls, walking
    directions from ``from`` (the search point, lat,lon in WGS 84) when given, nearby places."""
    ext = service()
    ext.layers.require(layer_id)
    try:
        number = parsing.whole_number(fid)
    except ValueError as exc:
        raise BadRequest(f"feature id: {exc}", field="id", code="not_whole_number") from None
    origin = _origin(request.args.get("from"))
    lang = _lang()
    now = datetime.now(parsing.CHINA_TIME).replace(tzinfo=None)
    view_ = placeview.place(store(), layer_id, number, lang, now, origin)
    bounds = (view_["lon"] - 0.006, view_["lat"] - 0.004, view_["lon"] + 0.006, view_["lat"] + 0.004)
    fmap = mappage.build_map(_static_url, ext.settings, bounds, zoom_control="topright", scroll_wheel_zoom=False)
    config = mappage.script_config(fmap, ext.layers.values(), ext.settings, lang, request.script_root + "/api")
    lon, lat = view_["lon"], view_["lat"]
    if config["crs"] == "gcj02":  # over Amap's tiles the mark is shifted as every feature is
        lon, lat = (float(v) for v in geo.wgs84_to_gcj02(lon, lat))
    config.update(point=[lat, lon], title=view_["name"], layer_id=layer_id, fid=number)
    return render_template("place.html", lang=lang, folium=mappage.render_parts(fmap), config=config, place=view_,
                           map_url=url_for("pages.index", lang="en" if lang == "en" else None,
                                           lat=f"{view_['lat']:.6f}", lon=f"{view_['lon']:.6f}",
                                           near=view_["name"], place=f"{layer_id}:{number}"),
                           page_url=request.base_url)


def _origin(raw: str | None) -> tuple[float, float] | None:
    """``lat,lon`` of the search point as (lon, lat), or None when absent or not a point."""
    try:
        lat, lon = (parsing.number(part) for part in (raw or "").split(","))
    except ValueError:
        return None
    return (lon, lat) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


@bp.get("/layers")
def layer_table():
    layers = service().layers
    return render_template("layers.html", lang=_lang(), layers=layers.values(), counts=store().counts())


@bp.get("/planner")
def planner():
    """Coverage planner: the form, district table, bar chart and gap map (static/js/planner/)."""
    ext = service()
    layers, lang = ext.layers, _lang()
    boundaries = _boundaries(layers)
    return render_template("planner.html", **plannerpage.page_context(
        layers, ext.settings, request.args, lang, _static_url, request.script_root + "/api",
        url_for("pages.planner_report"), [f.properties["name"] for f in boundaries], _region_bounds(boundaries)))


@bp.get("/planner/report")
@bp.input(schemas.ReportArgs, location="query", arg_name="query", unknown=RAISE)
@heavy
def planner_report(query):
    """The printable one-page report of a planner query (the parameters of /api/plan)."""
    planner_query = PlannerQuery.from_args(query, service().layers)
    return render_template("report.html", **view.printed(store(), planner_query, _lang()))
