"""A plan as files a bureau can hand on: Excel for the office, GeoPackage for QGIS, GeoJSON or CSV.

- ``.xlsx``: a first sheet with the question in words and where the data comes from, then the
  district table (its total row named 全域合计, or 合计 for one district), the demand units, the gap
  cells and the suggested sites, with headers in the reader's language, shares as percentages,
  thousands separators, a frozen header row and columns wide enough to read;
- ``.gpkg``: the district table with each district's boundary (a choropleth layer, coloured by
  covered share against the region's), demand, gap cells and suggestions as layers, a
  ``summary`` table of the parameters, and QGIS default styles (``layer_styles``);
- ``.geojson`` / ``.csv``: one file per part, named ``<stem>_<part>.<suffix>``.

Coordinates WGS 84 (EPSG:4326). Column names in GeoPackage, GeoJSON and CSV are the API's; the
Excel sheets are for people.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import h3
import pandas as pd

from ..analysis.classify import share_class
from ..describe import value_text
from ..errors import BadRequest
from ..i18n import t
from ..layers import LayerRegistry
from ..planning import Plan
from . import qgis, style
from .view import build, gap_legend, share_legend
from .wording import column_labels, reach_words, total_label, unit, weight_label

#: Output formats by file suffix.
SUFFIXES = (".gpkg", ".xlsx", ".geojson", ".json", ".csv")
PARTS = ("coverage_by_district", "demand", "gaps", "suggestions")
_COUNT, _SHARE, _RATE, _COORD = "#,##0", "0.0%", "0.00", "0.000000"
_EXCEL_FORMATS = {"demand_count": _COUNT, "covered_count": _COUNT, "demand_weight": _COUNT, "covered_weight": _COUNT,
                  "covered_share": _SHARE, "supply_count": _COUNT, "supply_per_10k": _RATE, "weight": _COUNT,
                  "nearest_m": "#,##0.0", "access": "0.000000", "lon": _COORD, "lat": _COORD,
                  "uncovered_count": _COUNT, "uncovered_weight": _COUNT, "added_weight": _COUNT,
                  "covered_share_after": _SHARE}


def check_suffix(path: str | Path) -> str:
    """The output's suffix, or a BadRequest listing the formats (before any work is done)."""
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise BadRequest(f"output must end in {', '.join(SUFFIXES)}, not {suffix or 'nothing'}", field="output",
                         code="unknown_format", params={"formats": ", ".join(SUFFIXES), "suffix": suffix or "—"})
    return suffix


def file_name(plan: Plan, layers: LayerRegistry, lang: str, suffix: str) -> str:
    """``覆盖分析_广陵区_家门口的家长学校_社区村_500米_2026-12-02.xlsx``: what the file holds, and when."""
    view_date = build(plan, layers, lang)["date"]
    parts = [t("export_file", lang), plan.scope or t("planner_whole_region", lang),
             "+".join(layers[i].title(lang) for i in dict.fromkeys(plan.request.supply)),
             layers[plan.request.demand].title(lang), reach_words(plan.radius_m, plan.request.minutes, lang), view_date]
    name = "_".join(re.sub(r"[\\/:*?\"<>|\s]+", "", part) for part in parts)
    return f"{name}{suffix}"


def parts(plan: Plan, lang: str = "zh") -> dict[str, pd.DataFrame]:
    """The four tables of a plan, columns as the API names them; the district table ends with the total row
    and carries each district's boundary and its ``share_class`` against the region's share."""
    region_share = plan.region["covered_share"]
    districts = plan.districts.copy()
    districts["share_class"] = share_class(districts["covered_share"], region_share) if len(districts) else []
    shapes = dict(zip(plan.boundaries["name"], plan.boundaries.geometry))
    total = pd.DataFrame([{"district": total_label(plan.scope, lang), **plan.region, "share_class": -1}])
    table = gpd.GeoDataFrame(pd.concat([districts, total], ignore_index=True),
                             geometry=[shapes.get(name) for name in districts["district"]] + [None], crs="EPSG:4326")
    return {"coverage_by_district": table,
            "demand": plan.demand.drop(columns=["source_id"], errors="ignore"),
            "gaps": plan.gaps, "suggestions": plan.suggestions}


def write(plan: Plan, path: str | Path, layers: LayerRegistry, lang: str = "zh") -> list[str]:
    """Write ``plan`` to ``path`` (format from its suffix); returns the files written."""
    path = Path(path)
    suffix = check_suffix(path)
    if suffix == ".xlsx":
        _excel(plan, path, layers, lang)
        return [str(path)]
    tables = {name: _flat(frame) for name, frame in parts(plan, lang).items()}
    if suffix == ".gpkg":
        _geopackage(plan, tables, path, layers, lang)
        return [str(path)]
    written = []
    for name, frame in tables.items():
        target = path.with_name(f"{path.stem}_{name}{path.suffix}")
        if suffix == ".csv":
            table = pd.DataFrame(frame.drop(columns="geometry"))
            table["wkt"] = frame.geometry.to_wkt()
            table.to_csv(target, index=False, encoding="utf-8-sig")
        else:
            frame.to_file(target, driver="GeoJSON")
        written.append(str(target))
    return written


def _geopackage(plan: Plan, tables: dict, path: Path, layers: LayerRegistry, lang: str) -> None:
    import pyogrio

    path.unlink(missing_ok=True)
    for name, frame in tables.items():
        pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG", append=path.exists())
    summary = pd.DataFrame(_summary_rows(plan, layers, lang), columns=["item", "value"])
    pyogrio.write_dataframe(summary, path, layer="summary", driver="GPKG", append=True)
    gaps = [(i, color, label) for i, (color, label) in
            zip(range(len(style.GAP_COLORS) - 1 - len(plan.gap_breaks), len(style.GAP_COLORS)),
                gap_legend(plan.gap_breaks, lang))]
    shares = [tuple(row) for row in share_legend(plan.region["covered_share"], lang)]
    shares.append((-1, style.NO_SHARE_COLOR, total_label(plan.scope, lang)))
    qgis.write_styles(path, {
        "gaps": (t("planner_legend_gaps", lang, unit=unit(plan.weight, lang)), qgis.categorized_qml("class", gaps)),
        "coverage_by_district": (t("planner_chart_title", lang),
                                 qgis.categorized_qml("share_class", shares, outline="#334155", opacity=0.9)),
    })


def _summary_rows(plan: Plan, layers: LayerRegistry, lang: str) -> list[list[str]]:
    view = build(plan, layers, lang)
    data = t("export_generated", lang) if plan.generated else t("export_imported", lang)
    return [*view["params"], [view["headline"]["share_label"], view["headline"]["share"]],
            [t("export_data", lang), data], [t("export_date", lang), view["date"]]]


@dataclass
class _Sheet:
    title: str
    frame: pd.DataFrame
    columns: dict[str, str]  # API column -> header
    total_row: bool = False


def _sheets(plan: Plan, layers: LayerRegistry, lang: str) -> list[_Sheet]:
    yes, no = t("yes", lang), t("no", lang)
    weight = weight_label(plan.weight, lang)
    table = parts(plan, lang)["coverage_by_district"]
    districts = _Sheet(t("sheet_districts", lang), pd.DataFrame(table.drop(columns=["geometry", "share_class"])),
                       column_labels(plan.weight, lang), total_row=True)
    demand_layer = layers[plan.request.demand]
    demand = pd.DataFrame(plan.demand.drop(columns="geometry"))
    demand["lon"], demand["lat"] = plan.demand.geometry.x, plan.demand.geometry.y
    demand["covered"] = demand["covered"].map(lambda v: yes if v else no)
    attributes = {a.name: a.label(lang) for a in demand_layer.attributes if a.name in demand and a.name != "name"}
    for attribute in demand_layer.attributes:
        if attribute.name in attributes and attribute.type in ("code", "codes", "boolean"):
            demand[attribute.name] = demand[attribute.name].map(lambda v, a=attribute: value_text(a, v, lang))
    demand_columns = {"name": t("col_name", lang), "district": t("planner_col_district", lang), "weight": weight,
                      "covered": t("col_covered", lang), "nearest_name": t("col_nearest_name", lang),
                      "nearest_m": t("col_nearest_m", lang), "access": t("col_access", lang),
                      **{k: v for k, v in attributes.items() if k != plan.weight_name},
                      "lon": t("col_lon", lang), "lat": t("col_lat", lang)}
    gaps = pd.DataFrame(plan.gaps.drop(columns=["geometry", "class"]))
    centres = [h3.cell_to_latlng(cell) for cell in gaps["cell"]]
    gaps["lon"], gaps["lat"] = [c[1] for c in centres], [c[0] for c in centres]
    weighted = weight.lower() if lang == "en" else weight
    gap_columns = {"cell": t("col_cell", lang), "uncovered_count": t("col_uncovered_count", lang),
                   "uncovered_weight": t("col_uncovered_weight", lang, weight=weighted),
                   "lon": t("col_lon", lang), "lat": t("col_lat", lang)}
    picks = pd.DataFrame(plan.suggestions.drop(columns="geometry"))
    picks["layer"] = [layers[i].title(lang) if i in layers else t("planner_hexagon", lang) for i in picks["layer"]]
    pick_columns = {"rank": t("report_rank", lang), "name": t("report_site", lang), "layer": t("col_layer", lang),
                    "added_weight": t("col_added", lang, unit=unit(plan.weight, lang)),
                    "covered_share_after": t("report_after", lang), "lon": t("col_lon", lang),
                    "lat": t("col_lat", lang)}
    params = pd.DataFrame(_summary_rows(plan, layers, lang), columns=["item", "value"])
    return [_Sheet(t("sheet_params", lang), params, {"item": t("col_item", lang), "value": t("col_value", lang)}),
            districts,
            _Sheet(t("sheet_demand", lang), demand, demand_columns),
            _Sheet(t("sheet_gaps", lang), gaps, gap_columns),
            _Sheet(t("sheet_suggestions", lang), picks, pick_columns)]


def _width(value) -> int:
    """Characters a cell needs, CJK characters counting twice."""
    text = f"{value:,.2f}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _excel(plan: Plan, path: Path, layers: LayerRegistry, lang: str) -> None:
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    with pd.ExcelWriter(path, engine="openpyxl") as book:
        for sheet in _sheets(plan, layers, lang):
            frame = sheet.frame[[c for c in sheet.columns if c in sheet.frame]]
            frame = frame.rename(columns=sheet.columns)
            frame.to_excel(book, sheet_name=sheet.title[:31], index=False)
            ws = book.sheets[sheet.title[:31]]
            ws.freeze_panes = "A2"
            for cell in ws[1]:
                cell.font = Font(bold=True)
                cell.fill = PatternFill("solid", fgColor="E2E8F0")
            for index, key in enumerate(c for c in sheet.columns if c in sheet.frame):
                letter = get_column_letter(index + 1)
                number_format = _EXCEL_FORMATS.get(key)
                if number_format:
                    for (cell,) in ws.iter_rows(min_row=2, min_col=index + 1, max_col=index + 1):
                        cell.number_format = number_format
                sample = [sheet.columns[key], *sheet.frame[key].head(200).tolist()]
                widest = max(_width(v) for v in sample if v is not None)
                ws.column_dimensions[letter].width = min(60, max(8, widest + 2))
            if sheet.total_row:
                for cell in ws[ws.max_row]:
                    cell.font = Font(bold=True)


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """Lists (codes attributes) joined with ';' so every format can hold them."""
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object and frame[column].map(lambda v: isinstance(v, list)).any():
            frame[column] = frame[column].map(lambda v: ";".join(v) if isinstance(v, list) else v)
    return frame
