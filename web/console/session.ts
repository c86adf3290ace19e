/**
 * The console's sign-in state: the app's apikey and apisecret (in sessionStorage only, so they end with the tab),
 * the calls made with them, and a generation that ends the polls of a session when it is left.
 */
import { callJson, describeError, type JsonAnswer } from "../shared/page.js";
import type { PushSettings } from "../shared/wire.js";

export interface Credentials {
  key: string;
  secret: string;
}

/** One part of the console: filled when the operator signs in, emptied when they sign out. */
export interface Panel {
  /** Signed in: show this app. `alive` turns false when the session ends, so a poll started here stops. */
  open(settings: PushSettings, alive: () => boolean): void;
  /** Signed out: nothing of the app may stay on the page. */
  close(): void;
}

const STORE = { key: "pmg.console.apikey", secret: "pmg.console.apisecret" };

let creds: Credentials | null = null;
/** Bumped at each sign-in and sign-out, so the polls of a previous session stop. */
let generation = 0;

/** A management call with the credentials in use (their headers, as contract's management API wants them). */
export async function api(method: string, path: string, body?: unknown): Promise<JsonAnswer> {
  if (!creds) return { ok: false, status: 0, body: null };
  return callJson(path, method, body, { "X-LoginRadius-ApiKey": creds.key, "X-LoginRadius-ApiSecret": creds.secret });
}

/** A download with the credentials in use (a CSV export): its bytes and file name, or the error body. */
export async function apiDownload(path: string): Promise<{ blob: Blob; filename: string } | { error: unknown }> {
  if (!creds) return { error: null };
  try {
    const res = await fetch(path, { headers: { "X-LoginRadius-ApiKey": creds.key, "X-LoginRadius-ApiSecret": creds.secret }, cache: "no-store" });
    if (!res.ok) return { error: await res.json().catch(() => null) };
    const filename = /filename="([^"]+)"/.exec(res.headers.get("content-disposition") ?? "")?.[1] ?? "export.csv";
    return { blob: await res.blob(), filename };
  } catch {
    return { error: null };
  }
}

/** An answer's error in words; a body that is not the contract's error is "unexpected". */
export const explain = (body: unknown): string => describeError(body, "Unexpected answer from the gateway.");

/** Make calls with these credentials (not yet remembered: they are checked first). */
export function useCredentials(c: Credentials): void {
  creds = c;
}

/** The credentials checked good: keep them for this tab, and start a session; returns whether it still lasts. */
export function beginSession(): () => boolean {
  if (creds) {
    sessionStorage.setItem(STORE.key, creds.key);
    sessionStorage.setItem(STORE.secret, creds.secret);
  }
  const mine = ++generation;
  return () => mine === generation;
}

/** Drop the credentials from memory and storage; `end` also ends the current session (its polls stop). */
export function forgetCredentials(end: boolean): void {
  if (end) generation++;
  creds = null;
  sessionStorage.removeItem(STORE.key);
  sessionStorage.removeItem(STORE.secret);
}

/** The credentials kept by this tab (a reload signs in again with them). */
export function storedCredentials(): Credentials | null {
  const key = sessionStorage.getItem(STORE.key);
  const secret = sessionStorage.getItem(STORE.secret);
  return key && secret ? { key, secret } : null;
}

/** How often the live lists (the audit, the dead letters, the dashboard) refresh: one mechanism for all. */
export const REFRESH_MS = 2000;

/**
 * A live list: `fetch` now and every REFRESH_MS while `alive()`, and `draw` only when what it fetched changed
 * (so a reader's place in it is not lost for nothing). `force` redraws anyway.
 */
export function liveList<T>(fetch: () => Promise<T | null>, draw: (value: T) => void): { refresh(force?: boolean): Promise<void>; start(alive: () => boolean): void; reset(): void } {
  let last = "";
  const refresh = async (force = false) => {
    const value = await fetch();
    if (value === null) return;
    const snapshot = JSON.stringify(value);
    if (snapshot === last && !force) return;
    last = snapshot;
    draw(value);
  };
  return { refresh, start: (alive) => void pollWhile(alive, REFRESH_MS, () => refresh()), reset: () => (last = "") };
}

/** Run `refresh` now and then every `everyMs`, while `alive()`. */
export async function pollWhile(alive: () => boolean, everyMs: number, refresh: () => Promise<void>): Promise<void> {
  while (alive()) {
    await refresh();
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
