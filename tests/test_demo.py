"""The shipped demo region loads through the importer, converted from GCJ-02 and marked generated."""
import json

import pytest
import shapely
from shapely.geometry import shape

from mapservice import geo
from mapservice.demo import load_demo
from mapservice.exporter import iter_features
from mapservice.resources import resource_dir

TARGETS = {"venues": 200, "practice_bases": 60, "community_stations": 150, "parent_schools": 1300,
           "schools": 370, "communities": 1500, "districts": 6}


@pytest.fixture
def demo(store):
    reports = load_demo(store)
    assert all(not r.errors for r in reports), [r.errors[:3] for r in reports]
    return store


def test_counts_are_at_the_real_world_scale(demo):
    counts = demo.counts()
    for layer_id, target in TARGETS.items():
        assert 0.8 * target <= counts[layer_id] <= 1.3 * target, (layer_id, counts[layer_id])


def test_boundaries_are_converted_from_gcj02(demo):
    source = json.loads((resource_dir("geodata") / "yangzhou" / "321002.geojson").read_text(encoding="utf-8"))
    gcj_first = shapely.get_coordinates(shape(source))[0]
    stored = demo.features("districts", filters={"adcode": "321002"}).features[0]
    assert stored.properties["name"] == "广陵区"
    wgs_first = shapely.get_coordinates(stored.geometry)[0]
    expected = geo.gcj02_to_wgs84(*gcj_first)
    assert geo.geodesic_m(*wgs_first, *expected) < 0.01
    assert 300 < geo.geodesic_m(*wgs_first, *gcj_first) < 700  # the ~500 m Amap offset is gone


def test_every_point_is_generated_and_inside_the_region(demo):
    region = shapely.union_all([f.geometry for f in iter_features(demo, "districts")])
    for layer in demo.layers.values():
        if not layer.is_point:
            continue
        features = list(iter_features(demo, layer.id))
        assert all(f.properties["generated"] for f in features), layer.id
        points = shapely.points([(f.geometry.x, f.geometry.y) for f in features])
        assert shapely.contains(region, points).all(), layer.id


def test_reloading_the_demo_changes_nothing(demo):
    before = demo.counts()
    reports = load_demo(demo)
    assert demo.counts() == before and sum(r.inserted for r in reports) == 0
