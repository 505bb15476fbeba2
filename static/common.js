/* Yuren Map (育人地图): helpers shared by app.js (the map page) and planner.js (the planner).
 *
 * Loaded after Leaflet and before either script, as window.YM. Data is put in the DOM as
 * text, never as HTML.
 */
window.YM = (() => {
  "use strict";

  /** Set attributes; "style" is CSS text, "--name" a custom property, null/false are skipped. */
  function setAttrs(node, attrs) {
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "style") node.style.cssText = value;
      else if (name.startsWith("--")) node.style.setProperty(name, value);
      else node.setAttribute(name, value === true ? "" : value);
    }
  }

  /** An element with attributes and children (nodes, or anything else as text). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    setAttrs(node, attrs);
    for (const child of children.flat(Infinity)) {
      if (child !== null && child !== undefined && child !== false) {
        node.append(child instanceof Node ? child : String(child));
      }
    }
    return node;
  }

  /** A CSS colour from the layer files, or slate grey for anything that is not a hex colour. */
  function color(value) {
    return /^#[0-9a-f]{3,8}$/i.test(value || "") ? value : "#64748b";
  }

  /** fmt(key, values): the catalogue string ``key`` with its {placeholders} filled in. */
  function formatter(strings) {
    return (key, values) =>
      strings[key].replace(/\{(\w+)\}/g, (whole, name) => (values && name in values ? values[name] : whole));
  }

  /** An Error with the API's message and the parameter at fault (``field``), when it named one. */
  class ApiError extends Error {
    constructor(message, field) {
      super(message);
      this.field = field || null;
    }
  }

  /** "a=1&b=2" from an object, leaving out empty values. */
  function queryString(params) {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(params || {})) {
      if (value !== null && value !== undefined && value !== "") query.set(name, value);
    }
    return query.toString();
  }

  /** GET base + path with query params; resolves to JSON, rejects with an ApiError. */
  async function getJSON(base, path, params) {
    let response;
    try {
      response = await fetch(`${base}${path}?${queryString(params)}`, { headers: { Accept: "application/json" } });
    } catch (err) {
      throw new ApiError(err.message || String(err));
    }
    let body = null;
    try {
      body = await response.json();
    } catch (err) {
      body = null;
    }
    if (!response.ok) {
      const error = (body && body.error) || {};
      throw new ApiError(error.message || `${response.status} ${response.statusText}`, error.field);
    }
    return body;
  }

  function centroid(ring) {
    let area = 0, x = 0, y = 0;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const cross = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
      area += cross;
      x += (ring[j][0] + ring[i][0]) * cross;
      y += (ring[j][1] + ring[i][1]) * cross;
    }
    return area ? { area: Math.abs(area / 2), lon: x / (3 * area), lat: y / (3 * area) } : null;
  }

  /** Where to put a district's name: the centroid of its largest polygon's outer ring. */
  function labelPoint(geometry) {
    const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
    let best = null;
    for (const polygon of polygons) {
      const c = centroid(polygon[0]);
      if (c && (!best || c.area > best.area)) best = c;
    }
    return best && L.latLng(best.lat, best.lon);
  }

  return { setAttrs, el, color, formatter, ApiError, queryString, getJSON, labelPoint };
})();
