"""Settings from ``MAPSERVICE_*`` environment variables (each is documented in the README)."""
from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

from platformdirs import user_data_dir


def default_database_url() -> str:
    """The embedded store's default file, under the user's data folder."""
    return str(Path(user_data_dir("yuren-map", appauthor=False)) / "yuren-map.gpkg")


@dataclass(frozen=True)
class Settings:
    """Run-time settings; ``from_env`` reads them, tests pass them directly."""

    #: ``postgresql://...`` picks PostGIS; anything else is the path of a GeoPackage file.
    database_url: str = ""
    #: PostgreSQL schema holding the layer tables.
    database_schema: str = "public"
    #: Folder of layer definition files (default: the shipped layers/).
    layers_dir: str = ""
    #: Load the demo region into an empty store on start (``true``/``false``).
    load_demo: bool = True

    @classmethod
    def from_env(cls, environ=None) -> Settings:
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = environ.get(f"MAPSERVICE_{f.name.upper()}")
            if raw is None:
                continue
            values[f.name] = raw.strip().lower() in ("1", "true", "yes", "on") if f.type == "bool" else raw
        settings = cls(**values)
        return settings if settings.database_url else cls(**{**values, "database_url": default_database_url()})

    @property
    def uses_postgis(self) -> bool:
        return self.database_url.startswith(("postgresql://", "postgres://"))
