/* The planner's form: what it asks, which fields apply, where an error belongs, the links it sets. */
import { queryString } from "../shared/api.js";

function chosenSupply(form) {
  return [...form.querySelectorAll("input[name=supply]:checked")].map((input) => input.value);
}

function reachMode(form) {
  const checked = form.querySelector("input[name=reach]:checked");
  return checked ? checked.value : "radius";
}

/** The optgroups of the supply-level choice whose attribute belongs to a chosen supply layer. */
function usableLevels(form) {
  const supply = chosenSupply(form);
  return [...form.querySelectorAll("select[name=supply_where] optgroup")]
    .filter((group) => group.dataset.layers.split(",").some((id) => supply.includes(id)));
}

/** /api/plan's parameters from the form (what a field that does not apply says is left out). */
export function formParams(form, cfg) {
  const f = form.elements;
  const params = { supply: chosenSupply(form).join(","), demand: f.demand.value };
  const weight = f.weight;
  if (weight && weight.options.length > 1 && weight.selectedIndex > 0) params.weight = weight.value;
  if (reachMode(form) === "minutes") params.minutes = f.minutes.value.trim();
  else params.radius = f.radius.value === "custom" ? f.radius_custom.value.trim() : f.radius.value;
  if (f.district.value) params.district = f.district.value;
  const level = f.supply_where;
  if (level && level.value && usableLevels(form).includes(level.selectedOptions[0].parentElement)) {
    params.supply_where = level.value;
  }
  params.count = f.count.value.trim();
  if (cfg.candidates && cfg.candidates !== "sites") params.candidates = cfg.candidates;
  return params;
}

/** Show the fields that apply to the choices made; the weights offered follow the demand layer. */
export function syncForm(form, cfg) {
  const f = form.elements;
  const minutes = reachMode(form) === "minutes";
  document.getElementById("pl-radius").hidden = minutes;
  document.getElementById("pl-radius-custom").hidden = minutes || f.radius.value !== "custom";
  document.getElementById("pl-minutes").hidden = !minutes;
  document.getElementById("pl-minutes-hint").hidden = !minutes;
  const level = f.supply_where;
  if (level) {
    const usable = usableLevels(form);
    for (const group of level.querySelectorAll("optgroup")) group.disabled = !usable.includes(group);
    level.disabled = !usable.length;
    document.getElementById("pl-supply-where").classList.toggle("is-off", !usable.length);
  }
  const weight = f.weight;
  const offered = (cfg.demand[f.demand.value] || {}).weights || [];
  if (weight && [...weight.options].map((o) => o.value).join() !== offered.map((w) => w.name).join()) {
    weight.replaceChildren(...offered.map((w) => new Option(w.label, w.name)));
  }
  if (weight) document.getElementById("pl-weight-choice").hidden = offered.length < 2;
}

/** Remove the marks of an earlier error. */
export function clearError(form, box) {
  box.hidden = true;
  box.textContent = "";
  for (const node of form.querySelectorAll(".is-invalid")) node.classList.remove("is-invalid");
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
}

/** Say what went wrong next to the form, and mark the field it names. */
export function showError(form, box, text, field) {
  box.textContent = text;
  box.hidden = false;
  const fields = field ? [...form.querySelectorAll(`[data-field="${CSS.escape(field)}"]`)] : [];
  for (const node of fields.filter((n) => !n.hidden)) {
    node.classList.add("is-invalid");
    for (const input of node.querySelectorAll("input, select")) input.setAttribute("aria-invalid", "true");
  }
}

/** Downloads, the report, the language switch and the address bar follow the form. */
export function updateLinks(cfg, params) {
  const query = queryString(params);
  const lang = cfg.lang === "en" ? "&lang=en" : "";
  document.getElementById("pl-xlsx").href = `${cfg.api}/coverage/export?${query}&format=xlsx${lang}`;
  document.getElementById("pl-gpkg").href = `${cfg.api}/coverage/export?${query}&format=gpkg${lang}`;
  document.getElementById("pl-report").href = `${cfg.report}?${query}${lang}`;
  document.getElementById("pl-lang").href = `${location.pathname}?${query}&lang=${cfg.lang === "en" ? "zh" : "en"}`;
  history.replaceState(null, "", `${location.pathname}?${query}${lang}`);
}
