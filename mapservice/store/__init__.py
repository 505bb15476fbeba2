"""Stores behind one contract: ``open_store`` picks one from the database URL."""
from __future__ import annotations

from ..layers import LayerRegistry
from ..settings import Settings
from .base import Feature, Nearby, Page, Row, Store, UpsertResult

__all__ = ["Feature", "Nearby", "Page", "Row", "Store", "UpsertResult", "open_store"]


def open_store(settings: Settings, layers: LayerRegistry) -> Store:
    """A PostGIS store for a ``postgresql://`` URL, else the GeoPackage file at that path."""
    if settings.uses_postgis:
        from .postgis import PostGISStore

        return PostGISStore(settings.database_url, layers, schema=settings.database_schema,
                            read_urls=settings.read_urls)
    from .geopackage import GeoPackageStore

    return GeoPackageStore(settings.database_url, layers)
