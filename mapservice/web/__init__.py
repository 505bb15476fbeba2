"""Thin Flask blueprints: parse the request, call the core, render the result."""
from __future__ import annotations

import functools

from apiflask import APIFlask
from flask import current_app, jsonify, render_template, request

from .. import budget
from ..errors import MapserviceError, Unavailable
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
    """One rendering for every error: JSON under /api, a page elsewhere; a 503 says when to come back."""
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, Unavailable) else {}
    if wants_json():
        return jsonify(error.to_dict()), error.status, headers
    return (render_template("error.html", status=error.status, message=error.message, field=error.field,
                            lang=pick_lang(request.args.get("lang"))), error.status, headers)


#: Endpoints that answer without the store (files and the API description).
_STORELESS = ("static", "openapi.spec", "api_docs.docs")


def init_app(app: APIFlask) -> None:
    from . import security
    from .api import bp as api_bp
    from .docs import bp as docs_bp
    from .ogc import bp as ogc_bp
    from .pages import bp as pages_bp
    from .tiles import bp as tiles_bp

    app.extensions["mapservice_gate"] = budget.Gate(service_of(app).settings.analysis_concurrency)
    app.register_blueprint(api_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(docs_bp)
    app.register_blueprint(ogc_bp)
    app.register_blueprint(tiles_bp)
    app.register_error_handler(MapserviceError, render_error)
    security.init_app(app)

    @app.before_request
    def _store_ready():
        """A server that started while its database was away initialises the store once it answers."""
        if request.endpoint not in _STORELESS:
            service().ensure_ready()

    @app.error_processor
    def _http_error(error):
        """HTTP errors (404, 405...) and schema errors ({"query": {"radius": ["..."]}}) alike."""
        field, message = None, error.message
        for location in (error.detail or {}).values():
            if isinstance(location, dict) and location:
                field, reasons = next(iter(location.items()))
                message = f"{field}: {' '.join(map(str, reasons)) if isinstance(reasons, list) else reasons}"
                break
        response, status, headers = render_error(MapserviceError(message, field=field, status=error.status_code))
        return response, status, {**headers, **(error.headers or {})}
