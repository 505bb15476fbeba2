"""Yuren Map (育人地图): a whole-region map of school-family-community education resources."""
from __future__ import annotations

from flask import Flask

from .layers import load_layers
from .settings import Settings
from .store import open_store

__all__ = ["create_app"]


def create_app(config: Settings | None = None) -> Flask:
    """Build the app. ``config`` defaults to settings from ``MAPSERVICE_*`` variables."""
    settings = config or Settings.from_env()
    app = Flask(__name__, static_folder=None)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    layers = load_layers(settings.layers_dir or None)
    store = open_store(settings, layers)
    store.init()
    app.extensions["mapservice"] = {"settings": settings, "layers": layers, "store": store}

    from .web import init_app

    init_app(app)
    return app
