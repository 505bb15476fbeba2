/* Yuren Map (育人地图): the coverage planner (/planner).
 *
 * The page (mapservice/web/plannerpage.py) renders the form, a folium Leaflet map and #pl-config:
 * the map's variable name, supply and demand layers, table headers, colours and interface
 * strings. On every change of the form this script asks /api/coverage and
 * /api/coverage/suggestions and draws the headline figures, the district table (sortable), the
 * bar chart (inline SVG), the map layers (gap cells, demand, supply, suggested sites) and the
 * list of suggestions. Data goes into the DOM as text, never as HTML.
 */
document.addEventListener("DOMContentLoaded", () => {
  "use strict";

  const cfg = JSON.parse(document.getElementById("pl-config").textContent);
  const S = cfg.strings;
  const locale = cfg.lang === "en" ? "en" : "zh-CN";
  const intFormat = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const supplyInfo = Object.fromEntries(cfg.supply.map((layer) => [layer.id, layer]));
  const phone = window.matchMedia("(max-width: 720px)");
  const SVG_NS = "http://www.w3.org/2000/svg";
  const COLUMNS = ["district", "demand_count", "covered_count", "demand_weight", "covered_weight", "covered_share",
    "supply_count", "supply_per_10k"];

  /* ---------- small helpers (common.js) ---------- */

  const { el, color, ApiError, queryString } = YM;
  const fmt = YM.formatter(S);
  const distanceText = (metres) => (metres < 1000 ? fmt("metres", { value: Math.round(metres) })
    : fmt("kilometres", { value: String(Number((metres / 1000).toFixed(metres < 10000 ? 1 : 0))) }));
  const api = (path, params) => YM.getJSON(cfg.api, path, params);

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG_NS, tag);
    YM.setAttrs(node, attrs);
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  function isNum(value) {
    return value !== null && value !== undefined && !Number.isNaN(Number(value));
  }

  const int = (value) => (isNum(value) ? intFormat.format(Math.round(Number(value))) : "—");
  const pct = (value) => (isNum(value) ? `${(100 * Number(value)).toFixed(1)}%` : "—");
  const rate = (value) => (isNum(value) ? Number(value).toFixed(2) : "—");

  /* ---------- gap classes (the same as plannerpage.gap_breaks / gap_class) ---------- */

  function gapBreaks(values) {
    const sorted = values.filter((v) => v > 0).sort((a, b) => a - b);
    const breaks = [];
    if (!sorted.length) return breaks;
    for (const q of [0.2, 0.4, 0.6, 0.8]) {
      let v = sorted[Math.floor(q * (sorted.length - 1))];
      const step = 10 ** (Math.floor(Math.log10(v)) - 1);
      v = Math.round(v / step) * step;
      if (v > 0 && (!breaks.length || v > breaks[breaks.length - 1]) && v < sorted[sorted.length - 1]) breaks.push(v);
    }
    return breaks;
  }

  function gapClass(value, breaks) {
    return breaks.filter((b) => value >= b).length + (cfg.gap_colors.length - 1 - breaks.length);
  }

  function gapLegend(breaks) {
    const edges = [null, ...breaks, null];
    const rows = [];
    for (let i = 0; i <= breaks.length; i += 1) {
      const low = edges[i];
      const high = edges[i + 1];
      let label;
      if (low === null && high === null) label = "> 0";
      else if (low === null) label = `< ${int(high)}`;
      else if (high === null) label = `≥ ${int(low)}`;
      else label = `${int(low)}–${int(high)}`;
      rows.push([cfg.gap_colors[i + (cfg.gap_colors.length - 1 - breaks.length)], label]);
    }
    return rows;
  }

  /* ---------- page elements ---------- */

  const form = document.getElementById("pl-form");
  const errorBox = document.getElementById("pl-error");
  const results = document.getElementById("pl-results");
  const status = document.getElementById("pl-status");
  const table = document.getElementById("pl-table");
  const chartBox = document.getElementById("pl-chart");
  const pickList = document.getElementById("pl-suggestion-list");
  const demoNote = document.querySelector(".pl-demo-note");
  demoNote.hidden = true;

  /* ---------- the form ---------- */

  function chosenSupply() {
    return [...form.querySelectorAll("input[name=supply]:checked")].map((input) => input.value);
  }

  function reachMode() {
    const checked = form.querySelector("input[name=reach]:checked");
    return checked ? checked.value : "radius";
  }

  /** The coverage API's parameters from the form. */
  function formParams() {
    const f = form.elements;
    const params = { supply: chosenSupply().join(","), demand: f.demand.value };
    if (reachMode() === "minutes") params.minutes = f.minutes.value.trim();
    else params.radius = f.radius.value === "custom" ? f.radius_custom.value.trim() : f.radius.value;
    if (f.district.value) params.district = f.district.value;
    if (f.tier && f.tier.checked && chosenSupply().includes("parent_schools")) params.supply_where = cfg.tier_where;
    params.count = f.count.value.trim();
    if (cfg.candidates && cfg.candidates !== "sites") params.candidates = cfg.candidates;
    return params;
  }

  function syncForm() {
    const f = form.elements;
    const minutes = reachMode() === "minutes";
    document.getElementById("pl-radius").hidden = minutes;
    document.getElementById("pl-radius-custom").hidden = minutes || f.radius.value !== "custom";
    document.getElementById("pl-minutes").hidden = !minutes;
    document.getElementById("pl-minutes-hint").hidden = !minutes;
    const tier = document.getElementById("pl-tier");
    if (tier) {
      const usable = chosenSupply().includes("parent_schools");
      f.tier.disabled = !usable;
      tier.classList.toggle("is-off", !usable);
    }
  }

  function clearError() {
    errorBox.hidden = true;
    errorBox.textContent = "";
    for (const node of form.querySelectorAll(".is-invalid")) node.classList.remove("is-invalid");
    for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  }

  function showError(err) {
    errorBox.textContent = fmt("planner_error", { message: err.message });
    errorBox.hidden = false;
    const fields = err.field ? [...form.querySelectorAll(`[data-field="${CSS.escape(err.field)}"]`)] : [];
    for (const field of fields.filter((node) => !node.hidden)) {
      field.classList.add("is-invalid");
      for (const input of field.querySelectorAll("input, select")) input.setAttribute("aria-invalid", "true");
    }
    results.classList.add("is-stale");
    status.textContent = "";
  }

  /** Downloads, the report, the language switch and the address bar follow the form. */
  function updateLinks(query) {
    const lang = cfg.lang === "en" ? "&lang=en" : "";
    document.getElementById("pl-xlsx").href = `${cfg.api}/coverage/export?${query}&format=xlsx`;
    document.getElementById("pl-gpkg").href = `${cfg.api}/coverage/export?${query}&format=gpkg`;
    document.getElementById("pl-report").href = `${cfg.report}?${query}${lang}`;
    document.getElementById("pl-lang").href = `${location.pathname}?${query}&lang=${cfg.lang === "en" ? "zh" : "en"}`;
    history.replaceState(null, "", `${location.pathname}?${query}${lang}`);
  }

  /* ---------- the map ---------- */

  const map = window[cfg.map];
  const mapBox = map.getContainer();
  mapBox.classList.add(cfg.tiles ? "ym-tiles" : "ym-no-tiles");
  for (const [name, z] of [["pl-districts", 250], ["pl-gaps", 350], ["pl-outline", 380], ["pl-supply", 410],
    ["pl-demand", 420], ["pl-labels", 460], ["pl-reach", 470]]) {
    map.createPane(name).style.zIndex = z;
  }
  map.getPane("pl-labels").style.pointerEvents = "none";
  map.getPane("pl-reach").style.pointerEvents = "none";
  const gapRenderer = L.svg({ pane: "pl-gaps" });
  const demandRenderer = L.canvas({ pane: "pl-demand", tolerance: 3 });
  const supplyRenderer = L.canvas({ pane: "pl-supply", tolerance: 3 });

  const groups = {
    gaps: L.featureGroup().addTo(map),
    uncovered: L.featureGroup().addTo(map),
    covered: L.featureGroup().addTo(map),
    supply: L.featureGroup().addTo(map),
    suggestions: L.featureGroup().addTo(map),
  };
  const outlines = L.featureGroup().addTo(map);
  const districtBounds = {};
  let regionBounds = null;

  const popupOptions = () => ({ maxWidth: 280, minWidth: 200, autoPanPaddingTopLeft: [16, 16],
    autoPanPaddingBottomRight: [16, 16] });

  let districtFeatures = [];

  /** The district boundaries: the base (filled, named) without tiles, and outlines over the gap cells. */
  async function loadBoundaries() {
    for (const layerId of cfg.boundaries) {
      const data = await api(`/layers/${encodeURIComponent(layerId)}/features`, { limit: 1000 });
      districtFeatures = districtFeatures.concat(data.features);
      const base = L.geoJSON(data, {
        pane: "pl-districts", interactive: false, renderer: L.svg({ pane: "pl-districts" }),
        attribution: S.boundaries_attribution,
        style: cfg.tiles ? { stroke: false, fill: false }
          : { color: "#94a3b8", weight: 1, fillColor: "#fbfaf6", fillOpacity: 1 },
      }).addTo(map);
      base.bringToBack();
      for (const feature of data.features) {
        const name = feature.properties.name;
        districtBounds[name] = L.geoJSON(feature).getBounds();
        // A copy: L.latLngBounds(bounds) returns the same object, which extend() would then grow.
        const own = districtBounds[name];
        regionBounds = regionBounds ? regionBounds.extend(own) : L.latLngBounds(own.getSouthWest(), own.getNorthEast());
        const at = YM.labelPoint(feature.geometry);
        if (at && name) {
          L.tooltip({ pane: "pl-labels", permanent: true, direction: "center", className: "ym-district-label",
            interactive: false }).setLatLng(at).setContent(el("span", {}, name)).addTo(map);
        }
      }
    }
    drawOutlines(form.elements.district.value);
    fitDistrict(shownDistrict);
  }

  function drawOutlines(chosen) {
    outlines.clearLayers();
    for (const feature of districtFeatures) {
      const on = chosen && feature.properties.name === chosen;
      L.geoJSON(feature, { pane: "pl-outline", interactive: false, renderer: L.svg({ pane: "pl-outline" }),
        style: { color: on ? "#0f172a" : "#64748b", weight: on ? 2.5 : 1, opacity: on || !chosen ? 0.9 : 0.5,
          fill: false } }).addTo(outlines);
    }
  }

  let shownDistrict = form.elements.district.value;
  /** Fit the region or one district, clear of the legend in the top right corner. */
  function fitDistrict(name) {
    const bounds = name ? districtBounds[name] : regionBounds;
    const box = legend.getContainer();
    const side = box && box.open && !phone.matches ? box.offsetWidth + 16 : 16;
    if (bounds) map.fitBounds(bounds, { paddingTopLeft: [56, 16], paddingBottomRight: [side, 16] });
  }

  /* ---------- legend with layer switches ---------- */

  const legend = L.control({ position: "topright" });
  const legendCounts = {};
  let legendRamp = null;
  let legendGapTitle = null;

  function toggleRow(key, swatch, title) {
    const input = el("input", { type: "checkbox", "data-layer": key, checked: true });
    input.addEventListener("change", () => {
      if (input.checked) groups[key].addTo(map);
      else groups[key].remove();
    });
    const count = el("span", { class: "ym-count", "data-count": key });
    legendCounts[key] = count;
    const label = el("span", { class: "pl-toggle-title" }, title);
    return [el("label", { class: "pl-toggle" }, input, swatch, label, count), label];
  }

  legend.onAdd = () => {
    const [gapRow, gapTitle] = toggleRow("gaps", el("span", { class: "pl-swatch is-cell", "aria-hidden": "true" }), "");
    legendGapTitle = gapTitle;
    legendRamp = el("div", { class: "pl-ramp" });
    const supplyDots = el("span", { class: "pl-supply-dots", "aria-hidden": "true" });
    const box = el("details", { class: "ym-legend pl-legend", open: !phone.matches },
      el("summary", {}, S.legend),
      el("div", { class: "ym-legend-rows" },
        gapRow, legendRamp,
        toggleRow("uncovered", el("span", { class: "pl-swatch", "--c": cfg.colors.uncovered }), S.planner_legend_uncovered)[0],
        toggleRow("covered", el("span", { class: "pl-swatch", "--c": cfg.colors.covered }), S.planner_legend_covered)[0],
        toggleRow("supply", supplyDots, S.planner_legend_supply)[0],
        toggleRow("suggestions", el("span", { class: "pl-swatch is-pick" }), S.planner_legend_suggestions)[0]));
    box.supplyDots = supplyDots;
    return box;
  };
  legend.addTo(map);
  L.DomEvent.disableClickPropagation(legend.getContainer());
  L.DomEvent.disableScrollPropagation(legend.getContainer());

  function drawLegend(counts, supplyIds) {
    for (const [key, value] of Object.entries(counts)) legendCounts[key].textContent = int(value);
    showGaps();
    legend.getContainer().supplyDots.replaceChildren(...supplyIds.map((id) =>
      el("span", { class: "pl-swatch", "--c": color((supplyInfo[id] || {}).color) })));
  }

  /* ---------- map layers ---------- */

  function demandPopup(props, demand) {
    const near = isNum(props.nearest_m)
      ? fmt("planner_nearest", { name: props.nearest_name || "", distance: distanceText(Number(props.nearest_m)) })
      : S.planner_none_in_reach;
    return el("div", { class: "pl-popup" },
      el("div", { class: "pl-popup-kind" }, [demand.title, props.district].filter(Boolean).join(" · ")),
      el("h3", {}, props.name || ""),
      demand.weight ? el("p", {}, `${demand.weight_label} ${int(props.weight)}`) : null,
      el("p", { class: props.covered ? "is-yes" : "is-no" }, props.covered ? S.planner_covered_yes : S.planner_covered_no),
      el("p", {}, near));
  }

  /* Gap cells: the analysis' cells, or (zoomed out, where those would be a few pixels wide) the
   * API's coarser overview cells. Each set has its own colour classes; the legend follows. */
  const MIN_CELL_PX = 8;
  let gapSets = null;

  function gapLayer(gaps, unit) {
    const values = gaps.features.map((f) => Number(f.properties.uncovered_weight));
    const breaks = gapBreaks(values);
    const layer = L.geoJSON(gaps, {
      pane: "pl-gaps", renderer: gapRenderer,
      style: (feature) => ({ className: "pl-gap", color: "#ffffff", weight: 0.6, opacity: 0.9, fillOpacity: 0.72,
        fillColor: color(cfg.gap_colors[gapClass(Number(feature.properties.uncovered_weight), breaks)]) }),
      onEachFeature: (feature, cell) => cell.bindPopup(() => el("div", { class: "pl-popup" },
        el("p", {}, fmt("planner_gap_cell", { count: int(feature.properties.uncovered_count),
          weight: int(feature.properties.uncovered_weight), unit }))), popupOptions()),
    });
    return { layer, breaks: values.length ? breaks : null, count: values.length };
  }

  /** Width in screen pixels, at the map's zoom, of the first cell of a set (0 without cells). */
  function cellPixels(set) {
    const first = set.layer.getLayers()[0];
    if (!first) return 0;
    const bounds = first.getBounds();
    const zoom = map.getZoom();
    return map.project(bounds.getNorthEast(), zoom).x - map.project(bounds.getSouthWest(), zoom).x;
  }

  function showGaps() {
    if (!gapSets) return;
    const { fine, overview, unit } = gapSets;
    const shown = fine.count && cellPixels(fine) < MIN_CELL_PX ? overview : fine;
    if (!groups.gaps.hasLayer(shown.layer)) {
      groups.gaps.clearLayers();
      groups.gaps.addLayer(shown.layer);
    }
    legendGapTitle.textContent = fmt("planner_legend_gaps", { unit });
    legendRamp.replaceChildren(...(shown.breaks === null ? [el("span", {}, S.planner_no_gaps)]
      : gapLegend(shown.breaks).map(([c, label]) => el("span", {}, el("i", { style: `background:${color(c)}` }), label))));
    legendCounts.gaps.textContent = int(shown.count);
  }

  function drawGaps(coverage, unit) {
    groups.gaps.clearLayers();
    gapSets = { fine: gapLayer(coverage.gaps, unit), overview: gapLayer(coverage.gaps_overview, unit), unit };
  }
  map.on("zoomend", showGaps);

  function drawDemand(demandData, demand) {
    groups.uncovered.clearLayers();
    groups.covered.clearLayers();
    let covered = 0;
    for (const feature of demandData.features) {
      if (!feature.geometry || feature.geometry.type !== "Point") continue;
      const [lon, lat] = feature.geometry.coordinates;
      const props = feature.properties;
      if (props.covered) covered += 1;
      const dot = L.circleMarker([lat, lon], {
        renderer: demandRenderer, radius: props.covered ? 2.6 : 3.4, weight: props.covered ? 0.6 : 0.8, color: "#ffffff",
        fillColor: props.covered ? cfg.colors.covered : cfg.colors.uncovered, fillOpacity: props.covered ? 0.85 : 0.95,
      });
      dot.bindPopup(() => demandPopup(props, demand), popupOptions());
      dot.addTo(props.covered ? groups.covered : groups.uncovered);
    }
    return { covered, uncovered: demandData.features.length - covered };
  }

  /* Supply features per layer, loaded once: the coverage API does not return the supply it used. */
  const supplyCache = {};

  async function allFeatures(layerId) {
    const features = [];
    for (;;) {
      const page = await api(`/layers/${encodeURIComponent(layerId)}/features`,
        { limit: 10000, offset: features.length });
      features.push(...page.features);
      if (!page.features.length || features.length >= page.numberMatched) return features;
    }
  }

  function loadSupply(ids) {
    return Promise.all(ids.filter((id) => supplyInfo[id]).map((id) => {
      if (!supplyCache[id]) {
        supplyCache[id] = allFeatures(id).catch((err) => {
          delete supplyCache[id];
          throw err;
        });
      }
      return supplyCache[id].then((features) => [id, features]);
    }));
  }

  function drawSupply(loaded, params) {
    groups.supply.clearLayers();
    const tierOnly = params.supply_where === cfg.tier_where;
    let count = 0;
    for (const [id, features] of loaded) {
      const layer = supplyInfo[id];
      for (const feature of features) {
        const props = feature.properties;
        if (props.generated) demoNote.hidden = false;
        // The same rule as the API's supply_where: only features whose tier is high enough.
        if (tierOnly && !cfg.tier_codes.includes(props.tier)) continue;
        if (!feature.geometry || feature.geometry.type !== "Point") continue;
        const [lon, lat] = feature.geometry.coordinates;
        L.circleMarker([lat, lon], { renderer: supplyRenderer, radius: 2.6, weight: 0, fillColor: color(layer.color),
          fillOpacity: 0.7 })
          .bindPopup(() => el("div", { class: "pl-popup" }, el("div", { class: "pl-popup-kind" }, layer.title),
            el("h3", {}, props.name || "")), popupOptions())
          .addTo(groups.supply);
        count += 1;
      }
    }
    return count;
  }

  let pickItems = [];

  function pickPopup(pick, kind, unit) {
    return el("div", { class: "pl-popup" },
      el("div", { class: "pl-popup-kind" }, `${S.planner_legend_suggestions} ${pick.rank} · ${kind}`),
      el("h3", {}, pick.name || ""),
      el("p", { class: "pl-added" }, fmt("planner_added", { value: int(pick.added_weight), unit })),
      el("p", {}, fmt("planner_share_after", { share: pct(pick.covered_share_after) })));
  }

  function highlight(item, on) {
    item.button.classList.toggle("is-active", on);
    const icon = item.marker.getElement();
    if (icon) icon.classList.toggle("is-active", on);
    item.marker.setZIndexOffset(on ? 2000 : 1000);
  }

  function drawSuggestions(picks, radius, unit) {
    groups.suggestions.clearLayers();
    pickItems = [];
    const items = (picks.suggestions || []).map((pick) => {
      const latlng = L.latLng(pick.lat, pick.lon);
      const kind = (cfg.demand[pick.layer] || {}).title || S.planner_hexagon;
      L.circle(latlng, { pane: "pl-reach", radius, color: cfg.colors.suggestion, weight: 1.5, dashArray: "5 4",
        fillColor: cfg.colors.suggestion, fillOpacity: 0.06, interactive: false }).addTo(groups.suggestions);
      const marker = L.marker(latlng, { title: pick.name, zIndexOffset: 1000, keyboard: false,
        icon: L.divIcon({ className: "ym-rpin pl-pick", iconSize: [28, 28],
          html: `<span style="--c:${color(cfg.colors.suggestion)}">${Number(pick.rank)}</span>` }) });
      marker.bindPopup(pickPopup(pick, kind, unit), popupOptions());
      marker.addTo(groups.suggestions);
      const button = el("button", { type: "button", class: "pl-suggestion" },
        el("span", { class: "pl-rank", "aria-hidden": "true" }, pick.rank),
        el("span", { class: "pl-suggestion-main" },
          el("span", { class: "pl-suggestion-name" }, pick.name),
          el("span", { class: "pl-suggestion-meta" },
            `${kind} · ${fmt("planner_share_after", { share: pct(pick.covered_share_after) })}`)),
        el("span", { class: "pl-added" }, fmt("planner_added", { value: int(pick.added_weight), unit })));
      const item = { marker, button };
      marker.on("mouseover", () => highlight(item, true));
      marker.on("mouseout", () => highlight(item, false));
      button.addEventListener("mouseenter", () => highlight(item, true));
      button.addEventListener("mouseleave", () => highlight(item, false));
      button.addEventListener("focus", () => highlight(item, true));
      button.addEventListener("blur", () => highlight(item, false));
      button.addEventListener("click", () => {
        if (phone.matches) mapBox.scrollIntoView({ block: "center" });
        map.setView(latlng, Math.max(map.getZoom(), 14));
        marker.openPopup();
      });
      pickItems.push(item);
      return el("li", { "data-rank": pick.rank }, button);
    });
    pickList.replaceChildren(...(items.length ? items : [el("li", { class: "pl-none" }, S.planner_suggestions_none)]));
    return items.length;
  }

  /* ---------- headline, table and chart ---------- */

  function setKpi(id, value, caption) {
    document.getElementById(id).replaceChildren(el("b", {}, value), caption);
  }

  function drawHeadline(region, picks, demand, params) {
    const unit = demand.unit || "";
    document.getElementById("pl-share-label").textContent = params.district
      ? fmt("planner_scope_share", { area: params.district }) : S.planner_scope_region;
    document.getElementById("pl-share").textContent = pct(region.covered_share);
    const list = picks.suggestions || [];
    document.getElementById("pl-after").textContent = list.length
      ? fmt("planner_after", { count: list.length, share: pct(list[list.length - 1].covered_share_after) }) : "";
    setKpi("pl-weight", fmt("planner_weight_value", { value: int(region.covered_weight), unit }),
      fmt("planner_covered_weight", { total: int(region.demand_weight), unit }));
    setKpi("pl-units", int(region.covered_count), fmt("planner_covered_units", { total: int(region.demand_count) }));
    setKpi("pl-supply-count", int(region.supply_count),
      fmt("planner_supply_count", { per10k: rate(region.supply_per_10k), unit }));
  }

  const sort = { key: null, dir: 1 };
  let tableData = null;

  function cell(row, key, region) {
    const value = row[key];
    if (key === "district") return el("td", { "data-value": value }, value);
    let text = int(value);
    if (key === "supply_per_10k") text = rate(value);
    if (key !== "covered_share") return el("td", { class: "num", "data-value": isNum(value) ? value : "" }, text);
    const below = region && isNum(value) && isNum(region.covered_share) && value < region.covered_share;
    return el("td", { class: below ? "num is-below" : "num", "data-value": isNum(value) ? value : "" }, pct(value),
      el("span", { class: "pl-share-bar", "aria-hidden": "true", "--c": below ? cfg.colors.bar_below : cfg.colors.bar },
        el("i", { style: `width:${isNum(value) ? Math.round(100 * Math.min(1, value)) : 0}%` })));
  }

  function sortedRows(rows) {
    if (!sort.key) return rows;
    return rows.slice().sort((a, b) => {
      const x = a[sort.key];
      const y = b[sort.key];
      if (sort.key === "district") return sort.dir * String(x).localeCompare(String(y), locale);
      if (!isNum(x) || !isNum(y)) return (isNum(x) ? 0 : 1) - (isNum(y) ? 0 : 1);
      return sort.dir * (Number(x) - Number(y));
    });
  }

  function drawTable() {
    if (!tableData) return;
    const { rows, region, demand, params } = tableData;
    for (const th of table.tHead.rows[0].cells) {
      const key = th.dataset.key;
      th.querySelector("button").textContent = (demand.columns || {})[key] || key;
      if (sort.key === key) th.setAttribute("aria-sort", sort.dir > 0 ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    }
    table.tBodies[0].replaceChildren(...sortedRows(rows).map((row) =>
      el("tr", { "data-district": row.district }, COLUMNS.map((key) => cell(row, key, region)))));
    const total = Object.assign({}, region, { district: params.district ? S.planner_total : S.planner_region_total });
    table.tFoot.replaceChildren(el("tr", { class: "pl-total" }, COLUMNS.map((key) => cell(total, key, null))));
  }

  table.tHead.addEventListener("click", (event) => {
    const button = event.target.closest(".pl-sort");
    if (!button) return;
    const key = button.dataset.key;
    sort.dir = sort.key === key ? -sort.dir : 1;
    sort.key = key;
    drawTable();
  });

  let chartArgs = null;
  let chartWidth = 0;

  function drawChart(rows, region, params) {
    chartArgs = [rows, region, params];
    const c = cfg.chart;
    // As wide as its box, so that its text is the page's size.
    const width = Math.max(280, Math.round(chartBox.clientWidth || 360));
    chartWidth = width;
    const share = (row) => (isNum(row.covered_share) ? Number(row.covered_share) : -1);
    const sorted = rows.slice().sort((a, b) => (share(b) - share(a)) || String(a.district).localeCompare(b.district));
    const inner = width - c.left - c.right;
    const height = c.top + c.row * Math.max(sorted.length, 1) + c.bottom;
    const chart = svg("svg", { class: "pl-chart-svg", viewBox: `0 0 ${width} ${height}`, role: "img",
      "aria-label": document.getElementById("pl-chart-title").textContent });
    for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
      const x = c.left + inner * tick;
      chart.append(svg("line", { x1: x, x2: x, y1: c.top - 2, y2: height - c.bottom + 2, stroke: "#e2e8f0" }),
        svg("text", { x, y: height - c.bottom + 15, "text-anchor": "middle", class: "pl-chart-tick" }, `${tick * 100}%`));
    }
    const regionShare = isNum(region.covered_share) ? Number(region.covered_share) : null;
    sorted.forEach((row, i) => {
      const y = c.top + i * c.row;
      const value = isNum(row.covered_share) ? Number(row.covered_share) : null;
      const below = value !== null && regionShare !== null && value < regionShare;
      chart.append(
        svg("text", { x: c.left - 8, y: y + c.row / 2, "text-anchor": "end", "dominant-baseline": "central",
          class: "pl-chart-label" }, row.district),
        svg("text", { x: width - 2, y: y + c.row / 2, "text-anchor": "end", "dominant-baseline": "central",
          class: "pl-chart-value" }, pct(value)));
      if (value !== null) {
        chart.append(svg("rect", { class: "pl-bar", "data-district": row.district, x: c.left, y: y + 4,
          width: (inner * Math.max(0, Math.min(value, 1))).toFixed(1), height: c.row - 8, rx: 2,
          fill: below ? cfg.colors.bar_below : cfg.colors.bar }));
      }
    });
    if (regionShare !== null) {
      const x = c.left + inner * Math.max(0, Math.min(regionShare, 1));
      chart.append(
        svg("line", { class: "pl-ref", x1: x, x2: x, y1: c.top - 6, y2: height - c.bottom + 2, stroke: "#0f172a",
          "stroke-width": 1.5, "stroke-dasharray": "4 3" }),
        svg("text", { x, y: c.top - 10, "text-anchor": "middle", class: "pl-chart-ref" },
          fmt("planner_chart_reference", { area: params.district || S.planner_region_short, share: pct(regionShare) })));
    }
    chartBox.replaceChildren(chart);
  }

  new ResizeObserver(() => {
    if (chartArgs && Math.abs(Math.round(chartBox.clientWidth) - chartWidth) > 8) drawChart(...chartArgs);
  }).observe(chartBox);

  /* ---------- one analysis ---------- */

  function render(params, coverage, picks, loadedSupply) {
    const demand = cfg.demand[params.demand] || { columns: {}, unit: "" };
    const region = coverage.summary.region;
    const rows = coverage.summary.by_district;
    drawHeadline(region, picks, demand, params);
    tableData = { rows, region, demand, params };
    drawTable();
    drawChart(rows, region, params);
    drawGaps(coverage, demand.unit);
    const counts = drawDemand(coverage.demand, demand);
    counts.supply = drawSupply(loadedSupply, params);
    counts.suggestions = drawSuggestions(picks, coverage.radius_m, demand.unit);
    drawLegend(counts, loadedSupply.map(([id]) => id));
    drawOutlines(params.district || "");
    if ((params.district || "") !== shownDistrict) {
      shownDistrict = params.district || "";
      fitDistrict(shownDistrict);
    }
    status.textContent = region.demand_count ? "" : S.planner_no_demand;
  }

  let seq = 0;
  let lastQuery = null;

  async function run(force) {
    const params = formParams();
    const query = queryString(params);
    if (!force && query === lastQuery) return;
    lastQuery = query;
    const mine = ++seq;
    clearError();
    if (!params.supply) { // nothing to analyse: say so by the supply choices, ask the server nothing
      results.setAttribute("aria-busy", "false");
      showError(new ApiError(S.planner_supply_none, "supply"));
      return;
    }
    updateLinks(query);
    results.setAttribute("aria-busy", "true");
    status.classList.remove("is-error");
    status.textContent = S.planner_loading;
    try {
      // /api/coverage takes no count or candidates (they are the suggestions' only).
      const { count, candidates, ...coverageParams } = params; // eslint-disable-line no-unused-vars
      const [coverage, picks, loaded] = await Promise.all([
        api("/coverage", coverageParams), api("/coverage/suggestions", params), loadSupply(chosenSupply())]);
      if (mine !== seq) return;
      render(params, coverage, picks, loaded);
      results.classList.remove("is-stale");
    } catch (err) {
      if (mine !== seq) return;
      lastQuery = null; // the same query may be tried again
      showError(err);
    } finally {
      if (mine === seq) results.setAttribute("aria-busy", "false");
    }
  }

  let timer = null;
  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(() => run(false), delay);
  }

  form.addEventListener("change", () => {
    syncForm();
    schedule(0);
  });
  form.addEventListener("input", (event) => {
    if (event.target.type === "number") schedule(800);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    run(true);
  });

  syncForm();
  loadBoundaries().catch((err) => showError(err));
  run(true);
});
