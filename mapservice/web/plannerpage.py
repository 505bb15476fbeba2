"""The planner page (/planner) and its printable report (/planner/report).

The page is a folium (Leaflet) map like the main page, with every asset served from ``static/``;
``static/planner.js`` asks /api/coverage and /api/coverage/suggestions and draws the district
table, the bar chart and the map layers. The report is rendered here, in Python, from
:func:`mapservice.planning.analyse` and :func:`mapservice.planning.suggest`: its map and chart
are inline SVG (lon/lat scaled equirectangularly at the region's latitude), so it needs no tile
server and no browser to draw.

Both take the query of the coverage API: ``supply``, ``demand``, ``radius`` or ``minutes``,
``district``, ``supply_where``, ``weight``, ``count``, ``candidates`` (and ``lang``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Iterable, Mapping

import h3
import numpy as np
import shapely
from shapely.ops import polylabel
from folium.elements import JSCSSMixin
from apiflask.fields import String
from markupsafe import Markup, escape
from marshmallow import EXCLUDE, ValidationError

from .. import i18n, planning
from ..analysis.coverage import REGION_TOTAL, coarser_gaps
from ..i18n import t, templates
from ..layers import Layer
from ..settings import Settings
from ..store.base import Store
from . import mappage
from .api import SuggestionArgs, coverage_request

RADII_M = (300, 500, 1000, 1500)
DEFAULT_RADIUS_M = 500
MINUTES = (5, 10, 15)
DEFAULT_MINUTES = 10
DEFAULT_SUPPLY = ("parent_schools",)
DEFAULT_DEMAND = "communities"
DEFAULT_COUNT = 5
#: The parent-school tier filter the form offers: demonstration (示范) and star (星级).
TIER_WHERE = "tier>=demonstration"
#: Gap cells, lightest (least uncovered weight) first; planner.js uses the same colours.
GAP_COLORS = ("#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026")
UNCOVERED_COLOR = "#dc2626"
UNCOVERED_DOT_COLOR = "#7f1d1d"  # on the printed map, over red-orange cells
COVERED_COLOR = "#94a3b8"
SUGGESTION_COLOR = "#1e3a8a"
BAR_COLOR = "#0f766e"
BAR_BELOW_COLOR = "#ea580c"
#: Bar chart geometry (SVG units), shared with planner.js through the page config.
CHART = {"left": 64, "right": 52, "top": 24, "row": 24, "bottom": 22}
CHINA_TIME = timezone(timedelta(hours=8))  # no daylight saving
_METRES_PER_DEGREE = 6_371_008.8 * math.pi / 180
#: Catalogue keys planner.js needs at run time.
SCRIPT_KEYS = (
    "planner_loading", "planner_error", "planner_scope_share", "planner_scope_region", "planner_region_short",
    "planner_no_gaps", "planner_covered_weight", "planner_covered_units",
    "planner_supply_count", "planner_weight_value", "planner_after", "planner_region_total", "planner_chart_reference",
    "planner_chart_below", "planner_chart_above", "planner_legend_gaps", "planner_legend_uncovered",
    "planner_legend_covered", "planner_legend_supply", "planner_legend_suggestions", "planner_suggestions_none",
    "planner_total", "planner_hexagon", "planner_sort_by", "planner_supply_none",
    "planner_added", "planner_share_after", "planner_nearest", "planner_none_in_reach", "planner_covered_yes",
    "planner_covered_no", "planner_gap_cell", "planner_whole_region", "planner_no_demand", "legend",
    "metres", "kilometres", "load_failed", "boundaries_attribution", "planner_sorted_asc", "planner_sorted_desc",
)
TABLE_COLUMNS = ("district", "demand_count", "covered_count", "demand_weight", "covered_weight", "covered_share",
                 "supply_count", "supply_per_10k")
_UNITS = {"population": "planner_unit_people", "enrollment": "planner_unit_pupils", "children": "planner_unit_children"}


# ---------- the query ----------

@dataclass(frozen=True)
class PlannerQuery:
    """What the form asks, in the coverage API's terms."""

    supply: tuple[str, ...] = DEFAULT_SUPPLY
    demand: str = DEFAULT_DEMAND
    radius_m: float | None = None
    minutes: float | None = None
    district: str | None = None
    supply_where: str | None = None
    weight: str | None = None
    count: int = DEFAULT_COUNT
    candidates: str = "sites"

    def params(self) -> dict[str, str]:
        """The query string of this query (for the API, the report and the downloads)."""
        out = {"supply": ",".join(self.supply), "demand": self.demand}
        if self.radius_m is not None:
            out["radius"] = f"{self.radius_m:g}"
        if self.minutes is not None:
            out["minutes"] = f"{self.minutes:g}"
        for name in ("district", "supply_where", "weight"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        out["count"] = str(self.count)
        if self.candidates != "sites":
            out["candidates"] = self.candidates
        return out

    @classmethod
    def from_args(cls, query: Mapping) -> "PlannerQuery":
        """From query arguments validated by the coverage API's schema (:class:`ReportArgs`)."""
        return cls(supply=tuple(p.strip() for p in query["supply"].split(",") if p.strip()),
                   demand=query["demand"], radius_m=query.get("radius"), minutes=query.get("minutes"),
                   district=query.get("district") or None, supply_where=query.get("supply_where") or None,
                   weight=query.get("weight") or None, count=query["count"], candidates=query["candidates"])


class ReportArgs(SuggestionArgs):
    """The query of the planner page and its report: the suggestions API's, with the form's defaults."""

    supply = String(load_default=",".join(DEFAULT_SUPPLY), metadata={"description": "comma-separated supply layer ids"})
    demand = String(load_default=DEFAULT_DEMAND, metadata={"description": "demand layer"})
    lang = String(load_default="zh")


def lenient_query(args: Mapping[str, str]) -> PlannerQuery:
    """The page's query: a bad or unknown parameter falls back to its default.

    The page then shows the form with that default and the API's own message for anything the
    analysis itself refuses; the report, which has no form to correct, answers 400 instead.
    """
    data = {key: args.get(key) for key in args}
    while True:
        try:
            return PlannerQuery.from_args(ReportArgs().load(data, unknown=EXCLUDE))
        except ValidationError as error:
            for key in error.messages:
                data.pop(key, None)


# ---------- shared wording ----------

def weight_name(layers: Mapping[str, Layer], demand: str, weight: str | None = None) -> str | None:
    layer = layers.get(demand)
    name = weight or planning.DEFAULT_WEIGHT.get(demand)
    return name if layer is not None and name and layer.attribute(name) else None


def weight_label(layer: Layer | None, name: str | None, lang: str) -> str:
    attribute = layer.attribute(name) if layer is not None and name else None
    if attribute is None:
        return t("planner_units", lang)
    return attribute.label_en if lang == "en" else attribute.label_zh


def unit(name: str | None, lang: str) -> str:
    """``人`` / ``people``: what one unit of demand weight is."""
    return t(_UNITS.get(name or "", "planner_unit_units"), lang)


def column_labels(layer: Layer | None, name: str | None, lang: str) -> dict[str, str]:
    """The district table's headers for a demand layer weighted by attribute ``name``."""
    label = weight_label(layer, name, lang)
    return {
        "district": t("planner_col_district", lang),
        "demand_count": t("planner_col_demand_count", lang),
        "covered_count": t("planner_col_covered_count", lang),
        "demand_weight": label,
        "covered_weight": t("planner_col_covered_weight", lang, weight=label.lower() if lang == "en" else label),
        "covered_share": t("planner_col_share", lang),
        "supply_count": t("planner_col_supply", lang),
        "supply_per_10k": t("planner_col_per10k", lang, unit=unit(name, lang)),
    }


def district_label(name: str, lang: str, scoped: bool = False) -> str:
    """The district's name; the total row is the region's, or only the chosen district's (``scoped``)."""
    if name == REGION_TOTAL:
        return t("planner_total" if scoped else "planner_region_total", lang)
    return name


# ---------- the page ----------

class PlannerAssets(JSCSSMixin):
    """The planner's own script and stylesheets, linked after Leaflet (no markercluster, no app.js)."""

    def __init__(self, static_url: mappage.StaticUrl):
        super().__init__()
        self._name = "PlannerAssets"
        self.default_js = [("common", static_url("common.js")), ("planner", static_url("planner.js"))]
        self.default_css = [("app_css", static_url("app.css")), ("planner_css", static_url("planner.css"))]


def build_map(static_url: mappage.StaticUrl, settings: Settings, bounds: tuple[float, ...] | None):
    """The folium map of the page: tiles only when configured in WGS 84, else district outlines.

    The coverage API answers in WGS 84 only, so over GCJ-02 (Amap) tiles its points would sit
    ~500 m off: the planner then draws the district outlines as its base instead.
    """
    return mappage.build_map(static_url, settings, bounds, assets=PlannerAssets, tiles=settings.tile_crs != "gcj02",
                             zoom_control="topleft", prefer_canvas=True, zoom_snap=0.25, zoom_delta=0.5)


def tier_codes(layers: Mapping[str, Layer]) -> list[str]:
    """Parent-school tiers the tier filter keeps (demonstration and above, in layer-file order)."""
    layer = layers.get("parent_schools")
    attribute = layer.attribute("tier") if layer else None
    if attribute is None or "demonstration" not in attribute.values:
        return []
    codes = list(attribute.values)
    return codes[codes.index("demonstration"):]


def page_context(layers: Mapping[str, Layer], settings: Settings, args: Mapping[str, str], lang: str,
                 static_url: mappage.StaticUrl, api_url: str, report_url: str,
                 districts: list[str], bounds: tuple[float, ...] | None) -> dict:
    """Everything planner.html needs: the form's initial state, the folium parts and #pl-config."""
    query = lenient_query(args)
    supply_layers = [layer for layer in layers.values() if layer.kind == "supply" and layer.is_point]
    demand_layers = [layer for layer in layers.values() if layer.kind == "demand" and layer.is_point]
    chosen = [i for i in query.supply if i in {layer.id for layer in supply_layers}] or list(DEFAULT_SUPPLY)
    demand = query.demand if query.demand in {layer.id for layer in demand_layers} else DEFAULT_DEMAND
    minutes_mode = query.minutes is not None and query.radius_m is None
    radius = query.radius_m if query.radius_m is not None else DEFAULT_RADIUS_M
    minutes = query.minutes if minutes_mode else DEFAULT_MINUTES
    district = query.district if query.district in districts else None
    tier = query.supply_where == TIER_WHERE and "parent_schools" in chosen
    # The query the form shows, as planner.js will send it: links work before the script runs.
    shown = replace(query, supply=tuple(chosen), demand=demand, radius_m=None if minutes_mode else radius,
                    minutes=minutes if minutes_mode else None, district=district,
                    supply_where=TIER_WHERE if tier else None, weight=None)
    fmap = build_map(static_url, settings, bounds)
    demand_info = {}
    for layer in demand_layers:
        name = weight_name(layers, layer.id)
        demand_info[layer.id] = {"title": layer.title(lang), "weight": name, "unit": unit(name, lang),
                                 "weight_label": weight_label(layer, name, lang),
                                 "columns": column_labels(layer, name, lang), "color": layer.color}
    config = {
        "map": fmap.get_name(),
        "lang": lang,
        "api": api_url.rstrip("/"),
        "report": report_url,
        "tiles": bool(settings.tile_url) and settings.tile_crs != "gcj02",
        "supply": [{"id": layer.id, "title": layer.title(lang), "color": layer.color} for layer in supply_layers],
        "demand": demand_info,
        "boundaries": [layer.id for layer in layers.values() if layer.kind == "boundary"],
        "tier_where": TIER_WHERE,
        "tier_codes": tier_codes(layers),
        "gap_colors": list(GAP_COLORS),
        "chart": CHART,
        "colors": {"uncovered": UNCOVERED_COLOR, "covered": COVERED_COLOR, "suggestion": SUGGESTION_COLOR,
                   "bar": BAR_COLOR, "bar_below": BAR_BELOW_COLOR},
        "candidates": query.candidates,
        "strings": templates(SCRIPT_KEYS, lang),
    }
    return {
        "lang": lang, "folium": mappage.render_parts(fmap), "config": config,
        "supply_layers": supply_layers, "demand_layers": demand_layers, "chosen_supply": chosen,
        "demand": demand, "districts": districts,
        "district": district or "",
        "radii": [(r, i18n.distance(r, lang)) for r in RADII_M], "minutes_options": MINUTES,
        "minutes_mode": minutes_mode, "radius": radius,
        "radius_custom": radius not in RADII_M, "minutes": minutes,
        "tier": tier, "tier_available": bool(tier_codes(layers)),
        "count": query.count, "max_count": planning.MAX_SUGGESTIONS, "params": shown.params(),
        "columns": demand_info.get(demand, {}).get("columns", column_labels(None, None, lang)),
    }


# ---------- the report ----------

def _fmt_int(value) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.0f}"


def _fmt_share(value) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{100 * value:.1f}%"


def _fmt_rate(value) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.2f}"


def gap_breaks(values: Iterable[float]) -> list[float]:
    """Up to four class breaks of the gap cells' uncovered weight (quintiles, two significant digits).

    planner.js computes the same breaks from the same values.
    """
    values = sorted(float(v) for v in values if v and v > 0)
    breaks: list[float] = []
    if not values:
        return breaks
    for q in (0.2, 0.4, 0.6, 0.8):
        v = values[int(math.floor(q * (len(values) - 1)))]
        digits = math.floor(math.log10(v)) - 1
        v = round(v / 10 ** digits) * 10 ** digits
        if v > 0 and (not breaks or v > breaks[-1]) and v < values[-1]:
            breaks.append(v)
    return breaks


def gap_class(value: float, breaks: list[float]) -> int:
    """Colour index in GAP_COLORS: the classes are spread so the heaviest is always the darkest."""
    index = sum(value >= b for b in breaks)
    return index + (len(GAP_COLORS) - 1 - len(breaks))


def gap_legend(breaks: list[float]) -> list[tuple[str, str]]:
    """(colour, label) per class, lightest first."""
    edges = [None, *breaks, None]
    out = []
    for i in range(len(breaks) + 1):
        low, high = edges[i], edges[i + 1]
        if low is None and high is None:
            label = "> 0"
        elif low is None:
            label = f"< {high:,.0f}"
        elif high is None:
            label = f"≥ {low:,.0f}"
        else:
            label = f"{low:,.0f}–{high:,.0f}"
        out.append((GAP_COLORS[i + (len(GAP_COLORS) - 1 - len(breaks))], label))
    return out


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
MIN_CELL_EDGE_UNITS = 4.0


def print_gaps(report: planning.CoverageReport, proj: Projection) -> tuple[list[tuple[float, object]], int]:
    """Gap cells as (uncovered weight, polygon), merged into coarser H3 cells when too small to see."""
    resolution = report.h3_resolution
    while resolution > 0 and h3.average_hexagon_edge_length(resolution, unit="m") / proj.metres_per_unit \
            < MIN_CELL_EDGE_UNITS:
        resolution -= 1
    cells = coarser_gaps(report.gaps, resolution)
    return [(float(v), g) for v, g in zip(cells["uncovered_weight"], cells.geometry)], resolution


def svg_map(report: planning.CoverageReport, picks, lang: str, width: float = 600,
            max_height: float = 760) -> PrintMap:
    """A static map: district outlines, gap cells by uncovered weight, uncovered demand, suggestions."""
    districts = report.districts
    chosen = None
    if report.request.district and len(districts):
        mask = (districts["name"] == report.request.district) | (districts["adcode"] == report.request.district)
        chosen = districts[mask]
    frame = chosen if chosen is not None and len(chosen) else districts
    if len(frame):
        bounds = tuple(float(v) for v in frame.total_bounds)
    elif len(report.demand):
        bounds = tuple(float(v) for v in report.demand.total_bounds)
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
    cells, resolution = print_gaps(report, proj)
    breaks = gap_breaks(value for value, _ in cells)
    by_class: dict[int, list[str]] = {}
    for value, cell in cells:
        by_class.setdefault(gap_class(value, breaks), []).append(proj.path(cell))
    for index in sorted(by_class):
        out.append(f'<path class="rp-gaps" d="{"".join(by_class[index])}" fill="{GAP_COLORS[index]}" '
                   f'fill-opacity=".9" stroke="#fff" stroke-width=".4"/>')
    # District outlines again, over the cells; the chosen district bold.
    outline_paths = "".join(proj.path(o) for name, o in outlines if not chosen_names or name in chosen_names)
    out.append(f'<path d="{outline_paths}" fill="none" stroke="{"#0f172a" if chosen_names else "#64748b"}" '
               f'stroke-width="{1.8 if chosen_names else 1}"/>')
    # Uncovered demand as dots: zero-length round-capped strokes in one path.
    uncovered = report.demand[~report.demand["covered"].astype(bool)] if len(report.demand) else report.demand
    if len(uncovered):
        x, y = proj.xy(uncovered.geometry.x, uncovered.geometry.y)
        dots = "".join(f"M{a:.1f} {b:.1f}h0" for a, b in zip(x, y))
        out.append(f'<path class="rp-dots" d="{dots}" stroke="{UNCOVERED_DOT_COLOR}" stroke-width="2.2" '
                   f'stroke-linecap="round"/>')
    # District names.
    for name, geometry in zip(districts["name"], districts.geometry):
        polygons = getattr(geometry, "geoms", [geometry])
        largest = max(polygons, key=lambda p: p.area)
        at = polylabel(largest, tolerance=0.002) if largest.is_valid else largest.representative_point()
        x, y = proj.xy(at.x, at.y)
        if 0 <= x <= w and 0 <= y <= h:
            out.append(f'<text class="rp-map-label" x="{float(x):.1f}" y="{float(y):.1f}" text-anchor="middle" '
                       f'dominant-baseline="middle">{escape(name)}</text>')
    # Suggested sites: the reach circle and a numbered disc.
    radius_units = report.radius_m / proj.metres_per_unit
    for _, pick in picks.iterrows() if len(picks) else []:
        x, y = proj.xy(pick["lon"], pick["lat"])
        if radius_units > 9:
            out.append(f'<circle cx="{float(x):.1f}" cy="{float(y):.1f}" r="{radius_units:.1f}" fill="none" '
                       f'stroke="{SUGGESTION_COLOR}" stroke-width="1.2" stroke-dasharray="4 3"/>')
        out.append(f'<g class="rp-pick"><circle cx="{float(x):.1f}" cy="{float(y):.1f}" r="9" '
                   f'fill="{SUGGESTION_COLOR}" stroke="#fff" stroke-width="1.5"/>'
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
    return PrintMap(Markup("".join(out)), breaks, resolution, resolution != report.h3_resolution)


def svg_chart(rows: list[dict], region_share: float | None, lang: str, width: float = 360,
              area: str | None = None) -> Markup:
    """Horizontal bars of covered share by district, highest first, with the region share as a line.

    Bars below the region share are orange. planner.js draws the same chart on the page.
    """
    rows = sorted(rows, key=lambda r: (-(r["covered_share"] if _num(r["covered_share"]) else -1), r["district"]))
    left, right, top, row_h, bottom = CHART["left"], CHART["right"], CHART["top"], CHART["row"], CHART["bottom"]
    inner = width - left - right
    height = top + row_h * max(len(rows), 1) + bottom
    out = [f'<svg class="pl-chart-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
           f'role="img" aria-label="{escape(t("planner_chart_title", lang))}">']
    for tick in (0, 0.25, 0.5, 0.75, 1):
        x = left + inner * tick
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 2}" y2="{height - bottom + 2}" stroke="#e2e8f0"/>'
                   f'<text x="{x:.1f}" y="{height - bottom + 15}" text-anchor="middle" class="pl-chart-tick">'
                   f'{tick * 100:.0f}%</text>')
    for i, row in enumerate(rows):
        y = top + i * row_h
        share = row["covered_share"] if _num(row["covered_share"]) else None
        below = share is not None and _num(region_share) and share < region_share
        out.append(f'<text x="{left - 8}" y="{y + row_h / 2:.1f}" text-anchor="end" dominant-baseline="central" '
                   f'class="pl-chart-label">{escape(district_label(row["district"], lang))}</text>'
                   f'<text x="{width - 2}" y="{y + row_h / 2:.1f}" text-anchor="end" dominant-baseline="central" '
                   f'class="pl-chart-value">{_fmt_share(share)}</text>')
        if share is not None:
            bar = inner * max(0.0, min(share, 1.0))
            out.append(f'<rect x="{left}" y="{y + 4}" width="{bar:.1f}" height="{row_h - 8}" rx="2" '
                       f'fill="{BAR_BELOW_COLOR if below else BAR_COLOR}"/>')
    if _num(region_share):
        x = left + inner * max(0.0, min(region_share, 1.0))
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 6}" y2="{height - bottom + 2}" stroke="#0f172a" '
                   f'stroke-width="1.5" stroke-dasharray="4 3"/>'
                   f'<text x="{x:.1f}" y="{top - 10}" text-anchor="middle" class="pl-chart-ref">'
                   f'{escape(t("planner_chart_reference", lang, area=area or t("planner_region_short", lang), share=_fmt_share(region_share)))}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def _num(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _params_in_words(report: planning.CoverageReport, query: PlannerQuery, layers: Mapping[str, Layer],
                     lang: str) -> list[tuple[str, str]]:
    sep = "、" if lang == "zh" else ", "
    supply = sep.join(layers[i].title(lang) for i in report.request.supply)
    if query.supply_where == TIER_WHERE:
        supply += t("planner_tier_words", lang)
    elif query.supply_where:
        supply += f" ({query.supply_where})" if lang == "en" else f"（{query.supply_where}）"
    demand_layer = layers[report.request.demand]
    demand = demand_layer.title(lang)
    if report.weight_name:
        demand += t("report_weighted_by", lang, weight=weight_label(demand_layer, report.weight_name, lang))
    radius = i18n.distance(report.radius_m, lang)
    reach = t("report_reach_minutes", lang, minutes=f"{query.minutes:g}", radius=radius) \
        if query.minutes is not None else radius
    area = query.district or t("planner_whole_region", lang)
    return [(t("planner_supply", lang), supply), (t("planner_demand", lang), demand),
            (t("planner_reach", lang), reach), (t("planner_district", lang), area),
            (t("planner_count", lang), str(query.count))]


def report_context(store: Store, args: Mapping, lang: str) -> dict:
    """Run the analysis and the suggestions for ``args`` (validated by :class:`ReportArgs`) and
    shape them for report.html.

    Raises :class:`BadRequest` (400) naming the parameter for anything the analysis refuses.
    """
    query = PlannerQuery.from_args(args)
    report = planning.analyse(store, coverage_request(args))
    picks = planning.suggest(store, report, query.count, query.candidates)
    layers = store.layers
    region = report.region
    demand_layer = layers[report.request.demand]
    unit_text = unit(report.weight_name, lang)
    records = report.by_district.to_dict("records")
    districts = [r for r in records if r["district"] != REGION_TOTAL]

    def row(r: dict) -> dict:
        return {"district": district_label(r["district"], lang, scoped=bool(query.district)), "demand_count": _fmt_int(r["demand_count"]),
                "covered_count": _fmt_int(r["covered_count"]), "demand_weight": _fmt_int(r["demand_weight"]),
                "covered_weight": _fmt_int(r["covered_weight"]), "covered_share": _fmt_share(r["covered_share"]),
                "supply_count": _fmt_int(r["supply_count"]), "supply_per_10k": _fmt_rate(r["supply_per_10k"]),
                "below": _num(r["covered_share"]) and _num(region["covered_share"])
                and r["covered_share"] < region["covered_share"]}

    suggestions = []
    for _, pick in picks.iterrows() if len(picks) else []:
        host = layers.get(pick["layer"])
        suggestions.append({
            "rank": int(pick["rank"]), "name": pick["name"],
            "layer": host.title(lang) if host is not None else t("planner_hexagon", lang),
            "added": t("planner_added", lang, value=_fmt_int(pick["added_weight"]), unit=unit_text),
            "after": t("planner_share_after", lang, share=_fmt_share(pick["covered_share_after"])),
            "after_share": _fmt_share(pick["covered_share_after"]),
            "lonlat": f"{pick['lon']:.5f}, {pick['lat']:.5f}"})
    generated = any(bool(frame["generated"].fillna(False).astype(bool).any())
                    for frame in (report.demand, report.supply) if "generated" in frame and len(frame))
    after = picks["covered_share_after"].iloc[-1] if len(picks) else None
    picture = svg_map(report, picks, lang)
    gaps_title = t("planner_legend_gaps", lang, unit=unit_text)
    if picture.aggregated:
        gaps_title += t("report_gaps_merged", lang, resolution=picture.resolution)
    return {
        "lang": lang,
        "title": t("report_title", lang),
        "params": _params_in_words(report, query, layers, lang),
        "headline": {
            "share_label": t("planner_scope_share", lang, area=query.district) if query.district
            else t("planner_scope_region", lang),
            "share": _fmt_share(region["covered_share"]),
            "after": t("planner_after", lang, count=len(picks), share=_fmt_share(after)) if after is not None else "",
            "kpis": [
                (f"{_fmt_int(region['covered_weight'])} {unit_text}",
                 t("planner_covered_weight", lang, total=_fmt_int(region["demand_weight"]), unit=unit_text)),
                (_fmt_int(region["covered_count"]),
                 t("planner_covered_units", lang, total=_fmt_int(region["demand_count"]))),
                (_fmt_int(region["supply_count"]),
                 t("planner_supply_count", lang, per10k=_fmt_rate(region["supply_per_10k"]), unit=unit_text)),
            ],
        },
        "columns": column_labels(demand_layer, report.weight_name, lang),
        "table_columns": TABLE_COLUMNS,
        "rows": [row(r) for r in districts],
        "total": row(region),
        "chart": svg_chart(districts, region["covered_share"], lang, area=query.district),
        "map": picture.svg,
        "gap_legend": gap_legend(picture.breaks),
        "gap_legend_title": gaps_title,
        "colors": {"uncovered_dot": UNCOVERED_DOT_COLOR, "suggestion": SUGGESTION_COLOR, "bar": BAR_COLOR,
                   "bar_below": BAR_BELOW_COLOR},
        "suggestions": suggestions,
        "date": datetime.now(CHINA_TIME).date().isoformat(),
        "generated": generated,
        "params_query": query.params(),
    }
