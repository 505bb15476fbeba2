/* /ogc items and item pages: the features of the page on a small Leaflet map (no base tiles, so
   nothing leaves the app), each drawn as a circle or outline; the table beside it is the server's. */
const config = JSON.parse(document.getElementById("ym-ogc-config").textContent);

export function drawFeatures(node, features) {
  const map = L.map(node, { attributionControl: false }); // eslint-disable-line no-undef
  const layer = L.geoJSON({ type: "FeatureCollection", features }, { // eslint-disable-line no-undef
    pointToLayer: (feature, latlng) => L.circleMarker(latlng, { radius: 5, weight: 1 }), // eslint-disable-line no-undef
    style: () => ({ weight: 1, fillOpacity: 0.2 }),
  }).addTo(map);
  const bounds = layer.getBounds();
  if (bounds.isValid()) {
    map.fitBounds(bounds, { maxZoom: 15, padding: [16, 16] });
  } else {
    map.setView([0, 0], 1);
  }
  return map;
}

drawFeatures(document.getElementById("ym-ogc-map"), config.features);
