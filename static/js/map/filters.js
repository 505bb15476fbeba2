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

/** The /api/nearby parameters the form asks for (all but the point); ``layers`` is "" when none is ticked. */
export function filterParams(form, limit) {
  const fields = form.elements;
  const layers = [...form.querySelectorAll("input[name=layers]:checked")].map((i) => i.value);
  return {
    layers: layers.join(","),
    radius: fields.radius.value,
    category: fields.category ? fields.category.value : null,
    free: fields.free.checked ? "true" : null,
    grade: fields.grade.value,
    open_at: openAt(form),
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
export function wireFilters(form, customTime, changed) {
  form.addEventListener("change", (event) => {
    if (event.target.name === "open") followOpenChoice(form, customTime);
    changed(event.target.name);
  });
  form.addEventListener("submit", (event) => event.preventDefault());
}

/** Set every filter of a preset (the template's data-preset: layers, category, free_only, open, radius). */
export function applyPreset(form, customTime, preset) {
  const fields = form.elements;
  for (const input of form.querySelectorAll("input[name=layers]")) input.checked = preset.layers.includes(input.value);
  if (fields.category) fields.category.value = preset.category;
  fields.free.checked = preset.free_only;
  fields.open.value = preset.open;
  if (preset.radius) fields.radius.value = String(preset.radius);
  followOpenChoice(form, customTime);
}
