"""Errors carry a stable code and the field at fault, worded in the request's language: Chinese by
default, English with lang=en, and no English in a Chinese answer (the API, the pages, the CLI)."""
import re
from urllib.parse import unquote

import pytest
from click.testing import CliRunner

from mapservice.cli import main
from mapservice.errors import BadRequest

ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")


def english_words(message: str, url: str, params: dict) -> list[str]:
    """Words of Latin letters in ``message`` other than an echo of what the request sent, the values
    a parameter takes (``wgs84 / gcj02``, ``true``)."""
    taken = f"{unquote(url)} {params} true false"
    return [word for word in ENGLISH_WORD.findall(message) if word not in taken]


@pytest.mark.parametrize("url, status, field, code", [
    ("/api/nearby?lat=32.39&lon=119.42&radius=0", 400, "radius", "above_min"),
    ("/api/nearby?lat=32.39&lon=119.42&radius=abc", 400, "radius", "not_number"),
    ("/api/nearby?lon=119.42", 400, "lat", "required"),
    ("/api/nearby?lat=32.39&lon=119.42&grade=13", 400, "grade", "out_of_range"),
    ("/api/nearby?lat=32.39&lon=119.42&free=yes", 400, "free", "not_flag"),
    ("/api/nearby?lat=32.39&lon=119.42&open_at=2026-13-01T00:00", 400, "open_at", "bad_datetime"),
    ("/api/nearby?lat=32.39&lon=119.42&layers=districts", 400, "layers", "not_points"),
    ("/api/nearby?lat=32.39&lon=119.42&layers=zoo", 400, "layers", "unknown_layer"),
    ("/api/nearby?lat=32.39&lon=119.42&colour=red", 400, "colour", "unknown_parameter"),
    ("/api/places?q=", 400, "q", "empty"),
    ("/api/places?q=%00", 400, "q", "bad_text"),
    ("/api/layers?crs=mercator", 400, "crs", "not_one_of"),
    ("/api/layers/venues/features?bbox=1,2,3", 400, "bbox", "bad_bbox"),
    ("/api/layers/venues/features/99999", 404, "id", "no_feature"),
    ("/api/layers/zoo/features", 404, "layer", "unknown_layer"),
    ("/api/nothing-here", 404, None, "http_404"),
    ("/api/plan?supply=parent_schools&demand=communities&radius=0", 400, "radius", "above_min"),
    ("/api/plan?supply=parent_schools&demand=communities&district=nowhere", 400, "district", "unknown_district"),
])
def test_api_errors_have_a_code_and_are_worded_in_the_asked_language(client, url, status, field, code):
    zh = client.get(url)
    assert zh.status_code == status, zh.get_data(as_text=True)
    error = zh.get_json()["error"]
    assert (error["status"], error["field"], error["code"]) == (status, field, code), error
    assert error["message"] and english_words(error["message"], url, error["params"]) == [], error["message"]
    en = client.get(f"{url}{'&' if '?' in url else '?'}lang=en").get_json()["error"]
    assert (en["field"], en["code"]) == (field, code) and en["message"] != error["message"]
    assert not re.search(r"[\u4e00-\u9fff]", en["message"].replace(unquote(url), "")), en["message"]


def test_a_range_error_says_the_bounds_in_words(client):
    error = client.get("/api/nearby?lat=32.39&lon=119.42&radius=0").get_json()["error"]
    assert error["message"] == "半径应大于 0，且不超过 50000。" and error["params"] == {"min": "0", "max": "50000"}
    english = client.get("/api/nearby?lat=32.39&lon=119.42&radius=0&lang=en").get_json()["error"]
    assert english["message"] == "radius must be more than 0 and at most 50000."


def test_an_error_without_its_own_wording_is_general_in_chinese_and_itself_in_english():
    error = BadRequest("the moon is not a venue", field="moon", code="no_such_code")
    assert error.text("en") == "the moon is not a venue"
    assert error.text("zh") == "请求有误，请检查moon。" and error.to_dict()["error"]["message"] == error.message


def test_error_pages_are_worded_in_the_page_language(client):
    page = client.get("/planner/report?radius=0")
    body = page.get_data(as_text=True)
    assert page.status_code == 400 and "半径应大于 0，且不超过 50000。" in body and "Must be" not in body
    english = client.get("/planner/report?radius=0&lang=en").get_data(as_text=True)
    assert "radius must be more than 0 and at most 50000." in english


def test_the_planner_command_words_its_errors_in_its_language(tmp_path, monkeypatch):
    monkeypatch.setenv("MAPSERVICE_DATABASE_URL", str(tmp_path / "cli.gpkg"))
    monkeypatch.setenv("MAPSERVICE_LOAD_DEMO", "false")
    runner = CliRunner()
    zh = runner.invoke(main, ["coverage", "--supply", "parent_schools", "--demand", "communities", "--radius", "0"])
    assert zh.exit_code == 2 and "错误：半径应大于 0，且不超过 50000。" in zh.output, zh.output
    en = runner.invoke(main, ["coverage", "--supply", "parent_schools", "--demand", "communities", "--radius", "0",
                               "--lang", "en"])
    assert en.exit_code == 2 and "error: radius must be more than 0 and at most 50000." in en.output, en.output
