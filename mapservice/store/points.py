"""Point layers held in memory, for nearest search and boxes, by both stores.

A layer's points (ids, longitudes, latitudes) are read once per change of its change counter (the
store's ``layer_versions()``, bumped by triggers, so writes from other processes count too) and kept
with a KD-tree on unit-sphere vectors for nearest search (one over all the layers a search covers)
and latitude bands for boxes. Distances are geodesic (WGS 84) and ties go by layer id, then id,
so that both stores give the same answers. A store says how it reads the points
(``_read_points``: None when a layer is too big to hold, and it answers in SQL instead) and which
of a set of ids pass a layer's filters (``_filtered_fids``).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.spatial import cKDTree

from .. import clusters
from ..geo import SPHERE_MARGIN, chord_for_metres, geodesic_m, metres_for_chord, unit_xyz
from ..layers import Layer
from .base import Page

# Latitude bands of the box index, in degrees (about 1.1 km).
_BAND_DEG = 0.01
# Indexes over several layers at once (one per set of layers searched together) kept per store.
_COMBINED_INDEXES = 4
# Versions of one layer kept at once: reads that alternate between replicas a write apart.
_VERSIONS_KEPT = 2


@dataclass(frozen=True)
class PointIndex:
    """The points of one layer, or of several searched together, for nearest and box queries."""

    key: tuple[tuple[str, int], ...]  # (layer id, change counter) of each layer in it
    fids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    part: np.ndarray  # each point's layer, as a position in ``key``
    rank: np.ndarray  # each point's layer id's place in sorted order (ties go to the smaller id)

    @classmethod
    def build(cls, key, fids: np.ndarray, lon: np.ndarray, lat: np.ndarray, part: np.ndarray) -> PointIndex:
        ids = [layer_id for layer_id, _ in key]
        rank = np.array([sorted(ids).index(i) for i in ids], dtype=np.int16)[part]
        return cls(key, fids, lon, lat, part, rank)

    @cached_property
    def tree(self) -> cKDTree | None:
        """For nearest search (built when first needed: a layer searched only with others needs none)."""
        return cKDTree(unit_xyz(self.lon, self.lat)) if len(self.fids) else None

    @cached_property
    def bands(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """For box queries: positions ordered by latitude band, then longitude; the bands that
        hold points; where each starts in that order (and the end); longitudes in that order."""
        band = np.floor(self.lat / _BAND_DEG).astype(np.int64)
        order = np.lexsort((self.lon, band))
        bands, starts = np.unique(band[order], return_index=True)
        return order, bands, np.append(starts, len(order)), self.lon[order]

    def in_box(self, minx: float, miny: float, maxx: float, maxy: float) -> np.ndarray:
        """Positions of the points inside the box, edges included (exact float64 comparisons)."""
        order, bands, starts, lon = self.bands
        # floor(lat / d) never decreases with lat: a point inside lies in one of these bands.
        first = int(np.searchsorted(bands, np.floor(miny / _BAND_DEG), "left"))
        last = int(np.searchsorted(bands, np.floor(maxy / _BAND_DEG), "right"))
        slices = []
        for start, end in zip(starts[first:last].tolist(), starts[first + 1:last + 1].tolist()):
            band_lon = lon[start:end]
            low, high = band_lon.searchsorted(minx, "left"), band_lon.searchsorted(maxx, "right")
            slices.append(order[start + low:start + high])
        found = np.concatenate(slices) if slices else np.empty(0, dtype=np.intp)
        lat = self.lat[found]
        return found[(lat >= miny) & (lat <= maxy)]


class PointIndexes:
    """What a store mixes in to answer nearest and box queries over point layers from memory.

    The store provides ``layer_versions()`` (every layer's change counter), ``_read_points(layer)``
    (``(fids, lon, lat)`` in id order, or None for a layer it would rather answer in SQL),
    ``_filtered_fids(layer, fids, filters)`` and ``_in_transaction()``: inside a transaction its own
    writes move the change counters, which a rollback takes back, so what is read there is not kept.
    ``_get_many`` reads the rows of a page. Methods named ``_indexed_*`` return None when a layer
    is not held, for the store's own way instead.
    """

    def _init_point_indexes(self) -> None:
        self._indexes: dict[tuple[str, int], PointIndex | None] = {}
        self._combined: dict[tuple, PointIndex] = {}
        self._index_lock = threading.Lock()

    def _point_index(self, layer: Layer, version: int | None = None, held_only: bool = False) -> PointIndex | None:
        """The layer's points at its change counter (``version``, else read now); None when the
        store does not hold this layer in memory (or, ``held_only``, has not read it at ``version``)."""
        if version is None:
            if held_only:
                return None
            version = self.layer_versions()[layer.id]
        key = (layer.id, version)
        with self._index_lock:
            if key in self._indexes or held_only:
                return self._indexes.get(key)
        points = self._read_points(layer)
        index = None if points is None else PointIndex.build(
            (key,), *points, np.zeros(len(points[0]), dtype=np.int16))
        if self._in_transaction():
            return index  # for this read only: a rollback would take the change counter back
        with self._index_lock:
            kept = [k for k in self._indexes if k[0] == layer.id and k != key]
            for old in kept[:max(0, len(kept) - _VERSIONS_KEPT + 1)]:
                del self._indexes[old]
            self._indexes[key] = index
        return index

    def warm(self) -> None:
        # The point indexes nearby, boxes and clusters read: ~0.2 s per 100k points, once per process.
        versions = self.layer_versions()
        for layer in self.layers.values():
            if layer.is_point:
                self._point_index(layer, versions[layer.id])

    def _combined_index(self, layers: list[Layer], versions: dict[str, int],
                        held_only: bool = False) -> PointIndex | None:
        """One index over the points of several layers, so that searching them is one look-up."""
        key = tuple((layer.id, versions[layer.id]) for layer in layers)
        with self._index_lock:
            index = self._combined.get(key)
        if index is not None:
            return index
        parts = [self._point_index(layer, version, held_only) for layer, (_, version) in zip(layers, key)]
        if any(part is None for part in parts):
            return None
        index = PointIndex.build(
            key, np.concatenate([p.fids for p in parts]), np.concatenate([p.lon for p in parts]),
            np.concatenate([p.lat for p in parts]),
            np.repeat(np.arange(len(parts), dtype=np.int16), [len(p.fids) for p in parts]))
        if self._in_transaction():
            return index
        with self._index_lock:
            # Indexes of layers that have changed since are of no more use.
            self._combined = {k: v for k, v in self._combined.items()
                              if all(versions.get(layer_id) == version for layer_id, version in k)}
            while len(self._combined) >= _COMBINED_INDEXES:
                del self._combined[next(iter(self._combined))]
            self._combined[key] = index
        return index

    def _assumed_versions(self) -> dict[str, int] | None:
        """The change counters last read, for a read that answers from the points held at them and
        checks the counters in the round trip that reads its rows (a store whose counters cost a round
        trip of their own); None when this block has read its own or is inside a transaction."""
        if self._in_transaction() or getattr(self._view, "versions", None) is not None:
            return None
        return self._known_versions

    def _indexed_nearest_ranked(self, searches, lon, lat, radius_m, limit, assumed=None) -> list[tuple] | None:
        """``(distance_m, layer_id, fid)`` of the ``limit`` nearest over every (layer, filters)
        search, one change-counter read for them all, or from the points held at ``assumed``
        counters (None when some are not); the layers without filters in one KD-tree look-up."""
        versions, held_only = (assumed, True) if assumed is not None else (self.layer_versions(), False)
        ranked, rest = [], searches
        plain = [layer for layer, filters in searches if not filters]
        if len(plain) >= 2:
            index = self._combined_index(plain, versions, held_only)
            if index is None:
                return None
            picked, dist = self._nearest_unfiltered(index, lon, lat, radius_m, limit)
            layer_ids = [layer_id for layer_id, _ in index.key]
            ranked = [(d, layer_ids[p], f) for d, p, f in
                      zip(dist.tolist(), index.part[picked].tolist(), index.fids[picked].tolist())]
            rest = [(layer, filters) for layer, filters in searches if filters]
        for layer, filters in rest:
            found = self._indexed_nearest_ids(layer, lon, lat, radius_m, limit, filters, versions.get(layer.id),
                                              held_only)
            if found is None:
                return None
            ranked.extend((float(d), layer.id, int(f)) for f, d in zip(*found))
        return sorted(ranked)[:limit]

    def _indexed_nearest_ids(self, layer, lon, lat, radius_m, limit, filters, version=None, held_only=False):
        """``(fids, metres)`` of the ``limit`` nearest of one layer passing ``filters``."""
        index = self._point_index(layer, version, held_only)
        if index is None:
            return None
        if not len(index.fids):
            return [], []
        if filters:
            query = unit_xyz(lon, lat)[0]
            reach = float(chord_for_metres(radius_m * (1 + SPHERE_MARGIN)))
            candidates = np.asarray(index.tree.query_ball_point(query, reach), dtype=np.intp)
            kept = self._filtered_fids(layer, index.fids[candidates], filters)
            candidates = candidates[np.isin(index.fids[candidates], kept)]
            picked, dist = self._closest(index, candidates, lon, lat, radius_m, limit)
        else:
            picked, dist = self._nearest_unfiltered(index, lon, lat, radius_m, limit)
        return index.fids[picked], dist

    def _indexed_box(self, layer: Layer, bbox, limit: int, offset: int) -> Page | None:
        """A box over a point layer: the matches counted and the page's ids picked in memory, on
        the same float64 coordinates the stores' exact tests read; only the page's rows read."""
        index = self._point_index(layer)
        if index is None:
            return None
        page, matched = self._box_page(index, bbox, limit, offset)
        return Page(self._get_many(layer, page), matched)

    @staticmethod
    def _box_page(index: PointIndex, bbox, limit: int, offset: int) -> tuple[list[int], int]:
        """The ids of a page of the points in ``bbox`` (by id) and how many there are in all."""
        hits = np.sort(index.fids[index.in_box(*bbox)])
        return hits[offset:offset + limit].tolist(), len(hits)

    def _indexed_cells(self, layer: Layer, bbox, zoom: int) -> list[tuple] | None:
        """The clusters' cells (:func:`mapservice.clusters.aggregate`) of the points in ``bbox``."""
        index = self._point_index(layer)
        if index is None:
            return None
        found = index.in_box(*bbox)
        return clusters.aggregate(index.fids[found], index.lon[found], index.lat[found], zoom)

    @classmethod
    def _nearest_unfiltered(cls, index: PointIndex, lon, lat, radius_m, limit):
        """Positions in ``index`` and geodesic metres of the ``limit`` nearest within ``radius_m``."""
        size = len(index.fids)
        if not size:
            return np.empty(0, dtype=np.intp), np.empty(0)
        query = unit_xyz(lon, lat)[0]
        reach = float(chord_for_metres(radius_m * (1 + SPHERE_MARGIN)))
        k = min(limit + 16, size)
        while True:
            chords, found = index.tree.query(query, k=k, distance_upper_bound=reach)
            chords, found = np.atleast_1d(chords), np.atleast_1d(found)
            valid = found < size
            picked, dist = cls._closest(index, found[valid], lon, lat, radius_m, limit)
            # Points beyond the k-th by chord might still be nearer on the ellipsoid: widen
            # until the k-th lies provably beyond the limit-th result.
            if valid.all() and k < size:
                floor = float(metres_for_chord(chords[-1])) * (1 - SPHERE_MARGIN)
                if len(picked) < limit or dist[-1] > floor:
                    k = min(k * 4, size)
                    continue
            return picked, dist

    @staticmethod
    def _closest(index: PointIndex, candidates: np.ndarray, lon, lat, radius_m, limit):
        """The ``limit`` candidates nearest within ``radius_m``, by distance, layer id, then fid."""
        if not len(candidates):
            return candidates, np.empty(0)
        dist = geodesic_m(lon, lat, index.lon[candidates], index.lat[candidates])
        inside = dist <= radius_m
        candidates, dist = candidates[inside], dist[inside]
        order = np.lexsort((index.fids[candidates], index.rank[candidates], dist))[:limit]
        return candidates[order], dist[order]
