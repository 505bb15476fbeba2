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
import { errorText, getJSON } from "../shared/api.js";
import { watchTiles } from "../shared/basemap.js";
import { drawBoundaries, drawBoundaryFeatures } from "../shared/boundaries.js";
import { applyAddress, renderAddress, saveAddress, wireAddress } from "./address.js";
import { popupOptions } from "../shared/popup.js";
import { formatter } from "../shared/strings.js";
import { wireFilters } from "./filters.js";
import { createLayerViews, renderLayers, wireLayers } from "./layers.js";
import { renderLocate, wireLocate } from "./locate.js";
import { renderPanel, wirePanel } from "./panel.js";
import { renderPlaces, wirePlaces } from "./places.js";
import { renderPresets, wirePresets } from "./presets.js";
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
  renderPresets(page);
  renderAddress(page);
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
    presets: [...document.querySelectorAll(".ym-preset")],
    noticeAction: byId("ym-notice-action"), more: byId("ym-more"), langLink: byId("ym-lang"), share: byId("ym-share"), shareNote: byId("ym-share-note"),
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
    popupOptions: popupOptions(),
    popupTexts: { loading: cfg.strings.loading, failed: (err) => fmt("load_failed", { message: errorText(err, fmt) }) },
    dom: elements(),
    state: createState(),
    views: { markers: new Map() },
    render: () => render(page),
    saveAddress: (options) => saveAddress(page, options),
  };
  page.popupExtend = (node, layer, feature, marker) => extendPopup(page, node, layer, feature, marker);
  return page;
}

/** Popups pan clear of the controls in the map's top right corner (zoom), whose buttons would
 * otherwise cover the popup's close button. The options object is the one every popup holds, so a
 * change (a phone turned) applies to all. */
function clearOfControls(page) {
  const corner = page.mapBox.querySelector(".leaflet-top.leaflet-right");
  const top = corner ? corner.offsetTop + corner.offsetHeight + 8 : 16;
  page.popupOptions.autoPanPaddingTopLeft = [16, Math.max(16, top)];
}

/** Once the street tiles failed and the districts are in: the districts filled and named as the base. */
function offlineBase(page) {
  if (!page.tilesFailed || !page.views.districts || page.views.offlineBase) return;
  page.views.offlineBase = true;
  drawBoundaryFeatures(page.map, page.views.districts, { pane: "ym-districts", style: PLAIN_DISTRICTS,
    labelPane: "ym-labels" });
}

function start() {
  const cfg = JSON.parse(document.getElementById("ym-config").textContent);
  const page = createPage(cfg);
  const { map } = page;
  page.mapBox.classList.add(cfg.tiles ? "ym-tiles" : "ym-no-tiles");
  map.createPane("ym-districts").style.zIndex = 250;
  map.createPane("ym-labels").style.zIndex = 300;
  // The search point below the numbered results: result 1 may be a few metres from it.
  map.createPane("ym-here").style.zIndex = 640;
  map.createPane("ym-results").style.zIndex = 645;
  clearOfControls(page);
  window.addEventListener("resize", () => clearOfControls(page));
  Object.assign(page.views, createLayerViews(page), { results: L.layerGroup().addTo(map) });

  wirePanel(page);
  wireLayers(page);
  wireSearch(page);
  wireFilters(page.dom.filters, page.dom.customTime, page.layerInfo, (name) => {
    page.state.preset = null; // changed by hand: no longer the preset's question
    page.state.search.limit = null; // another question: its first page of results
    runSearch(page, { fit: name === "radius" });
  });
  wireLocate(page);
  wirePresets(page);
  wirePlaces(page);
  // Esc closes any popup, whether the map has the focus or a result in the panel opened it.
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") map.closePopup();
  });
  wireAddress(page);
  wireEditing(page);
  page.render();
  if (window.location.search) applyAddress(page);

  watchTiles(map, () => {
    page.tilesFailed = true;
    page.mapBox.classList.replace("ym-tiles", "ym-no-tiles");
    map.attributionControl.addAttribution(page.strings.basemap_offline);
    offlineBase(page);
  });
  drawBoundaries(map, cfg.api, cfg.layers.filter((l) => l.kind === "boundary").map((l) => l.id), {
    pane: "ym-districts", attribution: cfg.strings.boundaries_attribution, params: page.apiParams,
    style: cfg.tiles ? OUTLINED_DISTRICTS : PLAIN_DISTRICTS, labelPane: cfg.tiles ? null : "ym-labels",
  }).then((districts) => {
    page.views.districts = districts; // clusters are named after the district they lie in
    page.views.relabel();
    offlineBase(page);
  }).catch((err) => showToast(page, page.fmt("load_failed", { message: errorText(err, page.fmt) })));
}

start();
