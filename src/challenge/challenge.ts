/** A login waiting for the phone: what Redis keeps of it (no raw token or handle), and its states. */

export type ChallengeStatus = "Pending" | "Approved" | "Denied" | "Expired" | "Cancelled";
export type DeliveryState = "Queued" | "Sent" | "Retrying" | "Failed";

/**
 * What an approval gives: `login` a session (L2, contract 1.2), `stepup` a validation token for a signed-in user
 * (L12), `own` a validation token for a backend that checked the password itself (contract 2.12).
 */
export type ChallengeKind = "login" | "stepup" | "own";

export interface Challenge {
  id: string;
  appId: string;
  uid: string;
  /** Absent on challenges stored before kinds existed: those are logins. */
  kind: ChallengeKind;
  status: ChallengeStatus;
  createdAt: number;
  expiresAt: number;
  /** SHA-256 of the browser's 2FA token: also names the Socket.IO room. */
  tokenHash: string;
  handleHash: string;
  /** The device handle, sealed, for the worker that puts it in the push. */
  handleSealed: string;
  identifier: string;
  browser: string;
  location: string;
  /** Number matching: the right number, and the options shown on the phone (PickOne). */
  number: string;
  numberOptions: string;
  numberMode: "Off" | "PickOne" | "Typed";
  /** How many times the push was sent (1 + resends). */
  sends: number;
  lastSendAt: number;
  delivery: DeliveryState | "";
  deviceCount: number;
  /** Contract 2.12: the backend's text for the phone ("" when none), and its context as JSON text ("" when none). */
  message: string;
  context: string;
  /** The approved answer (login response or validation, by `kind`), sealed; served until `finalizeUntil`. */
  loginSealed: string;
  finalizeUntil: number;
  endedAt: number;
  reason: string;
  /** Contract 2.9: the server key's signature over the push data, made as the challenge opens (push-content.ts). */
  serverSignature: string;
}

/** The Socket.IO room of a challenge: derived from the token's hash, never the raw token, and never 20 chars. */
export const roomOf = (tokenHash: string): string => `c:${tokenHash}`;

const NUMERIC = new Set(["createdAt", "expiresAt", "sends", "lastSendAt", "deviceCount", "finalizeUntil", "endedAt"]);

/** Redis hash fields → Challenge (null when the hash is gone). */
export function parseChallenge(raw: Record<string, string>): Challenge | null {
  if (!raw.id || !raw.status) return null;
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(raw)) out[k] = NUMERIC.has(k) ? Number(v) : v;
  out.kind ??= "login";
  out.message ??= "";
  out.context ??= "";
  return out as unknown as Challenge;
}

/** What a poll needs to answer (L4): read with HMGET rather than the whole hash. */
export type ChallengeStatusView = Pick<Challenge, "id" | "appId" | "status" | "expiresAt" | "finalizeUntil" | "loginSealed">;
export const STATUS_VIEW_FIELDS = ["id", "appId", "status", "expiresAt", "finalizeUntil", "loginSealed"] as const;

/** HMGET's values of STATUS_VIEW_FIELDS → the view (null when the hash is gone). */
export function parseStatusView(values: Array<string | null>): ChallengeStatusView | null {
  const [id, appId, status, expiresAt, finalizeUntil, loginSealed] = values;
  if (!id || !appId || !status) return null;
  return { id, appId, status: status as ChallengeStatus, expiresAt: Number(expiresAt), finalizeUntil: Number(finalizeUntil ?? 0), loginSealed: loginSealed ?? "" };
}

/** Challenge → flat field/value list for HSET. */
export function challengeFields(c: Challenge): string[] {
  return Object.entries(c).flatMap(([k, v]) => [k, String(v)]);
}
