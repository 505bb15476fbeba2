"""Thin Flask blueprints: parse the request, call the core, render the result."""
from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from ..errors import MapserviceError
from ..store.base import Store


def store() -> Store:
    return current_app.extensions["mapservice"]["store"]


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/api"


def init_app(app: Flask) -> None:
    from .api import bp as api_bp
    from .pages import bp as pages_bp

    app.register_blueprint(api_bp)
    app.register_blueprint(pages_bp)

    @app.errorhandler(MapserviceError)
    def _mapservice_error(exc: MapserviceError):
        if wants_json():
            return jsonify(exc.to_dict()), exc.status
        return render_template("error.html", status=exc.status, message=exc.message), exc.status

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        error = MapserviceError(exc.description or exc.name, status=exc.code or 500)
        return _mapservice_error(error)
