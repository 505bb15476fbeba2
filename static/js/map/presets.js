/* Yuren Map (育人地图): one-tap searches (layers/presets.toml): set the filters, then search from
 * the point already chosen or, with none yet, from the browser's location. */
import { applyPreset } from "./filters.js";
import { locate } from "./locate.js";
import { runSearch } from "./search.js";

export function wirePresets(page) {
  for (const button of document.querySelectorAll(".ym-preset")) {
    button.addEventListener("click", () => {
      applyPreset(page.dom.filters, page.dom.customTime, JSON.parse(button.dataset.preset));
      if (page.state.search.center) runSearch(page, { fit: true, reveal: true });
      else locate(page);
    });
  }
}
