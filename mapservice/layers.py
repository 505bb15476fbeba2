"""Layer definitions: load and validate ``layers/*.toml`` into :class:`Layer` objects.

A layer file is data, not code (see layers/10-venues.toml). Files are read in name order, which
is the order the API lists layers in. Anything malformed raises :class:`LayerConfigError`
naming the file and the field.
"""
from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any

from . import hours, parsing
from .errors import LayerConfigError
from .resources import resource_dir

KINDS = ("supply", "demand", "boundary")
GEOMETRY_TYPES = ("Point", "MultiPolygon")
ATTRIBUTE_TYPES = ("text", "integer", "number", "boolean", "code", "codes", "opening_hours")
# Columns every layer table has besides its attributes; attribute names may not take them.
SYSTEM_COLUMNS = ("fid", "source_id", "generated", "geom", "lonlat")
#: The district code the store keeps on every layer table but a boundary layer's (derived from the
#: boundary layer's attribute of that name, see mapservice.store.districts); no other layer may name
#: an attribute so.
ADCODE = "adcode"
LIST_SEPARATOR = ";"
#: The layer-file keys the loader accepts, at the top of a layer file and in each ``[[attributes]]``.
LAYER_KEYS = ("id", "title", "kind", "geometry", "style", "radius_m", "radius_basis", "weight", "candidate_sites",
              "books", "attributes")
ATTRIBUTE_KEYS = ("name", "type", "label", "required", "aliases", "values", "min", "max", "pattern", "role",
                  "ordered", "unit")
#: The file of presets beside the layer files (not a layer).
PRESETS_FILE = "presets.toml"


class Role(StrEnum):
    """What an attribute means to the code, declared in the layer file (``role = "min_age"``).

    The code asks a layer for the attribute with a role (:meth:`Layer.role`), never for an
    attribute by its name, so a layer file may name its attributes as it likes.
    """

    MIN_AGE = "min_age"            #: youngest suitable age, years (integer)
    MAX_AGE = "max_age"            #: oldest suitable age, years (integer)
    MIN_GRADE = "min_grade"        #: lowest suitable school grade 1-12 (integer)
    MAX_GRADE = "max_grade"        #: highest suitable school grade 1-12 (integer)
    CATEGORY = "category"          #: the kind of venue the map's category filter chooses (code)
    PRICE_FREE = "price_free"      #: free admission (boolean); layers without one are free public services
    OPENING_HOURS = "opening_hours"  #: when it is open (opening_hours)
    CAPACITY = "capacity"          #: places per session: supply capacity in 2SFCA (integer)
    BOOKABLE = "bookable"          #: takes study-tour bookings from schools (boolean)
    ADDRESS = "address"            #: street address (text)
    PHONE = "phone"                #: telephone number (text)


#: The attribute types each role takes.
ROLE_TYPES = {Role.MIN_AGE: ("integer",), Role.MAX_AGE: ("integer",), Role.MIN_GRADE: ("integer",),
              Role.MAX_GRADE: ("integer",), Role.CATEGORY: ("code",), Role.PRICE_FREE: ("boolean",),
              Role.OPENING_HOURS: ("opening_hours",), Role.CAPACITY: ("integer", "number"), Role.BOOKABLE: ("boolean",),
              Role.ADDRESS: ("text",), Role.PHONE: ("text",)}
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_TRUE = {"true", "1", "yes", "y", "t", "是", "对", "免费"}
_FALSE = {"false", "0", "no", "n", "f", "否", "不", "收费"}
_SPLIT = re.compile(r"[;；,，、|]")


@dataclass(frozen=True)
class Attribute:
    """One attribute of a layer: its type, whether required, labels and allowed values."""

    name: str
    type: str
    label_zh: str
    label_en: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    role: Role | None = None
    #: For a ``code`` attribute: its values are ranked, lowest first (e.g. a tier), so ">= value" makes sense.
    ordered: bool = False
    #: For a numeric attribute that can weight demand: what one unit is, {"zh": "人", "en": "people"}.
    unit: dict[str, str] = field(default_factory=dict)

    def label(self, lang: str = "zh") -> str:
        return self.label_en if lang == "en" else self.label_zh

    def unit_text(self, lang: str = "zh") -> str | None:
        return self.unit.get(lang) if self.unit else None

    def at_least(self, code: str) -> list[str]:
        """The codes of an ordered attribute ranked at ``code`` or above."""
        codes = list(self.values)
        return codes[codes.index(code):] if code in codes else []

    def header_names(self) -> set[str]:
        """Names a source column may carry for this attribute, lower-cased."""
        names = {self.name, self.label_zh, self.label_en, *self.aliases}
        return {n.strip().lower() for n in names if n}

    def code_for(self, text: str) -> str | None:
        """Map a code or its zh/en label to the code, or None when unknown."""
        key = text.strip()
        if key in self.values:
            return key
        lowered = key.lower()
        for code, labels in self.values.items():
            if lowered in (code.lower(), labels.get("zh", ""), labels.get("en", "").lower()):
                return code
        return None

    def parse(self, raw: Any) -> Any:
        """Turn a raw cell (str, number, bool, list or None) into the stored value.

        Returns None for an empty cell; raises ValueError with a reason a user can act on.
        """
        if raw is None or (isinstance(raw, float) and math.isnan(raw)):
            value = None
        elif isinstance(raw, str) and not raw.strip():
            value = None
        else:
            value = self._parse_present(raw)
        if value is None and self.required:
            raise ValueError("required value is missing")
        return value

    def _parse_present(self, raw: Any) -> Any:
        kind = self.type
        if isinstance(raw, str):
            parsing.text(raw)
        if kind == "text":
            text = str(raw).strip()
            if self.pattern and not re.fullmatch(self.pattern, text):
                raise ValueError(f"{text!r} does not match {self.pattern}")
            return text
        if kind == "opening_hours":
            text = str(raw).strip()
            hours.parse(text)
            return text
        if kind == "boolean":
            if isinstance(raw, bool):
                return raw
            if isinstance(raw, (int, float)) and raw in (0, 1):
                return bool(raw)
            text = str(raw).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValueError(f"{raw!r} is not a yes/no value (true/false, 是/否)")
        if kind in ("integer", "number"):
            return self._parse_number(raw)
        if kind == "code":
            code = self.code_for(str(raw))
            if code is None:
                raise ValueError(f"{raw!r} is not one of {', '.join(self.values)}")
            return code
        items = raw if isinstance(raw, (list, tuple)) else _SPLIT.split(str(raw))
        codes = []
        for item in (str(i).strip() for i in items):
            if not item:
                continue
            code = self.code_for(item)
            if code is None:
                raise ValueError(f"{item!r} is not one of {', '.join(self.values)}")
            if code not in codes:
                codes.append(code)
        return codes or None

    def _parse_number(self, raw: Any) -> int | float:
        """A whole number (64-bit) or a finite number within the attribute's min/max; text may group
        thousands with commas (1,200)."""
        value = raw.strip().replace(",", "") if isinstance(raw, str) else raw
        if self.type == "integer":
            low = max(parsing.INT64_MIN, math.ceil(self.min)) if self.min is not None else parsing.INT64_MIN
            high = min(parsing.INT64_MAX, math.floor(self.max)) if self.max is not None else parsing.INT64_MAX
            return parsing.whole_number(value, low, high)
        return parsing.number(value, self.min, self.max)

    def to_text(self, value: Any) -> str | None:
        """Serialise a stored value for a text column (CSV, filters): lists join with ';'."""
        if value is None:
            return None
        if self.type == "codes":
            return LIST_SEPARATOR.join(value)
        if self.type == "boolean":
            return "true" if value else "false"
        return str(value)


@dataclass(frozen=True)
class Layer:
    """A validated layer definition."""

    id: str
    title_zh: str
    title_en: str
    kind: str
    geometry_type: str
    attributes: tuple[Attribute, ...]
    color: str
    icon: str
    radius_m: float | None = None
    radius_basis: str | None = None
    source: str = ""
    #: Demand layers: the attribute that weights each unit by default (e.g. residents); None counts units.
    weight: str | None = None
    #: Whether this layer's features may host a new supply site in the planner's suggestions.
    candidate_sites: bool = False
    #: Whether this layer's features (schools) book study-tour sessions of the bookable layers.
    books: bool = False

    def title(self, lang: str = "zh") -> str:
        return self.title_en if lang == "en" else self.title_zh

    def attribute(self, name: str) -> Attribute | None:
        return self._by_name.get(name)

    def role(self, role: Role) -> Attribute | None:
        """The attribute that carries ``role``, or None when the layer has none."""
        return self._by_role.get(role)

    @cached_property
    def _by_name(self) -> dict[str, Attribute]:
        return {a.name: a for a in reversed(self.attributes)}  # reversed: the first of a name wins

    @cached_property
    def _by_role(self) -> dict[Role, Attribute]:
        return {a.role: a for a in reversed(self.attributes) if a.role is not None}

    @cached_property
    def kind_attribute(self) -> Attribute | None:
        """What says what kind of place a feature is (博物馆): the first code(s) attribute."""
        return next((a for a in self.attributes if a.type in ("code", "codes")), None)

    @property
    def weights(self) -> tuple[Attribute, ...]:
        """The attributes demand can be weighted by: the default ``weight`` first, then every other
        numeric attribute that names its ``unit``."""
        default = self.attribute(self.weight) if self.weight else None
        others = [a for a in self.attributes if a.unit and a is not default]
        return tuple([default] if default else []) + tuple(others)

    @property
    def ordered_attributes(self) -> tuple[Attribute, ...]:
        return tuple(a for a in self.attributes if a.ordered)

    @cached_property
    def attribute_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.attributes)

    @cached_property
    def names_of_type(self) -> dict[str, tuple[str, ...]]:
        """The attributes' names by type (``boolean``, ``codes``...)."""
        found: dict[str, list[str]] = {}
        for a in self.attributes:
            found.setdefault(a.type, []).append(a.name)
        return {kind: tuple(names) for kind, names in found.items()}

    @cached_property
    def stored_names(self) -> tuple[str, ...]:
        """The columns of the layer's table after source_id and generated: its attributes, then the
        store-kept :data:`ADCODE` on a layer that carries one."""
        return (*self.attribute_names, *((ADCODE,) if self.carries_adcode else ()))

    @property
    def is_point(self) -> bool:
        return self.geometry_type == "Point"

    @property
    def carries_adcode(self) -> bool:
        """Whether the store keeps the district code (:data:`ADCODE`) of each feature: every layer
        but a boundary layer."""
        return self.kind != "boundary"


@dataclass(frozen=True)
class MapPreset:
    """A one-tap search of the map page: the filters it sets (``open`` is ``now`` or ``saturday``)."""

    id: str
    label_zh: str
    label_en: str
    layers: tuple[str, ...]
    category: str | None = None
    free_only: bool = False
    open: str | None = None
    radius_m: int | None = None

    def label(self, lang: str = "zh") -> str:
        return self.label_en if lang == "en" else self.label_zh


@dataclass(frozen=True)
class PlannerDefaults:
    """What the planner page asks before the planner changes anything."""

    supply: tuple[str, ...] = ()
    demand: str | None = None
    radius_m: float | None = None


@dataclass(frozen=True)
class Region:
    """The region the data covers (``[region]`` of presets.toml): its name, and its centre (WGS 84
    lon, lat) that the map offers a search from when a point lies outside the region."""

    name_zh: str
    name_en: str
    centre: tuple[float, float]

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name_zh


@dataclass(frozen=True)
class Presets:
    """``presets.toml`` beside the layer files: the map's one-tap searches, the planner's defaults
    and the region's name and centre (None when the file has no ``[region]``)."""

    map: tuple[MapPreset, ...] = ()
    planner: PlannerDefaults = PlannerDefaults()
    region: Region | None = None


PRESET_OPEN = ("now", "saturday")


class LayerRegistry(dict):
    """Layers by id, in file order; ``require`` for lookups driven by user input; ``presets`` from presets.toml."""

    presets: Presets = Presets()

    def named(self, layer_ids: Iterable[str] | None, field_name: str = "layers") -> list[Layer]:
        """The layers ``layer_ids`` names, each once (an unknown one is a 400 naming ``field_name``),
        or every layer when it names none."""
        if not layer_ids:
            return list(self.values())
        return [self.require(i, field_name) for i in dict.fromkeys(layer_ids)]

    def require(self, layer_id: str, field_name: str = "layer", kind: str | None = None,
                points: bool = False) -> Layer:
        """The layer, or an error: 404 for a layer in the path, 400 for one named in a parameter.

        With ``kind`` (and ``points``) the layer must be of that kind (and hold points); the error
        then lists only the layers that would do.
        """
        def fit(lay: Layer) -> bool:
            return (kind is None or lay.kind == kind) and (not points or lay.is_point)

        layer = self.get(layer_id)
        if layer is not None and fit(layer):
            return layer
        from .errors import BadRequest, NotFound

        fits = [lay.id for lay in self.values() if fit(lay)]
        error = NotFound if field_name == "layer" else BadRequest
        problem = f"unknown layer {layer_id!r}" if layer is None else f"{layer_id} is not a {kind} layer"
        raise error(f"{problem}; choose one of {', '.join(fits)}", field=field_name, code="unknown_layer",
                    params={"layer": layer_id})

    def of_kind(self, kind: str) -> list[Layer]:
        return [layer for layer in self.values() if layer.kind == kind]


def _need(data: dict, key: str, where: str, types: type | tuple) -> Any:
    if key not in data:
        raise LayerConfigError(f"{where}: missing required field {key!r}", field=key)
    value = data[key]
    if not isinstance(value, types):
        raise LayerConfigError(f"{where}: field {key!r} has the wrong type", field=key)
    return value


def _labels(data: dict, key: str, where: str) -> tuple[str, str]:
    labels = _need(data, key, where, dict)
    for lang in ("zh", "en"):
        if not isinstance(labels.get(lang), str) or not labels[lang].strip():
            raise LayerConfigError(f"{where}: {key}.{lang} must be a non-empty string", field=f"{key}.{lang}")
    return labels["zh"], labels["en"]


def _attribute(data: Any, where: str) -> Attribute:
    if not isinstance(data, dict):
        raise LayerConfigError(f"{where}: must be a table", field="attributes")
    name = _need(data, "name", where, str)
    where = f"{where} ({name})"
    if not _IDENTIFIER.match(name) or name in SYSTEM_COLUMNS:
        raise LayerConfigError(
            f"{where}: name must be lower_snake_case and not one of {SYSTEM_COLUMNS}", field="name"
        )
    kind = _need(data, "type", where, str)
    if kind not in ATTRIBUTE_TYPES:
        raise LayerConfigError(f"{where}: type must be one of {ATTRIBUTE_TYPES}", field="type")
    zh, en = _labels(data, "label", where)
    values = data.get("values", {})
    if kind in ("code", "codes"):
        if not isinstance(values, dict) or not values:
            raise LayerConfigError(f"{where}: a {kind} attribute needs values", field="values")
        for code, labels in values.items():
            if not isinstance(labels, dict) or not labels.get("zh") or not labels.get("en"):
                raise LayerConfigError(f"{where}: values.{code} needs zh and en labels", field=f"values.{code}")
    elif values:
        raise LayerConfigError(f"{where}: only code/codes attributes take values", field="values")
    for key in ("min", "max"):
        if key in data and (kind not in ("integer", "number") or not isinstance(data[key], (int, float))):
            raise LayerConfigError(f"{where}: {key} must be a number on a numeric attribute", field=key)
    aliases = data.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise LayerConfigError(f"{where}: aliases must be a list of strings", field="aliases")
    pattern = data.get("pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except (re.error, TypeError):
            raise LayerConfigError(f"{where}: pattern is not a regular expression", field="pattern") from None
    unknown = set(data) - set(ATTRIBUTE_KEYS)
    if unknown:
        raise LayerConfigError(f"{where}: unknown field(s) {sorted(unknown)}", field=sorted(unknown)[0])
    role = data.get("role")
    if role is not None:
        if role not in set(Role):
            raise LayerConfigError(f"{where}: role must be one of {', '.join(Role)}", field="role")
        role = Role(role)
        if kind not in ROLE_TYPES[role]:
            raise LayerConfigError(f"{where}: role {role} needs type {' or '.join(ROLE_TYPES[role])}", field="role")
    ordered = data.get("ordered", False)
    if not isinstance(ordered, bool) or (ordered and kind != "code"):
        raise LayerConfigError(f"{where}: ordered = true is for code attributes", field="ordered")
    unit = data.get("unit", {})
    if unit:
        if kind not in ("integer", "number"):
            raise LayerConfigError(f"{where}: unit is for numeric attributes", field="unit")
        _labels(data, "unit", where)
    return Attribute(
        name=name, type=kind, label_zh=zh, label_en=en, required=bool(data.get("required", False)),
        aliases=tuple(aliases), values=dict(values), min=data.get("min"), max=data.get("max"), pattern=pattern,
        role=role, ordered=ordered, unit=dict(unit),
    )


def parse_layer(data: dict, source: str) -> Layer:
    """Validate one parsed layer file; ``source`` names it in error messages."""
    layer_id = _need(data, "id", source, str)
    if not _IDENTIFIER.match(layer_id):
        raise LayerConfigError(f"{source}: id must be lower_snake_case", field="id")
    zh, en = _labels(data, "title", source)
    kind = _need(data, "kind", source, str)
    if kind not in KINDS:
        raise LayerConfigError(f"{source}: kind must be one of {KINDS}", field="kind")
    geometry = _need(data, "geometry", source, str)
    if geometry not in GEOMETRY_TYPES:
        raise LayerConfigError(f"{source}: geometry must be one of {GEOMETRY_TYPES}", field="geometry")
    radius = data.get("radius_m")
    if kind == "supply":
        if not isinstance(radius, (int, float)) or isinstance(radius, bool) or radius <= 0:
            raise LayerConfigError(f"{source}: a supply layer needs a positive radius_m", field="radius_m")
    style = _need(data, "style", source, dict)
    color = _need(style, "color", f"{source} style", str)
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", color):
        raise LayerConfigError(f"{source}: style.color must look like #1a2b3c", field="style.color")
    raw_attributes = _need(data, "attributes", source, list)
    attributes = tuple(_attribute(a, f"{source} attributes[{i}]") for i, a in enumerate(raw_attributes))
    names = [a.name for a in attributes]
    if "name" not in names:
        raise LayerConfigError(f"{source}: every layer needs a 'name' attribute", field="attributes")
    if len(set(names)) != len(names):
        raise LayerConfigError(f"{source}: attribute names repeat", field="attributes")
    if ADCODE in names and kind != "boundary":
        raise LayerConfigError(f"{source}: {ADCODE} is kept by the store (the district of each feature); "
                               "only a boundary layer names an attribute so", field=ADCODE)
    roles = [a.role for a in attributes if a.role]
    if len(set(roles)) != len(roles):
        raise LayerConfigError(f"{source}: a role is given to two attributes", field="role")
    unknown = set(data) - set(LAYER_KEYS)
    if unknown:
        raise LayerConfigError(f"{source}: unknown field(s) {sorted(unknown)}", field=sorted(unknown)[0])
    weight = data.get("weight")
    if weight is not None:
        attribute = next((a for a in attributes if a.name == weight), None)
        if kind != "demand" or attribute is None or attribute.type not in ("integer", "number"):
            raise LayerConfigError(f"{source}: weight must name a numeric attribute of a demand layer", field="weight")
    candidate_sites = data.get("candidate_sites", False)
    if not isinstance(candidate_sites, bool):
        raise LayerConfigError(f"{source}: candidate_sites must be true or false", field="candidate_sites")
    books = data.get("books", False)
    if not isinstance(books, bool) or (books and geometry != "Point"):
        raise LayerConfigError(f"{source}: books must be true or false, and only a point layer books", field="books")
    return Layer(
        id=layer_id, title_zh=zh, title_en=en, kind=kind, geometry_type=geometry,
        attributes=attributes, color=color, icon=str(style.get("icon", "circle")),
        radius_m=float(radius) if radius is not None else None,
        radius_basis=data.get("radius_basis"), source=source, weight=weight, candidate_sites=candidate_sites,
        books=books,
    )


def load_layers(folder: Path | str | None = None) -> LayerRegistry:
    """Load every ``*.toml`` in ``folder`` (default: the shipped layers/), in name order, and the
    presets of ``presets.toml`` when there is one."""
    folder = Path(folder) if folder else resource_dir("layers")
    registry = LayerRegistry()
    files = sorted(path for path in folder.glob("*.toml") if path.name != PRESETS_FILE)
    if not files:
        raise LayerConfigError(f"{folder}: no layer files (*.toml) found")
    for path in files:
        layer = parse_layer(_read_toml(path), str(path))
        if layer.id in registry:
            raise LayerConfigError(f"{path}: layer id {layer.id!r} is already used by {registry[layer.id].source}",
                                   field="id")
        registry[layer.id] = layer
    presets = folder / PRESETS_FILE
    registry.presets = parse_presets(_read_toml(presets), registry, str(presets)) if presets.exists() else Presets()
    return registry


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise LayerConfigError(f"{path}: not valid TOML: {exc}") from None


def _supply_ids(registry: LayerRegistry, ids: Any, where: str, key: str) -> tuple[str, ...]:
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise LayerConfigError(f"{where}: {key} must be a list of layer ids", field=key)
    for layer_id in ids:
        layer = registry.get(layer_id)
        if layer is None or layer.kind != "supply":
            raise LayerConfigError(f"{where}: {layer_id!r} is not a supply layer", field=key)
    return tuple(ids)


def parse_presets(data: dict, registry: LayerRegistry, source: str) -> Presets:
    """Validate presets.toml against the layers it names."""
    unknown = set(data) - {"planner", "map", "region"}
    if unknown:
        raise LayerConfigError(f"{source}: unknown field(s) {sorted(unknown)}", field=sorted(unknown)[0])
    planner = data.get("planner", {})
    where = f"{source} [planner]"
    if not isinstance(planner, dict) or set(planner) - {"supply", "demand", "radius_m"}:
        raise LayerConfigError(f"{where}: takes supply, demand and radius_m", field="planner")
    demand = planner.get("demand")
    if demand is not None and (demand not in registry or registry[demand].kind != "demand"):
        raise LayerConfigError(f"{where}: {demand!r} is not a demand layer", field="demand")
    radius = planner.get("radius_m")
    if radius is not None and (not isinstance(radius, (int, float)) or isinstance(radius, bool)
                               or not 0 < radius <= 50_000):
        raise LayerConfigError(f"{where}: radius_m must be a number of metres from 1 to 50000", field="radius_m")
    defaults = PlannerDefaults(
        supply=_supply_ids(registry, planner["supply"], where, "supply") if "supply" in planner else (),
        demand=demand, radius_m=float(radius) if radius is not None else None)
    presets = []
    for i, item in enumerate(data.get("map", [])):
        where = f"{source} [[map]] {i}"
        if not isinstance(item, dict):
            raise LayerConfigError(f"{where}: must be a table", field="map")
        unknown = set(item) - {"id", "label", "layers", "category", "free_only", "open", "radius_m"}
        if unknown:
            raise LayerConfigError(f"{where}: unknown field(s) {sorted(unknown)}", field=sorted(unknown)[0])
        preset_id = _need(item, "id", where, str)
        zh, en = _labels(item, "label", where)
        layer_ids = _supply_ids(registry, item.get("layers"), where, "layers")
        category = item.get("category")
        if category is not None:
            for layer_id in layer_ids:
                attribute = registry[layer_id].role(Role.CATEGORY)
                if attribute is None or category not in attribute.values:
                    raise LayerConfigError(f"{where}: layer {layer_id} has no category {category!r}", field="category")
        free_only = item.get("free_only", False)
        if not isinstance(free_only, bool):
            raise LayerConfigError(f"{where}: free_only must be true or false", field="free_only")
        opens = item.get("open")
        if opens is not None and opens not in PRESET_OPEN:
            raise LayerConfigError(f"{where}: open must be one of {', '.join(PRESET_OPEN)}", field="open")
        radius = item.get("radius_m")
        if radius is not None and (not isinstance(radius, int) or isinstance(radius, bool) or not 0 < radius <= 50_000):
            raise LayerConfigError(f"{where}: radius_m must be whole metres from 1 to 50000", field="radius_m")
        presets.append(MapPreset(preset_id, zh, en, layer_ids, category, free_only, opens, radius))
    return Presets(tuple(presets), defaults, _region(data.get("region"), f"{source} [region]"))


def _region(item, where: str) -> Region | None:
    if item is None:
        return None
    if not isinstance(item, dict) or set(item) - {"name", "centre"}:
        raise LayerConfigError(f"{where}: takes name and centre", field="region")
    zh, en = _labels(item, "name", where)
    centre = item.get("centre")
    if (not isinstance(centre, list) or len(centre) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in centre)
            or not (-180 <= centre[0] <= 180 and -90 <= centre[1] <= 90)):
        raise LayerConfigError(f"{where}: centre must be [longitude, latitude] in degrees (WGS 84)", field="centre")
    return Region(zh, en, (float(centre[0]), float(centre[1])))
