"""OGC API – Features under /ogc: each view checks its parameters, asks :mod:`mapservice.ogc` for the
document and renders it as JSON (GeoJSON for features) or, for people, as a page.

The format comes from ``f`` (``json`` or ``html``), else from the Accept header (JSON unless HTML
is preferred). The service's own OpenAPI description is /ogc/api (the app's /openapi.json keeps
to /api).
"""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from .. import __version__, ogc
from ..errors import BadRequest
from ..i18n import pick_lang
from . import service, store

bp = Blueprint("ogc", __name__, url_prefix="/ogc")
_MEDIA = {"json": ogc.JSON, "html": ogc.HTML}
#: Without f=, the format follows the Accept header: caches must key on it.
VARY = {"Vary": "Accept"}


def rendered_format() -> str:
    """``json`` or ``html``: ``f`` when given, else what the Accept header prefers (JSON at a tie)."""
    chosen = request.args.get("f")
    if chosen is not None:
        if chosen not in _MEDIA:
            raise BadRequest("f must be json or html", field="f", code="not_one_of",
                             params={"choices": ["json", "html"]})
        return chosen
    accept = request.accept_mimetypes
    best = accept.best_match([ogc.GEOJSON, ogc.JSON, ogc.HTML], default=ogc.JSON)
    return "html" if best == ogc.HTML and accept[ogc.HTML] > accept[ogc.JSON] else "json"


def _links() -> ogc.Links:
    return ogc.Links(request.url_root + "ogc", pick_lang(request.args.get("lang")))


def _check(*extra: str) -> str:
    ogc.check_params(request.args.to_dict(flat=False), (*ogc.COMMON, *extra))
    return rendered_format()


def _render(document: dict, rendered: str, page: str, json_type: str = ogc.JSON, **context):
    if rendered == "json":
        headers = {"Content-Crs": f"<{ogc.CRS84}>", **VARY} if json_type == ogc.GEOJSON else VARY
        return current_app.response_class(current_app.json.dumps(document), mimetype=json_type, headers=headers)
    lang = pick_lang(request.args.get("lang"))
    return render_template("ogc.html", doc=document, page=page, lang=lang, **context), VARY


@bp.get("")
@bp.get("/")
def landing():
    rendered = _check()
    return _render(ogc.landing(_links(), rendered), rendered, "landing")


@bp.get("/conformance")
def conformance():
    rendered = _check()
    return _render(ogc.conformance(_links(), rendered), rendered, "conformance")


@bp.get("/api")
def api():
    ogc.check_params(request.args.to_dict(flat=False), ogc.COMMON)
    return current_app.response_class(
        current_app.json.dumps(ogc.openapi(service().layers, request.url_root + "ogc", __version__)),
        mimetype=ogc.OPENAPI)


@bp.get("/api.html")
def api_docs():
    ogc.check_params(request.args.to_dict(flat=False), ogc.COMMON)
    return render_template("docs.html", spec_url=request.url_root + "ogc/api")


@bp.get("/collections")
def collections():
    rendered = _check()
    return _render(ogc.collections(store(), service().layers, _links(), rendered), rendered, "collections")


@bp.get("/collections/<layer_id>")
def collection(layer_id: str):
    layer = service().layers.require(layer_id)
    rendered = _check()
    return _render(ogc.collection(store(), layer, _links(), rendered), rendered, "collection", layer=layer)


@bp.get("/collections/<layer_id>/items")
def items(layer_id: str):
    layer = service().layers.require(layer_id)
    query = ogc.parse_items(layer, request.args.to_dict(flat=False))
    rendered = rendered_format()
    document = ogc.items(store(), layer, query, _links(), rendered)
    return _render(document, rendered, "items", ogc.GEOJSON, layer=layer, config={"features": document["features"]})


@bp.get("/collections/<layer_id>/items/<fid>")
def item(layer_id: str, fid: str):
    layer = service().layers.require(layer_id)
    rendered = _check()
    document = ogc.item(store(), layer, ogc.parse_fid(fid), _links(), rendered)
    return _render(document, rendered, "item", ogc.GEOJSON, layer=layer, config={"features": [document]})
