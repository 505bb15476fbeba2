"""Import and export through real files of every supported kind."""
import zipfile

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from mapservice import geo
from mapservice.errors import BadRequest
from mapservice.exporter import export_layer
from mapservice.importer import import_file

HEADER_ZH = "名称,类别,免费,最小适龄,地址,经度,纬度\n"


def write(path, text, encoding="utf-8"):
    path.write_text(text, encoding=encoding)
    return path


def test_csv_with_chinese_headers_and_labels(store, tmp_path):
    path = write(tmp_path / "v.csv", HEADER_ZH + "扬州博物馆,博物馆,是,6,文昌西路,119.40,32.39\n"
                                                 "图书馆,library,false,,,119.41,32.40\n")
    report = import_file(store, "venues", path)
    assert (report.total, report.inserted, report.rejected) == (2, 2, 0)
    first = store.features("venues").features[0]
    assert first.properties["category"] == "museum" and first.properties["free"] is True
    assert first.properties["age_min"] == 6 and first.geometry.equals(Point(119.40, 32.39))


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig"])
def test_csv_encodings(store, tmp_path, encoding):
    path = write(tmp_path / "v.csv", HEADER_ZH + "瘦西湖公园,公园教育点,是,,,119.42,32.41\n", encoding)
    import_file(store, "venues", path)
    assert store.features("venues").features[0].properties["name"] == "瘦西湖公园"


def test_bad_rows_are_reported_and_good_rows_kept(store, tmp_path):
    path = write(tmp_path / "v.csv", HEADER_ZH +
                 "好馆,museum,true,,,119.40,32.39\n"        # line 2: good
                 ",museum,true,,,119.41,32.39\n"            # line 3: name missing
                 "坏类别,zoo,true,,,119.42,32.39\n"          # line 4: unknown category
                 "反了,museum,true,,,32.39,119.43\n"         # line 5: lat/lon swapped
                 "太远,museum,true,,,190,32.39\n"            # line 6: out of range
                 "非数,museum,true,,,abc,32.39\n"            # line 7: not a number
                 "年龄,museum,true,30,,119.44,32.39\n"       # line 8: age above maximum
                 "好馆二,museum,true,,,119.45,32.39\n")      # line 9: good
    report = import_file(store, "venues", path)
    by_line = {e.line: e for e in report.errors}
    assert set(by_line) == {3, 4, 5, 6, 7, 8}
    assert by_line[3].field == "name" and "required" in by_line[3].reason
    assert by_line[4].field == "category" and by_line[4].value == "zoo"
    assert by_line[5].field == "lat" and "swapped" in by_line[5].reason
    assert by_line[6].field == "lon"
    assert by_line[7].field == "lon" and "number" in by_line[7].reason
    assert by_line[8].field == "age_min"
    assert report.inserted == 2 and store.counts()["venues"] == 2
    report.write_csv(tmp_path / "bad.csv")
    bad = pd.read_csv(tmp_path / "bad.csv", encoding="utf-8-sig")
    assert list(bad.columns) == ["line", "field", "reason", "value"] and len(bad) == 6


def test_dry_run_writes_nothing(store, tmp_path):
    path = write(tmp_path / "v.csv", HEADER_ZH + "馆,museum,true,,,119.40,32.39\n")
    report = import_file(store, "venues", path, dry_run=True)
    assert report.accepted == 1 and report.inserted == 0 and store.counts()["venues"] == 0


def test_reimport_does_not_duplicate(store, tmp_path):
    path = write(tmp_path / "v.csv", HEADER_ZH + "馆,museum,true,,,119.40,32.39\n馆二,museum,true,,,119.41,32.39\n")
    import_file(store, "venues", path)
    again = import_file(store, "venues", path)
    assert (again.inserted, again.updated) == (0, 2) and store.counts()["venues"] == 2


def test_duplicate_rows_in_one_file_are_reported(store, tmp_path):
    path = write(tmp_path / "v.csv", "source_id,name,category,free,lon,lat\n"
                                     "a,馆,museum,true,119.40,32.39\na,馆,museum,true,119.41,32.39\n")
    report = import_file(store, "venues", path)
    assert [(e.line, e.field) for e in report.errors] == [(3, "source_id")] and "line 2" in report.errors[0].reason


def test_gcj02_and_bd09_are_converted(store, tmp_path):
    wlon, wlat = 119.42, 32.39
    glon, glat = geo.wgs84_to_gcj02(wlon, wlat)
    blon, blat = geo.wgs84_to_bd09(wlon, wlat)
    write(tmp_path / "g.csv", f"name,category,free,lng,lat\n高德,museum,true,{glon:.7f},{glat:.7f}\n")
    write(tmp_path / "b.csv", f"name,category,free,lng,lat\n百度,museum,true,{blon:.7f},{blat:.7f}\n")
    import_file(store, "venues", tmp_path / "g.csv", crs="gcj02")
    import_file(store, "venues", tmp_path / "b.csv", crs="bd09")
    for feature in store.features("venues").features:
        assert geo.geodesic_m(wlon, wlat, feature.geometry.x, feature.geometry.y) < 1.0


def test_projected_epsg_and_wkt_column(store, tmp_path):
    # EPSG:4547 is CGCS2000 / 3-degree Gauss-Kruger CM 120E, used by Jiangsu surveys.
    from pyproj import Transformer
    x, y = Transformer.from_crs(4326, 4547, always_xy=True).transform(119.42, 32.39)
    write(tmp_path / "p.csv", f"name,category,free,wkt\n投影,museum,true,POINT ({x} {y})\n")
    import_file(store, "venues", tmp_path / "p.csv", crs="EPSG:4547")
    point = store.features("venues").features[0].geometry
    assert geo.geodesic_m(119.42, 32.39, point.x, point.y) < 0.01


def test_xlsx_geojson_gpkg_and_zipped_shapefile(store, tmp_path):
    frame = pd.DataFrame({"名称": ["甲", "乙"], "类别": ["博物馆", "图书馆"], "免费": ["是", "否"],
                          "经度": [119.40, 119.41], "纬度": [32.39, 32.40]})
    frame.to_excel(tmp_path / "v.xlsx", index=False)
    geo_frame = gpd.GeoDataFrame({"name": ["丙", "丁"], "category": ["museum", "park"], "free": [True, False]},
                                 geometry=[Point(119.42, 32.39), Point(119.43, 32.39)], crs=4326)
    geo_frame.to_file(tmp_path / "v.geojson")
    geo_frame.assign(name=["戊", "己"]).to_file(tmp_path / "v.gpkg", layer="anything")
    geo_frame.assign(name=["庚", "辛"]).to_file(tmp_path / "shp.shp", encoding="utf-8")
    with zipfile.ZipFile(tmp_path / "v.zip", "w") as archive:
        for suffix in ("shp", "shx", "dbf", "prj", "cpg"):
            archive.write(tmp_path / f"shp.{suffix}", f"shp.{suffix}")
    for name in ("v.xlsx", "v.geojson", "v.gpkg", "v.zip"):
        report = import_file(store, "venues", tmp_path / name)
        assert report.inserted == 2 and not report.errors, name
    names = sorted(f.properties["name"] for f in store.features("venues").features)
    assert names == sorted("甲乙丙丁戊己庚辛")


@pytest.mark.parametrize("name, content, message", [
    ("broken.geojson", '{"type": "FeatureCollection", "features": [', "cannot read"),
    ("nothing.csv", "name,category,free\n馆,museum,true\n", "no coordinates"),
    ("missing.csv", "name,free,lon,lat\n馆,true,119,32\n", "required attribute 'category'"),
    ("binary.csv", None, "neither UTF-8 nor GBK"),
    ("fake.xlsx", "not a spreadsheet", "cannot read"),
])
def test_unusable_files_are_refused_whole(store, tmp_path, name, content, message):
    path = tmp_path / name
    if content is None:
        path.write_bytes(b"name,lon\n\xff\xfe\x80\x81\xfe,1\n")
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(BadRequest, match=message):
        import_file(store, "venues", path)
    assert store.counts()["venues"] == 0


def test_unknown_layer_and_crs(store, tmp_path):
    path = write(tmp_path / "v.csv", HEADER_ZH)
    with pytest.raises(Exception, match="unknown layer"):
        import_file(store, "zoo", path)
    with pytest.raises(BadRequest, match="unknown CRS"):
        import_file(store, "venues", path, crs="mars")


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "csv"])
def test_export_import_round_trip_is_lossless(store, tmp_path, fmt):
    store.create("venues", {"name": "扬州博物馆", "category": "museum", "free": False, "price_note": "20 元",
                            "age_min": 6, "age_max": 18, "opening_hours": "Tu-Su 09:00-17:00",
                            "address": "文昌西路", "phone": "0514-1"}, Point(119.4012345, 32.3912345), generated=True)
    store.create("venues", {"name": "空值", "category": "park", "free": True}, Point(119.5, 32.5))
    store.create("practice_bases", {"name": "基地", "themes": ["science", "labour"], "level": "national",
                                    "grade_min": 3, "grade_max": 9, "capacity": 45, "bookable": True},
                 Point(119.45, 32.45))
    store.create("districts", {"name": "广陵区", "adcode": "321002"},
                 Point(119.4, 32.4).buffer(0.05))
    for layer_id in ("venues", "practice_bases", "districts"):
        path = tmp_path / f"{layer_id}.{fmt}"
        export_layer(store, layer_id, fmt, path)
        before = store.features(layer_id).features
        store_delete_all(store, layer_id)
        report = import_file(store, layer_id, path)
        assert not report.errors, report.errors
        after = store.features(layer_id).features
        assert [f.properties for f in after] == [f.properties for f in before]
        for a, b in zip(after, before):
            assert a.geometry.equals_exact(b.geometry, 1e-9)


def store_delete_all(store, layer_id):
    for feature in store.features(layer_id, limit=10_000).features:
        store.delete(layer_id, feature.id)


def test_huge_integers_and_nul_bytes_are_reported_rows_and_dry_run_agrees(store, tmp_path):
    path = write(tmp_path / "c.csv", "name,kind,population,children,lon,lat\n"
                 "好社区,村,1200,100,119.40,32.39\n"                       # line 2: good
                 "大社区,村,9223372036854775808,1,119.41,32.39\n"          # line 3: 2^63
                 "负社区,村,10,-9223372036854775809,119.42,32.39\n"        # line 4: below -2^63 (and below 0)
                 "空\x00字,村,10,1,119.43,32.39\n"                         # line 5: NUL in a text cell
                 "好社区二,村,9223372036854775807,1,119.44,32.39\n"        # line 6: 2^63 - 1 fits
                 "数字,村,１２,1,119.45,32.39\n")                         # line 7: full-width digits
    dry = import_file(store, "communities", path, dry_run=True)
    report = import_file(store, "communities", path)
    assert [(e.line, e.field) for e in report.errors] == [(3, "population"), (4, "children"), (5, "name"),
                                                          (7, "population")]
    assert [(e.line, e.field, e.reason) for e in dry.errors] == [(e.line, e.field, e.reason) for e in report.errors]
    assert dry.accepted == report.accepted == report.inserted == 2 and store.counts()["communities"] == 2
    assert report.errors[2].value == "空\\x00字"
    names = {f.properties["name"]: f.properties["population"] for f in store.features("communities").features}
    assert names == {"好社区": 1200, "好社区二": 2**63 - 1}


def test_a_nul_in_a_source_id_is_a_reported_row(store, tmp_path):
    path = write(tmp_path / "v.csv", "source_id,name,category,free,lon,lat\n"
                                     "a\x00,馆,museum,true,119.40,32.39\nb,馆二,museum,true,119.41,32.39\n")
    report = import_file(store, "venues", path)
    assert [(e.line, e.field) for e in report.errors] == [(2, "source_id")] and report.inserted == 1
