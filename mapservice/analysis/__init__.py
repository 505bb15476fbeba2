"""Analyses for planners: coverage, accessibility, siting. Pure functions; no Flask, no SQL.

Inputs are longitude/latitude arrays in degrees (EPSG:4326) and weights; distances are
geodesic metres on the WGS 84 ellipsoid. Import from the modules: :mod:`.coverage`
(nearest supply, covered share, per-district table, H3 gap cells, walking radii),
:mod:`.access` (2SFCA) and :mod:`.siting` (greedy maximal coverage). Nothing is re-exported
here, so that ``mapservice.analysis.coverage`` stays the module, not its ``coverage`` function.
"""
