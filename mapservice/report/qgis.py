"""QGIS styles for the planner's GeoPackage: gap cells and districts open coloured.

QGIS reads a layer's default style from the GeoPackage's ``layer_styles`` table (the table QGIS
itself writes with "Save as default"): one row per layer with the style as QML. The styles here
are categorized renderers on a class column the download carries (``class`` of the gap cells,
``share_class`` of the districts), in the page's colours.
"""
from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from xml.sax.saxutils import quoteattr

_LAYER_STYLES = """CREATE TABLE IF NOT EXISTS layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
  f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT,
  useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), update_time DATETIME)"""


def _rgba(color: str, alpha: int = 255) -> str:
    return ",".join(str(int(color[i:i + 2], 16)) for i in (1, 3, 5)) + f",{alpha}"


def categorized_qml(field: str, classes: list[tuple[int, str, str]], outline: str = "#ffffff",
                    opacity: float = 0.85) -> str:
    """QML of a fill renderer with one category per ``(value, colour, label)`` of ``field``."""
    categories = "".join(f'<category value="{value}" symbol="{i}" label={quoteattr(label)} render="true"/>'
                         for i, (value, _, label) in enumerate(classes))
    symbols = "".join(
        f'<symbol type="fill" name="{i}" alpha="{opacity}" clip_to_extent="1" force_rhr="0">'
        '<layer class="SimpleFill" enabled="1" pass="0" locked="0"><Option type="Map">'
        f'<Option name="color" value="{_rgba(color)}" type="QString"/>'
        f'<Option name="outline_color" value="{_rgba(outline)}" type="QString"/>'
        '<Option name="outline_width" value="0.26" type="QString"/>'
        '<Option name="style" value="solid" type="QString"/></Option></layer></symbol>'
        for i, (_, color, _) in enumerate(classes))
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
            '<qgis version="3.28" styleCategories="Symbology">'
            f'<renderer-v2 type="categorizedSymbol" attr="{field}" symbollevels="0" enableorderby="0" '
            f'forceraster="0"><categories>{categories}</categories><symbols>{symbols}</symbols>'
            '</renderer-v2></qgis>')


def write_styles(path, styles: dict[str, tuple[str, str]]) -> None:
    """Store ``{table: (style name, QML)}`` as each table's default style in the GeoPackage at ``path``."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with sqlite3.connect(path) as conn:
        conn.execute(_LAYER_STYLES)
        conn.execute("INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier) "
                     "VALUES ('layer_styles', 'attributes', 'layer_styles')")
        for table, (name, qml) in styles.items():
            conn.execute("DELETE FROM layer_styles WHERE f_table_name = ?", (table,))
            conn.execute("INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                         "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, update_time) "
                         "VALUES ('', '', ?, 'geom', ?, ?, '', 1, ?, '', '', ?)", (table, name, qml, name, now))
