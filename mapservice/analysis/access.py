"""Spatial accessibility: the two-step floating catchment area method (2SFCA).

Coverage (:mod:`.coverage`) asks "is there a parent school within a walk?"; 2SFCA also asks
"and how crowded is it?", so a community next to one small station shared by ten thousand
residents scores lower than one with two large stations to itself.
"""
from __future__ import annotations

import numpy as np

from .coverage import as_points, as_radius, as_values, pairs_within


def two_step_fca(demand_lon, demand_lat, demand_weight, supply_lon, supply_lat, supply_capacity,
                 radius_m) -> np.ndarray:
    """Accessibility of each demand point by 2SFCA (Luo & Wang 2003).

    Step 1: each supply point j gets the ratio ``R_j = S_j / sum(P_k)`` over the demand points
    k within ``radius_m`` of it. Step 2: each demand point i gets ``A_i = sum(R_j)`` over the
    supply points j within ``radius_m`` of it. Catchments are binary (no distance decay) and
    distances geodesic on the WGS 84 ellipsoid, inclusive at the radius.

    Parameters
    ----------
    demand_lon, demand_lat : array_like, shape (n,)
        Demand points, degrees (EPSG:4326).
    demand_weight : array_like, shape (n,), or None
        Demand ``P`` (e.g. children); ``None`` counts each point once.
    supply_lon, supply_lat : array_like, shape (m,)
        Supply points, degrees (EPSG:4326).
    supply_capacity : array_like, shape (m,), or None
        Supply ``S`` (e.g. places per session); ``None`` counts each point once.
    radius_m : float
        Catchment radius in geodesic metres.

    Returns
    -------
    ndarray of float, shape (n,)
        ``A_i``: capacity per unit of demand weight reachable from each demand point (e.g.
        places per child). A supply point with no demand weight in reach serves nobody and
        adds 0, rather than an infinite ratio, to its zero-weight neighbours.

    Examples
    --------
    Two communities 100 m apart share one station with 30 places; a third, 5 km off, has none:

    >>> two_step_fca([119.4, 119.4, 119.45], [32.4, 32.4009, 32.4], [100, 200, 50],
    ...              [119.4], [32.40045], [30], 1000).round(3).tolist()
    [0.1, 0.1, 0.0]
    """
    d_lon, d_lat = as_points(demand_lon, demand_lat, "demand")
    s_lon, s_lat = as_points(supply_lon, supply_lat, "supply")
    demand = as_values(demand_weight, d_lon.size, "demand_weight")
    capacity = as_values(supply_capacity, s_lon.size, "supply_capacity")
    pair_d, pair_s = pairs_within(d_lon, d_lat, s_lon, s_lat, as_radius(radius_m))
    reached = np.bincount(pair_s, weights=demand[pair_d], minlength=s_lon.size)
    ratio = np.divide(capacity, reached, out=np.zeros(s_lon.size), where=reached > 0)
    return np.bincount(pair_d, weights=ratio[pair_s], minlength=d_lon.size)
