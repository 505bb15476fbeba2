/* Yuren Map (育人地图): the map's edit mode for signed-in editors (编辑).
 *
 * An admin edits, moves (drag, with the distance and an undo), adds and deletes features; a base
 * manager edits the facts of their own bases. The form is built from the layer file (cfg.schema, sent
 * only to editors); the server checks every value (mapservice/editing.py) and its answer is shown next
 * to the field. Every save names the version it started from, so a stale one is refused, not written over.
 */
import { getVersioned, sendJSON } from "../shared/api.js";
import { el } from "../shared/dom.js";
import { featurePath, latLngOf } from "../shared/features.js";
import { popupContent } from "../shared/popup.js";
import { featureMarker } from "./markers.js";
import { reportForm } from "./report.js";
import { showToast } from "./toast.js";

function isAdmin(page) {
  return Boolean(page.cfg.me && page.cfg.me.is_admin);
}

/** Whether the signed-in user may edit the facts of ``feature`` of ``layer``. */
function mayEdit(page, layer, feature) {
  const me = page.cfg.me;
  if (!me || !page.cfg.schema[layer.id]) return false;
  return me.is_admin || me.features.some((f) => f.layer === layer.id && f.id === feature.id);
}

// Moving and adding need WGS 84 positions; over GCJ-02 tiles the marker positions are shifted.
function mayPlace(page) {
  return isAdmin(page) && !page.cfg.crs;
}

function send(page, method, path, body, version) {
  const headers = version ? { "If-Match": `"${version}"` } : {};
  return sendJSON(page.cfg.api, method, `${path}?lang=${page.cfg.lang}`, body, page.cfg.csrf, headers);
}

/** One input for an attribute of the layer file, holding ``value``; returns {node, read()}. */
function field(page, attribute, value) {
  const S = page.strings;
  const name = attribute.name;
  let input;
  let read;
  if (attribute.type === "boolean") {
    input = el("select", { name, class: "ym-input" }, el("option", { value: "" }, S.edit_unset),
      el("option", { value: "true", selected: value === true }, S.yes),
      el("option", { value: "false", selected: value === false }, S.no));
    read = () => (input.value === "" ? null : input.value === "true");
  } else if (attribute.type === "code") {
    input = el("select", { name, class: "ym-input" }, el("option", { value: "" }, S.edit_unset),
      attribute.values.map(([code, label]) => el("option", { value: code, selected: value === code }, label)));
    read = () => input.value || null;
  } else if (attribute.type === "codes") {
    const chosen = new Set(value || []);
    const boxes = attribute.values.map(([code, label]) => el("label", { class: "ym-check" },
      el("input", { type: "checkbox", value: code, checked: chosen.has(code) }), label));
    input = el("div", { class: "ym-checks" }, boxes);
    read = () => {
      const codes = boxes.map((b) => b.firstChild).filter((b) => b.checked).map((b) => b.value);
      return codes.length ? codes : null;
    };
  } else {
    const numeric = attribute.type === "integer" || attribute.type === "number";
    input = el("input", { name, class: "ym-input", type: numeric ? "number" : "text",
      step: attribute.type === "integer" ? "1" : numeric ? "any" : null,
      min: attribute.min, max: attribute.max, value: value === null || value === undefined ? "" : String(value) });
    read = () => {
      const text = input.value.trim();
      if (!text) return null;
      return numeric && !Number.isNaN(Number(text)) ? Number(text) : text;
    };
  }
  const error = el("span", { class: "ym-field-error", "data-field": name });
  const preview = attribute.type === "opening_hours" ? el("small", { class: "ym-hours-preview" }) : null;
  if (preview) {
    const show = async () => {
      const text = input.value.trim();
      preview.textContent = "";
      if (!text) return;
      try {
        preview.textContent = (await page.api("/hours", { value: text })).text;
      } catch (err) {
        preview.textContent = err.message;
      }
    };
    input.addEventListener("change", show);
    show();
  }
  const node = el("label", { class: "ym-edit-field" }, attribute.label + (attribute.required ? " *" : ""), input,
    preview, error);
  return { name, node, read, error };
}

/** The attribute form of ``layer`` filled from ``properties``; ``save(values)`` sends it. */
function attributeForm(page, layer, properties, save) {
  const S = page.strings;
  const fields = page.cfg.schema[layer.id].attributes.map((a) => field(page, a, properties[a.name]));
  const status = el("p", { class: "ym-edit-status", role: "status" });
  const form = el("form", { class: "ym-edit-form" }, fields.map((f) => f.node),
    el("button", { type: "submit", class: "ym-btn ym-btn-primary" }, S.edit_save), status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const f of fields) f.error.textContent = "";
    status.textContent = "";
    try {
      await save(Object.fromEntries(fields.map((f) => [f.name, f.read()])));
      status.textContent = S.edit_saved;
    } catch (err) {
      for (const f of fields) f.error.textContent = (err.fields || {})[f.name] || "";
      status.textContent = page.fmt("edit_failed", { message: err.message });
    }
  });
  return form;
}

/** Drag ``marker`` to a new place: saved at once, with the distance moved and an undo. */
function startMove(page, layer, feature, marker, state, status) {
  const S = page.strings;
  const path = featurePath(layer.id, feature.id);
  marker.dragging.enable();
  status.textContent = S.edit_move_hint;
  const before = marker.getLatLng();
  marker.once("dragend", async () => {
    marker.dragging.disable();
    const to = marker.getLatLng();
    try {
      const answer = await send(page, "PATCH", path, { geometry: { type: "Point", coordinates: [to.lng, to.lat] } },
        state.version);
      state.version = answer.version;
      const undo = el("button", { type: "button", class: "ym-btn", "data-edit": "undo" }, S.edit_undo);
      undo.addEventListener("click", async () => {
        try {
          const back = await send(page, "PATCH", path,
            { geometry: { type: "Point", coordinates: [before.lng, before.lat] } }, state.version);
          state.version = back.version;
          marker.setLatLng(before);
          status.textContent = S.edit_undone;
        } catch (err) {
          status.textContent = page.fmt("edit_failed", { message: err.message });
        }
      });
      status.replaceChildren(page.fmt("edit_moved", { distance: answer.moved_text }), " ", undo);
    } catch (err) {
      marker.setLatLng(before);
      status.textContent = page.fmt("edit_failed", { message: err.message });
    }
    marker.openPopup();
  });
}

async function showHistory(page, layer, feature, box) {
  const answer = await page.api(`${featurePath(layer.id, feature.id)}/changes`);
  box.replaceChildren(answer.changes.length
    ? el("ol", { class: "ym-history" }, answer.changes.map((c) => el("li", {},
      el("div", { class: "ym-history-who" }, `${c.at} · ${c.actor}`), c.lines.map((line) => el("div", {}, line)))))
    : el("p", {}, page.strings.edit_history_none));
}

/** The editing buttons under a feature's popup (none for a visitor or a feature the user may not edit). */
function editControls(page, layer, feature, marker) {
  if (!mayEdit(page, layer, feature)) return null;
  const S = page.strings;
  const path = featurePath(layer.id, feature.id);
  const state = { version: null };
  const status = el("p", { class: "ym-edit-status", role: "status" });
  const body = el("div", { class: "ym-edit-body" });
  const button = (name, label, action) => {
    const node = el("button", { type: "button", class: "ym-btn", "data-edit": name }, label);
    node.addEventListener("click", async () => {
      try {
        const opened = await getVersioned(page.cfg.api, path, page.apiParams);
        state.version = opened.version;
        await action(opened.body);
      } catch (err) {
        status.textContent = page.fmt("edit_failed", { message: err.message });
      }
    });
    return node;
  };
  // A popup that grew is laid out and panned into view again.
  const refit = () => {
    const popup = marker ? marker.getPopup() : page.views.editPopup;
    if (popup) popup.update();
  };
  const buttons = [button("edit", S.edit_button, (current) => {
    body.replaceChildren(attributeForm(page, layer, current.properties, async (values) => {
      state.version = (await send(page, "PATCH", path, { properties: values }, state.version)).version;
    }));
    refit();
  })];
  if (isAdmin(page)) {
    if (marker && mayPlace(page) && feature.geometry.type === "Point") {
      buttons.push(button("move", S.edit_move, () => {
        // The form folded away and the marker in view: the popup of an open form can cover it.
        body.replaceChildren();
        refit();
        page.map.panInside(marker.getLatLng(), { padding: [48, 48], animate: false });
        startMove(page, layer, feature, marker, state, status);
      }));
    }
    buttons.push(button("delete", S.edit_delete, async () => {
      if (!window.confirm(page.fmt("edit_delete_confirm", { name: feature.properties.name || "" }))) return;
      await send(page, "DELETE", path, undefined, state.version);
      if (marker) {
        if (page.views.clusters) page.views.clusters.removeLayer(marker);
        marker.remove();
      }
      page.map.closePopup();
      showToast(page, S.edit_deleted);
    }));
    buttons.push(button("history", S.edit_history, async () => {
      await showHistory(page, layer, feature, body);
      refit();
    }));
  }
  return el("div", { class: "ym-edit" }, el("div", { class: "ym-edit-buttons" }, buttons), status, body);
}

/** Admins add a feature: pick a point layer, click the map, fill the form. */
function wireAdding(page) {
  const S = page.strings;
  const layers = page.cfg.layers.filter((l) => (page.cfg.schema[l.id] || {}).point);
  if (!mayPlace(page) || !layers.length) return;
  const choice = el("select", { class: "ym-input", "aria-label": S.edit_add_layer },
    layers.map((l) => el("option", { value: l.id }, l.title)));
  const start = el("button", { type: "button", class: "ym-btn", id: "ym-add-feature" }, S.edit_add);
  const control = L.control({ position: "topleft" });
  control.onAdd = () => el("div", { class: "ym-add leaflet-bar" }, choice, start);
  control.addTo(page.map);
  L.DomEvent.disableClickPropagation(control.getContainer());
  start.addEventListener("click", () => {
    showToast(page, S.edit_add_hint);
    page.map.once("click", (event) => {
      const layer = page.layerInfo[choice.value];
      const at = event.latlng;
      const popup = L.popup({ minWidth: 260 }).setLatLng(at);
      popup.setContent(el("div", { class: "ym-popup" }, el("h3", { class: "ym-popup-title" }, layer.title),
        attributeForm(page, layer, {}, async (values) => {
          const created = await send(page, "POST", `/layers/${encodeURIComponent(layer.id)}/features`, {
            type: "Feature", geometry: { type: "Point", coordinates: [at.lng, at.lat] }, properties: values });
          if (page.views.server) page.views.server.refresh(); // the new feature is in the view's answer now
          else page.views.clusters.addLayer(featureMarker(page, layer, created.id, created.properties.name,
            latLngOf(created)));
          page.map.closePopup(popup);
          showToast(page, S.edit_added);
        })));
      popup.openOn(page.map);
    });
  });
}

/** ``#edit=layer/id/lon/lat`` (from /admin/reports): open that feature's popup there, with its editing buttons. */
async function openFromAddress(page) {
  const match = /^#edit=([a-z0-9_]+)\/(\d+)\/(-?[\d.]+)\/(-?[\d.]+)$/.exec(window.location.hash);
  const layer = match && page.layerInfo[match[1]];
  if (!layer) return;
  try {
    const feature = await page.api(featurePath(layer.id, match[2]));
    const where = L.latLng(Number(match[4]), Number(match[3]));
    const node = popupContent(feature.properties.popup, layer, page.strings);
    extendPopup(page, node, layer, feature, null);
    page.map.setView(where, 17);
    page.views.editPopup = L.popup({ minWidth: 260 }).setLatLng(where).setContent(node).openOn(page.map);
  } catch (err) {
    showToast(page, page.fmt("edit_failed", { message: err.message }));
  }
}

/** What every feature's popup gets besides its facts: the error-report form, and an editor's buttons. */
export function extendPopup(page, node, layer, feature, marker) {
  node.append(reportForm(page, layer, feature));
  const controls = editControls(page, layer, feature, marker);
  if (controls) node.append(controls);
}

/** Edit mode for a signed-in editor (nothing for a visitor). */
export function wireEditing(page) {
  if (!page.cfg.me) return;
  wireAdding(page);
  openFromAddress(page);
}
