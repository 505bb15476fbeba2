/* Yuren Map (育人地图): asking the JSON API (/api).
 *
 * The API answers an error as {"error": {"status", "message", "field"}}; the message is one a
 * user can act on, so it is what a page shows.
 */

/** An Error with the API's message and the parameter at fault (``field``), when it named one. */
export class ApiError extends Error {
  constructor(message, field) {
    super(message);
    this.field = field || null;
  }
}

/** "a=1&b=2" from an object, leaving out null, undefined and empty values. */
export function queryString(params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== null && value !== undefined && value !== "") query.set(name, value);
  }
  return query.toString();
}

/** GET base + path with query params; resolves to the JSON body, rejects with an ApiError. */
export async function getJSON(base, path, params) {
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

/** api(path, params): getJSON from ``base`` with ``defaults`` (e.g. lang, crs) under every call's params. */
export function client(base, defaults) {
  return (path, params) => getJSON(base, path, { ...defaults, ...params });
}
