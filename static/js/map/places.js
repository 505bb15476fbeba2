/* Yuren Map (育人地图): the place search, a combobox over /api/places (features by name).
 *
 * Typing lists matches after a pause; arrow keys move through them, Enter takes the one marked
 * (or the first), and the nearby search starts there.
 */
import { errorText } from "../shared/api.js";
import { el } from "../shared/dom.js";
import { setCentre } from "./search.js";

const TYPING_PAUSE_MS = 250;
// Long enough for a click on a listed place to land before the list closes on blur.
const BLUR_CLOSE_MS = 150;

function closePlaces(page) {
  Object.assign(page.state.places, { open: false, active: -1 });
  page.render();
}

function choosePlace(page, place) {
  page.dom.placeInput.value = place.name;
  closePlaces(page);
  setCentre(page, [place.lat, place.lon], page.fmt("search_from_place", { value: place.name }));
}

/** Ask for the places matching the input; resolves to them ([] for none, an empty input, a failure). */
async function findPlaces(page) {
  const places = page.state.places;
  const q = page.dom.placeInput.value.trim();
  const seq = ++places.seq;
  if (!q) {
    closePlaces(page);
    return [];
  }
  let found = [];
  let error = null;
  try {
    found = (await page.api("/places", { q, limit: 10 })).places || [];
  } catch (err) {
    error = errorText(err, page.fmt);
  }
  if (seq === places.seq) {
    Object.assign(places, { found, error, open: true, active: -1 });
    page.render();
  }
  return found;
}

export function wirePlaces(page) {
  const { placeForm, placeInput } = page.dom;
  const places = page.state.places;
  let typing = null;
  placeInput.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => findPlaces(page), TYPING_PAUSE_MS);
  });
  placeInput.addEventListener("keydown", (event) => {
    if (!places.open || !places.found.length) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      places.active = (places.active + step + places.found.length) % places.found.length;
      page.render();
    } else if (event.key === "Escape") {
      closePlaces(page);
    }
  });
  placeInput.addEventListener("blur", () => setTimeout(() => closePlaces(page), BLUR_CLOSE_MS));
  placeForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearTimeout(typing);
    if (places.open && places.found[places.active]) {
      choosePlace(page, places.found[places.active]);
      return;
    }
    const found = await findPlaces(page);
    if (found.length) choosePlace(page, found[0]);
  });
}

function placeItems(page) {
  const { found, error } = page.state.places;
  if (error) return [el("li", { class: "ym-place-none" }, error)];
  if (!found.length) return [el("li", { class: "ym-place-none" }, page.strings.place_none)];
  // Grouped as the server orders them (townships and streets, roads, then each layer's features).
  const items = [];
  found.forEach((place, index) => {
    if (index === 0 || found[index - 1].group !== place.group) {
      items.push(el("li", { class: "ym-place-group", role: "presentation" }, place.group));
    }
    const li = el("li", { id: `ym-place-${index}`, role: "option", class: "ym-place", "aria-selected": "false",
      "data-index": index },
      el("span", { class: "ym-place-name" }, place.name),
      el("span", { class: "ym-place-layer" }, place.layer_title || ""),
      place.note ? el("span", { class: "ym-place-note" }, place.note) : null);
    // Keep the focus in the input, so that its blur does not close the list under the click.
    li.addEventListener("mousedown", (event) => event.preventDefault());
    li.addEventListener("click", () => choosePlace(page, place));
    items.push(li);
  });
  return items;
}

export function renderPlaces(page) {
  const { dom, views } = page;
  const { found, error, open, active } = page.state.places;
  if (views.drawnPlaces !== found || views.drawnPlaceError !== error) {
    views.drawnPlaces = found;
    views.drawnPlaceError = error;
    dom.placeList.replaceChildren(...placeItems(page));
  }
  dom.placeList.hidden = !open;
  dom.placeInput.setAttribute("aria-expanded", String(open));
  for (const li of dom.placeList.querySelectorAll(".ym-place")) {
    li.setAttribute("aria-selected", String(Number(li.dataset.index) === active));
  }
  if (open && active >= 0) dom.placeInput.setAttribute("aria-activedescendant", `ym-place-${active}`);
  else dom.placeInput.removeAttribute("aria-activedescendant");
}
