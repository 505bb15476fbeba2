"""Schemas of the editing API's bodies and answers, for validation and /openapi.json."""
from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Dict, Float, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range


class FeatureIn(Schema):
    type = String(required=True, validate=OneOf(["Feature"]))
    geometry = Dict(required=True, metadata={"description": "GeoJSON geometry, WGS 84"})
    properties = Dict(required=True, metadata={"description": "the layer's attributes (checked as an import row)"})


class FeaturePatch(Schema):
    type = String(validate=OneOf(["Feature"]))
    properties = Dict(metadata={"description": "attributes to change; `generated: false` clears the demo mark"})
    geometry = Dict(allow_none=True, metadata={"description": "the new GeoJSON geometry (admins)"})
    version = Integer(validate=Range(1, 2**31 - 1), metadata={"description": "the version read (or If-Match)"})


class EditedFeature(Schema):
    type = String(required=True, metadata={"enum": ["Feature"]})
    id = Integer(required=True)
    geometry = Dict(required=True)
    properties = Dict(required=True)
    version = Integer(required=True, metadata={"description": "the feature's version now"})
    moved_m = Float(metadata={"description": "geodesic metres the point moved"})
    moved_text = String(metadata={"description": "the same in words, in `lang`"})


class Change(Schema):
    id = Integer(required=True)
    layer = String(required=True)
    fid = Integer(required=True, allow_none=True)
    at = String(required=True, metadata={"description": "UTC, ISO 8601"})
    actor = String(required=True)
    action = String(required=True, metadata={"enum": ["create", "update", "delete", "import"]})
    change = Dict(required=True, metadata={"description": "properties: {name: [old, new]}; geometry: from, to, "
                                                          "distance_m; for an import: file, rows, inserted, "
                                                          "updated, rejected"})
    lines = List(String(), required=True, metadata={"description": "the change in words, in `lang`"})


class HoursArgs(Schema):
    value = String(required=True, validate=Length(1, 500))
    lang = String(load_default="zh", validate=OneOf(["zh", "en"]))


class HoursText(Schema):
    text = String(required=True)


class Changes(Schema):
    version = Integer(required=True)
    changes = List(Nested(Change), required=True)



class ReportIn(Schema):
    layer = String(required=True)
    fid = Integer(required=True)
    kind = String(required=True, metadata={"enum": ["closed_permanently", "wrong_place", "wrong_hours", "wrong_phone",
                                                    "other"]})
    text = String(load_default=None, allow_none=True, metadata={"description": "up to 500 characters"})
    contact = String(load_default=None, allow_none=True, metadata={"description": "optional, up to 100 characters"})


class ReportsArgs(Schema):
    status = String(load_default="open", validate=OneOf(["open", "fixed", "rejected", "all"]))


class CloseIn(Schema):
    outcome = String(required=True, validate=OneOf(["fixed", "rejected"]))
    note = String(load_default=None, allow_none=True, metadata={"description": "up to 500 characters"})


class Report(Schema):
    id = Integer(required=True)
    layer = String(required=True)
    fid = Integer(required=True)
    kind = String(required=True)
    text = String(required=True)
    contact = String(required=True, allow_none=True)
    status = String(required=True, metadata={"enum": ["open", "fixed", "rejected"]})
    created_at = String(required=True)
    closed_at = String(required=True, allow_none=True)
    closed_by = String(required=True, allow_none=True)
    note = String(required=True, allow_none=True)
    name = String(allow_none=True, metadata={"description": "the feature's name; null when it was deleted"})
    position = List(Float(), allow_none=True, metadata={"description": "lon, lat of the feature"})


class Reports(Schema):
    reports = List(Nested(Report), required=True)
    open = Integer(required=True)


class ReportSent(Schema):
    id = Integer(required=True)
    status = String(required=True)
