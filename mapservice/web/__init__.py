"""Thin Flask blueprints: parse the request, call the core, render the result."""
from __future__ import annotations

import functools

from apiflask import APIFlask
from flask import current_app, g, jsonify, render_template, request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

from .. import budget, parsing
from ..errors import MapserviceError, Reason, field_label
from ..i18n import pick_lang
from ..service import Service
from ..store.base import Store


def service() -> Service:
    """The app's service (settings, layers, store)."""
    return service_of(current_app)


def service_of(app) -> Service:
    return app.extensions["mapservice"]


def store() -> Store:
    return service().store


def heavy(view):
    """A view that runs an analysis: admitted by the process's gate (503 when it is full) and run within
    the settings' pair and time budget."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        settings = service().settings
        with current_app.extensions["mapservice_gate"].admit(), \
                budget.spending(settings.max_pairs, settings.analysis_seconds):
            return view(*args, **kwargs)

    return wrapper


def wants_json() -> bool:
    if request.path.startswith(("/ogc/", "/tiles/")) or request.path == "/ogc":
        from .ogc import rendered_format

        try:
            return rendered_format() == "json"
        except MapserviceError:
            return True  # a bad f= is itself answered in JSON
    return request.path.startswith("/api/") or request.path == "/api"


def render_error(error: MapserviceError):
    """One rendering for every error: JSON under /api, a page elsewhere, worded in the request's
    language (Chinese unless ``lang=en``); a 503 says when to come back."""
    retry_after = getattr(error, "retry_after", None)  # a 503, or a 429 of a store-backed limit
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    lang = pick_lang(request.args.get("lang"))
    if wants_json():
        return jsonify(error.to_dict(lang)), error.status, headers
    return (render_template("error.html", status=error.status, message=error.text(lang), field=error.field,
                            field_label=field_label(error.field, lang), lang=lang), error.status, headers)


#: marshmallow's own messages that are not validators' (those carry a :class:`~mapservice.errors.Reason`).
_SCHEMA_CODES = {"Missing data for required field.": "required", "Unknown field.": "unknown_parameter",
                 "Field may not be null.": "required"}


def schema_error(status: int, detail: dict | None, message: str) -> MapserviceError:
    """The error of a request the schemas refused ({"query": {"radius": ["..."]}}), or of an HTTP
    error (404, 405...): the first field at fault with the code of its first reason."""
    for location in (detail or {}).values():
        if isinstance(location, dict) and location:
            field, reasons = next(iter(location.items()))
            reasons = reasons if isinstance(reasons, list) else [reasons]
            first = reasons[0] if reasons else ""
            if isinstance(first, Reason):
                code, params = first.code, first.params
            else:
                code, params = _SCHEMA_CODES.get(str(first), "invalid_value"), {}
            english = f"{field}: {' '.join(map(str, reasons))}"
            return MapserviceError(english, field=field, status=status, code=code, params=params)
    return MapserviceError(message, status=status, code=f"http_{status}")


#: What is compressed: every text the app sends (pages, scripts, styles, JSON and GeoJSON, SVG).
COMPRESSED = ["text/html", "text/css", "text/javascript", "application/javascript", "application/json",
              "application/geo+json", "image/svg+xml"]


def compress(app: APIFlask) -> None:
    """Compress answers with brotli (else gzip, or deflate for files) for clients that take it
    (flask-compress): the map's layers and scripts shrink to a fraction of their size on a phone's
    link. Answers under 500 bytes and downloads (xlsx, GeoPackage) are sent as they are."""
    from flask_compress import Compress

    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    # Files (static/) are sent as streams, which flask-compress packs with brotli or deflate, not gzip.
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "deflate"])
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    Compress(app)


#: Endpoints that answer without the store (files and the API description).
_STORELESS = ("static", "openapi.spec", "api_docs.docs", "pages.favicon")


class IdConverter(IntegerConverter):
    """``<id:name>``: an object id in a path, a whole number. One beyond 64 bits names no object: it
    comes in as 0, which no object has, so its view answers 404 (a converter that refused it would
    let werkzeug answer 405 for a sibling route's method instead)."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        return number if number <= parsing.INT64_MAX else 0


class QueryArgs(ImmutableMultiDict):
    """A request's parameters, where asking for one that is absent costs no exception: werkzeug's
    ``get`` raises (and builds) an HTTP 400 error object inside to find it missing, and the query
    schemas ask for every field they declare (a nearby search: 16)."""

    def get(self, key, default=None, type=None):  # noqa: A002 - werkzeug's signature
        return super().get(key, default, type) if key in self else default


class Request(APIFlask.request_class):
    parameter_storage_class = QueryArgs


def init_app(app: APIFlask) -> None:
    app.request_class = Request
    from . import assets, auth, security
    from .accountpages import api_bp as accounts_api_bp
    from .accountpages import bp as accounts_bp
    from .adminpages import bp as admin_bp
    from .api import bp as api_bp
    from .bookingpages import bp as booking_pages_bp
    from .bookings import bp as bookings_bp
    from .docs import bp as docs_bp
    from .editing import bp as editing_bp
    from .ogc import bp as ogc_bp
    from .pages import bp as pages_bp
    from .reportsapi import bp as reports_bp
    from .tiles import bp as tiles_bp

    app.url_map.converters["id"] = IdConverter
    app.extensions["mapservice_gate"] = budget.Gate(service_of(app).settings.analysis_concurrency)
    app.register_blueprint(api_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(docs_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(accounts_api_bp)
    app.register_blueprint(editing_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(bookings_bp)
    app.register_blueprint(booking_pages_bp)
    auth.init_app(app)
    app.register_blueprint(ogc_bp)
    app.register_blueprint(tiles_bp)
    app.register_error_handler(MapserviceError, render_error)
    security.init_app(app)
    assets.init_app(app)
    compress(app)

    @app.before_request
    def _store_ready():
        """A server that started while its database was away initialises the store once it answers."""
        if request.endpoint not in _STORELESS:
            service().ensure_ready()

    @app.before_request
    def _one_view():
        """A read (GET, HEAD) reads the layers' change counters once for all it keys by them."""
        if request.method in ("GET", "HEAD") and request.endpoint not in _STORELESS:
            g.store_view = store().one_view()
            g.store_view.__enter__()

    @app.teardown_request
    def _end_view(_error):
        view = g.pop("store_view", None)
        if view is not None:
            view.__exit__(None, None, None)

    @app.error_processor
    def _http_error(error):
        """HTTP errors (404, 405...) and schema errors ({"query": {"radius": ["..."]}}) alike."""
        response, status, headers = render_error(schema_error(error.status_code, error.detail, error.message))
        return response, status, {**headers, **(error.headers or {})}
