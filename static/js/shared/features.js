/* Yuren Map (育人地图): the features of a layer, from /api/layers/{id}/features. */

/** The API's largest page. */
const PAGE_SIZE = 10000;

/** The API path of a layer's features, or of one of them when ``featureId`` is given. */
export function featuresPath(layerId, featureId) {
  const path = `/layers/${encodeURIComponent(layerId)}/features`;
  return featureId === undefined ? path : `${path}/${encodeURIComponent(featureId)}`;
}

/** Every feature of a layer, a page at a time until the API's numberMatched are in. ``api`` is an
 * api.client(); ``params`` go with every page (e.g. crs). */
export async function allFeatures(api, layerId, params) {
  const features = [];
  for (;;) {
    const page = await api(featuresPath(layerId), { ...params, limit: PAGE_SIZE, offset: features.length });
    features.push(...page.features);
    if (!page.features.length || features.length >= page.numberMatched) return features;
  }
}

/** Where a point feature is, as a Leaflet LatLng (GeoJSON has lon, lat). */
export function latLngOf(feature) {
  const [lon, lat] = feature.geometry.coordinates;
  return L.latLng(lat, lon);
}
