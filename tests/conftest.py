"""Fixtures: a fresh store per test, on a real GeoPackage file and on a real PostGIS schema.

PostGIS comes from MAPSERVICE_TEST_DATABASE_URL (``.ci/run`` starts a throwaway cluster and
sets it). Without it the PostGIS cases skip locally, and fail when CI is set.
"""
from __future__ import annotations

import json
import os
import threading
import uuid
from urllib.request import urlopen

import psycopg
import pytest
from browsing import CHROMIUM, CHROMIUM_ARGS, need_browser

from mapservice.app import create_app
from mapservice.demo import load_demo
from mapservice.layers import load_layers
from mapservice.settings import Settings
from mapservice.store import open_store

TEST_DB_ENV = "MAPSERVICE_TEST_DATABASE_URL"
STORES = ["geopackage", "postgis"]


@pytest.fixture(scope="session")
def layers():
    return load_layers()


def _postgis_url() -> str:
    url = os.environ.get(TEST_DB_ENV)
    if not url:
        message = (f"PostGIS tests need {TEST_DB_ENV}=postgresql://user@host:port/db "
                   "(a database with the postgis extension); see .ci/run for a throwaway cluster")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture(params=STORES)
def settings(request, tmp_path):
    """Settings for a fresh, empty store of each kind."""
    if request.param == "geopackage":
        yield Settings(database_url=str(tmp_path / "test.gpkg"), load_demo=False)
        return
    url = _postgis_url()
    schema = f"test_{uuid.uuid4().hex[:12]}"
    yield Settings(database_url=url, database_schema=schema, load_demo=False, secret_key=f"test-secret-{schema}")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def store(settings, layers):
    store = open_store(settings, layers)
    store.init()
    yield store
    store.close()


@pytest.fixture
def app(settings):
    app = create_app(settings)
    yield app
    app.extensions["mapservice"].store.close()


@pytest.fixture
def client(app):
    return app.test_client()


def _demo_app(tmp_path_factory):
    """An app over a fresh GeoPackage holding the demo region; its store is closed after the yield."""
    app = create_app(Settings(database_url=str(tmp_path_factory.mktemp("demo") / "demo.gpkg"), load_demo=False))
    load_demo(app.extensions["mapservice"].store)
    yield app
    app.extensions["mapservice"].store.close()


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    """One app over the demo region, loaded once per test module."""
    yield from _demo_app(tmp_path_factory)


@pytest.fixture
def demo_client(demo_app):
    return demo_app.test_client()


# ---------- browser tests (test_browser.py, test_planner_page.py): one server and browser per session ----------

def serve_in_thread(app):
    """A generator yielding the base URL of ``app`` served by a real HTTP server in a thread, until closed."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            pass

    httpd = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(5)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """Base URL of the app serving the demo region from a real HTTP server in a thread."""
    need_browser()
    for app in _demo_app(tmp_path_factory):
        yield from serve_in_thread(app)


@pytest.fixture(scope="session")
def layer_counts(server):
    with urlopen(f"{server}/api/layers") as response:
        return {layer["id"]: layer["count"] for layer in json.load(response)["layers"]}


@pytest.fixture(scope="session")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
