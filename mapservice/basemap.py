"""The base map under the features: a named provider of street tiles, custom tiles, or none.

``MAPSERVICE_BASEMAP`` names a provider (``tianditu``, ``osm``, ``amap``) or ``none``; empty picks
Tianditu when ``MAPSERVICE_TIANDITU_KEY`` is set and OpenStreetMap otherwise, so that a fresh
install on a machine with internet shows streets. ``MAPSERVICE_TILE_URL`` (custom tiles) wins over
the name. Amap's tiles are GCJ-02: the page then asks the API for GCJ-02 coordinates.

Without tiles, or when the page finds its tiles do not load (offline, blocked), the district
boundaries and names are the base (static/js/shared/basemap.js).
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from .settings import Settings

#: The named providers: tile URL templates ({s} a subdomain), subdomains, attribution, CRS.
PROVIDERS = {
    # 天地图 (the national platform of the Ministry of Natural Resources): vector base and its labels.
    "tianditu": (("https://t{s}.tianditu.gov.cn/DataServer?T=vec_w&x={x}&y={y}&l={z}&tk={key}",
                  "https://t{s}.tianditu.gov.cn/DataServer?T=cva_w&x={x}&y={y}&l={z}&tk={key}"),
                 "01234567", "© 天地图 Tianditu", "wgs84"),
    "osm": (("https://tile.openstreetmap.org/{z}/{x}/{y}.png",), "", "© OpenStreetMap contributors", "wgs84"),
    "amap": (("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",),
             "1234", "© 高德地图 AutoNavi", "gcj02"),
}


@dataclass(frozen=True)
class BaseMap:
    """The tiles of the base map: ``urls`` are Leaflet URL templates drawn in order (a base, then its
    labels), ``subdomains`` fill ``{s}``, ``crs`` is ``wgs84`` or ``gcj02``."""

    name: str
    urls: tuple[str, ...]
    subdomains: str
    attribution: str
    crs: str


def resolve(settings: Settings) -> BaseMap | None:
    """The base map ``settings`` ask for, or None for none (the districts are then the base)."""
    if settings.tile_url:
        # folium refuses custom tiles without an attribution; the tile host is the least to name.
        attribution = settings.tile_attribution or urlsplit(settings.tile_url).netloc or settings.tile_url
        return BaseMap("custom", (settings.tile_url,), "abc", attribution, settings.tile_crs)
    name = settings.basemap or ("tianditu" if settings.tianditu_key else "osm")
    if name == "none":
        return None
    urls, subdomains, attribution, crs = PROVIDERS[name]
    return BaseMap(name, tuple(u.replace("{key}", settings.tianditu_key) for u in urls), subdomains,
                   settings.tile_attribution or attribution, crs)
