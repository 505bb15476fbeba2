"""Yuren Map (育人地图): a whole-region map of school-family-community education resources."""
from __future__ import annotations

from apiflask import APIFlask

from .layers import load_layers
from .resources import resource_dir
from .settings import Settings
from .store import open_store

__all__ = ["create_app"]

_SWAGGER = "/static/vendor/swagger-ui/"


def create_app(config: Settings | None = None) -> APIFlask:
    """Build the app. ``config`` defaults to settings from ``MAPSERVICE_*`` variables."""
    settings = config or Settings.from_env()
    settings.check()
    app = APIFlask(__name__, title="Yuren Map API", version="0.1.0", spec_path="/openapi.json",
                   docs_path="/api/docs", json_errors=False, static_folder=str(resource_dir("static")), static_url_path="/static")
    app.config.update(
        VALIDATION_ERROR_STATUS_CODE=400,
        SWAGGER_UI_CSS=_SWAGGER + "swagger-ui.css",
        SWAGGER_UI_BUNDLE_JS=_SWAGGER + "swagger-ui-bundle.js",
        SWAGGER_UI_STANDALONE_PRESET_JS=_SWAGGER + "swagger-ui-standalone-preset.js",
        SWAGGER_UI_CONFIG={"validatorUrl": None},
        DOCS_FAVICON="/static/favicon.svg",
        DESCRIPTION="Education resources of one region on one map: layers, features and nearby search. "
                    "Coordinates are WGS 84 longitude/latitude; distances are geodesic metres.",
    )
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    layers = load_layers(settings.layers_dir or None)
    store = open_store(settings, layers)
    store.init()
    app.extensions["mapservice"] = {"settings": settings, "layers": layers, "store": store}

    from .web import init_app

    init_app(app)
    return app
