/* Yuren Map (育人地图): the map page (/), the entry module.
 *
 * The page (mapservice/web/mappage.py, templates/map.html) renders a folium Leaflet map and embeds
 * #ym-config: the map's variable name, layers, catalogue strings and the API base. A module runs
 * after the document is parsed, so folium's inline script has made the map by now.
 *
 * Everything the modules share is ``page``: the config, the map, the page's elements, one state
 * object (state.js) and the Leaflet layers that render() keeps in step with it. A module changes
 * the state and calls page.render(), which redraws every part of the page that shows state.
 */
import { getJSON } from "../shared/api.js";
import { drawBoundaries } from "../shared/boundaries.js";
import { formatter } from "../shared/strings.js";
import { wireFilters } from "./filters.js";
import { createLayerViews, renderLayers, wireLayers } from "./layers.js";
import { renderLocate, wireLocate } from "./locate.js";
import { renderPanel, wirePanel } from "./panel.js";
import { renderPlaces, wirePlaces } from "./places.js";
import { wirePresets } from "./presets.js";
import { extendPopup, wireEditing } from "./edit.js";
import { renderSearch, runSearch, wireSearch } from "./search.js";
import { createState } from "./state.js";
import { renderToast, showToast } from "./toast.js";

// Without tiles the districts are the base map; over tiles, dashed outlines.
const PLAIN_DISTRICTS = { color: "#94a3b8", weight: 1.2, fillColor: "#fbfaf6", fillOpacity: 1 };
const OUTLINED_DISTRICTS = { color: "#334155", weight: 1.5, dashArray: "5 4", fill: false };

function render(page) {
  renderPanel(page);
  renderLayers(page);
  renderSearch(page);
  renderPlaces(page);
  renderLocate(page);
  renderToast(page);
}

function elements() {
  const byId = (id) => document.getElementById(id);
  return {
    panel: byId("ym-panel"), toggle: byId("ym-panel-toggle"), badge: byId("ym-badge"),
    filters: byId("ym-filters"), customTime: byId("ym-custom-time"),
    status: byId("ym-status"), results: byId("ym-results"), clear: byId("ym-clear"),
    placeForm: byId("ym-place-form"), placeInput: byId("ym-place"), placeList: byId("ym-place-list"),
    locate: byId("ym-locate"), demoNote: byId("ym-demo-note"), toast: byId("ym-toast"),
    layerBoxes: [...document.querySelectorAll("input[data-map-layer]")],
  };
}

function createPage(cfg) {
  const map = window[cfg.map];
  const fmt = formatter(cfg.strings);
  // Every answer in the page's language, and in the map's CRS (GCJ-02 over Amap tiles).
  const apiParams = { lang: cfg.lang, crs: cfg.crs || null };
  const page = {
    cfg, map, fmt, apiParams,
    strings: cfg.strings,
    mapBox: map.getContainer(),
    phone: window.matchMedia("(max-width: 720px)"),
    layerInfo: Object.fromEntries(cfg.layers.map((layer) => [layer.id, layer])),
    api: (path, params) => getJSON(cfg.api, path, { ...apiParams, ...params }),
    popupTexts: { loading: cfg.strings.loading, failed: (message) => fmt("load_failed", { message }) },
    dom: elements(),
    state: createState(),
    views: { markers: new Map() },
    render: () => render(page),
  };
  page.popupExtend = (node, layer, feature, marker) => extendPopup(page, node, layer, feature, marker);
  return page;
}

function start() {
  const cfg = JSON.parse(document.getElementById("ym-config").textContent);
  const page = createPage(cfg);
  const { map } = page;
  page.mapBox.classList.add(cfg.tiles ? "ym-tiles" : "ym-no-tiles");
  map.createPane("ym-districts").style.zIndex = 250;
  map.createPane("ym-labels").style.zIndex = 300;
  map.createPane("ym-results").style.zIndex = 640;
  map.createPane("ym-here").style.zIndex = 645;
  Object.assign(page.views, createLayerViews(page), { results: L.layerGroup().addTo(map) });

  wirePanel(page);
  wireLayers(page);
  wireSearch(page);
  wireFilters(page.dom.filters, page.dom.customTime, (name) => runSearch(page, { fit: name === "radius" }));
  wireLocate(page);
  wirePresets(page);
  wirePlaces(page);
  wireEditing(page);
  page.render();

  drawBoundaries(map, cfg.api, cfg.layers.filter((l) => l.kind === "boundary").map((l) => l.id), {
    pane: "ym-districts", attribution: cfg.strings.boundaries_attribution, params: page.apiParams,
    style: cfg.tiles ? OUTLINED_DISTRICTS : PLAIN_DISTRICTS, labelPane: cfg.tiles ? null : "ym-labels",
  }).catch((err) => showToast(page, page.fmt("load_failed", { message: err.message })));
}

start();
