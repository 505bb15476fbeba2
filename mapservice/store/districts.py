"""Which district a feature lies in: the ``adcode`` every layer table but a boundary layer's carries.

The store derives it on every write, here for both stores: the code of the district polygon that
holds the feature's point (a polygon's representative point, ``ST_PointOnSurface``), the first
district by id when the point is on a border two share (as the planner counts it), NULL outside
every district. When the districts change, the stores derive it again for every feature (PostGIS in
one statement per layer, with the same rule). The column is what a province distributes or
partitions its tables by (Citus, pg_partman).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from ..layers import ADCODE, Layer, LayerRegistry


def district_layer(layers: LayerRegistry) -> Layer | None:
    """The boundary layer whose features give the codes: the first with an ``adcode`` attribute."""
    return next((layer for layer in layers.of_kind("boundary") if layer.attribute(ADCODE) is not None), None)


@dataclass(frozen=True)
class Districts:
    """District polygons (prepared, in id order) and their codes."""

    codes: np.ndarray
    shapes: np.ndarray

    @classmethod
    def of(cls, codes: Iterable[str | None], shapes: Iterable[BaseGeometry]) -> Districts:
        shapes = np.asarray(list(shapes), dtype=object)
        shapely.prepare(shapes)
        return cls(np.asarray(list(codes), dtype=object), shapes)

    def codes_of(self, geometries: Iterable[BaseGeometry]) -> list[str | None]:
        """The adcode of each geometry, for a batch at once: one R-tree over the batch's points,
        queried with every (prepared) district."""
        points = shapely.point_on_surface(np.asarray(list(geometries), dtype=object))
        found = np.full(len(points), None, dtype=object)
        if len(points) and len(self.shapes):
            district, point = shapely.STRtree(points).query(self.shapes, predicate="intersects")
            first = np.full(len(points), len(self.shapes))
            np.minimum.at(first, point, district)  # a point on a shared border: the first district
            inside = first < len(self.shapes)
            found[inside] = self.codes[first[inside]]
        return found.tolist()


NO_DISTRICTS = Districts.of([], [])
