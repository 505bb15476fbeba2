/* Yuren Map (育人地图): the catalogue's texts in the page.
 *
 * A page gets its texts from mapservice/i18n/messages.toml through its config (``strings``), with
 * ``{name}`` placeholders left in; numbers and distances in them arrive already written by the
 * server.
 */

/** fmt(key, values): the catalogue text ``key`` with its {placeholders} filled from ``values``. */
export function formatter(strings) {
  return (key, values) =>
    strings[key].replace(/\{(\w+)\}/g, (whole, name) => (values && name in values ? values[name] : whole));
}
