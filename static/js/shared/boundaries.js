/* District boundaries as the map's base: every feature of the boundary layers, outlined and named. */
import { el } from "./dom.js";
import { allFeatures } from "./api.js";

function centroid(ring) {
  let area = 0, x = 0, y = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const cross = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
    area += cross;
    x += (ring[j][0] + ring[i][0]) * cross;
    y += (ring[j][1] + ring[i][1]) * cross;
  }
  return area ? { area: Math.abs(area / 2), lon: x / (3 * area), lat: y / (3 * area) } : null;
}

/** Where to put a district's name: the centroid of its largest polygon's outer ring. */
export function labelPoint(geometry) {
  const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
  let best = null;
  for (const polygon of polygons) {
    const c = centroid(polygon[0]);
    if (c && (!best || c.area > best.area)) best = c;
  }
  return best && L.latLng(best.lat, best.lon);
}

function inRing(ring, x, y) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** The boundary feature (of ``features``, GeoJSON in the map's CRS) that holds ``latlng``, or null. */
export function featureAt(features, latlng) {
  for (const feature of features) {
    const g = feature.geometry;
    if (!g || (g.type !== "Polygon" && g.type !== "MultiPolygon")) continue;
    const polygons = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
    for (const [outer, ...holes] of polygons) {
      if (inRing(outer, latlng.lng, latlng.lat) && !holes.some((h) => inRing(h, latlng.lng, latlng.lat))) {
        return feature;
      }
    }
  }
  return null;
}

/** Load every boundary feature of ``layerIds`` and draw them on ``map``.
 *
 * options: ``pane`` and ``style`` of the shapes, ``labelPane`` for the names (none: no names),
 * ``attribution``, ``params`` for the API (e.g. crs), ``renderer``. Resolves to the features. */
export async function drawBoundaries(map, apiBase, layerIds, options) {
  const features = [];
  for (const layerId of layerIds) features.push(...await allFeatures(apiBase, layerId, options.params));
  drawBoundaryFeatures(map, features, options);
  return features;
}

/** Draw boundary ``features`` (GeoJSON) on ``map``, with the options of drawBoundaries. */
export function drawBoundaryFeatures(map, features, options) {
  const data = { type: "FeatureCollection", features };
  L.geoJSON(data, { pane: options.pane, interactive: false, attribution: options.attribution, style: options.style,
    renderer: options.renderer }).addTo(map).bringToBack();
  if (options.labelPane) {
    for (const feature of features) {
      const at = labelPoint(feature.geometry);
      if (at && feature.properties.name) {
        L.tooltip({ pane: options.labelPane, permanent: true, direction: "center", className: "ym-district-label",
          interactive: false }).setLatLng(at).setContent(el("span", {}, feature.properties.name)).addTo(map);
      }
    }
  }
}
