"""What a person sees of a feature: its facts in words and links that open Amap or Baidu Maps."""
from __future__ import annotations

from urllib.parse import quote_plus

from shapely.geometry.base import BaseGeometry

from . import geo, hours
from .i18n import t
from .layers import Attribute, Layer, Role
from .store.base import Feature

# Role pairs shown as one range ("6–18 岁"): (low, high, catalogue key).
_RANGES = ((Role.MIN_AGE, Role.MAX_AGE, "ages"), (Role.MIN_GRADE, Role.MAX_GRADE, "grades"))


def anchor(geometry: BaseGeometry) -> tuple[float, float]:
    """The lon/lat a marker or link uses: the point itself, or a point inside a polygon."""
    point = geometry if geometry.geom_type == "Point" else geometry.representative_point()
    return point.x, point.y


def navigate_links(lon: float, lat: float, name: str) -> dict[str, str]:
    """Amap (GCJ-02) and Baidu (BD-09) links for a WGS 84 point; both apps take these URIs."""
    glon, glat = (float(v) for v in geo.wgs84_to_gcj02(lon, lat))
    blon, blat = (float(v) for v in geo.gcj02_to_bd09(glon, glat))
    # What urlencode() makes of these parameters, with the name quoted once rather than per use.
    quoted = quote_plus(name)
    amap = (f"https://uri.amap.com/marker?position={glon:.6f}%2C{glat:.6f}&name={quoted}"
            "&coordinate=gaode&callnative=1")
    baidu = (f"https://api.map.baidu.com/marker?location={blat:.6f}%2C{blon:.6f}&title={quoted}"
             f"&content={quoted}&output=html&coord_type=bd09ll&src=yuren-map")
    return {"amap": amap, "baidu": baidu}


def value_text(attribute: Attribute, value, lang: str) -> str | None:
    """One attribute value in words."""
    if value is None or value == []:
        return None
    if attribute.type == "code":
        return attribute.values[value].get(lang, value)
    if attribute.type == "codes":
        return ("、" if lang == "zh" else ", ").join(attribute.values[v].get(lang, v) for v in value)
    if attribute.type == "boolean":
        if attribute.role == Role.PRICE_FREE:
            return t("admission_free" if value else "admission_paid", lang)
        return t("yes" if value else "no", lang)
    if attribute.type == "opening_hours":
        return hours.describe(value, lang)
    return str(value)


def kind_text(layer: Layer, feature: Feature, lang: str = "zh") -> str | None:
    """What kind of place a feature is, in words: its layer's first code(s) attribute (博物馆)."""
    attribute = layer.kind_attribute
    return value_text(attribute, feature.properties.get(attribute.name), lang) if attribute else None


def admission_free(layer: Layer, feature: Feature) -> bool | None:
    """True when the feature's free-admission attribute says so; None when its layer has none."""
    attribute = layer.role(Role.PRICE_FREE)
    return bool(feature.properties.get(attribute.name)) if attribute else None


def describe(layer: Layer, feature: Feature, lang: str = "zh") -> dict:
    """``{"title", "layer_title", "facts": [[label, text]...], "navigate", "generated", "generated_note"}``."""
    props = feature.properties
    ranges = {}  # the attribute a range is shown at -> (label, text)
    shown_elsewhere = set()
    for low_role, high_role, key in _RANGES:
        pair = (layer.role(low_role), layer.role(high_role))
        ends = [a for a in pair if a is not None]
        if not ends:
            continue
        low, high = (props.get(a.name) if a is not None else None for a in pair)
        shown_elsewhere.update(a.name for a in ends)
        if low is not None or high is not None:
            ranges[ends[0].name] = (t(f"{key}_label", lang), t(key, lang, low="" if low is None else low,
                                                               high="" if high is None else high))
    facts = []
    for attribute in layer.attributes:
        if attribute.name in ranges:
            facts.append(list(ranges[attribute.name]))
            continue
        if attribute.name == "name" or attribute.name in shown_elsewhere:
            continue
        text = value_text(attribute, props.get(attribute.name), lang)
        if text:
            facts.append([attribute.label(lang), text])
    lon, lat = anchor(feature.geometry)
    return {
        "title": props.get("name"),
        "layer_title": layer.title(lang),
        "facts": facts,
        "navigate": navigate_links(lon, lat, props.get("name") or ""),
        "generated": bool(props.get("generated")),
        "generated_note": t("generated_marker", lang) if props.get("generated") else None,
    }
