"""A plan as files: the district table, demand units, gap cells and suggested sites.

``.gpkg``: four layers in one file (opens in QGIS); ``.xlsx``: four sheets; ``.geojson`` and
``.csv``: one file per part, named ``<stem>_<part>.<suffix>``. Coordinates WGS 84 (EPSG:4326).
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..errors import BadRequest
from ..planning import Plan
from .wording import total_label

#: Output formats by file suffix.
SUFFIXES = (".gpkg", ".xlsx", ".geojson", ".json", ".csv")
PARTS = ("coverage_by_district", "demand", "gaps", "suggestions")


def check_suffix(path: str | Path) -> str:
    """The output's suffix, or a BadRequest listing the formats (before any work is done)."""
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise BadRequest(f"output must end in {', '.join(SUFFIXES)}", field="output")
    return suffix


def parts(plan: Plan, lang: str = "zh") -> dict[str, pd.DataFrame]:
    """The four tables of a plan; the district table ends with the total row."""
    total = pd.DataFrame([{"district": total_label(plan.scope, lang), **plan.region}])
    return {"coverage_by_district": pd.concat([plan.districts, total], ignore_index=True),
            "demand": plan.demand.drop(columns=["source_id"], errors="ignore"),
            "gaps": plan.gaps, "suggestions": plan.suggestions}


def write(plan: Plan, path: str | Path, lang: str = "zh") -> list[str]:
    """Write ``plan`` to ``path`` (format from its suffix); returns the files written."""
    path = Path(path)
    suffix = check_suffix(path)
    tables = {name: _flat(frame) for name, frame in parts(plan, lang).items()}
    if suffix == ".gpkg":
        import pyogrio

        path.unlink(missing_ok=True)
        for name, frame in tables.items():
            pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG", append=path.exists())
        return [str(path)]
    if suffix == ".xlsx":
        with pd.ExcelWriter(path) as book:
            for name, frame in tables.items():
                table = pd.DataFrame(frame.drop(columns="geometry")) if "geometry" in frame else frame
                if isinstance(frame, gpd.GeoDataFrame) and name != "gaps":
                    table["lon"], table["lat"] = frame.geometry.x, frame.geometry.y
                table.to_excel(book, sheet_name=name, index=False)
        return [str(path)]
    written = []
    for name, frame in tables.items():
        target = path.with_name(f"{path.stem}_{name}{path.suffix}")
        if suffix == ".csv":
            table = pd.DataFrame(frame.drop(columns="geometry")) if "geometry" in frame else frame
            if "geometry" in frame:
                table["wkt"] = frame.geometry.to_wkt()
            table.to_csv(target, index=False, encoding="utf-8-sig")
        elif isinstance(frame, gpd.GeoDataFrame):
            frame.to_file(target, driver="GeoJSON")
        else:
            target = target.with_suffix(".csv")
            frame.to_csv(target, index=False, encoding="utf-8-sig")
        written.append(str(target))
    return written


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """Lists (codes attributes) joined with ';' so every format can hold them."""
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object and frame[column].map(lambda v: isinstance(v, list)).any():
            frame[column] = frame[column].map(lambda v: ";".join(v) if isinstance(v, list) else v)
    return frame
