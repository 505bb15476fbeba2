/* Yuren Map (育人地图): one-tap searches (layers/presets.toml): set every filter, then search from
 * the point already chosen or, with none yet, from the browser's location. The preset stays
 * marked (aria-pressed) until a filter is changed by hand. */
import { applyPreset } from "./filters.js";
import { followBox } from "./layers.js";
import { locate } from "./locate.js";
import { runSearch } from "./search.js";

export function wirePresets(page) {
  for (const button of page.dom.presets) {
    button.addEventListener("click", () => {
      const preset = JSON.parse(button.dataset.preset);
      const toggled = applyPreset(page.dom.filters, page.dom.customTime, page.layerInfo, preset);
      for (const input of toggled) followBox(page, input);
      page.state.preset = preset.id;
      page.state.search.limit = null;
      if (page.state.search.center) runSearch(page, { fit: true, reveal: true });
      else locate(page);
    });
  }
}

export function renderPresets(page) {
  for (const button of page.dom.presets) {
    button.setAttribute("aria-pressed", String(button.id === `ym-preset-${page.state.preset}`));
  }
}
