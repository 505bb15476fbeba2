"""What a person sees of a feature: its facts in words and links that open Amap or Baidu Maps."""
from __future__ import annotations

from urllib.parse import quote_plus

from shapely.geometry.base import BaseGeometry

from . import geo, hours
from .i18n import t
from .layers import Attribute, Layer
from .store.base import Feature

# Attribute pairs shown as one range ("6–18 岁").
_RANGES = {"age_min": ("age_max", "ages"), "grade_min": ("grade_max", "grades")}
_RANGE_ENDS = {end for end, _ in _RANGES.values()}


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
        if attribute.name == "free":
            return t("free" if value else "not_free", lang)
        return t("yes" if value else "no", lang)
    if attribute.type == "opening_hours":
        return hours.describe(value, lang)
    return str(value)


def describe(layer: Layer, feature: Feature, lang: str = "zh") -> dict:
    """``{"title", "layer_title", "facts": [[label, text]...], "navigate", "generated", "generated_note"}``."""
    props = feature.properties
    facts = []
    for attribute in layer.attributes:
        if attribute.name == "name" or attribute.name in _RANGE_ENDS:
            continue
        label = attribute.label_en if lang == "en" else attribute.label_zh
        if attribute.name in _RANGES:
            end, key = _RANGES[attribute.name]
            low, high = props.get(attribute.name), props.get(end)
            if low is None and high is None:
                continue
            text = t(key, lang, low=low if low is not None else "", high=high if high is not None else "")
            label = t(f"{key}_label", lang)
        else:
            text = value_text(attribute, props.get(attribute.name), lang)
        if text:
            facts.append([label, text])
    lon, lat = anchor(feature.geometry)
    return {
        "title": props.get("name"),
        "layer_title": layer.title(lang),
        "facts": facts,
        "navigate": navigate_links(lon, lat, props.get("name") or ""),
        "generated": bool(props.get("generated")),
        "generated_note": t("generated_marker", lang) if props.get("generated") else None,
    }
