"""Fingerprinted files under static/: every ``url_for("static", ...)`` carries ``?v=`` and the first
12 hex digits of the file's SHA-256, and a request whose ``v`` is the file's current digest is cached
as immutable for a year. A file that changes gets a new address, so a phone never runs yesterday's
script against today's page; a request with no or an old ``v`` is answered too, but must be checked
again (``no-cache``, with its ETag).

Modules import each other by relative paths (``import { el } from "./dom.js"``), which carry no
digest; the page's import map (:func:`import_map`, in the head of every page before its first module)
maps each module's plain address to its fingerprinted one, so a module's imports are cached the same
way as the module.

The digests are read once, when the app is made (static/ is part of the installed package; a file
edited in place while the server runs is still sent, with its new content and ETag, but only
revalidated until the server restarts).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Flask, current_app, request
from markupsafe import Markup

from .security import csp_nonce

#: A fingerprinted file's Cache-Control; anything else under /static is revalidated every time.
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
#: app.extensions key: {"js/map/main.js": digest} of the modules the import map names.
MODULES = "mapservice_modules"


def digests(folder: Path) -> dict[str, str]:
    """``{"js/map/main.js": "3f2a9c01b7de", ...}`` for every file under ``folder``."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            found[path.relative_to(folder).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return found


def import_map() -> Markup:
    """The page's ``<script type="importmap">``: each module under static/js at its fingerprinted
    address. It must come before the page's first module script."""
    base = request.script_root + current_app.static_url_path + "/"
    modules = {base + name: f"{base}{name}?v={digest}" for name, digest in current_app.extensions[MODULES].items()}
    body = json.dumps({"imports": modules}, separators=(",", ":")).replace("</", "<\\/")
    return Markup(f'<script type="importmap" nonce="{csp_nonce()}">{body}</script>')


def init_app(app: Flask) -> None:
    known = digests(Path(app.static_folder))
    app.extensions[MODULES] = {name: digest for name, digest in known.items()
                               if name.startswith("js/") and name.endswith(".js")}

    @app.url_defaults
    def _fingerprint(endpoint, values):
        if endpoint == "static" and "v" not in values and values.get("filename") in known:
            values["v"] = known[values["filename"]]

    @app.after_request
    def _cache(response):
        if request.endpoint == "static" and response.status_code in (200, 304):
            digest = known.get((request.view_args or {}).get("filename", ""))
            fresh = digest is not None and request.args.get("v") == digest
            response.headers["Cache-Control"] = IMMUTABLE if fresh else REVALIDATE
            response.expires = None
        return response

    app.jinja_env.globals["import_map"] = import_map
