"""One place's page (/place/<layer>/<id>), framework-free: its facts in words, whether it is open now
and when that changes (China time, public holidays), ``tel:`` links, walking directions in Amap and
Baidu from the search point when there is one, nearby places of other kinds, and the texts of its
OpenGraph tags and schema.org JSON-LD."""
from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import quote

from . import geo, hours, i18n, nearby
from .describe import anchor, describe, kind_text
from .i18n import t
from .layers import Role
from .store.base import Store

#: Nearby places of other kinds shown on a place's page: how many, within what distance (metres).
NEARBY_COUNT, NEARBY_RADIUS_M = 5, 2000
_PHONE = re.compile(r"[0-9+\-() ]{5,}")
#: schema.org types of the layers' kinds of place (the rest are a Place).
SCHEMA_TYPES = {"museum": "Museum", "library": "Library", "park": "Park", "science_museum": "Museum",
                "art_gallery": "Museum"}


def hours_now(expression: str | None, now: datetime, lang: str) -> str | None:
    """``现在开放，17:00 关门`` / ``已关门，明天 09:00 开门`` (``open now, closes 17:00`` / ``closed, opens
    tomorrow 09:00``) at ``now`` (China time), holidays included; None when the hours are unknown."""
    if not expression:
        return None
    try:
        hours.parse(expression)
    except ValueError:
        return None
    changes = hours.next_change(expression, now)
    if hours.is_open(expression, now):
        return t("hours_open_until", lang, when=hours.when_words(changes, now, lang)) if changes \
            else t("hours_open_now", lang)
    opens = hours.next_opening(expression, now)
    return t("hours_opens", lang, when=hours.when_words(opens, now, lang)) if opens else t("hours_closed_long", lang)


def walking_links(lon: float, lat: float, name: str, origin: tuple[float, float] | None, lang: str) -> dict:
    """Walking directions to (lon, lat), WGS 84, from ``origin`` (lon, lat) in Amap (GCJ-02) and Baidu
    (BD-09); without an origin the apps start from the phone's own location."""
    glon, glat = (float(v) for v in geo.wgs84_to_gcj02(lon, lat))
    blon, blat = (float(v) for v in geo.gcj02_to_bd09(glon, glat))
    to = quote(name)
    start = quote(t("place_origin", lang))
    if origin:
        olon, olat = (float(v) for v in geo.wgs84_to_gcj02(*origin))
        oblon, oblat = (float(v) for v in geo.gcj02_to_bd09(olon, olat))
        amap_from = f"&from={olon:.6f},{olat:.6f},{start}"
        baidu_from = f"origin=latlng:{oblat:.6f},{oblon:.6f}|name:{start}&"
    else:
        amap_from, baidu_from = "", ""
    amap = (f"https://uri.amap.com/navigation?to={glon:.6f},{glat:.6f},{to}{amap_from}&mode=walk"
            "&coordinate=gaode&callnative=1")
    baidu = (f"https://api.map.baidu.com/direction?{baidu_from}destination=latlng:{blat:.6f},{blon:.6f}|name:{to}"
             "&mode=walking&coord_type=bd09ll&output=html&src=yuren-map")
    return {"amap": amap, "baidu": baidu}


def place(store: Store, layer_id: str, fid: int, lang: str, now: datetime,
          origin: tuple[float, float] | None = None) -> dict:
    """Everything a place's page shows (see the module); ``now`` China time (naive); ``origin`` the
    search point (lon, lat, WGS 84) the family came from, or None. A missing place is a 404."""
    layer = store.layers.require(layer_id)
    feature = store.get(layer_id, fid)
    props = feature.properties
    lon, lat = anchor(feature.geometry)
    popup = describe(layer, feature, lang)
    hours_attribute = layer.role(Role.OPENING_HOURS)
    phone_attribute = layer.role(Role.PHONE)
    address_attribute = layer.role(Role.ADDRESS)
    phone = props.get(phone_attribute.name) if phone_attribute else None
    phones = [p.strip() for p in _PHONE.findall(phone or "")]
    name = props.get("name") or ""
    kind = kind_text(layer, feature, lang)
    others = []
    if layer.is_point:
        other_layers = tuple(lay.id for lay in store.layers.of_kind("supply") if lay.is_point and lay.id != layer.id)
        if other_layers:
            hits = nearby.search(store, nearby.NearbyQuery(lon=lon, lat=lat, radius_m=NEARBY_RADIUS_M,
                                                           layers=other_layers, limit=NEARBY_COUNT))
            others = [{"layer": h.feature.layer, "id": h.feature.id, "name": h.feature.properties.get("name"),
                       "layer_title": store.layers[h.feature.layer].title(lang),
                       "distance": i18n.distance(h.distance_m, lang),
                       "walk": t("walk_minutes", lang, minutes=nearby.walk_minutes(h.distance_m))} for h in hits]
    now_text = hours_now(props.get(hours_attribute.name), now, lang) if hours_attribute else None
    address = props.get(address_attribute.name) if address_attribute else None
    summary = "，".join(filter(None, [popup["layer_title"], kind, address, now_text])) if lang == "zh" else \
        ", ".join(filter(None, [popup["layer_title"], kind, address, now_text]))
    category = layer.role(Role.CATEGORY)
    schema_type = SCHEMA_TYPES.get(props.get(category.name), "Place") if category else "Place"
    json_ld = {"@context": "https://schema.org", "@type": schema_type, "name": name,
               "geo": {"@type": "GeoCoordinates", "latitude": round(lat, 6), "longitude": round(lon, 6)}}
    if address:
        json_ld["address"] = {"@type": "PostalAddress", "streetAddress": address, "addressCountry": "CN"}
    if phones:
        json_ld["telephone"] = phones[0]
    if hours_attribute and props.get(hours_attribute.name):
        json_ld["openingHours"] = props[hours_attribute.name]
    return {
        "layer": layer, "feature": feature, "name": name, "kind": kind, "popup": popup, "lon": lon, "lat": lat,
        "hours_now": now_text, "phones": phones, "address": address,
        "walk": walking_links(lon, lat, name, origin, lang),
        "from_search": origin is not None, "nearby": others, "summary": summary, "json_ld": json_ld,
    }
