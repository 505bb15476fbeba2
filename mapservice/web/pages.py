"""HTML pages: the map (/) and the layer table (/layers). static/ is served by the app itself."""
from __future__ import annotations

import shapely
from flask import Blueprint, current_app, render_template, request, url_for

from ..i18n import pick_lang, t
from . import mappage, store

bp = Blueprint("pages", __name__)


@bp.context_processor
def _i18n() -> dict:
    return {"t": t}


def _lang() -> str:
    return pick_lang(request.args.get("lang"))


def _static_url(path: str) -> str:
    return url_for("static", filename=path)


def _region_bounds(layers) -> tuple[float, ...] | None:
    """(minlon, minlat, maxlon, maxlat) of the boundary layers' features, or None when empty."""
    geometries = [f.geometry for layer in layers.of_kind("boundary")
                  for f in store().features(layer.id, limit=1000).features]
    return tuple(float(v) for v in shapely.total_bounds(geometries)) if geometries else None


@bp.get("/")
def index():
    ext = current_app.extensions["mapservice"]
    layers, settings, lang = ext["layers"], ext["settings"], _lang()
    fmap = mappage.build_map(_static_url, settings, _region_bounds(layers))
    return render_template(
        "map.html", lang=lang, folium=mappage.render_parts(fmap),
        config=mappage.script_config(fmap, layers.values(), settings, lang, request.script_root + "/api"),
        layers=list(layers.values()), counts=store().counts(),
        radii=[(r, mappage.radius_label(r, lang)) for r in mappage.RADII_M],
        default_radius=mappage.DEFAULT_RADIUS_M, grades=mappage.GRADES,
        categories=mappage.categories(layers.values(), lang))


@bp.get("/layers")
def layer_table():
    layers = current_app.extensions["mapservice"]["layers"]
    return render_template("layers.html", lang=_lang(), layers=layers.values(), counts=store().counts())
