"""Import any vector file, CSV or XLSX into a layer: validate every row, write the good ones.

Reading goes through pandas (CSV, XLSX) and pyogrio (GeoJSON, GeoPackage, zipped Shapefile,
anything GDAL reads). Each row is checked against the layer's schema; bad rows are reported
with their line number, field and reason, good rows are upserted by a stable source id in one
transaction, so re-importing a file updates rather than duplicates.
"""
from __future__ import annotations

import csv
import hashlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry

from . import parsing
from .editing import log_import
from .errors import BadRequest
from .geo import TO_WGS84
from .layers import Layer
from .store.base import Row, Store, check_geometry, layer_values

LON_HEADERS = ("lon", "lng", "long", "longitude", "x", "经度")
LAT_HEADERS = ("lat", "latitude", "y", "纬度")
WKT_HEADERS = ("wkt", "geometry", "geom", "the_geom", "几何", "坐标串")
SOURCE_ID_HEADERS = ("source_id", "id", "编号", "来源编号")
GENERATED_HEADERS = ("generated", "是否生成", "生成数据")
TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls")
CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # GB18030 is a superset of GBK and GB2312
CHINA_LON, CHINA_LAT = (73.0, 136.0), (3.0, 54.0)
WRITE_CHUNK = 1000

log = logging.getLogger(__name__)


@dataclass
class RowError:
    """One rejected row: ``line`` is the line in a CSV/XLSX (header = 1) or the feature number."""

    line: int
    field: str
    reason: str
    value: str = ""


@dataclass
class ImportReport:
    layer: str
    source: str
    total: int = 0
    inserted: int = 0
    updated: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len({e.line for e in self.errors})

    @property
    def accepted(self) -> int:
        return self.total - self.rejected

    def write_csv(self, path: str | Path) -> None:
        """Write the rejected rows (line, field, reason, value) as a UTF-8 CSV Excel opens."""
        with open(path, "w", newline="", encoding="utf-8-sig") as out:
            writer = csv.writer(out)
            writer.writerow(["line", "field", "reason", "value"])
            writer.writerows([e.line, e.field, e.reason, e.value] for e in self.errors)


def parse_crs(text: str | None) -> str | CRS | None:
    """``wgs84``/``cgcs2000``/``gcj02``/``bd09``, ``EPSG:xxxx`` or a bare EPSG number."""
    if text is None:
        return None
    name = text.strip().lower().replace("-", "").replace("_", "")
    if name in ("wgs84", "4326", "epsg:4326"):
        return "wgs84"
    if name in ("gcj02", "bd09"):
        return name
    if name == "cgcs2000":
        return CRS.from_epsg(4490)
    try:
        return CRS.from_user_input(int(name) if name.isdigit() else text.strip())
    except CRSError:
        raise BadRequest(f"unknown CRS {text!r}: use wgs84, cgcs2000, gcj02, bd09 or an EPSG code",
                         field="crs") from None


def _match(columns: list[str], names) -> str | None:
    """The first column named (case-insensitively) by ``names``, earlier names winning."""
    by_name = {str(c).strip().lower(): c for c in reversed(columns)}
    return next((by_name[n.lower()] for n in names if n.lower() in by_name), None)


def read_source(path: Path) -> tuple[pd.DataFrame, CRS | None, int]:
    """Read a file into a frame (``geometry`` column for vector files), its CRS and first line number."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise BadRequest(f"file not found: {path}", field="file")
    try:
        if suffix in (".csv", ".txt", ".tsv"):
            return _read_csv(path, "\t" if suffix == ".tsv" else ","), None, 2
        if suffix in (".xlsx", ".xlsm", ".xls"):
            return pd.read_excel(path, dtype=object), None, 2
        layers = pyogrio.list_layers(path)
        layer_name = layers[0][0] if len(layers) else None
        frame = pyogrio.read_dataframe(path, layer=layer_name)
        return frame, frame.crs, 1
    except BadRequest:
        raise
    except Exception as exc:  # pandas, openpyxl and GDAL each raise their own types
        # Their messages are for the log; the person importing gets one they can act on.
        log.warning("cannot read %s: %s: %s", path.name, type(exc).__name__, exc)
        raise BadRequest(f"cannot read {path.name}: it is not a CSV, Excel or vector file that can be opened "
                         "(damaged, or another format)", field="file") from None


def _read_csv(path: Path, sep: str) -> pd.DataFrame:
    for encoding in CSV_ENCODINGS:
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding, sep=sep)
        except UnicodeDecodeError:
            continue
    raise BadRequest(f"{path.name} is neither UTF-8 nor GBK/GB18030 text", field="file")


def _to_wgs84(crs) -> Callable[[np.ndarray], np.ndarray] | None:
    """A function mapping an (n, 2) lon/lat array to WGS 84, or None when already WGS 84."""
    if crs is None or crs == "wgs84":
        return None
    if crs in TO_WGS84:
        convert = TO_WGS84[crs]
        return lambda xy: np.column_stack(convert(xy[:, 0], xy[:, 1]))
    if crs.equals(CRS.from_epsg(4326)):
        return None
    transformer = Transformer.from_crs(crs, 4326, always_xy=True)
    return lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))


def _is_geographic(crs) -> bool:
    return crs is None or isinstance(crs, str) or crs.is_geographic


def _coordinate_problem(lon: float, lat: float) -> tuple[str, str] | None:
    """(field, reason) for a longitude/latitude pair that cannot be right."""
    in_china = CHINA_LON[0] <= lon <= CHINA_LON[1] and CHINA_LAT[0] <= lat <= CHINA_LAT[1]
    swapped_in_china = CHINA_LON[0] <= lat <= CHINA_LON[1] and CHINA_LAT[0] <= lon <= CHINA_LAT[1]
    if swapped_in_china and not in_china:
        return "lat", f"longitude and latitude look swapped (lon {lon}, lat {lat}); China lies at lon 73-136, lat 3-54"
    if not -180 <= lon <= 180:
        return "lon", f"longitude {lon} is outside -180..180"
    if not -90 <= lat <= 90:
        return "lat", f"latitude {lat} is outside -90..90"
    return None


def _number(value) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        return parsing.number(value if isinstance(value, (int, float)) else str(value))
    except ValueError:
        return None


def _stable_id(layer: Layer, name: str, geometry: BaseGeometry) -> str:
    """A source id from the name and the geometry rounded to about 0.1 m, for files without ids."""
    rounded = shapely.set_precision(geometry, 1e-6)
    return "h-" + hashlib.sha1(f"{layer.id}|{name}|{rounded.wkt}".encode()).hexdigest()[:20]


class _Reader:
    """Turns the rows of one source frame into validated :class:`Row` objects."""

    def __init__(self, layer: Layer, frame: pd.DataFrame, crs, first_line: int):
        self.layer, self.frame, self.first_line = layer, frame, first_line
        columns = [c for c in frame.columns if c != "geometry"]
        self.attribute_columns = {}
        for attribute in layer.attributes:
            column = _match(columns, attribute.header_names())
            if column is not None:
                self.attribute_columns[attribute.name] = column
            elif attribute.required:
                raise BadRequest(
                    f"no column for required attribute {attribute.name!r} "
                    f"(accepted headers: {', '.join(sorted(attribute.header_names()))})", field=attribute.name)
        self.source_column = _match(columns, SOURCE_ID_HEADERS)
        self.generated_column = _match(columns, GENERATED_HEADERS)
        self.has_geometry = "geometry" in frame.columns
        self.lon_column = self.lat_column = self.wkt_column = None
        if not self.has_geometry:
            self.lon_column, self.lat_column = _match(columns, LON_HEADERS), _match(columns, LAT_HEADERS)
            self.wkt_column = _match(columns, WKT_HEADERS)
            if not (self.lon_column and self.lat_column) and not self.wkt_column:
                raise BadRequest(
                    "no coordinates: give lon/lat columns (lon, lng, longitude, 经度 / lat, latitude, 纬度) "
                    "or a WKT column (wkt, geometry)", field="geometry")
        used = {*self.attribute_columns.values(), self.source_column, self.generated_column,
                self.lon_column, self.lat_column, self.wkt_column, "geometry"}
        self.ignored = [str(c) for c in frame.columns if c not in used]
        self.crs = crs
        self.convert = _to_wgs84(crs)
        self.geographic = _is_geographic(crs)

    def geometry(self, record: dict, errors: list[tuple[str, str, str]]) -> BaseGeometry | None:
        if self.has_geometry:
            geometry = record.get("geometry")
            if geometry is None or geometry.is_empty:
                errors.append(("geometry", "geometry is missing or empty", ""))
                return None
        elif self.lon_column and self.lat_column and not (
                self.wkt_column and not str(record.get(self.lon_column, "")).strip()):
            lon, lat = _number(record.get(self.lon_column)), _number(record.get(self.lat_column))
            for name, raw, number in (("lon", record.get(self.lon_column), lon),
                                      ("lat", record.get(self.lat_column), lat)):
                if number is None:
                    errors.append((name, "not a number", str(raw)))
            if lon is None or lat is None:
                return None
            geometry = shapely.Point(lon, lat)
        else:
            text = str(record.get(self.wkt_column) or "").strip()
            try:
                geometry = shapely.from_wkt(text) if text else None
            except shapely.errors.GEOSException:
                geometry = None
            if geometry is None or geometry.is_empty:
                errors.append(("geometry", "not a WKT geometry", text[:80]))
                return None
        if self.geographic:
            # One vertex tells a swapped file; check_geometry later bounds-checks every vertex.
            lon, lat = (float(v) for v in shapely.get_coordinates(geometry)[0])
            problem = _coordinate_problem(lon, lat)
            if problem:
                errors.append((*problem, f"{lon}, {lat}"))
                return None
        if self.convert is not None:
            geometry = shapely.transform(geometry, self.convert)
        return geometry

    def row(self, index: int, record: dict) -> tuple[Row | None, list[RowError]]:
        line = self.first_line + index
        raw = {name: record.get(column) for name, column in self.attribute_columns.items()}
        values, problems = layer_values(self.layer, raw, partial=False)
        errors = [(f, reason, _shown(raw.get(f))) for f, reason in problems]
        geometry = self.geometry(record, errors)
        if geometry is not None:
            try:
                geometry = check_geometry(self.layer, geometry)
            except BadRequest as exc:
                errors.append(("geometry", exc.message, geometry.geom_type))
        generated = False
        if self.generated_column:
            flag = str(record.get(self.generated_column) or "").strip().lower()
            generated = flag in ("true", "1", "1.0", "yes", "是")
        if errors:
            return None, [RowError(line, f, reason, value) for f, reason, value in errors]
        source_id = str(record.get(self.source_column) or "").strip() if self.source_column else ""
        if source_id.endswith(".0") and source_id[:-2].isascii() and source_id[:-2].isdigit():
            source_id = source_id[:-2]  # ids read as floats from XLSX/GDAL
        try:
            parsing.text(source_id)
        except ValueError as exc:
            return None, [RowError(line, "source_id", str(exc), _shown(source_id))]
        return Row(source_id or _stable_id(self.layer, values["name"], geometry), values, geometry, generated), []


def _shown(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else parsing.visible(str(value)[:80])


def import_file(store: Store, layer_id: str, path: str | Path, crs: str | None = None,
                dry_run: bool = False, progress: Callable | None = None, wait: bool = True,
                on_wait: Callable[[], None] | None = None, actor: str = "import") -> ImportReport:
    """Validate ``path`` against layer ``layer_id`` and upsert its good rows into ``store``.

    ``crs`` overrides the file's CRS (CSV/XLSX default to WGS 84). ``progress`` wraps an
    iterable (e.g. ``tqdm``) to show progress. Raises BadRequest when the file as a whole is
    unusable (unreadable, no coordinates, a required column missing): then nothing is written.

    A real run takes the store's write lock before it reads the file (:meth:`Store.writing`): when
    another process holds it, ``on_wait()`` is called and the import waits, or with ``wait=False``
    raises :class:`~mapservice.errors.StoreBusy` before reading anything. A dry run takes no lock.
    A real run writes one change-log entry naming ``actor`` and the file (mapservice.editing.log_import).
    """
    layer = store.layers.require(layer_id)
    if dry_run:
        return _check_file(layer, Path(path), crs, dry_run, progress)[0]
    with store.writing(on_wait, wait):
        report, rows = _check_file(layer, Path(path), crs, dry_run, progress)
        wrap = progress or (lambda iterable, **_: iterable)
        chunks = [rows[i:i + WRITE_CHUNK] for i in range(0, len(rows), WRITE_CHUNK)]
        for chunk in wrap(chunks, desc=f"write {layer_id}", unit="chunk"):
            result = store.upsert(layer_id, chunk)
            report.inserted += result.inserted
            report.updated += result.updated
        log_import(store, report, actor, Path(path).name)
    return report


def _check_file(layer: Layer, path: Path, crs: str | None, dry_run: bool,
                progress: Callable | None) -> tuple[ImportReport, list[Row]]:
    """Read and validate every row of ``path``: the report (errors, counts) and the good rows."""
    frame, file_crs, first_line = read_source(path)
    chosen = parse_crs(crs) if crs else file_crs
    reader = _Reader(layer, frame, chosen, first_line)
    report = ImportReport(layer=layer.id, source=str(path), total=len(frame), dry_run=dry_run,
                          ignored_columns=reader.ignored)
    rows: list[Row] = []
    seen: dict[str, int] = {}
    records = frame.to_dict("records")
    wrap = progress or (lambda iterable, **_: iterable)
    for index, record in enumerate(wrap(records, desc=f"check {path.name}", unit="row")):
        row, errors = reader.row(index, record)
        if row is not None and row.source_id in seen:
            errors = [RowError(first_line + index, "source_id", f"duplicate of line {seen[row.source_id]}",
                               row.source_id)]
        if errors:
            report.errors.extend(errors)
            continue
        seen[row.source_id] = first_line + index
        rows.append(row)
    return report, rows
