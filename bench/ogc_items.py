"""OGC API – Features items under a real server, on both stores: pygeoapi's benchmark query.

``/ogc/collections/venues/items?bbox=<random 3 km box>&limit=20`` over 100,000 venue points (the
same synthetic Yangzhou mix as ``bench/nearby.py``: half clustered round the old town, half
uniform), ``--concurrency`` 8 clients on persistent connections, against ``mapservice serve``
(gunicorn, one worker per core) on a GeoPackage and on PostGIS. In the same run and on the same
server it measures the app's own ``/api/layers/venues/features`` with the same boxes and the
trivial endpoint of ``bench/http_nearby.py``, and prints req/s, median, p95, errors, the server's
CPU per request and the ratios to the trivial endpoint (req/s and median).

    python bench/ogc_items.py --postgis postgresql://postgres@127.0.0.1:54331/yuren_bench
        [--features 100000] [--requests 2000] [--concurrency 8] [--seed 1] [--workdir DIR]

``--postgis`` names a database (with the postgis extension) whose ``public`` schema this fills with
the data set (its layer tables are replaced when their counts differ); without it only the
GeoPackage runs. Reference from the issue (5 interleaved rounds, 2 gunicorn workers each):
pygeoapi 0.21 121-131 req/s on its GeoPackage provider (1.4-1.6% HTTP 500), 40-44 req/s on PostGIS.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from http_nearby import HOST, _stop, free_port, load_series, prepare_region, request_paths, wait_until_answering

from mapservice.layers import load_layers
from mapservice.store.geopackage import GeoPackageStore
from mapservice.store.postgis import PostGISStore

PYGEOAPI_RPS = {"geopackage": 126, "postgis": 42}  # the middle of the measured ranges
TARGET_TIMES, TARGET_RATIO = 20, 2.0


def mapservice_command() -> list[str]:
    script = Path(sys.executable).with_name("mapservice")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from mapservice.cli import main; main()"]


def copy_to_postgis(gpkg: Path, url: str) -> None:
    """The GeoPackage's layers into the database's public schema (kept when the counts already match)."""
    layers = load_layers()
    source, target = GeoPackageStore(gpkg, layers), PostGISStore(url, layers)
    try:
        target.init()
        if target.counts() == source.counts():
            print("postgis: reusing the data set already there")
            return
        start = time.perf_counter()
        with target.transaction():
            for layer_id in layers:
                target._execute(f'TRUNCATE "public"."{layer_id}"')
        from mapservice.exporter import iter_features
        from mapservice.store import Row

        for layer_id in layers:
            rows = [Row(f.properties["source_id"], {k: v for k, v in f.properties.items()
                                                     if k not in ("source_id", "generated")},
                        f.geometry, f.properties["generated"]) for f in iter_features(source, layer_id)]
            for i in range(0, len(rows), 5000):
                target.upsert(layer_id, rows[i:i + 5000])
        target._execute("VACUUM ANALYZE")
        print(f"postgis: copied in {time.perf_counter() - start:.1f} s")
    finally:
        source.close()
        target.close()


@contextmanager
def serving(database_url: str, log_dir: Path, **settings: str):
    """``mapservice serve`` on the store at ``database_url`` in its own process group: (port, pgid).
    ``settings`` are more MAPSERVICE_* variables (``basemap="none"``)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAPSERVICE_")}
    # PostGIS needs a session key to start (accounts); the bench signs nobody in.
    env.update(MAPSERVICE_DATABASE_URL=database_url, MAPSERVICE_LOAD_DEMO="false",
               MAPSERVICE_SECRET_KEY="bench-secret-key-not-for-production",
               **{f"MAPSERVICE_{k.upper()}": v for k, v in settings.items()})
    log = open(log_dir / f"serve-{port}.log", "w+b")
    proc = subprocess.Popen([*mapservice_command(), "serve", "--host", HOST, "--port", str(port)], env=env,
                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until_answering("mapservice serve", proc, port, log)
        yield port, proc.pid
    finally:
        _stop(proc)
        log.close()


def run(store: str, database_url: str, paths: dict, warmup: dict, args, log_dir: Path) -> None:
    with serving(database_url, log_dir) as (port, pgid):
        results = {}
        for name in ("trivial", "ogc_items", "api_bbox"):
            load_series(port, pgid, name, warmup[name], args.concurrency)
            results[name] = load_series(port, pgid, name, paths[name], args.concurrency)
    base = results["trivial"]
    n = len(base.ms)
    print(f"\n[{store}] {n} requests per endpoint, {args.concurrency} connections, {os.cpu_count()} CPUs shared "
          "by client and server")
    print(f"  {'endpoint':<10} {'req/s':>7} {'median ms':>10} {'p95 ms':>8} {'errors':>7} {'rate/trivial':>13} "
          f"{'median/trivial':>15} {'server CPU ms/req':>18} {'x pygeoapi':>11}")
    for name, r in results.items():
        rps = n / r.seconds
        cpu = f"{r.server_cpu_s * 1000 / n:.2f}" if r.server_cpu_s is not None else "n/a"
        print(f"  {name:<10} {rps:>7.0f} {r.median:>10.2f} {np.percentile(r.ms, 95):>8.2f} {r.errors:>7d} "
              f"{rps / (n / base.seconds):>12.2f}x {r.median / base.median:>14.2f}x {cpu:>18} "
              f"{rps / PYGEOAPI_RPS[store]:>10.1f}x")
        if r.sample_error:
            print(f"  first error of {name}: {r.sample_error}")
    items = results["ogc_items"]
    met = (n / items.seconds >= TARGET_TIMES * PYGEOAPI_RPS[store] and items.errors == 0
           and items.median / base.median <= TARGET_RATIO)
    print(f"  target (>= {TARGET_TIMES}x pygeoapi's {PYGEOAPI_RPS[store]} req/s, no errors, median within "
          f"{TARGET_RATIO:.0f}x of trivial): {'met' if met else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgis", help="a PostGIS database URL to fill and serve (public schema)")
    parser.add_argument("--features", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rng = np.random.default_rng(args.seed)

    def ogc_paths(count: int) -> dict:
        made = request_paths(rng, count)
        made["api_bbox"] = made.pop("bbox")
        made["ogc_items"] = [p.replace("/api/layers/venues/features?", "/ogc/collections/venues/items?")
                             for p in made["api_bbox"]]
        return made

    paths, warmup = ogc_paths(args.requests), ogc_paths(max(1, args.warmup))
    with tempfile.TemporaryDirectory(prefix="ogc-items-") as tmp:
        folder = args.workdir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        gpkg = folder / f"region-{args.features}-seed{args.seed}.gpkg"
        prepare_region(gpkg, args.features, args.seed)
        run("geopackage", str(gpkg), paths, warmup, args, Path(tmp))
        if args.postgis:
            copy_to_postgis(gpkg, args.postgis)
            run("postgis", args.postgis, paths, warmup, args, Path(tmp))


if __name__ == "__main__":
    main()
