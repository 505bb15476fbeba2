"""The query schemas of the API and the pages: they validate requests and describe them in /openapi.json."""
from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Float, Integer, String
from apiflask.validators import Length, OneOf, Range

from .. import nearby, planning
from ..store.base import MAX_LIMIT


class OutputArgs(Schema):
    lang = String(load_default="zh", metadata={"description": "zh (default) or en: language of `popup` texts"})
    crs = String(load_default="wgs84", validate=OneOf(["wgs84", "gcj02"]),
                 metadata={"description": "coordinates out: wgs84, or gcj02 to overlay Amap tiles"})


class PopupArgs(OutputArgs):
    popup = Boolean(load_default=False, metadata={"description": "add `popup` (facts in words, navigate links) "
                                                                 "to each feature; one feature's is also at "
                                                                 "/api/layers/{layer_id}/features/{fid}"})


class FeaturesArgs(PopupArgs):
    bbox = String(metadata={"description": "minlon,minlat,maxlon,maxlat (WGS 84 degrees)"})
    limit = Integer(load_default=100, validate=Range(1, MAX_LIMIT))
    offset = Integer(load_default=0, validate=Range(min=0))


class NearbyArgs(PopupArgs):
    lat = Float(required=True, validate=Range(-90, 90), metadata={"description": "latitude, WGS 84"})
    lon = Float(required=True, validate=Range(-180, 180), metadata={"description": "longitude, WGS 84"})
    radius = Float(load_default=nearby.DEFAULT_RADIUS_M,
                   validate=Range(0, nearby.MAX_RADIUS_M, min_inclusive=False),
                   metadata={"description": "search radius in metres (geodesic)"})
    layers = String(metadata={"description": "comma-separated supply layer ids (default: all)"})
    limit = Integer(load_default=nearby.DEFAULT_LIMIT, validate=Range(1, nearby.MAX_LIMIT))
    category = String(metadata={"description": "venue category code or label, e.g. museum or 博物馆"})
    free = Boolean(metadata={"description": "true: free only (layers without a price count as free)"})
    grade = Integer(validate=Range(1, 12), metadata={"description": "school grade 1-12"})
    age = Integer(validate=Range(0, 18), metadata={"description": "child's age in years"})
    point_crs = String(validate=OneOf(["wgs84", "gcj02"]),
                       metadata={"description": "coordinates of lat/lon in: default the same as `crs`"})
    open_at = DateTime(metadata={"description": "ISO datetime (China local time unless it has an offset): "
                                                "only features open then, from their opening hours"})


class PlacesArgs(OutputArgs):
    q = String(required=True, validate=Length(1, 50), metadata={"description": "part of a name, e.g. 东关"})
    limit = Integer(load_default=10, validate=Range(1, 50))
    layers = String(metadata={"description": "comma-separated layer ids (default: all)"})



class CoverageArgs(Schema):
    supply = String(required=True, metadata={"description": "comma-separated supply layer ids, e.g. parent_schools"})
    demand = String(required=True, metadata={"description": "demand layer: communities or schools"})
    radius = Float(validate=Range(0, planning.MAX_RADIUS_M, min_inclusive=False),
                   metadata={"description": "metres (default: the supply layer's GB 50180-2018 radius)"})
    minutes = Float(validate=Range(0, planning.MAX_MINUTES, min_inclusive=False),
                    metadata={"description": "walking minutes instead of radius"})
    district = String(metadata={"description": "district name or adcode, e.g. 广陵区 or 321002"})
    weight = String(metadata={"description": "numeric demand attribute to weight by "
                                             "(default: the layer file's weight)"})
    supply_where = String(metadata={"description": "supply filter, e.g. tier>=示范 or category=museum"})


class SuggestionArgs(CoverageArgs):
    count = Integer(load_default=planning.DEFAULT_COUNT, validate=Range(1, planning.MAX_SUGGESTIONS))
    candidates = String(load_default="sites", validate=OneOf(planning.CANDIDATES),
                        metadata={"description": "sites: features of the candidate-site layers (schools, "
                                                 "communities) without a supply feature; "
                                                 "hexagons: centres of gap cells"})


class ExportArgs(SuggestionArgs):
    lang = String(load_default="zh", metadata={"description": "zh (default) or en: language of the total row"})
    format = String(load_default="xlsx", validate=OneOf(["xlsx", "gpkg"]),
                    metadata={"description": "xlsx (four sheets) or gpkg (four layers, opens in QGIS)"})


class PlanArgs(SuggestionArgs):
    lang = String(load_default="zh", metadata={"description": "zh (default) or en: language of the `view` texts"})


class ReportArgs(PlanArgs):
    """The planner page's and report's query: supply and demand default to the planner presets."""

    supply = String(metadata={"description": "comma-separated supply layer ids (default: presets.toml [planner])"})
    demand = String(metadata={"description": "demand layer (default: presets.toml [planner])"})
