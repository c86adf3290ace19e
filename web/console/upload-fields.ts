/**
 * The settings form's credential files (contract 1.5: the Firebase service-account JSON, Apple's .p8 key and
 * .p12 certificate): a file input per secret, read in the browser with FileReader (as text, or as base64 for a
 * binary .p12) and sent with the next SAVE. A stored file is never shown again (the gateway answers "****"); the
 * line under the input says whether one is stored, chosen, or about to be removed (sent as null).
 */
import { byId as $ } from "../shared/page.js";

/** What the next SAVE does with a file field: send a chosen file, or remove the stored one. */
type Change = { kind: "file"; name: string; content: Promise<string> } | { kind: "remove" };

const changes = new WeakMap<HTMLInputElement, Change>();
const stored = new WeakMap<HTMLInputElement, boolean>();

/** Whether a form field is a credential file. */
export const isUpload = (el: Element): el is HTMLInputElement => el instanceof HTMLInputElement && el.type === "file";

const uploadsOf = (form: HTMLFormElement) => [...form.querySelectorAll<HTMLInputElement>('input[type="file"][data-field]')];
const stateOf = (input: HTMLInputElement) => $(`state-${(input.dataset.field ?? "").replace(/\./g, "-")}`);

/** Read the chosen files when they are picked, and remove a stored one with its Remove button; `changed` after each. */
export function watchUploads(form: HTMLFormElement, changed: () => void): void {
  for (const input of uploadsOf(form)) {
    input.addEventListener("change", () => {
      const file = input.files?.[0];
      if (file) changes.set(input, { kind: "file", name: file.name, content: readFile(file, input.dataset.upload === "base64") });
      else changes.delete(input);
      showState(input);
      changed();
    });
  }
  for (const button of form.querySelectorAll<HTMLButtonElement>("button[data-remove]")) {
    button.addEventListener("click", () => {
      const input = uploadsOf(form).find((i) => i.dataset.field === button.dataset.remove);
      if (!input) return;
      input.value = "";
      changes.set(input, { kind: "remove" });
      showState(input);
      changed();
    });
  }
}

/** The field as the gateway answered it: "****" when a file is stored, "" when none; no change pending. */
export function showStored(input: HTMLInputElement, value: unknown): void {
  changes.delete(input);
  input.value = "";
  stored.set(input, typeof value === "string" && value !== "");
  showState(input);
}

/** Whether the field will hold a file after the next SAVE (stored and kept, or newly chosen). */
export function holdsFile(input: HTMLInputElement): boolean {
  const change = changes.get(input);
  return change ? change.kind === "file" : stored.get(input) === true;
}

/** What the next SAVE sends for each changed file field: the file's content, or null to remove it. */
export async function uploadChanges(form: HTMLFormElement): Promise<Array<{ field: string; value: string | null }>> {
  const out: Array<{ field: string; value: string | null }> = [];
  for (const input of uploadsOf(form)) {
    const change = changes.get(input);
    // The other service's fields are not sent, as for every other field.
    if (!change || input.closest("[hidden]")) continue;
    out.push({ field: input.dataset.field ?? "", value: change.kind === "remove" ? null : await change.content });
  }
  return out;
}

function showState(input: HTMLInputElement): void {
  const change = changes.get(input);
  stateOf(input).textContent =
    change?.kind === "file" ? `${change.name}: chosen, saved with SAVE.`
    : change?.kind === "remove" ? "Removed when you SAVE."
    : stored.get(input) ? "Stored (kept secret; choose a file to replace it)."
    : "Not set.";
}

/** A file's content: its text, or (for a binary file such as a .p12) its bytes in base64. */
function readFile(file: File, asBase64: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onerror = () => reject(reader.error ?? new Error("the file could not be read"));
    reader.onload = () => {
      const result = String(reader.result ?? "");
      // readAsDataURL gives "data:<type>;base64,<bytes>": the part after the comma is the file.
      resolve(asBase64 ? result.slice(result.indexOf(",") + 1) : result);
    };
    if (asBase64) reader.readAsDataURL(file);
    else reader.readAsText(file);
  });
}
