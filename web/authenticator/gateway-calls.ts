/**
 * What an account asks of its gateway with its own key, from the page or the service worker alike: the answer to a
 * request (L5), the signed pull of what waits for it (contract 2.8), and its device's removal (ext).
 */
import { callJson, describeError, isErrorBody } from "../shared/page.js";
import type { PushData } from "../shared/wire.js";
import type { Account } from "./account-store.js";
import { freshTimestamp, sign } from "./device-key.js";

export type Verdict = { verify: "Yes"; number?: string } | { verify: "No"; reason?: "fraud" };

export interface AnswerOutcome {
  ok: boolean;
  /** The contract's error code when refused (1104 expired, 1311 answered elsewhere, 1297 wrong number…). */
  code?: number;
  text: string;
}

/** Codes after which the request is over whatever this device does: it leaves the list. */
export const ENDED_CODES: ReadonlySet<number> = new Set([1104, 1311, 1296, 1312]);

/** L5: the signed verdict, over `verify + handle + number` (the number only when one is picked or typed). */
export async function answerRequest(account: Account, data: PushData, verdict: Verdict): Promise<AnswerOutcome> {
  const handle = data.secondfactorauthenticationtoken;
  const number = verdict.verify === "Yes" ? verdict.number : undefined;
  const signature = await sign(account.privateKey, verdict.verify + handle + (number ?? ""));
  const url = new URL("/identity/v2/auth/login/2fa/verification/push", account.origin);
  url.searchParams.set("apikey", data.apikey);
  url.searchParams.set("secondfactorauthenticationtoken", handle);
  const body = {
    verify: verdict.verify,
    signature,
    ...(number !== undefined && { number }),
    ...(verdict.verify === "No" && verdict.reason && { reason: verdict.reason }),
  };
  const res = await callJson(url, "PUT", body);
  if (res.ok) {
    const text = verdict.verify === "Yes" ? "Approved" : verdict.reason === "fraud" ? "Reported as not you: denied" : "Denied";
    return { ok: true, text };
  }
  return { ok: false, ...(isErrorBody(res.body) && res.body.ErrorCode !== undefined && { code: res.body.ErrorCode }), text: describeError(res.body) };
}

/** Contract 2.8: every request waiting for this account's key, as its push carried it; null when the gateway refused or was unreachable. */
export async function pullPending(account: Account): Promise<PushData[] | null> {
  const timestamp = freshTimestamp();
  const url = new URL("/identity/v2/auth/account/2fa/push/pending", account.origin);
  url.searchParams.set("apikey", account.apikey);
  url.searchParams.set("publicKey", account.publicKey);
  url.searchParams.set("timestamp", timestamp);
  url.searchParams.set("signature", await sign(account.privateKey, `pending:${account.apikey}:${timestamp}`));
  const res = await callJson(url, "GET");
  if (!res.ok) return null;
  const list = (res.body as { Data?: unknown }).Data;
  return Array.isArray(list) ? (list as PushData[]) : null;
}

/** What the gateway said to the account's removal of itself: done, refused (with why), or no answer at all. */
export type RemovalOutcome = { ok: true } | { ok: false; reached: boolean; code?: number; text: string };

/** (ext) The account's device removes itself from its gateway, signed over `remove:<apikey>:<timestamp>`. */
export async function removeFromGateway(account: Account): Promise<RemovalOutcome> {
  const timestamp = freshTimestamp();
  const url = new URL("/identity/v2/auth/account/2fa/push/device", account.origin);
  url.searchParams.set("apikey", account.apikey);
  const signature = await sign(account.privateKey, `remove:${account.apikey}:${timestamp}`);
  const res = await callJson(url, "DELETE", { publicKey: account.publicKey, timestamp, signature });
  if (res.ok) return { ok: true };
  const code = isErrorBody(res.body) ? res.body.ErrorCode : undefined;
  return { ok: false, reached: res.status !== 0, ...(code !== undefined && { code }), text: describeError(res.body) };
}
