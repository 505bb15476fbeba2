/* Interface strings: the page's slice of the zh/en catalogue (mapservice/i18n/messages.toml). */

/** fmt(key, values): the catalogue string ``key`` with its {placeholders} filled in. */
export function formatter(strings) {
  return (key, values) =>
    strings[key].replace(/\{(\w+)\}/g, (whole, name) => (values && name in values ? values[name] : whole));
}
