"""Peak memory and time of the worst analysis requests, under ``mapservice serve``, at 10k x 10k and
100k x 10k (demand communities x supply parent schools), with the pair and time budgets on and off.

For each size a GeoPackage gets the demo region plus ``N`` random communities and ``M`` random
parent schools over Yangzhou (same mix as bench/nearby.py), then ``mapservice serve --workers 1``
answers, one at a time:

- ``/api/coverage/suggestions?supply=parent_schools&demand=communities&radius=R&count=5`` for R in
  1000, 5000 and 50000 m (the issue's request: at 50 km every demand unit pairs with most supply);
- ``/api/plan`` with the same question at 50000 m.

Before each request the worker's peak resident size is reset (``/proc/PID/clear_refs``, Linux, as
root or the owner) and read after it (``VmHWM``), so each line is that request's own peak. The
baseline run lifts both budgets (``MAPSERVICE_MAX_PAIRS``, ``MAPSERVICE_ANALYSIS_SECONDS``), only
at the smaller size and only the 50 km suggestion (the larger size would need over 20 GB).
Target (the issue): under 1 GB and under 5 s, or a clean refusal (a 4xx/503 with a message).

    python bench/analysis_budget.py [--sizes 10000x10000,100000x10000] [--no-baseline] [--workdir DIR]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from http_nearby import _stop, free_port, layer_rows, mapservice_command, prepare_demo, server_env

from mapservice.layers import load_layers
from mapservice.store.geopackage import GeoPackageStore

HOST = "127.0.0.1"
QUESTION = "supply=parent_schools&demand=communities&count=5"
TARGET_MB, TARGET_S = 1024, 5.0


def prepare(path: Path, demand: int, supply: int, seed: int) -> None:
    prepare_demo(path)
    layers = load_layers()
    store = GeoPackageStore(path, layers)
    try:
        rng = np.random.default_rng(seed)
        with store.transaction():
            for layer_id, n in (("communities", demand), ("parent_schools", supply)):
                rows = layer_rows(rng, layers[layer_id], n)
                for i in range(0, n, 5000):
                    store.upsert(layer_id, rows[i:i + 5000])
        counts = store.counts()
    finally:
        store.close()
    print(f"  {path.name}: {counts['communities']:,} communities x {counts['parent_schools']:,} parent schools")


def worker_pid(master: int) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.2)
    raise RuntimeError("no worker")


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def ask(port: int, pid: int, path: str) -> tuple[int, float, float, str]:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset the peak resident size
    conn = http.client.HTTPConnection(HOST, port, timeout=600)
    started = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    seconds = time.perf_counter() - started
    conn.close()
    message = "" if response.status == 200 else json.loads(body)["error"]["message"]
    return response.status, seconds, peak_mb(pid), message


def serve(gpkg: Path, extra: dict, paths: list[str], label: str) -> list[tuple]:
    import subprocess

    port = free_port()
    env = {**server_env(gpkg, False), **extra}
    proc = subprocess.Popen([*mapservice_command(), "serve", "--host", HOST, "--port", str(port), "--workers", "1"],
                            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    rows = []
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                conn = http.client.HTTPConnection(HOST, port, timeout=5)
                conn.request("GET", "/api/layers")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        pid = worker_pid(proc.pid)
        for path in paths:
            status, seconds, peak, message = ask(port, pid, path)
            rows.append((label, path, status, seconds, peak, message))
            verdict = "ok" if peak < TARGET_MB and seconds < TARGET_S else "MISSED"
            print(f"  {label:<9} {status:>4} {seconds:>7.2f} s {peak:>8.0f} MB  {verdict:<6} {path}"
                  + (f"\n{'':>12}{message[:150]}" if message else ""))
    finally:
        _stop(proc)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000x10000,100000x10000", help="DEMANDxSUPPLY,...")
    parser.add_argument("--no-baseline", action="store_true", help="skip the run without budgets")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    if not os.path.exists("/proc/self/clear_refs"):
        sys.exit("needs Linux /proc (clear_refs, VmHWM)")
    paths = [f"/api/coverage/suggestions?{QUESTION}&radius={r}" for r in (1000, 5000, 50000)]
    paths.append(f"/api/plan?{QUESTION}&radius=50000")
    print(f"target: each request under {TARGET_MB} MB peak and {TARGET_S:g} s, or a clean refusal")
    with tempfile.TemporaryDirectory(prefix="analysis-budget-") as tmp:
        folder = args.workdir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for size in args.sizes.split(","):
            demand, supply = (int(v) for v in size.lower().split("x"))
            gpkg = folder / f"budget-{demand}x{supply}.gpkg"
            print(f"\n{demand:,} x {supply:,}:")
            prepare(gpkg, demand, supply, args.seed)
            budgeted = serve(gpkg, {}, paths, "budgets")
            worst = max(budgeted, key=lambda row: (row[4], row[3]))
            print(f"  worst with budgets: {worst[4]:.0f} MB, {worst[3]:.2f} s ({worst[2]}) {worst[1]}")
            if not args.no_baseline and demand <= 20_000:
                lifted = serve(gpkg, {"MAPSERVICE_MAX_PAIRS": str(10**12), "MAPSERVICE_ANALYSIS_SECONDS": str(10**6)},
                               [paths[2]], "no budget")
                before = lifted[0]
                after = next(row for row in budgeted if row[1] == paths[2])
                print(f"  50 km suggestion: {before[4]:.0f} MB / {before[3]:.1f} s without budgets -> "
                      f"{after[4]:.0f} MB / {after[3]:.2f} s with ({before[4] / after[4]:.1f}x less memory, "
                      f"{before[3] / after[3]:.1f}x less time)")


if __name__ == "__main__":
    main()
