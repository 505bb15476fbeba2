"""HTML pages."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

from . import store

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    layers = current_app.extensions["mapservice"]["layers"]
    return render_template("index.html", layers=layers.values(), counts=store().counts())
