"""Yuren Map (育人地图): a whole-region map of school-family-community education resources.

The web app is built by :func:`mapservice.app.create_app`; everything else (layers, stores,
analysis, planning) imports without a web framework.
"""

__version__ = "0.1.0"
