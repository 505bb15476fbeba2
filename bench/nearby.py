"""Nearest-venue search speed: embedded GeoPackage store versus PostGIS, through the Store contract.

Measures ``Store.nearest(lon, lat, ["venues"], radius_m=3000, limit=20)`` — the query behind
"what is near this school/community" — on N synthetic venue points over the Yangzhou area
(half in a dense normal cluster around the old town, half uniform), Q random query points drawn
from the same mix, one thread, one call at a time. Per store it prints load time, median and
p95 latency, queries/s, mean results per query and, as a same-run baseline for this machine,
the ratio of the nearest median to the median of ``get`` (one feature by id). It then checks
on 200 queries that both stores return the same features in the same order, distances within
0.5 %.

Targets (median latency, N = 100 000): embedded GeoPackage < 1 ms, PostGIS < 2 ms.

    python bench/nearby.py [--features 100000] [--queries 10000] [--postgres URL] [--seed 1]

The PostGIS URL defaults to $MAPSERVICE_TEST_DATABASE_URL; without one that part is skipped.
A fresh schema is made there (and ANALYZEd after loading) and dropped at the end.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import psycopg
from psycopg import sql
from shapely.geometry import Point
from tqdm import tqdm

from mapservice.layers import load_layers
from mapservice.service import open_service
from mapservice.settings import Settings
from mapservice.store import Row, Store

LAYER, RADIUS_M, LIMIT = "venues", 3000.0, 20
LON, LAT, CENTRE, SPREAD_DEG = (119.0, 119.9), (32.2, 33.2), (119.42, 32.39), 0.03
CHUNK, WARMUP, BASELINE_CALLS, SAMPLE, DIST_TOL = 5000, 50, 1000, 200, 0.005
TARGET_MS = {"geopackage": 1.0, "postgis": 2.0}


def random_points(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Half clustered around the old town, half uniform over the area, shuffled, clipped to it."""
    dense = n // 2
    lon = np.concatenate([rng.normal(CENTRE[0], SPREAD_DEG, dense), rng.uniform(*LON, n - dense)])
    lat = np.concatenate([rng.normal(CENTRE[1], SPREAD_DEG, dense), rng.uniform(*LAT, n - dense)])
    order = rng.permutation(n)
    return np.clip(lon[order], *LON), np.clip(lat[order], *LAT)


def venue_rows(rng: np.random.Generator, n: int, layers) -> list[Row]:
    categories = list(layers[LAYER].attribute("category").values)
    lon, lat = random_points(rng, n)
    cats, free = rng.choice(categories, n), rng.random(n) < 0.7
    return [Row(f"bench-{i:07d}", {"name": f"场馆 {i}", "category": str(cats[i]), "free": bool(free[i])},
                Point(lon[i], lat[i])) for i in range(n)]


def load(store: Store, rows: list[Row]) -> float:
    store.init()
    start = time.perf_counter()
    with store.transaction(), tqdm(total=len(rows), desc=f"load {store.name}", unit="row", file=sys.stderr) as bar:
        for i in range(0, len(rows), CHUNK):
            store.upsert(LAYER, rows[i:i + CHUNK])
            bar.update(len(rows[i:i + CHUNK]))
    return time.perf_counter() - start


def nearest(store: Store, lon: float, lat: float):
    return store.nearest(lon, lat, [LAYER], radius_m=RADIUS_M, limit=LIMIT)


def timed(fn, args: list) -> tuple[np.ndarray, list]:
    """Milliseconds per call and the results, one call at a time."""
    ms, results = np.empty(len(args)), []
    for i, a in enumerate(args):
        start = time.perf_counter()
        results.append(fn(*a))
        ms[i] = (time.perf_counter() - start) * 1000
    return ms, results


def bench(store: Store, warmup: list, queries: list, rng: np.random.Generator) -> float:
    """Print one store's figures; return its nearest median in ms."""
    first_ms, _ = timed(lambda *a: nearest(store, *a), warmup[:1])
    _, warm = timed(lambda *a: nearest(store, *a), warmup[1:])
    ms, found = timed(lambda *a: nearest(store, *a), queries)
    fids = [hit.feature.id for hits in warm for hit in hits]
    get_ms, _ = timed(lambda fid: store.get(LAYER, fid), [(int(f),) for f in rng.choice(fids, BASELINE_CALLS)])
    median, target = float(np.median(ms)), TARGET_MS[store.name]
    print(f"[{store.name}] first query (builds caches) {first_ms[0]:.1f} ms, then {len(warmup) - 1} warm-up queries")
    print(f"[{store.name}] nearest: median {median:.3f} ms, p95 {np.percentile(ms, 95):.3f} ms, "
          f"{len(ms) / (ms.sum() / 1000):.0f} queries/s, {np.mean([len(f) for f in found]):.2f} results/query "
          f"(target median < {target:g} ms: {'met' if median < target else 'MISSED'})")
    print(f"[{store.name}] baseline get(one feature): median {np.median(get_ms):.3f} ms; "
          f"nearest/get median ratio {median / np.median(get_ms):.1f}x")
    return median


def compare(a: Store, b: Store, queries: list) -> None:
    """Same source_ids in the same order, distances within DIST_TOL, on each sample query."""
    order_bad = dist_bad = 0
    worst = 0.0
    for q in queries:
        ha, hb = nearest(a, *q), nearest(b, *q)
        if [h.feature.properties["source_id"] for h in ha] != [h.feature.properties["source_id"] for h in hb]:
            order_bad += 1
            continue
        rel = [abs(x.distance_m - y.distance_m) / max(y.distance_m, 1e-9) for x, y in zip(ha, hb)]
        worst = max([worst, *rel])
        dist_bad += any(r > DIST_TOL for r in rel)
    print(f"correctness ({len(queries)} queries, {a.name} vs {b.name}): {order_bad + dist_bad} mismatches "
          f"(ids/order {order_bad}, distance > {DIST_TOL:.1%} {dist_bad}); max relative distance gap {worst:.2e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--postgres", default=os.environ.get("MAPSERVICE_TEST_DATABASE_URL"),
                        help="PostGIS URL (default: $MAPSERVICE_TEST_DATABASE_URL)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    rng, layers = np.random.default_rng(args.seed), load_layers()  # the shipped layers, as open_service loads
    rows = venue_rows(rng, args.features, layers)
    qlon, qlat = random_points(rng, WARMUP + args.queries)
    points = list(zip(qlon.tolist(), qlat.tolist()))
    warmup, queries = points[:WARMUP], points[WARMUP:]
    print(f"{args.features} venues, {args.queries} nearest queries (radius {RADIUS_M:g} m, limit {LIMIT}), "
          f"seed {args.seed}")
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with tempfile.TemporaryDirectory(prefix="nearby-bench-") as tmp:
        urls = [(str(Path(tmp) / "bench.gpkg"), "public")] + ([(args.postgres, schema)] if args.postgres else [])
        stores: list[Store] = [open_service(Settings(database_url=url, database_schema=name, load_demo=False)).store
                               for url, name in urls]
        if not args.postgres:
            print("PostGIS skipped: no --postgres URL and MAPSERVICE_TEST_DATABASE_URL is not set")
        try:
            medians = {}
            for store in stores:
                seconds = load(store, rows)
                print(f"[{store.name}] load {seconds:.2f} s ({len(rows)} rows, upsert in chunks of {CHUNK})")
                if store.name == "postgis":
                    with psycopg.connect(args.postgres, autocommit=True) as conn:
                        conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(schema, LAYER)))
                medians[store.name] = bench(store, warmup, queries, rng)
            if len(stores) == 2:
                print(f"postgis/geopackage median ratio: {medians['postgis'] / medians['geopackage']:.2f}x")
                compare(stores[0], stores[1], queries[:SAMPLE])
        finally:
            for store in stores:
                store.close()
            if args.postgres:
                with psycopg.connect(args.postgres, autocommit=True) as conn:
                    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
    print(f"total {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
