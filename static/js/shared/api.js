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

/** GET base + path with query params; resolves to JSON, rejects with an ApiError. */
export async function getJSON(base, path, params) {
  return answer(() => fetch(`${base}${path}?${queryString(params)}`, { headers: { Accept: "application/json" } }));
}

/** The page's CSRF token (the csrf-token meta tag of a signed-in page), sent with every change. */
function csrfToken() {
  const meta = document.querySelector("meta[name=csrf-token]");
  return meta ? meta.content : "";
}

/** ``method`` base + path with a JSON ``body`` (and extra ``headers``); resolves to the JSON answer
 * (null for 204), rejects with an ApiError carrying the API's message and field. */
export async function sendJSON(base, method, path, body, headers) {
  return answer(() => fetch(`${base}${path}`, { method, credentials: "same-origin", headers: Object.assign({
    Accept: "application/json", "Content-Type": "application/json", "X-CSRF-Token": csrfToken() }, headers),
  body: body === undefined ? undefined : JSON.stringify(body) }));
}

async function answer(request) {
  let response;
  try {
    response = await request();
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
    throw new ApiError(error.message || `${response.status} ${response.statusText}`, error.field);
  }
  return body;
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
