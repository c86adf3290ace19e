/**
 * The push settings of contract 1.5 (L10): the form filled from the app's settings, saved with a PUT of the
 * visible fields, and error 965's messages shown beside their fields.
 */
import { byId as $, isErrorBody, say } from "../shared/page.js";
import type { FieldError, PushSettings } from "../shared/wire.js";
import { setAt, valueAt } from "./field-paths.js";
import { SETTINGS_PATH } from "./paths.js";
import { api, explain, type Panel } from "./session.js";

type Field = HTMLInputElement | HTMLSelectElement;

/** The settings form; its fields are the elements with `data-field` (their path in the settings object). */
export function settingsPanel(): Panel {
  const form = $<HTMLFormElement>("settings-form");
  const fields = (): Field[] => [...form.querySelectorAll<Field>("[data-field]")];
  const errorIdOf = (fieldName: string) => `err-${fieldName.replace(/\./g, "-")}`;
  const isCheckbox = (el: Field): el is HTMLInputElement => el instanceof HTMLInputElement && el.type === "checkbox";

  /** Show only the chosen service's fields (the AWS block and the platform ARNs, or the webhook). */
  function showService(): void {
    const chosen = $<HTMLSelectElement>("f-service").value;
    for (const el of form.querySelectorAll<HTMLElement>(".service[data-service]")) el.hidden = el.dataset.service !== chosen;
  }

  function fill(s: PushSettings): void {
    for (const el of fields()) {
      const v = valueAt(s, el.dataset.field ?? "");
      if (isCheckbox(el)) el.checked = v === true;
      else el.value = v === undefined || v === null ? "" : String(v);
    }
    showService();
    clearErrors();
  }

  /** The body of the PUT: the visible fields only, so the other service's stored values stay as they are. */
  function collect(): Record<string, unknown> {
    const body: Record<string, unknown> = {};
    for (const el of fields()) {
      if (el.closest("[hidden]")) continue;
      let value: unknown = el.value;
      if (isCheckbox(el)) value = el.checked;
      else if ("number" in el.dataset) value = el.value.trim() === "" ? null : Number(el.value);
      setAt(body, el.dataset.field ?? "", value);
    }
    return body;
  }

  function clearErrors(): void {
    for (const el of fields()) {
      el.removeAttribute("aria-invalid");
      const out = document.getElementById(errorIdOf(el.dataset.field ?? ""));
      if (out) out.textContent = "";
    }
    $("other-errors").replaceChildren();
  }

  /** Each message next to its field (the 965 error's Errors[].FieldName); the rest in a list under the form. */
  function showErrors(errors: FieldError[]): void {
    clearErrors();
    const others: string[] = [];
    let first: Field | undefined;
    for (const e of errors) {
      const el = fields().find((f) => f.dataset.field === e.FieldName);
      const out = document.getElementById(errorIdOf(e.FieldName));
      if (el && out && !el.closest("[hidden]")) {
        out.textContent = out.textContent ? `${out.textContent}; ${e.ErrorMessage}` : e.ErrorMessage;
        el.setAttribute("aria-invalid", "true");
        first ??= el;
      } else {
        others.push(`${e.FieldName}: ${e.ErrorMessage}`);
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

  $("f-service").addEventListener("change", showService);

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const status = $("save-status");
    const button = $<HTMLButtonElement>("save");
    button.disabled = true;
    say(status, "Saving…");
    const res = await api("PUT", SETTINGS_PATH, collect());
    button.disabled = false;
    if (res.ok) {
      fill(res.body as PushSettings);
      say(status, "Saved.", "ok");
      return;
    }
    const errors = isErrorBody(res.body) ? (res.body.Errors ?? []) : [];
    if (errors.length) {
      showErrors(errors);
      say(status, `Not saved: ${errors.length === 1 ? "one field needs" : `${errors.length} fields need`} attention.`, "error");
    } else {
      say(status, explain(res.body), "error");
    }
  });

  return {
    open: (settings) => fill(settings),
    close: () => {
      // Nothing of the app stays on the page.
      for (const el of fields()) {
        if (isCheckbox(el)) el.checked = false;
        else el.value = "";
      }
    },
  };
}
