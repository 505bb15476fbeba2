"""The Flask app factory (gunicorn: ``mapservice.app:create_app()``)."""
from __future__ import annotations

from apiflask import APIFlask

from . import __version__
from .resources import resource_dir
from .service import Service, open_service
from .settings import Settings
from .web.jsonio import OrjsonProvider

_SWAGGER = "/static/vendor/swagger-ui/"


def create_app(settings: Settings | None = None, service: Service | None = None) -> APIFlask:
    """Build the app over ``service``, or over a service opened for ``settings`` (default: from
    the ``MAPSERVICE_*`` variables). The app's service is ``app.extensions["mapservice"]``."""
    service = service or open_service(settings)
    app = APIFlask(__name__, title="Yuren Map API", version=__version__, spec_path="/openapi.json",
                   docs_path="/api/docs", json_errors=False, static_folder=str(resource_dir("static")),
                   static_url_path="/static")
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
    app.json = OrjsonProvider(app)
    app.extensions["mapservice"] = service

    from .web import init_app

    init_app(app)
    return app
