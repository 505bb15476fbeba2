/* Yuren Map (育人地图): a passing message over the map (a layer that failed to load). */

const SHOWN_MS = 6000;

/** Show ``message`` for a few seconds; a newer message replaces it and starts the time again. */
export function showToast(page, message) {
  page.state.toast = message;
  clearTimeout(page.views.toastTimer);
  page.views.toastTimer = setTimeout(() => {
    page.state.toast = null;
    page.render();
  }, SHOWN_MS);
  page.render();
}

export function renderToast(page) {
  const box = page.dom.toast;
  if (page.state.toast) box.textContent = page.state.toast;
  box.hidden = !page.state.toast;
}
