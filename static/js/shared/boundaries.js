/* Yuren Map (育人地图): the boundary layers (districts) drawn under a page's map.
 *
 * Without tiles the boundaries are the base map, filled and named; over tiles they are outlines.
 * The page chooses the look (``style``) and whether to name them (``labelPane``).
 */
import { el } from "./dom.js";
import { allFeatures } from "./features.js";

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

/** Where to put a district's name: the centroid of its largest polygon's outer ring (a LatLng), or null. */
export function labelPoint(geometry) {
  const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
  let best = null;
  for (const polygon of polygons) {
    const c = centroid(polygon[0]);
    if (c && (!best || c.area > best.area)) best = c;
  }
  return best && L.latLng(best.lat, best.lon);
}

/**
 * Draw every feature of the layers ``layerIds`` on ``map``, behind the other layers of ``pane``,
 * and resolve to the features drawn (GeoJSON, in the CRS ``api`` asks for).
 *
 * ``options``: ``pane``, ``style`` (Leaflet path options), ``attribution``, ``renderer``,
 * ``labelPane`` (put each feature's ``name`` there; no names without it) and ``onError(err, layerId)``
 * (called for a layer that failed to load, the others are still drawn; without it the error rejects).
 */
export async function drawBoundaries(map, api, layerIds, options) {
  const drawn = [];
  for (const layerId of layerIds) {
    let features;
    try {
      features = await allFeatures(api, layerId);
    } catch (err) {
      if (!options.onError) throw err;
      options.onError(err, layerId);
      continue;
    }
    const shapes = L.geoJSON(features, {
      pane: options.pane, interactive: false, attribution: options.attribution, style: options.style,
      ...(options.renderer && { renderer: options.renderer }),
    }).addTo(map);
    if (options.labelPane) {
      for (const feature of features) {
        const at = labelPoint(feature.geometry);
        if (at && feature.properties.name) {
          L.tooltip({ pane: options.labelPane, permanent: true, direction: "center", className: "ym-district-label",
            interactive: false }).setLatLng(at).setContent(el("span", {}, feature.properties.name)).addTo(map);
        }
      }
    }
    shapes.bringToBack();
    drawn.push(...features);
  }
  return drawn;
}
