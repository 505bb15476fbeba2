"""Every layer but the districts carries each feature's district code (adcode), derived on write on
both stores: on import, create and move, again when a district changes, and filled in on opening a
store from before the column."""
from __future__ import annotations

import sqlite3
import threading

import psycopg
import pytest
from psycopg import sql
from shapely.geometry import MultiPolygon, Point, Polygon, box

from mapservice.auth import Accounts
from mapservice.errors import LayerConfigError
from mapservice.layers import parse_layer
from mapservice.store import open_store
from mapservice.store.base import Row
from mapservice.store.districts import Districts

WEST, EAST = "321002", "321003"
VENUE = {"name": "场馆", "category": "museum", "free": True}
# Two districts side by side, sharing the border at longitude 119.5.
DISTRICTS = [Row(f"district-{WEST}", {"name": "西区", "adcode": WEST}, MultiPolygon([box(119.0, 32.0, 119.5, 32.5)])),
             Row(f"district-{EAST}", {"name": "东区", "adcode": EAST}, MultiPolygon([box(119.5, 32.0, 120.0, 32.5)]))]
PLACES = {"west": (119.2, 32.2), "east": (119.8, 32.2), "border": (119.5, 32.2), "outside": (121.0, 33.0)}
EXPECTED = {"west": WEST, "east": EAST, "border": WEST, "outside": None}


def _venues(store) -> dict[str, str | None]:
    """Each venue's adcode by its name."""
    return {f.properties["name"]: f.properties["adcode"] for f in store.features("venues", limit=100).features}


def _import_venues(store):
    store.upsert("venues", [Row(f"v-{name}", {**VENUE, "name": name}, Point(*xy)) for name, xy in PLACES.items()])


def test_imported_and_created_features_carry_their_district(store):
    store.upsert("districts", DISTRICTS)
    _import_venues(store)
    assert _venues(store) == EXPECTED
    created = store.create("schools", {"name": "东区小学", "stage": "primary"}, Point(119.7, 32.1))
    assert created.properties["adcode"] == EAST and store.get("schools", created.id).properties["adcode"] == EAST
    # the districts themselves have their attribute, no second code
    assert all(f.properties["adcode"] in (WEST, EAST) for f in store.features("districts").features)
    # an upsert of a moved row derives again
    store.upsert("venues", [Row("v-west", {**VENUE, "name": "west"}, Point(119.9, 32.4))])
    assert _venues(store)["west"] == EAST


def test_moving_a_feature_across_a_border_changes_its_code(store):
    store.upsert("districts", DISTRICTS)
    feature = store.create("venues", {**VENUE, "name": "west"}, Point(*PLACES["west"]))
    assert store.update("venues", feature.id, geometry=Point(119.6, 32.3)).properties["adcode"] == EAST
    assert store.update("venues", feature.id, {"phone": "0514-1"}).properties["adcode"] == EAST  # no move
    assert store.update("venues", feature.id, geometry=Point(*PLACES["outside"])).properties["adcode"] is None
    assert store.update("venues", feature.id, geometry=Point(119.1, 32.1)).properties["adcode"] == WEST


def test_a_change_to_the_districts_derives_every_code_again(store):
    _import_venues(store)  # before any district: no codes
    assert set(_venues(store).values()) == {None}
    store.upsert("districts", DISTRICTS)
    assert _venues(store) == EXPECTED  # the same answers as derived on write, on the border too
    west, east = store.features("districts", limit=10).features
    # the west district shrinks away from the west venue; the east one grows over the outside one
    store.update("districts", west.id, geometry=MultiPolygon([box(119.3, 32.0, 119.5, 32.5)]))
    store.update("districts", east.id, geometry=MultiPolygon([box(119.5, 32.0, 121.5, 33.5)]))
    assert _venues(store) == {"west": None, "east": EAST, "border": WEST, "outside": EAST}
    store.update("districts", east.id, {"adcode": "321084"})  # a code corrected
    assert _venues(store) == {"west": None, "east": "321084", "border": WEST, "outside": "321084"}
    store.delete("districts", west.id)
    assert _venues(store)["border"] == "321084"
    created = store.create("districts", {"name": "新区", "adcode": "321099"},
                           MultiPolygon([box(119.0, 32.0, 119.4, 32.5)]))
    assert _venues(store)["west"] == "321099"
    store.delete("districts", created.id)
    assert _venues(store)["west"] is None


@pytest.mark.parametrize("settings", ["postgis"], indirect=True)  # GeoPackage writers exclude each other
def test_a_district_change_waits_for_a_write_coded_by_the_old_districts(store, settings, layers):
    """PostGIS writers do not exclude each other: a district edited while a feature is being written
    with the old districts waits for that write, and then derives its code too."""
    store.upsert("districts", DISTRICTS)
    west = store.features("districts").features[0]
    other = open_store(settings, layers)
    edited = threading.Event()

    def edit():
        other.update("districts", west.id, geometry=MultiPolygon([box(119.3, 32.0, 119.5, 32.5)]))
        edited.set()

    try:
        with store.transaction():
            store.create("venues", {**VENUE, "name": "west"}, Point(*PLACES["west"]))  # coded WEST
            thread = threading.Thread(target=edit)
            thread.start()
            assert not edited.wait(0.5)  # the district change waits for this write
        thread.join(10)
        assert edited.is_set() and _venues(store) == {"west": None}
    finally:
        other.close()


def _drop_adcode_columns(store, settings) -> None:
    """Make the store look like one made before the column."""
    tables = [layer.id for layer in store.layers.values() if layer.carries_adcode]
    if store.name == "geopackage":
        conn = sqlite3.connect(settings.database_url)
        for table in tables:
            conn.execute(f'DROP INDEX "{table}_adcode"')
            conn.execute(f'ALTER TABLE "{table}" DROP COLUMN adcode')
        conn.commit()
        conn.close()
        return
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        for table in tables:
            conn.execute(sql.SQL("ALTER TABLE {} DROP COLUMN adcode").format(
                sql.Identifier(settings.database_schema, table)))


def test_a_store_from_before_the_column_gains_it_filled_in(store, settings, layers):
    store.upsert("districts", DISTRICTS)
    _import_venues(store)
    store.close()
    _drop_adcode_columns(store, settings)
    old = open_store(settings, layers)
    try:
        assert not old._schema_is_current(*([old._conn()] if old.name == "geopackage" else []))
        old.init()
        assert _venues(old) == EXPECTED
        again = open_store(settings, layers)
        assert again._schema_is_current(*([again._conn()] if again.name == "geopackage" else []))
        again.close()
    finally:
        old.close()


def test_the_code_is_read_only_in_the_api(client, app):
    store = app.extensions["mapservice"].store
    store.upsert("districts", DISTRICTS)
    accounts = Accounts(store)
    admin = {"Authorization": "Bearer " + accounts.create_token(
        accounts.add_user("admin", "admin", "correct horse battery", []))}
    body = {"type": "Feature", "geometry": {"type": "Point", "coordinates": list(PLACES["east"])},
            "properties": {**VENUE, "adcode": "999999"}}
    created = client.post("/api/layers/venues/features", json=body, headers=admin)
    assert created.status_code == 201, created.get_json()
    fid = created.get_json()["id"]
    url = f"/api/layers/venues/features/{fid}"
    shown = client.get(url).get_json()
    assert shown["properties"]["adcode"] == EAST
    moved = client.patch(url, json={"properties": {"adcode": "999999"}, "version": 1,
                                    "geometry": {"type": "Point", "coordinates": list(PLACES["west"])}}, headers=admin)
    assert moved.status_code == 200, moved.get_json()
    assert client.get(url).get_json()["properties"]["adcode"] == WEST
    # a district's code is its attribute, checked as one
    district = store.features("districts").features[0]
    bad = client.patch(f"/api/layers/districts/features/{district.id}", json={"properties": {"adcode": "12"},
                                                                                "version": 1}, headers=admin)
    assert bad.status_code == 400


def test_districts_code_a_batch_by_its_representative_points():
    districts = Districts.of([WEST, EAST], [box(119.0, 32.0, 119.5, 32.5), box(119.5, 32.0, 120.0, 32.5)])
    ring = Polygon([(119.6, 32.1), (119.9, 32.1), (119.9, 32.4), (119.6, 32.4)])
    assert districts.codes_of([Point(119.2, 32.2), Point(119.5, 32.2), MultiPolygon([ring]), Point(0, 0)]) == \
        [WEST, WEST, EAST, None]
    assert districts.codes_of([]) == [] and Districts.of([], []).codes_of([Point(119.2, 32.2)]) == [None]


def test_only_a_boundary_layer_names_an_attribute_adcode():
    data = {"id": "zoos", "title": {"zh": "动物园", "en": "Zoos"}, "kind": "demand", "geometry": "Point",
            "style": {"color": "#112233"},
            "attributes": [{"name": name, "type": "text", "label": {"zh": name, "en": name}} for name in ("name", "adcode")]}
    with pytest.raises(LayerConfigError, match="adcode"):
        parse_layer(data, "zoos.toml")
    parse_layer({**data, "kind": "boundary"}, "zoos.toml")
