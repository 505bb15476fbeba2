"""The planner's query: what the page's form, its address, the report and the downloads carry.

Parsed from arguments already checked by the web schema (types and ranges); what is missing is
taken from the planner defaults of presets.toml, else from the first supply and demand layers.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from ..errors import BadRequest
from ..layers import LayerRegistry
from ..planning import DEFAULT_COUNT, CoverageRequest, parse_supply_where


def supply_choices(layers: LayerRegistry) -> list:
    return [layer for layer in layers.values() if layer.kind == "supply" and layer.is_point]


def demand_choices(layers: LayerRegistry) -> list:
    return [layer for layer in layers.values() if layer.kind == "demand" and layer.is_point]


@dataclass(frozen=True)
class PlannerQuery(CoverageRequest):
    """The planner's question with how many new sites to suggest, and from what."""

    count: int = DEFAULT_COUNT
    candidates: str = "sites"

    @classmethod
    def from_args(cls, args: Mapping, layers: LayerRegistry) -> PlannerQuery:
        """From checked query arguments (``supply`` comma-separated, ``radius``, ``minutes`` ...)."""
        defaults = layers.presets.planner
        supply = tuple(p.strip() for p in (args.get("supply") or "").split(",") if p.strip())
        if not supply:
            supply = defaults.supply or tuple(layer.id for layer in supply_choices(layers)[:1])
        demand = args.get("demand") or defaults.demand or next((lay.id for lay in demand_choices(layers)), "")
        radius, minutes = args.get("radius"), args.get("minutes")
        if radius is None and minutes is None:
            radius = defaults.radius_m
        return cls(supply=supply, demand=demand, radius_m=radius, minutes=minutes,
                   district=args.get("district") or None, supply_where=args.get("supply_where") or None,
                   weight=args.get("weight") or None, count=args.get("count", DEFAULT_COUNT),
                   candidates=args.get("candidates", "sites"))

    def known(self, layers: LayerRegistry, districts: list[str]) -> PlannerQuery:
        """This query with what the layers and districts do not know replaced by the defaults:
        the query a form can show."""
        fallback = PlannerQuery.from_args({}, layers)
        supply_ids = {layer.id for layer in supply_choices(layers)}
        supply = tuple(i for i in self.supply if i in supply_ids) or fallback.supply
        demand = self.demand if self.demand in {layer.id for layer in demand_choices(layers)} else fallback.demand
        weight = self.weight if self.weight and demand in layers and \
            self.weight in {a.name for a in layers[demand].weights} else None
        where = self.supply_where
        try:
            parse_supply_where([layers[i] for i in supply], where)
        except BadRequest:
            where = None
        return replace(self, supply=supply, demand=demand, weight=weight, supply_where=where,
                       district=self.district if self.district in districts else None)

    def request(self) -> CoverageRequest:
        """The coverage question alone."""
        return CoverageRequest(**{f.name: getattr(self, f.name) for f in fields(CoverageRequest)})

    def params(self) -> dict[str, str]:
        """The query string of this query (for the API, the report and the downloads)."""
        out = {"supply": ",".join(self.supply), "demand": self.demand}
        if self.radius_m is not None:
            out["radius"] = f"{self.radius_m:g}"
        if self.minutes is not None:
            out["minutes"] = f"{self.minutes:g}"
        for name in ("district", "supply_where", "weight"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        out["count"] = str(self.count)
        if self.candidates != "sites":
            out["candidates"] = self.candidates
        return out
