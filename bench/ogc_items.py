"""OGC API – Features items under a real server, on both stores: pygeoapi's benchmark query.

``/ogc/collections/venues/items?bbox=<random 3 km box>&limit=20`` over 100,000 venue points (the
same synthetic Yangzhou mix as ``bench/nearby.py``: half clustered round the old town, half
uniform), ``--concurrency`` 8 clients on persistent connections, against ``mapservice serve``
(gunicorn, one worker per core) on a GeoPackage and on PostGIS. In the same run and on the same
server it measures the app's own ``/api/layers/venues/features`` with the same boxes and the
trivial endpoint of ``bench/http_nearby.py``, and prints req/s, median, p95, errors, the server's
CPU per request and the ratios to the trivial endpoint (req/s and median).

    python bench/ogc_items.py --postgis postgresql://postgres@127.0.0.1:54331/yuren_bench
        [--features 100000] [--requests 2000] [--concurrency 8] [--rounds 5] [--seed 1] [--workdir DIR]

``--postgis`` names a database (with the postgis extension) whose ``public`` schema this fills with
the data set (its layer tables are replaced when their counts differ); without it only the
GeoPackage runs. Reference from the issue (5 interleaved rounds, 2 gunicorn workers each):
pygeoapi 0.21 121-131 req/s on its GeoPackage provider (1.4-1.6% HTTP 500), 40-44 req/s on PostGIS.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
from pathlib import Path

import numpy as np
from http_nearby import copy_to_postgis, interleaved, load_series, prepare_region, request_paths, running_server

PYGEOAPI_RPS = {"geopackage": 126, "postgis": 42}  # the middle of the measured ranges
TARGET_TIMES, TARGET_RATIO = 20, 2.0


def run(store: str, database_url: str, paths: dict, warmup: dict, args, log_dir: Path) -> None:
    with running_server("serve", database_url, False, args, log_dir) as (port, pgid):
        names = ("trivial", "ogc_items", "api_bbox")
        for name in names:
            load_series(port, pgid, name, warmup[name], args.concurrency)
        results = dict(zip(names, interleaved(port, pgid, names, paths, args.concurrency, args.rounds)))
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
    parser.add_argument("--rounds", type=int, default=5, help="parts each endpoint's requests are sent in, "
                                                              "the endpoints taking turns")
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
