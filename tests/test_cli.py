"""The mapservice command, run in-process with click's runner against a real GeoPackage."""
import pandas as pd
import pytest
from click.testing import CliRunner

from mapservice.cli import main


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("MAPSERVICE_DATABASE_URL", str(tmp_path / "cli.gpkg"))
    monkeypatch.setenv("MAPSERVICE_LOAD_DEMO", "false")
    runner = CliRunner()
    return lambda *args: runner.invoke(main, [str(a) for a in args])


def test_import_reports_and_exit_codes(run, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("名称,类别,免费,经度,纬度\n馆,博物馆,是,119.4,32.39\n", encoding="utf-8")
    result = run("import", "venues", good)
    assert result.exit_code == 0, result.output
    assert "1 valid, 0 rejected" in result.output
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("名称,类别,免费,经度,纬度\n馆二,博物馆,是,119.41,32.39\n坏,zoo,是,119.42,32.39\n", encoding="utf-8")
    result = run("import", "venues", mixed, "--report", tmp_path / "bad.csv")
    assert result.exit_code == 1
    assert "category" in result.output and "'zoo' is not one of" in result.output
    assert pd.read_csv(tmp_path / "bad.csv", encoding="utf-8-sig")["line"].tolist() == [3]
    assert run("import", "venues", tmp_path / "missing.csv").exit_code == 2
    result = run("layers")
    assert "venues" in result.output and " 2 " in result.output


def test_dry_run_and_export(run, tmp_path):
    source = tmp_path / "v.csv"
    source.write_text("name,category,free,lon,lat\n馆,museum,true,119.4,32.39\n", encoding="utf-8")
    assert "would write 1" in run("import", "venues", source, "--dry-run").output
    run("import", "venues", source)
    result = run("export", "venues", "-o", tmp_path / "out.geojson")
    assert result.exit_code == 0 and "1 features" in result.output
    assert (tmp_path / "out.geojson").read_text(encoding="utf-8").count('"Feature"') == 1
    assert run("export", "zoo", "-o", tmp_path / "x.csv").exit_code == 2


def test_init_loads_the_demo_region_once(run, monkeypatch):
    monkeypatch.setenv("MAPSERVICE_LOAD_DEMO", "true")
    first = run("init")
    assert first.exit_code == 0, first.output
    counts = dict(line.split() for line in first.output.splitlines() if line and not line.startswith((" ", "L")))
    assert int(counts["parent_schools"]) >= 1200 and int(counts["districts"]) == 6
    assert run("init").output.splitlines()[-7:] == first.output.splitlines()[-7:]
