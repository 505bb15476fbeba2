"""The map page's first view on a phone's network: bytes moved and time until every layer is drawn.

Starts ``mapservice serve`` on a fresh GeoPackage with the demo region (no street tiles:
``MAPSERVICE_BASEMAP=none``, so only the app's own bytes count), opens ``/`` in Debian's chromium
(Playwright, offline) at 375 px with the network emulated through the DevTools protocol, and
prints, per run, the bytes on the wire (the encoded size of every response, compressed where the
server compressed it), the bytes uncompressed, the number of requests, and the seconds from
navigation until the legend lists every supply layer (all layers drawn). The first run is cold
(empty cache); the second reuses the browser's cache, as a returning parent's phone would.

    python bench/first_view.py [--network fast3g|none] [--runs 2]

Targets (issue 11): first view under 300 KiB transferred and all layers drawn under 2.5 s on fast
3G (1.6 Mbps down, 150 ms latency). Reference: 1,055 KiB uncompressed and 5.9 s before the issue.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

from http_nearby import _stop, free_port, mapservice_command, wait_until_answering

CHROMIUM = "/usr/bin/chromium"
NETWORKS = {"fast3g": {"offline": False, "latency": 150, "downloadThroughput": 1.6e6 / 8,
                       "uploadThroughput": 750e3 / 8},
            "none": None}
SUPPLY_LAYERS = 4  # the legend rows once every supply layer is drawn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--network", choices=sorted(NETWORKS), default="fast3g")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAPSERVICE_")}
        env.update(MAPSERVICE_DATABASE_URL=str(Path(folder) / "demo.gpkg"), MAPSERVICE_LOAD_DEMO="true",
                   MAPSERVICE_BASEMAP="none")
        subprocess.run([*mapservice_command(), "init"], env=env, check=True, capture_output=True)
        port = free_port()
        log = open(Path(folder) / "serve.log", "w+b")
        proc = subprocess.Popen([*mapservice_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
                                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        rows = []
        try:
            wait_until_answering("mapservice serve", proc, port, log)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True,
                                              has_touch=True, locale="zh-CN")
                for run in range(args.runs):
                    page = context.new_page()
                    cdp = context.new_cdp_session(page)
                    cdp.send("Network.enable")
                    if NETWORKS[args.network]:
                        cdp.send("Network.emulateNetworkConditions", NETWORKS[args.network])
                    wire, sizes = [], {}
                    cdp.on("Network.loadingFinished", lambda e, wire=wire: wire.append(e["encodedDataLength"]))
                    cdp.on("Network.dataReceived", lambda e, sizes=sizes: sizes.__setitem__(
                        e["requestId"], sizes.get(e["requestId"], 0) + e["dataLength"]))
                    started = time.perf_counter()
                    page.goto(f"http://127.0.0.1:{port}/")
                    drawn_all = f"() => document.querySelectorAll('.ym-legend-row').length === {SUPPLY_LAYERS}"
                    page.wait_for_function(drawn_all, timeout=120_000)
                    drawn = time.perf_counter() - started
                    page.wait_for_timeout(300)  # the last responses' loadingFinished events
                    rows.append((("cold" if run == 0 else "warm"), sum(wire) / 1024, sum(sizes.values()) / 1024,
                                 len(wire), drawn))
                    page.close()
                browser.close()
        finally:
            _stop(proc)
            log.close()
    print(f"first view of / at 375 px, network {args.network}, demo region")
    print(f"{'run':6} {'on the wire':>12} {'uncompressed':>13} {'requests':>9} {'all drawn':>10}")
    for name, wire_kib, raw_kib, count, drawn in rows:
        print(f"{name:6} {wire_kib:9.0f} KiB {raw_kib:10.0f} KiB {count:9} {drawn:9.2f} s")
    print("targets: under 300 KiB on the wire and all layers drawn under 2.5 s on fast 3G "
          "(before issue 11: 1,055 KiB uncompressed, 5.9 s)")


if __name__ == "__main__":
    main()
