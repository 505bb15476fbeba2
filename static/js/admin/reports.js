/* Yuren Map (育人地图): the admin's open error reports (/admin/reports) on a small map, each marker
 * numbered like its entry in the list; clicking one scrolls to the entry. */
const cfg = JSON.parse(document.getElementById("ym-reports-config").textContent);
const box = document.getElementById("ym-reports-map");
const placed = cfg.reports.filter((r) => r.position);
if (placed.length) {
  const map = L.map(box, { attributionControl: false });
  const markers = placed.map((r) => L.circleMarker([r.position[1], r.position[0]], { radius: 8, color: "#b91c1c" })
    .bindTooltip(r.name || String(r.id)).on("click", () => {
      const entry = document.querySelector(`[data-report="${r.id}"]`);
      if (entry) entry.scrollIntoView({ behavior: "smooth", block: "center" });
    }).addTo(map));
  map.fitBounds(L.featureGroup(markers).getBounds().pad(0.3), { maxZoom: 15 });
} else {
  box.hidden = true;
}
