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
    #: Tile URL template for the base map, e.g. ``https://.../{z}/{x}/{y}.png``; empty draws districts only.
    tile_url: str = ""
    #: Attribution shown for the tiles.
    tile_attribution: str = ""
    #: Coordinate system of the tiles: ``wgs84`` (Tianditu, OSM) or ``gcj02`` (Amap, Tencent).
    tile_crs: str = "wgs84"

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

    def check(self) -> None:
        """Refuse settings that cannot work together, with a message saying what to change."""
        from .errors import MapserviceError

        if self.tile_crs not in ("wgs84", "gcj02"):
            raise MapserviceError("MAPSERVICE_TILE_CRS must be wgs84 or gcj02", field="tile_crs")
        if any(host in self.tile_url for host in ("autonavi.com", "amap.com", "gtimg.com")) and self.tile_crs != "gcj02":
            raise MapserviceError("Amap/Tencent tiles are GCJ-02: set MAPSERVICE_TILE_CRS=gcj02 so features are "
                                  "shifted onto them", field="tile_crs")

    @property
    def uses_postgis(self) -> bool:
        return self.database_url.startswith(("postgresql://", "postgres://"))
