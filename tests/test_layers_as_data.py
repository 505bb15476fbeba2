"""Layers are data all the way: the code asks for roles, never for a shipped layer or attribute name."""
import ast
import re
import shutil
from pathlib import Path

import pytest
from shapely.geometry import Point, box

from mapservice.app import create_app
from mapservice.layers import ATTRIBUTE_KEYS, ATTRIBUTE_TYPES, LAYER_KEYS, Role, load_layers
from mapservice.resources import resource_dir
from mapservice.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def forbidden_names() -> set[str]:
    """Shipped layer ids and the names of attributes that mean something to the code (a role, a
    weight, a rank), less the loader's own vocabulary (role and type names the code may use)."""
    layers = load_layers()
    names = set(layers)
    for layer in layers.values():
        names |= {a.name for a in layer.attributes if a.role or a.ordered or a.unit}
        names |= {layer.weight} if layer.weight else set()
    return names - {str(role) for role in Role} - set(ATTRIBUTE_TYPES)


def python_literals(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "attribute" \
                and node.args and isinstance(node.args[0], ast.Constant):
            yield node.lineno, f".attribute({node.args[0].value!r})"


def script_literals(path: Path):
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        for match in re.finditer(r"""(["'`])([A-Za-z_]+)\1""", line):
            yield number, match.group(2)


def test_no_shipped_layer_or_role_attribute_name_in_the_code():
    names = forbidden_names()
    assert {"venues", "parent_schools", "free", "age_min", "tier", "population"} <= names
    found = []
    for path in (ROOT / "mapservice").rglob("*.py"):
        found += [f"{path.relative_to(ROOT)}:{n}: {v}" for n, v in python_literals(path)
                  if v in names or v.startswith(".attribute(")]
    scripts = [p for p in (ROOT / "static").rglob("*.js") if "vendor" not in p.parts]
    for path in scripts:
        found += [f"{path.relative_to(ROOT)}:{n}: {v}" for n, v in script_literals(path) if v in names]
    assert found == []


def test_the_readme_documents_every_layer_file_key():
    for key in (*LAYER_KEYS, *ATTRIBUTE_KEYS, *(str(role) for role in Role)):
        assert f"`{key}`" in README, key
    assert "presets.toml" in README


KINDERGARTENS = '''
# Kindergartens (幼儿园): a demand layer added by a bureau, with no code change.
id = "kindergartens"
title = { zh = "幼儿园", en = "Kindergartens" }
kind = "demand"
geometry = "Point"
style = { color = "#0891b2", icon = "school" }
weight = "pupils"
candidate_sites = true

[[attributes]]
name = "name"
type = "text"
required = true
label = { zh = "名称", en = "Name" }

[[attributes]]
name = "youngest"
type = "integer"
role = "min_age"
label = { zh = "最小年龄", en = "Youngest" }

[[attributes]]
name = "oldest"
type = "integer"
role = "max_age"
label = { zh = "最大年龄", en = "Oldest" }

[[attributes]]
name = "pupils"
type = "integer"
label = { zh = "在园幼儿数", en = "Children enrolled" }
unit = { zh = "名幼儿", en = "children" }
'''


@pytest.fixture
def kindergarten_app(tmp_path):
    folder = tmp_path / "layers"
    shutil.copytree(resource_dir("layers"), folder)
    (folder / "70-kindergartens.toml").write_text(KINDERGARTENS, encoding="utf-8")
    app = create_app(Settings(database_url=str(tmp_path / "k.gpkg"), layers_dir=str(folder), load_demo=False))
    store = app.extensions["mapservice"].store
    boundary = store.layers.of_kind("boundary")[0].id
    store.create(boundary, {"name": "东区", "adcode": "320002"}, box(119.40, 32.30, 119.50, 32.50))
    store.create("parent_schools", {"name": "家长学校", "host": "school", "tier": "基础"}, Point(119.45, 32.39))
    for name, lon, pupils, ages in [("近园", 119.451, 120, (3, 6)), ("远园", 119.47, 300, (3, 6)),
                                    ("托育", 119.4502, 40, (1, 3))]:
        store.create("kindergartens", {"name": name, "youngest": ages[0], "oldest": ages[1], "pupils": pupils},
                     Point(lon, 32.39))
    yield app
    store.close()


def test_a_new_demand_layer_is_a_file(kindergarten_app):
    client = kindergarten_app.test_client()
    body = client.get("/api/plan?supply=parent_schools&demand=kindergartens&radius=500&count=1").get_json()
    assert body["weight"] == "pupils" and body["region"]["demand_weight"] == 460
    assert body["region"]["covered_weight"] == 160  # 近园 and 托育 are within 500 m
    assert body["view"]["unit"] == "名幼儿" and body["suggestions"][0]["name"] == "远园"
    assert "幼儿园" in client.get("/planner").get_data(as_text=True)
    # The map's age filter reads the new layer's own age attributes through their roles.
    ages = {age: [f["properties"]["name"] for f in client.get(
        f"/api/nearby?lat=32.39&lon=119.45&layers=kindergartens&age={age}").get_json()["features"]]
        for age in (2, 5, 8)}
    assert ages == {2: ["托育"], 5: ["近园", "远园"], 8: []}
