/**
 * The push settings of contract 1.5 (L10): the form filled from the app's settings, saved with a PUT of the
 * visible fields, and error 965's messages shown beside their fields. Each field is an element with `data-field`,
 * its path in the settings object; credential files are file inputs (upload-fields.ts).
 */
import { byId as $, isErrorBody, say } from "../shared/page.js";
import type { FieldError, PushSettings } from "../shared/wire.js";
import { setAt, valueAt } from "./field-paths.js";
import { SETTINGS_PATH } from "./paths.js";
import { showPlatformWarnings } from "./platform-warnings.js";
import { api, explain, type Panel } from "./session.js";
import { isUpload, showStored, uploadChanges, watchUploads } from "./upload-fields.js";

type Field = HTMLInputElement | HTMLSelectElement;

const fieldsOf = (form: HTMLFormElement): Field[] => [...form.querySelectorAll<Field>("[data-field]")];
const errorIdOf = (fieldName: string) => `err-${fieldName.replace(/\./g, "-")}`;
const isCheckbox = (el: Field): el is HTMLInputElement => el instanceof HTMLInputElement && el.type === "checkbox";

/** The settings form: filled at sign-in, emptied at sign-out, saved by its SAVE button. */
export function settingsPanel(): Panel {
  const form = $<HTMLFormElement>("settings-form");
  $("f-service").addEventListener("change", () => showService(form));
  watchUploads(form, showPlatformWarnings);
  form.addEventListener("input", showPlatformWarnings);
  form.addEventListener("change", showPlatformWarnings);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void save(form);
  });
  return {
    open: (settings) => fill(form, settings),
    close: () => {
      // Nothing of the app stays on the page.
      for (const el of fieldsOf(form)) {
        if (isCheckbox(el)) el.checked = false;
        else if (isUpload(el)) showStored(el, "");
        else el.value = "";
      }
    },
  };
}

async function save(form: HTMLFormElement): Promise<void> {
  const status = $("save-status");
  const button = $<HTMLButtonElement>("save");
  button.disabled = true;
  say(status, "Saving…");
  let body: Record<string, unknown>;
  try {
    body = await collect(form);
  } catch {
    button.disabled = false;
    say(status, "Not saved: a chosen file could not be read; choose it again.", "error");
    return;
  }
  const res = await api("PUT", SETTINGS_PATH, body);
  button.disabled = false;
  if (res.ok) {
    fill(form, res.body as PushSettings);
    say(status, "Saved.", "ok");
    return;
  }
  const errors = isErrorBody(res.body) ? (res.body.Errors ?? []) : [];
  if (errors.length) {
    showErrors(form, errors);
    say(status, `Not saved: ${errors.length === 1 ? "one field needs" : `${errors.length} fields need`} attention.`, "error");
  } else {
    say(status, explain(res.body), "error");
  }
}

/** Show only the chosen service's fields (the AWS block and the platform ARNs, or the webhook). */
function showService(form: HTMLFormElement): void {
  const chosen = $<HTMLSelectElement>("f-service").value;
  for (const el of form.querySelectorAll<HTMLElement>(".service[data-service]")) el.hidden = el.dataset.service !== chosen;
}

function fill(form: HTMLFormElement, s: PushSettings): void {
  for (const el of fieldsOf(form)) {
    const v = valueAt(s, el.dataset.field ?? "");
    if (isCheckbox(el)) el.checked = v === true;
    else if (isUpload(el)) showStored(el, v);
    else el.value = v === undefined || v === null ? "" : String(v);
  }
  showService(form);
  showPlatformWarnings();
  clearErrors(form);
}

/**
 * The body of the PUT: the visible fields only, so the other service's stored values stay as they are; of the
 * credential files, only those chosen or removed since the form was filled.
 */
async function collect(form: HTMLFormElement): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = {};
  for (const el of fieldsOf(form)) {
    if (el.closest("[hidden]") || isUpload(el)) continue;
    let value: unknown = el.value;
    if (isCheckbox(el)) value = el.checked;
    else if ("number" in el.dataset) value = el.value.trim() === "" ? null : Number(el.value);
    setAt(body, el.dataset.field ?? "", value);
  }
  for (const { field, value } of await uploadChanges(form)) setAt(body, field, value);
  return body;
}

function clearErrors(form: HTMLFormElement): void {
  for (const el of fieldsOf(form)) {
    el.removeAttribute("aria-invalid");
    const out = document.getElementById(errorIdOf(el.dataset.field ?? ""));
    if (out) out.textContent = "";
  }
  $("other-errors").replaceChildren();
}

/** Each message next to its field (the 965 error's Errors[].FieldName); the rest in a list under the form. */
function showErrors(form: HTMLFormElement, errors: FieldError[]): void {
  clearErrors(form);
  const others: string[] = [];
  let first: Field | undefined;
  for (const e of errors) {
    const el = fieldsOf(form).find((f) => f.dataset.field === e.FieldName);
    const out = document.getElementById(errorIdOf(e.FieldName));
    if (el && out && !el.closest("[hidden]")) {
      // Beside its field, the rule alone: "QRCodeWidth must be at most 1000." reads "must be at most 1000".
      const rule = e.ErrorMessage.startsWith(`${e.FieldName} `) ? e.ErrorMessage.slice(e.FieldName.length + 1).replace(/\.$/, "") : e.ErrorMessage;
      out.textContent = out.textContent ? `${out.textContent}; ${rule}` : rule;
      el.setAttribute("aria-invalid", "true");
      first ??= el;
    } else {
      // The message names its field already ("QRCodeWidth must be at most 1000.").
      others.push(e.ErrorMessage);
    }
  }
  $("other-errors").replaceChildren(
    ...others.map((text) => {
      const li = document.createElement("li");
      li.textContent = text;
      return li;
    }),
  );
  first?.focus();
}
