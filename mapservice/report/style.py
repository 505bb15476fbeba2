"""Colours of the planner's map, chart and report (one set for the page, the report and the downloads)."""
from __future__ import annotations

#: Gap cells by class, lightest (least uncovered weight) first; one colour per class of
#: :data:`mapservice.planning.GAP_CLASSES`.
GAP_COLORS = ("#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026")
UNCOVERED_COLOR = "#dc2626"
UNCOVERED_DOT_COLOR = "#7f1d1d"  # on the printed map, over red-orange cells
COVERED_COLOR = "#94a3b8"
SUGGESTION_COLOR = "#1e3a8a"
BAR_COLOR = "#0f766e"
BAR_BELOW_COLOR = "#ea580c"

#: Districts by covered share against the region's (analysis.classify.share_class): far below to far above.
SHARE_COLORS = ("#d95f0e", "#fdae6b", "#f7f7f7", "#80cdc1", "#01665e")
NO_SHARE_COLOR = "#e2e8f0"

COLORS = {"uncovered": UNCOVERED_COLOR, "uncovered_dot": UNCOVERED_DOT_COLOR, "covered": COVERED_COLOR,
          "suggestion": SUGGESTION_COLOR, "bar": BAR_COLOR, "bar_below": BAR_BELOW_COLOR}
