"""Places by the pinyin of feature names, on both stores and over real HTTP: full pinyin with or
without spaces, initials, a rename found under its new pinyin, and odd input never a 5xx."""
from __future__ import annotations

import pytest
from shapely.geometry import Point

from mapservice import placeindex


@pytest.fixture
def named(client):
    store = client.application.extensions["mapservice"].store
    library = store.create("venues", {"name": "东关图书馆", "category": "library", "free": True}, Point(119.44, 32.40))
    museum = store.create("venues", {"name": "扬州博物馆", "category": "museum", "free": True}, Point(119.40, 32.39))
    school = store.create("parent_schools", {"name": "东关小学家长学校", "host": "school", "tier": "basic"},
                          Point(119.45, 32.41))
    return store, library, museum, school


def _names(client, q: str, **params) -> list[str]:
    answer = client.get("/api/places", query_string={"q": q, **params})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return [p["name"] for p in answer.json["places"] if p["kind"] == "feature"]


@pytest.mark.parametrize("q, name", [("dgtsg", "东关图书馆"), ("dongguantushuguan", "东关图书馆"),
                                     ("Dongguan Tushuguan", "东关图书馆"), ("tushuguan", "东关图书馆"),
                                     ("yzbwg", "扬州博物馆"), ("yangzhou bowuguan", "扬州博物馆"),
                                     ("jiazhang", "东关小学家长学校"), ("dgxxjzxx", "东关小学家长学校")])
def test_a_name_is_found_by_its_pinyin_or_initials(client, named, q, name):
    assert name in _names(client, q)


def test_names_starting_with_the_pinyin_come_first_and_layers_narrow_it(client, named):
    assert _names(client, "dongguan")[:2] == ["东关图书馆", "东关小学家长学校"]
    assert _names(client, "dongguan", layers="parent_schools") == ["东关小学家长学校"]
    assert _names(client, "dongguan", limit=1) == ["东关图书馆"]


def test_a_renamed_feature_is_found_under_its_new_pinyin(client, named):
    store, library, _, _ = named
    assert "东关图书馆" in _names(client, "dgtsg")
    store.update("venues", library.id, {"name": "文昌书房"})
    assert _names(client, "dgtsg") == []
    assert _names(client, "wcsf") == ["文昌书房"]


def test_layers_are_counted_again_only_after_a_write(client, named, monkeypatch):
    """A pinyin search checks each layer's size against the cap; on PostGIS a count reads the whole
    table, so the counts are kept with the change counters, not taken on every search."""
    store = named[0]
    counted = []
    real = store.counts
    monkeypatch.setattr(store, "counts", lambda: counted.append(1) or real())
    _names(client, "dgtsg")
    before = len(counted)
    for q in ("yzbwg", "dgxx", "zzzz"):
        _names(client, q)
    assert len(counted) == before
    store.create("venues", {"name": "文昌书房", "category": "library", "free": True}, Point(119.41, 32.39))
    assert _names(client, "wcsf") == ["文昌书房"] and len(counted) == before + 1


@pytest.mark.parametrize("q", ["zzzzq", "%", "_", "'; drop table venues; --", "dg%", "123", "d\u00e9j\u00e0"])
def test_latin_text_matching_nothing_is_an_empty_answer(client, named, q):
    assert _names(client, q) == []


@pytest.mark.parametrize("q", ["dg\x00", "dg\x1b[31m", "x" * 51, ""])
def test_bad_text_is_a_400_naming_q(client, named, q):
    answer = client.get("/api/places", query_string={"q": q})
    assert answer.status_code == 400 and answer.json["error"]["field"] == "q"


def test_name_keys_read_phrases_and_keep_digits():
    assert placeindex.name_keys("东关街道第二小学家长学校") == ("dongguanjiedaodierxiaoxuejiazhangxuexiao",
                                                                "dgjddexxjzxx")
    assert placeindex.name_keys("场馆 12")[0] == "changguan12"
    assert placeindex.latin("Dong Guan") == "dongguan" and placeindex.latin("东关") == ""
