/* The planner's figures: headline, district table (sortable), chart and the list of suggested sites.
 * Every text comes from /api/plan's ``view``; the page only arranges it. */
import { el, svgScene } from "../shared/dom.js";

function setKpi(id, [value, caption]) {
  document.getElementById(id).replaceChildren(el("b", {}, value), caption);
}

export function drawHeadline(view) {
  const { headline } = view;
  document.getElementById("pl-share-label").textContent = headline.share_label;
  document.getElementById("pl-share").textContent = headline.share;
  document.getElementById("pl-after").textContent = headline.after;
  setKpi("pl-weight", headline.kpis[0]);
  setKpi("pl-units", headline.kpis[1]);
  setKpi("pl-supply-count", headline.kpis[2]);
}

function cell(key, text, value, row, colors) {
  if (key === "district") return el("td", { "data-value": value }, text);
  if (key !== "covered_share") return el("td", { class: "num", "data-value": value ?? "" }, text);
  const below = row.below;
  return el("td", { class: below ? "num is-below" : "num", "data-value": value ?? "" }, text,
    el("span", { class: "pl-share-bar", "aria-hidden": "true", "--c": below ? colors.bar_below : colors.bar },
      el("i", { style: `width:${value === null ? 0 : Math.round(100 * Math.min(1, value))}%` })));
}

function sorted(rows, keys, sort, locale) {
  if (!sort.key) return rows;
  const at = keys.indexOf(sort.key);
  return rows.slice().sort((a, b) => {
    const x = a.values[at];
    const y = b.values[at];
    if (sort.key === "district") return sort.dir * String(x).localeCompare(String(y), locale);
    if (x === null || y === null) return (x === null ? 1 : 0) - (y === null ? 1 : 0);
    return sort.dir * (x - y);
  });
}

/** The district table of ``view``, rows in ``sort`` order ({key, dir}), the total at the bottom,
 * the ``selected`` district's row marked. */
export function drawTable(table, view, sort, selected) {
  const keys = view.columns.map(([key]) => key);
  const labels = Object.fromEntries(view.columns);
  for (const th of table.tHead.rows[0].cells) {
    const key = th.dataset.key;
    th.querySelector("button").textContent = labels[key] || key;
    if (sort.key === key) th.setAttribute("aria-sort", sort.dir > 0 ? "ascending" : "descending");
    else th.removeAttribute("aria-sort");
  }
  const locale = view.lang === "en" ? "en" : "zh-CN";
  const line = (row, selectable) => el("tr", { "data-district": selectable ? row.district : null,
    class: selectable && row.district === selected ? "is-selected" : null, "aria-selected": selectable
      ? String(row.district === selected) : null },
  keys.map((key, i) => cell(key, row.cells[i], row.values[i], row, view.colors)));
  table.tBodies[0].replaceChildren(...sorted(view.rows, keys, sort, locale).map((row) => line(row, true)));
  const total = line(view.total, false);
  total.classList.add("pl-total");
  table.tFoot.replaceChildren(total);
}

/** The chart of ``view``, the ``selected`` district's bar marked. */
export function drawChart(box, view, selected) {
  const chart = svgScene(view.chart, "pl-chart-svg");
  for (const bar of chart.querySelectorAll(".pl-bar")) {
    bar.classList.toggle("is-selected", bar.dataset.district === selected);
  }
  box.replaceChildren(chart);
}

/** Bring the selected district's row and bar into view. */
export function revealSelected(table, box, selected) {
  if (!selected) return;
  for (const node of [table.querySelector("tr.is-selected"), box.querySelector(".pl-bar.is-selected")]) {
    if (node) node.scrollIntoView({ block: "nearest", inline: "nearest" });
  }
}

/** The suggested sites as buttons; ``onPick(index, on|"open")`` ties each to its marker. */
export function drawSuggestions(list, view, noneText, onPick) {
  const items = view.suggestions.map((pick, index) => {
    const button = el("button", { type: "button", class: "pl-suggestion" },
      el("span", { class: "pl-rank", "aria-hidden": "true" }, pick.rank),
      el("span", { class: "pl-suggestion-main" },
        el("span", { class: "pl-suggestion-name" }, pick.name),
        el("span", { class: "pl-suggestion-meta" }, `${pick.layer} · ${pick.after}`)),
      el("span", { class: "pl-added" }, pick.added));
    for (const [event, on] of [["mouseenter", true], ["mouseleave", false], ["focus", true], ["blur", false]]) {
      button.addEventListener(event, () => onPick(index, on));
    }
    button.addEventListener("click", () => onPick(index, "open"));
    return el("li", { "data-rank": pick.rank }, button);
  });
  list.replaceChildren(...(items.length ? items : [el("li", { class: "pl-none" }, noneText)]));
  return items.map((li) => li.firstChild);
}
