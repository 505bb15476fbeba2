"""Bounded work per request: the pair cap (400 naming what to narrow), the time budget (503) and the
limit on analyses at once (503 with Retry-After), in the core and over HTTP on the demo region."""
from __future__ import annotations

import numpy as np
import pytest

from mapservice import budget, planning
from mapservice.analysis.access import two_step_fca
from mapservice.analysis.siting import greedy_max_coverage
from mapservice.app import create_app
from mapservice.demo import load_demo
from mapservice.settings import Settings

QUESTION = "supply=parent_schools&demand=communities&count=5"


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("budget") / "demo.gpkg"
    app = create_app(Settings(database_url=str(path), load_demo=False))
    load_demo(app.extensions["mapservice"].store)
    app.extensions["mapservice"].store.close()
    return path


@pytest.fixture
def client_with(demo_file):
    apps = []

    def make(**settings):
        app = create_app(Settings(database_url=str(demo_file), load_demo=False, **settings))
        apps.append(app)
        return app.test_client()

    yield make
    for app in apps:
        app.extensions["mapservice"].store.close()


def test_pairs_past_the_cap_are_refused_before_they_are_made():
    rng = np.random.default_rng(4)
    lon, lat = rng.uniform(119.3, 119.5, 2000), rng.uniform(32.3, 32.5, 2000)
    with budget.spending(max_pairs=10_000):
        assert two_step_fca(lon, lat, None, lon[:50], lat[:50], None, 500).shape == (2000,)
        for call in (lambda: two_step_fca(lon, lat, None, lon, lat, None, 50_000),
                     lambda: greedy_max_coverage(lon, lat, None, None, lon, lat, 50_000, 3)):
            with pytest.raises(budget.TooMuchWork) as caught:
                call()
            assert caught.value.status == 400 and caught.value.field == "radius"
            assert "smaller radius" in caught.value.message and "10,000" in caught.value.message


def test_an_analysis_past_its_deadline_stops(demo_file):
    from mapservice.service import open_service

    with open_service(Settings(database_url=str(demo_file), load_demo=False)) as service:
        request = planning.CoverageRequest(supply=("parent_schools",), demand="communities", radius_m=500)
        with budget.spending(seconds=1e-9), pytest.raises(budget.OverTime) as caught:
            planning.plan(service.store, request)
        assert caught.value.status == 503 and caught.value.retry_after > 0


def test_the_api_refuses_a_radius_that_pairs_too_much_naming_it(client_with):
    client = client_with(max_pairs=100_000)
    assert client.get(f"/api/coverage/suggestions?{QUESTION}&radius=500").status_code == 200
    for path in ("/api/coverage/suggestions", "/api/plan", "/api/coverage", "/planner/report"):
        query = QUESTION.replace("&count=5", "") if path == "/api/coverage" else QUESTION
        response = client.get(f"{path}?{query}&radius=50000")
        assert response.status_code == 400, path
        if path.startswith("/api/"):
            error = response.get_json()["error"]
            assert error["field"] == "radius" and error["code"] == "too_much_work" and "选择一个区县" in error["message"]
            english = client.get(f"{path}?{query}&radius=50000&lang=en").get_json()["error"]
            assert english["code"] == "too_much_work" and "one district" in english["message"]


def test_the_api_stops_an_analysis_past_its_budget(client_with):
    response = client_with(analysis_seconds=1e-6).get(f"/api/plan?{QUESTION}&radius=500")
    assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
    error = response.get_json()["error"]
    assert error["code"] == "over_time" and "秒" in error["message"]


def test_analyses_past_the_limit_are_refused_at_once_not_queued(client_with):
    client = client_with(analysis_concurrency=1)
    gate = client.application.extensions["mapservice_gate"]
    with gate.admit():  # one analysis already running in this process
        busy = client.get(f"/api/plan?{QUESTION}&radius=500")
        assert busy.status_code == 503 and int(busy.headers["Retry-After"]) > 0
        assert busy.get_json()["error"]["status"] == 503
        assert client.get("/api/nearby?lat=32.39&lon=119.42").status_code == 200  # not an analysis
    assert client.get(f"/api/plan?{QUESTION}&radius=500").status_code == 200


def test_budget_settings_are_checked(tmp_path):
    with pytest.raises(Exception, match="MAPSERVICE_MAX_PAIRS must be more than 0"):
        Settings.from_env({"MAPSERVICE_DATABASE_URL": str(tmp_path / "x.gpkg"), "MAPSERVICE_MAX_PAIRS": "0"})
    assert Settings.from_env({"MAPSERVICE_ANALYSIS_SECONDS": "2.5"}).analysis_seconds == 2.5
