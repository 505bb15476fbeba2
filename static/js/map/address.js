/* Yuren Map (育人地图): the page's state in its address, so that a search can be shared, bookmarked,
 * gone back to, and survives a switch of language.
 *
 * The address holds the search point (lat, lon, in the map's CRS, and ``near``, its name in words),
 * the filters (filters.js: layers, r, category, free_only, grade, open, at), the one-tap search
 * (preset), the open place (place=layer:id) and the language. A new search point is a new history
 * entry; a changed filter or an opened place replaces the current one. Nothing of it is sent to the
 * server but the search itself.
 */
import { formState, setFormState } from "./filters.js";
import { followBox } from "./layers.js";
import { searchFrom } from "./search.js";

const POINT_DECIMALS = 6;

/** The address of the page as it is now. */
export function currentAddress(page) {
  const { search } = page.state;
  const params = new URLSearchParams();
  if (search.center && !search.pointCrs) {
    params.set("lat", search.center.lat.toFixed(POINT_DECIMALS));
    params.set("lon", search.center.lng.toFixed(POINT_DECIMALS));
    if (search.label && search.label !== page.strings.search_from_click) params.set("near", search.label);
  }
  for (const [name, value] of Object.entries(formState(page.dom.filters))) if (value) params.set(name, value);
  if (page.state.preset) params.set("preset", page.state.preset);
  if (page.state.openPlace) params.set("place", page.state.openPlace);
  if (page.cfg.lang === "en") params.set("lang", "en");
  return params;
}

function href(params) {
  const query = params.toString();
  return `${window.location.pathname}${query ? `?${query}` : ""}`;
}

/** Write the page's state into the address (``push``: as a new history entry), and point the
 * language switch at the same state in the other language. */
export function saveAddress(page, { push = false } = {}) {
  const params = currentAddress(page);
  const url = href(params);
  if (url !== `${window.location.pathname}${window.location.search}`) {
    window.history[push ? "pushState" : "replaceState"](null, "", url);
  }
  const other = new URLSearchParams(params);
  if (page.cfg.lang === "en") other.set("lang", "zh");
  else other.set("lang", "en");
  other.delete("near"); // the place's name is in the page's language; the other page says its own
  page.dom.langLink.href = href(other);
}

/** Set the page to the state of its address (on load and on back/forward). */
export function applyAddress(page) {
  const params = new URLSearchParams(window.location.search);
  const toggled = setFormState(page.dom.filters, page.dom.customTime, page.layerInfo, params);
  for (const input of toggled) followBox(page, input);
  page.state.preset = params.get("preset");
  page.state.openPlace = params.get("place");
  const lat = Number(params.get("lat"));
  const lon = Number(params.get("lon"));
  if (params.has("lat") && params.has("lon") && Number.isFinite(lat) && Number.isFinite(lon)
      && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
    searchFrom(page, L.latLng(lat, lon), params.get("near") || page.strings.search_from_click);
  } else {
    const { search } = page.state;
    search.seq += 1; // an answer still on its way is no longer wanted
    Object.assign(search, { center: null, busy: false, answer: null, failure: null });
    page.render();
  }
}

export function wireAddress(page) {
  window.addEventListener("popstate", () => applyAddress(page));
  page.dom.share.addEventListener("click", async () => {
    const url = window.location.href;
    try {
      if (navigator.share && page.phone.matches) await navigator.share({ title: document.title, url });
      else await navigator.clipboard.writeText(url);
      page.state.shared = page.strings.share_copied;
    } catch (err) {
      // No clipboard (an insecure origin, a refused permission): show the address to copy by hand.
      page.state.shared = page.fmt("share_manual", { url });
    }
    page.render();
  });
}

export function renderAddress(page) {
  const { share, shareNote } = page.dom;
  share.hidden = !page.state.search.center;
  shareNote.textContent = page.state.shared || "";
  shareNote.hidden = !page.state.shared;
}
