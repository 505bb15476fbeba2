"""Coverage for planners on a store: a hand-made region on both stores, via core, HTTP and CLI."""
import re

import h3
import pyogrio
import pytest
from click.testing import CliRunner
from shapely.geometry import Point, box

from mapservice.cli import main
from mapservice.errors import BadRequest
from mapservice.planning import CoverageRequest, closed_text, parse_closed, parse_sites, plan, sites_text
from mapservice.store.geopackage import GeoPackageStore

# Two districts side by side; about 94 m per 0.001 degree of longitude at 32.39 N.
WEST, EAST = box(119.30, 32.30, 119.40, 32.50), box(119.40, 32.30, 119.50, 32.50)


def build(store):
    store.create("districts", {"name": "西区", "adcode": "320001"}, WEST)
    store.create("districts", {"name": "东区", "adcode": "320002"}, EAST)
    school = store.create("parent_schools", {"name": "西家长学校", "host": "school", "tier": "示范"}, Point(119.35, 32.39))
    store.create("parent_schools", {"name": "东家长学校", "host": "community", "tier": "基础"}, Point(119.45, 32.39))
    # West: one community 94 m from its school, one 940 m away. East: one at 470 m, one 1.9 km.
    for name, lon, population in [("西近", 119.351, 1000), ("西远", 119.36, 3000),
                                  ("东中", 119.455, 2000), ("东远", 119.47, 4000), ("东远邻", 119.4705, 500)]:
        store.create("communities", {"name": name, "kind": "community", "population": population}, Point(lon, 32.39))
    return school


def test_coverage_by_district_matches_hand_counts(store):
    school = build(store)
    result = plan(store, CoverageRequest(supply=("parent_schools",), demand="communities", radius_m=500), count=0)
    demand = result.demand.set_index("name")
    assert demand.loc["西近", "covered"] and demand.loc["东中", "covered"]
    assert not demand.loc["西远", "covered"] and not demand.loc["东远", "covered"]
    assert demand.loc["西近", "nearest_id"] == school.id and demand.loc["西近", "district"] == "西区"
    assert demand.loc["西近", "nearest_m"] == pytest.approx(94.1, abs=0.5)
    rows = result.districts.set_index("district")
    assert rows.loc["西区", ["demand_count", "covered_count", "demand_weight", "covered_weight"]].tolist() == [2, 1, 4000, 1000]
    assert rows.loc["东区", "covered_share"] == pytest.approx(2000 / 6500)
    assert result.region["covered_weight"] == 3000 and result.region["supply_count"] == 2
    assert result.gaps["uncovered_weight"].sum() == 7500
    assert result.weight_name == "population" and len(result.suggestions) == 0


def test_supply_filter_district_and_suggestions(store):
    build(store)
    top_tier = plan(store, CoverageRequest(supply=("parent_schools",), demand="communities", radius_m=500,
                                           supply_where="tier>=示范"))
    assert top_tier.region["covered_weight"] == 1000 and top_tier.region["supply_count"] == 1
    assert list(top_tier.supply_used["name"]) == ["西家长学校"]
    east = plan(store, CoverageRequest(supply=("parent_schools",), demand="communities", radius_m=500,
                                       district="320002"), count=3)
    assert list(east.districts["district"]) == ["东区"] and east.scope == "东区" and east.region["demand_count"] == 3
    picks = east.suggestions
    # 东远 and 东远邻 are 47 m apart: one new parent school at either covers both (4,500 people).
    assert list(picks["name"])[0] in ("东远", "东远邻") and picks["added_weight"].iloc[0] == 4500
    assert picks["covered_share_after"].iloc[0] == pytest.approx(1.0)
    assert len(picks) == 1  # nothing is left to cover after it


def test_a_plan_sees_every_write_since_the_last(store):
    build(store)
    request = CoverageRequest(supply=("parent_schools",), demand="communities", radius_m=500)
    assert plan(store, request, count=0).region["covered_weight"] == 3000
    # Layers are kept between plans while their change counters stand still; a write moves them.
    store.create("parent_schools", {"name": "新家长学校", "host": "community", "tier": "基础"}, Point(119.36, 32.39))
    assert plan(store, request, count=0).region["covered_weight"] == 6000
    store.create("communities", {"name": "新社区", "kind": "community", "population": 700}, Point(119.361, 32.39))
    again = plan(store, request, count=0)
    assert again.region["covered_weight"] == 6700 and again.region["demand_count"] == 6


def test_what_ifs_add_sites_and_close_supply(store):
    build(store)
    east = [f for f in store.features("parent_schools").features if f.properties["name"] == "东家长学校"][0]
    request = CoverageRequest(supply=("parent_schools",), demand="communities", radius_m=500,
                              added=((119.4702, 32.39),), closed=(("parent_schools", east.id),))
    result = plan(store, request, count=0)
    # The new site covers 东远 and 东远邻 (4,500); closing the east school uncovers 东中 (2,000).
    assert result.region["covered_weight"] == 3000 + 4500 - 2000
    assert list(result.closed_supply["name"]) == ["东家长学校"]
    demand = result.demand.set_index("name")
    assert demand.loc["东远", "nearest_layer"] == "scenario"
    with pytest.raises(BadRequest) as caught:
        plan(store, CoverageRequest(supply=("parent_schools",), demand="communities", closed=(("venues", 1),)))
    assert caught.value.field == "close"
    assert parse_sites("119.4,32.3;119.5,32.4") == ((119.4, 32.3), (119.5, 32.4))
    precise = ((119.5694811, 32.6617032), (119.0, 32.0))
    assert parse_sites(sites_text(precise)) == precise and parse_closed(closed_text((("a", 1),))) == (("a", 1),)
    for text, field in (("119.4", "add"), ("200,10", "add"), ("nan,1", "add")):
        with pytest.raises(BadRequest) as caught:
            parse_sites(text)
        assert caught.value.field == field
    with pytest.raises(BadRequest):
        parse_closed("venues:١")


def test_coverage_api(client, app):
    build(app.extensions["mapservice"].store)
    body = client.get("/api/coverage?supply=parent_schools&demand=communities&radius=500").get_json()
    assert body["summary"]["region"]["covered_weight"] == 3000
    assert {r["district"] for r in body["summary"]["by_district"]} == {"西区", "东区"}
    props = {f["properties"]["name"]: f["properties"] for f in body["demand"]["features"]}
    assert props["西远"]["covered"] is False and props["西远"]["nearest_m"] == pytest.approx(940, abs=2)
    assert body["gaps"]["type"] == "FeatureCollection" and body["h3_resolution"] == 9
    # The overview: the same uncovered weight in cells of a whole-region map.
    assert body["h3_overview_resolution"] == 6
    overview = [f["properties"] for f in body["gaps_overview"]["features"]]
    assert {h3.get_resolution(p["cell"]) for p in overview} == {6}
    assert sum(p["uncovered_weight"] for p in overview) == 10500 - 3000
    picks = client.get("/api/coverage/suggestions?supply=parent_schools&demand=communities&radius=500&count=2").get_json()
    assert picks["suggestions"][0]["added_weight"] == 4500 and picks["covered_share_before"] == pytest.approx(3000 / 10500)
    for query, field in [("supply=zoo&demand=communities", "supply"), ("supply=parent_schools&demand=venues", "demand"),
                         ("supply=parent_schools&demand=communities&radius=-1", "radius"),
                         ("supply=parent_schools&demand=communities&district=火星", "district"),
                         ("supply=parent_schools&demand=communities&supply_where=tier>=金", "supply_where"),
                         ("supply=parent_schools&demand=communities&radius=500&minutes=5", "radius"),
                         ("demand=communities", "supply")]:
        response = client.get(f"/api/coverage?{query}")
        assert response.status_code == 400 and response.get_json()["error"]["field"] == field, query
    response = client.get("/api/coverage/suggestions?supply=parent_schools&demand=communities&count=99")
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "count"


def test_coverage_cli_writes_a_geopackage(tmp_path, monkeypatch, layers):
    store = GeoPackageStore(tmp_path / "cli.gpkg", layers)
    store.init()
    build(store)
    monkeypatch.setenv("MAPSERVICE_DATABASE_URL", str(tmp_path / "cli.gpkg"))
    result = CliRunner().invoke(main, ["coverage", "--supply", "parent_schools", "--demand", "communities",
                                       "--radius", "500", "-o", str(tmp_path / "out.gpkg")])
    assert result.exit_code == 0, result.output
    assert "西区" in result.output and "28.6%" in result.output
    # Chinese first, like the page: the same headers and words.
    assert "覆盖率" in result.output and "全域合计" in result.output and "已写入" in result.output
    assert "covered" not in result.output
    english = CliRunner().invoke(main, ["coverage", "--supply", "parent_schools", "--demand", "communities",
                                        "--radius", "500", "--lang", "en"])
    assert "Covered share" in english.output and "Region total" in english.output
    layers_written = dict(pyogrio.list_layers(tmp_path / "out.gpkg"))
    assert {"coverage_by_district", "demand", "gaps", "suggestions", "summary"} <= set(layers_written)
    assert len(pyogrio.read_dataframe(tmp_path / "out.gpkg", layer="demand")) == 5
    # An unknown format is refused before any work, naming the ones there are.
    result = CliRunner().invoke(main, ["coverage", "--supply", "parent_schools", "--demand", "communities",
                                       "-o", str(tmp_path / "out.pdf")])
    assert result.exit_code == 2 and ".gpkg, .xlsx" in result.output and "Traceback" not in result.output


def test_the_geopackage_opens_coloured_in_qgis(client, app, tmp_path):
    import sqlite3
    import xml.etree.ElementTree as ET

    build(app.extensions["mapservice"].store)
    response = client.get("/api/coverage/export?supply=parent_schools&demand=communities&radius=500&format=gpkg")
    path = tmp_path / "plan.gpkg"
    path.write_bytes(response.data)
    districts = pyogrio.read_dataframe(path, layer="coverage_by_district")
    assert list(districts["district"]) == ["东区", "西区", "全域合计"]
    assert list(districts.geom_type[:2]) == ["MultiPolygon"] * 2 and districts.geometry.iloc[2] is None
    # The region covers 28.6%: the west (25%) sits in the middle class, the east (30.8%) too.
    assert list(districts["share_class"]) == [2, 2, -1]
    with sqlite3.connect(path) as conn:
        styles = dict(conn.execute("SELECT f_table_name, styleQML FROM layer_styles WHERE useAsDefault").fetchall())
    assert set(styles) == {"gaps", "coverage_by_district"}
    gaps = pyogrio.read_dataframe(path, layer="gaps")
    for table, field, frame in (("gaps", "class", gaps), ("coverage_by_district", "share_class", districts)):
        renderer = ET.fromstring(styles[table]).find("renderer-v2")
        assert renderer.get("attr") == field and field in frame
        values = {int(c.get("value")) for c in renderer.iter("category")}
        assert set(frame[field]) <= values
    summary = pyogrio.read_dataframe(path, layer="summary", read_geometry=False)
    assert "家门口的家长学校" in " ".join(summary["value"])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_excel_download_reads_without_a_glossary(client, app, tmp_path, lang):
    from openpyxl import load_workbook

    build(app.extensions["mapservice"].store)
    response = client.get(f"/api/coverage/export?supply=parent_schools&demand=communities&radius=500&district=东区"
                          f"&format=xlsx&lang={lang}")
    disposition = response.headers["Content-Disposition"]
    assert ("%E4%B8%9C%E5%8C%BA" in disposition) and re.search(r"\d{4}-\d\d-\d\d\.xlsx", disposition)
    path = tmp_path / "plan.xlsx"
    path.write_bytes(response.data)
    book = load_workbook(path)
    zh = lang == "zh"
    assert book.sheetnames == (["分析条件", "分区县覆盖", "需求单元", "缺口网格", "建议新址"] if zh else
                               ["Parameters", "Coverage by district", "Demand units", "Gap cells", "Suggested sites"])
    params = {row[0]: row[1] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert params["数据来源" if zh else "Data"] == ("导入的数据" if zh else "Imported data")
    assert params["区域" if zh else "Area"] == "东区"
    table = book.worksheets[1]
    assert table.freeze_panes == "A2"
    headers = [c.value for c in table[1]]
    assert headers[:2] == (["区县", "需求单元"] if zh else ["District", "Demand units"])
    assert "covered_share" not in headers and headers[5] == ("覆盖率" if zh else "Covered share")
    rows = list(table.iter_rows(min_row=2))
    assert [r[0].value for r in rows] == ["东区", "合计" if zh else "Total"]
    share = rows[0][5]
    assert share.value == pytest.approx(2000 / 6500) and share.number_format == "0.0%"
    assert rows[0][3].number_format == "#,##0" and rows[0][3].value == 6500
    assert table.column_dimensions["A"].width >= 8
    demand = book.worksheets[2]
    assert [c.value for c in demand[1]][:4] == (["名称", "区县", "常住人口", "在覆盖范围内"] if zh
                                                else ["Name", "District", "Population", "Within reach"])
    assert {r[3] for r in demand.iter_rows(min_row=2, values_only=True)} == ({"是", "否"} if zh else {"yes", "no"})


@pytest.mark.parametrize("fmt", ["xlsx", "gpkg"])
def test_coverage_download(client, app, tmp_path, fmt):
    build(app.extensions["mapservice"].store)
    response = client.get(f"/api/coverage/export?supply=parent_schools&demand=communities&radius=500&format={fmt}")
    assert response.status_code == 200
    assert f".{fmt}" in response.headers["Content-Disposition"]
    path = tmp_path / f"download.{fmt}"
    path.write_bytes(response.data)
    if fmt == "gpkg":
        assert len(pyogrio.read_dataframe(path, layer="suggestions")) == 2
    else:
        import pandas as pd
        assert set(pd.read_excel(path, sheet_name=None)) == {"分析条件", "分区县覆盖", "需求单元", "缺口网格", "建议新址"}
