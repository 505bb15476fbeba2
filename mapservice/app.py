"""The Flask app factory (gunicorn: ``mapservice.app:create_app()``)."""
from __future__ import annotations

from apiflask import APIFlask

from . import __version__
from .resources import resource_dir
from .service import Service, open_service
from .settings import Settings
from .web import responses
from .web.jsonio import OrjsonProvider


def create_app(settings: Settings | None = None, service: Service | None = None) -> APIFlask:
    """Build the app over ``service``, or over a service opened for ``settings`` (default: from
    the ``MAPSERVICE_*`` variables). The app's service is ``app.extensions["mapservice"]``."""
    service = service or open_service(settings, require_store=False)
    # /api/docs is web/docs.py's page (APIFlask's starts Swagger UI from an inline script).
    app = APIFlask(__name__, title="Yuren Map API", version=__version__, spec_path="/openapi.json",
                   docs_path=None, json_errors=False, static_folder=str(resource_dir("static")),
                   static_url_path="/static")
    app.config.update(
        VALIDATION_ERROR_STATUS_CODE=400,
        # The one error shape the handlers send (web/__init__.py), for every error in the description.
        VALIDATION_ERROR_SCHEMA=responses.Error, HTTP_ERROR_SCHEMA=responses.Error,
        DESCRIPTION="Education resources of one region on one map: layers, features and nearby search. "
                    "Coordinates are WGS 84 longitude/latitude; distances are geodesic metres.",
    )
    app.json = OrjsonProvider(app)
    app.extensions["mapservice"] = service

    from .layers import Role
    from .web import init_app

    init_app(app)

    @app.spec_processor
    def _describe(spec):
        bookable = [layer.id for layer in service.layers.values() if layer.role(Role.BOOKABLE)]
        return responses.describe(spec, list(service.layers), bookable)

    return app
