"""Thin Flask blueprints: parse the request, call the core, render the result."""
from __future__ import annotations

from apiflask import APIFlask
from flask import current_app, jsonify, render_template, request

from ..errors import MapserviceError
from ..i18n import pick_lang
from ..service import Service
from ..store.base import Store


def service() -> Service:
    """The app's service (settings, layers, store)."""
    return current_app.extensions["mapservice"]


def store() -> Store:
    return service().store


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/api"


def render_error(error: MapserviceError):
    """One rendering for every error: JSON under /api, a page elsewhere."""
    if wants_json():
        return jsonify(error.to_dict()), error.status
    return (render_template("error.html", status=error.status, message=error.message, field=error.field,
                            lang=pick_lang(request.args.get("lang"))), error.status)


def init_app(app: APIFlask) -> None:
    from .api import bp as api_bp
    from .pages import bp as pages_bp

    app.register_blueprint(api_bp)
    app.register_blueprint(pages_bp)
    app.register_error_handler(MapserviceError, render_error)

    @app.error_processor
    def _http_error(error):
        """HTTP errors (404, 405...) and schema errors ({"query": {"radius": ["..."]}}) alike."""
        field, message = None, error.message
        for location in (error.detail or {}).values():
            if isinstance(location, dict) and location:
                field, reasons = next(iter(location.items()))
                message = f"{field}: {' '.join(map(str, reasons)) if isinstance(reasons, list) else reasons}"
                break
        response, status = render_error(MapserviceError(message, field=field, status=error.status_code))
        return response, status, error.headers
