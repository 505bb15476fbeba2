"""What only the PostGIS store has: its query plans and its round trips."""
import pytest
from psycopg import sql
from shapely.geometry import Point
from test_store_contract import VENUE, venue_rows

from mapservice.store import open_store


@pytest.mark.parametrize("settings", ["postgis"], indirect=True)
def test_the_exact_bbox_filter_still_uses_the_geometry_index(store):
    store.upsert("venues", venue_rows([119.0 + i / 10_000 for i in range(5000)], [32.39] * 5000))
    clause, params = store._box_clause((119.1, 32.3, 119.101, 32.4))
    with store._pool.connection() as conn:
        conn.execute(sql.SQL("ANALYZE {}").format(store._t("venues")))
        plan = "\n".join(row[0] for row in conn.execute(
            sql.SQL("EXPLAIN SELECT fid FROM {} WHERE {}").format(store._t("venues"), clause), params))
    assert "venues_geom_geometry_gist" in plan, plan


@pytest.mark.parametrize("settings", ["postgis"], indirect=True)
def test_a_read_from_the_points_held_is_one_round_trip_and_sees_other_processes_writes(store, settings, layers,
                                                                                      monkeypatch):
    """Nearby and box reads answered from the points in memory read the change counters in the
    statement that reads their rows (one connection, one statement); a write by another process
    in between moves the counters, and the answer is read again from the points as they are now."""
    store.create("venues", {**VENUE, "name": "馆"}, Point(119.402, 32.39))
    other = open_store(settings, layers)  # another server process, on the same tables
    trips = []
    connection = store._connection

    def counted():
        trips.append(1)
        return connection()

    monkeypatch.setattr(store, "_connection", counted)

    def nearby():
        return [h.feature.properties["name"] for h in store.nearest(119.4, 32.39, ["venues"], radius_m=5000)]

    def box():
        return [f.properties["name"] for f in store.features("venues", bbox=(119.3, 32.3, 119.5, 32.5)).features]

    for read in (nearby, box):
        assert read() == ["馆"]  # the points read and held (the first time)
        trips.clear()
        assert read() == ["馆"] and len(trips) == 1
    try:
        other.create("venues", {**VENUE, "name": "新馆"}, Point(119.401, 32.39))
        assert nearby() == ["新馆", "馆"]
        other.create("venues", {**VENUE, "name": "北馆"}, Point(119.401, 32.45))
        assert box() == ["馆", "新馆", "北馆"]
    finally:
        other.close()
    trips.clear()
    assert box() == ["馆", "新馆", "北馆"] and len(trips) == 1


@pytest.mark.parametrize("settings", ["postgis"], indirect=True)
def test_a_double_read_as_text_reads_back_the_same(store):
    """What PostGISStore._keyed_sql assumes of a ``number`` attribute read as text (none of the
    shipped layers has one: a deployment's own may)."""
    from mapservice.store.postgis import _FROM_TEXT
    values = [0.1, 2.0, -3.25, 1 / 3, 1e300, 5e-324, 123456789.123456789, float("inf")]
    texts = store._execute("SELECT v::text FROM unnest(%s::double precision[]) AS v", [values])
    assert [_FROM_TEXT["number"](t) for (t,) in texts] == values
    assert [_FROM_TEXT["integer"](t) for (t,) in store._execute("SELECT v::text FROM unnest(%s::bigint[]) AS v",
                                                                 [[0, -1, 2**62]])] == [0, -1, 2**62]
    assert [_FROM_TEXT["boolean"](t) for (t,) in store._execute("SELECT v::text FROM unnest(%s::boolean[]) AS v",
                                                                 [[True, False]])] == [True, False]
