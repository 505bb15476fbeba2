"""Search that finds what people type (issue 11, item 4 and defect 7): townships and streets by
name and pinyin, roads from the features' addresses, grouped, best first."""


def names(answer, kind=None):
    return [p["name"] for p in answer["places"] if kind is None or p["kind"] == kind]


def test_the_boxs_own_example_finds_the_street_first(demo_client):
    answer = demo_client.get("/api/places?q=东关街道").get_json()
    first = answer["places"][0]
    assert (first["kind"], first["name"], first["layer_title"], first["group"]) == \
        ("township", "东关街道", "广陵区", "乡镇/街道")
    assert "无公开边界" in first["note"]
    assert 119.3 < first["lon"] < 119.5 and 32.3 < first["lat"] < 32.5


def test_pinyin_full_and_initials(demo_client):
    for q in ("dgjd", "dongguan", "dong guan", "DongGuanJieDao"):
        assert names(demo_client.get(f"/api/places?q={q}").get_json())[0] == "东关街道", q
    english = demo_client.get("/api/places?q=dgjd&lang=en").get_json()["places"][0]
    assert english["group"] == "Townships and streets" and english["note"].startswith("no public boundary")


def test_road_names_from_addresses_find_places(demo_client):
    for q in ("琼花", "文昌"):
        roads = names(demo_client.get(f"/api/places?q={q}").get_json(), "road")
        assert roads and all(q in road for road in roads), q


def test_groups_come_in_order_and_features_follow(demo_client):
    places = demo_client.get("/api/places?q=东关&limit=20").get_json()["places"]
    kinds = [p["kind"] for p in places]
    assert kinds[0] == "township" and kinds == sorted(kinds, key=["township", "road", "feature"].index)
    assert any(k == "feature" for k in kinds)
    assert demo_client.get("/api/places?q=东关&layers=venues").get_json()["places"][0]["kind"] == "feature"


def test_a_road_and_number_finds_the_places_at_that_address(demo_client):
    places = demo_client.get("/api/places?q=兴城南路51号").get_json()["places"]
    at = [p for p in places if p["group"] == "地址"]
    assert {p["name"] for p in at} == {"东关小学家长学校", "东关小学"}
    assert all(p["kind"] == "feature" and p["note"] == "扬州市广陵区东关街道兴城南路51号" for p in at)
    assert {p["layer"] for p in at} == {"parent_schools", "schools"}
    # Without 号 too, the number's own places first; in English the group is named so.
    english = demo_client.get("/api/places?q=兴城南路51&lang=en").get_json()["places"]
    assert [p["name"] for p in english if p["group"] == "Addresses"][:2] == [p["name"] for p in at]
    # A road alone: the road first (placed from the addresses), then the places on it.
    road = demo_client.get("/api/places?q=兴城南路&limit=20").get_json()["places"]
    assert road[0]["kind"] == "road" and any(p["group"] == "地址" for p in road)
