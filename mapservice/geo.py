"""Coordinate helpers: GCJ-02 / BD-09 <-> WGS 84, geodesic distances, unit-sphere vectors.

GCJ-02 (国测局坐标, Amap and Tencent) and BD-09 (Baidu) are the obfuscated systems most
Chinese POI sources use. The forward WGS 84 -> GCJ-02 transform is the widely published one
(as in eviltransform / coordtransform); the reverse is solved by fixed-point iteration, which
converges to well under 0.01 m. Outside China the systems equal WGS 84.

All functions take and return longitude/latitude in degrees (numpy arrays or scalars).
"""
from __future__ import annotations

import math

import numpy as np
from pyproj import Geod

GEOD = Geod(ellps="WGS84")
EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius, used only for index look-ups, never for reported distances
# Over short ranges the ellipsoid's radius of curvature lies between 0.9944 and 1.0045 times the
# mean radius: sphere (KD-tree) searches widen by this margin, then distances are made exact.
SPHERE_MARGIN = 0.007
_A = 6378245.0  # Krasovsky 1940 semi-major axis, as GCJ-02 uses
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0
NAMED_CRS = ("wgs84", "cgcs2000", "gcj02", "bd09")


def _out_of_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = lon - 105.0, lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    outside = _out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def wgs84_to_gcj02(lon, lat):
    """WGS 84 -> GCJ-02 (degrees)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = _delta(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon, lat):
    """GCJ-02 -> WGS 84 (degrees), by iterating the forward transform to a fixed point."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    wlon, wlat = lon.copy(), lat.copy()
    for _ in range(10):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        wlon, wlat = wlon - (glon - lon), wlat - (glat - lat)
    return wlon, wlat


def gcj02_to_bd09(lon, lat):
    """GCJ-02 -> BD-09 (degrees)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon, lat):
    """BD-09 -> GCJ-02 (degrees)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    x, y = lon - 0.0065, lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def bd09_to_wgs84(lon, lat):
    """BD-09 -> WGS 84 (degrees)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def wgs84_to_bd09(lon, lat):
    """WGS 84 -> BD-09 (degrees)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


TO_WGS84 = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}


def geodesic_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geodesic distance on the WGS 84 ellipsoid in metres (what PostGIS geography reports)."""
    values = [np.asarray(v, dtype=float) for v in (lon1, lat1, lon2, lat2)]
    shape = np.broadcast_shapes(*(v.shape for v in values))
    # pyproj wants four arrays of one size: a scalar (a search's own point) repeated, the rest as they are.
    args = [np.full(shape, v).ravel() if v.shape != shape else v.ravel() for v in values]
    _, _, dist = GEOD.inv(*args)
    return np.asarray(dist).reshape(shape)


def unit_xyz(lon, lat) -> np.ndarray:
    """Points on the unit sphere (n x 3): chord length there is monotonic in great-circle distance."""
    if isinstance(lon, (int, float)) and isinstance(lat, (int, float)):  # one point (a search's): in math
        lon_r, lat_r = math.radians(lon), math.radians(lat)
        cos_lat = math.cos(lat_r)
        return np.array([[cos_lat * math.cos(lon_r), cos_lat * math.sin(lon_r), math.sin(lat_r)]])
    lon_r, lat_r = np.radians(np.asarray(lon, dtype=float)), np.radians(np.asarray(lat, dtype=float))
    cos_lat = np.cos(lat_r)
    return np.column_stack([cos_lat * np.cos(lon_r), cos_lat * np.sin(lon_r), np.sin(lat_r)])


def chord_for_metres(metres) -> np.ndarray:
    """Unit-sphere chord length for a great-circle distance in metres."""
    if isinstance(metres, (int, float)):
        return 2.0 * math.sin(min(metres / EARTH_RADIUS_M, math.pi) / 2.0)
    return 2.0 * np.sin(np.minimum(np.asarray(metres, dtype=float) / EARTH_RADIUS_M, np.pi) / 2.0)


def metres_for_chord(chord) -> np.ndarray:
    """Inverse of :func:`chord_for_metres`."""
    if isinstance(chord, (int, float)):
        return 2.0 * math.asin(min(max(chord / 2.0, 0.0), 1.0)) * EARTH_RADIUS_M
    return 2.0 * np.arcsin(np.clip(np.asarray(chord, dtype=float) / 2.0, 0.0, 1.0)) * EARTH_RADIUS_M
