/* Yuren Map (育人地图): popups of features from the API's ``popup`` object.
 *
 * The server writes a popup's texts (title, facts in words, navigation links); the page only lays
 * them out. Lists and searches answer without popups, which are most of their size, so a marker's
 * popup is fetched when it is first opened.
 */
import { color, el } from "./dom.js";
import { featurePath } from "./features.js";

/** ``value`` if it is an http(s) URL, else null: a link from the data must not run script. */
export function safeUrl(value) {
  return /^https?:\/\//i.test(value || "") ? value : null;
}

/** Leaflet popup options: room for the navigation links, and clear of a phone's bottom edge. */
export function popupOptions(overrides) {
  return { maxWidth: 300, minWidth: 220, autoPanPaddingTopLeft: [16, 16], autoPanPaddingBottomRight: [16, 48],
    ...overrides };
}

/**
 * A popup body from the API's ``popup`` object: layer title, name, demo-data note, facts and
 * navigation links. ``layer`` is the page's {title, color} of the feature's layer; ``strings`` the
 * catalogue texts navigate, navigate_amap, navigate_baidu and generated_marker.
 */
export function popupContent(popup, layer, strings) {
  const nav = popup.navigate || {};
  const links = [["amap", strings.navigate_amap], ["baidu", strings.navigate_baidu]]
    .filter(([key]) => safeUrl(nav[key]))
    .map(([key, label]) => el("a", { class: "ym-nav-link", href: safeUrl(nav[key]), target: "_blank",
      rel: "noopener noreferrer" }, label));
  return el("div", { class: "ym-popup", "--c": color(layer.color) },
    el("div", { class: "ym-popup-layer" }, popup.layer_title || layer.title || ""),
    el("h3", { class: "ym-popup-title" }, popup.title || ""),
    popup.generated ? el("p", { class: "ym-generated" }, popup.generated_note || strings.generated_marker) : null,
    (popup.facts || []).length
      ? el("dl", { class: "ym-facts" }, popup.facts.map(([label, text]) => [el("dt", {}, label), el("dd", {}, text)]))
      : null,
    popup.sessions ? sessionList(popup) : null,
    links.length ? el("div", { class: "ym-nav" }, el("span", { class: "ym-nav-label" }, strings.navigate), links) : null,
    popup.page && strings.place_details
      ? el("a", { class: "ym-place-link", href: popup.page }, strings.place_details) : null);
}

/** A practice base's next study-tour sessions and their remaining places (the server's words). */
function sessionList(popup) {
  return el("div", { class: "ym-popup-sessions" }, el("h4", {}, popup.sessions_title),
    popup.sessions.length
      ? el("ul", {}, popup.sessions.map((s) => el("li", {}, `${s.date} ${s.time} · ${s.text}`)))
      : el("p", { class: "ym-hint" }, popup.sessions_none));
}

/**
 * Bind to ``marker`` a popup filled by ``load()`` (resolving to a node) when it is first opened.
 * ``texts``: ``loading`` (shown meanwhile) and ``failed(error)`` (the words shown on failure; the next
 * opening tries again).
 */
export function lazyPopup(marker, load, texts, options) {
  const loading = () => el("div", { class: "ym-popup ym-popup-loading" }, texts.loading);
  let filled = null;
  // Loads the content once (again after a failure); resolves when the popup holds it.
  const fill = () => {
    if (filled) return filled;
    marker.setPopupContent(loading());
    filled = load().then((content) => marker.setPopupContent(content), (err) => {
      marker.setPopupContent(el("div", { class: "ym-popup ym-error" }, texts.failed(err)));
      filled = null;
    });
    return filled;
  };
  marker.bindPopup(loading(), options);
  marker.on("popupopen", () => { fill(); });
  /** The popup's content, loaded before the popup opens (it then pans once, to its full size). */
  marker.ymLoadPopup = fill;
}

/**
 * A lazy popup of the feature ``featureId`` of ``layer`` ({id, title, color}); ``api(path)`` asks the API.
 * ``extend(node, layer, feature, marker)``, when given, adds to the popup (the report form, editing);
 * ``options`` as popupOptions takes them (the page's padding clear of its controls).
 */
export function featurePopup(marker, api, layer, featureId, texts, strings, extend, options) {
  lazyPopup(marker, async () => {
    const feature = await api(featurePath(layer.id, featureId));
    const node = popupContent(feature.properties.popup, layer, strings);
    if (extend) extend(node, layer, feature, marker);
    return node;
  }, texts, options || popupOptions());
}
