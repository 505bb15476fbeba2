/* The planner's map: gap cells, demand within and out of reach, supply, suggested sites and the
 * district outlines, with a legend whose switches show and hide each layer. */
import { el, color } from "../shared/dom.js";
import { formatter } from "../shared/strings.js";

const PANES = [["pl-districts", 250], ["pl-shares", 300], ["pl-gaps", 350], ["pl-outline", 380], ["pl-supply", 410], ["pl-demand", 420],
  ["pl-labels", 460], ["pl-reach", 470]];
// Gap cells narrower than this on screen give way to the overview's coarser cells.
const MIN_CELL_PX = 8;
// Numbered markers of suggested sites closer than this on screen are spread around their middle.
const PICK_PX = 30;

const popupOptions = () => ({ maxWidth: 280, minWidth: 200, autoPanPaddingTopLeft: [16, 16],
  autoPanPaddingBottomRight: [16, 16] });

function popup(...children) {
  return el("div", { class: "pl-popup" }, ...children);
}

/** Panes, renderers, layer groups and the legend of ``map``; returns the view's state. */
export function createMapView(map, cfg, S, phone) {
  for (const [name, z] of PANES) map.createPane(name).style.zIndex = z;
  map.getPane("pl-labels").style.pointerEvents = "none";
  map.getPane("pl-reach").style.pointerEvents = "none";
  const mv = {
    map, cfg, S, phone, fmt: formatter(S),
    renderers: { gaps: L.svg({ pane: "pl-gaps" }), demand: L.canvas({ pane: "pl-demand", tolerance: 3 }),
      supply: L.canvas({ pane: "pl-supply", tolerance: 3 }) },
    groups: Object.fromEntries(["shares", "gaps", "uncovered", "covered", "supply", "suggestions", "scenario"]
      .map((key) => [key, L.featureGroup().addTo(map)])),
    outlines: L.featureGroup().addTo(map),
    districts: [], bounds: {}, region: null, district: "", selected: "", gapSets: null, picks: [], view: null,
    zooming: false, pendingFit: null,
    onSelect: () => {}, onScenario: { close: () => {}, reopen: () => {}, move: () => {}, remove: () => {} },
  };
  mv.legend = createLegend(mv);
  // Leaflet drops a zoom asked for while another is animating: a fit asked for then waits for its end.
  map.on("zoomanim", () => { mv.zooming = true; });
  map.on("zoomend", () => {
    mv.zooming = false;
    const fit = mv.pendingFit;
    mv.pendingFit = null;
    if (fit) fit();
    showGaps(mv);
    spreadPicks(mv);
  });
  return mv;
}

function createLegend(mv) {
  const { S } = mv;
  const control = L.control({ position: "topright" });
  const counts = {};
  const row = (key, swatch, title) => {
    const input = el("input", { type: "checkbox", "data-layer": key, checked: true });
    input.addEventListener("change", () => (input.checked ? mv.groups[key].addTo(mv.map) : mv.groups[key].remove()));
    counts[key] = el("span", { class: "ym-count", "data-count": key });
    const label = el("span", { class: "pl-toggle-title" }, title);
    return { node: el("label", { class: "pl-toggle" }, input, swatch, label, counts[key]), label };
  };
  const gaps = row("gaps", el("span", { class: "pl-swatch is-cell", "aria-hidden": "true" }), "");
  const ramp = el("div", { class: "pl-ramp" });
  const shares = row("shares", el("span", { class: "pl-swatch is-shares", "aria-hidden": "true" }), "");
  const shareRamp = el("div", { class: "pl-ramp" });
  const supplyDots = el("span", { class: "pl-supply-dots", "aria-hidden": "true" });
  control.onAdd = () => {
    const box = el("details", { class: "ym-legend pl-legend", open: !mv.phone.matches },
      el("summary", {}, S.legend),
      el("div", { class: "ym-legend-rows" }, shares.node, shareRamp, gaps.node, ramp,
        row("uncovered", el("span", { class: "pl-swatch", "--c": mv.cfg.colors.uncovered }), S.planner_legend_uncovered).node,
        row("covered", el("span", { class: "pl-swatch", "--c": mv.cfg.colors.covered }), S.planner_legend_covered).node,
        row("supply", supplyDots, S.planner_legend_supply).node,
        row("suggestions", el("span", { class: "pl-swatch is-pick" }), S.planner_legend_suggestions).node));
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  control.addTo(mv.map);
  return { control, counts, gapTitle: gaps.label, ramp, shareTitle: shares.label, shareRamp, supplyDots };
}

/** The district boundaries loaded by the page: their outlines and bounds, for fitting and choosing. */
export function setDistricts(mv, features) {
  mv.districts = features;
  for (const feature of features) {
    const own = L.geoJSON(feature).getBounds();
    mv.bounds[feature.properties.name] = own;
    // A copy: L.latLngBounds(bounds) returns the same object, which extend() would then grow.
    mv.region = mv.region ? mv.region.extend(own) : L.latLngBounds(own.getSouthWest(), own.getNorthEast());
  }
  drawShares(mv);
  drawOutlines(mv);
}

/** The districts coloured by covered share against the region's; a click selects one. */
function drawShares(mv) {
  const { view } = mv;
  mv.groups.shares.clearLayers();
  if (!view || !mv.districts.length) return;
  const colors = Object.fromEntries(view.choropleth.legend.map(([index, c]) => [index, c]));
  for (const feature of mv.districts) {
    const name = feature.properties.name;
    const index = view.choropleth.classes[name];
    if (index === undefined) continue;
    L.geoJSON(feature, { pane: "pl-shares", renderer: L.svg({ pane: "pl-shares" }),
      style: { className: "pl-share", stroke: false, fillColor: color(colors[index]), fillOpacity: 0.45 } })
      .on("click", () => mv.onSelect(name)).addTo(mv.groups.shares);
  }
  mv.legend.counts.shares.textContent = "";
  mv.legend.shareTitle.textContent = view.choropleth.title;
  mv.legend.shareRamp.replaceChildren(...view.choropleth.legend.map(([, c, label]) =>
    el("span", {}, el("i", { style: `background:${color(c)}` }), label)),
  el("span", { class: "pl-ramp-note" }, view.choropleth.note));
}

/** Outline every district, the chosen scope and the selected one in bold. */
function drawOutlines(mv) {
  const chosen = mv.selected || mv.district;
  mv.outlines.clearLayers();
  for (const feature of mv.districts) {
    const on = chosen && feature.properties.name === chosen;
    L.geoJSON(feature, { pane: "pl-outline", interactive: false, renderer: L.svg({ pane: "pl-outline" }),
      style: { color: on ? "#0f172a" : "#64748b", weight: on ? 2.5 : 1, opacity: on || !chosen ? 0.9 : 0.5,
        fill: false } }).addTo(mv.outlines);
  }
}

/** Fit the region or one district, clear of the legend in the top right corner. */
export function fitDistrict(mv, name) {
  const bounds = name ? mv.bounds[name] : mv.region;
  const box = mv.legend.control.getContainer();
  const side = box && box.open && !mv.phone.matches ? box.offsetWidth + 16 : 16;
  if (!bounds) return;
  const fit = () => mv.map.fitBounds(bounds, { paddingTopLeft: [56, 16], paddingBottomRight: [side, 16] });
  if (mv.zooming) mv.pendingFit = fit;
  else fit();
}

function gapLayer(mv, gaps) {
  const colors = mv.cfg.colors.gaps;
  return L.geoJSON(gaps, {
    pane: "pl-gaps", renderer: mv.renderers.gaps,
    style: (feature) => ({ className: "pl-gap", color: "#ffffff", weight: 0.6, opacity: 0.9, fillOpacity: 0.72,
      fillColor: color(colors[feature.properties.class]) }),
    onEachFeature: (feature, cell) => cell.bindPopup(() => popup(el("p", {}, feature.properties.text)), popupOptions()),
  });
}

/** Width in screen pixels, at the map's zoom, of the first cell of a layer (0 without cells). */
function cellPixels(mv, layer) {
  const first = layer.getLayers()[0];
  if (!first) return 0;
  const bounds = first.getBounds();
  const zoom = mv.map.getZoom();
  return mv.map.project(bounds.getNorthEast(), zoom).x - mv.map.project(bounds.getSouthWest(), zoom).x;
}

/** The analysis' gap cells, or (zoomed out, where they would be a few pixels wide) the overview's. */
function showGaps(mv) {
  const sets = mv.gapSets;
  if (!sets) return;
  const useFine = !sets.fine.getLayers().length || cellPixels(mv, sets.fine) >= MIN_CELL_PX;
  const shown = useFine ? sets.fine : sets.overview;
  if (!mv.groups.gaps.hasLayer(shown)) {
    mv.groups.gaps.clearLayers();
    mv.groups.gaps.addLayer(shown);
  }
  const { legend, view } = { legend: mv.legend, view: mv.view };
  legend.gapTitle.textContent = view.gap_legend.title;
  const classes = useFine ? view.gap_legend.fine : view.gap_legend.overview;
  legend.ramp.replaceChildren(...(shown.getLayers().length
    ? classes.map(([c, label]) => el("span", {}, el("i", { style: `background:${color(c)}` }), label))
    : [el("span", {}, mv.S.planner_no_gaps)]));
  legend.counts.gaps.textContent = useFine ? view.counts.gaps : view.counts.gaps_overview;
}

function drawDemand(mv, demand, title) {
  const { S, groups } = mv;
  groups.uncovered.clearLayers();
  groups.covered.clearLayers();
  for (const feature of demand.features) {
    const [lon, lat] = feature.geometry.coordinates;
    const props = feature.properties;
    const dot = L.circleMarker([lat, lon], {
      renderer: mv.renderers.demand, radius: props.covered ? 2.6 : 3.4, weight: props.covered ? 0.6 : 0.8,
      color: "#ffffff", fillColor: props.covered ? mv.cfg.colors.covered : mv.cfg.colors.uncovered,
      fillOpacity: props.covered ? 0.85 : 0.95,
    });
    dot.bindPopup(() => popup(
      el("div", { class: "pl-popup-kind" }, [title, props.district].filter(Boolean).join(" · ")),
      el("h3", {}, props.name || ""),
      props.weight_text ? el("p", {}, props.weight_text) : null,
      el("p", { class: props.covered ? "is-yes" : "is-no" }, props.covered ? S.planner_covered_yes : S.planner_covered_no),
      el("p", {}, props.nearest_text)), popupOptions());
    dot.addTo(props.covered ? groups.covered : groups.uncovered);
  }
}

function drawSupply(mv, supply) {
  const info = Object.fromEntries(mv.cfg.supply.map((layer) => [layer.id, layer]));
  mv.groups.supply.clearLayers();
  for (const feature of supply.features) {
    const [lon, lat] = feature.geometry.coordinates;
    const props = feature.properties;
    const layer = info[props.layer] || {};
    if (!info[props.layer]) continue; // a what-if's hypothetical site: drawn as the scenario's own marker
    // Supply outside the chosen district still covers demand near its border: drawn, but faint.
    L.circleMarker([lat, lon], { renderer: mv.renderers.supply, radius: props.in_scope ? 2.6 : 2,
      weight: 0, fillColor: color(layer.color), fillOpacity: props.in_scope ? 0.7 : 0.3 })
      .bindPopup(() => {
        const button = el("button", { type: "button", class: "ym-btn ym-btn-small pl-take-closed" },
          mv.S.planner_take_closed);
        button.addEventListener("click", () => {
          mv.map.closePopup();
          mv.onScenario.close(`${props.layer}:${props.id}`);
        });
        return popup(el("div", { class: "pl-popup-kind" }, layer.title || ""), el("h3", {}, props.name || ""), button);
      }, popupOptions())
      .addTo(mv.groups.supply);
  }
  mv.legend.supplyDots.replaceChildren(...[...new Set(supply.features.map((f) => f.properties.layer))]
    .map((id) => el("span", { class: "pl-swatch", "--c": color((info[id] || {}).color) })));
}

function drawSuggestions(mv, data) {
  const { groups, view } = { groups: mv.groups, view: mv.view };
  groups.suggestions.clearLayers();
  const colors = mv.cfg.colors;
  mv.picks = data.suggestions.map((pick, index) => {
    const text = view.suggestions[index];
    const latlng = L.latLng(pick.lat, pick.lon);
    L.circle(latlng, { pane: "pl-reach", radius: data.radius_m, color: colors.suggestion, weight: 1.5,
      dashArray: "5 4", fillColor: colors.suggestion, fillOpacity: 0.06, interactive: false }).addTo(groups.suggestions);
    const marker = L.marker(latlng, { title: pick.name, zIndexOffset: 1000, keyboard: false,
      icon: L.divIcon({ className: "ym-rpin pl-pick", iconSize: [28, 28],
        html: `<span style="--c:${color(colors.suggestion)}">${Number(pick.rank)}</span>` }) });
    marker.bindPopup(popup(
      el("div", { class: "pl-popup-kind" }, `${mv.S.planner_legend_suggestions} ${pick.rank} · ${text.layer}`),
      el("h3", {}, pick.name || ""), el("p", { class: "pl-added" }, text.added), el("p", {}, text.after)),
    popupOptions());
    marker.addTo(groups.suggestions);
    marker.site = latlng;
    return marker;
  });
  mv.leaders = L.layerGroup().addTo(groups.suggestions);
  spreadPicks(mv);
}

/** Keep every numbered marker readable at any zoom: markers that would overlap are set on a small
 * circle around their middle, each with a line to its site. */
function spreadPicks(mv) {
  if (!mv.leaders) return;
  mv.leaders.clearLayers();
  const points = mv.picks.map((marker) => mv.map.latLngToLayerPoint(marker.site));
  const groups = [];
  points.forEach((point, index) => {
    const near = groups.find((group) => group.some((i) => points[i].distanceTo(point) < PICK_PX));
    if (near) near.push(index);
    else groups.push([index]);
  });
  for (const group of groups) {
    if (group.length === 1) {
      mv.picks[group[0]].setLatLng(mv.picks[group[0]].site);
      continue;
    }
    const middle = group.reduce((sum, i) => sum.add(points[i]), L.point(0, 0)).divideBy(group.length);
    const radius = PICK_PX * 0.5 / Math.sin(Math.PI / group.length);
    group.forEach((index, k) => {
      const angle = (2 * Math.PI * k) / group.length - Math.PI / 2;
      const at = mv.map.layerPointToLatLng(middle.add(L.point(Math.cos(angle), Math.sin(angle)).multiplyBy(radius)));
      mv.picks[index].setLatLng(at);
      L.polyline([mv.picks[index].site, at], { pane: "pl-reach", color: mv.cfg.colors.suggestion, weight: 1.2,
        interactive: false, className: "pl-leader" }).addTo(mv.leaders);
    });
  }
}

/** Select a district (or none, ""): its outline in bold, the map on it. */
export function selectDistrict(mv, name) {
  mv.selected = name;
  drawOutlines(mv);
  fitDistrict(mv, name || mv.district);
}

/** Highlight a suggested site's marker (``on``), or show it with its popup (``"open"``). */
export function pickMarker(mv, index, on, button) {
  const marker = mv.picks[index];
  if (!marker) return;
  if (on === "open") {
    if (mv.phone.matches) mv.map.getContainer().scrollIntoView({ block: "center" });
    mv.map.setView(marker.site, Math.max(mv.map.getZoom(), 14));
    marker.openPopup();
    return;
  }
  button.classList.toggle("is-active", on);
  const icon = marker.getElement();
  if (icon) icon.classList.toggle("is-active", on);
  marker.setZIndexOffset(on ? 2000 : 1000);
}

const NEW_SITE_ICON = (n) => L.divIcon({ className: "pl-new-site", iconSize: [26, 26], html: `<span>+${Number(n)}</span>` });

/** The what-if on the map: its hypothetical sites (drag to move, popup to remove), with their reach,
 * and the supply it takes as closed (crossed out; popup to reopen). */
function drawScenario(mv, data) {
  const group = mv.groups.scenario;
  group.clearLayers();
  const { sites, closed } = data.view.scenario;
  sites.forEach((site, index) => {
    const latlng = L.latLng(site.lat, site.lon);
    const reach = L.circle(latlng, { pane: "pl-reach", radius: data.radius_m, color: "#047857", weight: 1.5,
      dashArray: "3 4", fill: false, interactive: false }).addTo(group);
    const marker = L.marker(latlng, { draggable: true, title: site.label, zIndexOffset: 1500, icon: NEW_SITE_ICON(site.n),
      keyboard: false });
    marker.on("drag", () => reach.setLatLng(marker.getLatLng()));
    marker.on("dragend", () => mv.onScenario.move(index, marker.getLatLng()));
    marker.bindPopup(() => {
      const button = el("button", { type: "button", class: "ym-btn ym-btn-small" }, mv.S.planner_remove);
      button.addEventListener("click", () => {
        mv.map.closePopup();
        mv.onScenario.remove(index);
      });
      return popup(el("h3", {}, site.label), button);
    }, popupOptions());
    marker.addTo(group);
  });
  const shut = Object.fromEntries(closed.map((item) => [`${item.layer}:${item.id}`, item]));
  for (const feature of data.closed_supply.features) {
    const props = feature.properties;
    const item = shut[`${props.layer}:${props.id}`];
    if (!item) continue;
    const [lon, lat] = feature.geometry.coordinates;
    L.marker([lat, lon], { icon: L.divIcon({ className: "pl-closed-site", iconSize: [18, 18], html: "<span>×</span>" }),
      title: item.label, keyboard: false })
      .bindPopup(() => {
        const button = el("button", { type: "button", class: "ym-btn ym-btn-small" }, mv.S.planner_reopen);
        button.addEventListener("click", () => {
          mv.map.closePopup();
          mv.onScenario.reopen(`${item.layer}:${item.id}`);
        });
        return popup(el("p", {}, mv.fmt("planner_closed", { name: item.label })), button);
      }, popupOptions())
      .addTo(group);
  }
}

/** Draw one /api/plan answer; ``districtChanged`` refits the map to the chosen area. */
export function drawPlan(mv, data, demandTitle, districtChanged) {
  mv.view = data.view;
  mv.groups.gaps.clearLayers();
  mv.gapSets = { fine: gapLayer(mv, data.gaps), overview: gapLayer(mv, data.gaps_overview) };
  drawDemand(mv, data.demand, demandTitle);
  drawSupply(mv, data.supply_used);
  drawSuggestions(mv, data);
  drawScenario(mv, data);
  for (const key of ["uncovered", "covered", "supply", "suggestions"]) mv.legend.counts[key].textContent = data.view.counts[key];
  showGaps(mv);
  mv.district = data.district || "";
  drawShares(mv);
  drawOutlines(mv);
  if (districtChanged) fitDistrict(mv, data.district || "");
}
