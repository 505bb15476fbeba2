"""The API's Swagger UI at /api/docs: served locally, its start-up a script file, so the page keeps
to the Content-Security-Policy (APIFlask's own page starts Swagger UI from an inline script)."""
from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("api_docs", __name__)


@bp.get("/api/docs")
def docs():
    return render_template("docs.html")
