/* Yuren Map (育人地图): the map page's behaviour.
 *
 * The page (mapservice/web/mappage.py) renders a folium Leaflet map and embeds #ym-config:
 * the map's variable name, layers, interface strings and the API base. This script loads
 * layers and district boundaries from the JSON API, runs nearby searches and shows results.
 * Every text comes from the catalogue via cfg.strings; data is put in the DOM as text, never
 * as HTML.
 *
 * Leaflet and folium's map script run before DOMContentLoaded; this script runs after it.
 */
document.addEventListener("DOMContentLoaded", () => {
  "use strict";

  const cfg = JSON.parse(document.getElementById("ym-config").textContent);
  const S = cfg.strings;
  const layerInfo = Object.fromEntries(cfg.layers.map((layer) => [layer.id, layer]));
  const phone = window.matchMedia("(max-width: 720px)");

  /* ---------- small helpers (common.js) ---------- */

  const { el, color } = YM;
  const fmt = YM.formatter(S);
  const api = (path, params) => YM.getJSON(cfg.api, path, params);

  function safeUrl(value) {
    return /^https?:\/\//i.test(value || "") ? value : null;
  }

  function output(params) {
    return Object.assign({ lang: cfg.lang, crs: cfg.crs || null }, params);
  }

  function latLngOf(feature) {
    const [lon, lat] = feature.geometry.coordinates;
    return L.latLng(lat, lon);
  }

  let toastTimer = null;
  function toast(message) {
    const box = document.getElementById("ym-toast");
    box.textContent = message;
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.hidden = true; }, 6000);
  }

  /* ---------- popups ---------- */

  /** A popup body from the API's `popup` object: title, facts, navigate links, demo note. */
  function popupContent(popup, layerId) {
    const layer = layerInfo[layerId] || {};
    const nav = popup.navigate || {};
    const links = [["amap", "navigate_amap"], ["baidu", "navigate_baidu"]]
      .filter(([key]) => safeUrl(nav[key]))
      .map(([key, label]) => el("a", { class: "ym-nav-link", href: safeUrl(nav[key]), target: "_blank",
        rel: "noopener noreferrer" }, S[label]));
    return el("div", { class: "ym-popup", "--c": color(layer.color) },
      el("div", { class: "ym-popup-layer" }, popup.layer_title || layer.title || ""),
      el("h3", { class: "ym-popup-title" }, popup.title || ""),
      popup.generated ? el("p", { class: "ym-generated" }, popup.generated_note || S.generated_marker) : null,
      (popup.facts || []).length
        ? el("dl", { class: "ym-facts" }, popup.facts.map(([label, text]) => [el("dt", {}, label), el("dd", {}, text)]))
        : null,
      links.length ? el("div", { class: "ym-nav" }, el("span", { class: "ym-nav-label" }, S.navigate), links) : null);
  }

  const popupOptions = () => ({ maxWidth: 300, minWidth: 220, autoPanPaddingTopLeft: [16, 16],
    autoPanPaddingBottomRight: [16, 48] });

  function start() {
    const map = window[cfg.map];
    const mapBox = map.getContainer();
    mapBox.classList.add(cfg.tiles ? "ym-tiles" : "ym-no-tiles");
    map.createPane("ym-districts").style.zIndex = 250;
    map.createPane("ym-labels").style.zIndex = 300;
    map.createPane("ym-results").style.zIndex = 640;
    map.createPane("ym-here").style.zIndex = 645;

    /* ---------- panel (collapses on phones) ---------- */

    const toggle = document.getElementById("ym-panel-toggle");
    const badge = document.getElementById("ym-badge");

    const panel = document.getElementById("ym-panel");
    // Set by the nearby search: bring its circle back into the part of the map left visible.
    let refitSearch = () => {};

    /** Scroll the panel so the results are in sight (they sit below the place search and filters). */
    function scrollToResults() {
      const card = document.querySelector(".ym-results");
      panel.scrollTo({ top: panel.scrollTop + card.getBoundingClientRect().top - panel.getBoundingClientRect().top - 12,
        behavior: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth" });
    }

    function setPanel(open) {
      document.body.classList.toggle("ym-panel-open", open);
      if (open && phone.matches && !badge.hidden) scrollToResults();
      toggle.setAttribute("aria-expanded", String(open));
      toggle.querySelector(".ym-toggle-text").textContent = open ? S.panel_close : S.panel_open;
      toggle.querySelector(".ym-toggle-short").textContent = open ? S.panel_close_short : S.panel_open_short;
      setTimeout(() => {
        map.invalidateSize();
        if (open && phone.matches) refitSearch();
      }, 260);
    }
    toggle.addEventListener("click", () => setPanel(!document.body.classList.contains("ym-panel-open")));
    setPanel(!phone.matches);
    document.querySelector(".ym-filters").open = !phone.matches;

    /** Padding that keeps fitted bounds clear of the bottom sheet on a phone. */
    function fitPadding() {
      const sheet = phone.matches && document.body.classList.contains("ym-panel-open") ? panel.offsetHeight : 0;
      return { paddingTopLeft: [24, 24], paddingBottomRight: [24, 24 + sheet] };
    }

    /* ---------- base: district boundaries ---------- */

    async function loadBoundaries() {
      const plain = !cfg.tiles;
      for (const layer of cfg.layers.filter((l) => l.kind === "boundary")) {
        try {
          const data = await api(`/layers/${encodeURIComponent(layer.id)}/features`, output({ limit: 1000 }));
          const shapes = L.geoJSON(data, {
            pane: "ym-districts", interactive: false, attribution: S.boundaries_attribution,
            style: plain
              ? { color: "#94a3b8", weight: 1.2, fillColor: "#fbfaf6", fillOpacity: 1 }
              : { color: "#334155", weight: 1.5, dashArray: "5 4", fill: false },
          }).addTo(map);
          if (plain) {
            for (const feature of data.features) {
              const at = YM.labelPoint(feature.geometry);
              if (at && feature.properties.name) {
                L.tooltip({ pane: "ym-labels", permanent: true, direction: "center", className: "ym-district-label",
                  interactive: false }).setLatLng(at).setContent(el("span", {}, feature.properties.name)).addTo(map);
              }
            }
          }
          shapes.bringToBack();
        } catch (err) {
          toast(fmt("load_failed", { message: err.message }));
        }
      }
    }

    /* ---------- feature layers: coloured markers in one cluster group ---------- */

    // One group for every layer keeps clusters from piling on each other; a cluster's ring shows
    // the share of each layer among its markers.
    const markersOf = {};
    const demoNote = document.getElementById("ym-demo-note");
    const clusters = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 56,
      spiderfyOnMaxZoom: true, disableClusteringAtZoom: 17, iconCreateFunction: clusterIcon }).addTo(map);

    function pinIcon(layer) {
      return L.divIcon({ className: "ym-pin", html: `<span style="--c:${color(layer.color)}"></span>`,
        iconSize: [20, 20] });
    }

    function clusterIcon(cluster) {
      const children = cluster.getAllChildMarkers();
      const perLayer = {};
      for (const marker of children) perLayer[marker.ymLayer] = (perLayer[marker.ymLayer] || 0) + 1;
      let from = 0;
      const stops = cfg.layers.filter((l) => perLayer[l.id]).map((l) => {
        const to = from + (perLayer[l.id] / children.length) * 360;
        const stop = `${color(l.color)} ${from.toFixed(1)}deg ${to.toFixed(1)}deg`;
        from = to;
        return stop;
      });
      const n = children.length;
      const size = n < 10 ? 32 : n < 100 ? 38 : n < 1000 ? 44 : 50;
      return L.divIcon({ className: "ym-cluster", iconSize: [size, size],
        html: `<span style="--ring:conic-gradient(${stops.join(",")})"><b>${n}</b></span>` });
    }

    /** Fetch the feature's popup (name, facts in words, links) when it is first opened. */
    function lazyPopup(marker, layer, feature) {
      const loading = () => el("div", { class: "ym-popup ym-popup-loading" }, S.loading);
      const load = async () => {
        marker.setPopupContent(loading());
        try {
          const full = await api(`/layers/${encodeURIComponent(layer.id)}/features/${feature.id}`, output());
          marker.setPopupContent(popupContent(full.properties.popup, layer.id));
        } catch (err) {
          const message = fmt("load_failed", { message: err.message });
          marker.setPopupContent(el("div", { class: "ym-popup ym-error" }, message));
          marker.once("popupopen", load); // try again next time
        }
      };
      marker.bindPopup(loading(), popupOptions());
      marker.once("popupopen", load);
    }

    /** Every feature of a layer, a page of 10,000 (the API's largest) at a time. */
    async function allFeatures(layer) {
      const features = [];
      for (;;) {
        const page = await api(`/layers/${encodeURIComponent(layer.id)}/features`,
          output({ limit: 10000, offset: features.length }));
        features.push(...page.features);
        if (!page.features.length || features.length >= page.numberMatched) return features;
      }
    }

    async function loadLayer(layer) {
      const icon = pinIcon(layer);
      const markers = [];
      for (const feature of await allFeatures(layer)) {
        if (!feature.geometry || feature.geometry.type !== "Point") continue;
        const marker = L.marker(latLngOf(feature), { icon, title: feature.properties.name || "", riseOnHover: true });
        marker.ymLayer = layer.id;
        lazyPopup(marker, layer, feature);
        markers.push(marker);
        if (feature.properties.generated) demoNote.hidden = false;
      }
      return markers;
    }

    const legend = L.control({ position: "bottomright" });
    legend.onAdd = () => el("details", { class: "ym-legend", open: !phone.matches },
      el("summary", {}, S.legend), el("div", { class: "ym-legend-rows" }));
    legend.addTo(map);
    L.DomEvent.disableClickPropagation(legend.getContainer());
    const shown = new Set();

    function drawLegend() {
      const box = legend.getContainer();
      box.querySelector(".ym-legend-rows").replaceChildren(...cfg.layers.filter((l) => shown.has(l.id))
        .map((l) => el("div", { class: "ym-legend-row", "--c": color(l.color) },
          el("span", { class: "ym-dot", "aria-hidden": "true" }), l.title)));
      box.hidden = !shown.size;
    }

    async function showLayer(input) {
      const layer = layerInfo[input.value];
      const row = input.closest(".ym-layer");
      if (!markersOf[layer.id]) {
        row.classList.add("is-loading");
        try {
          markersOf[layer.id] = await loadLayer(layer);
        } catch (err) {
          toast(fmt("load_failed", { message: err.message }));
          input.checked = false;
          return;
        } finally {
          row.classList.remove("is-loading");
        }
      }
      // The box may have changed while the layer loaded: follow what it says now.
      if (input.checked && !shown.has(layer.id)) {
        clusters.addLayers(markersOf[layer.id]);
        shown.add(layer.id);
      } else if (!input.checked && shown.has(layer.id)) {
        clusters.removeLayers(markersOf[layer.id]);
        shown.delete(layer.id);
      }
      drawLegend();
    }

    for (const input of document.querySelectorAll("input[data-map-layer]")) {
      input.addEventListener("change", () => showLayer(input));
      if (input.checked) showLayer(input);
    }

    /* ---------- nearby search ---------- */

    const filters = document.getElementById("ym-filters");
    const status = document.getElementById("ym-status");
    const list = document.getElementById("ym-results");
    const clear = document.getElementById("ym-clear");
    const customTime = document.getElementById("ym-custom-time");
    const resultsLayer = L.layerGroup().addTo(map);
    const search = { center: null, label: "", seq: 0, items: [] };
    let circle = null;
    let hereMarker = null;

    function pad(n) {
      return String(n).padStart(2, "0");
    }

    function localIso(date, withOffset) {
      const text = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T` +
        `${pad(date.getHours())}:${pad(date.getMinutes())}:00`;
      if (!withOffset) return text;
      const offset = -date.getTimezoneOffset();
      const sign = offset >= 0 ? "+" : "-";
      return `${text}${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
    }

    /** "open at" as ISO: now (with the browser's offset) or a wall-clock time in China local time. */
    function openAt(choice) {
      const now = new Date();
      if (choice === "now") return localIso(now, true);
      if (choice === "saturday") {
        let days = (6 - now.getDay() + 7) % 7;
        if (days === 0 && now.getHours() >= 10) days = 7;
        const saturday = new Date(now.getFullYear(), now.getMonth(), now.getDate() + days, 10, 0);
        return localIso(saturday, false);
      }
      if (choice === "custom") {
        const value = filters.elements.open_custom.value;
        return value ? (value.length === 16 ? `${value}:00` : value) : null;
      }
      return null;
    }

    function filterParams() {
      const form = filters.elements;
      const layers = [...filters.querySelectorAll("input[name=layers]:checked")].map((i) => i.value);
      return {
        layers: layers.join(","),
        radius: form.radius.value,
        category: form.category ? form.category.value : null,
        free: form.free.checked ? "true" : null,
        grade: form.grade.value,
        open_at: openAt(form.open.value),
        limit: cfg.limit,
      };
    }

    function setBadge(count) {
      badge.textContent = count === null ? "" : String(count);
      badge.hidden = count === null;
    }

    refitSearch = () => {
      if (circle) map.fitBounds(circle.getBounds(), fitPadding());
    };

    function clearResults() {
      resultsLayer.clearLayers();
      list.replaceChildren();
      search.items = [];
      mapBox.classList.remove("ym-has-results");
      setBadge(null);
    }

    function clearSearch() {
      search.center = null;
      search.seq += 1;
      clearResults();
      if (circle) circle.remove();
      if (hereMarker) hereMarker.remove();
      circle = hereMarker = null;
      clear.hidden = true;
      status.textContent = S.results_prompt;
      status.classList.remove("is-error");
    }
    clear.addEventListener("click", clearSearch);

    function drawCentre(latlng, radius) {
      if (!hereMarker) {
        hereMarker = L.marker(latlng, { pane: "ym-here", draggable: true, keyboard: false, title: S.here,
          icon: L.divIcon({ className: "ym-here", html: "<span></span>", iconSize: [24, 24] }) }).addTo(map);
        hereMarker.on("dragend", () => setCentre(hereMarker.getLatLng(), S.search_from_click));
      }
      hereMarker.setLatLng(latlng);
      if (!circle) {
        circle = L.circle(latlng, { radius, color: "#2563eb", weight: 2, dashArray: "6 5", fillColor: "#2563eb",
          fillOpacity: 0.06, interactive: false }).addTo(map);
      }
      circle.setLatLng(latlng).setRadius(radius);
    }

    function highlight(item, on) {
      item.row.classList.toggle("is-active", on);
      const icon = item.marker.getElement();
      if (icon) icon.classList.toggle("is-active", on);
      item.marker.setZIndexOffset(on ? 1000 : 0);
    }

    /** Scroll the open panel (only it: scrollIntoView would also scroll the map) to show ``row``. */
    function revealRow(row) {
      if (!document.body.classList.contains("ym-panel-open")) return;
      const r = row.getBoundingClientRect();
      const p = panel.getBoundingClientRect();
      if (r.top < p.top) panel.scrollTop -= p.top - r.top + 8;
      else if (r.bottom > p.bottom) panel.scrollTop += r.bottom - p.bottom + 8;
    }

    function openItem(item) {
      if (phone.matches) setPanel(false);
      map.setView(item.marker.getLatLng(), Math.max(map.getZoom(), 15));
      item.marker.openPopup();
    }

    function resultRow(feature, index) {
      const props = feature.properties;
      const layer = layerInfo[props.layer] || {};
      const kind = props.kind_text;
      const button = el("button", { type: "button", class: "ym-result", "--c": color(layer.color) },
        el("span", { class: "ym-rank", "aria-hidden": "true" }, index + 1),
        el("span", { class: "ym-result-main" },
          el("span", { class: "ym-result-name" }, props.name),
          el("span", { class: "ym-result-meta" },
            el("span", {}, props.layer_title || layer.title),
            kind ? el("span", { class: "ym-kind" }, kind) : null,
            props.admission_free === true ? el("span", { class: "ym-free" }, S.admission_free) : null)),
        el("span", { class: "ym-result-distance" },
          el("strong", { class: "ym-distance" }, props.distance_text),
          el("span", { class: "ym-walk" }, props.walk_text)));
      return el("li", { "data-distance": props.distance_m }, button);
    }

    function showResults(data) {
      clearResults();
      const features = data.features || [];
      features.forEach((feature, index) => {
        const layer = layerInfo[feature.properties.layer] || {};
        const marker = L.marker(latLngOf(feature), { pane: "ym-results", title: feature.properties.name,
          icon: L.divIcon({ className: "ym-rpin", iconSize: [28, 28],
            html: `<span style="--c:${color(layer.color)}">${index + 1}</span>` }) });
        // The search answers without popups (they are most of its cost); fetched when first opened.
        lazyPopup(marker, { id: feature.properties.layer }, feature);
        const li = resultRow(feature, index);
        const item = { marker, row: li.firstChild };
        marker.on("mouseover", () => { highlight(item, true); revealRow(item.row); });
        marker.on("mouseout", () => highlight(item, false));
        item.row.addEventListener("mouseenter", () => highlight(item, true));
        item.row.addEventListener("mouseleave", () => highlight(item, false));
        item.row.addEventListener("focus", () => highlight(item, true));
        item.row.addEventListener("blur", () => highlight(item, false));
        item.row.addEventListener("touchstart", () => highlight(item, true), { passive: true });
        item.row.addEventListener("click", () => openItem(item));
        marker.addTo(resultsLayer);
        list.append(li);
        search.items.push(item);
      });
      mapBox.classList.toggle("ym-has-results", features.length > 0);
      setBadge(features.length);
      const radius = data.radius_text;
      let text = features.length ? fmt("results_count", { radius, count: features.length }) : S.results_none;
      if (features.length >= cfg.limit) text += ` · ${fmt("results_limited", { limit: cfg.limit })}`;
      status.textContent = search.label ? `${search.label} · ${text}` : text;
    }

    async function runSearch(fit, reveal) {
      if (!search.center) return;
      const seq = ++search.seq;
      const params = filterParams();
      drawCentre(search.center, Number(params.radius));
      clear.hidden = false;
      if (fit) map.fitBounds(circle.getBounds(), fitPadding());
      status.classList.remove("is-error");
      if (!params.layers) {
        clearResults();
        status.textContent = S.results_none;
        return;
      }
      status.textContent = S.searching;
      list.setAttribute("aria-busy", "true");
      try {
        const point = { lat: search.center.lat.toFixed(6), lon: search.center.lng.toFixed(6) };
        if (search.pointCrs) point.point_crs = search.pointCrs;
        const data = await api("/nearby", output(Object.assign(point, params)));
        if (seq === search.seq) {
          if (search.pointCrs) {
            // A phone's location is WGS 84; over GCJ-02 tiles the answer's centre is the map's.
            search.center = L.latLng(data.center.lat, data.center.lon);
            search.pointCrs = null;
            drawCentre(search.center, Number(params.radius));
          }
          showResults(data);
          if (reveal && !phone.matches) scrollToResults();
        }
      } catch (err) {
        if (seq !== search.seq) return;
        clearResults();
        status.textContent = err.message;
        status.classList.add("is-error");
      } finally {
        if (seq === search.seq) list.removeAttribute("aria-busy");
      }
    }

    function setCentre(latlng, label, pointCrs) {
      search.center = L.latLng(latlng);
      search.label = label || "";
      search.pointCrs = pointCrs || null;
      runSearch(true, true);
    }

    filters.addEventListener("change", (event) => {
      if (event.target.name === "open") customTime.hidden = event.target.value !== "custom";
      if (event.target.name === "open" && event.target.value === "custom" && !filters.elements.open_custom.value) {
        filters.elements.open_custom.value = localIso(new Date(), false).slice(0, 16);
      }
      runSearch(event.target.name === "radius");
    });
    filters.addEventListener("submit", (event) => event.preventDefault());

    // A click that only closes an open popup should not move the search.
    let openPopups = 0;
    let closingPopup = false;
    map.on("popupopen", () => {
      openPopups += 1;
      mapBox.classList.add("ym-popup-open");
    });
    map.on("popupclose", () => {
      openPopups = Math.max(0, openPopups - 1);
      mapBox.classList.toggle("ym-popup-open", openPopups > 0);
    });
    map.on("preclick", () => { closingPopup = openPopups > 0; });
    map.on("click", (event) => {
      if (closingPopup) {
        closingPopup = false;
        return;
      }
      setCentre(event.latlng, S.search_from_click);
    });

    /* ---------- where we are: geolocation ---------- */

    const locate = document.getElementById("ym-locate");
    locate.addEventListener("click", () => {
      if (!navigator.geolocation) {
        status.textContent = S.locate_unsupported;
        return;
      }
      status.textContent = S.locating;
      locate.disabled = true;
      navigator.geolocation.getCurrentPosition((position) => {
        locate.disabled = false;
        setCentre([position.coords.latitude, position.coords.longitude], S.search_from_location, "wgs84");
      }, (error) => {
        locate.disabled = false;
        status.textContent = fmt("locate_failed", { reason: error.message || error.code });
        status.classList.add("is-error");
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });

    /* ---------- one-tap searches ---------- */

    /** Set the filters of a preset (mappage.PRESETS), then search from the chosen point or, with
     * none yet, from the browser's location. */
    for (const button of document.querySelectorAll(".ym-preset")) {
      button.addEventListener("click", () => {
        const preset = JSON.parse(button.dataset.preset);
        const form = filters.elements;
        for (const input of filters.querySelectorAll("input[name=layers]")) {
          input.checked = preset.layers.includes(input.value);
        }
        if (form.category) form.category.value = preset.category || "";
        form.free.checked = Boolean(preset.free_only);
        form.open.value = preset.open || "";
        if (preset.radius) form.radius.value = String(preset.radius);
        customTime.hidden = true;
        if (search.center) runSearch(true, true);
        else locate.click();
      });
    }

    /* ---------- where we are: place search ---------- */

    const placeForm = document.getElementById("ym-place-form");
    const placeInput = document.getElementById("ym-place");
    const placeList = document.getElementById("ym-place-list");
    let places = [];
    let active = -1;
    let placeSeq = 0;
    let placeTimer = null;

    function closePlaces() {
      placeList.hidden = true;
      placeInput.setAttribute("aria-expanded", "false");
      placeInput.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function choosePlace(place) {
      placeInput.value = place.name;
      closePlaces();
      setCentre([place.lat, place.lon], fmt("search_from_place", { value: place.name }));
    }

    function markActive(index) {
      active = index;
      [...placeList.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
      if (index >= 0) placeInput.setAttribute("aria-activedescendant", `ym-place-${index}`);
    }

    function showPlaces(found) {
      places = found;
      placeList.replaceChildren(...(found.length ? found.map((place, index) => {
        const li = el("li", { id: `ym-place-${index}`, role: "option", class: "ym-place", "aria-selected": "false" },
          el("span", { class: "ym-place-name" }, place.name),
          el("span", { class: "ym-place-layer" }, place.layer_title || ""));
        li.addEventListener("mousedown", (event) => event.preventDefault());
        li.addEventListener("click", () => choosePlace(place));
        return li;
      }) : [el("li", { class: "ym-place-none" }, S.place_none)]));
      placeList.hidden = false;
      placeInput.setAttribute("aria-expanded", "true");
      active = -1;
    }

    async function findPlaces() {
      const q = placeInput.value.trim();
      const seq = ++placeSeq;
      if (!q) {
        closePlaces();
        return [];
      }
      try {
        const data = await api("/places", output({ q, limit: 10 }));
        if (seq === placeSeq) showPlaces(data.places || []);
        return data.places || [];
      } catch (err) {
        if (seq === placeSeq) {
          placeList.replaceChildren(el("li", { class: "ym-place-none" }, err.message));
          placeList.hidden = false;
        }
        return [];
      }
    }

    placeInput.addEventListener("input", () => {
      clearTimeout(placeTimer);
      placeTimer = setTimeout(findPlaces, 250);
    });
    placeInput.addEventListener("keydown", (event) => {
      if (placeList.hidden || !places.length) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : -1;
        markActive((active + step + places.length) % places.length);
      } else if (event.key === "Escape") {
        closePlaces();
      }
    });
    placeInput.addEventListener("blur", () => setTimeout(closePlaces, 150));
    placeForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearTimeout(placeTimer);
      if (active >= 0 && places[active]) {
        choosePlace(places[active]);
        return;
      }
      const found = await findPlaces();
      if (found.length) choosePlace(found[0]);
    });

    loadBoundaries();
  }

  start();
});
