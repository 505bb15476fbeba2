/* Yuren Map (育人地图): the study-tour booking pages (/school, /base, /admin/bookings and their prints).
 *
 * The server renders every list; this script sends what the buttons and forms ask for to the API
 * (with the page's CSRF token), shows the API's message next to the field it names, and reloads.
 * The booking form checks, before it sends, what the API would refuse anyway: more people than the
 * places left, and the bureau's filing period.
 */
import { el } from "../shared/dom.js";
import { errorText, getJSON, sendJSON } from "../shared/api.js";
import { formatter } from "../shared/strings.js";
import { drawBoundaries } from "../shared/boundaries.js";

const configNode = document.getElementById("bk-config");
const cfg = configNode ? JSON.parse(configNode.textContent) : { api: "/api", strings: {} };
const fmt = formatter(cfg.strings);
const statusLine = document.getElementById("bk-status");
/** The API in the page's language (its refusals are worded in it). */
const send = (method, path, body, headers) => sendJSON(cfg.api, method,
  cfg.lang === "en" ? `${path}?lang=en` : path, body, null, headers);

function say(text) {
  if (statusLine) statusLine.textContent = text;
}

/** Run ``work`` (a promise-returning function) for ``button``: busy meanwhile, reload when done. */
async function act(button, work) {
  if (button) button.disabled = true;
  say(fmt("booking_sending"));
  try {
    await work();
    say(fmt("booking_done"));
    window.location.reload();
  } catch (err) {
    say(fmt("booking_failed", { message: errorText(err, fmt) }));
    if (button) button.disabled = false;
  }
}

const ACTIONS = {
  confirm: (id) => send("POST", `/bookings/${id}/confirm`),
  "acknowledge-filing": (id) => send("POST", `/bookings/${id}/acknowledge-filing`),
  decline: (id) => {
    const reason = window.prompt(fmt("booking_reason_prompt"));
    return reason === null ? null : send("POST", `/bookings/${id}/decline`, { reason });
  },
  cancel: (id) => (window.confirm(fmt("booking_cancel_confirm"))
    ? send("POST", `/bookings/${id}/cancel`) : null),
  capacity: (id, button) => {
    const value = window.prompt(fmt("booking_capacity_prompt"), button.dataset.booked || "");
    return value === null ? null : send("PATCH", `/sessions/${id}`, { capacity: Number(value) });
  },
  "cancel-session": (id) => {
    const reason = window.prompt(fmt("booking_session_cancel_prompt"));
    return reason === null ? null : send("POST", `/sessions/${id}/cancel`, { reason });
  },
};

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-action]");
  if (!button) return;
  if (button.dataset.action === "print") {
    window.print();
    return;
  }
  const run = ACTIONS[button.dataset.action];
  if (!run) return;
  const request = run(button.dataset.id, button);
  if (request) act(button, () => request);
});

// -- showing the API's refusal next to its field ------------------------------------------------

function showError(form, box, err) {
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  box.textContent = errorText(err, fmt);
  box.hidden = false;
  const at = err.field && form.querySelector(`[data-field="${CSS.escape(err.field)}"]`);
  if (at) {
    for (const input of at.querySelectorAll("input, select, textarea")) input.setAttribute("aria-invalid", "true");
    const first = at.querySelector("input, select, textarea");
    if (first) first.focus();
  }
}

function checked(form, name) {
  return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((input) => Number(input.value));
}

// -- the base manager's new sessions -----------------------------------------------------------

for (const form of document.querySelectorAll(".bk-session-form")) {
  const kind = form.elements.kind;
  const showKind = () => {
    const pattern = kind.value === "pattern";
    for (const name of ["date_from", "date_to", "weekdays"]) {
      form.querySelector(`[data-field="${name}"]`).hidden = !pattern;
    }
    form.querySelector('[data-field="date"]').hidden = pattern;
  };
  kind.addEventListener("change", showKind);
  showKind();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const [layer, id] = form.dataset.base.split(":");
    const f = form.elements;
    const body = { start: f.start.value, end: f.end.value, capacity: Number(f.capacity.value),
      grades: checked(form, "grades"), window_from_days: Number(f.window_from_days.value),
      window_to_days: Number(f.window_to_days.value) };
    const path = `/${encodeURIComponent(layer)}/${id}/sessions`;
    const request = kind.value === "pattern"
      ? send("POST", `${path}/pattern`, Object.assign(body, { date_from: f.date_from.value,
        date_to: f.date_to.value, weekdays: checked(form, "weekdays") }))
      : send("POST", path, Object.assign(body, { date: f.date.value }));
    const button = form.querySelector("[type=submit]");
    button.disabled = true;
    request.then(() => window.location.reload(), (err) => {
      showError(form, form.querySelector(".bk-form-error"), err);
      button.disabled = false;
    });
  });
}

for (const form of document.querySelectorAll(".bk-expire")) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const [layer, id] = form.dataset.base.split(":");
    send("PUT", `/${encodeURIComponent(layer)}/${id}/booking-settings`,
      { expire_days: Number(form.elements.expire_days.value) })
      .then(() => window.location.reload(), (err) => showError(form, form.querySelector(".bk-form-error"), err));
  });
}

// -- the school's booking form ------------------------------------------------------------------

/** A key for one booking request: a retry of the same request (a double click, a lost answer) is
 * answered with the first answer instead of booking twice. */
function newKey() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function daysUntil(isoDate) {
  const [y, m, d] = isoDate.split("-").map(Number);
  const now = new Date();
  return Math.round((Date.UTC(y, m - 1, d) - Date.UTC(now.getFullYear(), now.getMonth(), now.getDate())) / 864e5);
}

const dialog = document.getElementById("bk-dialog");
if (dialog) {
  const form = document.getElementById("bk-form");
  const live = document.getElementById("bk-live");
  const rule = document.getElementById("bk-rule");
  const errorBox = document.getElementById("bk-error");
  const sendButton = document.getElementById("bk-send");
  const filing = { headcount: Number(form.dataset.filingHeadcount), days: Number(form.dataset.filingDays) };
  let chosen = null;
  let key = null;
  let poll = null;

  /** What the form refuses before it is sent (null when it may go). */
  const refusal = () => {
    const people = Number(form.elements.pupils.value || 0) + Number(form.elements.teachers.value || 0);
    if (chosen && people > chosen.remaining) return fmt("booking_too_many", { count: chosen.remaining });
    const filed = people >= filing.headcount || form.elements.unit.value === "grade";
    if (chosen && filed && daysUntil(chosen.date) < filing.days) {
      return fmt("booking_filing_rule", { headcount: filing.headcount, days: filing.days });
    }
    return null;
  };
  const check = () => {
    const refused = refusal();
    rule.textContent = refused || "";
    rule.classList.toggle("ym-error", Boolean(refused));
    sendButton.disabled = Boolean(refused);
    key = null; // a changed request is a new request
  };
  const refresh = async () => {
    if (!chosen) return;
    try {
      const answer = await getJSON(cfg.api, `/${encodeURIComponent(chosen.layer)}/${chosen.baseId}/sessions`,
        { from: chosen.date, to: chosen.date });
      const session = answer.sessions.find((s) => s.id === chosen.id);
      chosen.remaining = session ? session.remaining : 0;
      live.textContent = fmt("booking_remaining", { count: chosen.remaining });
      check();
    } catch (err) {
      live.textContent = fmt("booking_failed", { message: errorText(err, fmt) });
    }
  };

  document.addEventListener("click", (event) => {
    const button = event.target.closest(".bk-book");
    if (!button) return;
    const [layer, baseId] = button.dataset.base.split(":");
    chosen = { id: Number(button.dataset.session), layer, baseId, date: button.dataset.date,
      remaining: Number(button.dataset.remaining) };
    document.getElementById("bk-dialog-base").textContent = button.dataset.name;
    document.getElementById("bk-dialog-session").textContent = button.closest("tr").cells[0].textContent + " "
      + button.closest("tr").cells[1].textContent;
    const grades = form.elements.grades;
    grades.replaceChildren(...button.dataset.grades.split(",").map((g) => el("option", { value: g }, g)));
    if (grades.options.length === 1) grades.options[0].selected = true;
    errorBox.hidden = true;
    live.textContent = fmt("booking_remaining", { count: chosen.remaining });
    check();
    dialog.showModal();
    refresh();
    poll = window.setInterval(refresh, 5000);
  });
  dialog.addEventListener("close", () => window.clearInterval(poll));
  document.getElementById("bk-close").addEventListener("click", () => dialog.close());
  form.addEventListener("input", check);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (refusal()) return;
    const f = form.elements;
    key = key || newKey();
    const body = { session_id: chosen.id, pupils: Number(f.pupils.value || 0), teachers: Number(f.teachers.value || 0),
      grades: [...f.grades.selectedOptions].map((o) => Number(o.value)), unit: f.unit.value,
      contact_name: f.contact_name.value, contact_phone: f.contact_phone.value, note: f.note.value };
    sendButton.disabled = true;
    send("POST", "/bookings", body, { "Idempotency-Key": key }).then(() => {
      dialog.close();
      window.location.reload();
    }, (err) => {
      showError(form, errorBox, err);
      sendButton.disabled = false;
      refresh();
    });
  });
}

// -- maps: the school's bases, the bureau's schools without a study tour ------------------------

const mapNode = document.getElementById("bk-map");
if (mapNode && window.L && (cfg.points || []).length) {
  const map = L.map(mapNode, { zoomControl: true, attributionControl: true });
  const markers = cfg.points.map(([lon, lat, name, note, kind]) => L.circleMarker([lat, lon], {
    radius: kind === "home" ? 8 : 6, color: "#fff", weight: 1.5, fillOpacity: 0.9,
    fillColor: kind === "home" ? "#1d4ed8" : (kind === "base" ? "#15803d" : "#b91c1c") })
    .bindTooltip(note ? `${name} · ${note}` : name).addTo(map));
  map.fitBounds(L.featureGroup(markers).getBounds(), { padding: [24, 24], maxZoom: 14 });
  if ((cfg.boundaries || []).length) {
    drawBoundaries(map, cfg.api, cfg.boundaries, { style: { color: "#64748b", weight: 1, fill: false },
      attribution: cfg.attribution }).catch((err) => say(fmt("booking_failed", { message: errorText(err, fmt) })));
  }
}
