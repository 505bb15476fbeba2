"""The planner page (/planner): the form's choices, the folium map and the script's configuration.

The page makes one request per change of the form, ``/api/plan``, and draws what it gets
(static/js/planner/); the printed report is :func:`mapservice.report.view.printed`.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from folium.elements import JSCSSMixin
from marshmallow import EXCLUDE, ValidationError

from .. import basemap, i18n, planning
from ..errors import BadRequest
from ..i18n import t, templates
from ..layers import LayerRegistry
from ..report import style
from ..report.query import PlannerQuery, demand_choices, supply_choices
from ..report.wording import column_labels, unit, weight_label
from ..settings import Settings
from . import mappage
from .schemas import ReportArgs

RADII_M = (300, 500, 1000, 1500)
MINUTES = (5, 10, 15)
DEFAULT_MINUTES = 10
#: Catalogue keys the planner's script needs at run time (everything else comes from /api/plan).
SCRIPT_KEYS = (
    "planner_loading", "planner_error", "planner_no_gaps", "planner_legend_uncovered", "planner_legend_covered",
    "planner_legend_supply", "planner_legend_suggestions", "planner_suggestions_none", "planner_supply_none",
    "planner_covered_yes", "planner_covered_no", "planner_no_demand", "legend", "load_failed",
    "boundaries_attribution", "planner_sort_by", "planner_remove", "planner_reopen", "planner_take_closed",
    "planner_closed", "planner_scenario_none", "planner_print", "basemap_offline", *mappage.ERROR_KEYS,
)


class PlannerAssets(JSCSSMixin):
    """The planner's stylesheets, linked after Leaflet; its script is a module the template loads."""

    def __init__(self, static_url: mappage.StaticUrl):
        super().__init__()
        self._name = "PlannerAssets"
        self.default_js = []
        self.default_css = [("app_css", static_url("app.css")), ("planner_css", static_url("planner.css"))]


def lenient_query(args: Mapping[str, str], layers: LayerRegistry, districts: list[str]) -> PlannerQuery:
    """The page's query: a bad or unknown parameter falls back to its default.

    The page then shows the form with that default and the API's own message for anything the
    analysis itself refuses; the report, which has no form to correct, answers 400 instead.
    """
    data = {key: args.get(key) for key in args}
    while True:
        try:
            return PlannerQuery.from_args(ReportArgs().load(data, unknown=EXCLUDE), layers).known(layers, districts)
        except ValidationError as error:
            for key in error.messages:
                data.pop(key, None)
        except BadRequest as error:  # a what-if's sites or closed supply that cannot be read
            data.pop(error.field, None)


def at_least_options(layers: LayerRegistry, lang: str) -> list[dict]:
    """The ">= level" choices of every ordered attribute of the supply layers, by attribute."""
    groups = {}
    for layer in supply_choices(layers):
        for attribute in layer.ordered_attributes:
            label = t("planner_at_least", lang, attribute=attribute.label(lang))
            group = groups.setdefault(attribute.name, {"label": label, "layers": [], "options": []})
            group["layers"].append(layer.id)
            if not group["options"]:
                group["options"] = [{"value": f"{attribute.name}>={code}",
                                     "label": t("planner_and_above", lang, value=labels.get(lang, code))}
                                    for code, labels in list(attribute.values.items())[1:]]
    return list(groups.values())


def page_context(layers: LayerRegistry, settings: Settings, args: Mapping[str, str], lang: str,
                 static_url: mappage.StaticUrl, api_url: str, report_url: str,
                 districts: list[str], bounds: tuple[float, ...] | None) -> dict:
    """Everything planner.html needs: the form's initial state, the folium parts and #pl-config."""
    query = lenient_query(args, layers, districts)
    minutes_mode = query.minutes is not None and query.radius_m is None
    radius = query.radius_m if query.radius_m is not None else RADII_M[1]
    minutes = query.minutes if minutes_mode else DEFAULT_MINUTES
    # The query the form shows, as the script will send it: links work before the script runs.
    shown = replace(query, radius_m=None if minutes_mode else radius, minutes=minutes if minutes_mode else None)
    # The coverage API answers in WGS 84 only, so over GCJ-02 (Amap) tiles its points would sit
    # ~500 m off: the planner then draws the district outlines as its base instead.
    base = basemap.resolve(settings)
    tiles = base is not None and base.crs != "gcj02"
    fmap = mappage.build_map(static_url, settings, bounds, assets=PlannerAssets, tiles=tiles,
                             zoom_control="topleft", prefer_canvas=True, zoom_snap=0.25, zoom_delta=0.5)
    demand_info = {}
    for layer in demand_choices(layers):
        weights = layer.weights
        demand_info[layer.id] = {"title": layer.title(lang), "color": layer.color,
                                 "weights": [{"name": a.name, "label": weight_label(a, lang), "unit": unit(a, lang)}
                                             for a in weights]}
    demand_weight = layers[shown.demand].attribute(shown.weight or layers[shown.demand].weight or "") \
        if shown.demand in layers else None
    config = {
        "map": fmap.get_name(),
        "lang": lang,
        "api": api_url.rstrip("/"),
        "report": report_url,
        "tiles": tiles,
        "supply": [{"id": layer.id, "title": layer.title(lang), "color": layer.color}
                   for layer in supply_choices(layers)],
        "demand": demand_info,
        "boundaries": [layer.id for layer in layers.of_kind("boundary")],
        "candidates": query.candidates,
        "colors": {**style.COLORS, "gaps": list(style.GAP_COLORS)},
        # The what-if in the address: the one being edited, and scenario A when one is kept.
        "scenario": {"added": [list(site) for site in query.added], "closed": [f"{k}:{i}" for k, i in query.closed],
                     "a": {"add": args.get("a_add") or "", "close": args.get("a_close") or ""}
                     if "a_add" in args or "a_close" in args else None},
        "strings": templates(SCRIPT_KEYS, lang),
    }
    return {
        "lang": lang, "folium": mappage.render_parts(fmap), "config": config,
        "supply_layers": supply_choices(layers), "demand_layers": demand_choices(layers),
        "chosen_supply": shown.supply, "demand": shown.demand, "weight": shown.weight or "",
        "demand_weights": demand_info.get(shown.demand, {}).get("weights", []),
        "district_names": districts, "district": shown.district or "",
        "radii": [(r, i18n.distance(r, lang)) for r in RADII_M], "minutes_options": MINUTES,
        "minutes_mode": minutes_mode, "radius": radius, "radius_custom": radius not in RADII_M, "minutes": minutes,
        "at_least": at_least_options(layers, lang), "supply_where": shown.supply_where or "",
        "count": shown.count, "max_count": planning.MAX_SUGGESTIONS, "params": shown.params(),
        "columns": column_labels(demand_weight, lang), "colors": style.COLORS,
    }
