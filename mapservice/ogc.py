"""OGC API – Features, Part 1 Core (with GeoJSON, HTML and OpenAPI 3.0): the documents, framework-free.

Every layer is a collection. Items carry the layer's public attributes and ``generated`` (no source
ids, nothing of bookings or accounts); coordinates are CRS84 (WGS 84 longitude, latitude). The views
in :mod:`mapservice.web.ogc` parse a request with :func:`parse_items` and render what these return.

Standard: OGC 17-069r4, https://docs.ogc.org/is/17-069r4/17-069r4.html
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from . import i18n, parsing
from .errors import BadRequest, NotFound
from .layers import Layer, LayerRegistry
from .store.base import MAX_OFFSET, Feature, Store, check_bbox

DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
)
JSON, GEOJSON, HTML = "application/json", "application/geo+json", "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
#: Parameters every resource takes: the format and the language of its texts.
COMMON = ("f", "lang")
#: Part 2's CRS parameters, taken with the one CRS served (GDAL sends them when a collection lists ``crs``).
CRS_PARAMETERS = ("crs", "bbox-crs")
#: Attribute types an items request may filter by (equality; a list attribute by membership).
FILTERABLE = ("text", "integer", "number", "boolean", "code", "codes")
_DIGITS = re.compile(r"\+?[0-9]+")


def filterable(layer: Layer) -> list:
    """The attributes of ``layer`` an items request takes as query parameters (declared in the API)."""
    return [a for a in layer.attributes if a.type in FILTERABLE]


@dataclass(frozen=True)
class ItemsQuery:
    """A parsed items request: ``limit`` already clamped to :data:`MAX_LIMIT`."""

    bbox: tuple[float, float, float, float] | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    filters: dict[str, str] = field(default_factory=dict)

    def args(self, **changes) -> dict[str, str]:
        """The query string of this request (with ``changes``), for links."""
        values = {"limit": self.limit, "offset": self.offset, **changes}
        out = {}
        if self.bbox:
            out["bbox"] = ",".join(repr(v) for v in self.bbox)
        out.update(self.filters)
        out["limit"], out["offset"] = str(values["limit"]), str(values["offset"])
        return out


def check_params(args: Mapping[str, list[str]], allowed) -> dict[str, str]:
    """One value per parameter, every parameter one of ``allowed`` (the standard: an unknown parameter
    is a 400), text without control characters."""
    out = {}
    for name, values in args.items():
        if name not in allowed:
            raise BadRequest(f"unknown parameter {name!r}; this resource takes {', '.join(allowed)}", field=name,
                             code="unknown_parameter")
        if len(values) != 1:
            raise BadRequest(f"{name} is given {len(values)} times; give it once", field=name, code="ogc_repeated",
                             params={"count": len(values)})
        try:
            out[name] = parsing.text(values[0])
        except ValueError as exc:
            raise BadRequest(f"{name} {exc}", field=name, code="bad_text") from None
    return out


def parse_items(layer: Layer, args: Mapping[str, list[str]]) -> ItemsQuery:
    """An items request from its query string (``{name: [values]}``); 400 naming the parameter."""
    names = [a.name for a in filterable(layer)]
    values = check_params(args, (*COMMON, "bbox", "limit", "offset", *CRS_PARAMETERS, *names))
    for name in CRS_PARAMETERS:
        if values.get(name, CRS84) != CRS84:
            raise BadRequest(f"{name} must be {CRS84}: features are served in CRS84 only", field=name,
                             code="ogc_crs84_only", params={"crs": CRS84})
    limit = _limit(values["limit"]) if "limit" in values else DEFAULT_LIMIT
    offset = 0
    if "offset" in values:
        try:
            offset = parsing.whole_number(values["offset"], 0, MAX_OFFSET)
        except ValueError as exc:
            raise BadRequest(f"offset {exc}", field="offset", code="invalid_value") from None
    return ItemsQuery(bbox=_bbox(values.get("bbox")), limit=min(limit, MAX_LIMIT), offset=offset,
                      filters={name: values[name] for name in names if name in values})


def _limit(text: str) -> int:
    """A limit of 1 or more; any larger than :data:`MAX_LIMIT` (even past 64 bits) is taken as that."""
    if _DIGITS.fullmatch(text.strip()) and text.strip().lstrip("+0"):
        return MAX_LIMIT if len(text.strip().lstrip("+0")) > 5 else min(int(text), MAX_LIMIT)
    try:
        return parsing.whole_number(text, 1)
    except ValueError as exc:
        raise BadRequest(f"limit {exc}", field="limit", code="invalid_value") from None


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """``minlon,minlat,maxlon,maxlat`` (or with heights, which are ignored), CRS84."""
    if text is None:
        return None
    try:
        numbers = [parsing.number(part) for part in text.split(",")]
    except ValueError:
        numbers = []
    if len(numbers) not in (4, 6):
        raise BadRequest("bbox must be minlon,minlat,maxlon,maxlat (or six numbers with heights)", field="bbox",
                         code="ogc_bad_bbox")
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if numbers[0] > numbers[2]:
        raise BadRequest("bbox across the antimeridian (minlon > maxlon) is not served; ask for two boxes",
                         field="bbox", code="ogc_antimeridian")
    return check_bbox(numbers)


def parse_fid(text: str) -> int:
    """A feature id from the path; an id that cannot exist is a 404, as one that does not."""
    try:
        return parsing.whole_number(text)
    except ValueError:
        raise NotFound(f"no feature {text!r}", field="featureId", code="no_feature") from None


class Links:
    """Link objects under one base URL (``.../ogc``), with the format a document is rendered in."""

    def __init__(self, base: str, lang: str):
        self.base = base.rstrip("/")
        self.lang = lang

    def url(self, path: str, f: str | None = None, **args) -> str:
        return self._href(path, urlencode(args), f)

    def _href(self, path: str, encoded: str, f: str | None) -> str:
        """``path`` with the query ``encoded`` (urlencoded), then ``f`` and ``lang`` when wanted."""
        query = [encoded] if encoded else []
        if f:
            query.append(f"f={f}")
        if self.lang == "en":
            query.append("lang=en")
        return f"{self.base}{path}" + (f"?{'&'.join(query)}" if query else "")

    def self_and_alternate(self, path: str, rendered: str, json_type: str = JSON, **args) -> list[dict]:
        """``self`` in the format rendered (``json`` or ``html``) and ``alternate`` in the other."""
        encoded = urlencode(args)
        json_link = {"href": self._href(path, encoded, "json"), "type": json_type,
                     "title": i18n.t("ogc_as_json", self.lang)}
        html_link = {"href": self._href(path, encoded, "html"), "type": HTML, "title": i18n.t("ogc_as_html", self.lang)}
        first, second = (json_link, html_link) if rendered == "json" else (html_link, json_link)
        return [{"rel": "self", **first}, {"rel": "alternate", **second}]


def landing(links: Links, rendered: str) -> dict:
    """The landing page: what the service is and where its API description, conformance and data are."""
    lang = links.lang
    return {
        "title": i18n.t("ogc_title", lang), "description": i18n.t("ogc_description", lang),
        "links": [*links.self_and_alternate("/", rendered),
                  {"rel": "service-desc", "href": links.url("/api"), "type": OPENAPI,
                   "title": i18n.t("ogc_service_desc", lang)},
                  {"rel": "service-doc", "href": links.url("/api.html"), "type": HTML,
                   "title": i18n.t("ogc_service_doc", lang)},
                  {"rel": "conformance", "href": links.url("/conformance"), "type": JSON,
                   "title": i18n.t("ogc_conformance", lang)},
                  {"rel": "data", "href": links.url("/collections"), "type": JSON,
                   "title": i18n.t("ogc_collections", lang)}]}


def conformance(links: Links, rendered: str) -> dict:
    return {"conformsTo": list(CONFORMANCE), "links": links.self_and_alternate("/conformance", rendered)}


def collection(store: Store, layer: Layer, links: Links, rendered: str | None) -> dict:
    """A collection's description: title, extent (CRS84) and links to its items. ``rendered`` None:
    as part of /collections (no self link of its own)."""
    lang = links.lang
    path = f"/collections/{layer.id}"
    extent = store.extent(layer.id)
    out = {"id": layer.id, "title": layer.title(lang), "itemType": "feature", "crs": [CRS84], "storageCrs": CRS84,
           "extent": {"spatial": {"bbox": [list(extent)] if extent else [[-180.0, -90.0, 180.0, 90.0]],
                                  "crs": CRS84}},
           "links": [
               *(links.self_and_alternate(path, rendered) if rendered else
                 [{"rel": "self", "href": links.url(path, "json"), "type": JSON, "title": layer.title(lang)}]),
               {"rel": "items", "href": links.url(f"{path}/items", "json"), "type": GEOJSON,
                "title": i18n.t("ogc_items", lang)},
               {"rel": "items", "href": links.url(f"{path}/items", "html"), "type": HTML,
                "title": i18n.t("ogc_items", lang)}]}
    return out


def collections(store: Store, layers: LayerRegistry, links: Links, rendered: str) -> dict:
    return {"collections": [collection(store, layer, links, None) for layer in layers.values()],
            "links": links.self_and_alternate("/collections", rendered)}


def public_properties(layer: Layer, feature: Feature) -> dict[str, Any]:
    """What the OGC API and the tiles show of a feature: its layer's attributes and ``generated``."""
    properties = feature.properties
    return {"generated": properties["generated"], **{name: properties.get(name) for name in layer.attribute_names}}


def _feature(layer: Layer, feature: Feature) -> dict:
    out = feature.to_geojson()
    out["properties"] = public_properties(layer, feature)
    return out


def items(store: Store, layer: Layer, query: ItemsQuery, links: Links, rendered: str) -> dict:
    """A page of the collection's features as a GeoJSON FeatureCollection with the exact
    ``numberMatched``, ``numberReturned``, ``timeStamp`` and self/alternate/next/prev links."""
    page = store.features(layer.id, bbox=query.bbox, filters=query.filters, limit=query.limit, offset=query.offset)
    path = f"/collections/{layer.id}/items"
    out_links = links.self_and_alternate(path, rendered, GEOJSON, **query.args())
    returned = len(page.features)
    if query.offset + returned < page.number_matched:
        out_links.append({"rel": "next", "type": GEOJSON, "title": i18n.t("ogc_next", links.lang),
                          "href": links.url(path, "json", **query.args(offset=query.offset + returned))})
    if query.offset > 0:
        out_links.append({"rel": "prev", "type": GEOJSON, "title": i18n.t("ogc_prev", links.lang),
                          "href": links.url(path, "json", **query.args(offset=max(0, query.offset - query.limit)))})
    out_links.append({"rel": "collection", "type": JSON, "title": layer.title(links.lang),
                      "href": links.url(f"/collections/{layer.id}", "json")})
    return {"type": "FeatureCollection", "numberMatched": page.number_matched, "numberReturned": returned,
            "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "features": [_feature(layer, f) for f in page.features], "links": out_links}


def item(store: Store, layer: Layer, fid: int, links: Links, rendered: str) -> dict:
    """One feature as GeoJSON with its self/alternate and collection links."""
    out = _feature(layer, store.get(layer.id, fid))
    out["links"] = [*links.self_and_alternate(f"/collections/{layer.id}/items/{fid}", rendered, GEOJSON),
                    {"rel": "collection", "type": JSON, "title": layer.title(links.lang),
                     "href": links.url(f"/collections/{layer.id}", "json")}]
    return out


# -- the API description (service-desc), OpenAPI 3.0 ------------------------------------------------

_SCHEMA_TYPES = {"text": "string", "integer": "integer", "number": "number", "boolean": "boolean",
                 "code": "string", "codes": "string"}


def _parameter(name: str, description: str, schema: dict, style: dict | None = None) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema,
            **(style or {})}


def _format_parameter() -> dict:
    return _parameter("f", "json (GeoJSON / JSON, the default) or html", {"type": "string", "enum": ["json", "html"]})


def _lang_parameter() -> dict:
    return _parameter("lang", "zh (default) or en: the language of titles", {"type": "string", "enum": ["zh", "en"]})


def _operation(summary: str, parameters: list, content_type: str, description: str) -> dict:
    error = {"description": "a parameter is wrong (it is named in `error.field`)",
             "content": {JSON: {"schema": {"type": "object"}}}}
    return {"summary": summary, "parameters": [_format_parameter(), _lang_parameter(), *parameters],
            "responses": {"200": {"description": description, "content": {
                content_type: {"schema": {"type": "object"}}, HTML: {"schema": {"type": "string"}}}},
                "400": error, "404": {"description": "no such collection or feature", "content": error["content"]},
                "503": {"description": "the database is away; ask again after Retry-After seconds",
                        "content": error["content"]}}}


def _attribute_parameter(attribute) -> dict:
    schema: dict = {"type": _SCHEMA_TYPES[attribute.type]}
    if attribute.values:
        schema["enum"] = list(attribute.values)
    for bound, key in ((attribute.min, "minimum"), (attribute.max, "maximum")):
        if bound is not None and math.isfinite(bound):
            schema[key] = bound
    how = "features whose list holds this value" if attribute.type == "codes" else "features with this value"
    return _parameter(attribute.name, f"{attribute.label_en} ({attribute.label_zh}): {how}", schema)


def openapi(layers: LayerRegistry, base: str, version: str) -> dict:
    """The OpenAPI 3.0 description of the OGC API: every collection's path with its filters declared."""
    paths: dict = {
        "/": {"get": _operation("Landing page", [], JSON, "links to the API, conformance and the collections")},
        "/conformance": {"get": _operation("Conformance classes", [], JSON, "the classes this API conforms to")},
        "/collections": {"get": _operation("Collections", [], JSON, "every layer as a collection")},
    }
    bbox = _parameter("bbox", "minlon,minlat,maxlon,maxlat (CRS84); features whose bounding box meets it",
                      {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
                      {"style": "form", "explode": False})
    limit = _parameter("limit", f"features per page (default {DEFAULT_LIMIT}; more than {MAX_LIMIT} is taken as "
                       f"{MAX_LIMIT})", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                                         "default": DEFAULT_LIMIT}, {"style": "form", "explode": False})
    offset = _parameter("offset", "features to skip, in id order (the next link sets it)",
                        {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0})
    crs = [_parameter(name, f"only {CRS84}", {"type": "string", "enum": [CRS84]}) for name in CRS_PARAMETERS]
    fid = {"name": "featureId", "in": "path", "required": True, "schema": {"type": "integer"}}
    for layer in layers.values():
        path = f"/collections/{layer.id}"
        paths[path] = {"get": _operation(f"{layer.title_en} ({layer.title_zh})", [], JSON, "the collection")}
        paths[f"{path}/items"] = {"get": _operation(
            f"{layer.title_en}: features", [bbox, limit, offset, *crs, *map(_attribute_parameter, filterable(layer))],
            GEOJSON, "a page of features (GeoJSON)")}
        feature = _operation(f"{layer.title_en}: one feature", [], GEOJSON, "one feature (GeoJSON)")
        feature["parameters"].append(fid)
        paths[f"{path}/items/{{featureId}}"] = {"get": feature}
    return {"openapi": "3.0.3",
            "info": {"title": "Yuren Map OGC API – Features", "version": version,
                     "description": "Every layer of Yuren Map (育人地图) as a collection; CRS84."},
            "servers": [{"url": base.rstrip("/")}], "paths": paths}
