/* The coverage planner (/planner): one request per change of the form, /api/plan, and the answer drawn.
 *
 * The page (mapservice/web/plannerpage.py) renders the form, a folium Leaflet map (whose inline
 * script runs before this module) and #pl-config. The server computes every figure, text, class
 * and the chart; this script keeps the state of the page in one object and draws what it gets.
 */
import { ApiError, errorText, getJSON, queryString } from "../shared/api.js";
import { watchTiles } from "../shared/basemap.js";
import { drawBoundaries, drawBoundaryFeatures } from "../shared/boundaries.js";
import { formatter } from "../shared/strings.js";
import { clearError, formParams, reportUrl, showError, syncForm, updateLinks } from "./form.js";
import { createMapView, drawPlan, fitDistrict, pickMarker, selectDistrict, setDistricts } from "./mapview.js";
import { drawChart, drawHeadline, drawSuggestions, drawTable, revealSelected } from "./results.js";
import { drawComparison, drawScenarioList, scenarioParams } from "./scenario.js";

const cfg = JSON.parse(document.getElementById("pl-config").textContent);
const S = cfg.strings;
const fmt = formatter(S);
const phone = window.matchMedia("(max-width: 720px)");
const page = {
  form: document.getElementById("pl-form"),
  error: document.getElementById("pl-error"),
  results: document.getElementById("pl-results"),
  status: document.getElementById("pl-status"),
  table: document.getElementById("pl-table"),
  chart: document.getElementById("pl-chart"),
  picks: document.getElementById("pl-suggestion-list"),
  scenario: document.getElementById("pl-scenario-list"),
  addMode: document.getElementById("pl-add-mode"),
  saveA: document.getElementById("pl-save-a"),
  dropA: document.getElementById("pl-drop-a"),
  compare: document.getElementById("pl-compare"),
  demoNote: document.querySelector(".pl-demo-note"),
};
const map = window[cfg.map];
map.getContainer().classList.add(cfg.tiles ? "ym-tiles" : "ym-no-tiles");

// The page's state: the query last asked, its answer, the table's order and the district shown.
// ``selected``: the district picked on the map, in the table or in the chart (highlighted everywhere).
// ``scenario``: the what-if being edited (sites added as [lon, lat], supply closed as "layer:id");
// ``a``: scenario A kept for comparison, as /api/plan's add and close texts (null: none).
const state = { query: null, seq: 0, data: null, sort: { key: null, dir: 1 }, district: null, selected: "",
  mapView: null, scenario: { added: cfg.scenario.added, closed: cfg.scenario.closed }, a: cfg.scenario.a,
  adding: false };
state.mapView = createMapView(map, cfg, S, phone);
state.mapView.onSelect = select;
state.mapView.onScenario = {
  close: (key) => edit(() => state.scenario.closed.push(key)),
  reopen: (key) => edit(() => { state.scenario.closed = state.scenario.closed.filter((k) => k !== key); }),
  move: (index, latlng) => edit(() => { state.scenario.added[index] = site(latlng); }),
  remove: (index) => edit(() => state.scenario.added.splice(index, 1)),
};

/** [lon, lat] of a point on the map, to 7 decimals (about 1 cm). */
function site(latlng) {
  return [Number(latlng.lng.toFixed(7)), Number(latlng.lat.toFixed(7))];
}

/** Change the what-if and ask again. */
function edit(change) {
  change();
  run(false);
}
page.demoNote.hidden = true;

function render() {
  const { data } = state;
  const view = data.view;
  drawHeadline(view);
  if (!view.rows.some((row) => row.district === state.selected)) state.selected = "";
  drawTable(page.table, view, state.sort, state.selected);
  drawChart(page.chart, view, state.selected);
  const buttons = drawSuggestions(page.picks, view, S.planner_suggestions_none,
    (index, on) => pickMarker(state.mapView, index, on, buttons[index]));
  const district = data.district || "";
  drawPlan(state.mapView, data, (cfg.demand[data.request.demand] || {}).title || "", district !== state.district);
  state.district = district;
  drawScenarioList(page.scenario, view, S, state.mapView.onScenario);
  page.demoNote.hidden = !view.generated;
  page.status.textContent = view.no_demand ? S.planner_no_demand : "";
}

/** Select a district (clicking it again clears the choice), everywhere it is shown. */
function select(name) {
  state.selected = name === state.selected ? "" : name;
  if (!state.data) return;
  drawTable(page.table, state.data.view, state.sort, state.selected);
  drawChart(page.chart, state.data.view, state.selected);
  selectDistrict(state.mapView, state.selected);
  revealSelected(page.table, page.chart, state.selected);
}

function fail(err) {
  showError(page.form, page.error, fmt("planner_error", { message: errorText(err, fmt) }), err.field);
  page.results.classList.add("is-stale");
  page.status.textContent = "";
}

/** The question of the form and the what-if, with scenario A's when one is kept. */
function allParams() {
  const params = Object.assign(formParams(page.form, cfg), scenarioParams(state.scenario));
  if (state.a) Object.assign(params, { a_add: state.a.add, a_close: state.a.close });
  return params;
}

async function compare(params, mine) {
  page.saveA.hidden = Boolean(state.a);
  page.dropA.hidden = !state.a;
  if (!state.a) {
    page.compare.hidden = true;
    return;
  }
  const data = await getJSON(cfg.api, "/plan/compare", Object.assign({ lang: cfg.lang }, params));
  const reports = { a: reportUrl(cfg, params, true), b: reportUrl(cfg, params, false) };
  if (mine === state.seq) drawComparison(page.compare, data, reports, S.planner_print);
}

async function run(force) {
  const params = allParams();
  const query = queryString(params);
  if (!force && query === state.query) return;
  state.query = query;
  const mine = ++state.seq;
  clearError(page.form, page.error);
  if (!params.supply) { // nothing to analyse: say so by the supply choices, ask the server nothing
    page.results.setAttribute("aria-busy", "false");
    fail(new ApiError(S.planner_supply_none, "supply"));
    return;
  }
  updateLinks(cfg, params);
  page.results.setAttribute("aria-busy", "true");
  page.status.textContent = S.planner_loading;
  try {
    const { a_add, a_close, ...question } = params; // eslint-disable-line camelcase, no-unused-vars
    const data = await getJSON(cfg.api, "/plan", Object.assign({ lang: cfg.lang }, question));
    if (mine !== state.seq) return;
    state.data = data;
    render();
    await compare(params, mine);
    page.results.classList.remove("is-stale");
  } catch (err) {
    if (mine !== state.seq) return;
    state.query = null; // the same query may be tried again
    fail(err);
  } finally {
    if (mine === state.seq) page.results.setAttribute("aria-busy", "false");
  }
}

let timer = null;
function schedule(delay) {
  clearTimeout(timer);
  timer = setTimeout(() => run(false), delay);
}

page.form.addEventListener("change", () => {
  syncForm(page.form, cfg);
  schedule(0);
});
page.form.addEventListener("input", (event) => {
  if (event.target.type === "number") schedule(800);
});
page.form.addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(timer);
  run(true);
});
page.table.tHead.addEventListener("click", (event) => {
  const button = event.target.closest(".pl-sort");
  if (!button || !state.data) return;
  const key = button.dataset.key;
  state.sort = { key, dir: state.sort.key === key ? -state.sort.dir : 1 };
  drawTable(page.table, state.data.view, state.sort, state.selected);
});
page.table.tBodies[0].addEventListener("click", (event) => {
  const row = event.target.closest("tr[data-district]");
  if (row) select(row.dataset.district);
});
page.chart.addEventListener("click", (event) => {
  const bar = event.target.closest(".pl-bar");
  if (bar) select(bar.dataset.district);
});

page.addMode.addEventListener("click", () => {
  state.adding = !state.adding;
  page.addMode.setAttribute("aria-pressed", String(state.adding));
  map.getContainer().classList.toggle("pl-adding", state.adding);
});
map.on("click", (event) => {
  if (state.adding) edit(() => state.scenario.added.push(site(event.latlng)));
});
document.getElementById("pl-take-suggestions").addEventListener("click", () => {
  if (state.data) edit(() => state.scenario.added.push(...state.data.suggestions.map((p) => [p.lon, p.lat])));
});
document.getElementById("pl-clear-scenario").addEventListener("click", () => {
  edit(() => { state.scenario = { added: [], closed: [] }; });
});
page.saveA.addEventListener("click", () => {
  const kept = scenarioParams(state.scenario);
  edit(() => { state.a = { add: kept.add, close: kept.close }; });
});
page.dropA.addEventListener("click", () => edit(() => { state.a = null; }));

syncForm(page.form, cfg);
const PLAIN_DISTRICTS = { color: "#94a3b8", weight: 1, fillColor: "#fbfaf6", fillOpacity: 1 };
// Street tiles that do not load: the districts, filled, are the base instead (shared/basemap.js).
const tilesLoad = watchTiles(map, () => {
  map.getContainer().classList.replace("ym-tiles", "ym-no-tiles");
  map.attributionControl.addAttribution(S.basemap_offline);
});
drawBoundaries(map, cfg.api, cfg.boundaries, {
  pane: "pl-districts", labelPane: "pl-labels", renderer: L.svg({ pane: "pl-districts" }),
  attribution: S.boundaries_attribution,
  style: cfg.tiles ? { stroke: false, fill: false } : PLAIN_DISTRICTS,
}).then((features) => {
  tilesLoad.then((loaded) => {
    if (cfg.tiles && !loaded) {
      drawBoundaryFeatures(map, features, { pane: "pl-districts", renderer: L.svg({ pane: "pl-districts" }),
        style: PLAIN_DISTRICTS });
    }
  });
  setDistricts(state.mapView, features);
  fitDistrict(state.mapView, state.district ?? page.form.elements.district.value);
}).catch(fail);
run(true);
