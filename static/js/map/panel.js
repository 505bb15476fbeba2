/* Yuren Map (育人地图): the panel beside the map, a bottom sheet on phones.
 *
 * On a phone the sheet covers the lower part of the map, so fitted views leave room for it, and
 * opening it scrolls to the results (they sit below the place search and filters).
 */

// The sheet's slide (app.css) ends before Leaflet measures the map again.
const SLIDE_MS = 260;

/** Padding that keeps fitted bounds clear of the bottom sheet on a phone. */
export function fitPadding(page) {
  const sheet = page.phone.matches && page.state.panelOpen ? page.dom.panel.offsetHeight : 0;
  return { paddingTopLeft: [24, 24], paddingBottomRight: [24, 24 + sheet] };
}

/** Bring the search circle into the part of the map left visible. */
export function fitToSearch(page) {
  if (page.views.circle) page.map.fitBounds(page.views.circle.getBounds(), fitPadding(page));
}

/** Scroll the panel so the results are in sight. */
export function scrollToResults(page) {
  const { panel } = page.dom;
  const card = document.querySelector(".ym-results");
  panel.scrollTo({ top: panel.scrollTop + card.getBoundingClientRect().top - panel.getBoundingClientRect().top - 12,
    behavior: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth" });
}

/** Scroll the open panel (only it: scrollIntoView would also scroll the map) to show ``row``. */
export function revealRow(page, row) {
  if (!page.state.panelOpen) return;
  const { panel } = page.dom;
  const r = row.getBoundingClientRect();
  const p = panel.getBoundingClientRect();
  if (r.top < p.top) panel.scrollTop -= p.top - r.top + 8;
  else if (r.bottom > p.bottom) panel.scrollTop += r.bottom - p.bottom + 8;
}

export function setPanel(page, open) {
  page.state.panelOpen = open;
  // On a phone the sheet covers the map, and a popup under it would be panned out of sight.
  if (open && page.phone.matches) page.map.closePopup();
  page.render();
  if (open && page.phone.matches && page.state.search.answer) scrollToResults(page);
  setTimeout(() => {
    page.map.invalidateSize();
    if (open && page.phone.matches) fitToSearch(page);
  }, SLIDE_MS);
}

/** The toggle in the bar; the panel starts open, with the filters unfolded, except on a phone. */
export function wirePanel(page) {
  page.dom.toggle.addEventListener("click", () => setPanel(page, !page.state.panelOpen));
  document.querySelector(".ym-filters").open = !page.phone.matches;
  setPanel(page, !page.phone.matches);
}

export function renderPanel(page) {
  const { toggle } = page.dom;
  const S = page.strings;
  const open = page.state.panelOpen;
  document.body.classList.toggle("ym-panel-open", open);
  toggle.setAttribute("aria-expanded", String(open));
  toggle.querySelector(".ym-toggle-text").textContent = open ? S.panel_close : S.panel_open;
  toggle.querySelector(".ym-toggle-short").textContent = open ? S.panel_close_short : S.panel_open_short;
}
