"""The query schemas of the API and the pages: they validate requests and describe them in /openapi.json.

Every value parses through :mod:`mapservice.parsing` (the parsers the filters and the importer use):
whole numbers and numbers in ASCII digits within 64 bits, text without control characters, and
date-times of the years that module names. The bounds the schemas declare are the bounds enforced.
"""
from __future__ import annotations

from apiflask import Schema, validators
from apiflask.fields import Boolean, Float, Integer, List, String
from marshmallow import ValidationError

from .. import clusters, i18n, nearby, parsing, planning
from ..errors import Reason
from ..store.base import MAX_LIMIT, MAX_OFFSET

#: The catalogue code of each parser's refusal (mapservice.errors: ``error_<code>``).
_PARSE_CODES = {parsing.whole_number: "not_whole_number", parsing.number: "not_number",
                parsing.text: "bad_text", parsing.moment: "bad_datetime"}


def _parsed(parse, value):
    try:
        return parse(value)
    except ValueError as exc:
        raise ValidationError(Reason(str(exc), _PARSE_CODES[parse])) from None


def _shown(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


class Range(validators.Range):
    """marshmallow's Range whose message carries its code: ``out_of_range`` (``above_min`` when the
    minimum is excluded), ``too_small`` or ``too_large``, with ``min`` and ``max``."""

    def _format_error(self, value, message):
        if self.min is not None and self.max is not None:
            code = "out_of_range" if self.min_inclusive else "above_min"
        else:
            code = "too_small" if self.min is not None else "too_large"
        return Reason(super()._format_error(value, message), code, min=_shown(self.min), max=_shown(self.max))


class OneOf(validators.OneOf):
    """marshmallow's OneOf whose message carries the code ``not_one_of`` and the ``choices``."""

    def _format_error(self, value):
        return Reason(super()._format_error(value), "not_one_of", choices=" / ".join(map(str, self.choices)))


class Length(validators.Length):
    """marshmallow's Length whose message carries the code ``too_long``, ``too_short`` or ``empty``."""

    def _format_error(self, value, message):
        code = "too_long" if self.max is not None and len(value) > self.max else (
            "empty" if (self.min or 0) <= 1 else "too_short")
        return Reason(super()._format_error(value, message), code, min=self.min, max=self.max)


class Text(String):
    """Text without control characters (tab and line breaks allowed)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault("pattern", parsing.TEXT_PATTERN)
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return _parsed(parsing.text, super()._deserialize(value, attr, data, **kwargs))


class WholeNumber(Integer):
    """A whole number in ASCII digits (64-bit); the field's Range narrows it."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", Range(parsing.INT64_MIN, parsing.INT64_MAX))
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return _parsed(parsing.whole_number, value)


class Number(Float):
    """A finite decimal number in ASCII digits; the field's Range narrows it."""

    def _deserialize(self, value, attr, data, **kwargs):
        return _parsed(parsing.number, value)


class Moment(String):
    """An RFC 3339 date-time (China time when it has no offset) of the years parsing allows."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).update(format="date-time", pattern=parsing.YEAR_PATTERN)
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return _parsed(parsing.moment, super()._deserialize(value, attr, data, **kwargs))


def Flag(**kwargs) -> Boolean:  # noqa: N802 (a field, named like the others)
    """``true`` or ``false``, nothing else (the description says exactly what is taken)."""
    return Boolean(truthy={"true"}, falsy={"false"},
                   error_messages={"invalid": Reason("Not a valid boolean.", "not_flag")}, **kwargs)


def Lang(description: str) -> Text:  # noqa: N802
    return Text(load_default="zh", validate=OneOf(i18n.LANGS), metadata={"description": description})


class OutputArgs(Schema):
    lang = Lang("zh (default) or en: language of `popup` texts")
    crs = Text(load_default="wgs84", validate=OneOf(["wgs84", "gcj02"]),
                 metadata={"description": "coordinates out: wgs84, or gcj02 to overlay Amap tiles"})


class PopupArgs(OutputArgs):
    popup = Flag(load_default=False, metadata={"description": "add `popup` (facts in words, navigate links) "
                                                                 "to each feature; one feature's is also at "
                                                                 "/api/layers/{layer_id}/features/{fid}"})


class FeaturesArgs(PopupArgs):
    bbox = Text(metadata={"description": "minlon,minlat,maxlon,maxlat (WGS 84 degrees)"})
    limit = WholeNumber(load_default=100, validate=Range(1, MAX_LIMIT))
    offset = WholeNumber(load_default=0, validate=Range(0, MAX_OFFSET))


class NearbyArgs(PopupArgs):
    lat = Number(required=True, validate=Range(-90, 90), metadata={"description": "latitude, WGS 84"})
    lon = Number(required=True, validate=Range(-180, 180), metadata={"description": "longitude, WGS 84"})
    radius = Number(load_default=nearby.DEFAULT_RADIUS_M,
                   validate=Range(0, nearby.MAX_RADIUS_M, min_inclusive=False),
                   metadata={"exclusiveMinimum": True, "description": "search radius in metres (geodesic)"})
    layers = Text(metadata={"description": "comma-separated supply layer ids (default: all)"})
    limit = WholeNumber(load_default=nearby.DEFAULT_LIMIT, validate=Range(1, nearby.MAX_LIMIT))
    category = Text(validate=Length(min=1),
                    metadata={"description": "venue category code or label, e.g. museum or 博物馆"})
    free = Flag(metadata={"description": "true: free only (layers without a price count as free)"})
    grade = WholeNumber(validate=Range(1, 12), metadata={"description": "school grade 1-12"})
    age = WholeNumber(validate=Range(0, 18), metadata={"description": "child's age in years"})
    preschool = Flag(metadata={"description": "true: for a preschool child (ages 3-6): places whose ages overlap"})
    point_crs = Text(validate=OneOf(["wgs84", "gcj02"]),
                       metadata={"description": "coordinates of lat/lon in: default the same as `crs`"})
    open_at = Moment(metadata={"description": "ISO datetime (China local time unless it has an offset): "
                                                "only features open then, from their opening hours"})


class ClustersArgs(OutputArgs):
    layers = Text(required=True, validate=Length(min=1),
                  metadata={"description": "comma-separated point layer ids, e.g. venues,parent_schools"})
    bbox = Text(required=True, metadata={"description": "the view: minlon,minlat,maxlon,maxlat (in `crs`)"})
    zoom = WholeNumber(required=True, validate=Range(0, clusters.MAX_ZOOM),
                       metadata={"description": "the map's zoom: cells are 64 px squares of its Web Mercator grid"})


class PlacesArgs(OutputArgs):
    q = Text(required=True, validate=Length(1, 50), metadata={"description": "part of a name, e.g. 东关"})
    limit = WholeNumber(load_default=10, validate=Range(1, 50))
    layers = Text(metadata={"description": "comma-separated layer ids (default: all)"})



class CoverageArgs(Schema):
    lang = Lang("zh (default) or en: language of the error messages")
    supply = Text(required=True, metadata={"description": "comma-separated supply layer ids, e.g. parent_schools"})
    demand = Text(required=True, metadata={"description": "demand layer: communities or schools"})
    radius = Number(validate=Range(0, planning.MAX_RADIUS_M, min_inclusive=False),
                   metadata={"exclusiveMinimum": True,
                             "description": "metres (default: the supply layer's GB 50180-2018 radius)"})
    minutes = Number(validate=Range(0, planning.MAX_MINUTES, min_inclusive=False),
                    metadata={"exclusiveMinimum": True, "description": "walking minutes instead of radius"})
    district = Text(metadata={"description": "district name or adcode, e.g. 广陵区 or 321002"})
    weight = Text(metadata={"description": "numeric demand attribute to weight by "
                                             "(default: the layer file's weight)"})
    supply_where = Text(metadata={"description": "supply filter, e.g. tier>=示范 or category=museum"})
    add = Text(validate=Length(max=10_000),
                 metadata={"description": "what-if: hypothetical new sites, lon,lat;lon,lat (WGS 84 degrees)"})
    close = Text(validate=Length(max=10_000),
                   metadata={"description": "what-if: supply taken as closed, layer:id;layer:id"})


class SuggestionArgs(CoverageArgs):
    count = WholeNumber(load_default=planning.DEFAULT_COUNT, validate=Range(1, planning.MAX_SUGGESTIONS))
    candidates = Text(load_default="sites", validate=OneOf(planning.CANDIDATES),
                        metadata={"description": "sites: features of the candidate-site layers (schools, "
                                                 "communities) without a supply feature; "
                                                 "hexagons: centres of gap cells"})


class ExportArgs(SuggestionArgs):
    lang = Lang("zh (default) or en: language of the total row")
    format = Text(load_default="xlsx", validate=OneOf(["xlsx", "gpkg"]),
                    metadata={"description": "xlsx (four sheets) or gpkg (four layers, opens in QGIS)"})


class PlanArgs(SuggestionArgs):
    lang = Lang("zh (default) or en: language of the `view` texts")


class CompareArgs(PlanArgs):
    a_add = Text(validate=Length(max=10_000), metadata={"description": "scenario A's new sites (as `add`)"})
    a_close = Text(validate=Length(max=10_000), metadata={"description": "scenario A's closed supply (as `close`)"})


class ReportArgs(PlanArgs):
    """The planner page's and report's query: supply and demand default to the planner presets."""

    supply = Text(metadata={"description": "comma-separated supply layer ids (default: presets.toml [planner])"})
    demand = Text(metadata={"description": "demand layer (default: presets.toml [planner])"})


# -- study-tour booking ---------------------------------------------------------------------------

class Day(String):
    """An ISO date (2027-05-12) of the years parsing allows."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).update(format="date")
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        from datetime import date

        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            day = date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            day = None
        if day is None or not parsing.FIRST_YEAR <= day.year <= parsing.LAST_YEAR:
            raise ValidationError(f"a date like 2027-05-12, years {parsing.FIRST_YEAR}-{parsing.LAST_YEAR}")
        return day


def _grades(high: int = 12, description: str = "grades 1-12 (1-6 小学, 7-9 初中, 10-12 高中)", **kwargs):
    return List(WholeNumber(validate=Range(1, high)), validate=Length(1, high), metadata={"description": description},
                **kwargs)


def _hhmm(description: str) -> Text:
    return Text(required=True, validate=Length(5, 5), metadata={"pattern": r"^([01]\d|2[0-3]):[0-5]\d$",
                                                                "description": description})


class _SessionFields(Schema):
    start = _hhmm("start, HH:MM China time")
    end = _hhmm("end, HH:MM China time, after start")
    capacity = WholeNumber(required=True, validate=Range(1, 10_000))
    grades = _grades(required=True)
    window_from_days = WholeNumber(validate=Range(1, 366), metadata={"description": "bookable from this many "
                                                                                     "days ahead (default 60)"})
    window_to_days = WholeNumber(validate=Range(0, 366), metadata={"description": "until this many days ahead "
                                                                                  "(default 3; the cut-off)"})


class SessionBody(_SessionFields):
    date = Day(required=True)


class PatternBody(_SessionFields):
    date_from = Day(required=True)
    date_to = Day(required=True)
    weekdays = _grades(7, "weekdays, 1 = Monday .. 7 = Sunday", required=True)


class SessionsArgs(Schema):
    from_ = Day(data_key="from", metadata={"description": "first date (default today)"})
    to = Day(metadata={"description": "last date (default 60 days on)"})


class SessionCapacityBody(Schema):
    capacity = WholeNumber(required=True, validate=Range(1, 10_000))


class BaseSettingsBody(Schema):
    expire_days = WholeNumber(required=True, validate=Range(1, 60), metadata={
        "description": "days an unanswered request waits before it expires and frees its places (default 5)"})


class SessionCancelBody(Schema):
    reason = Text(required=True, validate=Length(1, 200))


class DeclineBody(SessionCancelBody):
    pass


class BookingBody(Schema):
    session_id = WholeNumber(required=True, validate=Range(1, parsing.INT64_MAX))
    pupils = WholeNumber(required=True, validate=Range(0, 10_000))
    teachers = WholeNumber(load_default=0, validate=Range(0, 10_000))
    grades = _grades(required=True)
    unit = Text(required=True, validate=OneOf(["class", "grade"]), metadata={"description": "class or grade "
                                                                                            "(a whole grade)"})
    contact_name = Text(required=True, validate=Length(1, 40))
    contact_phone = Text(required=True, validate=Length(1, 20),
                         metadata={"description": "a mobile (11 digits) or a landline with its area code"})
    note = Text(load_default="", validate=Length(max=500))


class BookingArgs(Schema):
    lang = Lang("zh (default) or en: language of `status_text`")


class BookingListArgs(BookingArgs):
    from_ = Day(data_key="from", metadata={"description": "sessions from this date"})
    to = Day(metadata={"description": "sessions until this date"})
    status = Text(validate=Length(max=200), metadata={"description": "comma-separated statuses, e.g. "
                                                                     "requested,confirmed"})
    base_layer = Text(load_default="", validate=Length(max=64))
    base_id = WholeNumber(validate=Range(1, parsing.INT64_MAX), metadata={"description": "one base (with base_layer)"})
    school_layer = Text(load_default="", validate=Length(max=64))
    school_id = WholeNumber(validate=Range(1, parsing.INT64_MAX), metadata={"description": "one school "
                                                                                           "(with school_layer)"})
    district = Text(validate=Length(1, 50), metadata={"description": "schools in this district"})


class ExportBookingsArgs(BookingListArgs):
    format = Text(load_default="xlsx", validate=OneOf(["xlsx", "csv"]))
    lang = Lang("zh (default) or en: language of the headers")


class DayArgs(BookingArgs):
    date = Day(required=True)


class FindBasesArgs(Schema):
    grade = WholeNumber(validate=Range(1, 12))
    from_ = Day(data_key="from", metadata={"description": "with free places from this date"})
    to = Day(metadata={"description": "with free places until this date"})
    where = Text(validate=Length(max=200), metadata={"description": "code attributes, e.g. themes:science,"
                                                                    "level:national"})


class ToursArgs(Schema):
    from_ = Day(data_key="from", required=True)
    to = Day(required=True)


class SchoolPageArgs(FindBasesArgs):
    """The school page's filters: FindBasesArgs, the code attributes by name (e.g. themes=science)."""

    lang = Lang("zh (default) or en")


class BasePageArgs(Schema):
    lang = Lang("zh (default) or en")
    view = Text(load_default="month", validate=OneOf(["month", "week"]))
    start = Day()
    base = Text(validate=Length(max=80), metadata={"description": "the bureau: layer:id of the base"})


class DayPageArgs(Schema):
    lang = Lang("zh (default) or en")
    base = Text(required=True, validate=Length(1, 80))
    date = Day(required=True)


class AdminBookingsArgs(Schema):
    lang = Lang("zh (default) or en")
    from_ = Day(data_key="from")
    to = Day()
    base = Text(validate=Length(max=80))
    school = Text(validate=Length(max=80))
    status = Text(validate=OneOf(["requested", "confirmed", "declined", "cancelled", "cancelled_by_base",
                                  "expired", ""]))
    district = Text(validate=Length(max=50))
