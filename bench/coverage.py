"""Speed and memory of the analysis core: coverage, 2SFCA and greedy siting on synthetic points.

Points are drawn over the Yangzhou area as in ``bench/nearby.py``: half in a dense normal
cluster around the old town, half uniform. Each case runs in a fresh process (so its peak RSS is
its own) and prints the best of ``--repeat`` wall times, the process peak RSS
(``resource.getrusage`` maxrss, which includes the interpreter, the libraries and the input
arrays) and the peak of memory traced by ``tracemalloc`` during one extra call (numpy arrays,
not the KD-tree's C++ scratch).

Cases and targets (on 2 cores):

- coverage, 1,000,000 demand x 10,000 supply, 1,000 m: < 3 s
- 2SFCA, 100,000 demand x 10,000 supply, 1,000 m: < 2 s and < 1 GB
- greedy, 10 sites from 20,000 uniform candidates, 1,000,000 demand of which those within
  500 m of 1,296 existing parent schools are already covered, 500 m: no target, reported
- greedy, 10 sites, 1,500 demand x 2,000 candidates, 500 m: < 50 ms

Last, the greedy/optimal ratio on the 1,500 x 2,000 case: the optimum comes from the MCLP as
an integer programme solved exactly by ``scipy.optimize.milp`` (HiGHS), over a coverage matrix
computed independently with ``pyproj.Geod.inv`` on every pair (this stands in for spopt's MCLP
with pulp, which need two more packages and give the same optimum).

    python bench/coverage.py [--seed 1] [--repeat 3]
"""
from __future__ import annotations

import argparse
import multiprocessing
import resource
import time
import tracemalloc

import numpy as np
from nearby import LAT, LON, random_points  # the same synthetic Yangzhou mix as bench/nearby.py
from pyproj import Geod
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix, hstack, identity

from mapservice.analysis.access import two_step_fca
from mapservice.analysis.coverage import coverage
from mapservice.analysis.siting import greedy_max_coverage

TARGETS = {"coverage": 3.0, "2sfca": 2.0, "greedy_small": 0.05}
MEMORY_TARGET_MB = {"2sfca": 1024}


def uniform_points(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.uniform(*LON, n), rng.uniform(*LAT, n)


def setup(case: str, seed: int):
    """The call to time, as (function, args), built outside the timing."""
    rng = np.random.default_rng(seed)
    if case == "coverage":
        demand, supply = random_points(rng, 1_000_000), random_points(rng, 10_000)
        return coverage, (*demand, rng.integers(1, 500, 1_000_000).astype(float), *supply, 1000.0)
    if case == "2sfca":
        demand, supply = random_points(rng, 100_000), random_points(rng, 10_000)
        return two_step_fca, (*demand, rng.integers(1, 500, 100_000).astype(float), *supply,
                              rng.integers(10, 60, 10_000).astype(float), 1000.0)
    if case == "greedy_large":
        demand, existing = random_points(rng, 1_000_000), random_points(rng, 1_296)
        weight = rng.integers(1, 500, 1_000_000).astype(float)
        covered = coverage(*demand, weight, *existing, 500.0).covered
        return greedy_max_coverage, (*demand, weight, covered, *uniform_points(rng, 20_000), 500.0, 10)
    if case == "greedy_small":
        return greedy_max_coverage, (*random_points(rng, 1_500), rng.integers(1, 500, 1_500).astype(float),
                                     None, *random_points(rng, 2_000), 500.0, 10)
    raise ValueError(case)


def measure(case: str, seed: int, repeat: int) -> dict:
    """Runs in a fresh process: best wall time, process peak RSS, traced peak of one call."""
    fn, args = setup(case, seed)
    fn(*args)  # warm-up: imports, thread pool, caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    fn(*args)
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"seconds": min(times), "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "traced_mb": traced / 2**20}


def greedy_optimal_ratio(seed: int) -> tuple[float, float, float]:
    """(greedy weight, optimal weight, MILP seconds) on the greedy_small instance."""
    fn, (d_lon, d_lat, weight, _, c_lon, c_lat, radius, k) = setup("greedy_small", seed)
    greedy = sum(p.added_weight for p in fn(d_lon, d_lat, weight, None, c_lon, c_lat, radius, k))
    n, m = d_lon.size, c_lon.size
    _, _, dist = Geod(ellps="WGS84").inv(np.repeat(d_lon, m), np.repeat(d_lat, m), np.tile(c_lon, n), np.tile(c_lat, n))
    reach = csr_matrix(np.asarray(dist).reshape(n, m) <= radius, dtype=float)
    # Variables: x (m candidates, binary) then y (n demand, covered share in [0, 1]).
    # Maximise w.y subject to y_i <= sum of x_j reaching i, and sum x = k.
    cover = LinearConstraint(hstack([-reach, identity(n)]), -np.inf, 0)
    count = LinearConstraint(np.concatenate([np.ones(m), np.zeros(n)])[None, :], k, k)
    start = time.perf_counter()
    result = milp(np.concatenate([np.zeros(m), -weight]), constraints=[cover, count],
                  integrality=np.concatenate([np.ones(m), np.zeros(n)]), bounds=Bounds(0, 1))
    return greedy, -result.fun, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    labels = {"coverage": "coverage 1M demand x 10k supply, 1000 m",
              "2sfca": "2SFCA 100k demand x 10k supply, 1000 m",
              "greedy_large": "greedy 10 of 20k candidates, 1M demand, 500 m",
              "greedy_small": "greedy 10 of 2,000 candidates, 1,500 demand, 500 m"}
    context = multiprocessing.get_context("spawn")
    for case, label in labels.items():
        with context.Pool(1) as pool:
            row = pool.apply(measure, (case, options.seed, options.repeat))
        verdict = ""
        if case in TARGETS:
            ok = row["seconds"] < TARGETS[case] and row["rss_mb"] < MEMORY_TARGET_MB.get(case, np.inf)
            verdict = f"  target < {TARGETS[case] * 1000:.0f} ms" + (
                f", < {MEMORY_TARGET_MB[case]} MB" if case in MEMORY_TARGET_MB else "") + (": ok" if ok else ": MISSED")
        print(f"{label:<52} {row['seconds'] * 1000:9.1f} ms  peak RSS {row['rss_mb']:7.1f} MB"
              f"  traced {row['traced_mb']:7.1f} MB{verdict}", flush=True)
    greedy, optimum, seconds = greedy_optimal_ratio(options.seed)
    print(f"greedy/optimal on 1,500 x 2,000, p=10: {greedy:.0f} / {optimum:.0f} = {greedy / optimum:.4f}"
          f"  (optimum by scipy milp/HiGHS in {seconds:.1f} s)")


if __name__ == "__main__":
    main()
