"""The embedded store: one GeoPackage file (opens in QGIS), read and written with sqlite3.

Each layer is a GeoPackage feature table with the standard R-tree spatial index
(``rtree_<table>_geom``), kept by the standard triggers; the ``ST_*`` functions those triggers
call are registered on every connection here (GDAL and QGIS bring their own). Point layers also
have an in-memory index (store/points.py), rebuilt when a layer's change counter (bumped by
triggers, so edits from other processes count too) moves: a KD-tree on unit-sphere vectors for
nearest search and latitude bands for box queries.
"""
from __future__ import annotations

import json
import logging
import re
import sqlite3
import struct
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from ..errors import Conflict, StoreBusy
from ..layers import ADCODE, Layer, LayerRegistry
from .accounts import TABLES as ACCOUNT_TABLES
from .accounts import AccountTables
from .base import Feature, Filter, Page, Row, Store, UpsertResult, rows_to_features, stored_names
from .bookings import TABLES as BOOKING_TABLES
from .bookings import BookingTables
from .districts import district_layer
from .points import PointIndexes
from .stewardship import TABLES as STEWARDSHIP_TABLES
from .stewardship import StewardshipTables

log = logging.getLogger(__name__)
_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")
_COLUMN_TYPES = {"text": "TEXT", "integer": "INTEGER", "number": "DOUBLE", "boolean": "BOOLEAN",
                 "code": "TEXT", "codes": "TEXT", "opening_hours": "TEXT"}
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
_HEADER = struct.Struct("<2sBBi4d")
# Reads map the file into memory, up to this size: no read() call and no copy per page, and the
# operating system's page cache is shared by every connection and worker process.
_MMAP_BYTES = 1 << 30
# How long one attempt at the write lock waits for another writer, in milliseconds.
_BUSY_MS = 5000
_RTREE_TRIGGERS = ("insert", "update1", "update2", "update3", "update4", "delete")
# Features read, coded and written back per batch when the districts change.
_ADCODE_BATCH = 10_000


def _try_begin(conn: sqlite3.Connection) -> bool:
    """BEGIN IMMEDIATE, False when another connection holds the write lock (past the busy timeout)."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        return True
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return False
        raise


def _q(name: str) -> str:
    """Quote an identifier that came from a validated layer file."""
    if not _IDENT.match(name):
        raise ValueError(f"not a layer identifier: {name!r}")
    return f'"{name}"'


def encode_geometry(geometry: BaseGeometry) -> bytes:
    """GeoPackage binary: header with SRS 4326 and an [minx, maxx, miny, maxy] envelope, then WKB."""
    minx, miny, maxx, maxy = geometry.bounds
    return _HEADER.pack(b"GP", 0, 0b011, 4326, minx, maxx, miny, maxy) + shapely.to_wkb(geometry, byte_order=1)


def _wkb_offset(blob: bytes) -> int:
    return 8 + _ENVELOPE_BYTES[(blob[3] >> 1) & 0b111]


def decode_geometry(blob: bytes) -> BaseGeometry:
    return shapely.from_wkb(blob[_wkb_offset(blob):])


def _id_list(fids) -> str:
    """Ids as the JSON array that ``json_each`` reads (the ids are whole numbers: no encoder needed)."""
    return f"[{','.join(map(str, map(int, fids)))}]"


def _decode_all(blobs: list[bytes]) -> list[BaseGeometry]:
    """Several GeoPackage geometry blobs decoded in one call."""
    return list(shapely.from_wkb([b[_wkb_offset(b):] for b in blobs])) if blobs else []


def _envelope(blob: bytes | None) -> tuple[float, float, float, float] | None:
    """(minx, maxx, miny, maxy) from a GeoPackage geometry blob, None when empty."""
    if blob is None or blob[3] & 0b10000:
        return None
    if (blob[3] >> 1) & 0b111:
        order = "<" if blob[3] & 1 else ">"
        return struct.unpack_from(order + "4d", blob, 8)
    minx, miny, maxx, maxy = decode_geometry(blob).bounds
    return minx, maxx, miny, maxy


def _envelopes(blobs: list[bytes]) -> np.ndarray:
    """(minx, maxx, miny, maxy) of each blob, as rows of an array. Blobs of one length whose headers
    carry a little-endian envelope (every point this store writes) are read in one go."""
    if blobs and all(b is not None for b in blobs):
        first = blobs[0]
        size = len(first)
        if size >= 40 and first[3] & 0b1 and (first[3] >> 1) & 0b111 and all(len(b) == size for b in blobs):
            raw = np.frombuffer(b"".join(blobs), dtype=np.uint8).reshape(-1, size)
            if (raw[:, 3] == first[3]).all():
                return raw[:, 8:40].copy().view("<f8").astype(float)
    return np.array([_envelope(b) for b in blobs], dtype=float).reshape(-1, 4)


def _register_functions(conn: sqlite3.Connection) -> None:
    for i, name in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
        conn.create_function(name, 1, lambda b, i=i: (e := _envelope(b)) and e[i], deterministic=True)
    conn.create_function("ST_IsEmpty", 1, lambda b: 1 if _envelope(b) is None else 0, deterministic=True)


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run statements one by one: executescript() would commit the open transaction."""
    statement = ""
    for part in script.split(";"):
        statement += part + ";"
        if sqlite3.complete_statement(statement):
            if statement.strip(" \n;"):
                conn.execute(statement)
            statement = ""


class GeoPackageStore(PointIndexes, Store):
    """Store on a GeoPackage file; one sqlite3 connection per thread."""

    name = "geopackage"

    def __init__(self, path: str | Path, layers: LayerRegistry):
        super().__init__(layers)
        self.path = Path(path)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._column_lists: dict[str, str] = {}
        self._init_point_indexes()
        self.bookings = BookingTables(self)
        self.accounts = AccountTables(self)
        self.stewardship = StewardshipTables(self)

    # -- connections and transactions ------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=_BUSY_MS / 1000)
            _register_functions(conn)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA mmap_size = {_MMAP_BYTES}")
            self._local.conn, self._local.depth = conn, 0
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def transaction(self):
        with self.writing():
            yield self

    @contextmanager
    def writing(self, on_wait=None, wait: bool = True):
        """The write transaction, its lock taken first: at once when the file is free; else
        ``on_wait()`` is called and this waits (``wait``) or raises :class:`StoreBusy` (not ``wait``)."""
        conn = self._conn()
        if self._local.depth:
            self._local.depth += 1
            try:
                yield self
            finally:
                self._local.depth -= 1
            return
        self._begin(conn, on_wait, wait)
        self._local.depth = 1
        try:
            yield self
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")
        finally:
            self._local.depth = 0

    def _begin(self, conn: sqlite3.Connection, on_wait, wait: bool) -> None:
        """BEGIN IMMEDIATE: the write lock (readers go on reading the WAL meanwhile)."""
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            if _try_begin(conn):
                return
        finally:
            conn.execute(f"PRAGMA busy_timeout = {_BUSY_MS}")
        if not wait:
            raise StoreBusy(f"another process is writing to {self.path.name}; try again when it has finished",
                            retry_after=5)
        if on_wait is not None:
            on_wait()
        while not _try_begin(conn):  # each attempt waits up to the busy timeout for the other's COMMIT
            pass

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    # -- schema ------------------------------------------------------------------------
    def init(self) -> None:
        conn = self._conn()
        if self._schema_is_current(conn):
            return  # nothing to create: no write lock taken, so a long import elsewhere does not stop a reader
        with self.transaction():
            conn.execute("PRAGMA application_id = 1196444487")  # 'GPKG'
            conn.execute("PRAGMA user_version = 10400")
            _run_script(conn, _GPKG_CORE)
            conn.execute(
                "INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES ('WGS 84 geodetic', 4326, 'EPSG', 4326, ?, "
                "'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')",
                (CRS.from_epsg(4326).to_wkt("WKT1_GDAL"),),
            )
            coded = [layer for layer in self.layers.values() if self._create_table(conn, layer)]
            districts = district_layer(self.layers)
            if coded and districts is not None:  # an older file: its features' codes filled in
                self._rederive_adcodes(coded, districts)
            self.bookings.init()
            self.accounts.init()
            self.stewardship.init()

    def _schema_is_current(self, conn: sqlite3.Connection) -> bool:
        """Whether every table, column, trigger and registry row :meth:`init` makes is there (read only)."""
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        needed = {"gpkg_spatial_ref_sys", "gpkg_contents", "gpkg_geometry_columns", "gpkg_extensions",
                  "mapservice_layer_version", *BOOKING_TABLES, *ACCOUNT_TABLES, *STEWARDSHIP_TABLES}
        for t, layer in self.layers.items():
            needed |= {t, f"rtree_{t}_geom", *(f"rtree_{t}_geom_{e}" for e in _RTREE_TRIGGERS),
                       *(f"mapservice_{t}_{e}" for e in ("insert", "update", "delete")),
                       *([f"{t}_{ADCODE}"] if layer.carries_adcode else [])}
        if not needed <= names or not conn.execute("SELECT 1 FROM gpkg_spatial_ref_sys WHERE srs_id = 4326").fetchone():
            return False
        for layer in self.layers.values():
            columns = {row[1] for row in conn.execute(f"PRAGMA table_info({_q(layer.id)})")}
            registered = conn.execute(
                "SELECT (SELECT count(*) FROM gpkg_contents WHERE table_name = ?) + "
                "(SELECT count(*) FROM gpkg_geometry_columns WHERE table_name = ?) + "
                "(SELECT count(*) FROM mapservice_layer_version WHERE layer_id = ?)", (layer.id,) * 3).fetchone()[0]
            if not set(stored_names(layer)) <= columns or registered != 3:
                return False
        return True

    def _create_table(self, conn: sqlite3.Connection, layer: Layer) -> bool:
        """The layer's table, its indexes and registry rows; True when it gained its adcode column
        here (new, or a file from before the column: the codes are then to be derived)."""
        t = _q(layer.id)
        columns = ", ".join(
            f"{_q(a.name)} {_COLUMN_TYPES[a.type]}{' NOT NULL' if a.required else ''}" for a in layer.attributes
        )
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {t} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "
            f"geom {layer.geometry_type.upper()} NOT NULL, source_id TEXT NOT NULL UNIQUE, "
            f"generated BOOLEAN NOT NULL DEFAULT 0, {columns})"
        )
        have = {row[1] for row in conn.execute(f"PRAGMA table_info({t})")}
        for attribute in layer.attributes:
            if attribute.name not in have:  # a layer file gained an attribute since the table was made
                conn.execute(f"ALTER TABLE {t} ADD COLUMN {_q(attribute.name)} {_COLUMN_TYPES[attribute.type]}")
        gained = layer.carries_adcode and ADCODE not in have
        if gained:
            conn.execute(f"ALTER TABLE {t} ADD COLUMN {ADCODE} TEXT")
        if layer.carries_adcode:
            conn.execute(f"CREATE INDEX IF NOT EXISTS {_q(f'{layer.id}_{ADCODE}')} ON {t} ({ADCODE})")
        conn.execute(
            "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) "
            "VALUES (?, 'features', ?, ?, 4326)", (layer.id, layer.title_zh, layer.title_en),
        )
        conn.execute("INSERT OR IGNORE INTO gpkg_geometry_columns VALUES (?, 'geom', ?, 4326, 0, 0)",
                     (layer.id, layer.geometry_type.upper()))
        conn.execute("INSERT OR IGNORE INTO mapservice_layer_version VALUES (?, 0)", (layer.id,))
        _run_script(conn, _RTREE.replace("{t}", layer.id))
        return gained

    # -- the tables that are not layers (bookings) --------------------------------------------
    _booking_types = {"serial": "INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL"}
    _booking_names = {name: f'"{name}"' for name in (*BOOKING_TABLES, *ACCOUNT_TABLES, *STEWARDSHIP_TABLES)}

    def _run(self, query: str, params: list) -> list[tuple]:
        """A statement with ``%s`` placeholders and ``{table}`` names (see store/bookings.py)."""
        try:
            return self._conn().execute(query.format(**self._booking_names).replace("%s", "?"), params).fetchall()
        except sqlite3.IntegrityError as exc:
            log.info("statement refused: %s", exc)
            raise Conflict("the change breaks a rule of the database") from None

    # -- reads -------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        conn = self._conn()
        return {lid: conn.execute(f"SELECT count(*) FROM {_q(lid)}").fetchone()[0] for lid in self.layers}

    def _columns(self, layer: Layer) -> str:
        columns = self._column_lists.get(layer.id)
        if columns is None:
            columns = ", ".join(["fid", "geom", "source_id", "generated", *map(_q, stored_names(layer))])
            self._column_lists[layer.id] = columns
        return columns

    def _to_features(self, layer: Layer, rows: list[tuple], geometries=None) -> list[Feature]:
        """Features from rows of ``_columns``: the geometries decoded in one call (or given)."""
        return rows_to_features(layer, rows, _decode_all([r[1] for r in rows]) if geometries is None else geometries,
                                flags_as_numbers=True)

    @staticmethod
    def _where(filters: list[Filter]) -> tuple[list[str], list]:
        clauses, params = [], []
        for f in filters:
            if f.contains:
                clauses.append(f"instr(';' || {_q(f.column)} || ';', ?) > 0")
                params.append(f";{f.value};")
            else:
                clauses.append(f"{_q(f.column)} = ?")
                params.append(f.value)
        return clauses, params

    def _features(self, layer, bbox, filters, limit, offset) -> Page:
        if bbox and layer.is_point and not filters:
            return self._points_in_box(layer, bbox, limit, offset)
        clauses, params = self._where(filters)
        if bbox:
            minx, miny, maxx, maxy = bbox
            # The R-tree holds float32 boxes rounded outwards; the ST_ tests make the answer exact.
            clauses.insert(0, f"fid IN (SELECT id FROM rtree_{layer.id}_geom WHERE minx <= ? AND maxx >= ? "
                              "AND miny <= ? AND maxy >= ?) AND ST_MinX(geom) <= ? AND ST_MaxX(geom) >= ? "
                              "AND ST_MinY(geom) <= ? AND ST_MaxY(geom) >= ?")
            params[:0] = [maxx, minx, maxy, miny] * 2
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        conn = self._conn()
        matched = conn.execute(f"SELECT count(*) FROM {_q(layer.id)}{where}", params).fetchone()[0]
        rows = conn.execute(
            f"SELECT {self._columns(layer)} FROM {_q(layer.id)}{where} ORDER BY fid LIMIT ? OFFSET ?",
            [*params, limit, offset],
        ).fetchall()
        return Page(self._to_features(layer, rows), matched)

    def _points_in_box(self, layer: Layer, bbox, limit: int, offset: int) -> Page:
        # On the in-memory index: no Python callback per R-tree candidate.
        return self._indexed_box(layer, bbox, limit, offset)

    def _cells(self, layer, bbox, zoom) -> list[tuple]:
        return self._indexed_cells(layer, bbox, zoom)

    def _get_many(self, layer, fids) -> list[Feature]:
        rows = self._conn().execute(
            f"SELECT {self._columns(layer)} FROM {_q(layer.id)} WHERE fid IN (SELECT value FROM json_each(?))",
            (_id_list(fids),),
        ).fetchall()
        by_id = {r[0]: r for r in rows}
        return self._to_features(layer, [by_id[f] for f in fids if f in by_id])

    def _get_layers(self, fids_by_layer) -> list[Feature]:
        # One statement for every layer: the rows padded with NULLs to the widest layer's columns.
        layers = [self.layers[layer_id] for layer_id in fids_by_layer]
        if len(layers) < 2:
            return super()._get_layers(fids_by_layer)
        width = max(len(stored_names(layer)) for layer in layers)
        rows = self._conn().execute(" UNION ALL ".join(
            f"SELECT {i}, {self._columns(layer)}{', NULL' * (width - len(stored_names(layer)))} FROM {_q(layer.id)} "
            "WHERE fid IN (SELECT value FROM json_each(?))" for i, layer in enumerate(layers)),
            [_id_list(fids) for fids in fids_by_layer.values()]).fetchall()
        geometries = _decode_all([r[2] for r in rows])
        features = []
        for i, layer in enumerate(layers):
            mine = [k for k, row in enumerate(rows) if row[0] == i]
            features += self._to_features(layer, [rows[k][1:] for k in mine], [geometries[k] for k in mine])
        return features

    def _extent(self, layer) -> tuple[float, float, float, float] | None:
        # The R-tree's boxes (float32, rounded outwards): no geometry is read.
        row = self._conn().execute(
            f"SELECT min(minx), min(miny), max(maxx), max(maxy) FROM rtree_{layer.id}_geom").fetchone()
        return None if row[0] is None else tuple(float(v) for v in row)

    def _layer_versions(self) -> dict[str, int]:
        # Every layer's change counter, in one query.
        return dict(self._conn().execute("SELECT layer_id, version FROM mapservice_layer_version").fetchall())

    def _nearest_ranked(self, searches, lon, lat, radius_m, limit):
        return self._indexed_nearest_ranked(searches, lon, lat, radius_m, limit)

    def _nearest_ids(self, layer, lon, lat, radius_m, limit, filters):
        return self._indexed_nearest_ids(layer, lon, lat, radius_m, limit, filters)

    def _in_transaction(self) -> bool:
        return self._conn().in_transaction

    def _read_points(self, layer: Layer) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = self._conn().execute(f"SELECT fid, geom FROM {_q(layer.id)} ORDER BY fid").fetchall()
        envelopes = _envelopes([r[1] for r in rows])
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)), envelopes[:, 0], envelopes[:, 2]

    def _filtered_fids(self, layer: Layer, fids: np.ndarray, filters: list[Filter]) -> np.ndarray:
        if not len(fids):
            return fids
        clauses, params = self._where(filters)
        rows = self._conn().execute(
            f"SELECT fid FROM {_q(layer.id)} WHERE fid IN (SELECT value FROM json_each(?)) AND {' AND '.join(clauses)}",
            [_id_list(fids.tolist()), *params],
        ).fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64)

    def _find_containing(self, layer, column, text, limit) -> list[Feature]:
        rows = self._conn().execute(
            f"SELECT {self._columns(layer)} FROM {_q(layer.id)} WHERE instr(lower({_q(column)}), lower(?)) > 0 "
            f"ORDER BY length({_q(column)}), fid LIMIT ?", (text, limit)).fetchall()
        return self._to_features(layer, rows)

    # -- writes ------------------------------------------------------------------------
    def _values(self, layer: Layer, values: dict) -> list:
        out = []
        for attribute in layer.attributes:
            value = values.get(attribute.name)
            out.append(";".join(value) if attribute.type == "codes" and value is not None else value)
        return out

    def _row_values(self, layer: Layer, row: Row) -> list:
        """What a row writes after geom, source_id and generated: its attributes and, on a layer that
        carries one, its adcode (in :func:`stored_names` order)."""
        return [*self._values(layer, row.properties), *([row.adcode] if layer.carries_adcode else [])]

    def _insert(self, layer, row: Row) -> int:
        self._insert_many(layer, [row])
        return self._conn().execute("SELECT last_insert_rowid()").fetchone()[0]

    def _insert_many(self, layer: Layer, rows: list[Row]) -> None:
        names = ["geom", "source_id", "generated", *stored_names(layer)]
        try:
            self._conn().executemany(
                f"INSERT INTO {_q(layer.id)} ({', '.join(map(_q, names))}) VALUES ({', '.join('?' * len(names))})",
                ([encode_geometry(r.geometry), r.source_id, r.generated, *self._row_values(layer, r)] for r in rows),
            )
        except sqlite3.IntegrityError as exc:
            if "source_id" in str(exc):
                raise Conflict(f"layer {layer.id} already has a feature with that source_id",
                               field="source_id") from None
            log.warning("layer %s: insert refused: %s", layer.id, exc)
            raise Conflict(f"the feature breaks a rule of layer {layer.id} (a required value is missing)") from None

    def _update(self, layer, fid, values, geometry, adcode) -> None:
        sets, params = [], []
        if geometry is not None:
            sets.append("geom = ?")
            params.append(encode_geometry(geometry))
            if layer.carries_adcode:
                sets.append(f"{ADCODE} = ?")
                params.append(adcode)
        encoded = dict(zip(layer.attribute_names, self._values(layer, values)))
        for name in values:
            sets.append(f"{_q(name)} = ?")
            params.append(encoded[name])
        if sets:
            self._conn().execute(f"UPDATE {_q(layer.id)} SET {', '.join(sets)} WHERE fid = ?", [*params, fid])

    def _delete(self, layer, fid) -> None:
        self._conn().execute(f"DELETE FROM {_q(layer.id)} WHERE fid = ?", (fid,))

    def _upsert(self, layer, rows) -> UpsertResult:
        # Two statements, not INSERT .. ON CONFLICT: an upsert's conflict policy would override
        # the R-tree triggers' INSERT OR REPLACE.
        conn = self._conn()
        existing = {r[0] for r in conn.execute(
            f"SELECT source_id FROM {_q(layer.id)} WHERE source_id IN (SELECT value FROM json_each(?))",
            (json.dumps([r.source_id for r in rows]),))}
        names = ["geom", "generated", *stored_names(layer)]
        conn.executemany(
            f"UPDATE {_q(layer.id)} SET {', '.join(f'{_q(n)} = ?' for n in names)} WHERE source_id = ?",
            ([encode_geometry(r.geometry), r.generated, *self._row_values(layer, r), r.source_id]
             for r in rows if r.source_id in existing),
        )
        fresh = [r for r in rows if r.source_id not in existing]
        self._insert_many(layer, fresh)
        return UpsertResult(inserted=len(fresh), updated=len(rows) - len(fresh))

    def _rederive_adcodes(self, layers, districts) -> None:
        # Batches in id order: the codes of a batch derived at once, only the rows whose code changes written.
        found = self._districts(cached=False)
        conn = self._conn()
        for layer in layers:
            t, last = _q(layer.id), 0
            while rows := conn.execute(f"SELECT fid, geom, {ADCODE} FROM {t} WHERE fid > ? ORDER BY fid LIMIT ?",
                                       (last, _ADCODE_BATCH)).fetchall():
                codes = found.codes_of(_decode_all([r[1] for r in rows]))
                conn.executemany(f"UPDATE {t} SET {ADCODE} = ? WHERE fid = ?",
                                 [(code, r[0]) for r, code in zip(rows, codes) if code != r[2]])
                last = rows[-1][0]


_GPKG_CORE = """
CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,
  organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES
  ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
  ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system');
CREATE TABLE IF NOT EXISTS gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
  identifier TEXT UNIQUE, description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
  definition TEXT NOT NULL, scope TEXT NOT NULL,
  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
CREATE TABLE IF NOT EXISTS mapservice_layer_version (layer_id TEXT PRIMARY KEY, version INTEGER NOT NULL);
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
  VALUES ('mapservice_layer_version', 'attributes', 'mapservice_layer_version', 'change counters for caches');
"""

# The GeoPackage 1.3 R-tree extension, verbatim but for the table name, plus a change counter.
_RTREE = """
CREATE VIRTUAL TABLE IF NOT EXISTS rtree_{t}_geom USING rtree(id, minx, maxx, miny, maxy);
INSERT OR IGNORE INTO gpkg_extensions VALUES ('{t}', 'geom', 'gpkg_rtree_index',
  'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
CREATE TRIGGER IF NOT EXISTS rtree_{t}_geom_insert AFTER INSERT ON "{t}"
  WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  INSERT OR REPLACE INTO rtree_{t}_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER IF NOT EXISTS rtree_{t}_geom_update1 AFTER UPDATE OF geom ON "{t}"
  WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  INSERT OR REPLACE INTO rtree_{t}_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER IF NOT EXISTS rtree_{t}_geom_update2 AFTER UPDATE OF geom ON "{t}"
  WHEN OLD.fid = NEW.fid AND (NEW.geom IS NULL OR ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_{t}_geom WHERE id = OLD.fid; END;
CREATE TRIGGER IF NOT EXISTS rtree_{t}_geom_update3 AFTER UPDATE ON "{t}"
  WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_{t}_geom WHERE id = OLD.fid;
  INSERT OR REPLACE INTO rtree_{t}_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER IF NOT EXISTS rtree_{t}_geom_update4 AFTER UPDATE ON "{t}"
  WHEN OLD.fid != NEW.fid AND (NEW.geom IS NULL OR ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_{t}_geom WHERE id IN (OLD.fid, NEW.fid); END;
CREATE TRIGGER IF NOT EXISTS rtree_{t}_geom_delete AFTER DELETE ON "{t}"
  WHEN old.geom NOT NULL BEGIN DELETE FROM rtree_{t}_geom WHERE id = OLD.fid; END;
CREATE TRIGGER IF NOT EXISTS mapservice_{t}_insert AFTER INSERT ON "{t}" BEGIN
  UPDATE mapservice_layer_version SET version = version + 1 WHERE layer_id = '{t}'; END;
CREATE TRIGGER IF NOT EXISTS mapservice_{t}_update AFTER UPDATE ON "{t}" BEGIN
  UPDATE mapservice_layer_version SET version = version + 1 WHERE layer_id = '{t}'; END;
CREATE TRIGGER IF NOT EXISTS mapservice_{t}_delete AFTER DELETE ON "{t}" BEGIN
  UPDATE mapservice_layer_version SET version = version + 1 WHERE layer_id = '{t}'; END;
"""
