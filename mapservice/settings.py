"""Settings from ``MAPSERVICE_*`` environment variables (each is documented in the README).

Every field is converted by its declared type (``str``, ``bool``, ``int``, ``float``) when the
settings are read, and the whole is checked when they are built: a bad value stops start-up
with a :class:`SettingsError` naming the variable.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from platformdirs import user_data_dir

from .budget import DEFAULT_MAX_PAIRS
from .errors import MapserviceError

PREFIX = "MAPSERVICE_"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_GCJ02_TILE_HOSTS = ("autonavi.com", "amap.com", "gtimg.com")


class SettingsError(MapserviceError):
    """A ``MAPSERVICE_*`` value that cannot work; ``field`` is the variable's name."""

    status = 500


def default_database_url() -> str:
    """The embedded store's default file, under the user's data folder."""
    return str(Path(user_data_dir("yuren-map", appauthor=False)) / "yuren-map.gpkg")


def variable(name: str) -> str:
    """The environment variable of the setting ``name``: ``MAPSERVICE_<NAME>``."""
    return PREFIX + name.upper()


def _choices(*values: str) -> dict:
    return {"choices": values}


def _positive() -> dict:
    return {"positive": True}


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
    tile_crs: str = field(default="wgs84", metadata=_choices("wgs84", "gcj02"))
    #: Base map: ``tianditu``, ``osm``, ``amap`` or ``none``; empty: Tianditu with a key, else OpenStreetMap
    #: (mapservice.basemap). ``tile_url`` (custom tiles) wins over it.
    basemap: str = field(default="", metadata=_choices("", "tianditu", "osm", "amap", "none"))
    #: The key of Tianditu's tile service (lbs.tianditu.gov.cn).
    tianditu_key: str = ""
    #: Study tours of this many people or more (or of a whole grade) are filed with the education bureau.
    filing_headcount: int = 200
    #: ... at least this many days ahead; such bookings wait for the bureau before the base confirms.
    filing_days: int = 7
    #: Point pairs within the radius one analysis may hold (2SFCA, siting): its memory bound.
    max_pairs: int = field(default=DEFAULT_MAX_PAIRS, metadata=_positive())
    #: Seconds one analysis request (planner, coverage, export, report) may run before it is stopped (503).
    analysis_seconds: float = field(default=10.0, metadata=_positive())
    #: Analysis requests one server process runs at once; more are answered 503 with Retry-After.
    analysis_concurrency: int = field(default=2, metadata=_positive())
    #: Key that signs the browser sessions; empty on the embedded store: one generated beside its file.
    secret_key: str = field(default="", repr=False)
    #: Honour X-Forwarded-Proto/-For from one reverse proxy in front (secure cookies, client address).
    trust_proxy: bool = False
    #: Hours a sign-in lasts before the user signs in again.
    session_hours: float = field(default=12.0, metadata=_positive())
    #: Point features on the map page up to which it loads them all and clusters them in the browser;
    #: above, the server clusters each view (/api/clusters) and the page loads only what it draws.
    map_browser_limit: int = field(default=20_000, metadata=_positive())
    #: PostgreSQL streaming replicas for reads, comma-separated ``postgresql://`` URLs (empty: none).
    database_read_urls: str = ""

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(self, "database_url", default_database_url())
        self.check()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``environ`` (default ``os.environ``); unset variables keep their defaults."""
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = environ.get(variable(f.name))
            # An empty variable means "unset", except for text (MAPSERVICE_TILE_URL= turns tiles off).
            if raw is not None and (raw.strip() or f.type == "str"):
                values[f.name] = _convert(f.name, f.type, raw)
        return cls(**values)

    def replace(self, **changes) -> Settings:
        """A copy with some fields changed (checked again)."""
        return type(self)(**{**{f.name: getattr(self, f.name) for f in fields(self)}, **changes})

    def check(self) -> None:
        """Refuse values that cannot work, alone or together, with a message saying what to change."""
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, _TYPES[f.type]) or (f.type == "int" and isinstance(value, bool)):
                raise SettingsError(f"{variable(f.name)} must be {_WORDS[f.type]}", field=variable(f.name))
            if f.metadata.get("positive") and not value > 0:
                raise SettingsError(f"{variable(f.name)} must be more than 0, not {value!r}", field=variable(f.name))
            choices = f.metadata.get("choices")
            if choices and value not in choices:
                raise SettingsError(f"{variable(f.name)} must be one of {', '.join(choices)}, not {value!r}",
                                    field=variable(f.name))
        for name, low in (("filing_headcount", 1), ("filing_days", 0)):
            if getattr(self, name) < low:
                raise SettingsError(f"{variable(name)} must be {low} or more", field=variable(name))
        if not _SCHEMA.match(self.database_schema):
            raise SettingsError(f"{variable('database_schema')} must be a lower-case SQL name such as public",
                                field=variable("database_schema"))
        if self.layers_dir and not Path(self.layers_dir).is_dir():
            raise SettingsError(f"{variable('layers_dir')}: no folder {self.layers_dir}", field=variable("layers_dir"))
        if self.basemap == "tianditu" and not self.tianditu_key and not self.tile_url:
            raise SettingsError(f"{variable('basemap')}=tianditu needs {variable('tianditu_key')} (a key from "
                                "lbs.tianditu.gov.cn)", field=variable("tianditu_key"))
        if self.read_urls and not (self.uses_postgis and all(
                url.startswith(("postgresql://", "postgres://")) for url in self.read_urls)):
            raise SettingsError(f"{variable('database_read_urls')} takes postgresql:// URLs of replicas of the "
                                f"PostGIS database in {variable('database_url')}", field=variable("database_read_urls"))
        if any(host in self.tile_url for host in _GCJ02_TILE_HOSTS) and self.tile_crs != "gcj02":
            raise SettingsError(f"Amap/Tencent tiles are GCJ-02: set {variable('tile_crs')}=gcj02 so features are "
                                "shifted onto them", field=variable("tile_crs"))

    @property
    def read_urls(self) -> list[str]:
        """The read replicas' URLs (``database_read_urls`` split at commas)."""
        return [url.strip() for url in self.database_read_urls.split(",") if url.strip()]

    @property
    def uses_postgis(self) -> bool:
        return self.database_url.startswith(("postgresql://", "postgres://"))


_TYPES = {"str": str, "bool": bool, "int": int, "float": (int, float)}
_WORDS = {"str": "text", "bool": "true or false", "int": "a whole number", "float": "a number"}


def _convert(name: str, kind: str, raw: str):
    """``raw`` (an environment variable's text) as a value of type ``kind``."""
    text = raw.strip()
    try:
        if kind == "bool":
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise ValueError
        if kind == "int":
            return int(text)
        if kind == "float":
            return float(text)
    except ValueError:
        raise SettingsError(f"{variable(name)} must be {_WORDS[kind]}, not {raw!r}", field=variable(name)) from None
    return raw
