/// <reference lib="dom" />
/**
 * The console page (/console), "Security → MFA → Push Notification": sign in with the app's apikey and apisecret
 * (kept in sessionStorage only, sent as headers on every call), edit the push settings of contract 1.5 with L10,
 * send a test push, watch the recent challenges and retry dead letters. Compiled for the browser by esbuild;
 * only types come from the server.
 */
import type { AuditEntry } from "../audit/audit-log.js";
import type { ErrorBody, FieldError } from "../errors.js";
import type { PushSettings } from "../settings/push-settings.js";
import type { publicDeadLetter } from "../http/routes/dead-letters.js";

type DeadLetterRow = ReturnType<typeof publicDeadLetter>;
type Field = HTMLInputElement | HTMLSelectElement;

const SETTINGS_PATH = "/v2/manage/2fa/push-notification-settings";
const AUDIT_PATH = "/v2/manage/push/audit";
const TEST_PATH = "/v2/manage/push/test";
const DEAD_LETTERS_PATH = "/v2/manage/push/dead-letters";
const AUDIT_EVERY_MS = 2000;
const DEAD_LETTERS_EVERY_MS = 5000;
const STORE = { key: "pmg.console.apikey", secret: "pmg.console.apisecret" };

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing`);
  return el as T;
};

let creds: { key: string; secret: string } | null = null;
/** Bumped at each sign-in and sign-out, so the polls of a previous session stop. */
let session = 0;

interface ApiResult {
  ok: boolean;
  status: number;
  body: unknown;
}

async function api(method: string, path: string, body?: unknown): Promise<ApiResult> {
  if (!creds) return { ok: false, status: 0, body: null };
  const headers: Record<string, string> = { "X-LoginRadius-ApiKey": creds.key, "X-LoginRadius-ApiSecret": creds.secret };
  if (body !== undefined) headers["content-type"] = "application/json";
  try {
    const res = await fetch(path, { method, headers, cache: "no-store", ...(body !== undefined && { body: JSON.stringify(body) }) });
    return { ok: res.ok, status: res.status, body: await res.json().catch(() => null) };
  } catch {
    return { ok: false, status: 0, body: { Message: "The gateway did not answer", Description: "Check the network and try again." } };
  }
}

const isErrorBody = (b: unknown): b is ErrorBody => typeof b === "object" && b !== null && "Message" in b;
const describe = (b: unknown): string =>
  isErrorBody(b) ? `${b.Message}${b.ErrorCode ? ` (${b.ErrorCode})` : ""}. ${b.Description ?? ""}`.trim() : "Unexpected answer from the gateway.";

function say(el: HTMLElement, text: string, kind: "ok" | "error" | "" = ""): void {
  el.textContent = text;
  el.classList.toggle("status-ok", kind === "ok");
  el.classList.toggle("status-error", kind === "error");
}

// ---- sign in / out ------------------------------------------------------------------------------------------

async function signIn(key: string, secret: string): Promise<void> {
  creds = { key: key.trim(), secret };
  say($("message"), "Signing in…");
  const res = await api("GET", SETTINGS_PATH);
  if (!res.ok) {
    creds = null;
    sessionStorage.removeItem(STORE.key);
    sessionStorage.removeItem(STORE.secret);
    say($("message"), describe(res.body), "error");
    return;
  }
  sessionStorage.setItem(STORE.key, creds.key);
  sessionStorage.setItem(STORE.secret, creds.secret);
  $<HTMLInputElement>("apisecret").value = "";
  $("app-key").textContent = creds.key;
  fillSettings(res.body as PushSettings);
  $("signin-section").hidden = true;
  $("console").hidden = false;
  say($("message"), "");
  const mine = ++session;
  void pollAudit(mine);
  void pollDeadLetters(mine);
}

function signOut(): void {
  session++;
  creds = null;
  sessionStorage.removeItem(STORE.key);
  sessionStorage.removeItem(STORE.secret);
  // Nothing of the app stays on the page.
  for (const el of settingsFields()) {
    if (el instanceof HTMLInputElement && el.type === "checkbox") el.checked = false;
    else el.value = "";
  }
  $("console").hidden = true;
  $("signin-section").hidden = false;
  $<HTMLTableElement>("recent").tBodies[0]!.replaceChildren();
  $<HTMLTableElement>("dead-letters").tBodies[0]!.replaceChildren();
  lastAudit = lastDead = "";
  say($("message"), "Signed out.", "ok");
}

$<HTMLFormElement>("signin-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const form = ev.currentTarget as HTMLFormElement;
  if (!form.reportValidity()) return;
  void signIn($<HTMLInputElement>("apikey").value, $<HTMLInputElement>("apisecret").value);
});
$("signout").addEventListener("click", signOut);

// ---- settings -----------------------------------------------------------------------------------------------

const settingsForm = $<HTMLFormElement>("settings-form");
const settingsFields = (): Field[] => [...settingsForm.querySelectorAll<Field>("[data-field]")];
const errorIdOf = (fieldName: string) => `err-${fieldName.replace(/\./g, "-")}`;

function valueAt(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const part of path.split(".")) v = typeof v === "object" && v !== null ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}

function setAt(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".");
  let at = obj;
  for (const part of parts.slice(0, -1)) {
    const next = at[part];
    at = typeof next === "object" && next !== null ? (next as Record<string, unknown>) : (at[part] = {});
  }
  at[parts.at(-1)!] = value;
}

/** Show only the chosen service's fields (the AWS block and the platform ARNs, or the webhook). */
function showService(): void {
  const chosen = $<HTMLSelectElement>("f-service").value;
  for (const el of settingsForm.querySelectorAll<HTMLElement>(".service[data-service]")) el.hidden = el.dataset.service !== chosen;
}

function fillSettings(s: PushSettings): void {
  for (const el of settingsFields()) {
    const v = valueAt(s, el.dataset.field ?? "");
    if (el instanceof HTMLInputElement && el.type === "checkbox") el.checked = v === true;
    else el.value = v === undefined || v === null ? "" : String(v);
  }
  showService();
  clearErrors();
}

/** The body of the PUT: the visible fields only, so the other service's stored values stay as they are. */
function collectSettings(): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const el of settingsFields()) {
    if (el.closest("[hidden]")) continue;
    const field = el.dataset.field ?? "";
    let value: unknown = el.value;
    if (el instanceof HTMLInputElement && el.type === "checkbox") value = el.checked;
    else if ("number" in el.dataset) value = el.value.trim() === "" ? null : Number(el.value);
    setAt(body, field, value);
  }
  return body;
}

function clearErrors(): void {
  for (const el of settingsFields()) {
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
    const el = settingsFields().find((f) => f.dataset.field === e.FieldName);
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

settingsForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const status = $("save-status");
  const button = $<HTMLButtonElement>("save");
  button.disabled = true;
  say(status, "Saving…");
  const res = await api("PUT", SETTINGS_PATH, collectSettings());
  button.disabled = false;
  if (res.ok) {
    fillSettings(res.body as PushSettings);
    say(status, "Saved.", "ok");
    return;
  }
  const errors = isErrorBody(res.body) ? (res.body.Errors ?? []) : [];
  if (errors.length) {
    showErrors(errors);
    say(status, `Not saved: ${errors.length === 1 ? "one field needs" : `${errors.length} fields need`} attention.`, "error");
  } else {
    say(status, describe(res.body), "error");
  }
});

// ---- test push ----------------------------------------------------------------------------------------------

$<HTMLFormElement>("test-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const status = $("test-status");
  const email = $<HTMLInputElement>("test-email").value.trim();
  if (!email) {
    say(status, "Enter the email of a user with a push device.", "error");
    return;
  }
  say(status, "Sending…");
  const res = await api("POST", TEST_PATH, { Email: email });
  if (res.ok) {
    const n = (res.body as { Devices?: number }).Devices ?? 0;
    say(status, `Test push sent to ${n} device${n === 1 ? "" : "s"}.`, "ok");
    void refreshAudit();
  } else {
    say(status, describe(res.body), "error");
  }
});

// ---- recent challenges --------------------------------------------------------------------------------------

let lastAudit = "";
const OUTCOMES: Record<string, string> = {
  "challenge.approved": "Approved",
  "challenge.denied": "Denied",
  "challenge.fraud_reported": "Fraud reported",
};

function cell(text: string, className = ""): HTMLTableCellElement {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

const timeCell = (iso: string | null): HTMLTableCellElement => {
  const td = cell(iso ? new Date(iso).toLocaleString() : "");
  if (iso) td.title = iso;
  return td;
};

/** Put `rows` in the table's body, or one row saying `empty` across all of its header's columns. */
function fillTable(id: string, rows: HTMLTableRowElement[], empty: string): void {
  const table = $<HTMLTableElement>(id);
  if (!rows.length) {
    const td = cell(empty, "empty");
    td.colSpan = table.tHead?.rows[0]?.cells.length ?? 1;
    const tr = document.createElement("tr");
    tr.append(td);
    rows.push(tr);
  }
  table.tBodies[0]!.replaceChildren(...rows);
}

async function refreshAudit(): Promise<void> {
  const res = await api("GET", `${AUDIT_PATH}?count=50`);
  if (!res.ok) return;
  const entries = ((res.body as { Data?: AuditEntry[] }).Data ?? []);
  const snapshot = JSON.stringify(entries);
  if (snapshot === lastAudit) return;
  lastAudit = snapshot;
  // The outcome of a challenge is the answer event recorded after its login.started (newer entries come first).
  const outcome = new Map<string, string>();
  for (const e of entries) if (e.challenge && OUTCOMES[e.type] && !outcome.has(e.challenge)) outcome.set(e.challenge, OUTCOMES[e.type]!);
  const rows = entries.map((e) => {
    const tr = document.createElement("tr");
    tr.dataset.challenge = e.challenge ?? "";
    const result = e.type === "login.started" && e.challenge ? (outcome.get(e.challenge) ?? "No answer yet") : (OUTCOMES[e.type] ?? "");
    tr.append(
      timeCell(e.at),
      cell(e.type),
      cell(e.uid ?? "", "id"),
      cell(e.challenge ?? "", "id"),
      cell(result, result === "Approved" ? "outcome-ok" : result && result !== "No answer yet" ? "outcome-bad" : ""),
      cell(e.detail ?? ""),
    );
    return tr;
  });
  fillTable("recent", rows, "No events yet.");
}

async function pollAudit(mine: number): Promise<void> {
  while (mine === session) {
    await refreshAudit();
    await new Promise((r) => setTimeout(r, AUDIT_EVERY_MS));
  }
}

// ---- dead letters -------------------------------------------------------------------------------------------

let lastDead = "";

async function refreshDeadLetters(force = false): Promise<void> {
  const res = await api("GET", `${DEAD_LETTERS_PATH}?count=100`);
  if (!res.ok) {
    if (force) say($("dead-status"), describe(res.body), "error");
    return;
  }
  const letters = (res.body as { Data?: DeadLetterRow[] }).Data ?? [];
  const snapshot = JSON.stringify(letters);
  if (snapshot === lastDead && !force) return;
  lastDead = snapshot;
  const rows = letters.map((d) => {
    const tr = document.createElement("tr");
    tr.dataset.job = d.JobId;
    const retry = document.createElement("button");
    retry.type = "button";
    retry.className = "small retry";
    retry.textContent = "Retry";
    retry.setAttribute("aria-label", `Retry ${d.JobId}`);
    retry.addEventListener("click", () => void retryDeadLetter(d.JobId, retry));
    const action = document.createElement("td");
    action.append(retry);
    tr.append(
      cell(d.JobId, "id"),
      cell(d.Name),
      cell(d.FailedReason),
      cell(String(d.AttemptsMade)),
      timeCell(d.FailedDate),
      cell(d.ChallengeId ?? "", "id"),
      cell(d.DeviceId ?? "", "id"),
      action,
    );
    return tr;
  });
  fillTable("dead-letters", rows, "No dead letters.");
}

async function retryDeadLetter(jobId: string, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  const res = await api("POST", `${DEAD_LETTERS_PATH}/${encodeURIComponent(jobId)}/retry`);
  say($("dead-status"), res.ok ? `Job ${jobId} re-queued.` : describe(res.body), res.ok ? "ok" : "error");
  await refreshDeadLetters(true);
}

async function pollDeadLetters(mine: number): Promise<void> {
  while (mine === session) {
    await refreshDeadLetters();
    await new Promise((r) => setTimeout(r, DEAD_LETTERS_EVERY_MS));
  }
}

$("dead-refresh").addEventListener("click", () => {
  say($("dead-status"), "");
  void refreshDeadLetters(true);
});

// ---- start --------------------------------------------------------------------------------------------------

const storedKey = sessionStorage.getItem(STORE.key);
const storedSecret = sessionStorage.getItem(STORE.secret);
if (storedKey && storedSecret) {
  $<HTMLInputElement>("apikey").value = storedKey;
  void signIn(storedKey, storedSecret);
}
