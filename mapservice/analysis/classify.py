"""Class breaks for shading values on a map (choropleth classes), computed once on the server.

The planner's page, its printed report and its downloads colour gap cells with the same classes:
quantile breaks rounded to two significant digits, so the legend reads 120–250 rather than
117.3–248.9.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np


def quantile_breaks(values: Iterable[float], classes: int = 5) -> list[float]:
    """Up to ``classes - 1`` increasing breaks between the positive ``values``' quantiles.

    Each break is a lower quantile (``floor(q * (n - 1))``-th of the sorted values), rounded to
    two significant digits; breaks that repeat, or reach the largest value, are dropped, so a
    few distinct values give fewer classes.

    >>> quantile_breaks([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    [2.0, 4.0, 6.0, 8.0]
    >>> quantile_breaks([5, 5, 5])
    []
    >>> quantile_breaks([1234, 5678, 9999, 123, 45])
    [45.0, 120.0, 1200.0, 5700.0]
    """
    ordered = sorted(float(v) for v in values if v and v > 0 and math.isfinite(v))
    breaks: list[float] = []
    for q in (i / classes for i in range(1, classes)):
        if not ordered:
            break
        value = ordered[int(math.floor(q * (len(ordered) - 1)))]
        digits = math.floor(math.log10(value)) - 1
        value = round(value / 10 ** digits) * 10 ** digits
        if value > 0 and (not breaks or value > breaks[-1]) and value < ordered[-1]:
            breaks.append(float(value))
    return breaks


def class_index(values, breaks: list[float], classes: int = 5) -> np.ndarray:
    """The class (0 = lightest .. ``classes - 1`` = darkest) of each value for ``breaks``.

    With fewer breaks than ``classes - 1`` the classes used are the darkest ones, so the heaviest
    values are always drawn in the darkest colour.

    >>> class_index([1, 5, 9], [2.0, 4.0, 6.0, 8.0]).tolist()
    [0, 2, 4]
    >>> class_index([1, 9], [5.0]).tolist()
    [3, 4]
    """
    values = np.asarray(values, dtype=float)
    return np.searchsorted(np.asarray(breaks, dtype=float), values, side="right") + (classes - 1 - len(breaks))


#: Offsets from the reference share (fractions) that bound the diverging classes of :func:`share_class`.
SHARE_STEPS = (-0.15, -0.05, 0.05, 0.15)


def share_breaks(reference: float, steps=SHARE_STEPS) -> list[float]:
    """Breaks of a diverging scale of shares centred on ``reference`` (the region's share), clipped to 0..1.

    >>> share_breaks(0.8)
    [0.65, 0.75, 0.85, 0.95]
    """
    return [round(min(max(reference + step, 0.0), 1.0), 6) for step in steps]


def share_class(shares, reference: float, steps=SHARE_STEPS) -> np.ndarray:
    """The diverging class of each share (0 = far below ``reference`` .. 4 = far above; 2 holds the
    reference itself); -1 where a share is missing.

    >>> share_class([0.5, 0.78, 0.81, 0.99, float("nan")], 0.8).tolist()
    [0, 2, 2, 4, -1]
    """
    shares = np.asarray(shares, dtype=float)
    classes = np.searchsorted(np.asarray(share_breaks(reference, steps)), shares, side="right")
    return np.where(np.isnan(shares), -1, classes)
