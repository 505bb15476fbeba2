/* Yuren Map (育人地图): "where am I": the browser's location as the search's centre.
 *
 * The location is WGS 84 whatever the map's tiles are, so the search says so (point_crs) and
 * takes the centre the API answers with.
 */
import { setCentre } from "./search.js";

const POSITION_OPTIONS = { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 };
// GeolocationPositionError's codes: the browser's own message is in its language, not the page's.
const PERMISSION_DENIED = 1;
const TIMEOUT = 3;

/** Ask the browser where it is, then search from there; the status says how it went. */
export function locate(page) {
  const { state } = page;
  const S = page.strings;
  if (!navigator.geolocation) {
    state.notice = { text: S.locate_unsupported };
    page.render();
    return;
  }
  state.notice = { text: S.locating };
  state.locating = true;
  page.render();
  navigator.geolocation.getCurrentPosition((position) => {
    state.locating = false;
    setCentre(page, [position.coords.latitude, position.coords.longitude], S.search_from_location, "wgs84");
  }, (error) => {
    state.locating = false;
    const text = error.code === PERMISSION_DENIED ? S.locate_denied
      : error.code === TIMEOUT ? S.locate_timeout : S.locate_unavailable;
    state.notice = { text, error: true };
    page.render();
  }, POSITION_OPTIONS);
}

export function wireLocate(page) {
  page.dom.locate.addEventListener("click", () => locate(page));
}

export function renderLocate(page) {
  page.dom.locate.disabled = page.state.locating;
}
