"""Vector tiles of every layer: ``/tiles/<layer>/<z>/<x>/<y>.mvt`` (Mapbox Vector Tile, EPSG:3857) and
a TileJSON document per layer, ``/tiles/<layer>.json``, which QGIS and MapLibre read.

A tile's ETag carries the layer's change counter, so a client revalidating after an edit gets the
new tile and otherwise a 304 without the tile being made again; the tiles made are kept in memory
(:class:`~mapservice.tiles.TileCache`) under the same key.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from .. import parsing, tiles
from ..errors import BadRequest
from ..i18n import pick_lang
from ..ogc import check_params
from . import service, store

bp = Blueprint("tiles", __name__, url_prefix="/tiles")
MVT = "application/vnd.mapbox-vector-tile"
#: Tiles may be kept this long before asking again (with the ETag: a 304 when unchanged).
CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=300"


def _cache() -> tiles.TileCache:
    return current_app.extensions.setdefault("mapservice_tiles", tiles.TileCache())


def _whole(text: str, name: str) -> int:
    try:
        return parsing.whole_number(text, 0, 2 ** tiles.MAX_ZOOM)
    except ValueError as exc:
        raise BadRequest(f"{name} {exc}", field=name, code="not_whole_number") from None


@bp.get("/<layer_id>/<z>/<x>/<y>.mvt")
def tile(layer_id: str, z: str, x: str, y: str):
    """One tile; empty (200, no body) where no feature reaches it."""
    layer = service().layers.require(layer_id)
    check_params(request.args.to_dict(flat=False), ())
    address = tiles.check_tile(_whole(z, "z"), _whole(x, "x"), _whole(y, "y"))
    version = (store().layer_versions() or {}).get(layer.id)
    tag = tiles.etag(layer.id, version, *address)
    headers = {"Cache-Control": CACHE_CONTROL, "Vary": "Accept-Encoding", **({"ETag": f'"{tag}"'} if tag else {})}
    if tag and request.if_none_match.contains(tag):
        return "", 304, headers
    key = (layer.id, version, *address)
    data = _cache().get(key) if version is not None else None
    if data is None:
        data = store().tile(layer.id, *address)
        if version is not None:
            _cache().put(key, data)
    return current_app.response_class(data, mimetype=MVT, headers=headers)


@bp.get("/<layer_id>.json")
def tilejson(layer_id: str):
    """The layer's TileJSON: its tile URL, zooms, bounds and attribute names."""
    layer = service().layers.require(layer_id)
    check_params(request.args.to_dict(flat=False), ("lang",))
    url = f"{request.url_root}tiles/{layer.id}/{{z}}/{{x}}/{{y}}.mvt"
    return jsonify(tiles.tilejson(layer, url, store().extent(layer.id), pick_lang(request.args.get("lang"))))
