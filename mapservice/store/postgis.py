"""The production store: PostgreSQL + PostGIS through psycopg 3 and a connection pool.

Layer tables hold ``geography`` columns with GiST indexes (see schema.sql). Nearest search
narrows with ``ST_DWithin`` and orders by the index-assisted KNN operator ``<->`` (great-circle),
then re-ranks by ``ST_Distance`` on the WGS 84 spheroid, the distance that is returned.
"""
from __future__ import annotations

import functools
import itertools
import logging
import re
import threading
import time
from collections.abc import Sequence
from contextlib import contextmanager
from importlib import resources

import numpy as np
import psycopg
import shapely
from psycopg import sql
from psycopg_pool import ConnectionPool, PoolTimeout
from shapely.geometry.base import BaseGeometry

from .. import clusters, tiles
from ..errors import Conflict, Unavailable
from ..layers import ADCODE, Layer, LayerRegistry
from .accounts import TABLES as ACCOUNT_TABLES
from .accounts import AccountTables
from .base import (
    Feature,
    Filter,
    Page,
    Row,
    Store,
    UpsertResult,
    ranked_ids,
    ranked_nearby,
    rows_to_features,
    stored_names,
)
from .bookings import TABLES as BOOKING_TABLES
from .bookings import BookingTables
from .districts import district_layer
from .points import PointIndexes
from .stewardship import TABLES as STEWARDSHIP_TABLES
from .stewardship import StewardshipTables

log = logging.getLogger(__name__)
_COLUMN_TYPES = {"text": "text", "integer": "bigint", "number": "double precision", "boolean": "boolean",
                 "code": "text", "codes": "text", "opening_hours": "text"}
#: How an attribute read as text (PostGISStore._keyed_sql) gets its type back; text types stay.
_FROM_TEXT = {"integer": int, "number": float, "boolean": lambda text: text == "true"}
# <-> ranks on the sphere; take this many extra rows before re-ranking on the spheroid.
_RERANK_MARGIN = 16
#: Point layers up to this size are held in memory for nearest search and boxes (store/points.py:
#: ~0.1 s to read per 100k points, again after each write to the layer); bigger ones are answered
#: in SQL, by the KNN walk of the geography index and the index-only scan of ``lonlat``.
MEMORY_POINTS_MAX = 250_000
#: The statement trigger on every layer table that bumps the layer's change counter.
_VERSION_TRIGGER = "mapservice_layer_version"


def _statements() -> dict[str, str]:
    text = resources.files(__package__).joinpath("schema.sql").read_text(encoding="utf-8")
    parts = re.split(r"^-- name: (\w+)\n", text, flags=re.M)
    return {name: body.strip() for name, body in zip(parts[1::2], parts[2::2])}


# -- connections: how long anything waits for the database, and what happens when it is away ----------
#: A request waits at most this long for a pooled connection before it is answered 503.
POOL_WAIT_S = 1.0
#: Connecting gives up after this long (an unreachable host, not a refused port, is what takes time).
CONNECT_TIMEOUT_S = 2
#: The pool gives up one reconnection attempt (with its backoff) after this long; the next request that
#: finds no connection starts a new attempt at once, so recovery never waits out a long backoff.
RECONNECT_S = 2.0
#: What a client should wait before asking again while the database is away.
RETRY_AFTER_S = 2


#: While the database is known to be away, one request per this many seconds waits for a connection (and
#: so makes the pool try again); the others are answered 503 at once instead of each waiting POOL_WAIT_S.
PROBE_S = 0.5
#: ... and for a read replica, whose reads go elsewhere meanwhile: one probe per this many seconds.
REPLICA_PROBE_S = 5.0


class _Dropped(Unavailable):
    """The server dropped a connection that was in use (a restart): a read may run again."""


def _away() -> Unavailable:
    return Unavailable("the database is not answering; try again shortly", retry_after=RETRY_AFTER_S)


class Pool:
    """A psycopg pool that opens in the background (nothing here waits for the server) and tells a
    database that is away quickly: :class:`Unavailable` (503) after at most :data:`POOL_WAIT_S`, and
    at once for all but one request per :data:`PROBE_S` while it stays away. One per database; a
    read replica would get its own."""

    def __init__(self, url: str, size: int, probe_s: float = PROBE_S):
        self._probe_s = probe_s
        self._pool = ConnectionPool(url, min_size=1, max_size=size, open=True, timeout=POOL_WAIT_S,
                                    reconnect_timeout=RECONNECT_S,
                                    kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_S})
        self._away = False
        self._probed = 0.0
        self._lock = threading.Lock()

    def _gate(self) -> None:
        if not self._away:
            return
        with self._lock:
            now = time.monotonic()
            if now - self._probed < self._probe_s:
                raise _away()
            self._probed = now

    @contextmanager
    def connection(self):
        """A connection for the block; connection failures as :class:`Unavailable`, naming no library,
        host or password (the log gets the kind of failure)."""
        self._gate()
        try:
            with self._pool.connection() as conn:
                self._away = False
                yield conn
        except PoolTimeout:
            self._away = True
            self._probed = time.monotonic()  # the next probe waits its interval from this failure
            log.warning("no PostgreSQL connection within %.1f s", POOL_WAIT_S)
            raise _away() from None
        except psycopg.OperationalError as exc:
            log.warning("PostgreSQL connection failed: %s", type(exc).__name__)
            raise _Dropped(_away().message, retry_after=RETRY_AFTER_S) from None

    def check(self) -> None:
        """Drop the idle connections the server no longer knows (after a restart they all are)."""
        self._pool.check()

    def close(self) -> None:
        self._pool.close()


def _read(method):
    """A read: on a read replica when there are any (the next one in turn, the others and then the
    primary when it is away), else on the primary. When the server dropped the connection under it (a
    restart), the pool's idle connections are checked (the others are stale too) and the read runs once
    more, on a fresh one. Inside a transaction it runs on the transaction's connection (the primary)."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if getattr(self._local, "conn", None) is not None or getattr(self._local, "pool", None) is not None:
            return method(self, *args, **kwargs)  # part of a transaction or of another read: not ours to repeat
        pools = self._read_pools()
        for pool in pools:
            self._local.pool = pool
            try:
                try:
                    return method(self, *args, **kwargs)
                except _Dropped:
                    pool.check()
                    return method(self, *args, **kwargs)
            except Unavailable:
                if pool is pools[-1]:
                    raise
                log.warning("a read replica is not answering; reading elsewhere")
            finally:
                self._local.pool = None

    return wrapper


class PostGISStore(PointIndexes, Store):
    """Store on PostGIS; ``schema`` keeps several data sets (or test runs) apart in one database."""

    name = "postgis"

    def __init__(self, url: str, layers: LayerRegistry, schema: str = "public", pool_size: int = 8,
                 read_urls: Sequence[str] = ()):
        super().__init__(layers)
        self.schema = schema
        self._pool = Pool(url, pool_size)
        #: Streaming replicas that take the reads (features, nearby, tiles, OGC, coverage), in turn.
        self._replicas = [Pool(read_url, pool_size, REPLICA_PROBE_S) for read_url in read_urls]
        self._turn = itertools.count()
        self._init_point_indexes()
        self._get_many_queries: dict[str, str] = {}
        self._keyed_queries: dict[tuple, str] = {}
        self._local = threading.local()
        self.bookings = BookingTables(self)
        self.accounts = AccountTables(self)
        self.stewardship = StewardshipTables(self)
        self._booking_names = {name: sql.Identifier(schema, name).as_string(None)
                               for name in (*BOOKING_TABLES, *ACCOUNT_TABLES, *STEWARDSHIP_TABLES)}

    def _t(self, layer_id: str) -> sql.Identifier:
        return sql.Identifier(self.schema, layer_id)

    def _read_pools(self) -> list[Pool]:
        """Where a read may run, in the order to try: this thread's replica, the other replicas, then the
        primary (the primary alone without replicas). Threads are dealt replicas in turn and keep theirs,
        so one request's reads (a change counter, then the rows it keys) see one replica's replay."""
        if not self._replicas:
            return [self._pool]
        start = getattr(self._local, "replica", None)
        if start is None:
            start = self._local.replica = next(self._turn) % len(self._replicas)
        return [*self._replicas[start:], *self._replicas[:start], self._pool]

    @contextmanager
    def _connection(self):
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            yield conn
            return
        with (getattr(self._local, "pool", None) or self._pool).connection() as conn:
            yield conn

    @contextmanager
    def transaction(self):
        if getattr(self._local, "conn", None) is not None:
            yield self
            return
        with self._pool.connection() as conn, conn.transaction():
            self._local.conn = conn
            try:
                yield self
            finally:
                self._local.conn = None

    @contextmanager
    def on_primary(self):
        if getattr(self._local, "conn", None) is not None or getattr(self._local, "pool", None) is not None:
            yield self  # in a transaction (the primary already) or inside a read
            return
        self._local.pool = self._pool
        try:
            yield self
        finally:
            self._local.pool = None

    def close(self) -> None:
        for pool in (self._pool, *self._replicas):
            pool.close()

    def _execute(self, query, params=None) -> list[tuple]:
        with self._connection() as conn, conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall() if cur.description else []

    # -- schema ------------------------------------------------------------------------
    def init(self) -> None:
        if self._schema_is_current():
            return  # no DDL: ALTER TABLE would wait for (and then block) any long import on the table
        statements = _statements()
        with self.transaction():
            coded = {row[0] for row in self._execute(
                "SELECT table_name FROM information_schema.columns WHERE table_schema = %s AND column_name = %s",
                [self.schema, ADCODE])}
            if not self._execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'"):
                self._execute(statements["extension"])
            self._execute(sql.SQL(statements["schema"]).format(schema=sql.Identifier(self.schema)))
            names = {"versions": sql.Identifier(self.schema, "mapservice_layer_version"),
                     "bump": sql.Identifier(self.schema, "mapservice_bump_layer_version")}
            self._execute(sql.SQL(statements["layer_versions"]).format(**names))
            for layer in self.layers.values():
                columns = sql.SQL("").join(
                    sql.SQL(", {} {}{}").format(
                        sql.Identifier(a.name), sql.SQL(_COLUMN_TYPES[a.type]),
                        sql.SQL(" NOT NULL" if a.required else ""))
                    for a in layer.attributes)
                self._execute(sql.SQL(statements["layer_table"]).format(
                    table=self._t(layer.id), geometry_type=sql.SQL(layer.geometry_type), columns=columns,
                    geography_index=sql.Identifier(f"{layer.id}_geom_gist"),
                    geometry_index=sql.Identifier(f"{layer.id}_geom_geometry_gist")))
                for attribute in layer.attributes:  # a layer file may have gained attributes
                    self._execute(sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} {}").format(
                        self._t(layer.id), sql.Identifier(attribute.name), sql.SQL(_COLUMN_TYPES[attribute.type])))
                if layer.is_point:
                    self._execute(sql.SQL(statements["point_column"]).format(
                        table=self._t(layer.id), index=sql.Identifier(f"{layer.id}_lonlat_gist")))
                if layer.carries_adcode:
                    self._execute(sql.SQL(statements["adcode_column"]).format(
                        table=self._t(layer.id), index=sql.Identifier(f"{layer.id}_{ADCODE}")))
                self._execute(sql.SQL(statements["layer_version_trigger"]).format(
                    **names, table=self._t(layer.id), layer_id=sql.Literal(layer.id),
                    trigger=sql.Identifier(_VERSION_TRIGGER)))
            gained = [layer for layer in self.layers.values() if layer.carries_adcode and layer.id not in coded]
            districts = district_layer(self.layers)
            if gained and districts is not None:  # tables from before the column: their codes filled in
                self._rederive_adcodes(gained, districts)
            self.bookings.init()
            self.accounts.init()
            self.stewardship.init()

    # -- the tables that are not layers (bookings) --------------------------------------------
    _booking_types = {"serial": "bigserial PRIMARY KEY"}

    def _run(self, query: str, params: list) -> list[tuple]:
        """A statement with ``%s`` placeholders and ``{table}`` names (see store/bookings.py)."""
        try:
            return self._execute(query.format(**self._booking_names), params)
        except (psycopg.errors.UniqueViolation, psycopg.errors.CheckViolation) as exc:
            log.info("statement refused: %s", exc.diag.constraint_name)
            raise Conflict("the change breaks a rule of the database") from None

    def _schema_is_current(self) -> bool:
        """Whether every table, column and index :meth:`init` makes is there (read only)."""
        rows = self._execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = %s "
            "UNION ALL SELECT tablename, indexname FROM pg_indexes WHERE schemaname = %s", [self.schema] * 2)
        have: dict[str, set] = {}
        for table, name in rows:
            have.setdefault(table, set()).add(name)
        triggers = {row[0] for row in self._execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = %s AND t.tgname = %s", [self.schema, _VERSION_TRIGGER])}
        versions = {row[0] for row in self._execute(sql.SQL("SELECT layer_id FROM {}").format(
            sql.Identifier(self.schema, "mapservice_layer_version")))} if "mapservice_layer_version" in have else set()
        return all({"fid", "source_id", "generated", "geom", f"{layer.id}_geom_gist", f"{layer.id}_geom_geometry_gist",
                    *stored_names(layer), *((["lonlat", f"{layer.id}_lonlat_gist"]) if layer.is_point else []),
                    *([f"{layer.id}_{ADCODE}"] if layer.carries_adcode else [])}
                   <= have.get(layer.id, set()) for layer in self.layers.values()) \
            and all(table in have for table in (*BOOKING_TABLES, *ACCOUNT_TABLES, *STEWARDSHIP_TABLES)) \
            and set(self.layers) <= triggers and set(self.layers) <= versions

    # -- reads -------------------------------------------------------------------------
    @_read
    def counts(self) -> dict[str, int]:
        query = sql.SQL(" UNION ALL ").join(
            sql.SQL("SELECT {}, count(*) FROM {}").format(sql.Literal(lid), self._t(lid)) for lid in self.layers)
        found = dict(self._execute(query))
        return {lid: found[lid] for lid in self.layers}

    @_read
    def _layer_versions(self) -> dict[str, int]:
        return self._versions_from(self._execute(*self._versions_sql()))

    @functools.cached_property
    def _versions_query(self) -> str:
        # By key: a table that a long import once swelled (a dead row per bump) is not scanned whole.
        return sql.SQL("SELECT layer_id, version FROM {} WHERE layer_id = ANY(%s)").format(
            sql.Identifier(self.schema, "mapservice_layer_version")).as_string(None)

    def _versions_sql(self) -> tuple[str, list]:
        return self._versions_query, [list(self.layers)]

    @staticmethod
    def _versions_from(rows) -> dict[str, int]:
        return {layer_id: int(version) for layer_id, version in rows}

    def _checked_reads(self, assumed: dict[str, int], layer_ids, fids_by_layer) -> list[Feature] | None:
        """The features of ``fids_by_layer`` (ids of layers of ``layer_ids``) read in the statement
        that reads the change counters, or None when a layer of ``layer_ids`` has moved from
        ``assumed`` (what the ids were picked by): a read from the points in memory then costs one
        round trip, not two. The counters read become the request's (one_view), as a read of them
        would."""
        # Every layer of layer_ids in layer-file order, with or without ids: one statement per set
        # of layers searched, which psycopg then prepares, not one per order and subset of hits.
        wanted = set(layer_ids)
        fids_by_layer = {layer_id: list(fids_by_layer.get(layer_id, ())) for layer_id in self.layers
                         if layer_id in wanted}
        rows = self._execute(self._keyed_sql(tuple(fids_by_layer), counters=True),
                             [*self._versions_sql()[1], *fids_by_layer.values()])
        versions = self._versions_from((r[3], r[1]) for r in rows if r[0] < 0)
        self._saw_versions(versions)
        if any(versions.get(layer_id) != assumed.get(layer_id) for layer_id in wanted):
            return None
        return self._keyed_features(fids_by_layer, rows)

    @_read
    def _extent(self, layer) -> tuple[float, float, float, float] | None:
        row = self._execute(sql.SQL(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom::geometry) AS e "
            "FROM {}) extent").format(self._t(layer.id)))[0]
        return None if row[0] is None else tuple(float(v) for v in row)

    @_read
    def _tile(self, layer, z, x, y) -> bytes:
        # ST_AsMVTGeom clips to the tile and its buffer and snaps to the grid; the && on the
        # geometry index finds the candidates (the same lon/lat box the embedded store reads).
        attributes = sql.SQL("").join(
            sql.SQL(", {}").format(sql.Identifier(a.name)) for a in layer.attributes)
        # Web Mercator ends at ~85.05 degrees: an outline reaching a pole is cut there before projecting.
        geometry = sql.SQL("geom::geometry" if layer.is_point else
                           f"ST_ClipByBox2D(geom::geometry, ST_MakeEnvelope(-180, {-tiles.MAX_LAT}, 180, "
                           f"{tiles.MAX_LAT}, 4326))")
        kept = self._thinned(layer, z, x, y)
        if kept is not None:  # a low-zoom overview: the points picked, by key
            where, params = sql.SQL("fid = ANY(%s)"), [kept]
        else:
            where, params = sql.SQL("geom::geometry && ST_MakeEnvelope(%s, %s, %s, %s, 4326)"), \
                list(tiles.query_box(z, x, y))
        query = sql.SQL(
            "SELECT ST_AsMVT(t, {name}, {extent}, 'geom', 'fid') FROM ("
            "SELECT fid, ST_AsMVTGeom(ST_Transform({geometry}, 3857), ST_TileEnvelope(%s, %s, %s), "
            "{extent}, {buffer}, true) AS geom, generated{attributes} FROM {table} "
            "WHERE {where} ORDER BY fid LIMIT {most}) t"
        ).format(geometry=geometry, name=sql.Literal(layer.id), extent=sql.Literal(tiles.EXTENT),
                 buffer=sql.Literal(tiles.BUFFER), attributes=attributes, table=self._t(layer.id), where=where,
                 most=sql.Literal(tiles.MAX_FEATURES))
        return bytes(self._execute(query, [z, x, y, *params])[0][0] or b"")

    def _columns(self, layer: Layer) -> sql.Composable:
        return sql.SQL(", ").join([sql.SQL("fid, ST_AsBinary(geom), source_id, generated"),
                                   *map(sql.Identifier, stored_names(layer))])

    def _to_features(self, layer: Layer, rows: list[tuple]) -> list[Feature]:
        geometries = shapely.from_wkb([bytes(r[1]) for r in rows]) if rows else ()
        return rows_to_features(layer, rows, geometries, flags_as_numbers=False)

    @staticmethod
    def _where(filters: list[Filter]) -> tuple[list[sql.Composable], list]:
        clauses, params = [], []
        for f in filters:
            if f.contains:
                clauses.append(sql.SQL("strpos(';' || {} || ';', %s) > 0").format(sql.Identifier(f.column)))
                params.append(f";{f.value};")
            else:
                clauses.append(sql.SQL("{} = %s").format(sql.Identifier(f.column)))
                params.append(f.value)
        return clauses, params

    @staticmethod
    def _box_clause(bbox) -> tuple[sql.Composable, list]:
        """Features whose bounding box meets ``bbox``, exactly: && finds candidates on the index,
        whose float4 boxes are rounded outwards (up to ~1 m at these longitudes); the double-precision
        bounds then decide, as the GeoPackage store's do."""
        minx, miny, maxx, maxy = bbox
        clause = sql.SQL(
            "geom::geometry && ST_MakeEnvelope(%s, %s, %s, %s, 4326) AND ST_XMin(geom::geometry) <= %s "
            "AND ST_XMax(geom::geometry) >= %s AND ST_YMin(geom::geometry) <= %s AND ST_YMax(geom::geometry) >= %s")
        return clause, [minx, miny, maxx, maxy, maxx, minx, maxy, miny]

    @_read
    def _features(self, layer, bbox, filters, limit, offset) -> Page:
        if bbox and layer.is_point and not filters:
            return self._points_in_box(layer, bbox, limit, offset)
        clauses, params = self._where(filters)
        if bbox:
            box, box_params = self._box_clause(bbox)
            clauses.insert(0, box)
            params[:0] = box_params
        where = sql.SQL(" WHERE ") + sql.SQL(" AND ").join(clauses) if clauses else sql.SQL("")
        with self._connection() as conn:
            matched = conn.execute(sql.SQL("SELECT count(*) FROM {}{}").format(self._t(layer.id), where),
                                   params).fetchone()[0]
            rows = conn.execute(sql.SQL("SELECT {} FROM {}{} ORDER BY fid LIMIT %s OFFSET %s").format(
                self._columns(layer), self._t(layer.id), where), [*params, limit, offset]).fetchall()
        return Page(self._to_features(layer, rows), matched)

    def _points_in_box(self, layer: Layer, bbox, limit: int, offset: int) -> Page:
        assumed = self._assumed_versions()
        held = None if assumed is None else self._point_index(layer, assumed.get(layer.id), held_only=True)
        if held is not None:  # as _nearest_features: one round trip
            ids, matched = self._box_page(held, bbox, limit, offset)
            features = self._checked_reads(assumed, [layer.id], {layer.id: ids})
            if features is not None:
                return Page(features, matched)
        page = self._indexed_box(layer, bbox, limit, offset)
        return page if page is not None else self._points_in_box_sql(layer, bbox, limit, offset)

    def _points_in_box_sql(self, layer: Layer, bbox, limit: int, offset: int) -> Page:
        """A box over a point layer from the ``lonlat`` index alone: the matches counted and the page's
        ids picked by an index-only scan (the box test made exact in double precision, edges included,
        as the GeoPackage's), then only the page's rows read."""
        minx, miny, maxx, maxy = bbox
        where = sql.SQL(
            " FROM {} WHERE lonlat <@ box(point(%s, %s), point(%s, %s)) AND lonlat[0] >= %s AND lonlat[0] <= %s "
            "AND lonlat[1] >= %s AND lonlat[1] <= %s").format(self._t(layer.id))
        params = [minx, miny, maxx, maxy, minx, maxx, miny, maxy]
        # One round trip: the page's ids and the count from the index, then those rows by key.
        rows = self._execute(
            sql.SQL("WITH page AS (SELECT fid AS page_fid, count(*) OVER () AS matched") + where
            + sql.SQL(" ORDER BY fid LIMIT %s OFFSET %s) SELECT {}, page.matched FROM page JOIN {} ON fid = page_fid "
                      "ORDER BY fid").format(self._columns(layer), self._t(layer.id)), [*params, limit, offset])
        if rows:
            matched = rows[0][-1]
        else:
            matched = self._execute(sql.SQL("SELECT count(*)") + where, params)[0][0] if offset else 0
        return Page(self._to_features(layer, [r[:-1] for r in rows]), matched)

    def _get_many_sql(self, layer: Layer) -> str:
        # Composed once per layer, as text: reads by key are the hot path, and a composed query is
        # put together again at every execution (a quarter of a nearby read's time in psycopg).
        query = self._get_many_queries.get(layer.id)
        if query is None:
            query = self._get_many_queries[layer.id] = sql.SQL("SELECT {} FROM {} WHERE fid = ANY(%s)").format(
                self._columns(layer), self._t(layer.id)).as_string(None)
        return query

    def _keyed_sql(self, layer_ids: tuple[str, ...], counters: bool) -> str:
        """One statement for the rows of several layers by key (a ``%s`` per layer: its ids), kept as
        text per (layers, counters). UNION ALL wants one row type: each layer's part is tagged with
        its position and gives its attributes as text, padded with NULLs to the widest layer
        (:meth:`_keyed_features` types them again). With ``counters`` the change counters (first
        ``%s``: layer ids) come too, as rows of part -1, the version where fid is and the layer id
        where source_id is. One statement costs half the CPU of a pipeline of one per layer
        and one for the counters (psycopg's work per statement; 0.25 ms of a nearby search)."""
        key = (layer_ids, counters)
        query = self._keyed_queries.get(key)
        if query is None:
            layers = [self.layers[layer_id] for layer_id in layer_ids]
            width = max((len(stored_names(layer)) for layer in layers), default=0)

            def nulls(count: int) -> sql.Composable:
                return sql.SQL(", NULL::text" * count)

            parts = [sql.SQL("SELECT {}, fid, ST_AsBinary(geom), source_id, generated{}{} FROM {} "
                             "WHERE fid = ANY(%s)").format(
                sql.Literal(i), sql.SQL("").join(sql.SQL(", {}::text").format(sql.Identifier(name))
                                                 for name in stored_names(layer)),
                nulls(width - len(stored_names(layer))), self._t(layer.id)) for i, layer in enumerate(layers)]
            if counters:
                parts.insert(0, sql.SQL("SELECT -1, version, NULL::bytea, layer_id, NULL::boolean{} FROM {} "
                                        "WHERE layer_id = ANY(%s)").format(
                    nulls(width), sql.Identifier(self.schema, "mapservice_layer_version")))
            query = self._keyed_queries[key] = sql.SQL(" UNION ALL ").join(parts).as_string(None)
        return query

    def _keyed_features(self, fids_by_layer, rows: list[tuple]) -> list[Feature]:
        """The features in the rows of :meth:`_keyed_sql`, layer by layer and in each layer's order
        of ids, their attributes given back their types (PostgreSQL's text of a double is the
        shortest that reads back the same)."""
        features = []
        for i, (layer_id, fids) in enumerate(fids_by_layer.items()):
            layer = self.layers[layer_id]
            typed = [_FROM_TEXT.get(a.type) for a in layer.attributes]
            mine = [(*r[1:5], *(v if v is None or f is None else f(v) for f, v in zip(typed, r[5:])),
                     *r[5 + len(typed):5 + len(stored_names(layer))]) for r in rows if r[0] == i]
            features += self._in_order(layer, fids, mine)
        return features

    def _in_order(self, layer: Layer, fids, rows: list[tuple]) -> list[Feature]:
        by_id = {r[0]: r for r in rows}
        return self._to_features(layer, [by_id[f] for f in fids if f in by_id])

    @_read
    def _get_many(self, layer, fids) -> list[Feature]:
        return self._in_order(layer, fids, self._execute(self._get_many_sql(layer), [list(fids)]))

    @_read
    def _get_layers(self, fids_by_layer) -> list[Feature]:
        if len(fids_by_layer) < 2:
            return super()._get_layers(fids_by_layer)
        return self._keyed_features(fids_by_layer, self._execute(
            self._keyed_sql(tuple(fids_by_layer), counters=False), list(map(list, fids_by_layer.values()))))

    @_read
    def _nearest_features(self, searches, lon, lat, radius_m, limit):
        # From the points held at the counters last read, their rows read with the counters: one
        # round trip; when a layer has moved since (or is not held), as every store does: two.
        assumed = self._assumed_versions()
        ranked = None if assumed is None else self._indexed_nearest_ranked(
            searches, lon, lat, radius_m, limit, assumed)
        if ranked is not None:
            wanted = ranked_ids(ranked)
            features = self._checked_reads(assumed, [layer.id for layer, _ in searches], wanted)
            if features is not None:
                return ranked_nearby(ranked, features)
        return super()._nearest_features(searches, lon, lat, radius_m, limit)

    @_read
    def _cells(self, layer, bbox, zoom) -> list[tuple]:
        cells = self._indexed_cells(layer, bbox, zoom)
        return cells if cells is not None else self._cells_sql(layer, bbox, zoom)

    def _cells_sql(self, layer, bbox, zoom) -> list[tuple]:
        # mapservice.clusters.cell_index in SQL, over the lonlat index (an index-only scan of the box).
        s = clusters.cells_per_degree(zoom)
        lat = f"least(greatest(lonlat[1], {-clusters.MAX_LAT}), {clusters.MAX_LAT})"
        minx, miny, maxx, maxy = bbox
        return self._execute(sql.SQL(
            "SELECT floor((lonlat[0] + 180) * %s)::bigint AS i, "
            f"floor((1 - asinh(tan(radians({lat}))) / pi()) / 2 * 360 * %s)::bigint AS j, count(*), "
            "sum(lonlat[0]), sum(lonlat[1]), min(lonlat[0]), min(lonlat[1]), max(lonlat[0]), max(lonlat[1]), min(fid) "
            "FROM {} WHERE lonlat <@ box(point(%s, %s), point(%s, %s)) AND lonlat[0] >= %s AND lonlat[0] <= %s "
            "AND lonlat[1] >= %s AND lonlat[1] <= %s GROUP BY 1, 2").format(self._t(layer.id)),
            [s, s, minx, miny, maxx, maxy, minx, maxx, miny, maxy])

    def _nearest_sql(self, layer: Layer, filters: list[Filter], lon: float, lat: float, radius_m: float, limit: int):
        """``(layer id, fid, distance)`` of the ``limit`` nearest within ``radius_m`` of (lon, lat).

        The index walks the features in distance order (KNN, ``<->``) inside the radius's box
        (``&&`` with ``_ST_Expand``, the index condition of ``ST_DWithin`` itself) and stops after
        ``limit`` plus a margin, which the spheroid's distance then ranks and ``ST_DWithin`` cuts at
        the radius. Written with ``ST_DWithin`` inside, the planner reckons a few matches where a dense
        town holds thousands, sorts every one of them and compiles the plan (JIT): 84-153 ms instead
        of 1-2 ms in the old town at 100k points per layer. The point is written out at each use: a
        common table expression named by every layer's part would be materialized, and the index
        cannot walk in the order of a value it learns at run time."""
        clauses, params = self._where(filters)
        extra = sql.SQL("").join(sql.SQL(" AND ") + c for c in clauses)
        point = sql.SQL("ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography")
        query = sql.SQL(
            "SELECT {layer_id}::text, fid, distance FROM (SELECT t.fid, t.geom, ST_Distance(t.geom, {pt}) AS distance "
            "FROM {table} t WHERE t.geom && _ST_Expand({pt}, %s){extra} ORDER BY t.geom <-> {pt} LIMIT %s) ranked "
            "WHERE ST_DWithin(geom, {pt}, %s) ORDER BY distance, fid LIMIT %s"
        ).format(layer_id=sql.Literal(layer.id), table=self._t(layer.id), extra=extra, pt=point)
        return query, [lon, lat, lon, lat, radius_m, *params, lon, lat, limit + _RERANK_MARGIN, lon, lat, radius_m,
                       limit]

    # -- points in memory (store/points.py) ---------------------------------------------
    def _in_transaction(self) -> bool:
        return getattr(self._local, "conn", None) is not None

    def _read_points(self, layer: Layer):
        # None inside a transaction whose writes moved the counter past what is held: its reads see
        # its own writes in SQL (reading every point for one search would cost more, and they could
        # not be kept). Else read on the connection of the read that asked (the replica whose change
        # counter keys them).
        if self._in_transaction():
            return None
        if self._execute(sql.SQL("SELECT count(*) FROM {}").format(self._t(layer.id)))[0][0] > MEMORY_POINTS_MAX:
            return None
        rows = self._execute(sql.SQL("SELECT fid, lonlat[0], lonlat[1] FROM {} ORDER BY fid").format(
            self._t(layer.id)))
        table = np.array(rows, dtype=np.float64).reshape(-1, 3)
        return table[:, 0].astype(np.int64), table[:, 1].copy(), table[:, 2].copy()

    def _filtered_fids(self, layer: Layer, fids: np.ndarray, filters: list[Filter]) -> np.ndarray:
        if not len(fids):
            return fids
        clauses, params = self._where(filters)
        rows = self._execute(sql.SQL("SELECT fid FROM {} WHERE fid = ANY(%s) AND {}").format(
            self._t(layer.id), sql.SQL(" AND ").join(clauses)), [fids.tolist(), *params])
        return np.array([r[0] for r in rows], dtype=np.int64)

    @_read
    def warm(self) -> None:
        PointIndexes.warm(self)

    @_read
    def _nearest_ids(self, layer, lon, lat, radius_m, limit, filters):
        found = self._indexed_nearest_ids(layer, lon, lat, radius_m, limit, filters)
        if found is not None:
            return found
        query, params = self._nearest_sql(layer, filters, lon, lat, radius_m, limit)
        rows = self._execute(query, params)
        return [r[1] for r in rows], [r[2] for r in rows]

    @_read
    def _nearest_ranked(self, searches, lon, lat, radius_m, limit):
        found = self._indexed_nearest_ranked(searches, lon, lat, radius_m, limit)
        if found is not None:
            return found
        # Every layer's search in one statement, one round trip.
        parts, params = [], []
        for layer, filters in searches:
            query, more = self._nearest_sql(layer, filters, lon, lat, radius_m, limit)
            parts.append(sql.SQL("({})").format(query))
            params += more
        if not parts:
            return []
        rows = self._execute(sql.SQL(" UNION ALL ").join(parts), params)
        return sorted((float(d), layer_id, int(fid)) for layer_id, fid, d in rows)[:limit]

    @_read
    def _find_containing(self, layer, column, text, limit) -> list[Feature]:
        rows = self._execute(sql.SQL(
            "SELECT {} FROM {} WHERE strpos(lower({col}), lower(%s)) > 0 ORDER BY length({col}), fid LIMIT %s"
        ).format(self._columns(layer), self._t(layer.id), col=sql.Identifier(column)), [text, limit])
        return self._to_features(layer, rows)

    # -- writes ------------------------------------------------------------------------
    def _values(self, layer: Layer, values: dict) -> list:
        return [";".join(v) if a.type == "codes" and v is not None else v
                for a, v in ((a, values.get(a.name)) for a in layer.attributes)]

    def _insert_sql(self, layer: Layer) -> sql.Composable:
        names = [sql.Identifier(n) for n in ("source_id", "generated", *stored_names(layer))]
        return sql.SQL("INSERT INTO {} (geom, {}) VALUES (ST_GeomFromWKB(%s, 4326)::geography, {}) RETURNING fid"
                       ).format(self._t(layer.id), sql.SQL(", ").join(names),
                                sql.SQL(", ").join(sql.Placeholder() * len(names)))

    def _params(self, layer: Layer, row: Row) -> list:
        return [shapely.to_wkb(row.geometry), row.source_id, row.generated, *self._values(layer, row.properties),
                *([row.adcode] if layer.carries_adcode else [])]

    def _insert(self, layer, row: Row) -> int:
        try:
            return self._execute(self._insert_sql(layer), self._params(layer, row))[0][0]
        except psycopg.errors.UniqueViolation:
            raise Conflict(f"layer {layer.id} already has a feature with that source_id", field="source_id") from None

    def _update(self, layer, fid, values, geometry: BaseGeometry | None, adcode: str | None) -> None:
        sets, params = [], []
        if geometry is not None:
            sets.append(sql.SQL("geom = ST_GeomFromWKB(%s, 4326)::geography"))
            params.append(shapely.to_wkb(geometry))
            if layer.carries_adcode:
                sets.append(sql.SQL("{} = %s").format(sql.Identifier(ADCODE)))
                params.append(adcode)
        encoded = dict(zip(layer.attribute_names, self._values(layer, values)))
        for name in values:
            sets.append(sql.SQL("{} = %s").format(sql.Identifier(name)))
            params.append(encoded[name])
        if sets:
            self._execute(sql.SQL("UPDATE {} SET {} WHERE fid = %s").format(
                self._t(layer.id), sql.SQL(", ").join(sets)), [*params, fid])

    def _delete(self, layer, fid) -> None:
        self._execute(sql.SQL("DELETE FROM {} WHERE fid = %s").format(self._t(layer.id)), [fid])

    def _upsert(self, layer, rows) -> UpsertResult:
        result = UpsertResult()
        if not rows:
            return result
        # One statement for the batch (its source_ids are distinct), one column array each: the layer's
        # statement trigger bumps the change counter once, not once per row (a row per bump that no
        # one may prune until the import commits: 400,000 of them made that 7-row table 11 MB).
        names = [sql.Identifier(n) for n in ("source_id", "generated", *stored_names(layer))]
        types = ["text", "boolean", *(_COLUMN_TYPES[a.type] for a in layer.attributes),
                 *(["text"] if layer.carries_adcode else [])]
        columns = list(zip(*(self._params(layer, r) for r in rows)))
        query = sql.SQL(
            "INSERT INTO {table} (geom, {names}) SELECT ST_GeomFromWKB(g, 4326)::geography, {values} "
            "FROM unnest(%s::bytea[], {arrays}) AS u(g, {values}) "
            "ON CONFLICT (source_id) DO UPDATE SET {updates} RETURNING (xmax = 0)"
        ).format(table=self._t(layer.id), names=sql.SQL(", ").join(names),
                 values=sql.SQL(", ").join(sql.Identifier(f"c{i}") for i in range(len(names))),
                 arrays=sql.SQL(", ").join(sql.SQL(f"%s::{t}[]") for t in types),
                 updates=sql.SQL(", ").join(sql.SQL("{0} = excluded.{0}").format(n)
                                            for n in [sql.Identifier("geom"), *names[1:]]))
        for (inserted,) in self._execute(query, [list(c) for c in columns]):
            if inserted:
                result.inserted += 1
            else:
                result.updated += 1
        return result

    def _rederive_adcodes(self, layers, districts) -> None:
        query = _statements()["rederive_adcode"]
        for layer in layers:
            self._execute(sql.SQL(query).format(table=self._t(layer.id), districts=self._t(districts.id)))

    def _district_version(self, layer) -> int | None:
        # FOR SHARE: a change to the districts (whose statement trigger bumps this row) waits for the
        # write coding features by them to commit, or that write waits for the change; so the change's
        # derivation over every layer never misses a row written meanwhile with the old districts.
        rows = self._execute(sql.SQL("SELECT version FROM {} WHERE layer_id = %s FOR SHARE").format(
            sql.Identifier(self.schema, "mapservice_layer_version")), [layer.id])
        return int(rows[0][0]) if rows else None
