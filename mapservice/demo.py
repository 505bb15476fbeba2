"""The demo region, Yangzhou (扬州, adcode 321000): real district boundaries, generated points.

Boundaries come from geodata/yangzhou/ in GCJ-02 and go through the importer's ``gcj02``
conversion like any user file. Points come from geodata/demo/*.csv, invented by
geodata/generate_demo.py and marked ``generated``; they are not real places.
"""
from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path

from .importer import ImportReport, import_file
from .resources import resource_dir
from .store.base import Store


def district_features(folder: Path) -> dict:
    """The county-level boundaries as a GeoJSON FeatureCollection (still GCJ-02)."""
    features = []
    with open(folder / "districts_index.csv", encoding="utf-8") as index:
        for row in csv.DictReader(index):
            if not row["区/县"]:
                continue  # the city outline
            geometry = json.loads((folder / row["文件名"]).read_text(encoding="utf-8"))
            adcode = row["文件名"].split(".")[0]
            shape = {"type": geometry["type"], "coordinates": geometry["coordinates"]}
            features.append({"type": "Feature", "geometry": shape,
                             "properties": {"source_id": f"district-{adcode}", "name": row["区/县"], "adcode": adcode}})
    return {"type": "FeatureCollection", "features": features}


def load_demo(store: Store, progress=None) -> list[ImportReport]:
    """Import the demo region into ``store``; returns one report per layer."""
    geodata = resource_dir("geodata")
    reports = []
    with tempfile.TemporaryDirectory() as tmp:
        boundaries = Path(tmp) / "districts.geojson"
        boundaries.write_text(json.dumps(district_features(geodata / "yangzhou"), ensure_ascii=False), encoding="utf-8")
        for layer in store.layers.of_kind("boundary")[:1]:
            reports.append(import_file(store, layer.id, boundaries, crs="gcj02", progress=progress))
    for layer_id in store.layers:
        path = geodata / "demo" / f"{layer_id}.csv"
        if path.exists():
            reports.append(import_file(store, layer_id, path, progress=progress))
    return reports
