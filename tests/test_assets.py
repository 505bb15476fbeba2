"""Static files are fingerprinted (``?v=`` digest) and cached as immutable; modules' relative imports
reach their fingerprinted addresses through the page's import map, so a second view of a page
fetches no script, style or vendored file again."""
import hashlib
import json
import re
from pathlib import Path
from urllib.request import Request, urlopen

import pytest
from browsing import opener, serving

from mapservice.resources import resource_dir
from mapservice.web.assets import IMMUTABLE

STATIC = Path(resource_dir("static"))
PAGES = ["/", "/planner", "/layers", "/place/venues/1", "/login", "/ogc/collections/venues/items?f=html"]


def _get(url: str, **headers):
    with urlopen(Request(url, headers=headers)) as answer:
        return answer.status, answer.headers, answer.read()


def _digest(name: str) -> str:
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]


@pytest.mark.parametrize("path", PAGES)
def test_every_static_address_on_a_page_carries_its_files_digest(server, path):
    status, _, body = _get(server + path)
    html = body.decode()
    addresses = re.findall(r'(?:src|href)="/static/([^"?]+)\?v=([0-9a-f]+)"', html)
    assert status == 200 and addresses
    assert not re.search(r'(?:src|href)="/static/[^"?]+"', html), "a static address without its digest"
    for name, digest in addresses:
        assert digest == _digest(name), name
    imports = json.loads(re.search(r'<script type="importmap" nonce="[^"]+">(.*?)</script>', html).group(1))["imports"]
    for plain, fingerprinted in imports.items():
        name = plain.removeprefix("/static/")
        assert fingerprinted == f"{plain}?v={_digest(name)}"
    assert "/static/js/shared/dom.js" in imports and "/static/js/map/main.js" in imports


def test_a_fingerprinted_file_is_immutable_and_anything_else_revalidated(server):
    name = "js/map/main.js"
    status, headers, body = _get(f"{server}/static/{name}?v={_digest(name)}")
    assert status == 200 and headers["Cache-Control"] == IMMUTABLE and body == (STATIC / name).read_bytes()
    for stale in (f"/static/{name}", f"/static/{name}?v=000000000000", f"/static/{name}?v=%00"):
        status, headers, _ = _get(server + stale)
        assert status == 200 and headers["Cache-Control"] == "no-cache" and headers["ETag"], stale
    with pytest.raises(Exception) as missing:
        _get(f"{server}/static/js/none.js?v=abc")
    assert getattr(missing.value, "code", None) == 404


@pytest.fixture(scope="module")
def counted(demo_app, browser):
    """A server of its own whose requests for /static are written down: (base URL, paths asked)."""
    asked = []
    wsgi = demo_app.wsgi_app

    def counting(environ, start_response):
        if environ["PATH_INFO"].startswith("/static/"):
            asked.append(environ["PATH_INFO"] + "?" + environ.get("QUERY_STRING", ""))
        return wsgi(environ, start_response)

    demo_app.wsgi_app = counting
    for url in serving(demo_app):
        yield url, asked


@pytest.fixture
def open_page(browser, counted):
    yield from opener(browser, counted[0], "/", "document.querySelectorAll('.ym-legend-row').length > 0")


def test_a_second_view_asks_the_server_for_no_static_file(open_page, counted):
    server, asked = counted
    page = open_page()
    assert any(path.startswith("/static/js/shared/") and "?v=" in path for path in asked), asked
    assert all("?v=" in path for path in asked), [path for path in asked if "?v=" not in path]
    asked.clear()
    page.goto(server + "/?lang=en")  # a new view of the map page, not a reload (which revalidates)
    page.wait_for_function("document.querySelectorAll('.ym-legend-row').length > 0")
    assert asked == []
