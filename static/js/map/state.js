/* Yuren Map (育人地图): the map page's state: what the page shows, changed by the modules and
 * drawn by render() (main.js) after every change.
 *
 * Plain data only. The Leaflet layers and DOM nodes that render() keeps up to date live in
 * ``page.views`` (main.js); the filters live in their form, which is what the user edits.
 */

/** The state of a page that has not searched yet. */
export function createState() {
  return {
    panelOpen: false,
    /** A line in the status that stands for the search's own until the next search: {text, error}. */
    notice: null,
    /** The toast's message, or null when none is shown. */
    toast: null,
    locating: false,
    openPopups: 0,
    /** The id of the one-tap search whose filters are set, until a filter is changed by hand. */
    preset: null,
    /** The result whose popup is open, as "layer:id" (the page's address keeps it). */
    openPlace: null,
    /** What the share button last said (the link was copied, or the link to copy by hand). */
    shared: null,
    layers: {
      shown: new Set(),
      loading: new Set(),
      /** Whether a shown layer holds generated demo data (the footer then says so). */
      generated: false,
    },
    search: {
      /** Where from (a LatLng) and within what radius (metres); null before a search and after clearing. */
      center: null,
      radius: 0,
      /** The CRS of ``center`` when it is not the map's own (a phone's WGS 84 over GCJ-02 tiles). */
      pointCrs: null,
      /** Where the centre came from, in words ("my location"). */
      label: "",
      /** How many results to ask for (null: the page's first page, cfg.limit); "more" adds a page. */
      limit: null,
      /** Counts the searches started, so that only the latest one's answer is drawn. */
      seq: 0,
      busy: false,
      /** The /api/nearby answer being shown, or null. */
      answer: null,
      /** The API's message when the latest search failed. */
      failure: null,
    },
    places: {
      found: [],
      active: -1,
      open: false,
      /** The API's message when the latest place search failed. */
      error: null,
      seq: 0,
    },
  };
}
