/* The JSON API: one GET helper and its error type, shared by the pages. */

/** An Error with the API's message and the parameter at fault (``field``), when it named one. */
export class ApiError extends Error {
  constructor(message, field) {
    super(message);
    this.field = field || null;
  }
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
    throw new ApiError(err.message || String(err));
  }
  if (response.status === 204) return null;
  let body = null;
  try {
    body = await response.json();
  } catch (err) {
    body = null;
  }
  if (!response.ok) {
    const error = (body && body.error) || {};
    const failure = new ApiError(error.message || `${response.status} ${response.statusText}`, error.field);
    failure.fields = error.fields || {};
    failure.status = response.status;
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

/**
 * Send ``body`` as JSON with ``method`` to base + path; resolves to the JSON answer (null for 204),
 * rejects with an ApiError. ``csrf`` is the session's token, sent as X-CSRF-Token (a signed-in browser
 * must send it); ``headers`` adds more.
 */
export async function sendJSON(base, method, path, body, csrf, headers) {
  const sent = { Accept: "application/json", "Content-Type": "application/json", ...(headers || {}) };
  if (csrf) sent["X-CSRF-Token"] = csrf;
  return answerOf(`${base}${path}`, { method, headers: sent, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body) });
}
