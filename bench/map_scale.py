"""The map page over a region of 100,000 features in each supply layer, in headless Chromium: the
browser's clustering of every feature (how the page worked before issue 13) beside the server's
clusters per view (/api/clusters), on the GeoPackage and, with ``--postgis``, on PostGIS.

The region is ``bench/http_nearby.py``'s (``--features`` random points in each of the four supply
layers, the same synthetic Yangzhou mix) plus the demo's district boundaries, so the page opens on
the region as it does on the demo. For each store and way of clustering it starts ``mapservice
serve`` (``MAPSERVICE_MAP_BROWSER_LIMIT`` picks the way: above the region's size the page loads
every feature, as before), opens ``/`` at 1280x800 in Debian's chromium (Playwright, offline, no
street tiles) and prints:

- first view: seconds from navigation until every supply layer is drawn (the legend lists four
  layers, the map is no longer ``aria-busy`` and markers are on it) and the bytes on the wire;
- moves: ``--moves`` pans (a third of the screen) and zooms (one step, between 9 and 16), each
  timed in the page from the call until the map is idle again and the next frame is painted;
  median and p95;
- memory: the page's JavaScript heap after the moves (Chrome's JSHeapUsedSize).

A first view that does not finish within ``--timeout`` seconds is printed as such (with the
bytes so far) and its moves are skipped.

    python bench/map_scale.py [--features 100000] [--moves 50] [--timeout 180] [--seed 1]
        [--postgis postgresql://postgres@127.0.0.1:54331/yuren_bench] [--workdir DIR] [--only server]

Targets (issue 13): first view under 2 s and under 500 KB, a move redrawn under 300 ms (p95 over
50), the page's memory under 300 MB.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from http_nearby import SUPPLY, prepare_region
from ogc_items import copy_to_postgis, serving

from mapservice.demo import district_features
from mapservice.importer import import_file
from mapservice.layers import load_layers
from mapservice.resources import resource_dir
from mapservice.store.geopackage import GeoPackageStore

CHROMIUM = "/usr/bin/chromium"
MODES = {"browser": "1000000000", "server": "20000"}  # MAPSERVICE_MAP_BROWSER_LIMIT
TARGET_FIRST_S, TARGET_KB, TARGET_MOVE_MS, TARGET_HEAP_MB = 2.0, 500, 300, 300
MAP = "window[JSON.parse(document.getElementById('ym-config').textContent).map]"
DRAWN = (f"() => document.querySelectorAll('.ym-legend-row').length === {len(SUPPLY)} && "
         "document.querySelector('.folium-map').getAttribute('aria-busy') === 'false' && "
         "document.querySelectorAll('.ym-cluster, .ym-pin').length > 0")
# One move, timed in the page: the call, the map idle again, then two frames (the redraw painted).
MOVE = f"""async ([kind, amount]) => {{
  const map = {MAP};
  const box = document.querySelector('.folium-map');
  const start = performance.now();
  if (kind === 'pan') map.panBy(amount, {{animate: false}});
  else map.setZoom(amount, {{animate: false}});
  await new Promise((done) => {{
    const check = () => box.getAttribute('aria-busy') === 'false' ? done() : setTimeout(check, 2);
    setTimeout(check, 0);
  }});
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  return performance.now() - start;
}}"""


def add_districts(path: Path) -> None:
    """The demo's district boundaries into the region file (once)."""
    store = GeoPackageStore(path, load_layers())
    try:
        if store.counts()["districts"]:
            return
        with tempfile.TemporaryDirectory() as tmp:
            boundaries = Path(tmp) / "districts.geojson"
            boundaries.write_text(json.dumps(district_features(resource_dir("geodata") / "yangzhou"),
                                             ensure_ascii=False), encoding="utf-8")
            import_file(store, "districts", boundaries, crs="gcj02")
    finally:
        store.close()


def measure(playwright, port: int, args, rng: np.random.Generator) -> dict:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    try:
        page = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN").new_page()
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Performance.enable")
        wire = []
        cdp.on("Network.loadingFinished", lambda e: wire.append(e["encodedDataLength"]))
        started = time.perf_counter()
        page.goto(f"http://127.0.0.1:{port}/", timeout=args.timeout * 1000)
        out = {}
        try:
            page.wait_for_function(DRAWN, timeout=args.timeout * 1000, polling=50)
        except Exception:  # noqa: BLE001 - Playwright's TimeoutError: printed as not finished
            out.update(first_s=None, kb=sum(wire) / 1000)
            return out
        out.update(first_s=time.perf_counter() - started)
        page.wait_for_timeout(300)  # the last responses' loadingFinished events
        out["kb"] = sum(wire) / 1000
        moves = []
        zoom = page.evaluate(f"() => {MAP}.getZoom()")
        for k in range(args.moves):
            if k % 2 == 0:
                dx, dy = (rng.choice([-1, 1], 2) * rng.uniform(0.2, 0.4, 2) * [1280, 800]).round().tolist()
                moves.append(page.evaluate(MOVE, ["pan", [dx, dy]]))
            else:
                zoom = zoom + 1 if (zoom < 16 and rng.random() < 0.6) or zoom <= 9 else zoom - 1
                moves.append(page.evaluate(MOVE, ["zoom", zoom]))
        out["moves"] = moves
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        out["heap_mb"] = metrics["JSHeapUsedSize"] / 1e6
        return out
    finally:
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--features", type=int, default=100_000, help="points per supply layer")
    parser.add_argument("--moves", type=int, default=50)
    parser.add_argument("--timeout", type=float, default=180, help="seconds a first view may take")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgis", help="a database with postgis to fill and measure too")
    parser.add_argument("--workdir", help="keep (and reuse) the region file here")
    parser.add_argument("--only", choices=sorted(MODES), help="measure one way of clustering")
    args = parser.parse_args()
    if not 1 <= args.features <= 1_000_000 or not 0 <= args.moves <= 10_000 or args.timeout <= 0:
        sys.exit("--features 1..1,000,000, --moves 0..10,000 and a positive --timeout")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.workdir or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        gpkg = folder / f"region-{args.features}-{args.seed}.gpkg"
        prepare_region(gpkg, args.features, args.seed)
        add_districts(gpkg)
        stores = {"geopackage": str(gpkg)}
        if args.postgis:
            copy_to_postgis(gpkg, args.postgis)
            stores["postgis"] = args.postgis
        rows = []
        with sync_playwright() as playwright:
            for store, url in stores.items():
                for mode, limit in MODES.items():
                    if args.only and mode != args.only:
                        continue
                    with serving(url, folder, basemap="none", map_browser_limit=limit) as (port, _):
                        print(f"[{store}, {mode} clusters] measuring...", file=sys.stderr, flush=True)
                        rows.append((store, mode, measure(playwright, port, args, np.random.default_rng(args.seed))))
    print(f"\nthe map page over {args.features:,} features in each of {len(SUPPLY)} supply layers, 1280x800, "
          f"{os.cpu_count()} CPUs shared by browser and server")
    print(f"{'store':11} {'clusters':9} {'first view':>11} {'on the wire':>12} {'move p50':>9} {'move p95':>9} "
          f"{'JS heap':>8}")
    for store, mode, r in rows:
        if r["first_s"] is None:
            print(f"{store:11} {mode:9} {'> ' + format(args.timeout, '.0f') + ' s':>11} {r['kb']:9.0f} KB "
                  "(did not finish: moves not measured)")
            continue
        moves = r["moves"] or [float("nan")]
        print(f"{store:11} {mode:9} {r['first_s']:9.2f} s {r['kb']:9.0f} KB {np.median(moves):6.0f} ms "
              f"{np.percentile(moves, 95):6.0f} ms {r['heap_mb']:5.0f} MB")
    print(f"targets: first view under {TARGET_FIRST_S:.0f} s and {TARGET_KB} KB, move p95 under {TARGET_MOVE_MS} ms, "
          f"JS heap under {TARGET_HEAP_MB} MB")


if __name__ == "__main__":
    main()
