"""A plan as a person reads it: every label, figure and class, in zh or en, computed once.

:func:`build` shapes a :class:`~mapservice.planning.Plan` for the printed report and, through
:func:`page_data`, for the planner page, which draws what it receives: the headline, the table
(texts and the values to sort by), the chart (an SVG scene), the gap classes and their legend,
the suggestions and the parameters in words. So the page and the report cannot disagree.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from .. import i18n, planning
from ..analysis.classify import share_breaks, share_class
from ..hours import CHINA_TIME
from ..i18n import t
from ..layers import Layer
from ..planning import Plan, parse_supply_where, records
from ..store.base import Store
from . import chart, printmap, style
from .query import PlannerQuery
from .wording import (
    COLUMN_FORMATS,
    TABLE_COLUMNS,
    column_labels,
    reach_words,
    scope_name,
    supply_where_words,
    total_label,
    unit,
    weight_label,
)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and value == value


def _row(record: dict, label: str, region_share) -> dict:
    """One table row: the texts in column order, the values to sort by, and whether it is below the region."""
    share = record.get("covered_share")
    return {"district": label,
            "cells": [label, *(COLUMN_FORMATS[key](record.get(key)) for key in TABLE_COLUMNS[1:])],
            "values": [label, *(record.get(key) for key in TABLE_COLUMNS[1:])],
            "below": _is_number(share) and _is_number(region_share) and share < region_share}


def gap_legend(breaks: list[float], lang: str) -> list[list[str]]:
    """(colour, label) of each gap class in use, lightest first: ``< 120``, ``120–250``, ``≥ 900``."""
    edges = [None, *breaks, None]
    first = len(style.GAP_COLORS) - 1 - len(breaks)
    out = []
    for i in range(len(breaks) + 1):
        low, high = edges[i], edges[i + 1]
        if low is None and high is None:
            label = "> 0"
        elif low is None:
            label = f"< {i18n.number(high, lang)}"
        elif high is None:
            label = f"≥ {i18n.number(low, lang)}"
        else:
            label = f"{i18n.number(low, lang)}–{i18n.number(high, lang)}"
        out.append([style.GAP_COLORS[first + i], label])
    return out


def share_legend(region_share, lang: str) -> list[list]:
    """(class, colour, label) of the districts' diverging classes around the region's share:
    ``< 66%``, ``66–76%`` ... ``≥ 96%``; empty without a region share."""
    if region_share is None or region_share != region_share:
        return []
    edges = [None, *share_breaks(region_share), None]
    out = []
    for i, color in enumerate(style.SHARE_COLORS):
        low, high = edges[i], edges[i + 1]
        if low is None:
            label = f"< {i18n.share(high, lang)}"
        elif high is None:
            label = f"≥ {i18n.share(low, lang)}"
        else:
            label = f"{i18n.share(low, lang)}–{i18n.share(high, lang)}"
        out.append([i, color, label])
    return out


def params_in_words(plan: Plan, layers: Mapping[str, Layer], lang: str) -> list[list[str]]:
    """The question asked, as (label, words) pairs."""
    request = plan.request
    sep = "、" if lang == "zh" else ", "
    supply_layers = [layers[i] for i in dict.fromkeys(request.supply)]
    supply = sep.join(layer.title(lang) for layer in supply_layers)
    supply += supply_where_words(parse_supply_where(supply_layers, request.supply_where), lang)
    demand = layers[request.demand].title(lang)
    if plan.weight is not None:
        demand += t("report_weighted_by", lang, weight=weight_label(plan.weight, lang))
    return [[t("planner_supply", lang), supply], [t("planner_demand", lang), demand],
            [t("planner_reach", lang), reach_words(plan.radius_m, request.minutes, lang)],
            [t("planner_district", lang), plan.scope or t("planner_whole_region", lang)],
            [t("planner_count", lang), str(plan.count)]]


def build(plan: Plan, layers: Mapping[str, Layer], lang: str) -> dict:
    """Everything a person reads of ``plan`` in ``lang`` (see the module docstring)."""
    region = plan.region
    unit_text = unit(plan.weight, lang)
    labels = column_labels(plan.weight, lang)
    rows = records(plan.districts)
    after = plan.covered_share_after
    suggestions = []
    for pick in records(plan.suggestions.drop(columns="geometry")):
        host = layers.get(pick["layer"])
        suggestions.append({
            "rank": pick["rank"], "name": pick["name"],
            "layer": host.title(lang) if host is not None else t("planner_hexagon", lang),
            "added": t("planner_added", lang, value=i18n.number(pick["added_weight"], lang), unit=unit_text),
            "after": t("planner_share_after", lang, share=i18n.share(pick["covered_share_after"], lang)),
            "after_share": i18n.share(pick["covered_share_after"], lang),
            "lonlat": f"{pick['lon']:.4f}, {pick['lat']:.4f}"})  # about 10 m
    covered = int(plan.demand["covered"].sum()) if len(plan.demand) else 0
    in_scope = int(plan.supply_used["in_scope"].sum()) if len(plan.supply_used) else 0
    return {
        "lang": lang,
        "title": t("report_title", lang),
        "date": datetime.now(CHINA_TIME).date().isoformat(),
        "unit": unit_text,
        "weight_label": weight_label(plan.weight, lang),
        "params": params_in_words(plan, layers, lang),
        "headline": {
            "share_label": t("planner_scope_share", lang, area=plan.scope) if plan.scope
            else t("planner_scope_region", lang),
            "share": i18n.share(region["covered_share"], lang),
            "after": t("planner_after", lang, count=len(plan.suggestions), share=i18n.share(after, lang))
            if after is not None else "",
            "kpis": [
                [t("planner_weight_value", lang, value=i18n.number(region["covered_weight"], lang), unit=unit_text),
                 t("planner_covered_weight", lang, total=i18n.number(region["demand_weight"], lang), unit=unit_text)],
                [i18n.number(region["covered_count"], lang),
                 t("planner_covered_units", lang, total=i18n.number(region["demand_count"], lang))],
                [i18n.number(region["supply_count"], lang),
                 t("planner_supply_count", lang, per10k=i18n.rate(region["supply_per_10k"], lang), unit=unit_text)],
            ],
        },
        "columns": [[key, labels[key]] for key in TABLE_COLUMNS],
        "rows": [_row(r, r["district"], region["covered_share"]) for r in rows],
        "total": _row(region, total_label(plan.scope, lang), None),
        "chart": chart.scene(rows, region["covered_share"], scope_name(plan.scope, lang), lang),
        "choropleth": {"title": t("planner_choropleth", lang, share=i18n.share(region["covered_share"], lang)),
                       "legend": share_legend(region["covered_share"], lang),
                       "classes": dict(zip(plan.districts["district"],
                                           share_class(plan.districts["covered_share"], region["covered_share"])
                                           .tolist() if len(plan.districts) else []))},
        "gap_legend": {"title": t("planner_legend_gaps", lang, unit=unit_text),
                       "fine": gap_legend(plan.gap_breaks, lang),
                       "overview": gap_legend(plan.overview_breaks, lang)},
        "counts": {"gaps": i18n.number(len(plan.gaps), lang),
                   "gaps_overview": i18n.number(len(plan.gaps_overview), lang),
                   "uncovered": i18n.number(len(plan.demand) - covered, lang), "covered": i18n.number(covered, lang),
                   "supply": i18n.number(in_scope, lang), "suggestions": i18n.number(len(plan.suggestions), lang)},
        "suggestions": suggestions,
        "no_demand": not region["demand_count"],
        "generated": plan.generated,
        "colors": {**style.COLORS, "gaps": list(style.GAP_COLORS)},
    }


def plan_for(store: Store, query: PlannerQuery) -> Plan:
    return planning.plan(store, query.request(), query.count, query.candidates)


def page_data(store: Store, query: PlannerQuery, lang: str) -> dict:
    """What the planner page draws for ``query``: the plan's data, each demand unit's and gap cell's
    popup text, and :func:`build`'s view under ``view``."""
    plan = plan_for(store, query)
    layers = store.layers
    # Only what the page shows of a demand unit; its attributes are the API's (/api/coverage).
    data = plan.to_dict(demand_columns=["id", "name", "district", "covered", "weight", "nearest_m", "nearest_name"])
    unit_text = unit(plan.weight, lang)
    weight_label_text = weight_label(plan.weight, lang)
    nearest, nowhere = i18n.template("planner_nearest", lang), t("planner_none_in_reach", lang)
    for feature in data["demand"]["features"]:
        props = feature["properties"]
        weight, nearest_m, nearest_name = props.pop("weight"), props.pop("nearest_m"), props.pop("nearest_name")
        props["weight_text"] = f"{weight_label_text} {i18n.number(weight, lang)}" if plan.weight else None
        props["nearest_text"] = nearest.format(name=nearest_name or "", distance=i18n.distance(nearest_m, lang)) \
            if nearest_m is not None else nowhere
    cell = i18n.template("planner_gap_cell", lang)
    for part in ("gaps", "gaps_overview"):
        for feature in data[part]["features"]:
            props = feature["properties"]
            props["text"] = cell.format(count=i18n.number(props["uncovered_count"], lang),
                                        weight=i18n.number(props["uncovered_weight"], lang), unit=unit_text)
    data["view"] = build(plan, layers, lang)
    return data


def printed(store: Store, query: PlannerQuery, lang: str) -> dict:
    """Everything the one-page report of ``query`` shows: :func:`build`'s view, the chart as SVG
    markup, the printed map and its gap legend, and the query to go back to the planner with."""
    plan = plan_for(store, query)
    page = build(plan, store.layers, lang)
    picture = printmap.svg_map(plan, lang)
    title = page["gap_legend"]["title"]
    if picture.aggregated:
        title += t("report_gaps_merged", lang, resolution=picture.resolution)
    return {**page, "chart_svg": chart.render(page["chart"]), "map_svg": picture.svg,
            "map_legend": gap_legend(picture.breaks, lang), "map_legend_title": title,
            "params_query": query.params()}
