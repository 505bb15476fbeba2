"""The stack's ceiling: a Flask app that answers every GET with a small JSON document and does
nothing else, served as ``mapservice serve`` serves (gunicorn with mapservice.server's worker and
settings, one worker per core, 4 threads each). bench/ogc_items.py measures it beside the app.

    python bench/bare_flask.py PORT
"""
from __future__ import annotations

import os
import sys

from flask import Flask, jsonify

from mapservice import server

app = Flask(__name__)


@app.get("/", defaults={"path": ""})
@app.get("/<path:path>")
def answer(path: str):
    return jsonify(features=[])


if __name__ == "__main__":
    server.run(lambda: app, "127.0.0.1", int(sys.argv[1]), os.cpu_count() or 1, 4)
