/* What-ifs (方案推演): hypothetical sites added on the map, supply taken as closed, and a saved
 * scenario A to compare the one being edited (B) with. The server analyses; this keeps the lists. */
import { el } from "../shared/dom.js";

/** A what-if as /api/plan's ``add`` and ``close`` parameters. */
export function scenarioParams(scenario) {
  return { add: scenario.added.map(([lon, lat]) => `${lon},${lat}`).join(";"), close: scenario.closed.join(";") };
}

/** The what-if's list in the side panel: each site and each closed supply point, with a way back. */
export function drawScenarioList(list, view, S, actions) {
  const { sites, closed } = view.scenario;
  const items = [
    ...sites.map((site, index) => el("li", { class: "pl-scenario-site" },
      el("span", { class: "pl-new-dot", "aria-hidden": "true" }, site.n), el("span", {}, site.label),
      el("button", { type: "button", class: "ym-btn ym-btn-ghost ym-btn-small", "data-remove": index,
        "aria-label": `${S.planner_remove} ${site.label}` }, S.planner_remove))),
    ...closed.map((item) => el("li", { class: "pl-scenario-closed" },
      el("span", { class: "pl-closed-dot", "aria-hidden": "true" }, "×"),
      el("span", {}, `${item.label} · ${item.layer_title}`),
      el("button", { type: "button", class: "ym-btn ym-btn-ghost ym-btn-small", "data-reopen": `${item.layer}:${item.id}`,
        "aria-label": `${S.planner_reopen} ${item.label}` }, S.planner_reopen))),
  ];
  list.replaceChildren(...(items.length ? items : [el("li", { class: "pl-none" }, S.planner_scenario_none)]));
  for (const button of list.querySelectorAll("[data-remove]")) {
    button.addEventListener("click", () => actions.remove(Number(button.dataset.remove)));
  }
  for (const button of list.querySelectorAll("[data-reopen]")) {
    button.addEventListener("click", () => actions.reopen(button.dataset.reopen));
  }
}

/** The comparison of scenario A and B as the server worded it (/api/plan/compare); ``reports``
 * holds each scenario's printable report address. */
export function drawComparison(section, data, reports, printText) {
  const heads = section.querySelector("#pl-compare-heads");
  heads.replaceChildren(...data.scenarios.map((item) => el("div", { class: `pl-compare-head is-${item.key}` },
    el("strong", {}, item.label),
    el("span", { class: "pl-compare-share" }, item.headline.share),
    el("span", {}, item.headline.share_label),
    item.params.length > 5 ? el("span", { class: "ym-hint" }, item.params[item.params.length - 1][1]) : null,
    el("a", { class: "ym-btn ym-btn-small", href: reports[item.key], target: "_blank", rel: "noopener",
      "data-report": item.key }, `${printText} · ${item.label}`))));
  const table = section.querySelector("#pl-compare-table");
  table.tHead.replaceChildren(el("tr", {}, data.columns.map((label, i) => el("th", { class: i ? "num" : null }, label))));
  const line = (row) => el("tr", { "data-district": row.district },
    el("td", {}, row.district), el("td", { class: "num" }, row.a), el("td", { class: "num" }, row.b),
    el("td", { class: `num ${row.diff_value > 0 ? "is-up" : row.diff_value < 0 ? "is-down" : ""}` }, row.diff_share),
    el("td", { class: "num" }, row.diff_weight));
  table.tBodies[0].replaceChildren(...data.rows.map(line));
  const total = line(data.total);
  total.classList.add("pl-total");
  table.tFoot.replaceChildren(total);
  section.hidden = false;
}
