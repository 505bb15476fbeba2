"""The planner's server time per change of its form, before and after one plan per request.

Before (the page as it was at ``--before``, by default the last commit before ``plan()``): every
change of the form asked ``/api/coverage`` and ``/api/coverage/suggestions``, each running the
whole analysis, and fetched the raw features of any supply layer it had not loaded yet. After:
one ``/api/plan``. Both run in this process's machine on the same GeoPackage file, in turn, as the
server would (Flask's test client: server time only, no network): the old code from a
``git worktree`` of ``--before`` in a subprocess, the new code here.

Regions: the demo region (1,500 communities, 370 schools) and a 100k-demand region (the demo
plus generated communities up to 100,000). The form changes are the ones a planner makes:
radius, walking minutes, one district, another supply layer, schools as demand. Per region and
change it prints the best of ``--repeat`` server times before and after and their ratio; the
target is after <= 0.5 x before.

    python bench/planner.py [--before 4db3368] [--repeat 3] [--demand 100000]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from shapely.geometry import Point

ROOT = Path(__file__).resolve().parent.parent
BASE = "supply=parent_schools&demand=communities&radius=500&count=5"
#: (what the planner did, the query after it, supply layers the old page had not fetched yet)
CHANGES = [
    ("open the page", BASE, ["parent_schools"]),
    ("radius 1000 m", BASE.replace("radius=500", "radius=1000"), []),
    ("10 minutes' walk", BASE.replace("radius=500", "minutes=10"), []),
    ("one district", BASE + "&district=广陵区", []),
    ("add stations", BASE.replace("supply=parent_schools", "supply=parent_schools,community_stations"),
     ["community_stations"]),
    ("schools as demand", BASE.replace("demand=communities", "demand=schools"), []),
]

# Run by the subprocess with the old code on sys.path: the old page's requests, timed.
BEFORE = r'''
import json, sys, time
from mapservice import create_app
from mapservice.settings import Settings
path, repeat, changes = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
client = create_app(Settings(database_url=path, load_demo=False)).test_client()
out = []
for _, query, fetch in changes:
    coverage = "&".join(p for p in query.split("&") if not p.startswith(("count=", "candidates=")))
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for url in [f"/api/coverage?{coverage}", f"/api/coverage/suggestions?{query}"]:
            assert client.get(url).status_code == 200, url
        for layer in fetch:
            offset = 0
            while True:
                page = client.get(f"/api/layers/{layer}/features?limit=10000&offset={offset}").get_json()
                offset += len(page["features"])
                if not page["features"] or offset >= page["numberMatched"]:
                    break
        best = min(best, time.perf_counter() - start)
    out.append(best)
print(json.dumps(out))
'''


def build_region(path: Path, demand: int) -> None:
    """The demo region in a GeoPackage at ``path``, with generated communities up to ``demand``."""
    from mapservice.service import open_service
    from mapservice.settings import Settings
    from mapservice.store import Row

    with open_service(Settings(database_url=str(path), load_demo=True)) as service:
        service.load_demo_if_empty()
        extra = demand - service.store.counts()["communities"]
        if extra > 0:
            sys.path.insert(0, str(Path(__file__).parent))
            from nearby import random_points

            rng = np.random.default_rng(1)
            lon, lat = random_points(rng, extra)
            people = rng.integers(200, 6000, extra)
            rows = [Row(f"bench-community-{i:07d}", {"name": f"社区 {i}", "kind": "community",
                                                     "population": int(people[i]), "children": int(people[i] // 6)},
                        Point(lon[i], lat[i]), generated=True) for i in range(extra)]
            for start in range(0, extra, 20_000):
                service.store.upsert("communities", rows[start:start + 20_000])


def after(path: Path, repeat: int) -> list[float]:
    from mapservice.app import create_app
    from mapservice.settings import Settings

    app = create_app(Settings(database_url=str(path), load_demo=False))
    client = app.test_client()
    out = []
    for _, query, _ in CHANGES:
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            assert client.get(f"/api/plan?{query}").status_code == 200, query
            best = min(best, time.perf_counter() - start)
        out.append(best)
    app.extensions["mapservice"].close()
    return out


def before(path: Path, repeat: int, worktree: Path) -> list[float]:
    env = {**os.environ, "PYTHONPATH": str(worktree)}
    result = subprocess.run([sys.executable, "-c", BEFORE, str(path), str(repeat), json.dumps(CHANGES)],
                            env=env, cwd=worktree, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="4db3368", help="git revision of the old planner (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--demand", type=int, default=100_000, help="communities in the large region")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        worktree = Path(folder) / "before"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(worktree), options.before],
                       check=True)
        try:
            worst = 0.0
            for label, demand in (("demo region", 0), (f"{options.demand:,}-demand region", options.demand)):
                path = Path(folder) / f"region-{demand}.gpkg"
                print(f"building the {label} ...", file=sys.stderr)
                build_region(path, demand)
                old, new = before(path, options.repeat, worktree), after(path, options.repeat)
                print(f"\n{label}: server time per form change, best of {options.repeat}")
                print(f"{'change':<20}{'before ms':>11}{'after ms':>10}{'after/before':>14}")
                for (change, _, _), b, a in zip(CHANGES, old, new):
                    print(f"{change:<20}{1000 * b:>11.0f}{1000 * a:>10.0f}{a / b:>14.2f}")
                total = sum(new) / sum(old)
                worst = max(worst, total)
                print(f"{'all changes':<20}{1000 * sum(old):>11.0f}{1000 * sum(new):>10.0f}{total:>14.2f}")
            print(f"\ntarget after/before <= 0.50: {'met' if worst <= 0.5 else 'MISSED'} (worst region {worst:.2f})")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(worktree)], check=False)


if __name__ == "__main__":
    main()
