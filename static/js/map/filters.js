/* Yuren Map (育人地图): the filters form as the nearby search's query, and one-tap presets on it.
 *
 * The form is the filters' state: it is what the user edits, and a search reads it when it starts.
 */

function pad(n) {
  return String(n).padStart(2, "0");
}

/** "2026-05-12T10:00:00", with the browser's UTC offset appended when ``withOffset``. */
function localIso(date, withOffset) {
  const text = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:00`;
  if (!withOffset) return text;
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  return `${text}${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
}

/** "open at" as ISO: now (with the browser's offset, it is an instant) or a wall-clock time, which
 * the API reads as China local time (Saturday 10:00, a chosen time). */
function openAt(form) {
  const choice = form.elements.open.value;
  const now = new Date();
  if (choice === "now") return localIso(now, true);
  if (choice === "saturday") {
    let days = (6 - now.getDay() + 7) % 7;
    if (days === 0 && now.getHours() >= 10) days = 7;
    const saturday = new Date(now.getFullYear(), now.getMonth(), now.getDate() + days, 10, 0);
    return localIso(saturday, false);
  }
  if (choice === "custom") {
    const value = form.elements.open_custom.value;
    return value ? (value.length === 16 ? `${value}:00` : value) : null;
  }
  return null;
}

function chosenLayers(form) {
  return [...form.querySelectorAll("input[name=layers]:checked")].map((i) => i.value);
}

/** Disable the filters that none of the chosen layers has (``layerInfo[id].filters``, from the
 * server: a category for venues only, opening hours for layers that record them), so that a filter
 * left from other layers neither errs nor empties the answer. */
export function syncFilters(form, layerInfo) {
  const chosen = chosenLayers(form);
  for (const box of form.querySelectorAll("[data-filter]")) {
    const applies = chosen.some((id) => (layerInfo[id].filters || []).includes(box.dataset.filter));
    box.classList.toggle("is-disabled", !applies);
    for (const field of box.querySelectorAll("select, input")) field.disabled = !applies;
  }
}

/** The /api/nearby parameters the form asks for (all but the point); ``layers`` is "" when none is
 * ticked; a disabled filter is left out. */
export function filterParams(form, limit) {
  const fields = form.elements;
  return {
    layers: chosenLayers(form).join(","),
    radius: fields.radius.value,
    category: fields.category && !fields.category.disabled ? fields.category.value : null,
    free: fields.free.checked ? "true" : null,
    grade: fields.grade.value === PRESCHOOL ? null : fields.grade.value,
    preschool: fields.grade.value === PRESCHOOL ? "true" : null,
    open_at: fields.open.disabled ? null : openAt(form),
    limit,
  };
}

/** The chosen-time field shows only for "open at a time I choose", starting at now. */
function followOpenChoice(form, customTime) {
  const custom = form.elements.open.value === "custom";
  customTime.hidden = !custom;
  if (custom && !form.elements.open_custom.value) form.elements.open_custom.value = localIso(new Date(), false).slice(0, 16);
}

/** Call ``changed(name)`` with the field's name whenever a filter changes. */
export function wireFilters(form, customTime, layerInfo, changed) {
  syncFilters(form, layerInfo);
  form.addEventListener("change", (event) => {
    if (event.target.name === "open") followOpenChoice(form, customTime);
    if (event.target.name === "layers") syncFilters(form, layerInfo);
    changed(event.target.name);
  });
  form.addEventListener("submit", (event) => event.preventDefault());
}

const ALL_LAYERS = "";
// The grade choice of a preschool child (ages 3-6), asked of the API as preschool=true.
const PRESCHOOL = "preschool";
const NO_LAYER = "none";

/** The filters as the page's address holds them (address.js), each left out while it is as the
 * page starts: layers (ids, "none"), r (metres), category, free_only, grade, open (now, saturday,
 * custom) and at (the custom time). */
export function formState(form) {
  const fields = form.elements;
  const boxes = [...form.querySelectorAll("input[name=layers]")];
  const chosen = chosenLayers(form);
  const changed = (select) => !select.options[select.selectedIndex].defaultSelected;
  return {
    layers: chosen.length === boxes.length ? ALL_LAYERS : (chosen.join(",") || NO_LAYER),
    r: changed(fields.radius) ? fields.radius.value : "",
    category: fields.category ? fields.category.value : "",
    free_only: fields.free.checked ? "true" : "",
    grade: fields.grade.value,
    open: fields.open.value,
    at: fields.open.value === "custom" ? fields.open_custom.value : "",
  };
}

/** Set the filters to ``params`` (URLSearchParams of :func:`formState`'s names; a name left out is
 * the page's start); returns the layer boxes whose ticks changed. A value the form does not offer
 * leaves the field as the page starts. */
export function setFormState(form, customTime, layerInfo, params) {
  const fields = form.elements;
  const wanted = params.get("layers");
  const ids = wanted === null || wanted === ALL_LAYERS ? null : wanted.split(",");
  const toggled = [];
  for (const input of form.querySelectorAll("input[name=layers]")) {
    const on = ids === null || ids.includes(input.value);
    if (input.checked !== on) toggled.push(input);
    input.checked = on;
  }
  const choose = (select, value) => {
    const option = [...select.options].find((o) => o.value === value);
    select.value = option ? value : [...select.options].find((o) => o.defaultSelected)?.value ?? select.options[0].value;
  };
  choose(fields.radius, params.get("r") || "");
  if (fields.category) choose(fields.category, params.get("category") || "");
  choose(fields.grade, params.get("grade") || "");
  choose(fields.open, params.get("open") || "");
  fields.free.checked = params.get("free_only") === "true";
  fields.open_custom.value = params.get("at") || "";
  followOpenChoice(form, customTime);
  syncFilters(form, layerInfo);
  return toggled;
}

/** Set every filter of a preset (the template's data-preset: layers, category, free_only, open,
 * radius); the filters it does not name are cleared (no grade left from an earlier search). The
 * layer boxes are returned whose ticks changed (their layers are shown or hidden to match). */
export function applyPreset(form, customTime, layerInfo, preset) {
  const fields = form.elements;
  const changed = [];
  for (const input of form.querySelectorAll("input[name=layers]")) {
    const on = preset.layers.includes(input.value);
    if (input.checked !== on) changed.push(input);
    input.checked = on;
  }
  if (fields.category) fields.category.value = preset.category;
  fields.free.checked = preset.free_only;
  fields.grade.value = "";
  fields.open.value = preset.open;
  fields.open_custom.value = "";
  fields.radius.value = String(preset.radius);
  followOpenChoice(form, customTime);
  syncFilters(form, layerInfo);
  return changed;
}
