/* Yuren Map (育人地图): the nearby search: from a point (a map click, a place, the phone's
 * location) within the filters, the results listed by distance and numbered on the map.
 *
 * The server writes every text of a result (distance, walk, kind) and of the answer (radius);
 * the page lays them out.
 */
import { errorText } from "../shared/api.js";
import { color, el } from "../shared/dom.js";
import { latLngOf } from "../shared/features.js";
import { featurePopup } from "../shared/popup.js";
import { filterParams } from "./filters.js";
import { fitToSearch, revealRow, scrollToResults, setPanel } from "./panel.js";

/** Search again from the centre chosen, with the filters as they are now. ``fit``: bring the circle
 * into view; ``reveal``: scroll the panel to the results once they are in. */
export async function runSearch(page, { fit = false, reveal = false } = {}) {
  const { state } = page;
  const search = state.search;
  if (!search.center) return;
  const seq = ++search.seq;
  page.saveAddress();
  const params = filterParams(page.dom.filters, search.limit || page.cfg.limit);
  search.radius = Number(params.radius);
  search.failure = null;
  search.busy = Boolean(params.layers);
  if (!params.layers) search.answer = null;
  state.notice = null;
  page.render();
  if (fit) fitToSearch(page);
  if (!params.layers) return;
  const point = { lat: search.center.lat.toFixed(6), lon: search.center.lng.toFixed(6), point_crs: search.pointCrs };
  try {
    const answer = await page.api("/nearby", { ...point, ...params });
    if (seq !== search.seq) return;
    if (search.pointCrs) {
      // A phone's location is WGS 84; over GCJ-02 tiles the answer's centre is the map's.
      search.center = L.latLng(answer.center.lat, answer.center.lon);
      search.pointCrs = null;
    }
    search.answer = answer;
    page.saveAddress();
  } catch (err) {
    if (seq !== search.seq) return;
    search.answer = null;
    search.failure = errorText(err, page.fmt);
  }
  search.busy = false;
  page.render();
  // The answer in view: on a phone the sheet scrolls to the status line and the first results.
  if (reveal && search.answer && state.panelOpen) scrollToResults(page);
}

/** Search from ``latlng`` (the map's CRS), said in the status as ``label``, without a new history
 * entry (the page's address already says so: address.js). */
export function searchFrom(page, latlng, label) {
  Object.assign(page.state.search, { center: L.latLng(latlng), label: label || "", pointCrs: null, limit: null });
  runSearch(page, { fit: true, reveal: true });
}

/** Search from ``latlng``, said in the status as ``label``; ``pointCrs`` when it is not the map's CRS.
 * A new search point is a new entry in the history (back returns to the one before). */
export function setCentre(page, latlng, label, pointCrs) {
  Object.assign(page.state.search, { center: L.latLng(latlng), label: label || "", pointCrs: pointCrs || null,
    limit: null });
  page.state.openPlace = null;
  page.saveAddress({ push: true });
  runSearch(page, { fit: true, reveal: true });
}

function clearSearch(page) {
  const search = page.state.search;
  search.seq += 1; // an answer still on its way is no longer wanted
  Object.assign(search, { center: null, busy: false, answer: null, failure: null });
  page.state.notice = null;
  page.state.openPlace = null;
  page.saveAddress({ push: true });
  page.render();
}

/** Map clicks search from where they land, except a click that only closes an open popup; the
 * clear button ends the search. */
export function wireSearch(page) {
  const { map, state } = page;
  let closingPopup = false;
  map.on("popupopen", () => {
    state.openPopups += 1;
    page.render();
  });
  map.on("popupclose", () => {
    state.openPopups = Math.max(0, state.openPopups - 1);
    page.render();
  });
  map.on("preclick", () => { closingPopup = state.openPopups > 0; });
  map.on("zoomend", () => spreadPins(page));
  // Keyboard: with the map focused, the arrows move it and Enter searches from its centre.
  map.getContainer().addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target === map.getContainer()) {
      event.preventDefault();
      setCentre(page, map.getCenter(), page.strings.search_from_click);
    }
  });
  map.on("click", (event) => {
    if (closingPopup) {
      closingPopup = false;
      return;
    }
    setCentre(page, event.latlng, page.strings.search_from_click);
  });
  page.dom.clear.addEventListener("click", () => clearSearch(page));
  // Beyond the first page of results: the next ones, nearest first, up to the API's most.
  page.dom.more.addEventListener("click", () => {
    state.search.limit = Math.min((state.search.limit || page.cfg.limit) + page.cfg.limit, page.cfg.max_limit);
    runSearch(page);
  });
  // "Search from the city centre" when the point was outside the region.
  page.dom.noticeAction.addEventListener("click", () => {
    const said = state.search.answer && state.search.answer.notice;
    if (said && said.centre) setCentre(page, [said.centre.lat, said.centre.lon], said.centre_label);
  });
}

/* ---------- drawing ---------- */

function statusOf(page) {
  const { notice, search } = page.state;
  const S = page.strings;
  if (notice) return notice;
  if (search.failure) return { text: search.failure, error: true };
  if (search.busy) return { text: S.searching };
  if (search.answer) {
    const count = search.answer.features.length;
    const limit = search.limit || page.cfg.limit;
    // The server says what else the answer means (outside the region, nothing open then) in words.
    const said = search.answer.notice;
    let text = count ? page.fmt("results_count", { radius: search.answer.radius_text, count })
      : (said ? said.text : S.results_none);
    if (count && said) text += ` · ${said.text}`;
    if (count >= limit) text += ` · ${page.fmt("results_limited", { limit })}`;
    return { text: search.label ? `${search.label} · ${text}` : text };
  }
  // A centre but no answer: no layer is ticked to search.
  return { text: search.center ? S.results_none : S.results_prompt };
}

function highlight(item, on) {
  item.row.classList.toggle("is-active", on);
  const icon = item.marker.getElement();
  if (icon) icon.classList.toggle("is-active", on);
  item.marker.setZIndexOffset(on ? 1000 : 0);
}

/** Open a result's popup: its content first, then the view, then the popup, so that it pans once
 * with its full size and the map standing still (a popup panned while the map zooms, or while it
 * is the short "loading" box, ends up under the bar). */
async function openItem(page, item) {
  const { map } = page;
  if (page.phone.matches) setPanel(page, false);
  await item.marker.ymLoadPopup();
  const at = item.marker.getLatLng();
  const zoom = Math.max(map.getZoom(), 15);
  const open = () => item.marker.openPopup();
  if (zoom === map.getZoom() && map.getBounds().pad(-0.2).contains(at)) {
    open();
  } else {
    map.once("moveend", open);
    map.setView(at, zoom);
  }
}

function resultRow(page, feature, index) {
  const props = feature.properties;
  const layer = page.layerInfo[props.layer] || {};
  const button = el("button", { type: "button", class: "ym-result", "--c": color(layer.color) },
    el("span", { class: "ym-rank", "aria-hidden": "true" }, index + 1),
    el("span", { class: "ym-result-main" },
      el("span", { class: "ym-result-name" }, props.name),
      el("span", { class: "ym-result-meta" },
        el("span", {}, props.layer_title || layer.title),
        props.kind_text ? el("span", { class: "ym-kind" }, props.kind_text) : null,
        props.admission_free === true ? el("span", { class: "ym-free" }, page.strings.admission_free) : null)),
    el("span", { class: "ym-result-distance" },
      el("strong", { class: "ym-distance" }, props.distance_text),
      el("span", { class: "ym-walk" }, props.walk_text)));
  // The place's own page, with the search point for walking directions from it (WGS 84 only).
  const centre = page.state.search.center;
  const joiner = props.page.includes("?") ? "&" : "?";
  const from = centre && !page.cfg.crs ? `${joiner}from=${centre.lat.toFixed(6)},${centre.lng.toFixed(6)}` : "";
  return el("li", { "data-distance": props.distance_m }, button,
    el("a", { class: "ym-result-page", href: `${props.page}${from}` }, page.strings.place_details));
}

/** A numbered marker and a row for each result, each highlighting the other. */
function drawResults(page, answer) {
  const { views } = page;
  views.results.clearLayers();
  const items = [];
  const rows = (answer ? answer.features : []).map((feature, index) => {
    const layer = page.layerInfo[feature.properties.layer] || { id: feature.properties.layer };
    const marker = L.marker(latLngOf(feature), { pane: "ym-results", title: feature.properties.name,
      icon: L.divIcon({ className: "ym-rpin", iconSize: [28, 28],
        html: `<span style="--c:${color(layer.color)}">${index + 1}</span>` }) });
    featurePopup(marker, page.api, layer, feature.id, page.popupTexts, page.strings, page.popupExtend,
      page.popupOptions);
    const li = resultRow(page, feature, index);
    const item = { marker, row: li.firstChild };
    marker.on("mouseover", () => { highlight(item, true); revealRow(page, item.row); });
    marker.on("mouseout", () => highlight(item, false));
    item.row.addEventListener("mouseenter", () => highlight(item, true));
    item.row.addEventListener("mouseleave", () => highlight(item, false));
    item.row.addEventListener("focus", () => highlight(item, true));
    item.row.addEventListener("blur", () => highlight(item, false));
    item.row.addEventListener("touchstart", () => highlight(item, true), { passive: true });
    item.row.addEventListener("click", () => openItem(page, item));
    const key = `${feature.properties.layer}:${feature.id}`;
    marker.on("popupopen", () => { page.state.openPlace = key; page.saveAddress(); });
    marker.on("popupclose", () => {
      if (page.state.openPlace === key) page.state.openPlace = null;
      page.saveAddress();
    });
    marker.addTo(views.results);
    items.push({ key, item });
    return li;
  });
  page.dom.results.replaceChildren(...rows);
  views.resultMarkers = items.map(({ item }) => item.marker);
  spreadPins(page);
  // The place the address names (a shared link) opens once its result is drawn.
  const wanted = items.find(({ key }) => key === page.state.openPlace);
  if (wanted) openItem(page, wanted.item);
}

// Result pins closer than this on screen are spread around their common point, so each number shows.
const PIN_CLEARANCE_PX = 26;
const SPREAD_RADIUS_PX = 18;

/** Spread the numbered pins that would cover each other at this zoom in a ring around where they
 * are (the pin's inner disc moves; the marker stays at the place), nearest first at the top. */
export function spreadPins(page) {
  const markers = page.views.resultMarkers || [];
  const groups = [];
  for (const marker of markers) {
    const at = page.map.latLngToLayerPoint(marker.getLatLng());
    const group = groups.find((g) => g.at.distanceTo(at) < PIN_CLEARANCE_PX);
    if (group) group.markers.push(marker);
    else groups.push({ at, markers: [marker] });
  }
  for (const { markers: members } of groups) {
    members.forEach((marker, i) => {
      const disc = marker.getElement() && marker.getElement().firstElementChild;
      if (!disc) return;
      if (members.length === 1) {
        disc.style.translate = "";
        return;
      }
      const angle = -Math.PI / 2 + (2 * Math.PI * i) / members.length;
      // Neighbours on the ring stay a pin's clearance apart.
      const radius = Math.max(SPREAD_RADIUS_PX, PIN_CLEARANCE_PX / (2 * Math.sin(Math.PI / members.length)));
      disc.style.translate = `${(radius * Math.cos(angle)).toFixed(1)}px ${(radius * Math.sin(angle)).toFixed(1)}px`;
    });
  }
}

/** The draggable centre marker and the circle of the radius, while there is a centre. */
function drawCentre(page) {
  const { views } = page;
  const { center, radius } = page.state.search;
  if (!center) {
    if (views.here) views.here.remove();
    if (views.circle) views.circle.remove();
    views.here = views.circle = null;
    return;
  }
  if (!views.here) {
    views.here = L.marker(center, { pane: "ym-here", draggable: true, keyboard: false, title: page.strings.here,
      icon: L.divIcon({ className: "ym-here", html: "<span></span>", iconSize: [24, 24] }) }).addTo(page.map);
    views.here.on("dragend", () => setCentre(page, views.here.getLatLng(), page.strings.search_from_click));
  }
  views.here.setLatLng(center);
  if (!views.circle) {
    views.circle = L.circle(center, { radius, color: "#2563eb", weight: 2, dashArray: "6 5", fillColor: "#2563eb",
      fillOpacity: 0.06, interactive: false }).addTo(page.map);
  }
  views.circle.setLatLng(center).setRadius(radius);
}

export function renderSearch(page) {
  const { dom, state, views } = page;
  const { search } = state;
  const status = statusOf(page);
  dom.status.textContent = status.text;
  dom.status.classList.toggle("is-error", Boolean(status.error));
  dom.clear.hidden = !search.center;
  const shown = search.answer ? search.answer.features.length : 0;
  const limit = search.limit || page.cfg.limit;
  dom.more.hidden = !(shown >= limit && limit < page.cfg.max_limit);
  dom.more.textContent = page.fmt("results_more", { count: Math.min(page.cfg.limit, page.cfg.max_limit - limit) });
  const said = search.answer && search.answer.notice;
  dom.noticeAction.hidden = !(said && said.centre);
  if (said && said.centre) dom.noticeAction.textContent = said.action;
  if (search.busy) dom.results.setAttribute("aria-busy", "true");
  else dom.results.removeAttribute("aria-busy");
  // While a search runs the last answer stays listed; it is redrawn only when it is replaced.
  if (views.drawnAnswer !== search.answer) {
    views.drawnAnswer = search.answer;
    drawResults(page, search.answer);
  }
  const count = search.answer ? search.answer.features.length : null;
  dom.badge.textContent = count === null ? "" : String(count);
  dom.badge.hidden = count === null;
  page.mapBox.classList.toggle("ym-has-results", Boolean(count));
  page.mapBox.classList.toggle("ym-popup-open", state.openPopups > 0);
  drawCentre(page);
}
