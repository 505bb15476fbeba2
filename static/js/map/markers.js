/* Yuren Map (育人地图): the markers of the map's layers, one look whoever clusters them.
 *
 * A feature is a pin in its layer's colour; a cluster is its count in a ring of the layers'
 * colours, each layer's arc its share of the cluster, named ("广陵区附近 671 处") so that a tab stop
 * says what it is. The browser's clusters (leaflet.markercluster, layers.js) and the server's
 * (/api/clusters, serverview.js) draw with these.
 */
import { featureAt } from "../shared/boundaries.js";
import { color } from "../shared/dom.js";
import { featurePopup } from "../shared/popup.js";

const pins = new Map();

/** A layer's pin (one icon for all its markers). */
function pinIcon(layer) {
  if (!pins.has(layer.id)) {
    // Leaflet writes a DivIcon's html string into the icon; the colour is checked by color().
    pins.set(layer.id, L.divIcon({ className: "ym-pin", html: `<span style="--c:${color(layer.color)}"></span>`,
      iconSize: [20, 20] }));
  }
  return pins.get(layer.id);
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
function clusterLabel(page, latLng, count) {
  const district = featureAt(page.views.districts || [], latLng);
  const name = district && district.properties.name;
  return name ? page.fmt("cluster_near", { area: name, count }) : page.fmt("cluster_count", { count });
}

/** The icon of a cluster at ``latLng`` of ``perLayer`` features ({layer id: count}). */
export function ringIcon(page, perLayer, latLng) {
  const n = Object.values(perLayer).reduce((a, b) => a + b, 0);
  let from = 0;
  const stops = page.cfg.layers.filter((l) => perLayer[l.id]).map((l) => {
    const to = from + (perLayer[l.id] / n) * 360;
    const stop = `${color(l.color)} ${from.toFixed(1)}deg ${to.toFixed(1)}deg`;
    from = to;
    return stop;
  });
  const size = n < 10 ? 32 : n < 100 ? 38 : n < 1000 ? 44 : 50;
  return new NamedIcon({ className: "ym-cluster", iconSize: [size, size], label: clusterLabel(page, latLng, n),
    html: `<span style="--ring:conic-gradient(${stops.join(",")})"><b>${n}</b></span>` });
}

/** A feature's pin at ``latLng``, its popup loaded when first opened. */
export function featureMarker(page, layer, id, name, latLng) {
  const marker = L.marker(latLng, { icon: pinIcon(layer), title: name || "", riseOnHover: true, ymLayer: layer.id });
  featurePopup(marker, page.api, layer, id, page.popupTexts, page.strings, page.popupExtend, page.popupOptions);
  return marker;
}
