"""The main map page (/): a folium (Leaflet) map whose every script and stylesheet is ours.

folium links Leaflet, jQuery, Bootstrap, awesome-markers and Font Awesome from CDNs by default
(``default_js``/``default_css`` on its elements). The page needs only Leaflet and
leaflet.markercluster (markers are coloured DivIcons, controls are plain HTML), so
:class:`LocalMap` and :class:`AppAssets` replace those lists with files under ``static/``.
Features, nearby search and place search are loaded from the JSON API by the page's ES modules,
``static/js/map/`` (entry ``main.js``, linked by templates/map.html), which run after folium's script.
"""
from __future__ import annotations

import re
from typing import Callable, Iterable

import folium
from folium.elements import JSCSSMixin

from .. import basemap, nearby
from ..i18n import templates
from ..layers import Layer, MapPreset, Role
from ..settings import Settings

#: ``static_url("vendor/leaflet/leaflet.js")`` -> the URL the browser fetches it from.
StaticUrl = Callable[[str], str]

RADII_M = (500, 1000, 3000, 5000)
DEFAULT_RADIUS_M = 1000
GRADES = range(1, 13)
RESULT_LIMIT = 50
MAX_ZOOM = 18
#: Catalogue keys of the failures the API cannot word (shared/api.js errorText), which every page's script needs.
ERROR_KEYS = ("error_network", "error_bad_answer")
#: Catalogue keys static/js/map needs at run time (everything else is rendered into the page; distances
#: and walking times come written in the API's answers).
SCRIPT_KEYS = (
    "admission_free", "generated_marker", "navigate", "navigate_amap", "navigate_baidu", "here", "locating",
    "locate_unsupported", "place_none", "searching", "results_count", "results_limited",
    "results_none", "results_prompt", "load_failed", "loading", "boundaries_attribution", "legend", "panel_open",
    "panel_close", "panel_open_short", "panel_close_short", "search_from_place", "search_from_click",
    "search_from_location", "locate_denied", "locate_unavailable", "locate_timeout", "cluster_near",
    "cluster_count", "share_copied", "share_manual", "basemap_offline", "results_more", "place_details",
    *ERROR_KEYS,
    # The popup's error-report form (static/js/map/report.js).
    "report_link", "report_kind_label", "report_kind_closed_permanently", "report_kind_wrong_place",
    "report_kind_wrong_hours", "report_kind_wrong_phone", "report_kind_other", "report_text_label",
    "report_contact_label", "report_send", "report_sent", "report_failed",
    # An editor's buttons and form (static/js/map/edit.js).
    "yes", "no", "edit_unset", "edit_button", "edit_save", "edit_saved", "edit_failed", "edit_move", "edit_move_hint",
    "edit_moved", "edit_undo", "edit_undone", "edit_delete", "edit_delete_confirm", "edit_deleted", "edit_history",
    "edit_history_none", "edit_add", "edit_add_layer", "edit_add_hint", "edit_added",
)


class LocalMap(folium.Map):
    """A folium Map that links Leaflet from ``static/vendor`` and nothing else.

    folium.Map's class-level ``default_js``/``default_css`` point at CDNs (Leaflet 1.9.3, jQuery,
    Bootstrap, awesome-markers, glyphicons, Font Awesome); the instance lists below shadow them.
    """

    default_js: list[tuple[str, str]] = []
    default_css: list[tuple[str, str]] = []

    def __init__(self, static_url: StaticUrl, **kwargs):
        super().__init__(**kwargs)
        self.default_js = [("leaflet", static_url("vendor/leaflet/leaflet.js"))]
        self.default_css = [("leaflet_css", static_url("vendor/leaflet/leaflet.css"))]


class AppAssets(JSCSSMixin):
    """leaflet.markercluster and the app's stylesheet, linked after Leaflet.

    The page's own script is an ES module the template links after folium's script; markercluster
    is no ES module (it adds to the global ``L``), so it is a classic script here, after Leaflet.
    """

    def __init__(self, static_url: StaticUrl):
        super().__init__()
        self._name = "AppAssets"
        self.default_js = [
            ("markercluster", static_url("vendor/leaflet.markercluster/leaflet.markercluster.js")),
        ]
        self.default_css = [
            ("markercluster_css", static_url("vendor/leaflet.markercluster/MarkerCluster.css")),
            ("app_css", static_url("app.css")),
        ]


def build_map(static_url: StaticUrl, settings: Settings, bounds: tuple[float, ...] | None,
              assets: type[JSCSSMixin] = AppAssets, tiles: bool = True, zoom_control: str = "topright",
              **options) -> LocalMap:
    """The folium map over the base map of ``settings`` (mapservice.basemap) when ``tiles``, else with
    no tiles (the script then draws district boundaries as the base), with ``assets`` (the page's
    script and styles) linked after Leaflet.

    ``bounds`` is (minlon, minlat, maxlon, maxlat) of the region, WGS 84, or None; ``options`` go to
    Leaflet's map options.
    """
    fmap = LocalMap(static_url, location=None if bounds else [35.0, 105.0], zoom_start=4, tiles=None,
                    position="absolute", zoom_control=zoom_control, control_scale=True)
    # folium hands min/max zoom to its tile layer only; without tiles the map itself needs them.
    fmap.options.update(min_zoom=3, max_zoom=MAX_ZOOM, **options)
    base = basemap.resolve(settings) if tiles else None
    for i, url in enumerate(base.urls if base else ()):
        folium.TileLayer(tiles=url, attr=base.attribution if i == 0 else " ", name=f"base{i}", max_zoom=MAX_ZOOM,
                         subdomains=base.subdomains, control=False).add_to(fmap)
    if bounds:
        minlon, minlat, maxlon, maxlat = bounds
        fmap.fit_bounds([[minlat, minlon], [maxlat, maxlon]], padding=(12, 12))
    assets(static_url).add_to(fmap)
    return fmap


#: folium's viewport forbids zooming the page (``maximum-scale=1.0, user-scalable=no``), which WCAG 1.4.4
#: (resize text) rules out; the page's own lets a phone pinch-zoom.
_FOLIUM_VIEWPORT = re.compile(r'<meta name="viewport"[^>]*>')
VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'


def render_parts(fmap: folium.Map) -> dict[str, str]:
    """folium's header (asset links, map styles; its viewport replaced by :data:`VIEWPORT`), map
    ``<div>`` and script, for a template."""
    root = fmap.get_root()
    root.render()
    header = _FOLIUM_VIEWPORT.sub(VIEWPORT, root.header.render())
    return {"header": header, "html": root.html.render(), "script": root.script.render()}


def code_labels(layer: Layer, lang: str) -> dict[str, dict[str, str]]:
    """Labels of every code/codes attribute of ``layer``: {attribute: {code: label}}."""
    return {a.name: {code: labels.get(lang, labels.get("zh", code)) for code, labels in a.values.items()}
            for a in layer.attributes if a.type in ("code", "codes")}


def categories(layers: Iterable[Layer], lang: str) -> dict[str, str]:
    """Codes and labels of the supply layers' category attributes (e.g. venue categories)."""
    found: dict[str, str] = {}
    for layer in layers:
        attribute = layer.role(Role.CATEGORY) if layer.kind == "supply" else None
        if attribute is not None:
            found.update(code_labels(layer, lang)[attribute.name])
    return found


def presets(presets: Iterable[MapPreset], lang: str) -> list[dict]:
    """The one-tap searches of presets.toml as the page's buttons carry them: every filter set, the
    ones a preset leaves out cleared (the radius back to :data:`DEFAULT_RADIUS_M`)."""
    return [{"id": p.id, "label": p.label(lang), "layers": list(p.layers), "category": p.category or "",
             "free_only": p.free_only, "open": p.open or "", "radius": p.radius_m or DEFAULT_RADIUS_M}
            for p in presets]


#: The page's filters that only some layers have: the filter's form field and the role it needs.
LAYER_FILTERS = {"category": Role.CATEGORY, "open": Role.OPENING_HOURS}


def layer_filters(layer: Layer) -> list[str]:
    """The form fields of :data:`LAYER_FILTERS` that apply to ``layer`` (the page disables a filter
    none of the chosen layers has)."""
    return [name for name, role in LAYER_FILTERS.items() if layer.role(role) is not None]


def cluster_mode(layers: Iterable[Layer], counts: dict[str, int], settings: Settings) -> str:
    """``browser`` where the map's point layers hold few enough features to load them all (the page
    clusters them), else ``server`` (the page asks /api/clusters for each view)."""
    total = sum(counts.get(layer.id, 0) for layer in layers if layer.is_point and layer.kind != "boundary")
    return "server" if total > settings.map_browser_limit else "browser"


def script_config(fmap: folium.Map, layers: Iterable[Layer], settings: Settings, lang: str,
                  api_url: str) -> dict:
    """What static/js/map reads from the page (#ym-config): the map's variable name, layers, strings,
    API base.

    ``crs`` is what the page asks the API for coordinates in: ``gcj02`` over GCJ-02 (Amap) tiles.
    """
    base = basemap.resolve(settings)
    return {
        "map": fmap.get_name(),
        "lang": lang,
        "api": api_url.rstrip("/"),
        "crs": "gcj02" if base is not None and base.crs == "gcj02" else "",
        "tiles": base is not None,
        "basemap": base.name if base else "none",
        "limit": RESULT_LIMIT,
        "max_limit": nearby.MAX_LIMIT,
        "layers": [{"id": layer.id, "title": layer.title(lang), "kind": layer.kind, "color": layer.color,
                    "filters": layer_filters(layer)} for layer in layers],
        "strings": templates(SCRIPT_KEYS, lang),
    }
