"""The planner's words: weight labels and units, table headers, scope labels, parameters in words."""
from __future__ import annotations

from .. import i18n
from ..describe import value_text
from ..i18n import t
from ..layers import Attribute
from ..planning import SupplyFilter

#: The district table's columns, in order.
TABLE_COLUMNS = ("district", "demand_count", "covered_count", "demand_weight", "covered_weight", "covered_share",
                 "supply_count", "supply_per_10k")
#: How each column's values read: the formatter in :mod:`mapservice.i18n`.
COLUMN_FORMATS = {"demand_count": i18n.number, "covered_count": i18n.number, "demand_weight": i18n.number,
                  "covered_weight": i18n.number, "covered_share": i18n.share, "supply_count": i18n.number,
                  "supply_per_10k": i18n.rate}


def weight_label(weight: Attribute | None, lang: str) -> str:
    """What demand is counted in: the weight attribute's label (常住人口), or units."""
    return weight.label(lang) if weight is not None else t("planner_units", lang)


def unit(weight: Attribute | None, lang: str) -> str:
    """``人`` / ``people``: what one unit of demand weight is."""
    return (weight.unit_text(lang) if weight is not None else None) or t("planner_unit_units", lang)


def column_labels(weight: Attribute | None, lang: str) -> dict[str, str]:
    """The district table's headers for demand weighted by ``weight``."""
    label = weight_label(weight, lang)
    return {
        "district": t("planner_col_district", lang),
        "demand_count": t("planner_col_demand_count", lang),
        "covered_count": t("planner_col_covered_count", lang),
        "demand_weight": label,
        "covered_weight": t("planner_col_covered_weight", lang, weight=label.lower() if lang == "en" else label),
        "covered_share": t("planner_col_share", lang),
        "supply_count": t("planner_col_supply", lang),
        "supply_per_10k": t("planner_col_per10k", lang, unit=unit(weight, lang)),
    }


def total_label(scope: str | None, lang: str) -> str:
    """The total row: the region's, or the chosen district's."""
    return t("planner_total" if scope else "planner_region_total", lang)


def scope_name(scope: str | None, lang: str) -> str:
    """The area analysed, for sentences: the district's name, or 全域 / the region."""
    return scope or t("planner_region_short", lang)


def supply_where_words(rule: SupplyFilter | None, lang: str) -> str:
    """A supply filter in words: （等级：示范及以上） / `` (Tier: Demonstration and above)``."""
    if rule is None:
        return ""
    attribute = rule.attribute
    value = rule.value[0] if attribute.type == "codes" else rule.value
    text = value_text(attribute, [value] if attribute.type == "codes" else value, lang)
    key = "planner_at_least_words" if rule.op == ">=" else "planner_equals_words"
    return t(key, lang, attribute=attribute.label(lang), value=text)


def reach_words(radius_m: float, minutes: float | None, lang: str) -> str:
    """``500 米`` or ``步行 10 分钟（约 500 米）``."""
    radius = i18n.distance(radius_m, lang)
    return t("report_reach_minutes", lang, minutes=f"{minutes:g}", radius=radius) if minutes is not None else radius
