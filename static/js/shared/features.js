/* Yuren Map (育人地图): one feature of a layer (every feature, page by page: api.allFeatures). */

/** The API path of one feature of a layer. */
export function featurePath(layerId, featureId) {
  return `/layers/${encodeURIComponent(layerId)}/features/${encodeURIComponent(featureId)}`;
}

/** Where a point feature is, as a Leaflet LatLng (GeoJSON has lon, lat). */
export function latLngOf(feature) {
  const [lon, lat] = feature.geometry.coordinates;
  return L.latLng(lat, lon);
}
