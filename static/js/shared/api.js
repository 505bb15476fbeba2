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

/** GET base + path with query params; resolves to JSON, rejects with an ApiError. */
export async function getJSON(base, path, params) {
  let response;
  try {
    response = await fetch(`${base}${path}?${queryString(params)}`, { headers: { Accept: "application/json" } });
  } catch (err) {
    throw new ApiError(err.message || String(err), null, "network");
  }
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
    throw new ApiError(error.message, error.field, error.code, response.status);
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
