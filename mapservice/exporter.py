"""Write a layer out as GeoJSON, GeoPackage or CSV, in a form the importer reads back losslessly."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .errors import BadRequest
from .layers import Layer
from .store.base import MAX_LIMIT, Feature, Store

FORMATS = ("geojson", "gpkg", "csv")
_DTYPES = {"integer": "Int64", "number": "Float64", "boolean": "boolean"}


def iter_features(store: Store, layer_id: str) -> Iterator[Feature]:
    """Every feature of a layer, page by page in id order."""
    offset = 0
    while True:
        page = store.features(layer_id, limit=MAX_LIMIT, offset=offset)
        yield from page.features
        offset += len(page.features)
        if not page.features or offset >= page.number_matched:
            return


def layer_frame(layer: Layer, features: list[Feature]) -> gpd.GeoDataFrame:
    """A GeoDataFrame (EPSG:4326) with id, source_id, generated and every attribute as typed columns."""
    columns = {"id": pd.array([f.id for f in features], dtype="Int64"),
               "source_id": pd.array([f.properties["source_id"] for f in features], dtype="string"),
               "generated": pd.array([f.properties["generated"] for f in features], dtype="boolean")}
    for attribute in layer.attributes:
        values = [attribute.to_text(f.properties.get(attribute.name)) if attribute.type == "codes"
                  else f.properties.get(attribute.name) for f in features]
        columns[attribute.name] = pd.array(values, dtype=_DTYPES.get(attribute.type, "string"))
    return gpd.GeoDataFrame(columns, geometry=[f.geometry for f in features], crs="EPSG:4326")


def export_layer(store: Store, layer_id: str, fmt: str, path: str | Path, progress=None) -> int:
    """Write layer ``layer_id`` to ``path``; returns the number of features written."""
    layer = store.layers.require(layer_id)
    if fmt not in FORMATS:
        raise BadRequest(f"format must be one of {', '.join(FORMATS)}", field="format")
    features = list((progress or (lambda it, **_: it))(iter_features(store, layer_id), desc=f"read {layer_id}",
                                                        unit="feature"))
    frame = layer_frame(layer, features)
    path = Path(path)
    if fmt == "csv":
        table = pd.DataFrame(frame.drop(columns="geometry"))
        if layer.is_point:
            table.insert(1, "lon", frame.geometry.x)
            table.insert(2, "lat", frame.geometry.y)
        else:
            table["wkt"] = frame.geometry.to_wkt(rounding_precision=-1)
        table.to_csv(path, index=False, encoding="utf-8-sig")
    elif fmt == "gpkg":
        frame.to_file(path, layer=layer_id, driver="GPKG", engine="pyogrio")
    else:
        frame.to_file(path, driver="GeoJSON", engine="pyogrio")
    return len(frame)
