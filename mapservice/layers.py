"""Layer definitions: load and validate ``layers/*.toml`` into :class:`Layer` objects.

A layer file is data, not code (see layers/10-venues.toml). Files are read in name order, which
is the order the API lists layers in. Anything malformed raises :class:`LayerConfigError`
naming the file and the field.
"""
from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import hours
from .errors import LayerConfigError
from .resources import resource_dir

KINDS = ("supply", "demand", "boundary")
GEOMETRY_TYPES = ("Point", "MultiPolygon")
ATTRIBUTE_TYPES = ("text", "integer", "number", "boolean", "code", "codes", "opening_hours")
# Columns every layer table has besides its attributes; attribute names may not take them.
SYSTEM_COLUMNS = ("fid", "source_id", "generated", "geom")
LIST_SEPARATOR = ";"
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
        if isinstance(raw, bool):
            raise ValueError(f"{raw!r} is not a number")
        try:
            number = float(str(raw).strip().replace(",", "")) if isinstance(raw, str) else float(raw)
        except (TypeError, ValueError):
            raise ValueError(f"{raw!r} is not a number") from None
        if not math.isfinite(number):
            raise ValueError(f"{raw!r} is not a finite number")
        if self.type == "integer":
            if number != int(number):
                raise ValueError(f"{raw!r} is not a whole number")
            number = int(number)
        if self.min is not None and number < self.min:
            raise ValueError(f"{number} is below the minimum {self.min:g}")
        if self.max is not None and number > self.max:
            raise ValueError(f"{number} is above the maximum {self.max:g}")
        return number

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

    def title(self, lang: str = "zh") -> str:
        return self.title_en if lang == "en" else self.title_zh

    def attribute(self, name: str) -> Attribute | None:
        return next((a for a in self.attributes if a.name == name), None)

    @property
    def attribute_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.attributes)

    @property
    def is_point(self) -> bool:
        return self.geometry_type == "Point"


class LayerRegistry(dict):
    """Layers by id, in file order; ``require`` for lookups driven by user input."""

    def require(self, layer_id: str, field_name: str = "layer") -> Layer:
        """The layer, or an error: 404 for a layer in the path, 400 for one named in a parameter."""
        from .errors import BadRequest, NotFound

        layer = self.get(layer_id)
        if layer is None:
            error = NotFound if field_name == "layer" else BadRequest
            raise error(f"unknown layer {layer_id!r}; known layers: {', '.join(self)}", field=field_name)
        return layer

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
    unknown = set(data) - {"name", "type", "label", "required", "aliases", "values", "min", "max", "pattern"}
    if unknown:
        raise LayerConfigError(f"{where}: unknown field(s) {sorted(unknown)}", field=sorted(unknown)[0])
    return Attribute(
        name=name, type=kind, label_zh=zh, label_en=en, required=bool(data.get("required", False)),
        aliases=tuple(aliases), values=dict(values), min=data.get("min"), max=data.get("max"), pattern=pattern,
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
    return Layer(
        id=layer_id, title_zh=zh, title_en=en, kind=kind, geometry_type=geometry,
        attributes=attributes, color=color, icon=str(style.get("icon", "circle")),
        radius_m=float(radius) if radius is not None else None,
        radius_basis=data.get("radius_basis"), source=source,
    )


def load_layers(folder: Path | str | None = None) -> LayerRegistry:
    """Load every ``*.toml`` in ``folder`` (default: the shipped layers/), in name order."""
    folder = Path(folder) if folder else resource_dir("layers")
    registry = LayerRegistry()
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise LayerConfigError(f"{folder}: no layer files (*.toml) found")
    for path in files:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise LayerConfigError(f"{path}: not valid TOML: {exc}") from None
        layer = parse_layer(data, str(path))
        if layer.id in registry:
            raise LayerConfigError(f"{path}: layer id {layer.id!r} is already used by {registry[layer.id].source}", field="id")
        registry[layer.id] = layer
    return registry
