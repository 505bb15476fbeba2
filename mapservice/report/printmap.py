"""The report's static map: district outlines, gap cells, uncovered demand and suggested sites as SVG.

Longitude and latitude are scaled equirectangularly at the middle latitude of the area shown, so
the map needs no tile server and no browser to draw; a scale bar and a north arrow go with it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import h3
import numpy as np
import shapely
from markupsafe import Markup, escape
from shapely.ops import polylabel

from .. import i18n
from ..analysis.classify import class_index, quantile_breaks
from ..analysis.coverage import coarser_gaps
from ..i18n import t
from ..planning import GAP_CLASSES, Plan
from . import style

_METRES_PER_DEGREE = 6_371_008.8 * math.pi / 180


class Projection:
    """Equirectangular lon/lat -> SVG units, scaled by cos(latitude) at the middle of ``bounds``."""

    def __init__(self, bounds: tuple[float, float, float, float], width: float, max_height: float,
                 pad: float = 12):
        minlon, minlat, maxlon, maxlat = bounds
        if maxlon - minlon < 1e-6 or maxlat - minlat < 1e-6:  # a point: show ~2 km around it
            minlon, maxlon, minlat, maxlat = minlon - 0.01, maxlon + 0.01, minlat - 0.01, maxlat + 0.01
        self.kx = math.cos(math.radians((minlat + maxlat) / 2))
        span_x, span_y = (maxlon - minlon) * self.kx, maxlat - minlat
        self.scale = min((width - 2 * pad) / span_x, (max_height - 2 * pad) / span_y)
        self.width = width
        self.height = span_y * self.scale + 2 * pad
        # Centre horizontally when the height limited the scale.
        self.x0 = (width - span_x * self.scale) / 2
        self.y0 = pad
        self.minlon, self.maxlat = minlon, maxlat

    def xy(self, lon, lat):
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        return (self.x0 + (lon - self.minlon) * self.kx * self.scale,
                self.y0 + (self.maxlat - lat) * self.scale)

    def path(self, geometry) -> str:
        """SVG path data of a (multi)polygon's rings."""
        parts = []
        polygons = getattr(geometry, "geoms", [geometry])
        for polygon in polygons:
            if polygon.is_empty:
                continue
            for ring in (polygon.exterior, *polygon.interiors):
                coords = np.asarray(ring.coords)
                x, y = self.xy(coords[:, 0], coords[:, 1])
                points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y))
                parts.append(f"M{points}Z")
        return "".join(parts)

    @property
    def metres_per_unit(self) -> float:
        return _METRES_PER_DEGREE / self.scale


def _nice_length(metres: float) -> float:
    """The largest of 1, 2, 5 × 10^n not above ``metres``."""
    power = 10 ** math.floor(math.log10(metres))
    return max(step * power for step in (1, 2, 5) if step * power <= metres)


@dataclass
class PrintMap:
    """The report's map: ``svg`` and the gap classes it was coloured with."""

    svg: Markup
    breaks: list[float]
    resolution: int
    aggregated: bool


#: Gap cells narrower than this many SVG units are merged into their H3 parents for the report.
MIN_CELL_EDGE_UNITS = 6.0
#: Width of a character of a district label (13 px, letter-spaced) and half its line, in SVG units.
LABEL_CJK_WIDTH, LABEL_WIDTH, LABEL_HEIGHT = 14.5, 8.5, 9.0


def print_gaps(plan: Plan, proj: Projection) -> tuple[gpd.GeoDataFrame, list[float], int]:
    """Gap cells with their class, merged into coarser H3 cells when too small to see on paper:
    (cells, class breaks, H3 resolution)."""
    resolution = plan.h3_resolution
    while resolution > 0 and h3.average_hexagon_edge_length(resolution, unit="m") / proj.metres_per_unit \
            < MIN_CELL_EDGE_UNITS:
        resolution -= 1
    if resolution == plan.h3_resolution:
        return plan.gaps, plan.gap_breaks, resolution
    cells = coarser_gaps(plan.gaps, resolution)
    breaks = quantile_breaks(cells["uncovered_weight"], GAP_CLASSES) if len(cells) else []
    cells["class"] = class_index(cells["uncovered_weight"], breaks, GAP_CLASSES) if len(cells) else []
    return cells, breaks, resolution


def svg_map(plan: Plan, lang: str, width: float = 600, max_height: float = 760) -> PrintMap:
    """A static map: district outlines, gap cells by uncovered weight, uncovered demand, suggestions."""
    districts = plan.boundaries
    chosen = districts[districts["name"] == plan.scope] if plan.scope is not None else None
    frame = chosen if chosen is not None and len(chosen) else districts
    if len(frame):
        bounds = tuple(float(v) for v in frame.total_bounds)
    elif len(plan.demand):
        bounds = tuple(float(v) for v in plan.demand.total_bounds)
    else:
        bounds = (119.0, 32.0, 120.0, 33.0)
    proj = Projection(bounds, width, max_height)
    w, h = proj.width, proj.height
    out = [f'<svg class="rp-map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:.0f} {h:.0f}" '
           f'role="img" aria-label="{escape(t("report_map_title", lang))}">',
           f'<rect width="{w:.0f}" height="{h:.0f}" fill="#e8eef3"/>']
    chosen_names = set(chosen["name"]) if chosen is not None else set()
    tolerance = 0.4 / proj.scale  # under half an SVG unit
    outlines = [(name, shapely.simplify(g, tolerance)) for name, g in zip(districts["name"], districts.geometry)]
    for name, outline in outlines:
        fill = "#ffffff" if not chosen_names or name in chosen_names else "#f1f5f9"
        out.append(f'<path d="{proj.path(outline)}" fill="{fill}" fill-rule="evenodd" stroke="#94a3b8" '
                   f'stroke-width="1"/>')
    # Gap cells: one path per colour class.
    cells, breaks, resolution = print_gaps(plan, proj)
    by_class: dict[int, list[str]] = {}
    for index, cell in zip(cells["class"], cells.geometry):
        by_class.setdefault(int(index), []).append(proj.path(cell))
    for index in sorted(by_class):
        out.append(f'<path class="rp-gaps" d="{"".join(by_class[index])}" fill="{style.GAP_COLORS[index]}" '
                   f'fill-opacity=".9" stroke="#fff" stroke-width=".4"/>')
    # District outlines again, over the cells; the chosen district bold.
    outline_paths = "".join(proj.path(o) for name, o in outlines if not chosen_names or name in chosen_names)
    out.append(f'<path d="{outline_paths}" fill="none" stroke="{"#0f172a" if chosen_names else "#64748b"}" '
               f'stroke-width="{1.8 if chosen_names else 1}"/>')
    # Uncovered demand as rings (a dark round-capped stroke with a white one inside), so that on
    # paper they do not read as the filled gap cells beneath them; one path each.
    uncovered = plan.demand[~plan.demand["covered"].astype(bool)] if len(plan.demand) else plan.demand
    if len(uncovered):
        x, y = proj.xy(uncovered.geometry.x, uncovered.geometry.y)
        dots = "".join(f"M{a:.1f} {b:.1f}h0" for a, b in zip(x, y))
        for color, width in ((style.UNCOVERED_DOT_COLOR, 3.4), ("#ffffff", 1.3)):
            out.append(f'<path class="rp-dots" d="{dots}" stroke="{color}" stroke-width="{width}" '
                       'stroke-linecap="round"/>')
    # District names, where the whole name fits inside the map.
    for name, geometry in zip(districts["name"], districts.geometry):
        polygons = getattr(geometry, "geoms", [geometry])
        largest = max(polygons, key=lambda p: p.area)
        at = polylabel(largest, tolerance=0.002) if largest.is_valid else largest.representative_point()
        x, y = proj.xy(at.x, at.y)
        half = sum(LABEL_CJK_WIDTH if ord(ch) > 0x2E80 else LABEL_WIDTH for ch in name) / 2
        if half + 2 <= x <= w - half - 2 and LABEL_HEIGHT <= y <= h - LABEL_HEIGHT:
            out.append(f'<text class="rp-map-label" x="{float(x):.1f}" y="{float(y):.1f}" text-anchor="middle" '
                       f'dominant-baseline="middle">{escape(name)}</text>')
    # Suggested sites: the reach circle and a numbered disc.
    radius_units = plan.radius_m / proj.metres_per_unit
    for _, pick in plan.suggestions.iterrows():
        x, y = proj.xy(pick["lon"], pick["lat"])
        if radius_units > 9:
            out.append(f'<circle cx="{float(x):.1f}" cy="{float(y):.1f}" r="{radius_units:.1f}" fill="none" '
                       f'stroke="{style.SUGGESTION_COLOR}" stroke-width="1.2" stroke-dasharray="4 3"/>')
        out.append(f'<g class="rp-pick"><circle cx="{float(x):.1f}" cy="{float(y):.1f}" r="9" '
                   f'fill="{style.SUGGESTION_COLOR}" stroke="#fff" stroke-width="1.5"/>'
                   f'<text x="{float(x):.1f}" y="{float(y):.1f}" text-anchor="middle" dominant-baseline="central" '
                   f'fill="#fff" font-size="10" font-weight="700">{int(pick["rank"])}</text></g>')
    # Scale bar (bottom left) and north arrow (top right).
    length_m = _nice_length(w * 0.22 * proj.metres_per_unit)
    bar = length_m / proj.metres_per_unit
    sx, sy = 14, h - 12
    out.append(f'<g class="rp-scale"><rect x="{sx - 5}" y="{sy - 20}" width="{bar + 10:.1f}" height="26" '
               f'fill="#fff" fill-opacity=".85" rx="3"/>'
               f'<path d="M{sx} {sy - 5}v5h{bar:.1f}v-5" fill="none" stroke="#0f172a" stroke-width="1.4"/>'
               f'<text x="{sx + bar / 2:.1f}" y="{sy - 8}" text-anchor="middle" font-size="11">'
               f'{escape(i18n.distance(length_m, lang))}</text></g>')
    nx, ny = w - 22, 14
    out.append(f'<g class="rp-north"><path d="M{nx} {ny}l7 18l-7 -5l-7 5z" fill="#0f172a"/>'
               f'<text x="{nx}" y="{ny + 31}" text-anchor="middle" font-size="11" font-weight="700">'
               f'{escape(t("report_north", lang))}</text></g>')
    out.append("</svg>")
    return PrintMap(Markup("".join(out)), breaks, resolution, resolution != plan.h3_resolution)
