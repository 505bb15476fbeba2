"""Response headers that keep the pages and the API to themselves: a Content-Security-Policy with a
nonce per request for the pages' inline scripts, no MIME sniffing, no referrer, no framing.

The pages' scripts are files under /static or inline scripts carrying the request's nonce
(``csp_nonce()`` in a template; ``|nonced`` for markup a library writes, folium's header). Styles
may be inline (the templates and Leaflet set ``style`` attributes); images may come from the base
map's tile host when ``MAPSERVICE_TILE_URL`` names one.
"""
from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from flask import Flask, g
from markupsafe import Markup

from .. import basemap
from ..settings import Settings

_SCRIPT_TAG = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)")


def csp_nonce() -> str:
    """This request's nonce for inline scripts (made when a template first asks)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def nonced(html: str) -> Markup:
    """Markup the server itself wrote (folium's header), its inline ``<script>`` tags given the nonce."""
    return Markup(_SCRIPT_TAG.sub(f'<script nonce="{csp_nonce()}"', str(html)))


def tile_source(settings: Settings) -> str | None:
    """The CSP source of the base map's tiles: the tile URL's scheme and host, a host label with a
    placeholder (``t{s}``, ``webrd0{s}``) as the wildcard ``*``; None for none or tiles of this host."""
    base = basemap.resolve(settings)
    if base is None:
        return None
    parts = urlsplit(base.urls[0])
    labels = parts.netloc.split(".")
    if any("{" in label for label in labels[1:]):
        return None  # CSP has no wildcard past the first label
    host = ".".join(["*" if "{" in labels[0] else labels[0], *labels[1:]])
    return f"{parts.scheme}://{host}" if parts.scheme in ("http", "https") and host else None


def policy(settings: Settings, nonce: str | None) -> str:
    """The Content-Security-Policy header's value."""
    scripts = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    images = " ".join(filter(None, ["'self' data: blob:", tile_source(settings)]))
    return "; ".join([
        "default-src 'self'", f"script-src {scripts}", "style-src 'self' 'unsafe-inline'", f"img-src {images}",
        "font-src 'self' data:", "connect-src 'self'", "object-src 'none'", "base-uri 'none'",
        "form-action 'self'", "frame-ancestors 'none'",
    ])


def init_app(app: Flask) -> None:
    settings = app.extensions["mapservice"].settings
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.filters["nonced"] = nonced

    @app.after_request
    def _headers(response):
        response.headers["Content-Security-Policy"] = policy(settings, g.get("csp_nonce"))
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        return response
