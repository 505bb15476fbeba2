"""Vector tile times at z8, z12 and z15 over a 100k-point layer, both stores, cold and warm.

The data set is ``bench/ogc_items.py``'s (100,000 venues in the synthetic Yangzhou mix, in a
GeoPackage and, with ``--postgis``, in that database's public schema; run ogc_items.py first or let
this prepare the GeoPackage). Tiles are those under random query points of the same mix, distinct
per zoom (``--tiles`` of them, fewer at z8 where a handful cover the region). Each is asked through
the app (``/tiles/venues/z/x/y.mvt``, Flask's test client, no network): cold is the first request of
a tile in a fresh app (the store makes it), warm the same request again (the app's tile cache) and
revalidated (If-None-Match, a 304), the store warmed first as ``mapservice serve`` warms it (the
point layers read into memory). Printed: p50 and p95 in ms, mean features and bytes per tile.
Reference (the issue): Martin averages 62 ms at 10 threads in Rechsteiner's 2024 comparison,
pg_tileserv and tipg about 3 s; target on PostGIS: p95 under 30 ms warm, under 100 ms cold.

    python bench/tiles.py [--postgis URL] [--tiles 40] [--workdir /tmp/ogc-bench]
"""
from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import mapbox_vector_tile
import numpy as np
from http_nearby import prepare_region
from nearby import random_points

from mapservice.app import create_app
from mapservice.settings import Settings

ZOOMS = (8, 12, 15)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def measure(settings: Settings, addresses: dict) -> dict:
    app = create_app(settings)
    # As `mapservice serve` does at start: the point layers held in memory are read before the first
    # request (the overviews below zoom 13 pick their points from them), not by the first cold tile.
    app.extensions["mapservice"].store.warm()
    client = app.test_client()
    out = {}
    try:
        for z, tiles in addresses.items():
            cold, warm, revalidated, features, sizes = [], [], [], [], []
            for address in tiles:
                path = "/tiles/venues/{}/{}/{}.mvt".format(*address)
                for times in (cold, warm):
                    start = time.perf_counter()
                    response = client.get(path)
                    times.append((time.perf_counter() - start) * 1000)
                    assert response.status_code == 200, response.data[:300]
                start = time.perf_counter()
                assert client.get(path, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
                revalidated.append((time.perf_counter() - start) * 1000)
                decoded = mapbox_vector_tile.decode(response.data) if response.data else {}
                features.append(len(decoded["venues"]["features"]) if decoded else 0)
                sizes.append(len(response.data))
            out[z] = (cold, warm, revalidated, features, sizes)
    finally:
        app.extensions["mapservice"].store.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgis", help="the database bench/ogc_items.py filled (public schema)")
    parser.add_argument("--tiles", type=int, default=40, help="distinct tiles per zoom")
    parser.add_argument("--features", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "ogc-bench")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    gpkg = args.workdir / f"region-{args.features}-seed{args.seed}.gpkg"
    prepare_region(gpkg, args.features, args.seed)
    rng = np.random.default_rng(args.seed + 1)
    lon, lat = random_points(rng, 20 * args.tiles)
    addresses = {z: list(dict.fromkeys(tile_of(x, y, z) for x, y in zip(lon, lat)))[:args.tiles] for z in ZOOMS}
    stores = {"geopackage": Settings(database_url=str(gpkg), load_demo=False)}
    if args.postgis:
        # PostGIS needs a session key to start (accounts); the bench signs nobody in.
        stores["postgis"] = Settings(database_url=args.postgis, load_demo=False,
                                     secret_key="bench-secret-key-not-for-production")
    print("reference: Martin ~62 ms mean (10 threads), pg_tileserv and tipg ~3 s; target on PostGIS: "
          "p95 < 30 ms warm, < 100 ms cold")
    for name, settings in stores.items():
        results = measure(settings, addresses)
        print(f"\n[{name}] venues, {args.features} points")
        print(f"  {'zoom':>4} {'tiles':>5} {'cold p50':>9} {'cold p95':>9} {'warm p50':>9} {'warm p95':>9} "
              f"{'304 p50':>8} {'features':>9} {'kB':>7}")
        for z, (cold, warm, revalidated, features, sizes) in results.items():
            print(f"  {z:>4} {len(cold):>5} {np.percentile(cold, 50):>9.1f} {np.percentile(cold, 95):>9.1f} "
                  f"{np.percentile(warm, 50):>9.2f} {np.percentile(warm, 95):>9.2f} "
                  f"{np.percentile(revalidated, 50):>8.2f} "
                  f"{np.mean(features):>9.0f} {np.mean(sizes) / 1024:>7.1f}")


if __name__ == "__main__":
    main()
