"""A region for the OGC API and tile tests, on a store of either kind, served over real HTTP."""
from __future__ import annotations

import threading
import uuid
from contextlib import contextmanager

import numpy as np
import psycopg
from shapely.geometry import MultiPolygon, Point, box
from werkzeug.serving import WSGIRequestHandler, make_server

from mapservice.settings import Settings
from mapservice.store import open_store
from mapservice.store.base import Row

CATEGORIES = ["museum", "library", "science_museum", "park"]


def venue_rows(count: int, seed: int = 7) -> list[Row]:
    """``count`` venues spread over Yangzhou, every fifth with a price note, categories in turn."""
    rng = np.random.default_rng(seed)
    lons, lats = rng.uniform(119.0, 119.9, count), rng.uniform(32.2, 33.0, count)
    return [Row(f"v{i}", {"name": f"场馆{i}", "category": CATEGORIES[i % 4], "free": i % 3 != 0,
                          "price_note": "20 元" if i % 5 == 0 else None, "age_min": i % 7},
                Point(round(float(x), 6), round(float(y), 6)), generated=True)
            for i, (x, y) in enumerate(zip(lons, lats))]


def fill(store, venues: int) -> None:
    """``venues`` venues, two districts and three parent schools."""
    rows = venue_rows(venues)
    for start in range(0, len(rows), 5000):
        store.upsert("venues", rows[start:start + 5000])
    store.upsert("districts", [
        Row("d1", {"name": "广陵区", "adcode": "321002"}, MultiPolygon([box(119.3, 32.3, 119.5, 32.5)])),
        Row("d2", {"name": "邗江区", "adcode": "321003"}, MultiPolygon([box(119.1, 32.3, 119.3, 32.6)]))])
    store.upsert("parent_schools", [
        Row(f"p{i}", {"name": f"家长学校{i}", "host": "school", "tier": "basic"}, Point(119.4 + i / 100, 32.4))
        for i in range(3)])


def filled_stores(folder, layers, venues: int):
    """A generator for a module fixture: a GeoPackage (in ``folder``) and a PostGIS store (a schema of
    its own, dropped afterwards) holding the same region (:func:`fill`)."""
    from conftest import _postgis_url

    schema = f"test_{uuid.uuid4().hex[:12]}"
    url = _postgis_url()
    made = [open_store(Settings(database_url=str(folder / "region.gpkg"), load_demo=False), layers),
            open_store(Settings(database_url=url, database_schema=schema, load_demo=False), layers)]
    for store in made:
        store.init()
        fill(store, venues)
    yield made
    for store in made:
        store.close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


@contextmanager
def serving(app):
    """The app on a real HTTP server in a thread: its base URL."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(5)
