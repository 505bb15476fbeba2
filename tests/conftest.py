"""Fixtures: a fresh store per test, on a real GeoPackage file and on a real PostGIS schema.

PostGIS comes from MAPSERVICE_TEST_DATABASE_URL (``.ci/run`` starts a throwaway cluster and
sets it). Without it the PostGIS cases skip locally, and fail when CI is set.
"""
from __future__ import annotations

import os
import uuid

import psycopg
import pytest

from mapservice import create_app
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
    yield Settings(database_url=url, database_schema=schema, load_demo=False)
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
    app.extensions["mapservice"]["store"].close()


@pytest.fixture
def client(app):
    return app.test_client()
