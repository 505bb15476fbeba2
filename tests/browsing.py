"""Shared by the browser tests: Debian's chromium driven by Playwright over a live server.

The fixtures ``server``, ``layer_counts`` and ``browser`` live in conftest.py (one of each per
session, whichever test module asks first); :func:`opener` gives each module its page fixture.
Every page fails its test if it logs a console error, throws, or asks anything of a host other
than the server. Without /usr/bin/chromium the tests skip locally and fail in CI. A browser is
never downloaded.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}


def need_browser() -> None:
    reason = None
    if not CHROMIUM.exists():
        reason = f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "browser tests need the playwright package (pip install playwright; no browser download)"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


_FUNCTION = re.compile(r"^\s*(?:async\s+)?(?:function\b|\([^()]*\)\s*=>|\w+\s*=>)")


def as_function(expression: str) -> str:
    """A JS predicate as a function: Playwright evaluates a bare expression with eval, which the
    pages' Content-Security-Policy (no 'unsafe-eval') forbids; a function it calls directly."""
    return expression if _FUNCTION.match(expression) else f"() => ({expression})"


class Watched:
    """A page plus what it did wrong: console errors, uncaught exceptions, off-site requests.

    The page's ``wait_for_function`` takes bare expressions as well as functions (:func:`as_function`).
    """

    def __init__(self, page, server: str):
        self.page = page
        self.problems: list[str] = []
        wait = page.wait_for_function
        page.wait_for_function = lambda expression, *args, **kwargs: wait(as_function(expression), *args, **kwargs)
        host = urlsplit(server).netloc
        page.on("console", lambda msg: msg.type == "error" and self.problems.append(f"console: {msg.text}"))
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("request", lambda req: urlsplit(req.url).netloc == host
                or req.url.startswith(("data:", "blob:")) or self.problems.append(f"off-site request: {req.url}"))


def opener(browser, server: str, default_path: str, ready: str):
    """A generator for a page fixture: yields ``open_(path, viewport=DESKTOP, **context options)``.

    ``open_`` loads the page in a fresh zh-CN context and waits for the JS expression ``ready``.
    ``open_.allowed`` takes parts of console messages a test provokes on purpose; ``open_.watch``
    watches another page (a popup window). At teardown every watched page's problems fail the test.
    """
    contexts, watched = [], []

    def open_(path: str = default_path, viewport: dict = DESKTOP, **options):
        context = browser.new_context(viewport=viewport, locale="zh-CN", **options)
        contexts.append(context)
        page = context.new_page()
        watched.append(Watched(page, server))
        page.goto(server + path)
        page.wait_for_function(ready)
        return page

    open_.allowed = []
    open_.watch = lambda page: watched.append(Watched(page, server))
    yield open_
    problems = [p for w in watched for p in w.problems if not any(a in p for a in open_.allowed)]
    for context in contexts:
        context.close()
    assert problems == [], problems


def shot(page, name: str, full_page: bool = False, settle_ms: int = 500) -> None:
    """A screenshot in test-artifacts/, once animations (markercluster, panels) have settled."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(settle_ms)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def serving(app):
    """A generator serving ``app`` from a real HTTP server in a thread: yields its base URL."""
    import threading

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
