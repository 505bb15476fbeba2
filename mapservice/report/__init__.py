"""The planner's presentation, framework-free: a :class:`~mapservice.planning.Plan` in words,
classes, a chart and a printable map.

- :mod:`.view` — :func:`~.view.build`: everything a person reads of a plan, in zh or en; the planner
  page receives it as JSON and the printed report renders it, so the two always agree;
- :mod:`.wording` — labels, units and the parameters in words;
- :mod:`.style` — the colours of gap classes, demand, supply and suggestions;
- :mod:`.chart` — the bar chart of covered share as an SVG scene (drawn by Python and by the page);
- :mod:`.printmap` — the report's static SVG map;
- :mod:`.downloads` — the plan as Excel sheets, GeoPackage layers, GeoJSON or CSV files.
"""
