"""OGC API – Features items under a real server, on both stores: pygeoapi's benchmark query.

``/ogc/collections/venues/items?bbox=<random 3 km box>&limit=20`` over 100,000 venue points (the
same synthetic Yangzhou mix as ``bench/nearby.py``: half clustered round the old town, half
uniform), ``--concurrency`` 8 clients on persistent connections, against ``mapservice serve``
(gunicorn, one worker per core) on a GeoPackage and on PostGIS. In the same run and on the same
server it measures the app's own ``/api/layers/venues/features`` with the same boxes and the
trivial endpoint of ``bench/http_nearby.py``, and prints req/s, median, p95, errors, the server's
CPU per request and the ratios to the trivial endpoint (req/s and median). First it measures the
ceiling: a Flask app that does nothing (``bench/bare_flask.py``) under the same gunicorn settings.

    python bench/ogc_items.py --postgis postgresql://postgres@127.0.0.1:54331/yuren_bench
        [--features 100000] [--requests 2000] [--concurrency 8] [--rounds 5] [--seed 1] [--workdir DIR]

``--postgis`` names a database (with the postgis extension) whose ``public`` schema this fills with
the data set (its layer tables are replaced when their counts differ); without it only the
GeoPackage runs. Reference from the issue (5 interleaved rounds, 2 gunicorn workers each):
pygeoapi 0.21 121-131 req/s on its GeoPackage provider (1.4-1.6% HTTP 500), 40-44 req/s on PostGIS.

``--pygeoapi VENV`` measures pygeoapi itself in the same run, on the same GeoPackage and boxes
(its SQLiteGPKG provider, gunicorn with 2 sync workers), and prints the app's rates against that
one too. The venv is yours to make, outside this tree; its Python must load SQLite extensions
(Debian's does, pyenv's builds usually not) and the machine needs SpatiaLite:

    apt-get install libsqlite3-mod-spatialite
    /usr/bin/python3 -m venv /tmp/pygeoapi-venv
    /tmp/pygeoapi-venv/bin/pip install "pygeoapi==0.21.*" gunicorn
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from http_nearby import HOST, copy_to_postgis, interleaved, load_series, prepare_region, request_paths, running_server

PYGEOAPI_RPS = {"geopackage": 126, "postgis": 42}  # the middle of the measured ranges
TARGET_TIMES, TARGET_RATIO = 20, 2.0


def run(store: str, database_url: str, paths: dict, warmup: dict, args, log_dir: Path,
        measured_pygeoapi: float | None = None) -> None:
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
    if measured_pygeoapi:
        print(f"  items against pygeoapi measured in this run ({measured_pygeoapi:.0f} req/s): "
              f"{n / items.seconds / measured_pygeoapi:.1f}x")
    met = (n / items.seconds >= TARGET_TIMES * PYGEOAPI_RPS[store] and items.errors == 0
           and items.median / base.median <= TARGET_RATIO)
    print(f"  target (>= {TARGET_TIMES}x pygeoapi's {PYGEOAPI_RPS[store]} req/s, no errors, median within "
          f"{TARGET_RATIO:.0f}x of trivial): {'met' if met else 'MISSED'}")


def ceiling(paths: dict, warmup: dict, args, log_dir: Path) -> None:
    """The rate of a Flask app that does nothing (bench/bare_flask.py) under the same server, with
    the trivial endpoint's paths: what no Flask app outruns on this machine."""
    script = Path(__file__).with_name("bare_flask.py")
    with running_server("bare Flask", "", False, args, log_dir,
                        command=lambda port: [sys.executable, str(script), str(port)]) as (port, pgid):
        load_series(port, pgid, "bare", warmup["trivial"], args.concurrency)
        r = load_series(port, pgid, "bare", paths["trivial"], args.concurrency)
    rps = len(r.ms) / r.seconds
    print(f"\n[ceiling] a bare Flask app under the same gunicorn (bench/bare_flask.py): {rps:.0f} req/s, median "
          f"{r.median:.2f} ms, {r.errors} errors = "
          + ", ".join(f"{rps / rate:.1f}x pygeoapi's {store} rate" for store, rate in PYGEOAPI_RPS.items()))


def pygeoapi_config(gpkg: Path, port: int) -> dict:
    """The least configuration pygeoapi 0.21 starts with: one collection, the venues table of
    ``gpkg`` through its SQLiteGPKG provider."""
    return {
        "server": {"bind": {"host": HOST, "port": port}, "url": f"http://{HOST}:{port}",
                   "mimetype": "application/json; charset=UTF-8", "encoding": "utf-8",
                   "languages": ["en-US"], "limits": {"default_items": 10, "max_items": 10000},
                   "map": {"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "attribution": "OSM"}},
        "logging": {"level": "ERROR"},
        "metadata": {"identification": {"title": "bench", "description": "bench", "keywords": ["bench"],
                                        "url": "http://example.org", "terms_of_service": "none"},
                     "license": {"name": "CC-BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
                     "provider": {"name": "bench", "url": "http://example.org"},
                     "contact": {"name": "bench"}},
        "resources": {"venues": {
            "type": "collection", "title": "venues", "description": "venues", "keywords": ["venues"],
            "extents": {"spatial": {"bbox": [118.7, 32.0, 119.9, 33.3],
                                    "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
            "links": [],
            "providers": [{"type": "feature", "name": "SQLiteGPKG", "data": str(gpkg), "id_field": "fid",
                           "table": "venues"}]}},
    }


def pygeoapi(venv: Path, gpkg: Path, paths: dict, warmup: dict, args, log_dir: Path) -> float:
    """pygeoapi's own rate on the same GeoPackage and boxes (``/collections/venues/items``): its
    config and OpenAPI document written to ``log_dir``, served by gunicorn with 2 sync workers."""
    config, openapi = log_dir / "pygeoapi.yml", log_dir / "pygeoapi-openapi.yml"
    env = {"PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
    items = [p.replace("/ogc/collections/", "/collections/") for p in paths["ogc_items"]]
    warm = [p.replace("/ogc/collections/", "/collections/") for p in warmup["ogc_items"]]

    def command(port: int) -> list[str]:
        config.write_text(json.dumps(pygeoapi_config(gpkg, port)))  # JSON is YAML
        subprocess.run([str(venv / "bin" / "pygeoapi"), "openapi", "generate", str(config),
                        "--output-file", str(openapi)], check=True, env=os.environ | env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return [str(venv / "bin" / "gunicorn"), "--workers", "2", "--bind", f"{HOST}:{port}",
                "pygeoapi.flask_app:APP"]

    with running_server("pygeoapi", "", False, args, log_dir, command=command, env=env,
                        ready="/collections/venues?f=json") as (port, pgid):
        load_series(port, pgid, "pygeoapi", warm, args.concurrency)
        r = load_series(port, pgid, "pygeoapi", items, args.concurrency)
    rps = len(r.ms) / r.seconds
    print(f"\n[pygeoapi 0.21, GeoPackage, measured here] items: {rps:.0f} req/s, median {r.median:.2f} ms, "
          f"p95 {np.percentile(r.ms, 95):.2f} ms, {r.errors} errors of {len(r.ms)} "
          f"(the issue's reference: {PYGEOAPI_RPS['geopackage']} req/s)")
    if r.sample_error:
        print(f"  first error: {r.sample_error}")
    return rps


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
    parser.add_argument("--pygeoapi", type=Path, metavar="VENV",
                        help="a venv with pygeoapi 0.21 and gunicorn: measure it too, on the same GeoPackage")
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
        ceiling(paths, warmup, args, Path(tmp))
        measured = pygeoapi(args.pygeoapi, gpkg, paths, warmup, args, Path(tmp)) if args.pygeoapi else None
        run("geopackage", str(gpkg), paths, warmup, args, Path(tmp), measured)
        if args.postgis:
            copy_to_postgis(gpkg, args.postgis)
            run("postgis", args.postgis, paths, warmup, args, Path(tmp))


if __name__ == "__main__":
    main()
