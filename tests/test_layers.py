"""Layer files: the shipped ones load; malformed ones stop start-up naming file and field."""
import pytest

from mapservice.errors import LayerConfigError
from mapservice.layers import load_layers

GOOD = """
id = "things"
title = { zh = "东西", en = "Things" }
kind = "supply"
geometry = "Point"
radius_m = 500
style = { color = "#123456", icon = "x" }
[[attributes]]
name = "name"
type = "text"
required = true
label = { zh = "名称", en = "Name" }
[[attributes]]
name = "category"
type = "code"
label = { zh = "类别", en = "Category" }
values.a = { zh = "甲", en = "A" }
"""


def test_shipped_layers_load_in_file_order(layers):
    assert list(layers) == ["venues", "practice_bases", "community_stations", "parent_schools",
                            "schools", "communities", "districts"]
    assert {layer.kind for layer in layers.values()} == {"supply", "demand", "boundary"}
    for layer in layers.of_kind("supply"):
        assert layer.radius_m in (300, 500, 1000) and "GB 50180" in layer.radius_basis
    venue_categories = set(layers["venues"].attribute("category").values)
    assert venue_categories == {"museum", "library", "science_museum", "art_gallery", "youth_palace",
                                "sports_venue", "park", "heritage_site", "other"}


@pytest.mark.parametrize("change, field", [
    (lambda t: t.replace('kind = "supply"', 'kind = "shop"'), "kind"),
    (lambda t: t.replace('radius_m = 500\n', ''), "radius_m"),
    (lambda t: t.replace('id = "things"', 'id = "Bad Id"'), "id"),
    (lambda t: t.replace('type = "code"', 'type = "enum"'), "type"),
    (lambda t: t.replace('values.a = { zh = "甲", en = "A" }', ''), "values"),
    (lambda t: t.replace('geometry = "Point"', 'geometry = "Curve"'), "geometry"),
    (lambda t: t.replace('color = "#123456"', 'color = "red"'), "style.color"),
    (lambda t: t.replace('title = { zh = "东西", en = "Things" }', 'title = { zh = "东西" }'), "title.en"),
    (lambda t: t.replace('name = "category"', 'name = "geom"'), "name"),
    (lambda t: t + '\n[[attributes]]\nname = "x"\ntype = "text"\nlabel = {zh="x", en="x"}\ncolour = 1\n', "colour"),
])
def test_malformed_layer_file_names_file_and_field(tmp_path, change, field):
    (tmp_path / "10-things.toml").write_text(change(GOOD), encoding="utf-8")
    with pytest.raises(LayerConfigError) as info:
        load_layers(tmp_path)
    assert "10-things.toml" in info.value.message
    assert info.value.field == field


def test_invalid_toml_and_empty_folder(tmp_path):
    with pytest.raises(LayerConfigError, match="no layer files"):
        load_layers(tmp_path)
    (tmp_path / "bad.toml").write_text("id = ", encoding="utf-8")
    with pytest.raises(LayerConfigError, match="bad.toml: not valid TOML"):
        load_layers(tmp_path)


def test_attribute_parsing_accepts_codes_labels_and_chinese_yes_no(layers):
    venues = layers["venues"]
    assert venues.attribute("category").parse("博物馆") == "museum"
    assert venues.attribute("category").parse("Science museum") == "science_museum"
    assert venues.attribute("free").parse("是") is True
    assert venues.attribute("free").parse("false") is False
    assert venues.attribute("age_min").parse("6") == 6
    assert layers["practice_bases"].attribute("themes").parse("科学技术、labour") == ["science", "labour"]
    for attribute, raw in [("category", "zoo"), ("free", "maybe"), ("age_min", "6.5"), ("age_max", "19"),
                           ("name", "  ")]:
        with pytest.raises(ValueError):
            venues.attribute(attribute).parse(raw)


def test_opening_hours_are_validated_on_parse(layers):
    hours = layers["venues"].attribute("opening_hours")
    assert hours.parse("Tu-Su 09:00-17:00; PH off") == "Tu-Su 09:00-17:00; PH off"
    with pytest.raises(ValueError, match="opening_hours syntax"):
        hours.parse("9 to 5 on weekdays")


@pytest.mark.parametrize("expression, zh, en", [
    ("24/7", "全天开放", "open 24/7"),
    ("Tu-Su 09:00-17:00; PH off", "周二至周日 09:00-17:00；法定节假日闭馆", "Tue-Sun 09:00-17:00; public holidays closed"),
    ("Apr-Oct Sa,Su 08:00-18:00", "4月至10月 周六、周日 08:00-18:00", "Apr-Oct Sat,Sun 08:00-18:00"),
])
def test_opening_hours_in_words(expression, zh, en):
    from mapservice.hours import describe
    assert describe(expression, "zh") == zh and describe(expression, "en") == en
