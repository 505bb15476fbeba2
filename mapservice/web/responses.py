"""The answers' schemas, for /openapi.json: what each operation sends, the one error shape, and the
statuses every operation may give (the views build their JSON themselves; these describe it).

:func:`describe` completes the generated description with what only the running app knows: the
layer ids a path takes, the feature id's bounds, and the 414 and 503 answers of every operation.
"""
from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, Dict, Float, Integer, List, Nested, Raw, String

from .. import parsing

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GPKG = "application/geopackage+sqlite3"


class ErrorDetail(Schema):
    status = Integer(required=True, metadata={"description": "the HTTP status"})
    message = String(required=True, metadata={"description": "what is wrong and what to do, in `lang` "
                                                                "(Chinese unless lang=en)"})
    field = String(required=True, allow_none=True, metadata={"description": "the parameter at fault, or null"})
    code = String(required=True, metadata={"description": "what is wrong, stable across languages: the page words "
                                                          "it from the catalogue key error_<code>"})
    params = Dict(metadata={"description": "the values the wording of `code` names (min, max, choices...)"})
    fields = Dict(metadata={"description": "an edit's every field at fault, with the reason (editing API)"})


class Error(Schema):
    """Every error, whatever its status."""

    error = Nested(ErrorDetail, required=True)


class LayerInfo(Schema):
    id = String(required=True)
    title = String(required=True)
    title_zh = String(required=True)
    title_en = String(required=True)
    kind = String(required=True, metadata={"enum": ["supply", "demand", "boundary"]})
    count = Integer(required=True)
    geometry_type = String(required=True, metadata={"enum": ["Point", "MultiPolygon"]})
    color = String(required=True)
    icon = String(required=True)
    radius_m = Float(required=True, allow_none=True)


class Layers(Schema):
    layers = List(Nested(LayerInfo), required=True)


class Feature(Schema):
    type = String(required=True, metadata={"enum": ["Feature"]})
    id = Integer(required=True)
    geometry = Dict(required=True, metadata={"description": "GeoJSON geometry, WGS 84 (or GCJ-02 with crs=gcj02)"})
    properties = Dict(required=True, metadata={"description": "the layer's attributes, source_id, generated "
                                                             "(and popup, nearby's distance fields, and page: "
                                                             "the place's own page, with a popup or in a search)"})


class _Collection(Schema):
    type = String(required=True, metadata={"enum": ["FeatureCollection"]})
    numberReturned = Integer(required=True)
    features = List(Nested(Feature), required=True)


class FeatureCollection(_Collection):
    numberMatched = Integer(required=True)


class Point(Schema):
    lon = Float(required=True)
    lat = Float(required=True)


class NearbyCollection(_Collection):
    center = Nested(Point, required=True)
    radius_m = Float(required=True)
    radius_text = String(required=True)
    notice = Dict(required=True, allow_none=True, metadata={
        "description": "what the answer says besides its places, or null: code outside_region (text, action, "
                       "centre, centre_label: the region's centre to search from) or none_open (text: when the "
                       "nearest place opens next; place: its layer and id)"})


class Cluster(Schema):
    lon = Float(required=True, metadata={"description": "the mean of its features' positions"})
    lat = Float(required=True)
    count = Integer(required=True)
    counts = Dict(keys=String(), values=Integer(), required=True, metadata={"description": "features per layer"})
    bbox = List(Float(), required=True, metadata={"description": "its features' box: minlon,minlat,maxlon,maxlat"})


class ClusterFeature(Schema):
    layer = String(required=True)
    id = Integer(required=True)
    lon = Float(required=True)
    lat = Float(required=True)
    name = String(required=True)
    generated = Boolean(required=True)


class Clusters(Schema):
    zoom = Integer(required=True)
    clusters = List(Nested(Cluster), required=True, metadata={"description": "cells of 2 or more, biggest first"})
    features = List(Nested(ClusterFeature), required=True,
                    metadata={"description": "features alone in their cell (every one in view from zoom 17)"})


class Place(Schema):
    kind = String(required=True, metadata={"enum": ["township", "road", "feature"]})
    group = String(required=True, metadata={"description": "the heading of the place's group, in `lang`"})
    layer = String(required=True, allow_none=True, metadata={"description": "the feature's layer (null: no feature)"})
    layer_title = String(required=True, metadata={"description": "the layer's title, or a township's district"})
    id = Integer(required=True, allow_none=True)
    name = String(required=True)
    lon = Float(required=True)
    lat = Float(required=True)
    note = String(required=True, allow_none=True,
                  metadata={"description": "how a township or road was placed (no public boundary), or the "
                                             "address of a feature found by its address"})


class Places(Schema):
    places = List(Nested(Place), required=True)


class Plan(Schema):
    """The planner's whole answer (its parts as in the README)."""

    request = Dict(required=True)
    radius_m = Float(required=True)
    weight = String(required=True, allow_none=True)
    district = String(required=True, allow_none=True)
    region = Dict(required=True)
    by_district = List(Dict(), required=True)
    demand = Dict(required=True, metadata={"description": "GeoJSON FeatureCollection"})
    supply_used = Dict(required=True, metadata={"description": "GeoJSON FeatureCollection"})
    gaps = Dict(required=True, metadata={"description": "GeoJSON FeatureCollection of H3 cells"})
    h3_resolution = Integer(required=True)
    gap_breaks = List(Float(), required=True)
    gaps_overview = Dict(required=True)
    h3_overview_resolution = Integer(required=True)
    overview_breaks = List(Float(), required=True)
    suggestions = List(Dict(), required=True)
    closed_supply = Dict(required=True, metadata={"description": "GeoJSON: supply a what-if takes as closed"})
    generated = Boolean(required=True)
    view = Dict(required=True, metadata={"description": "every text of the answer in `lang`"})


class Compare(Schema):
    """Scenarios A and B side by side, worded in `lang`."""

    scenarios = List(Dict(), required=True)
    columns = List(String(), required=True)
    rows = List(Dict(), required=True)
    total = Dict(required=True)


class Coverage(Schema):
    radius_m = Float(required=True)
    weight = String(required=True, allow_none=True)
    h3_resolution = Integer(required=True)
    summary = Dict(required=True, metadata={"description": "`region` and `by_district` rows"})
    demand = Dict(required=True)
    gaps = Dict(required=True)
    h3_overview_resolution = Integer(required=True)
    gaps_overview = Dict(required=True)


class Suggestions(Schema):
    radius_m = Float(required=True)
    covered_share_before = Float(required=True, allow_none=True)
    suggestions = List(Dict(), required=True)


class Download(Schema):
    file = Raw(metadata={"type": "string", "format": "binary"})


# -- study-tour booking ---------------------------------------------------------------------------

class BookingSession(Schema):
    id = Integer(required=True)
    base_layer = String(required=True)
    base_id = Integer(required=True)
    date = String(required=True, metadata={"format": "date"})
    start = String(required=True, metadata={"description": "HH:MM China time"})
    end = String(required=True)
    capacity = Integer(required=True)
    booked = Integer(required=True, metadata={"description": "places held by requested and confirmed bookings"})
    remaining = Integer(required=True)
    grades = List(Integer(), required=True)
    window_from_days = Integer(required=True)
    window_to_days = Integer(required=True)
    status = String(required=True, metadata={"enum": ["open", "cancelled"]})
    cancel_reason = String(required=True, allow_none=True)


class BookingSessions(Schema):
    sessions = List(Nested(BookingSession), required=True)


class SessionPattern(BookingSessions):
    skipped_holidays = List(String(), required=True)


class BaseSettings(Schema):
    expire_days = Integer(required=True)


class CancelledSession(Schema):
    session = Nested(BookingSession, required=True)
    cancelled_bookings = List(Integer(), required=True)


class BookingOut(Schema):
    id = Integer(required=True)
    session_id = Integer(required=True)
    school_layer = String(required=True)
    school_id = Integer(required=True)
    school_name = String(required=True)
    base_name = String(required=True)
    pupils = Integer(required=True)
    teachers = Integer(required=True)
    headcount = Integer(required=True)
    grades = List(Integer(), required=True)
    unit = String(required=True, metadata={"enum": ["class", "grade"]})
    contact_name = String(required=True)
    contact_phone = String(required=True)
    note = String(required=True)
    status = String(required=True, metadata={"enum": ["requested", "confirmed", "declined", "cancelled",
                                                      "cancelled_by_base", "expired"]})
    status_text = String(required=True)
    reason = String(required=True, allow_none=True)
    filing_required = Boolean(required=True, metadata={"description": "需备案: filed with the education bureau"})
    filing_acknowledged = Boolean(required=True)
    created_at = String(required=True)
    expires_at = String(required=True, allow_none=True)
    session = Nested(BookingSession, required=True)
    history = List(Dict(), required=True, metadata={"description": "who changed what, when"})


class BookingList(Schema):
    bookings = List(Nested(BookingOut), required=True)


class DayList(BookingList):
    date = String(required=True)
    base_name = String(required=True)
    headcount = Integer(required=True)


class FoundBase(Schema):
    layer = String(required=True)
    id = Integer(required=True)
    name = String(required=True)
    lon = Float(required=True)
    lat = Float(required=True)
    distance_m = Integer(required=True, allow_none=True, metadata={"description": "from the school, metres"})
    grades = List(Integer(), required=True)
    free_sessions = Integer(required=True)
    sessions = List(Nested(BookingSession), required=True)


class FoundBases(Schema):
    bases = List(Nested(FoundBase), required=True)


class UntouredSchool(Schema):
    layer = String(required=True)
    id = Integer(required=True)
    name = String(required=True)
    district = String(required=True, allow_none=True)
    lon = Float(required=True)
    lat = Float(required=True)


class SchoolsWithoutTours(Schema):
    without_tours = List(Nested(UntouredSchool), required=True, metadata={"description": "the schools, by district"})
    by_district = Dict(required=True, metadata={"description": "district -> number of schools"})


def describe(spec: dict, layer_ids: list[str], bookable_ids: list[str] = ()) -> dict:
    """``spec`` with the layer ids of ``{layer_id}``, the feature id's type and bounds, and a 414 and
    503 (with ``Retry-After``) on every operation."""
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and parameter["name"] == "layer_id":
                    parameter["schema"] = {"type": "string", "enum": list(layer_ids)}
                elif parameter.get("in") == "path" and parameter["name"] == "base_layer":
                    parameter["schema"] = {"type": "string", "enum": list(bookable_ids)}
                elif parameter.get("in") == "path" and parameter["name"] in ("base_id", "session_id", "booking_id"):
                    parameter["schema"] = {"type": "integer", "minimum": 0, "maximum": parsing.INT64_MAX}
                elif parameter.get("in") == "path" and parameter["name"] == "fid":
                    parameter["schema"] = {"type": "integer", "minimum": parsing.INT64_MIN,
                                           "maximum": parsing.INT64_MAX}
            responses = operation.setdefault("responses", {})
            responses.setdefault("414", {"description": "the address is too long", "content": error})
            responses.setdefault("503", {
                "description": "the database is away, the process is busy with other analyses, or an analysis "
                               "ran past its time budget: ask again after Retry-After seconds",
                "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}}, "content": error})
    return spec
