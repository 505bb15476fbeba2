/* Yuren Map (育人地图): the map's layers as the server clusters them, for a region too big to load.
 *
 * Where the map's point layers hold more features than the page loads at once (config "clusters":
 * "server"), each view asks /api/clusters for its clusters and the features alone in their cell
 * (every feature in view at street zoom) and draws only those. Markers that stay are kept, so a
 * pan moves nothing that did not change, and an open popup or a drag survives the redraw. A
 * cluster's click zooms to its features' box.
 */
import { errorText } from "../shared/api.js";
import { featureMarker, ringIcon } from "./markers.js";
import { showToast } from "./toast.js";

// The view asked for reaches this share beyond each side of the screen: a short pan needs no wait.
const PAD = 0.25;

/** The view's layer group and its drawn markers by key; ``refresh`` redraws the view. */
export function createServerView(page) {
  const group = L.layerGroup().addTo(page.map);
  const view = { group, drawn: new Map(), asked: 0, due: false, busy: false };
  // Changes in one turn (every layer box at the start, a preset's boxes) make one request.
  view.refresh = () => {
    view.busy = true; // the map is aria-busy until the answer is drawn
    page.mapBox.setAttribute("aria-busy", "true");
    if (view.due) return;
    view.due = true;
    setTimeout(() => {
      view.due = false;
      refresh(page, view);
    }, 0);
  };
  view.relabel = () => {
    for (const marker of view.drawn.values()) {
      if (marker.options.ymCounts) marker.setIcon(ringIcon(page, marker.options.ymCounts, marker.getLatLng()));
    }
  };
  page.map.on("moveend", view.refresh);
  return view;
}

function viewBox(map) {
  const box = map.getBounds().pad(PAD);
  const clamp = (v, low, high) => Math.min(high, Math.max(low, v));
  return [clamp(box.getWest(), -180, 180), clamp(box.getSouth(), -85, 85), clamp(box.getEast(), -180, 180),
    clamp(box.getNorth(), -85, 85)].map((v) => v.toFixed(6)).join(",");
}

function clusterMarker(page, cluster) {
  const latLng = L.latLng(cluster.lat, cluster.lon);
  const marker = L.marker(latLng, { icon: ringIcon(page, cluster.counts, latLng), ymCounts: cluster.counts,
    keyboard: true });
  marker.on("click", () => {
    const [w, s, e, n] = cluster.bbox;
    const bounds = L.latLngBounds([[s, w], [n, e]]);
    // The box of its features, and at least one step in (two for features on one spot).
    const fits = w === e && s === n ? page.map.getZoom() + 2 : page.map.getBoundsZoom(bounds, false, L.point(48, 48));
    const zoom = Math.min(page.map.getMaxZoom(), Math.max(fits, page.map.getZoom() + 1));
    page.map.setView(bounds.getCenter(), zoom);
  });
  return marker;
}

async function refresh(page, view) {
  const shown = [...page.state.layers.shown];
  const asked = ++view.asked;
  let answer = { clusters: [], features: [] };
  const zoom = Math.round(page.map.getZoom());
  if (shown.length) {
    try {
      answer = await page.api("/clusters", { layers: shown.join(","), bbox: viewBox(page.map), zoom });
    } catch (err) {
      if (asked === view.asked) {
        view.busy = false;
        showToast(page, page.fmt("load_failed", { message: errorText(err, page.fmt) }));
        page.render();
      }
      return;
    }
  }
  if (asked !== view.asked) return; // a later view is on its way
  const wanted = new Map();
  for (const c of answer.clusters) {
    const layers = Object.keys(c.counts).sort().map((id) => `${id}=${c.counts[id]}`).join("&");
    wanted.set(`c/${zoom}/${c.lon.toFixed(6)}/${c.lat.toFixed(6)}/${layers}`, () => clusterMarker(page, c));
  }
  for (const f of answer.features) {
    if (f.generated) page.state.layers.generated = true;
    wanted.set(`f/${f.layer}/${f.id}`, () => featureMarker(page, page.layerInfo[f.layer], f.id, f.name,
      L.latLng(f.lat, f.lon)));
  }
  for (const [key, marker] of view.drawn) {
    // A feature whose popup is open (or that is being moved) stays until it is closed.
    if (!wanted.has(key) && !(marker.isPopupOpen && marker.isPopupOpen())) {
      view.group.removeLayer(marker);
      view.drawn.delete(key);
    }
  }
  for (const [key, make] of wanted) {
    if (!view.drawn.has(key)) view.drawn.set(key, make().addTo(view.group));
  }
  view.busy = false;
  page.render();
}
