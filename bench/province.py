"""A province on one PostGIS: table and index sizes, and the plans of the queries the app runs.

Fills a schema (``--schema``, default ``province``) through ``PostGISStore.init()`` (the app's own
DDL) and then ``INSERT ... SELECT generate_series`` straight in the database, at a Jiangsu-like
size (``--scale 1``): 1,000,000 venues, 100,000 schools, 100,000 parent schools, 200,000 community
stations, 20,000 practice bases, 500,000 communities holding 50,000,000 people, and 100 districts
(a 10 x 10 grid of county-sized boxes with made-up adcodes: no province's county boundaries are in
geodata/). Points: half around 13 city centres, half uniform over the province's box.

It prints each layer table's rows, heap, indexes and total size, then runs the store's own reads
as the app makes them (nearby, a bbox page, clusters at z8 and z12, tiles at z8, z12 and z15, a
district's features by adcode, a page of the planner's whole-layer read) with every SQL statement
caught on its way to the server, and prints ``EXPLAIN (ANALYZE, BUFFERS)`` of each, with the time.

    python bench/province.py --postgis postgresql://postgres@127.0.0.1:54331/yuren_bench [--scale 1]
        [--schema province] [--keep] [--full-plans]

The schema is dropped at the end unless ``--keep``; a kept schema with the right counts is reused.
docs/scale.md records a run and what it means for a province (Citus, partitioning).
"""
from __future__ import annotations

import argparse
import sys
import time
from contextlib import contextmanager

import psycopg
from psycopg import sql

from mapservice import clusters
from mapservice.layers import load_layers
from mapservice.store.postgis import PostGISStore

BOX = (116.3, 30.7, 121.9, 35.1)  # Jiangsu's extent, roughly
CITIES = [(118.80, 32.06), (120.59, 31.30), (120.31, 31.49), (119.97, 31.81), (119.42, 32.39), (119.45, 32.20),
          (120.89, 31.98), (120.16, 33.35), (119.02, 33.61), (117.18, 34.26), (119.22, 34.60), (118.28, 33.96),
          (119.92, 32.46)]
FULL_PLANS = "--full-plans" in sys.argv
SIZES = {"venues": 1_000_000, "schools": 100_000, "parent_schools": 100_000, "community_stations": 200_000,
         "practice_bases": 20_000, "communities": 500_000}


def _point_sql(n: int) -> str:
    """A SELECT of ``n`` rows (i, lon, lat): half near a city (a normal spread of ~8 km), half uniform."""
    centres = ", ".join(f"({x}, {y})" for x, y in CITIES)
    minx, miny, maxx, maxy = BOX
    return f"""
    SELECT i, CASE WHEN i % 2 = 0 THEN c.x + 0.08 * g.r * cos(g.a) ELSE {minx} + random() * {maxx - minx} END AS lon,
              CASE WHEN i % 2 = 0 THEN c.y + 0.07 * g.r * sin(g.a) ELSE {miny} + random() * {maxy - miny} END AS lat
    FROM generate_series(1, {n}) AS i
    CROSS JOIN LATERAL (SELECT sqrt(-2 * ln(1 - random())) AS r, 2 * pi() * random() AS a, i AS k) g
    JOIN (SELECT row_number() OVER () - 1 AS c_id, x, y FROM (VALUES {centres}) v(x, y)) c
      ON c.c_id = i % {len(CITIES)}"""


# Each layer's required attributes as SQL over i (the row number).
COLUMNS = {
    "venues": ("name, category, free, opening_hours, address",
               "'场馆' || i, (ARRAY['museum','library','science_museum','youth_palace'])[1 + i % 4], i % 3 <> 0, "
               "'Tu-Su 09:00-17:00', '测试路' || (i % 997 + 1) || '号'"),
    "schools": ("name, stage, enrollment", "'学校' || i, (ARRAY['primary','junior'])[1 + i % 2], 200 + i % 2000"),
    "parent_schools": ("name, host, tier", "'家长学校' || i, 'school', 'basic'"),
    "community_stations": ("name, kind",
                           "'驿站' || i, (ARRAY['family_education_station','after_school_station'])[1 + i % 2]"),
    "practice_bases": ("name, themes, level", "'基地' || i, 'science;nature', 'municipal'"),
    "communities": ("name, kind, population, children", "'社区' || i, 'community', 100, 12"),
}


def fill(store: PostGISStore, url: str, scale: float) -> None:
    layers = store.layers
    with store.transaction():
        for layer_id, n in SIZES.items():
            n = max(1, int(n * scale))
            names, values = COLUMNS[layer_id]
            for name in (c.strip() for c in names.split(",")):
                layers[layer_id].attribute(name) or sys.exit(f"{layer_id} has no attribute {name}: update COLUMNS")
            start = time.perf_counter()
            store._execute(sql.SQL("TRUNCATE {}").format(store._t(layer_id)))
            store._execute(sql.SQL(
                "INSERT INTO {} (source_id, generated, geom, " + names + ") SELECT 'p' || i, true, "
                "ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography, " + values + " FROM (" + _point_sql(n) + ") p"
            ).format(store._t(layer_id)))
            print(f"  {layer_id}: {n:,} rows in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
        minx, miny, maxx, maxy = BOX
        dx, dy = (maxx - minx) / 10, (maxy - miny) / 10
        store._execute(sql.SQL("TRUNCATE {}").format(store._t("districts")))
        store._execute(sql.SQL(
            "INSERT INTO {} (source_id, geom, name, adcode) SELECT 'd' || k, "
            "ST_Multi(ST_MakeEnvelope(%s + (k %% 10) * %s, %s + (k / 10) * %s, %s + (k %% 10 + 1) * %s, "
            "%s + (k / 10 + 1) * %s, 4326))::geography, '县' || k, (320100 + k * 100 + 1)::text "
            "FROM generate_series(0, 99) k").format(store._t("districts")),
            [minx, dx, miny, dy, minx, dx, miny, dy])
    # The layer tables' adcode, from the districts, as a districts import derives it.
    start = time.perf_counter()
    with store.transaction():
        store._rederive_adcodes([layer for layer in layers.values() if layer.carries_adcode], layers["districts"])
    print(f"  adcode derived in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    with psycopg.connect(url, autocommit=True) as conn:
        for layer_id in store.layers:
            # FULL: the derivation rewrote every row; a table loaded with its codes would not hold the dead ones.
            conn.execute(sql.SQL("VACUUM FULL ANALYZE {}").format(store._t(layer_id)))


def sizes(store: PostGISStore) -> None:
    rows = store._execute(
        "SELECT c.relname, c.reltuples::bigint, pg_relation_size(c.oid), pg_indexes_size(c.oid), "
        "pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind = 'r' AND c.relname = ANY(%s) ORDER BY 5 DESC",
        [store.schema, list(store.layers)])
    mb = lambda b: f"{b / 2**20:,.0f} MB"  # noqa: E731
    print(f"\n{'table':20} {'rows':>11} {'heap':>9} {'indexes':>9} {'total':>9}")
    for name, count, heap, indexes, total in rows:
        print(f"{name:20} {count:>11,} {mb(heap):>9} {mb(indexes):>9} {mb(total):>9}")
    print(f"{'all':20} {sum(r[1] for r in rows):>11,} {mb(sum(r[2] for r in rows)):>9} "
          f"{mb(sum(r[3] for r in rows)):>9} {mb(sum(r[4] for r in rows)):>9}")


@contextmanager
def caught():
    """Every statement the store sends, as (text, params), while inside."""
    seen = []
    original = psycopg.Cursor.execute

    def execute(self, query, params=None, **kwargs):
        text = query.as_string(self.connection) if isinstance(query, sql.Composable) else query
        seen.append((text, params))
        return original(self, query, params, **kwargs)

    psycopg.Cursor.execute = execute
    try:
        yield seen
    finally:
        psycopg.Cursor.execute = original


def explain(store: PostGISStore, label: str, call) -> None:
    with caught() as seen:
        start = time.perf_counter()
        call()
        took = (time.perf_counter() - start) * 1000
    reads = [(q, p) for q, p in seen if q.lstrip(" (").upper().startswith(("SELECT", "WITH"))
             and "mapservice_layer_version" not in q]
    print(f"\n## {label}: {took:.1f} ms in the store, {len(reads)} statement(s)")
    for query, params in reads:
        with store._connection() as conn:
            plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + query, params).fetchall()
        lines = [row[0] for row in plan]
        # The plan's shape: its top, how each table is read, and the times (--full-plans for all of it).
        keep = lines if FULL_PLANS else [lines[0], *(line for line in lines[1:] if any(
            word in line for word in ("Scan", "Index Cond", "Rows Removed", "Aggregate", "Execution Time")))]
        print("\n".join("    " + line for line in keep))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgis", required=True)
    parser.add_argument("--schema", default="province")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--full-plans", action="store_true", help="print whole plans, not their shape")
    args = parser.parse_args()
    if not 0 < args.scale <= 10:
        sys.exit("--scale must be above 0 and at most 10")
    store = PostGISStore(args.postgis, load_layers(), schema=args.schema)
    try:
        store.init()
        want = {k: max(1, int(v * args.scale)) for k, v in SIZES.items()}
        if {k: store.counts()[k] for k in want} != want:
            print(f"filling schema {args.schema} at scale {args.scale}", file=sys.stderr)
            fill(store, args.postgis, args.scale)
        else:
            print(f"reusing schema {args.schema}", file=sys.stderr)
        sizes(store)
        lon, lat = CITIES[4]  # Yangzhou's old town
        box3km = (lon - 0.016, lat - 0.0135, lon + 0.016, lat + 0.0135)
        def nearby():
            return store.nearest(lon, lat, ["venues", "practice_bases", "community_stations", "parent_schools"],
                                 radius_m=3000, limit=20)

        # The first search reads the layers small enough to hold in memory (store/points.py) and
        # counts the rest, once per change of each layer; the plans are those of every later search.
        start = time.perf_counter()
        nearby()
        print(f"\n## nearby, the first search in a process: {(time.perf_counter() - start) * 1000:.0f} ms")
        explain(store, "nearby: 3 km, all four supply layers, limit 20", nearby)
        explain(store, "bbox: venues in a 3 km box, limit 20 (the OGC items query)",
                lambda: store.features("venues", bbox=box3km, limit=20))
        explain(store, "clusters z8: venues over the whole province",
                lambda: store.cells("venues", BOX, 8))
        explain(store, "clusters z12: venues in a city view (1280 x 800 px)",
                lambda: store.cells("venues", (lon - 0.11, lat - 0.06, lon + 0.11, lat + 0.06), 12))
        for label in ("counted", "kept"):
            start = time.perf_counter()
            clusters.view(store, ["venues", "parent_schools"], BOX, 8)
            print(f"\n## the map's clusters at z8 over the province (venues, parent schools), {label}: "
                  f"{(time.perf_counter() - start) * 1000:.1f} ms")
        for z, x, y in ((8, 212, 103), (12, 3407, 1656), (15, 27262, 13252)):
            explain(store, f"tile z{z}/{x}/{y}: venues", lambda z=z, x=x, y=y: store.tile("venues", z, x, y))
        explain(store, "one district's venues by adcode (what a Citus shard key routes)",
                lambda: store._execute(sql.SQL("SELECT count(*) FROM {} WHERE adcode = %s").format(
                    store._t("venues")), ["324501"]))
        explain(store, "the planner's read of a whole layer: one page of 10,000 communities",
                lambda: store.features("communities", limit=10_000, offset=250_000))
    finally:
        if not args.keep:
            store._execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(args.schema)))
        store.close()


if __name__ == "__main__":
    main()
