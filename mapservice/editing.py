"""Editing features in the browser or over the API (编辑), with a version per feature and a change log.

Every edit is checked by the layer schema the importer uses (:func:`mapservice.store.base.layer_values`,
one code path), authorized by :func:`mapservice.auth.authorize`, and written in one transaction
with its version step (compare-and-swap: a stale version is refused with who changed the feature
and when) and its change-log entry: old and new value per attribute, old and new position.
Imports write one entry per file (:func:`log_import`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from . import geo
from .auth import User, authorize, now_text, translated
from .errors import BadRequest, Conflict, MapserviceError
from .i18n import distance, t
from .store.base import Feature, Row, Store, check_geometry, geojson_geometry, layer_values


class InvalidFields(BadRequest):
    """Some values do not fit the layer schema: ``fields`` maps each field to its reason (400)."""

    def __init__(self, fields: dict[str, str]):
        name, reason = next(iter(fields.items()))
        super().__init__(f"{name}: {reason}", field=name)
        self.fields = fields

    def to_dict(self, lang: str | None = None) -> dict:
        out = super().to_dict(lang)
        out["error"]["fields"] = self.fields
        return out


class StaleVersion(Conflict):
    """The feature was saved by someone else since this version was read (409)."""


class PreconditionRequired(MapserviceError):
    """A change of a feature names no version (428)."""

    status = 428


@dataclass
class Edited:
    """The feature as saved, its new version, and for a moved point the geodesic metres it moved."""

    feature: Feature
    version: int
    moved_m: float | None = None


def version_of(store: Store, layer_id: str, fid: int) -> int:
    """The feature's current version (what an edit must name); NotFound for no such feature."""
    store.get(layer_id, fid)
    return store.stewardship.version(layer_id, fid)[0]


def parse_version(value: Any) -> int:
    """A version from ``If-Match`` (``3`` or ``"3"``, weak ``W/"3"`` too, and ``"3:br"`` as the ETag reads
    after the response was compressed, which marks the encoding in it) or a body's ``version``: 428 when
    there is none, 400 when it is not a version."""
    if value is None:
        raise translated(PreconditionRequired(t("edit_version_missing"), field="version"), "edit_version_missing")
    if isinstance(value, str):
        text = value.strip().removeprefix("W/").strip('"')
        text = text.removesuffix(":br").removesuffix(":gzip").removesuffix(":deflate")
        value = int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < 2**31:
        raise translated(BadRequest(t("edit_version_bad"), field="version"), "edit_version_bad")
    return value


def parse_geometry(layer, raw: Any) -> BaseGeometry:
    """A GeoJSON geometry (WGS 84) checked for the layer: type and coordinate ranges."""
    if not isinstance(raw, dict):
        raise BadRequest("geometry must be a GeoJSON geometry object", field="geometry")
    try:
        geometry = shapely.geometry.shape(raw)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, shapely.errors.ShapelyError):
        raise BadRequest("geometry is not valid GeoJSON", field="geometry") from None
    return check_geometry(layer, geometry)


def _checked(layer, properties: Any, partial: bool) -> dict:
    """``properties`` as sent, once every value passed the layer schema (all bad fields at once)."""
    if not isinstance(properties, dict):
        raise InvalidFields({"properties": "must be an object"})
    raw = {k: v for k, v in properties.items() if k not in ("source_id", "generated")}
    _, errors = layer_values(layer, raw, partial)
    if errors:
        fields: dict[str, str] = {}
        for name, reason in errors:
            fields.setdefault(name, reason)
        raise InvalidFields(fields)
    return raw


def _flag(properties: dict) -> bool | None:
    value = properties.get("generated") if isinstance(properties, dict) else None
    if value is not None and not isinstance(value, bool):
        raise InvalidFields({"generated": "must be true or false"})
    return value


def _position(geometry: BaseGeometry):
    if geometry.geom_type == "Point":
        return [geometry.x, geometry.y]
    return geojson_geometry(geometry)


def _difference(layer, before: Feature, after: Feature) -> dict:
    """Old and new value of every attribute that changed, and the old and new position."""
    names = ["generated", *layer.attribute_names]
    change: dict = {"properties": {n: [before.properties.get(n), after.properties.get(n)] for n in names
                                   if before.properties.get(n) != after.properties.get(n)}}
    if not before.geometry.equals_exact(after.geometry, 1e-9):
        change["geometry"] = {"from": _position(before.geometry), "to": _position(after.geometry)}
        if before.geometry.geom_type == "Point":
            change["geometry"]["distance_m"] = round(float(geo.geodesic_m(
                before.geometry.x, before.geometry.y, after.geometry.x, after.geometry.y)), 1)
    return change


def _stale(store: Store, layer_id: str, fid: int) -> StaleVersion:
    _, by, at = store.stewardship.version(layer_id, fid)
    values = {"user": by or "?", "at": at or "?"}
    return translated(StaleVersion(t("edit_stale", **values), field="version"), "edit_stale", **values)


def create(store: Store, user: User | None, layer_id: str, properties: Any, geometry: Any) -> Edited:
    """Add a feature (admins): 201's feature and its version."""
    authorize(user, "feature.create")
    layer = store.layers.require(layer_id)
    raw = _checked(layer, properties, partial=False)
    shape = parse_geometry(layer, geometry)
    now = now_text()
    with store.transaction():
        feature = store.create(layer_id, raw, shape)
        store.stewardship.log(layer_id, feature.id, "create", user.username, now,
                              {"properties": {n: [None, v] for n, v in feature.properties.items() if v is not None},
                               "geometry": {"from": None, "to": _position(feature.geometry)}})
        return Edited(feature, store.stewardship.version(layer_id, feature.id)[0])


def update(store: Store, user: User | None, layer_id: str, fid: int, version: Any, properties: Any = None,
           geometry: Any = None) -> Edited:
    """Change attributes (admins; a base manager those of their own bases) and/or move the feature
    (admins), from ``version``; :class:`StaleVersion` (409) when someone saved since. ``generated``
    in the properties clears (or sets) the demo mark, admins only; an edit alone keeps it."""
    layer = store.layers.require(layer_id)
    authorize(user, "feature.edit", (layer_id, fid))
    flag = _flag(properties)
    if geometry is not None or flag is not None:
        authorize(user, "feature.move", (layer_id, fid))
    raw = _checked(layer, properties if properties is not None else {}, partial=True)
    shape = parse_geometry(layer, geometry) if geometry is not None else None
    expected = parse_version(version)
    now = now_text()
    with store.transaction():
        before = store.get(layer_id, fid)
        new_version = store.stewardship.advance(layer_id, fid, expected, user.username, now)
        if new_version is None:
            raise _stale(store, layer_id, fid)
        after = store.update(layer_id, fid, raw, shape)
        if flag is not None and flag != after.properties["generated"]:
            store.upsert(layer_id, [_row(after, flag)])
            after = store.get(layer_id, fid)
        change = _difference(layer, before, after)
        store.stewardship.log(layer_id, fid, "update", user.username, now, change)
        return Edited(after, new_version, change.get("geometry", {}).get("distance_m"))


def _row(feature: Feature, generated: bool) -> Row:
    """The feature as an import row, to write its ``generated`` mark (the one column an edit does not)."""
    props = {k: v for k, v in feature.properties.items() if k not in ("source_id", "generated")}
    return Row(feature.properties["source_id"], props, feature.geometry, generated)


def delete(store: Store, user: User | None, layer_id: str, fid: int, version: Any = None) -> None:
    """Delete a feature (admins); with a ``version``, only while it is still that version."""
    store.layers.require(layer_id)
    authorize(user, "feature.delete", (layer_id, fid))
    now = now_text()
    with store.transaction():
        before = store.get(layer_id, fid)
        if version is not None and store.stewardship.advance(layer_id, fid, parse_version(version),
                                                             user.username, now) is None:
            raise _stale(store, layer_id, fid)
        store.delete(layer_id, fid)
        store.stewardship.forget(layer_id, fid)
        store.stewardship.log(layer_id, fid, "delete", user.username, now,
                              {"properties": {n: [v, None] for n, v in before.properties.items() if v is not None},
                               "geometry": {"from": _position(before.geometry), "to": None}})


def changes(store: Store, user: User | None, layer_id: str, fid: int) -> tuple[int, list[dict]]:
    """The feature's version and its change-log entries, newest first (admins)."""
    store.layers.require(layer_id)
    authorize(user, "feature.changes", (layer_id, fid))
    found = store.stewardship.changes(layer=layer_id, fid=fid)
    try:
        return version_of(store, layer_id, fid), found
    except MapserviceError:
        if found:  # a deleted feature keeps its history
            return 0, found
        raise


def log_import(store: Store, report, actor: str, file_name: str) -> None:
    """One change-log entry for an import: who, which file, rows in, updated and rejected; every version
    of the layer moves on (an edit opened before the import is stale after it)."""
    now = now_text()
    with store.transaction():
        store.stewardship.next_generation(report.layer, actor, now)
        store.stewardship.log(report.layer, None, "import", actor, now, {
            "file": file_name, "rows": report.total, "inserted": report.inserted, "updated": report.updated,
            "rejected": report.rejected})


def describe_change(layers, entry: dict, lang: str = "zh") -> list[str]:
    """A change-log entry in words, one line each: ``label: old → new``, the move with its distance, or an
    import's counts (what the popup's history and /admin/changes show)."""
    change = entry["change"]
    if entry["action"] == "import":
        return [t("admin_import_line", lang, **{k: change.get(k, "") for k in
                                                 ("file", "rows", "inserted", "updated", "rejected")})]
    layer = layers.get(entry["layer"])
    lines = []
    for name, (old, new) in change.get("properties", {}).items():
        attribute = layer.attribute(name) if layer else None
        label = attribute.label(lang) if attribute else name
        lines.append(f"{label}: {_shown(old)} → {_shown(new)}")
    geometry = change.get("geometry") or {}
    if geometry.get("distance_m") is not None:
        lines.append(t("admin_moved_line", lang, distance=distance(geometry["distance_m"], lang)))
    return lines


def _shown(value) -> str:
    if value is None:
        return "—"
    return "、".join(map(str, value)) if isinstance(value, list) else str(value)
