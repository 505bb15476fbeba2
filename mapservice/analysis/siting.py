"""Where to put the next sites: greedy maximal covering location (MCLP, Church & ReVelle 1974).

Given demand (communities, schools), what it already has within reach, and candidate sites,
pick ``k`` new sites that together cover the most still-uncovered demand weight.

The greedy choice (always take the candidate adding the most uncovered weight) is within
``1 - 1/e`` (~63 %) of the optimum in the worst case (Nemhauser, Wolsey & Fisher 1978); on
city-scale instances it is usually within a few percent, often at 99 % or more — the bench
(``bench/coverage.py``) measures the ratio against an exact solver. Lazy evaluation (Minoux
1978): a candidate's gain can only fall as sites are added, so a stale gain in the priority
queue is an upper bound and only the candidate on top ever needs re-evaluating.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from .. import budget
from ..errors import BadRequest
from .coverage import as_points, as_radius, as_values, pairs_within


@dataclass(frozen=True)
class Suggestion:
    """One suggested site, in the order chosen; weights in the demand's unit."""

    index: int  # into the candidate arrays
    lon: float  # degrees, EPSG:4326
    lat: float
    added_weight: float  # uncovered demand weight this site brings within the radius
    covered_weight_after: float  # covered weight once this and all earlier sites exist
    covered_share_after: float  # covered_weight_after / total weight, nan when that is 0


def greedy_max_coverage(demand_lon, demand_lat, weight, already_covered, candidate_lon, candidate_lat,
                        radius_m, k) -> list[Suggestion]:
    """Greedy maximal-coverage suggestions for up to ``k`` new sites.

    Parameters
    ----------
    demand_lon, demand_lat : array_like, shape (n,)
        Demand points, degrees (EPSG:4326).
    weight : array_like, shape (n,), or None
        Demand weight; ``None`` counts each point once.
    already_covered : array_like of bool, shape (n,), or None
        Demand already covered by existing supply (e.g. ``CoverageResult.covered``); ``None``
        means none is.
    candidate_lon, candidate_lat : array_like, shape (m,)
        Candidate sites, degrees (EPSG:4326).
    radius_m : float
        Coverage radius of a new site in geodesic metres, inclusive.
    k : int
        Number of sites wanted.

    Returns
    -------
    list of Suggestion
        In the order picked; ties go to the lower candidate index. Shorter than ``k`` when the
        remaining candidates would add no weight.

    Examples
    --------
    >>> picks = greedy_max_coverage([119.4, 119.5], [32.4, 32.4], [1, 2], None,
    ...                             [119.4, 119.5, 119.6], [32.4, 32.4, 32.4], 500, 1)
    >>> [(p.index, p.added_weight) for p in picks]
    [(1, 2.0)]
    """
    d_lon, d_lat = as_points(demand_lon, demand_lat, "demand")
    c_lon, c_lat = as_points(candidate_lon, candidate_lat, "candidates")
    weights = as_values(weight, d_lon.size, "weight")
    covered = np.zeros(d_lon.size, dtype=bool) if already_covered is None else \
        np.asarray(already_covered, dtype=bool).ravel().copy()
    if covered.size != d_lon.size:
        raise BadRequest(f"already_covered: {covered.size} flags for {d_lon.size} demand points",
                         field="already_covered")
    if int(k) != k or k < 0:
        raise BadRequest("k: the number of sites must be a whole number, not negative", field="k")

    # Candidate -> demand lists (CSR), over uncovered demand only: covered demand adds nothing.
    open_ = ~covered
    pair_d, pair_c = pairs_within(d_lon[open_], d_lat[open_], c_lon, c_lat, as_radius(radius_m))
    pair_d = np.flatnonzero(open_)[pair_d]
    order = np.argsort(pair_c, kind="stable")
    members = pair_d[order]
    bounds = np.concatenate([[0], np.cumsum(np.bincount(pair_c, minlength=c_lon.size))])

    total = float(weights.sum())
    covered_weight = float(weights[covered].sum())
    gains = np.bincount(pair_c, weights=weights[pair_d], minlength=c_lon.size)
    # Entries are (-gain, candidate, number of picks when the gain was computed).
    queue = [(-g, j, 0) for j, g in enumerate(gains.tolist()) if g > 0]
    heapq.heapify(queue)
    picks: list[Suggestion] = []
    rounds = 0
    while queue and len(picks) < k:
        rounds += 1
        if not rounds % 1024:
            budget.check_time()
        neg_gain, j, evaluated_at = queue[0]
        reach = members[bounds[j]:bounds[j + 1]]
        if evaluated_at == len(picks):
            heapq.heappop(queue)
            covered[reach] = True
            covered_weight += -neg_gain
            share = covered_weight / total if total > 0 else float("nan")
            picks.append(Suggestion(j, float(c_lon[j]), float(c_lat[j]), -neg_gain, covered_weight, share))
            continue
        gain = float(weights[reach][~covered[reach]].sum())
        if gain > 0:
            heapq.heapreplace(queue, (-gain, j, len(picks)))
        else:
            heapq.heappop(queue)
    return picks
