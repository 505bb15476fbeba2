/* Yuren Map (育人地图): "信息有误？" — the error-report form in every feature's popup (no account needed).
 *
 * The server checks and limits reports (mapservice/reports.py); the form sends what the family wrote
 * and shows the server's answer, in the page's language.
 */
import { sendJSON } from "../shared/api.js";
import { el } from "../shared/dom.js";

const KINDS = ["closed_permanently", "wrong_place", "wrong_hours", "wrong_phone", "other"];

function kindLabel(page, kind) {
  const S = page.strings;
  return { closed_permanently: S.report_kind_closed_permanently, wrong_place: S.report_kind_wrong_place,
    wrong_hours: S.report_kind_wrong_hours, wrong_phone: S.report_kind_wrong_phone, other: S.report_kind_other }[kind];
}

/** The report form of ``feature`` (of ``layer``), folded under its link. */
export function reportForm(page, layer, feature) {
  const S = page.strings;
  const kind = el("select", { name: "kind", class: "ym-input" },
    KINDS.map((k) => el("option", { value: k }, kindLabel(page, k))));
  const text = el("textarea", { name: "text", maxlength: "500", rows: "3", class: "ym-input" });
  const contact = el("input", { name: "contact", maxlength: "100", class: "ym-input", autocomplete: "off" });
  const status = el("p", { class: "ym-report-status", role: "status" });
  const send = el("button", { type: "submit", class: "ym-btn" }, S.report_send);
  const form = el("form", { class: "ym-report-form" },
    el("label", {}, S.report_kind_label, kind), el("label", {}, S.report_text_label, text),
    el("label", {}, S.report_contact_label, contact), send, status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    send.disabled = true;
    status.textContent = "";
    try {
      await sendJSON(page.cfg.api, "POST", `/reports?lang=${page.cfg.lang}`, { layer: layer.id, fid: feature.id,
        kind: kind.value, text: text.value, contact: contact.value || null }, page.cfg.csrf);
      form.replaceChildren(el("p", { class: "ym-report-status" }, S.report_sent));
    } catch (err) {
      status.textContent = page.fmt("report_failed", { message: err.message });
      send.disabled = false;
    }
  });
  return el("details", { class: "ym-report" }, el("summary", {}, S.report_link), form);
}
