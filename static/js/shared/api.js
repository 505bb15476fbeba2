/* The JSON API: one GET helper and its error type, shared by the pages. */

/** An Error with the API's message (worded in the language the page asked for), its stable ``code``
 * and the parameter at fault (``field``), when it named one. ``code`` is "network" when the server
 * could not be reached and "bad_answer" when its answer was no JSON error (``status`` then says more). */
export class ApiError extends Error {
  constructor(message, field, code, status) {
    super(message);
    this.field = field || null;
    this.code = code || null;
    this.status = status || 0;
  }
}

/** The words for a failure ``err`` in the page's language: the API's own message, or for a failure
 * the API did not word (no connection, an answer that is not JSON, a script error) the catalogue's
 * ``error_network`` / ``error_bad_answer`` through ``fmt`` (strings.js). */
export function errorText(err, fmt) {
  if (err instanceof ApiError && err.code === "network") return fmt("error_network");
  if (err instanceof ApiError && err.code !== "bad_answer" && err.message) return err.message;
  return fmt("error_bad_answer", { status: (err && err.status) || "—" });
}

/** "a=1&b=2" from an object, leaving out empty values. */
export function queryString(params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== null && value !== undefined && value !== "") query.set(name, value);
  }
  return query.toString();
}

/**
 * fetch(url, init) and its JSON answer (null for 204; with ``withVersion``, {body, version}); rejects with an ApiError carrying the API's
 * message, ``field``, ``fields`` (every bad field, when it named them) and ``status``.
 */
async function answerOf(url, init, withVersion) {
  let response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    throw new ApiError(err.message || String(err), null, "network");
  }
  if (response.status === 204) return null;
  let body = null;
  try {
    body = await response.json();
  } catch (err) {
    body = null;
  }
  if (!response.ok) {
    const error = body && body.error;
    if (!error || !error.message) {
      throw new ApiError(`${response.status} ${response.statusText}`, null, "bad_answer", response.status);
    }
    const failure = new ApiError(error.message, error.field, error.code, response.status);
    failure.fields = error.fields || {};
    throw failure;
  }
  return withVersion ? { body, version: (response.headers.get("ETag") || "").replace(/"/g, "") } : body;
}

/** GET base + path like getJSON, resolving to {body, version}: the version an edit names (the ETag). */
export async function getVersioned(base, path, params) {
  return answerOf(`${base}${path}?${queryString(params)}`, { headers: { Accept: "application/json" } }, true);
}

/** GET base + path with query params; resolves to JSON, rejects with an ApiError. */
export async function getJSON(base, path, params) {
  return answerOf(`${base}${path}?${queryString(params)}`, { headers: { Accept: "application/json" } });
}

/** Every feature of a layer, a page of 10,000 (the API's largest) at a time. */
export async function allFeatures(base, layerId, params) {
  const features = [];
  for (;;) {
    const page = await getJSON(base, `/layers/${encodeURIComponent(layerId)}/features`,
      Object.assign({}, params, { limit: 10000, offset: features.length }));
    features.push(...page.features);
    if (!page.features.length || features.length >= page.numberMatched) return features;
  }
}

/** The session's CSRF token from the page (base.html's csrf-token meta tag of a signed-in page). */
function pageCsrf() {
  const meta = document.querySelector("meta[name=csrf-token]");
  return meta ? meta.content : null;
}

/**
 * Send ``body`` as JSON with ``method`` to base + path; resolves to the JSON answer (null for 204),
 * rejects with an ApiError. ``csrf`` is the session's token, sent as X-CSRF-Token (a signed-in browser
 * must send it; by default the page's); ``headers`` adds more.
 */
export async function sendJSON(base, method, path, body, csrf, headers) {
  const sent = { Accept: "application/json", "Content-Type": "application/json", ...(headers || {}) };
  const token = csrf || pageCsrf();
  if (token) sent["X-CSRF-Token"] = token;
  return answerOf(`${base}${path}`, { method, headers: sent, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body) });
}
