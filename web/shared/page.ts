/**
 * What every page script needs: its elements by id, a status line, an error body in words, and calls to the
 * gateway that answer JSON. One copy for the console and the demo pages (the browser client stays standalone).
 */
import type { ErrorBody } from "./wire.js";

/** The element with this id; a page whose HTML lacks it is a bug, reported at once. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing`);
  return el as T;
}

export type Tone = "ok" | "error" | "";

/** Show `text` in a status element, green for "ok", red for "error" (the pages' `.status-ok`/`.status-error`). */
export function say(el: HTMLElement, text: string, tone: Tone = ""): void {
  el.textContent = text;
  el.classList.toggle("status-ok", tone === "ok");
  el.classList.toggle("status-error", tone === "error");
}

/** Whether a JSON answer is the contract's error body (or the shape `callJson` gives a network failure). */
export const isErrorBody = (b: unknown): b is Pick<ErrorBody, "Message"> & Partial<ErrorBody> =>
  typeof b === "object" && b !== null && "Message" in b;

/** An error body in one line, "Message (code). Description"; anything else as `fallback`, or as text. */
export function describeError(b: unknown, fallback?: string): string {
  if (isErrorBody(b)) return `${b.Message}${b.ErrorCode ? ` (${b.ErrorCode})` : ""}. ${b.Description ?? ""}`.trim();
  return fallback ?? String(b);
}

export interface JsonAnswer {
  ok: boolean;
  /** 0 when the gateway did not answer. */
  status: number;
  /** The parsed JSON, or null when there was none. */
  body: unknown;
}

/** When the network fails, a body the pages show like any other error. */
const NO_ANSWER = { Message: "The gateway did not answer", Description: "Check the network and try again." };

/** A call to the gateway: JSON in (when `body` is given) and out, never cached, a network failure as status 0. */
export async function callJson(url: string | URL, method: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonAnswer> {
  const h = body === undefined ? headers : { ...headers, "content-type": "application/json" };
  try {
    const res = await fetch(url, { method, headers: h, cache: "no-store", ...(body !== undefined && { body: JSON.stringify(body) }) });
    return { ok: res.ok, status: res.status, body: await res.json().catch(() => null) };
  } catch {
    return { ok: false, status: 0, body: NO_ANSWER };
  }
}
