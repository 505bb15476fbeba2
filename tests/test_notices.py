"""What a nearby answer says besides its places: a point outside the region, nothing open then
(issue 11 defect 9), on the demo region."""
from datetime import datetime

from shapely.geometry import MultiPolygon, box

from mapservice import hours, nearby


def test_a_point_outside_the_region_says_so_and_offers_the_centre(demo_client):
    answer = demo_client.get("/api/nearby?lat=31.23&lon=121.47").get_json()  # Shanghai
    notice = answer["notice"]
    assert answer["features"] == [] and notice["code"] == "outside_region"
    assert notice["text"] == "这个位置在扬州市以外，这里只有扬州市的资源。"
    assert notice["action"] == "从扬州市市中心查找" and notice["centre"] == {"lon": 119.425, "lat": 32.394}
    english = demo_client.get("/api/nearby?lat=31.23&lon=121.47&lang=en").get_json()["notice"]
    assert english["text"].startswith("This point is outside Yangzhou")
    inside = demo_client.get("/api/nearby?lat=32.394&lon=119.425").get_json()
    assert inside["notice"] is None and inside["features"]


def test_nothing_open_late_at_night_says_when_the_nearest_opens(demo_client):
    late = "2026-12-02T22:30:00"  # a Wednesday
    answer = demo_client.get(f"/api/nearby?lat=32.394&lon=119.425&layers=venues&category=museum&open_at={late}").get_json()
    assert answer["features"] == []
    notice = answer["notice"]
    assert notice["code"] == "none_open" and notice["text"].startswith("此时范围内没有开放的地点。最近的")
    assert "开放" in notice["text"] and notice["place"]["layer"] == "venues"
    place = demo_client.get(f"/api/layers/venues/features/{notice['place']['id']}").get_json()
    assert place["properties"]["name"] in notice["text"]


def test_next_opening_and_its_words():
    wednesday_night = datetime(2026, 12, 2, 22, 30)
    when = hours.next_opening("Tu-Su 09:00-17:00; PH off", wednesday_night)
    assert when == datetime(2026, 12, 3, 9, 0)
    assert hours.when_words(when, wednesday_night) == "明天 09:00"
    assert hours.when_words(when, wednesday_night, "en") == "tomorrow 09:00"
    assert hours.next_opening("Sa 09:00-12:00", wednesday_night) == datetime(2026, 12, 5, 9, 0)
    assert hours.when_words(datetime(2026, 12, 5, 9, 0), wednesday_night) == "周六 09:00"
    assert hours.when_words(datetime(2026, 12, 20, 9, 0), wednesday_night, "en") == "20 Dec 09:00"
    assert hours.next_opening(None, wednesday_night) is None
    assert hours.next_opening("Mo-Su 09:00-23:00", wednesday_night) == wednesday_night
    # National Day: closed on public holidays, open the day after.
    assert hours.next_opening("Mo-Su 09:00-17:00; PH off", datetime(2026, 10, 1, 8, 0)).date() > \
        datetime(2026, 10, 1).date()



def test_a_district_reshaped_moves_the_regions_edge_at_once(store):
    """The region is kept per change of the boundary layers, not their counts: an edit that moves a
    district's outline (same number of districts) is seen by the next search, on both stores."""
    district = store.create("districts", {"name": "广陵区", "adcode": "321002"},
                            MultiPolygon([box(119.3, 32.3, 119.5, 32.5)]))
    assert nearby.inside_region(store, 119.4, 32.4)
    store.update("districts", district.id, geometry=MultiPolygon([box(120.0, 33.0, 120.2, 33.2)]))
    assert not nearby.inside_region(store, 119.4, 32.4) and nearby.inside_region(store, 120.1, 33.1)
