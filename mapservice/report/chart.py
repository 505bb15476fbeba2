"""The bar chart of covered share by district, as an SVG scene: one builder for the page and the report.

A scene is plain data — ``{"width", "height", "label", "elements": [{"tag", "attrs", "text"}]}`` —
that :func:`render` writes as SVG markup for the report and the planner page turns into SVG
elements (static/js/shared/dom.js ``svgScene``), so the chart is drawn by one piece of code.
"""
from __future__ import annotations

import math

from markupsafe import Markup, escape

from .. import i18n
from ..i18n import t
from . import style

#: Geometry in SVG units: margins left of the bars (labels), right (values), top, per row, bottom.
LEFT, RIGHT, TOP, ROW, BOTTOM = 64, 52, 24, 24, 22
WIDTH = 360
TICKS = (0, 0.25, 0.5, 0.75, 1)


def _share(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def order(rows: list[dict]) -> list[dict]:
    """Rows highest covered share first (no share last), then by district name."""
    return sorted(rows, key=lambda r: (-(_share(r["covered_share"]) if _share(r["covered_share"]) is not None
                                         else -1), r["district"]))


def scene(rows: list[dict], region_share, area: str, lang: str, width: float = WIDTH) -> dict:
    """The chart of ``rows`` (``district``, ``covered_share``) against the region's share."""
    rows = order(rows)
    inner = width - LEFT - RIGHT
    height = TOP + ROW * max(len(rows), 1) + BOTTOM
    region_share = _share(region_share)
    elements = []

    def add(tag: str, attrs: dict, text: str | None = None) -> None:
        elements.append({"tag": tag, "attrs": attrs, **({"text": text} if text is not None else {})})

    for tick in TICKS:
        x = round(LEFT + inner * tick, 1)
        add("line", {"x1": x, "x2": x, "y1": TOP - 2, "y2": height - BOTTOM + 2, "stroke": "#e2e8f0"})
        add("text", {"x": x, "y": height - BOTTOM + 15, "text-anchor": "middle", "class": "pl-chart-tick"},
            f"{tick * 100:.0f}%")
    for i, row in enumerate(rows):
        y = TOP + i * ROW
        share = _share(row["covered_share"])
        below = share is not None and region_share is not None and share < region_share
        middle = {"y": y + ROW / 2, "text-anchor": "end", "dominant-baseline": "central"}
        add("text", {"x": LEFT - 8, **middle, "class": "pl-chart-label"}, row["district"])
        add("text", {"x": width - 2, **middle, "class": "pl-chart-value"}, i18n.share(share))
        if share is not None:
            add("rect", {"x": LEFT, "y": y + 4, "width": round(inner * max(0.0, min(share, 1.0)), 1),
                         "height": ROW - 8, "rx": 2, "fill": style.BAR_BELOW_COLOR if below else style.BAR_COLOR,
                         "class": "pl-bar", "data-district": row["district"]})
    if region_share is not None:
        x = round(LEFT + inner * max(0.0, min(region_share, 1.0)), 1)
        add("line", {"x1": x, "x2": x, "y1": TOP - 6, "y2": height - BOTTOM + 2, "stroke": "#0f172a",
                     "stroke-width": 1.5, "stroke-dasharray": "4 3", "class": "pl-ref"})
        add("text", {"x": x, "y": TOP - 10, "text-anchor": "middle", "class": "pl-chart-ref"},
            t("planner_chart_reference", lang, area=area, share=i18n.share(region_share)))
    return {"width": width, "height": height, "label": t("planner_chart_title", lang), "elements": elements}


def render(chart: dict, css_class: str = "pl-chart-svg") -> Markup:
    """A scene as SVG markup (every attribute and text escaped)."""
    out = [f'<svg class="{css_class}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {chart["width"]:.0f} '
           f'{chart["height"]:.0f}" role="img" aria-label="{escape(chart["label"])}">']
    for element in chart["elements"]:
        attrs = "".join(f' {name}="{escape(value)}"' for name, value in element["attrs"].items())
        text = escape(element.get("text", ""))
        out.append(f"<{element['tag']}{attrs}>{text}</{element['tag']}>")
    out.append("</svg>")
    return Markup("".join(out))
