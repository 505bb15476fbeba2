/* Yuren Map (育人地图): the small map of a place's page (/place/<layer>/<id>): the place marked, the
 * district boundaries under it as the offline base, the street tiles watched (shared/basemap.js). */
import { watchTiles } from "../shared/basemap.js";
import { drawBoundaries } from "../shared/boundaries.js";
import { formatter } from "../shared/strings.js";
import { reportForm } from "../map/report.js";

const cfg = JSON.parse(document.getElementById("ym-place-config").textContent);
const map = window[cfg.map];
const boundaries = cfg.layers.filter((l) => l.kind === "boundary").map((l) => l.id);
const PLAIN_DISTRICTS = { color: "#94a3b8", weight: 1.2, fillColor: "#fbfaf6", fillOpacity: 1 };
const base = () => drawBoundaries(map, cfg.api, boundaries, { pane: "overlayPane", style: PLAIN_DISTRICTS,
  attribution: cfg.strings.boundaries_attribution, params: { crs: cfg.crs || null } });
L.circleMarker(cfg.point, { radius: 9, color: "#fff", weight: 3, fillColor: "#dc2626", fillOpacity: 1 })
  .bindTooltip(cfg.title, { permanent: true, direction: "top", offset: [0, -10] }).addTo(map);
if (cfg.tiles) {
  watchTiles(map, () => {
    map.attributionControl.addAttribution(cfg.strings.basemap_offline);
    base();
  });
} else {
  base();
}

// "信息有误？": the same error-report form as the map's popups.
document.getElementById("ym-place-report").append(reportForm({ cfg, strings: cfg.strings, fmt: formatter(cfg.strings) },
  { id: cfg.layer_id }, { id: cfg.fid }));
