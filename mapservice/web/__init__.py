"""Thin Flask blueprints: parse the request, call the core, render the result."""
from __future__ import annotations

import functools

from apiflask import APIFlask
from flask import current_app, jsonify, render_template, request

from .. import budget
from ..errors import MapserviceError
from ..i18n import pick_lang, t
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
    return request.path.startswith("/api/") or request.path == "/api"


def render_error(error: MapserviceError):
    """One rendering for every error: JSON under /api, a page elsewhere; a 503 says when to come back."""
    retry_after = getattr(error, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    lang = pick_lang(request.args.get("lang"))
    message = error.message
    if getattr(error, "i18n", None):  # an error that knows its catalogue text speaks the user's language
        key, values = error.i18n
        message = t(key, lang, **values)
    if wants_json():
        return jsonify({"error": {**error.to_dict()["error"], "message": message}}), error.status, headers
    return (render_template("error.html", status=error.status, message=message, field=error.field,
                            lang=lang), error.status, headers)


#: Endpoints that answer without the store (files and the API description).
_STORELESS = ("static", "openapi.spec", "api_docs.docs")


def init_app(app: APIFlask) -> None:
    from . import auth, security
    from .accountpages import api_bp as accounts_api_bp
    from .accountpages import bp as accounts_bp
    from .adminpages import bp as admin_bp
    from .api import bp as api_bp
    from .bookingpages import bp as booking_pages_bp
    from .bookings import bp as bookings_bp
    from .docs import bp as docs_bp
    from .editing import bp as editing_bp
    from .pages import bp as pages_bp
    from .reportsapi import bp as reports_bp

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
