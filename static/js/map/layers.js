/* Yuren Map (育人地图): the feature layers on the map and their legend.
 *
 * All layers share one cluster group, which keeps clusters from piling on each other; a cluster's
 * ring shows the share of each layer among its markers. A layer's features are loaded the first
 * time its box is ticked and kept for the next time. A region too big to load draws the server's
 * clusters of each view instead (serverview.js).
 */
import { allFeatures, errorText } from "../shared/api.js";
import { color, el } from "../shared/dom.js";
import { latLngOf } from "../shared/features.js";
import { featureMarker, ringIcon } from "./markers.js";
import { createServerView } from "./serverview.js";
import { showToast } from "./toast.js";

/** clusterIcon(cluster) for markerClusterGroup: the ring of its markers' layers. */
function clusterIcon(page) {
  return (cluster) => {
    const perLayer = {};
    for (const marker of cluster.getAllChildMarkers()) {
      perLayer[marker.options.ymLayer] = (perLayer[marker.options.ymLayer] || 0) + 1;
    }
    return ringIcon(page, perLayer, cluster.getLatLng());
  };
}

/** The markers' views and the legend control, added to the map: {clusters, server, relabel, legend}:
 * the browser's cluster group, or (config "clusters": "server") the server's clusters of each view. */
export function createLayerViews(page) {
  const server = page.cfg.clusters === "server" ? createServerView(page) : null;
  const clusters = server ? null : L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false,
    maxClusterRadius: 56, spiderfyOnMaxZoom: true, disableClusteringAtZoom: 17, iconCreateFunction: clusterIcon(page) })
    .addTo(page.map);
  // Clusters are named after the district they lie in: once the districts are in, again.
  const relabel = server ? server.relabel : () => clusters.refreshClusters();
  const legend = L.control({ position: "bottomright" });
  legend.onAdd = () => el("details", { class: "ym-legend", open: !page.phone.matches },
    el("summary", {}, page.strings.legend), el("div", { class: "ym-legend-rows" }));
  legend.addTo(page.map);
  L.DomEvent.disableClickPropagation(legend.getContainer());
  return { clusters, server, relabel, legend };
}

async function loadMarkers(page, layer) {
  const markers = [];
  for (const feature of await allFeatures(page.cfg.api, layer.id, page.apiParams)) {
    if (!feature.geometry || feature.geometry.type !== "Point") continue;
    markers.push(featureMarker(page, layer, feature.id, feature.properties.name, latLngOf(feature)));
    if (feature.properties.generated) page.state.layers.generated = true;
  }
  return markers;
}

/** Show or hide the layer of a layer box as it is ticked, loading its markers the first time. */
export async function followBox(page, input) {
  const { state, views } = page;
  const id = input.value;
  if (views.server) { // the server draws what the view holds of the ticked layers
    if (input.checked) state.layers.shown.add(id);
    else state.layers.shown.delete(id);
    views.server.refresh();
    page.render();
    return;
  }
  if (!views.markers.has(id)) {
    state.layers.loading.add(id);
    page.render();
    views.markers.set(id, loadMarkers(page, page.layerInfo[id]).finally(() => state.layers.loading.delete(id)));
  }
  const loading = views.markers.get(id);
  let markers;
  try {
    markers = await loading;
  } catch (err) {
    input.checked = false;
    // Every box change waiting on the same load sees the failure; one forgets it and says so.
    if (views.markers.get(id) === loading) {
      views.markers.delete(id);
      showToast(page, page.fmt("load_failed", { message: errorText(err, page.fmt) }));
    }
    page.render();
    return;
  }
  // The box may have changed while the layer loaded: follow what it says now.
  const { shown } = state.layers;
  if (input.checked && !shown.has(id)) {
    views.clusters.addLayers(markers);
    shown.add(id);
  } else if (!input.checked && shown.has(id)) {
    views.clusters.removeLayers(markers);
    shown.delete(id);
  }
  page.render();
}

/** The layer boxes of the panel: each follows its box, and the ticked ones load now. */
export function wireLayers(page) {
  for (const input of page.dom.layerBoxes) {
    input.addEventListener("change", () => followBox(page, input));
    if (input.checked) followBox(page, input);
  }
}

export function renderLayers(page) {
  const { shown, loading, generated } = page.state.layers;
  for (const input of page.dom.layerBoxes) {
    input.closest("label").classList.toggle("is-loading", loading.has(input.value));
  }
  // Busy while markers load: assistive technology waits, and so do the benchmarks (bench/map_scale.py).
  page.mapBox.setAttribute("aria-busy", String(loading.size > 0 || Boolean(page.views.server?.busy)));
  page.dom.demoNote.hidden = !generated;
  const box = page.views.legend.getContainer();
  const rows = page.cfg.layers.filter((l) => shown.has(l.id));
  box.querySelector(".ym-legend-rows").replaceChildren(...rows.map((l) =>
    el("div", { class: "ym-legend-row", "--c": color(l.color) }, el("span", { class: "ym-dot", "aria-hidden": "true" }),
      l.title)));
  box.hidden = !shown.size;
}
