"""CRS helpers against published conversions and geodesic references."""
import numpy as np
import pytest

from mapservice import geo

# wandergis/coordtransform, test/app.js: inputs (116.404, 39.915).
PUBLISHED = {
    "wgs84_to_gcj02": (116.41024449916938, 39.91640428150164),
    "gcj02_to_wgs84": (116.39775550083061, 39.91359571849836),
    "gcj02_to_bd09": (116.41036949371029, 39.92133699351021),
    "bd09_to_gcj02": (116.39762729119315, 39.90865673957631),
}


@pytest.mark.parametrize("name", PUBLISHED)
def test_conversion_matches_published_values_within_5_m(name):
    lon, lat = getattr(geo, name)(116.404, 39.915)
    error = geo.geodesic_m(lon, lat, *PUBLISHED[name])
    assert error < 5.0, f"{name} is {error:.2f} m off"


def test_round_trips_over_yangzhou():
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(119.0, 119.9, 500), rng.uniform(32.2, 33.2, 500)
    back = geo.gcj02_to_wgs84(*geo.wgs84_to_gcj02(lon, lat))
    assert geo.geodesic_m(lon, lat, *back).max() < 0.01
    # The published BD-09 formulas are not exact inverses of each other: about 0.1 m.
    back = geo.bd09_to_wgs84(*geo.wgs84_to_bd09(lon, lat))
    assert geo.geodesic_m(lon, lat, *back).max() < 0.5


def test_yangzhou_offset_is_the_documented_size():
    # geodata README: GCJ-02 is about 0.0055 deg east and 0.0019 deg south of WGS 84 there.
    glon, glat = geo.wgs84_to_gcj02(119.42, 32.39)
    assert 0.004 < glon - 119.42 < 0.007
    assert -0.003 < glat - 32.39 < -0.001


def test_outside_china_is_unchanged():
    assert geo.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)


def test_chord_metres_round_trip():
    metres = np.array([1.0, 500.0, 3000.0, 1e6])
    assert np.allclose(geo.metres_for_chord(geo.chord_for_metres(metres)), metres)
