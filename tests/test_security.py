"""Response headers: a Content-Security-Policy the pages keep (nonces on inline scripts), no sniffing,
no referrer, no framing; and, under the real server, no Server banner and a JSON 414."""
from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time

import pytest
from browsing import opener

from mapservice.app import create_app
from mapservice.settings import Settings

PAGES = ["/", "/?lang=en", "/layers", "/planner", "/planner/report", "/api/docs", "/no-such-page"]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)([^>]*)>", re.I)


def check_headers(response) -> str:
    """The headers every answer carries; returns the policy."""
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    scripts = next(part for part in policy.split("; ") if part.startswith("script-src"))
    assert "unsafe-inline" not in scripts and "unsafe-eval" not in scripts
    return policy


@pytest.mark.parametrize("path", [*PAGES, "/api/layers", "/api/nowhere", "/openapi.json",
                                  "/static/vendor/leaflet/leaflet.js"])
def test_every_answer_carries_the_headers(demo_client, path):
    check_headers(demo_client.get(path))


@pytest.mark.parametrize("path", PAGES)
def test_every_inline_script_carries_this_requests_nonce(demo_client, path):
    nonces = []
    for _ in range(2):
        response = demo_client.get(path)
        policy = check_headers(response)
        nonce = re.search(r"'nonce-([^']+)'", policy)
        for attributes in INLINE_SCRIPT.findall(response.get_data(as_text=True)):
            if 'type="application/json"' in attributes:
                continue  # data, never run
            assert nonce and f'nonce="{nonce.group(1)}"' in attributes, (path, attributes)
        nonces.append(nonce.group(1) if nonce else None)
    assert nonces[0] != nonces[1] or nonces[0] is None


def test_the_tile_host_may_send_images(tmp_path):
    settings = Settings(database_url=str(tmp_path / "t.gpkg"), load_demo=False,
                        tile_url="https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png")
    app = create_app(settings)
    try:
        policy = app.test_client().get("/").headers["Content-Security-Policy"]
        assert "img-src 'self' data: blob: https://*.tile.openstreetmap.org" in policy
    finally:
        app.extensions["mapservice"].store.close()


# Collected in the page before any of its scripts runs.
WATCH_CSP = """window.__csp = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));"""
READY = {"/": "document.querySelectorAll('.ym-legend-row').length > 0",
         "/planner": "document.querySelector('#pl-table tbody tr') !== null",
         "/api/docs": "document.querySelector('.swagger-ui .opblock') !== null"}


@pytest.fixture
def open_page(browser, server):
    yield from opener(browser, server, "/", "document.readyState === 'complete'")


@pytest.mark.parametrize("path", PAGES)
def test_no_page_breaks_its_content_security_policy(open_page, path):
    if path == "/no-such-page":
        open_page.allowed.append("404")  # the page's own status, logged by the browser
    page = open_page("/layers")
    page.context.add_init_script(WATCH_CSP)
    page.goto(page.url.rsplit("/", 1)[0] + path)
    ready = READY.get(path.split("?")[0], "document.readyState === 'complete'")
    page.wait_for_function(f"() => {ready}", timeout=30_000)
    page.wait_for_timeout(500)
    assert page.evaluate("window.__csp") == []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """``mapservice serve`` (gunicorn, two workers) on an empty GeoPackage: its port."""
    port = free_port()
    env = {**os.environ, "MAPSERVICE_DATABASE_URL": str(tmp_path_factory.mktemp("served") / "s.gpkg"),
           "MAPSERVICE_LOAD_DEMO": "false"}
    process = subprocess.Popen([sys.executable, "-c", "from mapservice.cli import main; main()", "serve",
                                "--port", str(port), "--workers", "2"], env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.3)
        yield port
    finally:
        os.killpg(process.pid, 15)
        process.wait(15)


def get(port: int, path: str):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path)
    response = conn.getresponse()
    return response, response.read()


def test_gunicorn_sends_no_server_banner(served):
    response, _ = get(served, "/api/layers")
    assert response.status == 200 and response.getheader("Server") is None
    check_headers(response)


def test_an_address_too_long_is_a_json_414(served):
    response, body = get(served, "/api/places?q=" + "x" * 5000)
    assert response.status == 414 and response.getheader("Content-Type") == "application/json"
    assert json.loads(body)["error"]["status"] == 414 and response.getheader("Server") is None
    assert json.loads(body)["error"]["code"] == "http_414" and json.loads(body)["error"]["message"] == "网址过长，请减少条件。"
