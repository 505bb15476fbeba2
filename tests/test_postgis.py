"""What only the PostGIS store has: its query plans."""
import pytest
from psycopg import sql
from test_store_contract import venue_rows


@pytest.mark.parametrize("settings", ["postgis"], indirect=True)
def test_the_exact_bbox_filter_still_uses_the_geometry_index(store):
    store.upsert("venues", venue_rows([119.0 + i / 10_000 for i in range(5000)], [32.39] * 5000))
    clause, params = store._box_clause((119.1, 32.3, 119.101, 32.4))
    with store._pool.connection() as conn:
        conn.execute(sql.SQL("ANALYZE {}").format(store._t("venues")))
        plan = "\n".join(row[0] for row in conn.execute(
            sql.SQL("EXPLAIN SELECT fid FROM {} WHERE {}").format(store._t("venues"), clause), params))
    assert "venues_geom_geometry_gist" in plan, plan
