/* The base map's street tiles, watched: when none has loaded after a few seconds (offline, the
 * provider blocked or its key refused), the page drops them, falls back to its offline base (the
 * district boundaries and names) and says so in the attribution line. */

/** How long a page waits for its first tile before it falls back. */
export const TILE_PATIENCE_MS = 4000;
// Failed tiles in a row, with none loaded, after which there is no point in waiting longer.
const FAILURES_TO_GIVE_UP = 6;

/** Watch the tile layers of ``map``; ``fallBack()`` runs once if they do not load (and they are
 * removed). Resolves to true when the tiles loaded, false when the page fell back or has none. */
export function watchTiles(map, fallBack, patience = TILE_PATIENCE_MS) {
  const tiles = [];
  map.eachLayer((layer) => { if (layer instanceof L.TileLayer) tiles.push(layer); });
  if (!tiles.length) return Promise.resolve(false);
  return new Promise((resolve) => {
    let failures = 0;
    let settled = false;
    const give = () => {
      if (settled) return;
      settled = true;
      for (const layer of tiles) map.removeLayer(layer);
      fallBack();
      resolve(false);
    };
    tiles[0].on("tileload", () => {
      if (!settled) {
        settled = true;
        resolve(true);
      }
    });
    tiles[0].on("tileerror", () => {
      failures += 1;
      if (failures >= FAILURES_TO_GIVE_UP) give();
    });
    setTimeout(give, patience);
  });
}
