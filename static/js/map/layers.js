/* Yuren Map (育人地图): the feature layers on the map and their legend.
 *
 * All layers share one cluster group, which keeps clusters from piling on each other; a cluster's
 * ring shows the share of each layer among its markers. A layer's features are loaded the first
 * time its box is ticked and kept for the next time.
 */
import { allFeatures, errorText } from "../shared/api.js";
import { featureAt } from "../shared/boundaries.js";
import { color, el } from "../shared/dom.js";
import { latLngOf } from "../shared/features.js";
import { featurePopup } from "../shared/popup.js";
import { showToast } from "./toast.js";

function pinIcon(layer) {
  // Leaflet writes a DivIcon's html string into the icon; the colour is checked by color().
  return L.divIcon({ className: "ym-pin", html: `<span style="--c:${color(layer.color)}"></span>`, iconSize: [20, 20] });
}

/** A DivIcon whose element is named (``label``): a cluster is a tab stop, and a number alone says nothing. */
const NamedIcon = L.DivIcon.extend({
  createIcon(oldIcon) {
    const div = L.DivIcon.prototype.createIcon.call(this, oldIcon);
    div.setAttribute("aria-label", this.options.label);
    div.title = this.options.label;
    return div;
  },
});

/** A cluster's name: "广陵区附近 671 处", or "671 处" where no district holds it (or none is loaded yet). */
function clusterLabel(page, cluster, count) {
  const district = featureAt(page.views.districts || [], cluster.getLatLng());
  const name = district && district.properties.name;
  return name ? page.fmt("cluster_near", { area: name, count }) : page.fmt("cluster_count", { count });
}

/** clusterIcon(cluster) for markerClusterGroup: a ring of the ``layers``' colours around the count. */
function clusterIcon(page, layers) {
  return (cluster) => {
    const children = cluster.getAllChildMarkers();
    const perLayer = {};
    for (const marker of children) perLayer[marker.options.ymLayer] = (perLayer[marker.options.ymLayer] || 0) + 1;
    let from = 0;
    const stops = layers.filter((l) => perLayer[l.id]).map((l) => {
      const to = from + (perLayer[l.id] / children.length) * 360;
      const stop = `${color(l.color)} ${from.toFixed(1)}deg ${to.toFixed(1)}deg`;
      from = to;
      return stop;
    });
    const n = children.length;
    const size = n < 10 ? 32 : n < 100 ? 38 : n < 1000 ? 44 : 50;
    return new NamedIcon({ className: "ym-cluster", iconSize: [size, size], label: clusterLabel(page, cluster, n),
      html: `<span style="--ring:conic-gradient(${stops.join(",")})"><b>${n}</b></span>` });
  };
}

/** The cluster group and the legend control, added to the map: {clusters, legend}. */
export function createLayerViews(page) {
  const clusters = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 56,
    spiderfyOnMaxZoom: true, disableClusteringAtZoom: 17, iconCreateFunction: clusterIcon(page, page.cfg.layers) })
    .addTo(page.map);
  const legend = L.control({ position: "bottomright" });
  legend.onAdd = () => el("details", { class: "ym-legend", open: !page.phone.matches },
    el("summary", {}, page.strings.legend), el("div", { class: "ym-legend-rows" }));
  legend.addTo(page.map);
  L.DomEvent.disableClickPropagation(legend.getContainer());
  return { clusters, legend };
}

async function loadMarkers(page, layer) {
  const icon = pinIcon(layer);
  const texts = page.popupTexts;
  const markers = [];
  for (const feature of await allFeatures(page.cfg.api, layer.id, page.apiParams)) {
    if (!feature.geometry || feature.geometry.type !== "Point") continue;
    const marker = L.marker(latLngOf(feature), { icon, title: feature.properties.name || "", riseOnHover: true,
      ymLayer: layer.id });
    featurePopup(marker, page.api, layer, feature.id, texts, page.strings, page.popupExtend, page.popupOptions);
    markers.push(marker);
    if (feature.properties.generated) page.state.layers.generated = true;
  }
  return markers;
}

/** Show or hide the layer of a layer box as it is ticked, loading its markers the first time. */
export async function followBox(page, input) {
  const { state, views } = page;
  const id = input.value;
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
  page.dom.demoNote.hidden = !generated;
  const box = page.views.legend.getContainer();
  const rows = page.cfg.layers.filter((l) => shown.has(l.id));
  box.querySelector(".ym-legend-rows").replaceChildren(...rows.map((l) =>
    el("div", { class: "ym-legend-row", "--c": color(l.color) }, el("span", { class: "ym-dot", "aria-hidden": "true" }),
      l.title)));
  box.hidden = !shown.size;
}
