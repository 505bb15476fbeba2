"""The package root, the composition root and typed settings."""
import subprocess
import sys

import pytest
from click.testing import CliRunner

from mapservice.cli import main
from mapservice.service import open_service
from mapservice.settings import Settings, SettingsError

CORE_MODULES = ["mapservice", "mapservice.geo", "mapservice.analysis", "mapservice.planning", "mapservice.store",
                "mapservice.service", "mapservice.importer"]


def test_the_core_imports_no_web_framework():
    code = (f"import sys\nfor name in {CORE_MODULES!r}:\n    __import__(name)\n"
            "web = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'apiflask', 'marshmallow', 'werkzeug'))\n"
            "print(','.join(web))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_settings_are_converted_by_type_and_checked_when_built(tmp_path):
    settings = Settings.from_env({"MAPSERVICE_DATABASE_URL": str(tmp_path / "a.gpkg"), "MAPSERVICE_LOAD_DEMO": "no",
                                  "MAPSERVICE_TILE_CRS": "gcj02"})
    assert settings.load_demo is False and settings.tile_crs == "gcj02"
    assert Settings.from_env({"MAPSERVICE_LOAD_DEMO": " "}).load_demo is True  # empty means unset
    for environ, variable in [({"MAPSERVICE_LOAD_DEMO": "maybe"}, "MAPSERVICE_LOAD_DEMO"),
                              ({"MAPSERVICE_TILE_CRS": "bd09"}, "MAPSERVICE_TILE_CRS"),
                              ({"MAPSERVICE_DATABASE_SCHEMA": 'x"; drop'}, "MAPSERVICE_DATABASE_SCHEMA"),
                              ({"MAPSERVICE_LAYERS_DIR": str(tmp_path / "none")}, "MAPSERVICE_LAYERS_DIR"),
                              ({"MAPSERVICE_TILE_URL": "https://webrd01.is.autonavi.com/{z}/{x}/{y}"},
                               "MAPSERVICE_TILE_CRS")]:
        with pytest.raises(SettingsError) as caught:
            Settings.from_env(environ)
        assert caught.value.field == variable and variable in caught.value.message
    with pytest.raises(SettingsError, match="MAPSERVICE_LOAD_DEMO must be true or false"):
        Settings(load_demo="yes")
    assert Settings(database_url=str(tmp_path / "b.gpkg")).replace(load_demo=False).load_demo is False


def test_a_bad_setting_stops_every_command_naming_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("MAPSERVICE_DATABASE_URL", str(tmp_path / "c.gpkg"))
    monkeypatch.setenv("MAPSERVICE_TILE_CRS", "mercator")
    for command in (["layers"], ["init"], ["serve"], ["export", "venues", "-o", str(tmp_path / "v.csv")]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 2, command
        assert "MAPSERVICE_TILE_CRS must be one of wgs84, gcj02" in result.output
    assert not (tmp_path / "c.gpkg").exists()  # refused before any store was opened


def test_open_service_loads_layers_and_initialises_the_store(tmp_path):
    with open_service(Settings(database_url=str(tmp_path / "d.gpkg"), load_demo=False)) as service:
        assert "venues" in service.layers and service.store.layers is service.layers
        assert set(service.store.counts().values()) == {0}
        assert service.load_demo_if_empty() == []  # load_demo is off
